//! The reference decoder: a plain packet-at-a-time decoder (push bytes, pop one [`Packet`] at a
//! time) that production never runs. Production decodes with [`super::scan::scan`] driven by the
//! transport's batch codec; the protocol tests, the transport tests and the fuzz targets compare
//! that path against this one, which is simple enough to be obviously right.
//!
//! Compiled for tests and for the `fuzzing` feature only.

use bytes::{Buf, Bytes, BytesMut};

use super::codec::{encode, encoded_len};
use super::error::ProtocolError;
use super::packet::{arg_count, for_each_arg, spec, Header, Magic, PacketSpec, HEADER_LEN};

/// How far ahead of the bytes that actually arrived the decoder may reserve room for a
/// packet whose header it has seen: enough to let reads land in place, not what a header
/// merely claims.
pub const RESERVE_AHEAD: usize = 1024 * 1024;

/// [`encode`] into a fresh buffer.
pub fn encode_to_vec(magic: Magic, code: u32, args: &[&[u8]]) -> Result<Vec<u8>, ProtocolError> {
    let mut dst = BytesMut::with_capacity(encoded_len(args).min(RESERVE_AHEAD));
    encode(magic, code, args, &mut dst)?;
    Ok(dst.to_vec())
}

/// One binary packet: its magic, type code and body (shared, not copied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The magic of the header.
    pub magic: Magic,
    /// The type code of the header.
    pub code: u32,
    /// The body: NUL-separated arguments.
    pub body: Bytes,
}

impl Packet {
    /// The packet type of this packet's code, if known.
    pub fn spec(&self) -> Option<&'static PacketSpec> {
        spec(self.code)
    }

    /// The spec name of this packet's type, if known.
    pub fn name(&self) -> Option<&'static str> {
        self.spec().map(|s| s.name)
    }

    /// The body split into its arguments per the packet table.
    ///
    /// `n` = the spec's argument count: the first `n - 1` end at the next NUL, the last takes
    /// the rest, missing trailing arguments are empty; an unknown code gives the whole body as
    /// one argument; `n == 0` gives none.
    pub fn args(&self) -> Vec<&[u8]> {
        let body: &[u8] = &self.body;
        let Some(n) = arg_count(self.code) else {
            return vec![body];
        };
        let mut out = Vec::with_capacity(n);
        for_each_arg(body, n, |s, e| out.push(body.get(s..e).unwrap_or(&[])));
        out
    }

    /// The argument at `index` as a zero-copy slice of the body (see [`Packet::args`]).
    pub fn arg(&self, index: usize) -> Option<Bytes> {
        let n = arg_count(self.code)?;
        let mut found = None;
        let mut i = 0usize;
        for_each_arg(&self.body, n, |s, e| {
            if i == index {
                found = Some((s, e));
            }
            i += 1;
        });
        let (s, e) = found?;
        Some(self.body.slice(s..e))
    }
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

/// What a decoder saw, in a form every decoding path can produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A packet of a known type: code, body, arguments.
    Known(u32, Vec<u8>, Vec<Vec<u8>>),
    /// A complete packet of an unknown type.
    Unknown(u32),
    /// A fatal framing error; nothing follows it.
    Fatal(ProtocolError),
}

/// The event of a decoded packet.
pub fn packet_event(p: &Packet) -> Event {
    Event::Known(
        p.code,
        p.body.to_vec(),
        p.args().into_iter().map(<[u8]>::to_vec).collect(),
    )
}

/// Pops everything the decoder has ready (a fatal error is recorded once, then it stops).
pub fn drain_decoder(d: &mut Decoder, out: &mut Vec<Event>) {
    if d.fatal_error().is_some() {
        return;
    }
    loop {
        match d.next_packet() {
            Ok(None) => return,
            Ok(Some(p)) => out.push(packet_event(&p)),
            Err(ProtocolError::UnknownType { code }) => out.push(Event::Unknown(code)),
            Err(e) => {
                out.push(Event::Fatal(e));
                return;
            }
        }
    }
}

/// Turns a frame table (the layout of [`super::scan::scan`]) into events, asserting the layout on
/// the way: frames are contiguous from 0, arguments lie inside their packet's body, a known
/// code has the table's argument count and an unknown one none.
pub fn frames_to_events(buf: &[u8], frames: &[u32], packets: usize) -> Vec<Event> {
    let at = |i: usize| frames[i] as usize;
    let mut out = Vec::new();
    let mut i = 0usize;
    let mut prev_end = 0usize;
    while i < frames.len() {
        let (code, start, end, argc) = (frames[i], at(i + 1), at(i + 2), at(i + 3));
        assert_eq!(start, prev_end, "frames are contiguous");
        assert!(end >= start + HEADER_LEN && end <= buf.len());
        prev_end = end;
        let args: Vec<Vec<u8>> = (0..argc)
            .map(|a| {
                let (s, e) = (at(i + 4 + 2 * a), at(i + 5 + 2 * a));
                assert!(start + HEADER_LEN <= s && s <= e && e <= end);
                buf[s..e].to_vec()
            })
            .collect();
        i += 4 + 2 * argc;
        match spec(code) {
            Some(sp) => {
                assert_eq!(argc, sp.args.len());
                out.push(Event::Known(
                    code,
                    buf[start + HEADER_LEN..end].to_vec(),
                    args,
                ));
            }
            None => {
                assert_eq!(argc, 0);
                out.push(Event::Unknown(code));
            }
        }
    }
    assert_eq!(out.len(), packets);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::codec::DEFAULT_MAX_PACKET_SIZE;

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

    fn pkt(code: u32, body: &'static [u8]) -> Packet {
        Packet {
            magic: Magic::Res,
            code,
            body: Bytes::from_static(body),
        }
    }

    #[test]
    fn protocol_args_split_per_spec() {
        let a = pkt(11, b"H:1\0fn\0da\0ta");
        assert_eq!(a.args(), vec![&b"H:1"[..], b"fn", b"da\0ta"]);
        assert_eq!(a.arg(2).as_deref(), Some(&b"da\0ta"[..]));
        assert_eq!(a.arg(3), None);
        // Missing trailing arguments are empty.
        assert_eq!(pkt(11, b"H:1").args(), vec![&b"H:1"[..], b"", b""]);
        assert_eq!(pkt(11, b"").args(), vec![&b""[..], b"", b""]);
        assert_eq!(pkt(11, b"a\0").args(), vec![&b"a"[..], b"", b""]);
        // WORK_FAIL as gearmand forwards an exception: the handle plus a NUL.
        assert_eq!(pkt(14, b"H:1\0").args(), vec![&b"H:1\0"[..]]);
        assert!(pkt(6, b"junk").args().is_empty());
        assert_eq!(pkt(99, b"a\0b").args(), vec![&b"a\0b"[..]]);
        assert_eq!(pkt(0, b"").args(), vec![&b""[..]]);
        assert_eq!(pkt(11, b"").name(), Some("JOB_ASSIGN"));
    }
}
