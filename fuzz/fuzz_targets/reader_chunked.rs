//! Fuzz target: see `agentcli_fuzz::reader_chunked` for what it feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| agentcli_fuzz::reader_chunked(data));
