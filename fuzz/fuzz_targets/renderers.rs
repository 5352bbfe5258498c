//! Fuzz target: see `agentcli_fuzz::renderers` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agentcli_fuzz::renderers(data));
