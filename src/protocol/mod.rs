//! Gearman protocol, sans-IO: packet table, codec, admin text protocol, errors.
//! Nothing in here knows about sockets, runtimes, clocks or JavaScript.

pub mod admin;
pub mod codec;
pub mod error;
pub mod packet;
