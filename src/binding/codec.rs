//! The protocol room for JavaScript: encoding, scanning chunks into frames, parsing fields by the
//! original's format letters, and the packet table. Argument conversion only; the byte rules live
//! in `crate::protocol`.

use bytes::BytesMut;
use napi::bindgen_prelude::{
    Array, BufferSlice, Float64Array, FromNapiValue, ToNapiValue, TypeName,
};
use napi::{sys, ValueType};
use napi_derive::napi;

use super::errors::{invalid, unconvertible, Result};
use super::values;
use crate::protocol::codec::{encode, parse_fields, scan};
use crate::protocol::error::ProtocolError;
use crate::protocol::packet::{ArgKind, Direction, Magic, PACKETS};

/// A Buffer made from bytes the core produced (copied when small, handed over when large).
pub struct JsBuffer(pub bytes::Bytes);

impl ToNapiValue for JsBuffer {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: called by napi-rs on the JS thread.
        unsafe { values::buffer(env, val.0) }
    }
}

impl TypeName for JsBuffer {
    fn type_name() -> &'static str {
        "Buffer"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

/// A Uint32Array made from a table the core produced.
pub struct JsU32s(pub Vec<u32>);

impl ToNapiValue for JsU32s {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        // SAFETY: called by napi-rs on the JS thread.
        unsafe { values::uint32_array(env, &val.0) }
    }
}

impl TypeName for JsU32s {
    fn type_name() -> &'static str {
        "Uint32Array"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

/// One argument of `encodePacket`: a JS string (written as UTF-8) or bytes (a Buffer / Uint8Array).
/// The type is asked once (`napi_typeof`) instead of trying one conversion after the other.
pub enum EncodeArg {
    /// A JS string.
    Text(String),
    /// Bytes of a Buffer or Uint8Array.
    Bytes(&'static [u8]),
}

impl FromNapiValue for EncodeArg {
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> napi::Result<Self> {
        let mut t = 0;
        // SAFETY: called by napi-rs with a live env and value.
        napi::check_status!(unsafe { sys::napi_typeof(env, v, &mut t) })?;
        if t == sys::ValueType::napi_string {
            // SAFETY: as above; the value is a string.
            unsafe { String::from_napi_value(env, v) }.map(EncodeArg::Text)
        } else {
            // SAFETY: as above; anything else must be a typed array (checked by the conversion).
            unsafe { <&[u8]>::from_napi_value(env, v) }.map(EncodeArg::Bytes)
        }
    }
}

impl TypeName for EncodeArg {
    fn type_name() -> &'static str {
        "string | Buffer"
    }
    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl napi::bindgen_prelude::ValidateNapiValue for EncodeArg {}

impl EncodeArg {
    fn bytes(&self) -> &[u8] {
        match self {
            EncodeArg::Text(s) => s.as_bytes(),
            EncodeArg::Bytes(b) => b,
        }
    }
}

/// Encodes one packet. `args` are strings (written as UTF-8) or Buffers (raw); the JS facade has
/// already coerced anything else. A NUL inside a function name, unique id or handle is refused.
#[napi(
    catch_unwind,
    ts_args_type = "code: number, args: Array<string | Buffer | Uint8Array>, response?: boolean",
    ts_return_type = "Buffer"
)]
pub fn encode_packet(code: u32, args: Array, response: Option<bool>) -> Result<JsBuffer> {
    let n = args.len();
    let mut owned: Vec<EncodeArg> = Vec::with_capacity(n as usize);
    for i in 0..n {
        owned.push(
            args.get::<EncodeArg>(i)
                .map_err(unconvertible)?
                .unwrap_or(EncodeArg::Bytes(&[])),
        );
    }
    let parts: Vec<&[u8]> = owned.iter().map(EncodeArg::bytes).collect();
    let magic = if response.unwrap_or(false) {
        Magic::Res
    } else {
        Magic::Req
    };
    let mut dst = BytesMut::with_capacity(crate::protocol::codec::encoded_len(&parts));
    encode(magic, code, &parts, &mut dst)?;
    Ok(JsBuffer(dst.freeze()))
}

/// Encodes a request packet of up to four arguments into `target`, which the caller allocated with
/// exactly the packet's size (the common case of `encodePacket`: no Array to convert, no Buffer
/// created on this side). Same rules and errors as `encodePacket`.
#[napi(
    catch_unwind,
    ts_args_type = "target: Buffer, code: number, a?: string | Buffer, b?: string | Buffer, c?: string | Buffer, d?: string | Buffer"
)]
pub fn encode_into(
    mut target: BufferSlice,
    code: u32,
    a: Option<EncodeArg>,
    b: Option<EncodeArg>,
    c: Option<EncodeArg>,
    d: Option<EncodeArg>,
) -> Result<()> {
    let given = [a, b, c, d];
    let parts: Vec<&[u8]> = given
        .iter()
        .map_while(|x| x.as_ref().map(EncodeArg::bytes))
        .collect();
    let mut dst: &mut [u8] = target.as_mut();
    encode(Magic::Req, code, &parts, &mut dst)?;
    if !dst.is_empty() {
        return Err(invalid(format!(
            "target is {} bytes larger than the packet",
            dst.len()
        )));
    }
    Ok(())
}

/// Indexes of the `Uint32Array` that `scanPackets(chunk, maxPacketSize, requests?)` returns, one
/// crossing per chunk:
///
/// `[consumed, packets, pendingTotal, error, ...frames]`
/// - `Consumed`: bytes taken by the complete packets found (they start at offset 0 of `chunk`);
/// - `Packets`: how many complete packets were found;
/// - `PendingTotal`: the whole size (header included) of the incomplete packet at `consumed` when
///   its header is complete, 0 otherwise;
/// - `Error`: a [`ScanError`]; scanning stopped at `consumed` (after the good packets);
/// - `Frames`: where the first frame starts; the frames follow one another, each laid out as
///   [`FrameSlot`] says.
#[napi]
pub enum ScanSlot {
    /// Bytes taken by the complete packets.
    Consumed = 0,
    /// Number of complete packets.
    Packets = 1,
    /// Size of the incomplete packet at `consumed` (0: unknown or none).
    PendingTotal = 2,
    /// A [`ScanError`].
    Error = 3,
    /// Index of the first frame.
    Frames = 4,
}

/// The `Error` slot of a scan result ([`ScanSlot`]).
#[napi]
pub enum ScanError {
    /// The chunk is well-formed so far.
    None = 0,
    /// A complete header does not carry the expected magic (`GEARMAN_BAD_MAGIC`).
    BadMagic = 1,
    /// A header claims a packet larger than `maxPacketSize` (`GEARMAN_PACKET_TOO_LARGE`).
    TooLarge = 2,
}

/// Layout of one frame in a frame table (the frames of a `scanPackets` result from
/// `ScanSlot.Frames`, and the frame table of a connection's `Data` event from index 0):
///
/// `[code, start, end, argc, (argStart, argEnd) * argc]`
///
/// Offsets are into the scanned chunk: `start` is where the packet's header starts, `end` is one
/// past its body, and each argument is `[argStart, argEnd)`, split as the packet table says (the
/// last argument of a packet with a data argument takes the rest of the body). `argc` is 0 for a
/// code that is not in the packet table. The next frame starts at `Args + 2 * argc`.
#[napi]
pub enum FrameSlot {
    /// The packet type code.
    Code = 0,
    /// Offset of the packet's header.
    Start = 1,
    /// Offset one past the packet's body.
    End = 2,
    /// Number of arguments.
    Argc = 3,
    /// Offset of the first argument's start; its end follows, then the next argument's.
    Args = 4,
}

/// Scans `chunk` for complete packets from a server (`requests`: `\0REQ` packets, to check what a
/// caller wants to send). Returns a `Uint32Array` laid out as [`ScanSlot`] says.
#[napi(catch_unwind, ts_return_type = "Uint32Array")]
pub fn scan_packets(chunk: &[u8], max_packet_size: f64, requests: Option<bool>) -> JsU32s {
    let max = if max_packet_size.is_finite() && max_packet_size >= 12.0 {
        max_packet_size.min(f64::from(u32::MAX - 12)) as usize
    } else {
        crate::protocol::codec::DEFAULT_MAX_PACKET_SIZE
    };
    let mut out = vec![0u32; ScanSlot::Frames as usize];
    let magic = if requests.unwrap_or(false) {
        Magic::Req
    } else {
        Magic::Res
    };
    let s = scan(chunk, magic, max, &mut out);
    // Offsets and sizes fit: scan clamps the limit so that every frame has u32 offsets.
    out[ScanSlot::Consumed as usize] = s.consumed as u32;
    out[ScanSlot::Packets as usize] = s.packets as u32;
    out[ScanSlot::PendingTotal as usize] = s.pending_total.map_or(0, |t| t as u32);
    out[ScanSlot::Error as usize] = match s.error {
        None => ScanError::None,
        Some(ProtocolError::BadMagic { .. }) => ScanError::BadMagic,
        Some(_) => ScanError::TooLarge,
    } as u32;
    JsU32s(out)
}

/// Indexes of the `Float64Array` that `parseFieldRanges(buf, format)` returns (the original's
/// `parsePacket` as offsets):
///
/// `[bytesConsumed, (start, end) * format.length]`
/// - `Consumed`: the final offset, which may lie past the buffer as in the original (12 plus a
///   declared length up to 2^32 - 1: a float, not a u32);
/// - `Ranges`: where the first field's `[start, end)` starts; one pair per format letter, clamped
///   to the buffer.
#[napi]
pub enum FieldSlot {
    /// The final offset.
    Consumed = 0,
    /// Index of the first field's start; its end follows, then the next field's.
    Ranges = 1,
}

/// Field ranges for the original's `parsePacket(buff, format)`, laid out as [`FieldSlot`] says.
/// Throws `GEARMAN_SHORT_BUFFER` or `GEARMAN_UNKNOWN_FORMAT` errors.
#[napi(catch_unwind)]
pub fn parse_field_ranges(buf: &[u8], format: String) -> Result<Float64Array> {
    let (consumed, ranges) = parse_fields(buf, &format)?;
    let mut out = Vec::with_capacity(FieldSlot::Ranges as usize + ranges.len() * 2);
    out.push(consumed as f64);
    for (s, e) in ranges {
        out.push(s as f64);
        out.push(e as f64);
    }
    Ok(Float64Array::new(out))
}

/// One row of the packet table.
#[napi(object)]
pub struct PacketInfo {
    /// Packet type code.
    pub code: u32,
    /// Spec name, e.g. `SUBMIT_JOB`.
    pub name: String,
    /// `'request'`, `'response'` or `'both'`.
    pub direction: String,
    /// Argument names in wire order.
    pub args: Vec<String>,
    /// Whether the last argument is opaque data (may contain NUL).
    pub last_is_data: bool,
}

/// The whole packet table of the core (1–42), in code order.
#[napi(catch_unwind)]
pub fn packet_table() -> Vec<PacketInfo> {
    PACKETS
        .iter()
        .map(|p| PacketInfo {
            code: p.code,
            name: p.name.to_string(),
            direction: match p.direction {
                Direction::Request => "request",
                Direction::Response => "response",
                Direction::Both => "both",
            }
            .to_string(),
            args: p.args.iter().map(|a| a.name.to_string()).collect(),
            last_is_data: p.args.last().is_some_and(|a| a.kind == ArgKind::Data),
        })
        .collect()
}
