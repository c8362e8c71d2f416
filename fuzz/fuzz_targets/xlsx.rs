#![no_main]
//! libFuzzer target: the `xlsx` harness of crates/fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| som_fuzz::xlsx(data));
