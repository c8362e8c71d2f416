#![no_main]
//! libFuzzer target: the `csv` harness of crates/fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| som_fuzz::csv(data));
