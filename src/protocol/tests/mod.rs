//! Cross-module tests of the protocol room: round trips, splits, hostile input.
//! Unit tests of single functions live next to them.

mod admin;
mod hostile;
mod roundtrip;
mod stream;
mod table;

use super::codec::encode;
use super::oracle::{drain_decoder, frames_to_events, Decoder};
use super::packet::{Magic, HEADER_LEN};
use super::scan::scan;
use bytes::BytesMut;

pub(crate) use super::oracle::Event;

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
        drain_decoder(&mut d, &mut a);
        r.push(piece, &mut b);
    }
    assert_eq!(a, b, "Decoder and scan disagree");
    if !r.dead {
        assert_eq!(d.buffered(), r.buf.len());
    }
    a
}
