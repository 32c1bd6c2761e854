//! Hostile input: garbage, lying headers, huge claims; and linear reassembly.

use super::{decode_both, Event};
use crate::protocol::admin::AdminKind;
use crate::protocol::admin_reply::{AdminLimits, AdminReplyParser};
use crate::protocol::codec::DEFAULT_MAX_PACKET_SIZE;
use crate::protocol::error::ProtocolError;
use crate::protocol::packet::{Magic, MAGIC_RES};
use crate::protocol::scan::{parse_fields, scan};
use proptest::prelude::*;

fn header(magic: u32, code: u32, len: u32) -> Vec<u8> {
    [magic, code, len]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect()
}

/// Bytes that are mostly well-framed: random headers with the right magic, small lengths,
/// random bodies, and now and then garbage.
fn framed_garbage() -> impl Strategy<Value = Vec<u8>> {
    let chunk = prop_oneof![
        4 => (0u32..50, prop::collection::vec(any::<u8>(), 0..40)).prop_map(|(code, body)| {
            let mut v = header(MAGIC_RES, code, body.len() as u32);
            v.extend(body);
            v
        }),
        1 => (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(m, c, l)| header(m, c, l)),
        1 => prop::collection::vec(any::<u8>(), 0..20),
    ];
    prop::collection::vec(chunk, 0..8).prop_map(|v| v.concat())
}

fn split(bytes: &[u8], cuts: &[prop::sample::Index]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut last = 0;
    for p in points {
        pieces.push(bytes[last..p].to_vec());
        last = p;
    }
    pieces.push(bytes[last..].to_vec());
    pieces
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn protocol_prop_garbage_decoder_and_scan_agree(
        bytes in prop_oneof![framed_garbage(), prop::collection::vec(any::<u8>(), 0..200)],
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        max in prop_oneof![Just(DEFAULT_MAX_PACKET_SIZE), 0usize..64],
    ) {
        let pieces = split(&bytes, &cuts);
        let refs: Vec<&[u8]> = pieces.iter().map(Vec::as_slice).collect();
        let events = decode_both(Magic::Res, max, &refs);
        // Nothing follows a fatal error.
        if let Some(i) = events.iter().position(|e| matches!(e, Event::Fatal(_))) {
            prop_assert_eq!(i, events.len() - 1);
        }
    }

    #[test]
    fn protocol_prop_parse_fields_never_panics(
        buf in prop::collection::vec(any::<u8>(), 0..64),
        format in "[NnLbx]{0,8}",
    ) {
        match parse_fields(&buf, &format) {
            Ok((_, ranges)) => {
                prop_assert_eq!(ranges.len(), format.len());
                for (s, e) in ranges {
                    prop_assert!(s <= e && e <= buf.len());
                }
            }
            Err(ProtocolError::ShortBuffer { len }) => prop_assert!(len < 12),
            Err(ProtocolError::UnknownFormat { format: f }) => {
                prop_assert!(f.contains('x'));
                prop_assert_eq!(f, format);
            }
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
    }

    #[test]
    fn protocol_prop_admin_parser_never_panics(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            "((OK|ERR|\\.|[a-z0-9 \\t+:]{0,12})(\r\n|\n)){0,12}".prop_map(String::into_bytes),
        ],
        kinds in prop::collection::vec(0usize..12, 0..6),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        max_line in 1usize..40,
    ) {

        let mut p = AdminReplyParser::new(AdminLimits { max_line, max_reply: 200 });
        for k in kinds {
            p.expect(AdminKind::ALL[k]);
        }
        for piece in split(&bytes, &cuts) {
            p.push(&piece);
            for _ in 0..64 {
                match p.next_reply() {
                    Ok(None) => break,
                    Ok(Some(_)) => {}
                    Err(e) if e.is_fatal() => {
                        prop_assert_eq!(p.buffered(), 0);
                        break;
                    }
                    Err(_) => {}
                }
            }
            prop_assert!(p.buffered() <= bytes.len());
        }
    }
}

#[test]
fn protocol_huge_claims_are_too_large_without_allocation() {
    for len in [3u32 << 30, u32::MAX] {
        let e = ProtocolError::TooLarge {
            size: 12 + u64::from(len),
            max: DEFAULT_MAX_PACKET_SIZE,
        };
        let events = decode_both(
            Magic::Res,
            DEFAULT_MAX_PACKET_SIZE,
            &[&header(MAGIC_RES, 13, len)],
        );
        assert_eq!(events, vec![Event::Fatal(e.clone())]);
        let mut frames = Vec::new();
        let s = scan(
            &header(MAGIC_RES, 13, len),
            Magic::Res,
            DEFAULT_MAX_PACKET_SIZE,
            &mut frames,
        );
        assert_eq!((s.consumed, s.pending_total, s.error), (0, None, Some(e)));
        assert!(frames.is_empty());
    }
}

#[test]
fn protocol_huge_claims_under_a_huge_limit_are_pending() {
    // Under a limit that allows the claim, scan reports the pending size; what the caller
    // reserves for it is the transport's policy (transport::codec tests).
    for len in [3u32 << 30, u32::MAX] {
        let mut frames = Vec::new();
        let buf = header(MAGIC_RES, 13, len);
        let s = scan(&buf, Magic::Res, usize::MAX, &mut frames);
        if len == u32::MAX {
            // scan clamps its limit to u32::MAX so that frame offsets fit a u32.
            let max = u32::MAX as usize;
            let size = 12 + u64::from(len);
            assert_eq!(s.error, Some(ProtocolError::TooLarge { size, max }));
        } else {
            assert_eq!(s.error, None);
            assert_eq!(s.pending_total, Some(12 + len as usize));
        }
    }
}
