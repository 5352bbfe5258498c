//! Fuzz target: see `agentcli_fuzz::time_expression` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agentcli_fuzz::time_expression(data));
