//! Framing over a borrowed buffer: [`scan`] finds complete packets and reports their
//! offsets, [`parse_fields`] reproduces gearmanode's `parsePacket` as offsets. Both allocate
//! nothing but their output and never trust a declared length beyond the bytes present.

use super::error::ProtocolError;
use super::packet::{arg_count, for_each_arg, read_u32, Header, Magic, HEADER_LEN};

/// Result of scanning a buffer for complete packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Bytes taken by the complete packets found (the caller drops them from its buffer).
    pub consumed: usize,
    /// Number of complete packets found (and appended to the frames).
    pub packets: usize,
    /// Whole size (header included) of the incomplete packet at `consumed`, when its header
    /// is complete; `None` when fewer than 12 bytes remain or nothing remains.
    pub pending_total: Option<usize>,
    /// Framing error at `consumed` (bad magic, packet too large); scanning stopped there.
    pub error: Option<ProtocolError>,
}

/// Scans `buf` from offset 0 for complete packets of magic `expect`.
///
/// For each complete packet appends to `frames`:
/// `[code, start, end, argc, arg0_start, arg0_end, …]`, u32 offsets relative to `buf`
/// (`start` = header start, `end` = one past the body; arguments split as the packet table
/// says, the last one taking the rest of the body; `argc` = the table's argument count, 0 for
/// unknown codes, which are framed like any other: the caller decides about them).
///
/// Stops at the first incomplete packet. An incomplete header is not judged (it may be the
/// start of a good packet); a complete header with the wrong magic stops with
/// [`ProtocolError::BadMagic`], one claiming more than `max_packet_size` bytes with
/// [`ProtocolError::TooLarge`]. The limit is clamped to `u32::MAX` so that every frame fits
/// u32 offsets; in a buffer longer than that, scanning stops (as if incomplete) before an
/// offset would overflow, and the caller scans again after dropping `consumed` bytes.
pub fn scan(buf: &[u8], expect: Magic, max_packet_size: usize, frames: &mut Vec<u32>) -> Scan {
    let limit = max_packet_size.min(usize::try_from(u32::MAX).unwrap_or(usize::MAX));
    let mut pos = 0usize;
    let mut packets = 0usize;
    let mut pending_total = None;
    let mut error = None;
    while let Some(rest) = buf.get(pos..) {
        let Some(header) = Header::parse(rest) else {
            break;
        };
        if header.magic != expect.value() {
            error = Some(ProtocolError::BadMagic {
                found: header.magic,
            });
            break;
        }
        let total = match usize::try_from(header.total()) {
            Ok(t) if t <= limit => t,
            _ => {
                error = Some(ProtocolError::TooLarge {
                    size: header.total(),
                    max: limit,
                });
                break;
            }
        };
        let (Some(body), Some(end)) = (rest.get(HEADER_LEN..total), pos.checked_add(total)) else {
            pending_total = Some(total);
            break;
        };
        let (Ok(start32), Ok(end32)) = (u32::try_from(pos), u32::try_from(end)) else {
            pending_total = Some(total);
            break;
        };
        let argc = arg_count(header.code).unwrap_or(0);
        frames.reserve(4 + 2 * argc);
        frames.extend_from_slice(&[header.code, start32, end32, 0]);
        let argc_at = frames.len() - 1;
        let body_start = pos + HEADER_LEN;
        let mut pushed = 0u32;
        for_each_arg(body, argc, |s, e| {
            // Every argument offset lies within [start, end], which fits a u32.
            frames.push(u32::try_from(body_start + s).unwrap_or(end32));
            frames.push(u32::try_from(body_start + e).unwrap_or(end32));
            pushed += 1;
        });
        if let Some(slot) = frames.get_mut(argc_at) {
            *slot = pushed;
        }
        packets += 1;
        pos = end;
    }
    Scan {
        consumed: pos,
        packets,
        pending_total,
        error,
    }
}

/// Field ranges of `buf` for a gearmanode format string (`parsePacket`,
/// docs/COMPATIBILITY.md#protocol-module).
///
/// The offset starts at 12. `N`/`n`: up to the next NUL or the buffer end; the offset skips
/// the NUL. `L`: up to 12 + the declared length (u32 at 8), which becomes the offset. `b`: up
/// to the **buffer** end; the offset becomes 12 + the declared length. Ranges are clamped to
/// the buffer as Node's `toString`/`slice` clamp them, so a lying length never panics.
/// Returns the final offset (`bytesConsumed`, which may lie past the buffer, as in the
/// original) and the ranges.
pub fn parse_fields(
    buf: &[u8],
    format: &str,
) -> Result<(usize, Vec<(usize, usize)>), ProtocolError> {
    let declared = read_u32(buf, 8).ok_or(ProtocolError::ShortBuffer { len: buf.len() })?;
    if format.chars().any(|c| !matches!(c, 'N' | 'n' | 'L' | 'b')) {
        return Err(ProtocolError::UnknownFormat {
            format: format.to_owned(),
        });
    }
    // usize is at least 32 bits wherever this builds, but saturate rather than assume.
    let packet_end = usize::try_from(declared)
        .unwrap_or(usize::MAX)
        .saturating_add(HEADER_LEN);
    let len = buf.len();
    let clamp = |start: usize, end: usize| {
        let s = start.min(len);
        (s, end.clamp(s, len))
    };
    let mut offset = HEADER_LEN;
    let mut ranges = Vec::with_capacity(format.len());
    for key in format.chars() {
        match key {
            'N' | 'n' => {
                let rest = buf.get(offset..).unwrap_or(&[]);
                let j = match rest.iter().position(|&b| b == 0) {
                    Some(nul) => offset + nul,
                    None => offset.max(len),
                };
                ranges.push(clamp(offset, j));
                offset = j.saturating_add(1);
            }
            'L' => {
                ranges.push(clamp(offset, packet_end));
                offset = packet_end;
            }
            _ => {
                // 'b': the original slices to the buffer end, not to the declared length.
                ranges.push(clamp(offset, len));
                offset = packet_end;
            }
        }
    }
    Ok((offset, ranges))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_header(code: u32, declared: u32, body: &[u8]) -> Vec<u8> {
        let mut v = b"\0RES".to_vec();
        v.extend_from_slice(&code.to_be_bytes());
        v.extend_from_slice(&declared.to_be_bytes());
        v.extend_from_slice(body);
        v
    }

    fn fields<'a>(buf: &'a [u8], ranges: &[(usize, usize)]) -> Vec<&'a [u8]> {
        ranges.iter().map(|&(s, e)| &buf[s..e]).collect()
    }

    #[test]
    fn protocol_parse_fields_examples_of_0_9_2() {
        let body = b"H:1\x001\x000\x003\x004";
        let buf = with_header(20, body.len() as u32, body);
        let (consumed, r) = parse_fields(&buf, "nnnnL").unwrap();
        assert_eq!(consumed, 23);
        assert_eq!(fields(&buf, &r), vec![&b"H:1"[..], b"1", b"0", b"3", b"4"]);
        assert_eq!(parse_fields(&buf, "").unwrap(), (12, vec![]));
        assert_eq!(
            parse_fields(&buf, "nx"),
            Err(ProtocolError::UnknownFormat {
                format: "nx".into()
            })
        );
        assert_eq!(
            parse_fields(&buf[..11], ""),
            Err(ProtocolError::ShortBuffer { len: 11 })
        );
    }

    #[test]
    fn protocol_parse_fields_b_reads_to_buffer_end() {
        // Declared length 4, but the buffer holds more (the next packet): 'b' takes it all.
        let buf = with_header(13, 4, b"H:1\0abcdefgh");
        let (consumed, r) = parse_fields(&buf, "nb").unwrap();
        assert_eq!(consumed, 16);
        assert_eq!(fields(&buf, &r), vec![&b"H:1"[..], b"abcdefgh"]);
    }

    #[test]
    fn protocol_parse_fields_clamps_lying_lengths() {
        // Declared length far past the buffer.
        let buf = with_header(8, u32::MAX, b"H:1");
        let (consumed, r) = parse_fields(&buf, "L").unwrap();
        assert_eq!(consumed, 12 + u32::MAX as usize);
        assert_eq!(fields(&buf, &r), vec![&b"H:1"[..]]);
        // Declared length 0 with a body: L is empty and the offset goes back to 12.
        let buf = with_header(19, 0, b"E\0msg");
        let (consumed, r) = parse_fields(&buf, "nLn").unwrap();
        assert_eq!(consumed, 14);
        assert_eq!(fields(&buf, &r), vec![&b"E"[..], b"", b"E"]);
        // N past the end: empty, and the offset keeps growing by one like the original.
        let buf = with_header(6, 0, b"");
        let (consumed, r) = parse_fields(&buf, "NNn").unwrap();
        assert_eq!(consumed, 15);
        assert_eq!(r, vec![(12, 12), (12, 12), (12, 12)]);
    }

    #[test]
    fn protocol_scan_frames_and_pending() {
        let mut buf = with_header(11, 8, b"H\0f\0da\0t");
        buf.extend_from_slice(&with_header(99, 1, b"x"));
        buf.extend_from_slice(&with_header(6, 5, b"ab"));
        let mut frames = Vec::new();
        let s = scan(&buf, Magic::Res, 1 << 20, &mut frames);
        assert_eq!(s.consumed, 33);
        assert_eq!(s.packets, 2);
        assert_eq!(s.pending_total, Some(17));
        assert_eq!(s.error, None);
        assert_eq!(
            frames,
            vec![11, 0, 20, 3, 12, 13, 14, 15, 16, 20, 99, 20, 33, 0]
        );
        // Fewer than 12 bytes pending: no total, and bad-looking bytes are not judged.
        let mut frames = Vec::new();
        let s = scan(b"\0REQ\0\0", Magic::Res, 1 << 20, &mut frames);
        assert_eq!(
            (s.consumed, s.packets, s.pending_total, s.error),
            (0, 0, None, None)
        );
    }

    #[test]
    fn protocol_scan_errors_stop_after_good_packets() {
        let mut buf = with_header(6, 0, b"");
        buf.extend_from_slice(b"\0REQ\0\0\0\x06\0\0\0\0");
        let mut frames = Vec::new();
        let s = scan(&buf, Magic::Res, 1 << 20, &mut frames);
        assert_eq!(s.consumed, 12);
        assert_eq!(s.packets, 1);
        assert_eq!(
            s.error,
            Some(ProtocolError::BadMagic { found: 0x0052_4551 })
        );
        let buf = with_header(13, 3 << 30, b"");
        let s = scan(&buf, Magic::Res, 1 << 20, &mut frames);
        assert_eq!(
            s.error,
            Some(ProtocolError::TooLarge {
                size: 12 + (3u64 << 30),
                max: 1 << 20
            })
        );
        assert_eq!(s.pending_total, None);
    }
}
