//! The production decoder (the transport's batch codec), fed in pieces, against the reference
//! decoder. The body is `gearmanode::fuzzing::batch_codec`, which `cargo test` also runs over a
//! generated corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gearmanode::fuzzing::batch_codec(data));
