//! TLS to job servers: the rustls client configuration built from the user's options, and rustls
//! failures reported with the codes Node's `tls` module uses (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
//! `ERR_TLS_CERT_ALTNAME_INVALID`, …), so code written for Node's TLS sockets reads them as usual.
//!
//! The configuration is built when the connection starts: a bad PEM becomes that connection's
//! `error` event (`ERR_TLS_BAD_CONFIG`), never a throw.

use std::io;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, Error as TlsError,
    InvalidMessage, OtherError, RootCertStore, SignatureScheme,
};

use super::error::{SocketCode, Syscall, TlsCode, TransportError};

/// What the user asked for with the `tls` option.
#[derive(Clone, Default)]
pub struct TlsOptions {
    /// PEM texts of the certificate authorities to trust instead of the built-in (webpki) roots.
    pub ca: Vec<String>,
    /// PEM client certificate chain, for servers that ask for one (mutual TLS).
    pub cert: Option<String>,
    /// PEM private key of `cert`.
    pub key: Option<String>,
    /// Name to send (SNI) and to check the server's certificate against; the host by default.
    pub servername: Option<String>,
    /// Whether the server's certificate is verified (insecure when `false`).
    pub reject_unauthorized: bool,
}

impl std::fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key never reaches a log line.
        f.debug_struct("TlsOptions")
            .field("ca", &self.ca.len())
            .field("cert", &self.cert.is_some())
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("servername", &self.servername)
            .field("reject_unauthorized", &self.reject_unauthorized)
            .finish()
    }
}

/// A client configuration and the name the server must prove, ready for a handshake.
pub struct TlsSetup {
    /// The rustls configuration.
    pub config: Arc<ClientConfig>,
    /// Sent as SNI (for a DNS name) and checked against the certificate.
    pub server_name: ServerName<'static>,
}

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

fn bad_config(message: String) -> TransportError {
    TransportError::Tls {
        code: TlsCode::BadConfig,
        message,
    }
}

/// Builds the client configuration for a connection to `host`.
pub fn setup(opts: &TlsOptions, host: &str) -> Result<TlsSetup, TransportError> {
    let name = opts
        .servername
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(host);
    let server_name = ServerName::try_from(name.to_string())
        .map_err(|e| bad_config(format!("invalid TLS server name {name:?}: {e}")))?;
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad_config(format!("TLS protocol versions: {e}")))?;
    let verifier: Arc<dyn ServerCertVerifier> = if opts.reject_unauthorized {
        let roots = Arc::new(roots(&opts.ca)?);
        let inner = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| bad_config(format!("tls.ca: {e}")))?;
        Arc::new(NodeVerifier { inner })
    } else {
        Arc::new(NoVerifier { provider })
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&opts.cert, &opts.key) {
        (Some(cert), Some(key)) => {
            let chain = certificates(cert, "tls.cert")?;
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).map_err(|e| {
                bad_config(format!(
                    "tls.key: no usable PEM private key ({e}); encrypted keys are not supported"
                ))
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| bad_config(format!("tls.cert/tls.key: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        (Some(_), None) => return Err(bad_config("tls.cert is given without tls.key".into())),
        (None, Some(_)) => return Err(bad_config("tls.key is given without tls.cert".into())),
    };
    Ok(TlsSetup {
        config: Arc::new(config),
        server_name,
    })
}

/// Parses every certificate of a PEM text; at least one must be there.
fn certificates(pem: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, TransportError> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_config(format!("{what}: bad PEM ({e})")))?;
    if certs.is_empty() {
        return Err(bad_config(format!("{what}: no PEM certificate found")));
    }
    Ok(certs)
}

/// The trust anchors: the given CAs only (as in Node, `ca` replaces the defaults), else webpki's.
fn roots(ca: &[String]) -> Result<RootCertStore, TransportError> {
    if ca.is_empty() {
        return Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
    }
    let mut store = RootCertStore::empty();
    for pem in ca {
        for cert in certificates(pem, "tls.ca")? {
            store
                .add(cert)
                .map_err(|e| bad_config(format!("tls.ca: {e}")))?;
        }
    }
    Ok(store)
}

/// A certificate failure with Node's code and message, carried through rustls as `Other`.
#[derive(Debug)]
struct NodeCertError {
    code: TlsCode,
    message: &'static str,
}

impl std::fmt::Display for NodeCertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for NodeCertError {}

/// webpki's verification, with "unknown issuer" told apart the way OpenSSL (and so Node) does.
#[derive(Debug)]
struct NodeVerifier {
    inner: Arc<WebPkiServerVerifier>,
}

fn self_signed(der: &CertificateDer<'_>) -> bool {
    webpki::EndEntityCert::try_from(der).is_ok_and(|c| c.issuer() == c.subject())
}

impl ServerCertVerifier for NodeVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(TlsError::InvalidCertificate(CertificateError::UnknownIssuer)) => {
                let (code, message) = if intermediates.is_empty() && self_signed(end_entity) {
                    (TlsCode::DepthZeroSelfSigned, "self-signed certificate")
                } else if intermediates.iter().any(self_signed) {
                    (
                        TlsCode::SelfSignedInChain,
                        "self-signed certificate in certificate chain",
                    )
                } else if intermediates.is_empty() {
                    (
                        TlsCode::UnableToVerifyLeaf,
                        "unable to verify the first certificate",
                    )
                } else {
                    (
                        TlsCode::UnableToGetIssuer,
                        "unable to get local issuer certificate",
                    )
                };
                let other = OtherError(Arc::new(NodeCertError { code, message }));
                Err(TlsError::InvalidCertificate(CertificateError::Other(other)))
            }
            r => r,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `rejectUnauthorized: false`: any certificate is accepted (the handshake signatures are still
/// checked, so the peer holds the key of the certificate it shows, whoever it is).
#[derive(Debug)]
struct NoVerifier {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for NoVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The error for a failed handshake with `host:port`.
pub fn handshake_error(err: &io::Error, host: &str, port: u16) -> TransportError {
    if let Some(e) = rustls_error(err) {
        return from_rustls(e, true);
    }
    if err.kind() == io::ErrorKind::UnexpectedEof {
        // Node's words for a server that hangs up during the handshake (a plain-TCP port, say).
        return TransportError::Io {
            code: SocketCode::Econnreset,
            errno: SocketCode::Econnreset.errno(),
            syscall: Syscall::Connect,
            address: Some(host.to_string()),
            port: Some(port),
            message:
                "Client network socket disconnected before secure TLS connection was established"
                    .into(),
        };
    }
    TransportError::io(err, Syscall::Connect, host, port)
}

/// The rustls failure inside an I/O error of a TLS stream, if that is what it is.
pub fn rustls_error(err: &io::Error) -> Option<&TlsError> {
    err.get_ref()?.downcast_ref::<TlsError>()
}

/// Maps a rustls failure to Node's code and message.
pub fn from_rustls(e: &TlsError, handshaking: bool) -> TransportError {
    let (code, message) = match e {
        TlsError::InvalidCertificate(c) => certificate_error(c),
        TlsError::AlertReceived(a) => (alert_code(*a), alert_message(*a)),
        TlsError::InvalidMessage(
            InvalidMessage::InvalidContentType | InvalidMessage::UnknownProtocolVersion,
        ) => (
            TlsCode::WrongVersionNumber,
            format!("wrong version number: the server does not seem to speak TLS ({e})"),
        ),
        _ if handshaking => (TlsCode::Handshake, format!("TLS handshake failed: {e}")),
        _ => (TlsCode::Protocol, format!("TLS failure: {e}")),
    };
    TransportError::Tls { code, message }
}

fn certificate_error(c: &CertificateError) -> (TlsCode, String) {
    let (code, message): (TlsCode, &str) = match c {
        CertificateError::Other(OtherError(inner)) => match inner.downcast_ref::<NodeCertError>() {
            Some(n) => (n.code, n.message),
            None => (TlsCode::CertInvalid, ""),
        },
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => {
            let names: Vec<String> = presented.iter().map(|p| altname(p)).collect();
            let message = format!(
                "Hostname/IP does not match certificate's altnames: Host: {}. is not in the cert's altnames: {}",
                expected.to_str(),
                names.join(", ")
            );
            return (TlsCode::AltnameInvalid, message);
        }
        CertificateError::NotValidForName => (
            TlsCode::AltnameInvalid,
            "Hostname/IP does not match certificate's altnames",
        ),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            (TlsCode::CertExpired, "certificate has expired")
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            (TlsCode::CertNotYetValid, "certificate is not yet valid")
        }
        CertificateError::Revoked => (TlsCode::CertRevoked, "certificate revoked"),
        CertificateError::BadSignature => (
            TlsCode::CertSignatureFailure,
            "certificate signature failure",
        ),
        CertificateError::UnknownIssuer => (
            TlsCode::UnableToGetIssuer,
            "unable to get local issuer certificate",
        ),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            (TlsCode::InvalidPurpose, "unsupported certificate purpose")
        }
        _ => (TlsCode::CertInvalid, ""),
    };
    let message = if message.is_empty() {
        format!("invalid server certificate: {c:?}")
    } else {
        message.to_string()
    };
    (code, message)
}

/// webpki's `DnsName("x")` / `IpAddress(1.2.3.4)` as OpenSSL prints them: `DNS:x`, `IP Address:1.2.3.4`.
fn altname(presented: &str) -> String {
    if let Some(dns) = presented
        .strip_prefix("DnsName(\"")
        .and_then(|s| s.strip_suffix("\")"))
    {
        return format!("DNS:{dns}");
    }
    if let Some(ip) = presented
        .strip_prefix("IpAddress(")
        .and_then(|s| s.strip_suffix(')'))
    {
        return format!("IP Address:{ip}");
    }
    presented.to_string()
}

/// `CertificateRequired` → "TLS alert from the server: certificate required (alert number 116)".
fn alert_message(a: AlertDescription) -> String {
    let name = format!("{a:?}");
    let mut words = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if ch.is_ascii_uppercase() && prev_lower {
            words.push(' ');
        }
        prev_lower = ch.is_ascii_lowercase();
        words.push(ch.to_ascii_lowercase());
    }
    format!(
        "TLS alert from the server: {words} (alert number {})",
        u8::from(a)
    )
}

/// The code Node (OpenSSL) gives a fatal alert received from the server.
fn alert_code(a: AlertDescription) -> TlsCode {
    match a {
        AlertDescription::HandshakeFailure => TlsCode::AlertHandshakeFailure,
        AlertDescription::BadCertificate => TlsCode::AlertBadCertificate,
        AlertDescription::CertificateUnknown => TlsCode::AlertCertificateUnknown,
        AlertDescription::CertificateExpired => TlsCode::AlertCertificateExpired,
        AlertDescription::UnexpectedMessage => TlsCode::AlertUnexpectedMessage,
        AlertDescription::UnknownCA => TlsCode::AlertUnknownCa,
        AlertDescription::AccessDenied => TlsCode::AlertAccessDenied,
        AlertDescription::DecryptError => TlsCode::AlertDecryptError,
        AlertDescription::ProtocolVersion => TlsCode::AlertProtocolVersion,
        AlertDescription::InternalError => TlsCode::AlertInternalError,
        AlertDescription::CertificateRequired => TlsCode::AlertCertificateRequired,
        _ => TlsCode::AlertReceived,
    }
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
