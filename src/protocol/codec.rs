//! Encoding packets into any `BufMut`.
//!
//! Decoding is [`super::scan::scan`]'s: it finds the packets of a buffer without taking ownership
//! (the transport's batch codec drives it). A packet-at-a-time reference decoder lives in
//! `super::oracle` for the tests and the fuzz targets.

use bytes::BufMut;

use super::error::ProtocolError;
use super::packet::{spec, ArgKind, Magic, HEADER_LEN};

pub use super::scan::{parse_fields, scan, Scan};

/// Default limit on one packet, header included (a hostile header cannot cost more).
pub const DEFAULT_MAX_PACKET_SIZE: usize = 256 * 1024 * 1024;

/// Largest packet the u32 body length of a header can describe, header included.
const MAX_ENCODABLE: u64 = HEADER_LEN as u64 + u32::MAX as u64;

/// Size of a packet with these arguments, header included (saturating: a sum past `usize`
/// cannot be encoded anyway, and [`encode`] refuses it).
pub fn encoded_len(args: &[&[u8]]) -> usize {
    body_len(args).map_or(usize::MAX, |b| b.saturating_add(HEADER_LEN))
}

fn body_len(args: &[&[u8]]) -> Option<usize> {
    let seps = args.len().saturating_sub(1);
    args.iter()
        .try_fold(seps, |acc, a| acc.checked_add(a.len()))
}

/// Appends one packet to `dst`: header, then the arguments joined by single NULs (no trailing
/// NUL).
///
/// For a known code, an argument in a position the packet table marks as text must not
/// contain NUL (it would shift every later argument): such a call is refused with
/// [`ProtocolError::NulInArgument`] and writes nothing. Any number of arguments is joined
/// (gearmanode's `encodePacket` does so for every code); positions beyond the table's are not
/// checked. An unknown code (0 included) is joined without checks. A body longer than a u32
/// can describe is refused with [`ProtocolError::TooLarge`].
///
/// `dst` is any [`BufMut`]: a growing `BytesMut`, or a fixed slice (`&mut [u8]`) that must have
/// room for the whole packet ([`ProtocolError::BufferTooSmall`] otherwise, nothing written).
pub fn encode<B: BufMut>(
    magic: Magic,
    code: u32,
    args: &[&[u8]],
    dst: &mut B,
) -> Result<(), ProtocolError> {
    if let Some(spec) = spec(code) {
        for (arg, arg_spec) in args.iter().zip(spec.args) {
            if arg_spec.kind == ArgKind::Text && arg.contains(&0) {
                return Err(ProtocolError::NulInArgument {
                    packet: spec.name,
                    arg: arg_spec.name,
                });
            }
        }
    }
    let too_large = |size: u64| ProtocolError::TooLarge {
        size,
        max: usize::try_from(MAX_ENCODABLE).unwrap_or(usize::MAX),
    };
    let body = body_len(args).ok_or_else(|| too_large(u64::MAX))?;
    let len = u32::try_from(body)
        .map_err(|_| too_large(u64::try_from(body).map_or(u64::MAX, |b| b.saturating_add(12))))?;
    let total = body.saturating_add(HEADER_LEN);
    if dst.remaining_mut() < total {
        return Err(ProtocolError::BufferTooSmall {
            needed: total,
            available: dst.remaining_mut(),
        });
    }
    dst.put_slice(&magic.bytes());
    dst.put_u32(code);
    dst.put_u32(len);
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            dst.put_u8(0);
        }
        dst.put_slice(arg);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::oracle::encode_to_vec;
    use bytes::BytesMut;

    #[test]
    fn protocol_encode_joins_with_single_nuls() {
        let v = encode_to_vec(Magic::Req, 7, &[b"fn", b"", b"da\0ta"]).unwrap();
        assert_eq!(v, b"\0REQ\0\0\0\x07\0\0\0\x09fn\0\0da\0ta");
        assert_eq!(encoded_len(&[b"fn", b"", b"da\0ta"]), v.len());
        let v = encode_to_vec(Magic::Req, 4, &[]).unwrap();
        assert_eq!(v, b"\0REQ\0\0\0\x04\0\0\0\0");
        assert_eq!(encoded_len(&[]), 12);
    }

    #[test]
    fn protocol_encode_refuses_nul_in_text_and_writes_nothing() {
        let mut dst = BytesMut::from(&b"keep"[..]);
        let e = encode(Magic::Req, 7, &[b"f\0n", b"u", b"d"], &mut dst).unwrap_err();
        assert_eq!(
            e,
            ProtocolError::NulInArgument {
                packet: "SUBMIT_JOB",
                arg: "function"
            }
        );
        let e = encode(Magic::Req, 7, &[b"f", b"u\0", b"d"], &mut dst).unwrap_err();
        assert!(matches!(
            e,
            ProtocolError::NulInArgument { arg: "unique", .. }
        ));
        // Last argument that is text (CAN_DO's function name) is checked too.
        let e = encode(Magic::Req, 1, &[b"a\0b"], &mut dst).unwrap_err();
        assert_eq!(e.code(), "GEARMAN_NUL_IN_ARGUMENT");
        assert_eq!(&dst[..], b"keep");
        // Data may contain NUL; extra arguments and unknown codes are joined unchecked.
        encode(Magic::Req, 7, &[b"f", b"u", b"d\0d"], &mut dst).unwrap();
        encode(Magic::Req, 1, &[b"a", b"b\0c"], &mut dst).unwrap();
        encode(Magic::Req, 0, &[b"\0", b"\0"], &mut dst).unwrap();
        encode(Magic::Req, 5, &[b"\0"], &mut dst).unwrap();
    }
}
