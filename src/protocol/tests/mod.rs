//! Cross-module tests of the protocol room: round trips, splits, hostile input.
//! Unit tests of single functions live next to them.

mod admin;
mod hostile;
mod roundtrip;
mod stream;
mod table;

use super::codec::{encode, Decoder};
use super::error::ProtocolError;
use super::packet::{spec, Magic, Packet, HEADER_LEN};
use super::scan::scan;
use bytes::BytesMut;

/// What a decoder saw, in a form both decoding paths can produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A packet of a known type: code, body, arguments.
    Known(u32, Vec<u8>, Vec<Vec<u8>>),
    /// A complete packet of an unknown type.
    Unknown(u32),
    /// A fatal framing error; nothing follows it.
    Fatal(ProtocolError),
}

pub(crate) fn packet_event(p: &Packet) -> Event {
    Event::Known(
        p.code,
        p.body.to_vec(),
        p.args().into_iter().map(<[u8]>::to_vec).collect(),
    )
}

/// Pops everything the decoder has ready.
pub(crate) fn drain_decoder(d: &mut Decoder, out: &mut Vec<Event>) {
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

/// A caller of `scan` that keeps a growing buffer and drops what was consumed.
pub(crate) struct ScanReader {
    pub buf: Vec<u8>,
    pub expect: Magic,
    pub max: usize,
    pub dead: bool,
}

impl ScanReader {
    pub fn new(expect: Magic, max: usize) -> Self {
        ScanReader {
            buf: Vec::new(),
            expect,
            max,
            dead: false,
        }
    }

    pub fn push(&mut self, data: &[u8], out: &mut Vec<Event>) {
        if self.dead {
            return;
        }
        self.buf.extend_from_slice(data);
        let mut frames = Vec::new();
        let s = scan(&self.buf, self.expect, self.max, &mut frames);
        out.extend(frames_to_events(&self.buf, &frames, s.packets));
        assert!(s.consumed <= self.buf.len());
        if let Some(total) = s.pending_total {
            assert!(self.buf.len() - s.consumed >= HEADER_LEN);
            assert!(self.buf.len() - s.consumed < total);
        }
        self.buf.drain(..s.consumed);
        if let Some(e) = s.error {
            out.push(Event::Fatal(e));
            self.dead = true;
        }
    }
}

/// Turns scan frames into events, checking the frame layout on the way.
pub(crate) fn frames_to_events(buf: &[u8], frames: &[u32], packets: usize) -> Vec<Event> {
    let mut out = Vec::new();
    let mut i = 0usize;
    let mut prev_end = 0usize;
    while i < frames.len() {
        let code = frames[i];
        let start = frames[i + 1] as usize;
        let end = frames[i + 2] as usize;
        let argc = frames[i + 3] as usize;
        assert_eq!(start, prev_end, "frames are contiguous");
        assert!(end >= start + HEADER_LEN && end <= buf.len());
        prev_end = end;
        let args: Vec<Vec<u8>> = (0..argc)
            .map(|a| {
                let s = frames[i + 4 + 2 * a] as usize;
                let e = frames[i + 5 + 2 * a] as usize;
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

/// Encodes packets into one stream.
pub(crate) fn stream_of(magic: Magic, packets: &[(u32, Vec<Vec<u8>>)]) -> Vec<u8> {
    let mut dst = BytesMut::new();
    for (code, args) in packets {
        let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        encode(magic, *code, &refs, &mut dst).expect("valid packet");
    }
    dst.to_vec()
}

/// Both decoding paths over `pieces`, asserting they agree; returns the events.
pub(crate) fn decode_both(expect: Magic, max: usize, pieces: &[&[u8]]) -> Vec<Event> {
    let mut d = Decoder::new(expect, max);
    let mut r = ScanReader::new(expect, max);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for piece in pieces {
        d.push(piece);
        // A fatal error is returned on every later call; record it once.
        if d.fatal_error().is_none() {
            drain_decoder(&mut d, &mut a);
        }
        r.push(piece, &mut b);
    }
    assert_eq!(a, b, "Decoder and scan disagree");
    if !r.dead {
        assert_eq!(d.buffered(), r.buf.len());
    }
    a
}
