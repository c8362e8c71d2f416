#![no_main]
//! libFuzzer target: the `scenario` harness of crates/fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| som_fuzz::scenario(data));
