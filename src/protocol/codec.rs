//! Encoding into `BytesMut` and incremental decoding (push bytes, pop packets).
//!
//! Scanning a borrowed buffer for frames without taking ownership lives in [`super::scan`];
//! both follow the same framing rules and the tests hold them to agree.

use bytes::{Buf, BufMut, BytesMut};

use super::error::ProtocolError;
use super::packet::{spec, ArgKind, Header, Magic, Packet, HEADER_LEN};

pub use super::scan::{parse_fields, scan, Scan};

/// Default limit on one packet, header included (a hostile header cannot cost more).
pub const DEFAULT_MAX_PACKET_SIZE: usize = 256 * 1024 * 1024;

/// How far ahead of the bytes that actually arrived the decoder may reserve room for a
/// packet whose header it has seen: enough to let reads land in place, not what a header
/// merely claims.
pub const RESERVE_AHEAD: usize = 1024 * 1024;

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

/// Convenience: [`encode`] into a fresh buffer.
pub fn encode_to_vec(magic: Magic, code: u32, args: &[&[u8]]) -> Result<Vec<u8>, ProtocolError> {
    let mut dst = BytesMut::with_capacity(encoded_len(args).min(RESERVE_AHEAD));
    encode(magic, code, args, &mut dst)?;
    Ok(dst.to_vec())
}

/// Takes one complete packet off the front of `src`, for decoders that own their buffer
/// elsewhere (a `tokio_util::codec::Decoder` adapter passes its `BytesMut` here).
///
/// `Ok(None)`: more bytes are needed; room for at most [`RESERVE_AHEAD`] more bytes of the
/// pending packet is reserved. `Err(UnknownType)`: the packet was taken off (the stream can go
/// on). `Err(BadMagic | TooLarge)`: nothing was taken; the stream cannot be framed any more.
pub fn decode_packet(
    src: &mut BytesMut,
    expect: Magic,
    max_packet_size: usize,
) -> Result<Option<Packet>, ProtocolError> {
    let Some(header) = Header::parse(src) else {
        // An incomplete header is not judged: it may be the start of a good packet.
        return Ok(None);
    };
    if header.magic != expect.value() {
        return Err(ProtocolError::BadMagic {
            found: header.magic,
        });
    }
    let total = match usize::try_from(header.total()) {
        Ok(t) if t <= max_packet_size => t,
        _ => {
            return Err(ProtocolError::TooLarge {
                size: header.total(),
                max: max_packet_size,
            })
        }
    };
    if src.len() < total {
        src.reserve((total - src.len()).min(RESERVE_AHEAD));
        return Ok(None);
    }
    let mut frame = src.split_to(total);
    frame.advance(HEADER_LEN);
    if spec(header.code).is_none() {
        return Err(ProtocolError::UnknownType { code: header.code });
    }
    Ok(Some(Packet {
        magic: expect,
        code: header.code,
        body: frame.freeze(),
    }))
}

/// Incremental decoder: push bytes as they arrive, pop complete packets.
///
/// Reassembly is linear in the payload however the bytes are split: pushed bytes are
/// appended to one `BytesMut` whose growth is amortised, and a complete packet's body is
/// split off without copying.
#[derive(Debug)]
pub struct Decoder {
    buf: BytesMut,
    expect: Magic,
    max_packet_size: usize,
    fatal: Option<ProtocolError>,
}

impl Decoder {
    /// A decoder for packets of magic `expect`, refusing packets larger than
    /// `max_packet_size` bytes (header included).
    pub fn new(expect: Magic, max_packet_size: usize) -> Self {
        Decoder {
            buf: BytesMut::new(),
            expect,
            max_packet_size,
            fatal: None,
        }
    }

    /// Appends received bytes. After a fatal error they are dropped: the stream is dead and
    /// keeping them would only cost memory.
    pub fn push(&mut self, data: &[u8]) {
        if self.fatal.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// The next complete packet, `Ok(None)` when more bytes are needed.
    ///
    /// [`ProtocolError::UnknownType`] consumes its packet, so the caller may go on;
    /// [`ProtocolError::BadMagic`] and [`ProtocolError::TooLarge`] are fatal and returned
    /// again on every later call.
    pub fn next_packet(&mut self) -> Result<Option<Packet>, ProtocolError> {
        if let Some(e) = &self.fatal {
            return Err(e.clone());
        }
        match decode_packet(&mut self.buf, self.expect, self.max_packet_size) {
            Err(e) if e.is_fatal() => {
                self.fatal = Some(e.clone());
                self.buf = BytesMut::new();
                Err(e)
            }
            other => other,
        }
    }

    /// Bytes received and not yet returned as packets.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Bytes currently allocated for the pending data (for memory accounting and tests).
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The fatal error this decoder stopped at, if any.
    pub fn fatal_error(&self) -> Option<&ProtocolError> {
        self.fatal.as_ref()
    }

    /// Forgets pending bytes and any fatal error, as for a new connection (stale bytes must
    /// never be prepended to a new stream).
    pub fn reset(&mut self) {
        self.buf = BytesMut::new();
        self.fatal = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn protocol_decoder_reports_unknown_type_and_goes_on() {
        let mut d = Decoder::new(Magic::Res, DEFAULT_MAX_PACKET_SIZE);
        d.push(&encode_to_vec(Magic::Res, 5, &[b"x"]).unwrap());
        d.push(&encode_to_vec(Magic::Res, 6, &[]).unwrap());
        assert_eq!(d.next_packet(), Err(ProtocolError::UnknownType { code: 5 }));
        let p = d.next_packet().unwrap().unwrap();
        assert_eq!((p.code, p.body.len()), (6, 0));
        assert_eq!(d.next_packet(), Ok(None));
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn protocol_decoder_bad_magic_is_sticky() {
        let mut d = Decoder::new(Magic::Res, DEFAULT_MAX_PACKET_SIZE);
        // An incomplete header is not judged, whatever it starts with.
        d.push(b"\0REQ\0\0\0");
        assert_eq!(d.next_packet(), Ok(None));
        d.push(b"\x06\0\0\0\0");
        let e = ProtocolError::BadMagic {
            found: MAGIC_REQ_U32,
        };
        assert_eq!(d.next_packet(), Err(e.clone()));
        d.push(&encode_to_vec(Magic::Res, 6, &[]).unwrap());
        assert_eq!(d.next_packet(), Err(e));
        assert_eq!(d.buffered(), 0);
        d.reset();
        d.push(&encode_to_vec(Magic::Res, 6, &[]).unwrap());
        assert_eq!(d.next_packet().unwrap().map(|p| p.code), Some(6));
    }

    const MAGIC_REQ_U32: u32 = super::super::packet::MAGIC_REQ;
}
