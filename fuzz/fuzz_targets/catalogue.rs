#![no_main]
//! libFuzzer target: the `catalogue` harness of crates/fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| som_fuzz::catalogue(data));
