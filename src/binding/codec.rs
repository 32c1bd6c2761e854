//! The protocol room for JavaScript: encoding, scanning chunks into frames, parsing fields by the
//! original's format letters, and the packet table. Argument conversion only; the byte rules live
//! in `crate::protocol`.

use bytes::BytesMut;
use napi::bindgen_prelude::{Array, BufferSlice, FromNapiValue, ToNapiValue, TypeName};
use napi::{sys, Result, Status, ValueType};
use napi_derive::napi;

use super::values;
use crate::protocol::codec::{encode, parse_fields, scan};
use crate::protocol::error::ProtocolError;
use crate::protocol::packet::{ArgKind, Direction, Magic, PACKETS};

/// A Buffer made from bytes the core produced (copied when small, handed over when large).
pub struct JsBuffer(pub bytes::Bytes);

impl ToNapiValue for JsBuffer {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
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
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
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

fn js_error(e: &ProtocolError) -> napi::Error {
    napi::Error::new(Status::InvalidArg, format!("{}: {e}", e.code()))
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
    unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> Result<Self> {
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
        owned.push(args.get::<EncodeArg>(i)?.unwrap_or(EncodeArg::Bytes(&[])));
    }
    let parts: Vec<&[u8]> = owned.iter().map(EncodeArg::bytes).collect();
    let magic = if response.unwrap_or(false) {
        Magic::Res
    } else {
        Magic::Req
    };
    let mut dst = BytesMut::with_capacity(crate::protocol::codec::encoded_len(&parts));
    encode(magic, code, &parts, &mut dst).map_err(|e| js_error(&e))?;
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
    encode(Magic::Req, code, &parts, &mut dst).map_err(|e| js_error(&e))?;
    if !dst.is_empty() {
        return Err(napi::Error::new(
            Status::InvalidArg,
            "GEARMAN_BUFFER_TOO_SMALL: target is larger than the packet".to_string(),
        ));
    }
    Ok(())
}

/// Scans `chunk` for complete server packets. Returns `[consumed, packets, pendingTotal, error,
/// ...frames]` where `pendingTotal` is the size of an incomplete packet whose header is complete
/// (0 otherwise), `error` is 0 (none), 1 (bad magic) or 2 (packet over `maxPacketSize`), and the
/// frames are `[code, start, end, argc, (argStart, argEnd) * argc]` per packet.
/// `requests` scans `\0REQ` packets instead (to check what a caller wants to send).
#[napi(catch_unwind, ts_return_type = "Uint32Array")]
pub fn scan_packets(chunk: &[u8], max_packet_size: f64, requests: Option<bool>) -> JsU32s {
    let max = if max_packet_size.is_finite() && max_packet_size >= 12.0 {
        max_packet_size.min(f64::from(u32::MAX - 12)) as usize
    } else {
        crate::protocol::codec::DEFAULT_MAX_PACKET_SIZE
    };
    let mut out = vec![0u32; 4];
    let magic = if requests.unwrap_or(false) {
        Magic::Req
    } else {
        Magic::Res
    };
    let s = scan(chunk, magic, max, &mut out);
    out[0] = s.consumed as u32;
    out[1] = s.packets as u32;
    out[2] = s.pending_total.map_or(0, |t| t as u32);
    out[3] = match s.error {
        None => 0,
        Some(ProtocolError::BadMagic { .. }) => 1,
        Some(_) => 2,
    };
    JsU32s(out)
}

/// Field ranges for the original's `parsePacket(buff, format)`: `[bytesConsumed, (start, end) *
/// format.length]`. Throws `GEARMAN_SHORT_BUFFER` or `GEARMAN_UNKNOWN_FORMAT` errors.
#[napi(catch_unwind, ts_return_type = "Uint32Array")]
pub fn parse_field_ranges(buf: &[u8], format: String) -> Result<JsU32s> {
    let (consumed, ranges) = parse_fields(buf, &format).map_err(|e| js_error(&e))?;
    let mut out = Vec::with_capacity(1 + ranges.len() * 2);
    out.push(consumed as u32);
    for (s, e) in ranges {
        out.push(s as u32);
        out.push(e as u32);
    }
    Ok(JsU32s(out))
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
