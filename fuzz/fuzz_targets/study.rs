#![no_main]
//! libFuzzer target: the `study` harness of crates/fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| som_fuzz::study(data));
