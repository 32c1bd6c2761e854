//! Sockets (tokio). The transport knows frames, not jobs: it connects, reads, decodes with the
//! protocol room's scanner into batches, writes, and reports what happened (connected, packets,
//! errors with Node-style codes, end, close).

pub mod codec;
pub mod connection;
pub mod error;
pub mod liveness;
mod outbox;
pub mod tls;
mod tls_stream;

pub use codec::{Batch, BatchCodec, Framing};
pub use connection::{ConnectOptions, Connection, Event, EventSink, Runner};
pub use error::{SocketCode, Syscall, TlsCode, TransportError};
pub use tls::TlsOptions;
