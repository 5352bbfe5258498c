//! Fuzz target: see `agentcli_fuzz::filter_expression` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agentcli_fuzz::filter_expression(data));
