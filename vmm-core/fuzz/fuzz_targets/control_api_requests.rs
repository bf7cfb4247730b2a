//! See `vmm_core::fuzzing::control_api_requests` for what this target feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmm_core::fuzzing::control_api_requests(data));
