//! Fuzz target: see `agentcli_fuzz::redact` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agentcli_fuzz::redact(data));
