//! How the core's errors reach JavaScript, and the registry of their codes.
//!
//! A call that fails throws an `Error` whose `code` is set here (napi turns the status of a
//! `napi::Error<S>` into `err.code`), so JavaScript reads `err.code` and never parses a message.
//! Connection failures arrive as `error` events built the same way (see `values::error`).
//! `errorCodes()` lists every code the core can produce, from the enums that define them.

use std::sync::atomic::{AtomicBool, Ordering};

use napi_derive::napi;

use crate::codes::{Codes, CoreCode};
use crate::protocol::error::{ProtocolCode, ProtocolError};
use crate::transport::{SocketCode, TlsCode};

/// An error thrown to JavaScript: its status is the code (`err.code`).
pub type CodedError = napi::Error<&'static str>;

/// The result of every `#[napi]` entry point that can fail.
pub type Result<T> = std::result::Result<T, CodedError>;

/// An error with one of the core's own codes.
pub fn core_error(code: CoreCode, message: impl Into<String>) -> CodedError {
    napi::Error::new(code.as_str(), message.into())
}

/// A caller's argument the core cannot use (`GEARMAN_INVALID_ARGUMENT`).
pub fn invalid(message: impl Into<String>) -> CodedError {
    core_error(CoreCode::InvalidArgument, message)
}

/// A failure napi reported while converting a JS value or calling into the environment: the
/// caller passed something the core cannot use (`GEARMAN_INVALID_ARGUMENT`, napi's message).
pub fn unconvertible(e: napi::Error) -> CodedError {
    invalid(e.reason.clone())
}

impl From<ProtocolError> for CodedError {
    fn from(e: ProtocolError) -> Self {
        napi::Error::new(e.code(), e.to_string())
    }
}

/// Whether the test hooks (`panicForTest`, `emitTestLog`) work: only when the environment variable
/// `GEARMANODE_TEST_HOOKS` was `1` when the addon loaded (the test suite sets it). Read once, at
/// load, so that a running application cannot switch them on.
static TEST_HOOKS: AtomicBool = AtomicBool::new(false);

/// The environment variable that enables the test hooks.
pub const TEST_HOOKS_VAR: &str = "GEARMANODE_TEST_HOOKS";

/// Reads [`TEST_HOOKS_VAR`]; called once when the addon loads.
pub fn init_test_hooks() {
    let on = test_hooks_wanted(std::env::var(TEST_HOOKS_VAR).ok().as_deref());
    TEST_HOOKS.store(on, Ordering::Relaxed);
}

fn test_hooks_wanted(value: Option<&str>) -> bool {
    value == Some("1")
}

/// `Ok` when the test hooks are on; the `GEARMAN_TEST_HOOKS_OFF` error naming `hook` otherwise.
pub fn test_hook(hook: &str) -> Result<()> {
    if TEST_HOOKS.load(Ordering::Relaxed) {
        Ok(())
    } else {
        Err(core_error(
            CoreCode::TestHooksOff,
            format!("{hook} is a test hook: it works only when {TEST_HOOKS_VAR}=1 is set before the addon loads"),
        ))
    }
}

/// One code the core can produce.
#[napi(object)]
pub struct ErrorCodeInfo {
    /// The code (`err.code`).
    pub code: String,
    /// Where it comes from: `'socket'` (Node's codes for socket and resolver failures), `'tls'`
    /// (Node's TLS codes), `'protocol'` (Gearman bytes and the admin protocol) or `'core'`.
    pub origin: String,
    /// What it means, in one line.
    pub description: String,
}

/// Every code, with its origin and description, in registry order.
pub fn all_codes() -> Vec<(&'static str, &'static str, &'static str)> {
    fn entries<C: Codes>(
        origin: &'static str,
    ) -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
        C::all()
            .iter()
            .map(move |c| (c.code(), origin, c.describe()))
    }
    entries::<SocketCode>("socket")
        .chain(entries::<TlsCode>("tls"))
        .chain(entries::<ProtocolCode>("protocol"))
        .chain(entries::<CoreCode>("core"))
        .collect()
}

/// Every error code the core can produce (as `err.code` of a thrown error or an `error` event),
/// with where it comes from and what it means.
#[napi(catch_unwind)]
pub fn error_codes() -> Vec<ErrorCodeInfo> {
    all_codes()
        .into_iter()
        .map(|(code, origin, description)| ErrorCodeInfo {
            code: code.to_string(),
            origin: origin.to_string(),
            description: description.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_codes_are_unique_and_described() {
        let all = all_codes();
        let mut codes: Vec<&str> = all.iter().map(|c| c.0).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len(), "a code appears twice");
        for (code, _, description) in &all {
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{code}"
            );
            assert!(
                !description.is_empty() && !description.contains('\n'),
                "{code}"
            );
        }
        assert!(codes.contains(&"ECONNREFUSED"));
        assert!(codes.contains(&"GEARMAN_BAD_MAGIC"));
        assert!(codes.contains(&"ERR_TLS_CERT_ALTNAME_INVALID"));
        assert!(codes.contains(&"GEARMAN_INTERNAL"));
    }

    #[test]
    fn test_hooks_need_exactly_one() {
        assert!(test_hooks_wanted(Some("1")));
        for v in [
            None,
            Some(""),
            Some("0"),
            Some("true"),
            Some("yes"),
            Some(" 1"),
        ] {
            assert!(!test_hooks_wanted(v), "{v:?}");
        }
    }

    #[test]
    fn protocol_errors_keep_their_code() {
        let e = CodedError::from(ProtocolError::ShortBuffer { len: 3 });
        assert_eq!(e.status, "GEARMAN_SHORT_BUFFER");
        assert_eq!(
            e.reason,
            "buffer of 3 bytes is shorter than a packet header"
        );
    }
}
