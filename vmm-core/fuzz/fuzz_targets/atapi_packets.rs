//! See `vmm_core::fuzzing::atapi_packets` for what this target feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmm_core::fuzzing::atapi_packets(data));
