//! Gearman protocol, sans-IO: packet table, codec, admin text protocol, errors.
//! Nothing in here knows about sockets, runtimes, clocks or JavaScript.
//!
//! Every function here is total: any input gives a value, "need more bytes", or a
//! [`ProtocolError`]; nothing panics and nothing allocates what a header merely claims.

pub mod admin;
pub mod admin_reply;
pub mod codec;
pub mod error;
pub mod packet;
pub mod scan;

#[cfg(test)]
mod tests;

pub use admin::{
    AdminCommand, AdminKind, AdminResponse, PriorityStatusRow, QueueLimits, ReplyShape, StatusRow,
    WorkerRow,
};
pub use admin_reply::{AdminLimits, AdminReplyParser};
pub use codec::{
    decode_packet, encode, encoded_len, Decoder, DEFAULT_MAX_PACKET_SIZE, RESERVE_AHEAD,
};
pub use error::ProtocolError;
pub use packet::{
    spec, spec_by_name, ArgKind, ArgSpec, Direction, Header, Magic, Packet, PacketSpec, HEADER_LEN,
    MAGIC_REQ, MAGIC_RES, PACKETS,
};
pub use scan::{parse_fields, scan, Scan};
