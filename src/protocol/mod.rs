//! Gearman protocol, sans-IO: packet table, codec, admin text protocol, errors.
//! Nothing in here knows about sockets, runtimes, clocks or JavaScript.
//!
//! Every function here is total: any input gives a value, "need more bytes", or a
//! [`ProtocolError`]; nothing panics and nothing allocates what a header merely claims.

pub mod admin;
pub mod admin_reply;
pub mod codec;
pub mod error;
#[cfg(any(test, feature = "fuzzing"))]
pub mod oracle;
pub mod packet;
pub mod scan;

#[cfg(test)]
mod tests;

pub use admin::{
    AdminCommand, AdminKind, AdminResponse, PriorityStatusRow, QueueLimits, ReplyShape, StatusRow,
    WorkerRow,
};
pub use admin_reply::{AdminLimits, AdminReplyParser};
pub use codec::{encode, encoded_len, DEFAULT_MAX_PACKET_SIZE};
pub use error::{ProtocolCode, ProtocolError};
pub use packet::{
    spec, spec_by_name, ArgKind, ArgSpec, Direction, Header, Magic, PacketSpec, HEADER_LEN,
    MAGIC_REQ, MAGIC_RES, PACKETS,
};
pub use scan::{parse_fields, scan, Scan};
