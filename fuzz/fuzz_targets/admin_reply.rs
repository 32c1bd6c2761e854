//! The admin reply parser on arbitrary bytes: never panics, stays within its limits, and a
//! fatal error stays fatal.
//!
//! Input: byte 0 = max line length, byte 1 = number of awaited commands (mod 16), then one byte
//! per command kind, byte = number of cuts (mod 16), one byte per cut, then the reply bytes.
#![no_main]

use gearmanode::protocol::admin::AdminKind;
use gearmanode::protocol::{AdminLimits, AdminReplyParser};
use libfuzzer_sys::fuzz_target;

fn take<'a>(data: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (head, tail) = data.split_at(n.min(data.len()));
    *data = tail;
    head
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let max_line = usize::from(take(&mut data, 1).first().copied().unwrap_or(0)) + 1;
    let nkinds = usize::from(take(&mut data, 1).first().copied().unwrap_or(0) % 16);
    let kinds = take(&mut data, nkinds);
    let ncuts = usize::from(take(&mut data, 1).first().copied().unwrap_or(0) % 16);
    let cuts = take(&mut data, ncuts);
    let limits = AdminLimits {
        max_line,
        max_reply: 4 * max_line + 64,
    };
    let mut parser = AdminReplyParser::new(limits);
    for k in kinds {
        parser.expect(AdminKind::ALL[usize::from(*k) % AdminKind::ALL.len()]);
    }
    let mut pieces = Vec::new();
    for c in cuts {
        pieces.push(take(&mut data, usize::from(*c) + 1));
    }
    pieces.push(data);
    let mut fatal = None;
    for piece in pieces {
        parser.push(piece);
        // Each reply consumes at least one line, so this loop ends.
        loop {
            match parser.next_reply() {
                Ok(None) => break,
                Ok(Some(_)) => assert!(fatal.is_none()),
                Err(e) if e.is_fatal() => {
                    if let Some(prev) = &fatal {
                        assert_eq!(prev, &e);
                    }
                    assert_eq!(parser.buffered(), 0);
                    fatal = Some(e);
                    break;
                }
                Err(_) => assert!(fatal.is_none()),
            }
        }
        // Once drained, at most one incomplete line (plus a CR) is held.
        assert!(fatal.is_some() || parser.buffered() <= max_line + 1);
    }
});
