//! Unit tests of the TLS configuration and of the error mapping. The certificates below were
//! made once with the `openssl` CLI (P-256, valid for 100 years): a CA, a leaf for
//! `localhost`/127.0.0.1 signed by it, the leaf's key, a self-signed leaf and an unrelated key.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, Error as TlsError};

use super::*;

const CA: &str = "-----BEGIN CERTIFICATE-----
MIIBqzCCAVGgAwIBAgIUf2eUrZCsTORVyBx/6zRIcsQve7swCgYIKoZIzj0EAwIw
IjEgMB4GA1UEAwwXZ2Vhcm1hbm9kZSB1bml0IHRlc3QgQ0EwIBcNMjYxMTI4MDky
ODIzWhgPMjEyNjExMDQwOTI4MjNaMCIxIDAeBgNVBAMMF2dlYXJtYW5vZGUgdW5p
dCB0ZXN0IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExN9cc+NM/plGmC9q
4H5RfVCaMRNxWGLN8e9a4RDO7yTUNv7DyQ/U5yul6YGBwh8ouhUuw442tbu9Axkf
zqsBI6NjMGEwHQYDVR0OBBYEFCFCPDWWrgOpDOKwWjl479bL3lWWMB8GA1UdIwQY
MBaAFCFCPDWWrgOpDOKwWjl479bL3lWWMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0P
AQH/BAQDAgEGMAoGCCqGSM49BAMCA0gAMEUCIQCmtR16WcDMenKEFSmYgnkIZbYC
6QcFyCBu/8sB9XHnXgIgJ2PVeLTn1DQf7DyGNUO8avl2MXGmmHDxQXMILBGFEP0=
-----END CERTIFICATE-----\n";
const LEAF: &str = "-----BEGIN CERTIFICATE-----
MIIBpDCCAUmgAwIBAgIUNruDn17I5rXJ4FkO4FCatzHCxFYwCgYIKoZIzj0EAwIw
IjEgMB4GA1UEAwwXZ2Vhcm1hbm9kZSB1bml0IHRlc3QgQ0EwIBcNMjYxMTI4MDky
ODIzWhgPMjEyNjExMDQwOTI4MjNaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABNX5InYoeYgnaYQff1loDSa5Ze2I1QHfkj65
Bg05LLoEedasdrq7DvDXd7gkT/7G1NG4Ty8yRNqa4/Uhe7IbE0yjaTBnMBoGA1Ud
EQQTMBGCCWxvY2FsaG9zdIcEfwAAATAJBgNVHRMEAjAAMB0GA1UdDgQWBBTUEwId
5W4IMZHxhKJonjfqkBKmozAfBgNVHSMEGDAWgBQhQjw1lq4DqQzisFo5eO/Wy95V
ljAKBggqhkjOPQQDAgNJADBGAiEA8bnizCL/szPRWK+Qf/12R+ZZMwxkI+so3r2A
6EaY1jkCIQCr3zR4NC8+ZKDpTEM6uewUgaVa3sYkeCxdYhGvmd+EVw==
-----END CERTIFICATE-----\n";
const LEAF_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9gnlthKEd+yCDpeL
O0y0KwnOtnGqVicQIw6RgmisCxqhRANCAATV+SJ2KHmIJ2mEH39ZaA0muWXtiNUB
35I+uQYNOSy6BHnWrHa6uw7w13e4JE/+xtTRuE8vMkTamuP1IXuyGxNM
-----END PRIVATE KEY-----\n";
const SELF_SIGNED: &str = "-----BEGIN CERTIFICATE-----
MIIBjjCCATWgAwIBAgIUZBP/jl3uRwrNrBYNDrpK9Am7LNcwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyODA5MjkzNloYDzIxMjYxMTA0
MDkyOTM2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATV+SJ2KHmIJ2mEH39ZaA0muWXtiNUB35I+uQYNOSy6BHnWrHa6uw7w
13e4JE/+xtTRuE8vMkTamuP1IXuyGxNMo2MwYTAdBgNVHQ4EFgQU1BMCHeVuCDGR
8YSiaJ436pASpqMwHwYDVR0jBBgwFoAU1BMCHeVuCDGR8YSiaJ436pASpqMwCQYD
VR0TBAIwADAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwIDRwAwRAIg
VBK4npgVftK1+quJL5rs7jvOLaocD2iaFNzDl9Cz6NgCIGXNgTvUB7BZVvqyo58/
dEOSAnHtusZKiiKIWgHqiDsU
-----END CERTIFICATE-----\n";
const OTHER_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgXyjvnYXO894shTsy
3EzqSBTN1LF1uLAxGpG4afJV2RyhRANCAAS7FggGfYGb4Q5tRiavoLbX7tj2W4zk
sokF+UoWksCLvQfoZHkKgwG/uZXQwLaNsA3ZjwQ2EVXkoHp6xc1lmPU+
-----END PRIVATE KEY-----\n";

fn opts() -> TlsOptions {
    TlsOptions {
        reject_unauthorized: true,
        ..TlsOptions::default()
    }
}

fn bad_config_message(r: Result<TlsSetup, TransportError>) -> String {
    match r {
        Err(TransportError::Tls { code, message }) => {
            assert_eq!(code, "ERR_TLS_BAD_CONFIG", "{message}");
            message
        }
        Err(e) => panic!("unexpected error {e:?}"),
        Ok(_) => panic!("configuration accepted"),
    }
}

#[test]
fn tls_true_uses_the_host_as_server_name() {
    let s = setup(&opts(), "gm.example").expect("config");
    assert_eq!(
        s.server_name,
        ServerName::try_from("gm.example").expect("name")
    );
    let s = setup(&opts(), "127.0.0.1").expect("config");
    assert!(matches!(s.server_name, ServerName::IpAddress(_)));
}

#[test]
fn servername_overrides_the_host() {
    let o = TlsOptions {
        servername: Some("gm.example".into()),
        ..opts()
    };
    let s = setup(&o, "127.0.0.1").expect("config");
    assert_eq!(
        s.server_name,
        ServerName::try_from("gm.example").expect("name")
    );
}

#[test]
fn ca_and_client_certificate_build() {
    let o = TlsOptions {
        ca: vec![CA.into()],
        cert: Some(LEAF.into()),
        key: Some(LEAF_KEY.into()),
        ..opts()
    };
    let s = setup(&o, "localhost").expect("config");
    assert!(s.config.client_auth_cert_resolver.has_certs());
    let o = TlsOptions {
        ca: vec![CA.into(), format!("{CA}{LEAF}")],
        ..opts()
    };
    assert!(!setup(&o, "localhost")
        .expect("config")
        .config
        .client_auth_cert_resolver
        .has_certs());
}

#[test]
fn ca_without_a_certificate_is_refused() {
    let msg = bad_config_message(setup(
        &TlsOptions {
            ca: vec!["hello".into()],
            ..opts()
        },
        "localhost",
    ));
    assert!(
        msg.contains("tls.ca") && msg.contains("no PEM certificate"),
        "{msg}"
    );
    let msg = bad_config_message(setup(
        &TlsOptions {
            ca: vec![LEAF_KEY.into()],
            ..opts()
        },
        "localhost",
    ));
    assert!(msg.contains("no PEM certificate"), "{msg}");
}

#[test]
fn broken_pem_is_refused() {
    let broken = CA.replace("MIIB", "M!!B");
    let msg = bad_config_message(setup(
        &TlsOptions {
            ca: vec![broken],
            ..opts()
        },
        "localhost",
    ));
    assert!(msg.contains("tls.ca: bad PEM"), "{msg}");
    let unterminated = CA.replace("-----END CERTIFICATE-----", "");
    let msg = bad_config_message(setup(
        &TlsOptions {
            ca: vec![unterminated],
            ..opts()
        },
        "localhost",
    ));
    assert!(msg.contains("tls.ca: bad PEM"), "{msg}");
    let o = TlsOptions {
        cert: Some("nothing here".into()),
        key: Some(LEAF_KEY.into()),
        ..opts()
    };
    let msg = bad_config_message(setup(&o, "localhost"));
    assert!(msg.contains("tls.cert"), "{msg}");
}

#[test]
fn a_lone_cert_or_key_is_refused() {
    let msg = bad_config_message(setup(
        &TlsOptions {
            cert: Some(LEAF.into()),
            ..opts()
        },
        "localhost",
    ));
    assert!(msg.contains("without tls.key"), "{msg}");
    let msg = bad_config_message(setup(
        &TlsOptions {
            key: Some(LEAF_KEY.into()),
            ..opts()
        },
        "localhost",
    ));
    assert!(msg.contains("without tls.cert"), "{msg}");
}

#[test]
fn a_bad_or_mismatched_key_is_refused() {
    let o = TlsOptions {
        cert: Some(LEAF.into()),
        key: Some(CA.into()),
        ..opts()
    };
    let msg = bad_config_message(setup(&o, "localhost"));
    assert!(msg.contains("tls.key: no usable PEM private key"), "{msg}");
    let o = TlsOptions {
        cert: Some(LEAF.into()),
        key: Some(OTHER_KEY.into()),
        ..opts()
    };
    let msg = bad_config_message(setup(&o, "localhost"));
    assert!(msg.contains("tls.cert/tls.key"), "{msg}");
}

#[test]
fn an_invalid_server_name_is_refused() {
    let msg = bad_config_message(setup(
        &TlsOptions {
            servername: Some("bad name!".into()),
            ..opts()
        },
        "x",
    ));
    assert!(msg.contains("invalid TLS server name"), "{msg}");
}

#[test]
fn debug_output_hides_the_key() {
    let o = TlsOptions {
        cert: Some(LEAF.into()),
        key: Some(LEAF_KEY.into()),
        ..opts()
    };
    let text = format!("{o:?}");
    assert!(
        text.contains("<redacted>") && !text.contains("PRIVATE KEY"),
        "{text}"
    );
}

fn der(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).expect("certificate")
}

fn verifier(ca: &str) -> NodeVerifier {
    let mut roots = RootCertStore::empty();
    roots.add(der(ca)).expect("root");
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .expect("verifier");
    NodeVerifier { inner }
}

fn verify(
    v: &dyn ServerCertVerifier,
    leaf: &str,
    chain: &[&str],
    name: &str,
) -> Result<(), TransportError> {
    let chain: Vec<CertificateDer<'static>> = chain.iter().map(|p| der(p)).collect();
    let name = ServerName::try_from(name.to_string()).expect("name");
    v.verify_server_cert(&der(leaf), &chain, &name, &[], UnixTime::now())
        .map(|_| ())
        .map_err(|e| from_rustls(&e, true))
}

fn code(r: Result<(), TransportError>) -> &'static str {
    r.expect_err("must fail").code()
}

#[test]
fn unknown_issuers_get_openssl_codes() {
    // Trusting the leaf's own certificate as a root does not make its issuer known.
    let v = verifier(LEAF);
    assert_eq!(
        code(verify(&v, LEAF, &[], "localhost")),
        "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
    );
    assert_eq!(
        code(verify(&v, LEAF, &[CA], "localhost")),
        "SELF_SIGNED_CERT_IN_CHAIN"
    );
    assert_eq!(
        code(verify(&verifier(CA), SELF_SIGNED, &[], "localhost")),
        "DEPTH_ZERO_SELF_SIGNED_CERT"
    );
    assert_eq!(
        code(verify(&v, LEAF, &[LEAF], "localhost")),
        "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
    );
}

#[test]
fn trusted_chain_and_names() {
    let v = verifier(CA);
    verify(&v, LEAF, &[], "localhost").expect("trusted");
    verify(&v, LEAF, &[], "127.0.0.1").expect("trusted by IP");
    let err = verify(&v, LEAF, &[], "wrong.example").expect_err("wrong name");
    assert_eq!(err.code(), "ERR_TLS_CERT_ALTNAME_INVALID");
    let msg = err.to_string();
    assert!(
        msg.contains("Host: wrong.example.")
            && msg.contains("DNS:localhost")
            && msg.contains("IP Address:127.0.0.1"),
        "{msg}"
    );
    let none = NoVerifier {
        provider: provider(),
    };
    verify(&none, LEAF, &[], "wrong.example").expect("rejectUnauthorized: false accepts");
}

#[test]
fn rustls_errors_map_to_node_codes() {
    let alert = TlsError::AlertReceived(AlertDescription::CertificateRequired);
    assert_eq!(
        from_rustls(&alert, false).code(),
        "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"
    );
    assert_eq!(
        from_rustls(&alert, false).to_string(),
        "TLS alert from the server: certificate required (alert number 116)"
    );
    let unknown_ca = from_rustls(&TlsError::AlertReceived(AlertDescription::UnknownCA), true);
    assert_eq!(
        unknown_ca.to_string(),
        "TLS alert from the server: unknown ca (alert number 48)"
    );
    let expired = TlsError::InvalidCertificate(CertificateError::Expired);
    assert_eq!(from_rustls(&expired, true).code(), "CERT_HAS_EXPIRED");
    let plain = TlsError::InvalidMessage(InvalidMessage::InvalidContentType);
    assert_eq!(
        from_rustls(&plain, true).code(),
        "ERR_SSL_WRONG_VERSION_NUMBER"
    );
    let other = TlsError::DecryptError;
    assert_eq!(from_rustls(&other, true).code(), "ERR_TLS_HANDSHAKE");
    assert_eq!(from_rustls(&other, false).code(), "ERR_TLS_PROTOCOL");
}

#[test]
fn io_errors_of_a_tls_stream_keep_their_tls_code() {
    let wrapped = io::Error::new(
        io::ErrorKind::InvalidData,
        TlsError::AlertReceived(AlertDescription::UnknownCA),
    );
    assert_eq!(
        handshake_error(&wrapped, "h", 1).code(),
        "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"
    );
    assert_eq!(
        TransportError::socket(&wrapped, Syscall::Read).code(),
        "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"
    );
    let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "tls handshake eof");
    let e = handshake_error(&eof, "127.0.0.1", 4730);
    assert_eq!(e.code(), "ECONNRESET");
    assert!(e
        .to_string()
        .contains("before secure TLS connection was established"));
    let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
    assert_eq!(
        handshake_error(&refused, "127.0.0.1", 4731).code(),
        "ECONNREFUSED"
    );
}
