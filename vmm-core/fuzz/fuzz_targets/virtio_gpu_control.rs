//! See `vmm_core::fuzzing::virtio_gpu_control` for what this target feeds and checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vmm_core::fuzzing::virtio_gpu_control(data));
