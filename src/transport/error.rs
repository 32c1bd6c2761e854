//! Transport errors, reported to JavaScript the way Node reports socket errors: a `code` such as
//! `ECONNREFUSED`, a negative libuv-style `errno`, the `syscall`, and the address involved.

use std::io;

use crate::protocol::error::ProtocolError;

/// Which operation failed; becomes `err.syscall` in JavaScript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syscall {
    /// Name resolution (`getaddrinfo`).
    Getaddrinfo,
    /// Establishing the TCP connection.
    Connect,
    /// Reading from the socket.
    Read,
    /// Writing to the socket.
    Write,
}

impl Syscall {
    /// The name Node uses for this operation.
    pub fn name(self) -> &'static str {
        match self {
            Syscall::Getaddrinfo => "getaddrinfo",
            Syscall::Connect => "connect",
            Syscall::Read => "read",
            Syscall::Write => "write",
        }
    }
}

/// A failure of one connection.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// A socket or resolver error, with a Node-style code (`ECONNREFUSED`, `ENOTFOUND`, …).
    #[error("{message}")]
    Io {
        /// Node-style error code.
        code: &'static str,
        /// Negative errno as Node reports it (0 when unknown).
        errno: i32,
        /// The failing operation.
        syscall: Syscall,
        /// `host:port` or host name involved, when known.
        address: Option<String>,
        /// Port involved, when known.
        port: Option<u16>,
        /// Node-style message, e.g. `connect ECONNREFUSED 127.0.0.1:4731`.
        message: String,
    },
    /// The server sent bytes that are not a valid Gearman packet stream.
    #[error("{0}")]
    Protocol(ProtocolError),
    /// A TLS failure (bad configuration, refused handshake, untrusted certificate), with the code
    /// Node's `tls` module gives it (`ERR_TLS_CERT_ALTNAME_INVALID`, `SELF_SIGNED_CERT_IN_CHAIN`, …).
    #[error("{message}")]
    Tls {
        /// Node-style error code.
        code: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A fault inside the core (a caught panic); the connection is given up.
    #[error("internal fault in the gearmanode core: {0}")]
    Internal(String),
}

impl TransportError {
    /// The stable code carried to JavaScript as `err.code`.
    pub fn code(&self) -> &'static str {
        match self {
            TransportError::Io { code, .. } => code,
            TransportError::Protocol(p) => p.code(),
            TransportError::Tls { code, .. } => code,
            TransportError::Internal(_) => "GEARMAN_INTERNAL",
        }
    }

    /// Builds the error for a failed operation towards `host:port` (typically `connect`).
    pub fn io(err: &io::Error, syscall: Syscall, host: &str, port: u16) -> Self {
        let (code, errno) = classify(err);
        let message = format!("{} {code} {host}:{port}", syscall.name());
        TransportError::Io {
            code,
            errno,
            syscall,
            address: Some(host.to_string()),
            port: Some(port),
            message,
        }
    }

    /// Builds the error for a failed read or write on an established connection.
    pub fn socket(err: &io::Error, syscall: Syscall) -> Self {
        if let Some(tls) = super::tls::rustls_error(err) {
            return super::tls::from_rustls(tls, false);
        }
        let (code, errno) = classify(err);
        let message = format!("{} {code}", syscall.name());
        TransportError::Io {
            code,
            errno,
            syscall,
            address: None,
            port: None,
            message,
        }
    }

    /// Builds the error for a failed name resolution of `host`.
    pub fn lookup(err: &io::Error, host: &str) -> Self {
        // std reports getaddrinfo failures as uncategorised errors carrying gai_strerror's text.
        let text = err.to_string();
        let (code, errno) = if text.contains("Temporary failure") {
            ("EAI_AGAIN", -3001)
        } else if err.raw_os_error().is_some() && !text.contains("lookup address") {
            classify(err)
        } else {
            ("ENOTFOUND", -3008)
        };
        TransportError::Io {
            code,
            errno,
            syscall: Syscall::Getaddrinfo,
            address: Some(host.to_string()),
            port: None,
            message: format!("getaddrinfo {code} {host}"),
        }
    }

    /// Builds the error for a connection attempt that exceeded its time limit.
    pub fn connect_timeout(host: &str, port: u16, after_ms: u64) -> Self {
        TransportError::Io {
            code: "ETIMEDOUT",
            errno: -110,
            syscall: Syscall::Connect,
            address: Some(host.to_string()),
            port: Some(port),
            message: format!(
                "connect ETIMEDOUT {host}:{port} (no connection within {after_ms} ms)"
            ),
        }
    }
}

impl From<ProtocolError> for TransportError {
    fn from(e: ProtocolError) -> Self {
        TransportError::Protocol(e)
    }
}

/// Maps an I/O error to Node's code and (negative) errno: by OS error number where there is one
/// (Linux numbering, which is what libuv reports on Linux), else by `io::ErrorKind`.
pub fn classify(err: &io::Error) -> (&'static str, i32) {
    if let Some(n) = err.raw_os_error() {
        if let Some(code) = errno_name(n) {
            return (code, -n);
        }
    }
    let code = match err.kind() {
        io::ErrorKind::ConnectionRefused => "ECONNREFUSED",
        io::ErrorKind::ConnectionReset => "ECONNRESET",
        io::ErrorKind::ConnectionAborted => "ECONNABORTED",
        io::ErrorKind::NotConnected => "ENOTCONN",
        io::ErrorKind::AddrInUse => "EADDRINUSE",
        io::ErrorKind::AddrNotAvailable => "EADDRNOTAVAIL",
        io::ErrorKind::BrokenPipe => "EPIPE",
        io::ErrorKind::TimedOut => "ETIMEDOUT",
        io::ErrorKind::PermissionDenied => "EACCES",
        io::ErrorKind::HostUnreachable => "EHOSTUNREACH",
        io::ErrorKind::NetworkUnreachable => "ENETUNREACH",
        io::ErrorKind::NetworkDown => "ENETDOWN",
        io::ErrorKind::UnexpectedEof => "ECONNRESET",
        io::ErrorKind::InvalidInput => "EINVAL",
        _ => "EIO",
    };
    let errno = errno_number(code).map_or(0, |n| -n);
    (code, errno)
}

/// Linux errno numbers of the socket errors Node users see.
const ERRNOS: &[(i32, &str)] = &[
    (1, "EPERM"),
    (4, "EINTR"),
    (5, "EIO"),
    (9, "EBADF"),
    (11, "EAGAIN"),
    (12, "ENOMEM"),
    (13, "EACCES"),
    (22, "EINVAL"),
    (23, "ENFILE"),
    (24, "EMFILE"),
    (32, "EPIPE"),
    (71, "EPROTO"),
    (98, "EADDRINUSE"),
    (99, "EADDRNOTAVAIL"),
    (100, "ENETDOWN"),
    (101, "ENETUNREACH"),
    (103, "ECONNABORTED"),
    (104, "ECONNRESET"),
    (105, "ENOBUFS"),
    (107, "ENOTCONN"),
    (110, "ETIMEDOUT"),
    (111, "ECONNREFUSED"),
    (112, "EHOSTDOWN"),
    (113, "EHOSTUNREACH"),
];

fn errno_name(n: i32) -> Option<&'static str> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    ERRNOS
        .iter()
        .find(|(num, _)| *num == n)
        .map(|(_, name)| *name)
}

fn errno_number(code: &str) -> Option<i32> {
    ERRNOS
        .iter()
        .find(|(_, name)| *name == code)
        .map(|(num, _)| *num)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_connect_reads_like_node() {
        let e = io::Error::from(io::ErrorKind::ConnectionRefused);
        let t = TransportError::io(&e, Syscall::Connect, "127.0.0.1", 4731);
        assert_eq!(t.code(), "ECONNREFUSED");
        assert_eq!(t.to_string(), "connect ECONNREFUSED 127.0.0.1:4731");
        if let TransportError::Io { errno, .. } = t {
            assert_eq!(errno, -111);
        }
    }

    #[test]
    fn os_error_numbers_map_to_names() {
        let e = io::Error::from_raw_os_error(104);
        assert_eq!(classify(&e), ("ECONNRESET", -104));
    }

    #[test]
    fn failed_lookup_is_enotfound() {
        let e = io::Error::other("failed to lookup address information: Name or service not known");
        let t = TransportError::lookup(&e, "no.such.host.invalid");
        assert_eq!(t.code(), "ENOTFOUND");
        assert_eq!(t.to_string(), "getaddrinfo ENOTFOUND no.such.host.invalid");
    }
}
