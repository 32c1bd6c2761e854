//! Transport errors, reported to JavaScript the way Node reports socket errors: a `code` such as
//! `ECONNREFUSED`, a negative libuv-style `errno`, the `syscall`, and the address involved.

use std::io;

use crate::codes::CoreCode;
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
        code: SocketCode,
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
        code: TlsCode,
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
            TransportError::Io { code, .. } => code.as_str(),
            TransportError::Protocol(p) => p.code(),
            TransportError::Tls { code, .. } => code.as_str(),
            TransportError::Internal(_) => CoreCode::Internal.as_str(),
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
            (SocketCode::EaiAgain, SocketCode::EaiAgain.errno())
        } else if err.raw_os_error().is_some() && !text.contains("lookup address") {
            classify(err)
        } else {
            (SocketCode::Enotfound, SocketCode::Enotfound.errno())
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
            code: SocketCode::Etimedout,
            errno: SocketCode::Etimedout.errno(),
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

crate::codes::error_codes! {
    /// Socket and resolver failures, with the codes Node gives them (`err.code`).
    pub enum SocketCode {
        /// Operation not permitted.
        Eperm = "EPERM",
        /// A system call was interrupted.
        Eintr = "EINTR",
        /// An I/O error the system did not classify further.
        Eio = "EIO",
        /// Bad file descriptor.
        Ebadf = "EBADF",
        /// The resource is temporarily unavailable.
        Eagain = "EAGAIN",
        /// Out of memory.
        Enomem = "ENOMEM",
        /// Permission denied.
        Eacces = "EACCES",
        /// Invalid argument.
        Einval = "EINVAL",
        /// Too many open files in the system.
        Enfile = "ENFILE",
        /// Too many open files in this process.
        Emfile = "EMFILE",
        /// The connection was closed while writing (broken pipe).
        Epipe = "EPIPE",
        /// A protocol error below Gearman.
        Eproto = "EPROTO",
        /// The local address is already in use.
        Eaddrinuse = "EADDRINUSE",
        /// The local address is not available.
        Eaddrnotavail = "EADDRNOTAVAIL",
        /// The network is down.
        Enetdown = "ENETDOWN",
        /// The network is unreachable.
        Enetunreach = "ENETUNREACH",
        /// The connection was aborted.
        Econnaborted = "ECONNABORTED",
        /// The server reset the connection.
        Econnreset = "ECONNRESET",
        /// No buffer space available.
        Enobufs = "ENOBUFS",
        /// The socket is not connected.
        Enotconn = "ENOTCONN",
        /// The connection timed out (connectTimeout, or the kernel gave up).
        Etimedout = "ETIMEDOUT",
        /// The server refused the connection (nothing listens on the port).
        Econnrefused = "ECONNREFUSED",
        /// The host is down.
        Ehostdown = "EHOSTDOWN",
        /// No route to the host.
        Ehostunreach = "EHOSTUNREACH",
        /// The host name could not be resolved for now (a temporary DNS failure).
        EaiAgain = "EAI_AGAIN",
        /// The host name does not resolve.
        Enotfound = "ENOTFOUND",
    }
}

impl SocketCode {
    /// The errno Node reports with the code, negated as libuv does (Linux numbering; the
    /// resolver's codes have libuv's own numbers).
    pub fn errno(self) -> i32 {
        -match self {
            SocketCode::Eperm => 1,
            SocketCode::Eintr => 4,
            SocketCode::Eio => 5,
            SocketCode::Ebadf => 9,
            SocketCode::Eagain => 11,
            SocketCode::Enomem => 12,
            SocketCode::Eacces => 13,
            SocketCode::Einval => 22,
            SocketCode::Enfile => 23,
            SocketCode::Emfile => 24,
            SocketCode::Epipe => 32,
            SocketCode::Eproto => 71,
            SocketCode::Eaddrinuse => 98,
            SocketCode::Eaddrnotavail => 99,
            SocketCode::Enetdown => 100,
            SocketCode::Enetunreach => 101,
            SocketCode::Econnaborted => 103,
            SocketCode::Econnreset => 104,
            SocketCode::Enobufs => 105,
            SocketCode::Enotconn => 107,
            SocketCode::Etimedout => 110,
            SocketCode::Econnrefused => 111,
            SocketCode::Ehostdown => 112,
            SocketCode::Ehostunreach => 113,
            SocketCode::EaiAgain => 3001,
            SocketCode::Enotfound => 3008,
        }
    }

    /// The code of a Linux OS error number, if it is one Node users see on sockets.
    fn from_os_error(n: i32) -> Option<SocketCode> {
        if !cfg!(target_os = "linux") || n <= 0 || n >= 3000 {
            return None;
        }
        SocketCode::ALL.iter().copied().find(|c| c.errno() == -n)
    }
}

crate::codes::error_codes! {
    /// TLS failures, with the codes Node's `tls` module (OpenSSL) gives them.
    pub enum TlsCode {
        /// The tls option cannot be used (bad PEM, a key without its certificate, …); nothing was sent.
        BadConfig = "ERR_TLS_BAD_CONFIG",
        /// The server's certificate is self-signed and not trusted.
        DepthZeroSelfSigned = "DEPTH_ZERO_SELF_SIGNED_CERT",
        /// The server's chain holds a self-signed certificate that is not trusted.
        SelfSignedInChain = "SELF_SIGNED_CERT_IN_CHAIN",
        /// The server sent only its own certificate and its issuer is not trusted.
        UnableToVerifyLeaf = "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        /// The issuer of the server's chain is not trusted.
        UnableToGetIssuer = "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
        /// The server's certificate does not name the host (or tls.servername).
        AltnameInvalid = "ERR_TLS_CERT_ALTNAME_INVALID",
        /// The server's certificate has expired.
        CertExpired = "CERT_HAS_EXPIRED",
        /// The server's certificate is not valid yet.
        CertNotYetValid = "CERT_NOT_YET_VALID",
        /// The server's certificate is revoked.
        CertRevoked = "CERT_REVOKED",
        /// A signature in the server's chain does not verify.
        CertSignatureFailure = "CERT_SIGNATURE_FAILURE",
        /// The server's certificate is not meant for a TLS server.
        InvalidPurpose = "INVALID_PURPOSE",
        /// The server's certificate is invalid for another reason.
        CertInvalid = "ERR_TLS_CERT_INVALID",
        /// The server does not speak TLS on this port.
        WrongVersionNumber = "ERR_SSL_WRONG_VERSION_NUMBER",
        /// The TLS handshake failed for another reason.
        Handshake = "ERR_TLS_HANDSHAKE",
        /// A TLS failure after the handshake.
        Protocol = "ERR_TLS_PROTOCOL",
        /// The server sent the alert handshake_failure.
        AlertHandshakeFailure = "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
        /// The server sent the alert bad_certificate (it refused our client certificate).
        AlertBadCertificate = "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
        /// The server sent the alert certificate_unknown.
        AlertCertificateUnknown = "ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN",
        /// The server sent the alert certificate_expired (our client certificate expired).
        AlertCertificateExpired = "ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED",
        /// The server sent the alert unexpected_message.
        AlertUnexpectedMessage = "ERR_SSL_SSLV3_ALERT_UNEXPECTED_MESSAGE",
        /// The server sent the alert unknown_ca (it does not trust our client certificate's issuer).
        AlertUnknownCa = "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
        /// The server sent the alert access_denied.
        AlertAccessDenied = "ERR_SSL_TLSV1_ALERT_ACCESS_DENIED",
        /// The server sent the alert decrypt_error.
        AlertDecryptError = "ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR",
        /// The server sent the alert protocol_version (no TLS version in common).
        AlertProtocolVersion = "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION",
        /// The server sent the alert internal_error.
        AlertInternalError = "ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR",
        /// The server sent the alert certificate_required (it wants a client certificate).
        AlertCertificateRequired = "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
        /// The server sent another fatal alert.
        AlertReceived = "ERR_TLS_ALERT_RECEIVED",
    }
}

/// Maps an I/O error to Node's code and (negative) errno: by OS error number where there is one
/// (Linux numbering, which is what libuv reports on Linux), else by `io::ErrorKind`.
pub fn classify(err: &io::Error) -> (SocketCode, i32) {
    if let Some(n) = err.raw_os_error() {
        if let Some(code) = SocketCode::from_os_error(n) {
            return (code, -n);
        }
    }
    let code = match err.kind() {
        io::ErrorKind::ConnectionRefused => SocketCode::Econnrefused,
        io::ErrorKind::ConnectionReset => SocketCode::Econnreset,
        io::ErrorKind::ConnectionAborted => SocketCode::Econnaborted,
        io::ErrorKind::NotConnected => SocketCode::Enotconn,
        io::ErrorKind::AddrInUse => SocketCode::Eaddrinuse,
        io::ErrorKind::AddrNotAvailable => SocketCode::Eaddrnotavail,
        io::ErrorKind::BrokenPipe => SocketCode::Epipe,
        io::ErrorKind::TimedOut => SocketCode::Etimedout,
        io::ErrorKind::PermissionDenied => SocketCode::Eacces,
        io::ErrorKind::HostUnreachable => SocketCode::Ehostunreach,
        io::ErrorKind::NetworkUnreachable => SocketCode::Enetunreach,
        io::ErrorKind::NetworkDown => SocketCode::Enetdown,
        io::ErrorKind::UnexpectedEof => SocketCode::Econnreset,
        io::ErrorKind::InvalidInput => SocketCode::Einval,
        _ => SocketCode::Eio,
    };
    (code, code.errno())
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
        assert_eq!(classify(&e), (SocketCode::Econnreset, -104));
        // A number Node users do not see on sockets falls back to the kind.
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(classify(&e), (SocketCode::Eio, -5));
    }

    #[test]
    fn socket_codes_have_distinct_errnos() {
        let mut errnos: Vec<i32> = SocketCode::ALL.iter().map(|c| c.errno()).collect();
        assert!(errnos.iter().all(|&n| n < 0));
        errnos.sort_unstable();
        errnos.dedup();
        assert_eq!(errnos.len(), SocketCode::ALL.len());
        for c in SocketCode::ALL {
            if c.errno() > -3000 {
                assert_eq!(SocketCode::from_os_error(-c.errno()), Some(*c));
            }
        }
    }

    #[test]
    fn failed_lookup_is_enotfound() {
        let e = io::Error::other("failed to lookup address information: Name or service not known");
        let t = TransportError::lookup(&e, "no.such.host.invalid");
        assert_eq!(t.code(), "ENOTFOUND");
        assert_eq!(t.to_string(), "getaddrinfo ENOTFOUND no.such.host.invalid");
    }
}
