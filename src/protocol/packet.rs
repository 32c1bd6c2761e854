//! The packet table (code, name, direction, argument layout) and how a body splits into
//! arguments.
//!
//! Codes, names and directions follow gearmanode's `DEFINITION` for 1–34 and gearmand 1.1
//! for 24 and 35–42 (docs/PROTOCOL.md#packets, #extended).

/// Length of every packet header: magic, type, body length (each a big-endian u32).
pub const HEADER_LEN: usize = 12;
/// Magic of packets sent by clients and workers (`"\0REQ"`).
pub const MAGIC_REQ: u32 = 0x0052_4551;
/// Magic of packets sent by the server (`"\0RES"`).
pub const MAGIC_RES: u32 = 0x0052_4553;

/// The two packet magics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Magic {
    /// `"\0REQ"`: from a client or worker to the server.
    Req,
    /// `"\0RES"`: from the server to a client or worker.
    Res,
}

impl Magic {
    /// The magic as the u32 of the header.
    pub const fn value(self) -> u32 {
        match self {
            Magic::Req => MAGIC_REQ,
            Magic::Res => MAGIC_RES,
        }
    }

    /// The four header bytes of the magic.
    pub const fn bytes(self) -> [u8; 4] {
        self.value().to_be_bytes()
    }

    /// The magic whose header value is `v`, if any.
    pub fn from_u32(v: u32) -> Option<Magic> {
        match v {
            MAGIC_REQ => Some(Magic::Req),
            MAGIC_RES => Some(Magic::Res),
            _ => None,
        }
    }
}

/// Who sends a packet type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Client or worker to server.
    Request,
    /// Server to client or worker.
    Response,
    /// Both ways (the WORK_* packets a worker sends and the server forwards).
    Both,
}

/// What an argument may contain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// Text that must not contain NUL: names, unique ids, handles, numbers, option names.
    Text,
    /// The last, opaque argument: may contain NUL.
    Data,
}

/// One argument of a packet type.
#[derive(Debug)]
pub struct ArgSpec {
    /// Name of the argument (for error messages and documentation).
    pub name: &'static str,
    /// What the argument may contain.
    pub kind: ArgKind,
}

/// One packet type of the binary protocol.
#[derive(Debug)]
pub struct PacketSpec {
    /// Type code of the header.
    pub code: u32,
    /// Gearman spec name in upper snake case, e.g. `SUBMIT_JOB_BG`.
    pub name: &'static str,
    /// Who sends it.
    pub direction: Direction,
    /// Arguments in body order; only the last may be [`ArgKind::Data`].
    pub args: &'static [ArgSpec],
}

const fn t(name: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        kind: ArgKind::Text,
    }
}

const fn d(name: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        kind: ArgKind::Data,
    }
}

const fn p(
    code: u32,
    name: &'static str,
    direction: Direction,
    args: &'static [ArgSpec],
) -> PacketSpec {
    PacketSpec {
        code,
        name,
        direction,
        args,
    }
}

use Direction::{Both, Request as Req, Response as Res};

const SUBMIT: &[ArgSpec] = &[t("function"), t("unique"), d("data")];
const REDUCE: &[ArgSpec] = &[
    t("function"),
    t("unique"),
    t("reducer"),
    t("aggregator"),
    d("data"),
];
const HANDLE_DATA: &[ArgSpec] = &[t("handle"), d("data")];

/// Every packet type 1..=42 except the unused 5, in code order.
///
/// Response argument counts equal the length of gearmanode's parse format strings
/// (e.g. JOB_ASSIGN `nnb` = 3), which a test checks.
pub static PACKETS: &[PacketSpec] = &[
    p(1, "CAN_DO", Req, &[t("function")]),
    p(2, "CANT_DO", Req, &[t("function")]),
    p(3, "RESET_ABILITIES", Req, &[]),
    p(4, "PRE_SLEEP", Req, &[]),
    p(6, "NOOP", Res, &[]),
    p(7, "SUBMIT_JOB", Req, SUBMIT),
    p(8, "JOB_CREATED", Res, &[t("handle")]),
    p(9, "GRAB_JOB", Req, &[]),
    p(10, "NO_JOB", Res, &[]),
    p(
        11,
        "JOB_ASSIGN",
        Res,
        &[t("handle"), t("function"), d("data")],
    ),
    p(
        12,
        "WORK_STATUS",
        Both,
        &[t("handle"), t("numerator"), t("denominator")],
    ),
    p(13, "WORK_COMPLETE", Both, HANDLE_DATA),
    p(14, "WORK_FAIL", Both, &[t("handle")]),
    p(15, "GET_STATUS", Req, &[t("handle")]),
    p(16, "ECHO_REQ", Req, &[d("data")]),
    p(17, "ECHO_RES", Res, &[d("data")]),
    p(18, "SUBMIT_JOB_BG", Req, SUBMIT),
    p(19, "ERROR", Res, &[t("code"), d("text")]),
    p(
        20,
        "STATUS_RES",
        Res,
        &[
            t("handle"),
            t("known"),
            t("running"),
            t("numerator"),
            t("denominator"),
        ],
    ),
    p(21, "SUBMIT_JOB_HIGH", Req, SUBMIT),
    p(22, "SET_CLIENT_ID", Req, &[t("id")]),
    p(23, "CAN_DO_TIMEOUT", Req, &[t("function"), t("timeout")]),
    p(24, "ALL_YOURS", Req, &[]),
    p(25, "WORK_EXCEPTION", Both, HANDLE_DATA),
    p(26, "OPTION_REQ", Req, &[t("option")]),
    p(27, "OPTION_RES", Res, &[t("option")]),
    p(28, "WORK_DATA", Both, HANDLE_DATA),
    p(29, "WORK_WARNING", Both, HANDLE_DATA),
    p(30, "GRAB_JOB_UNIQ", Req, &[]),
    p(
        31,
        "JOB_ASSIGN_UNIQ",
        Res,
        &[t("handle"), t("function"), t("unique"), d("data")],
    ),
    p(32, "SUBMIT_JOB_HIGH_BG", Req, SUBMIT),
    p(33, "SUBMIT_JOB_LOW", Req, SUBMIT),
    p(34, "SUBMIT_JOB_LOW_BG", Req, SUBMIT),
    p(
        35,
        "SUBMIT_JOB_SCHED",
        Req,
        &[
            t("function"),
            t("unique"),
            t("minute"),
            t("hour"),
            t("day_of_month"),
            t("month"),
            t("day_of_week"),
            d("data"),
        ],
    ),
    p(
        36,
        "SUBMIT_JOB_EPOCH",
        Req,
        &[t("function"), t("unique"), t("epoch"), d("data")],
    ),
    // gearmand reads four arguments before the data; the protocol document says three.
    p(37, "SUBMIT_REDUCE_JOB", Req, REDUCE),
    p(38, "SUBMIT_REDUCE_JOB_BACKGROUND", Req, REDUCE),
    p(39, "GRAB_JOB_ALL", Req, &[]),
    p(
        40,
        "JOB_ASSIGN_ALL",
        Res,
        &[
            t("handle"),
            t("function"),
            t("unique"),
            t("reducer"),
            d("data"),
        ],
    ),
    p(41, "GET_STATUS_UNIQUE", Req, &[t("unique")]),
    p(
        42,
        "STATUS_RES_UNIQUE",
        Res,
        &[
            t("unique"),
            t("known"),
            t("running"),
            t("numerator"),
            t("denominator"),
            d("waiting"),
        ],
    ),
];

/// The packet type with this code, in O(1).
pub fn spec(code: u32) -> Option<&'static PacketSpec> {
    // The table is dense except for the hole at 5, so the index is the code shifted by one
    // or two places.
    let index = match code {
        1..=4 => code - 1,
        6..=42 => code - 2,
        _ => return None,
    };
    PACKETS.get(usize::try_from(index).ok()?)
}

/// The packet type with this spec name (e.g. `"SUBMIT_JOB"`).
pub fn spec_by_name(name: &str) -> Option<&'static PacketSpec> {
    PACKETS.iter().find(|s| s.name == name)
}

/// A parsed packet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The magic as found (not yet checked).
    pub magic: u32,
    /// The type code.
    pub code: u32,
    /// The declared body length.
    pub len: u32,
}

impl Header {
    /// Reads a header from the first 12 bytes of `buf`; `None` when fewer are there.
    pub fn parse(buf: &[u8]) -> Option<Header> {
        let magic = read_u32(buf, 0)?;
        let code = read_u32(buf, 4)?;
        let len = read_u32(buf, 8)?;
        Some(Header { magic, code, len })
    }

    /// Whole packet size claimed by the header (header included), in u64 so it cannot overflow.
    pub fn total(&self) -> u64 {
        HEADER_LEN as u64 + u64::from(self.len)
    }
}

/// Big-endian u32 at `at`, if the four bytes are there.
pub(crate) fn read_u32(buf: &[u8], at: usize) -> Option<u32> {
    let bytes: [u8; 4] = buf.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

/// Calls `f(start, end)` for each of the `n` arguments of `body` (ranges relative to `body`).
///
/// The first `n - 1` arguments end at the next NUL; the last takes the rest; arguments missing
/// at the end are empty ranges at `body.len()`. Linear in the bytes before the last argument,
/// which is never scanned (it is the opaque payload).
pub(crate) fn for_each_arg(body: &[u8], n: usize, mut f: impl FnMut(usize, usize)) {
    let mut start = 0usize;
    for i in 0..n {
        if i + 1 == n {
            f(start, body.len());
            return;
        }
        let rest = body.get(start..).unwrap_or(&[]);
        match rest.iter().position(|&b| b == 0) {
            Some(nul) => {
                f(start, start + nul);
                start += nul + 1;
            }
            None => {
                f(start, body.len());
                start = body.len();
            }
        }
    }
}

/// Number of arguments of a packet type, `None` for an unknown code.
pub fn arg_count(code: u32) -> Option<usize> {
    spec(code).map(|s| s.args.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_table_is_dense_and_ordered() {
        assert_eq!(PACKETS.len(), 41);
        let codes: Vec<u32> = PACKETS.iter().map(|s| s.code).collect();
        let want: Vec<u32> = (1..=42).filter(|&c| c != 5).collect();
        assert_eq!(codes, want);
        for s in PACKETS {
            assert_eq!(spec(s.code).map(|x| x.code), Some(s.code));
            assert_eq!(spec_by_name(s.name).map(|x| x.code), Some(s.code));
            // Only the last argument may be opaque: a Data argument in the middle could not
            // be delimited.
            let n = s.args.len();
            for (i, a) in s.args.iter().enumerate() {
                if i + 1 < n {
                    assert_eq!(a.kind, ArgKind::Text, "{} {}", s.name, a.name);
                }
            }
        }
        for c in [0, 5, 43, 100, u32::MAX] {
            assert!(spec(c).is_none(), "{c}");
        }
        assert!(spec_by_name("NOPE").is_none());
    }

    #[test]
    fn protocol_magic_values() {
        assert_eq!(&Magic::Req.bytes(), b"\0REQ");
        assert_eq!(&Magic::Res.bytes(), b"\0RES");
        assert_eq!(Magic::from_u32(MAGIC_REQ), Some(Magic::Req));
        assert_eq!(Magic::from_u32(MAGIC_RES), Some(Magic::Res));
        assert_eq!(Magic::from_u32(0), None);
    }
}
