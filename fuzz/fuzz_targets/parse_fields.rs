//! `parse_fields` on arbitrary buffers and formats. The body is
//! `gearmanode::fuzzing::parse_field_ranges`, which `cargo test` also runs over a generated corpus.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gearmanode::fuzzing::parse_field_ranges(data));
