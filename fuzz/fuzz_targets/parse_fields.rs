//! `parse_fields` on arbitrary buffers and formats: never panics, ranges stay in the buffer.
//!
//! Input: byte 0 = format length (mod 10), then one byte per letter (mod 5 over `NnLbx`),
//! then the buffer.
#![no_main]

use gearmanode::protocol::{parse_fields, ProtocolError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (n, rest) = data.split_first().unwrap_or((&0, &[]));
    let n = usize::from(*n % 10).min(rest.len());
    let (letters, buf) = rest.split_at(n);
    let format: String = letters
        .iter()
        .map(|b| ['N', 'n', 'L', 'b', 'x'][usize::from(*b % 5)])
        .collect();
    match parse_fields(buf, &format) {
        Ok((_, ranges)) => {
            assert_eq!(ranges.len(), format.len());
            for (s, e) in ranges {
                assert!(s <= e && e <= buf.len());
            }
        }
        Err(ProtocolError::ShortBuffer { len }) => assert!(len < 12 && len == buf.len()),
        Err(ProtocolError::UnknownFormat { format: f }) => {
            assert!(f.contains('x') && f == format)
        }
        Err(e) => panic!("unexpected error {e:?}"),
    }
});
