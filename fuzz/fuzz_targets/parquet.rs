#![no_main]
//! libFuzzer target: the `parquet` harness of crates/fuzz.

libfuzzer_sys::fuzz_target!(|data: &[u8]| som_fuzz::parquet(data));
