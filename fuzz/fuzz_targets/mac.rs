//! libFuzzer entry point of the `mac` target (see the crate's documentation).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dicomsign_fuzz::mac(data));
