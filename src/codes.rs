//! Error codes as data: every code the core can give an error (`err.code` in JavaScript) is a
//! variant of an enum declared with `error_codes!`, whose doc line is the code's description.
//! The binding's `errorCodes()` lists them all from these enums, so JavaScript, the TypeScript
//! declarations and their tests compare against the core itself rather than a copy.

/// Declares a fieldless enum of error codes. Each variant carries its code string and one doc
/// line, which becomes its description in the registry:
///
/// ```text
/// error_codes! {
///     /// Codes of this room.
///     pub enum RoomCode {
///         /// What went wrong, in one line.
///         Broken = "GEARMAN_BROKEN",
///     }
/// }
/// ```
///
/// Generates `ALL` (every variant in declaration order), `as_str()` and `description()`.
macro_rules! error_codes {
    (
        $(#[doc = $enum_doc:literal])*
        pub enum $name:ident {
            $(
                #[doc = $doc:literal]
                $variant:ident = $code:literal,
            )+
        }
    ) => {
        $(#[doc = $enum_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                #[doc = $doc]
                $variant,
            )+
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code as JavaScript sees it (`err.code`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// One line saying what the code means (the variant's doc line).
            pub fn description(self) -> &'static str {
                match self {
                    $($name::$variant => $doc.trim(),)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::codes::Codes for $name {
            fn all() -> &'static [Self] {
                Self::ALL
            }

            fn code(self) -> &'static str {
                self.as_str()
            }

            fn describe(self) -> &'static str {
                self.description()
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

pub(crate) use error_codes;

/// What every enum of `error_codes!` provides, for code that lists them all.
pub trait Codes: Copy + 'static {
    /// Every code, in declaration order.
    fn all() -> &'static [Self];
    /// The code as JavaScript sees it.
    fn code(self) -> &'static str;
    /// One line saying what it means.
    fn describe(self) -> &'static str;
}

error_codes! {
    /// Codes of the core itself, beyond the protocol and the sockets: faults, misuse of the
    /// addon's functions, and its test hooks.
    pub enum CoreCode {
        /// A fault inside the core (a caught panic); the connection concerned is given up.
        Internal = "GEARMAN_INTERNAL",
        /// A call into the core with an argument it cannot use (an unknown admin command, a port out of range, a connection started twice).
        InvalidArgument = "GEARMAN_INVALID_ARGUMENT",
        /// Another global tracing subscriber is installed in the process: the core's log lines cannot reach the library's logger.
        LogsNotRouted = "GEARMAN_LOGS_NOT_ROUTED",
        /// A test hook was used without GEARMAN_TEST_HOOKS=1 in the environment when the addon loaded.
        TestHooksOff = "GEARMAN_TEST_HOOKS_OFF",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_codes_have_code_and_description() {
        assert_eq!(CoreCode::ALL.len(), 4);
        assert_eq!(CoreCode::Internal.as_str(), "GEARMAN_INTERNAL");
        assert_eq!(CoreCode::Internal, "GEARMAN_INTERNAL");
        assert_eq!(CoreCode::Internal.to_string(), "GEARMAN_INTERNAL");
        assert!(CoreCode::TestHooksOff
            .description()
            .starts_with("A test hook was used"));
    }
}
