//! The admin reply parser on arbitrary bytes. The body is `gearmanode::fuzzing::admin_reply`,
//! which `cargo test` also runs over a generated corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gearmanode::fuzzing::admin_reply(data));
