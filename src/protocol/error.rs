//! Errors of the protocol room. Each variant has a stable upper-case code (see
//! [`ProtocolError::code`]) that the binding exposes to JavaScript as `err.code`.

use thiserror::Error;

/// Everything that can go wrong while encoding or decoding Gearman bytes.
#[derive(Error, Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The buffer given to encode into cannot hold the whole packet.
    #[error("packet of {needed} bytes does not fit the {available} bytes given")]
    BufferTooSmall {
        /// Whole packet size in bytes, header included.
        needed: usize,
        /// Room in the buffer.
        available: usize,
    },
    /// A complete packet header does not start with the expected magic.
    #[error("bad magic 0x{found:08x} in packet header")]
    BadMagic {
        /// The first four header bytes, big-endian.
        found: u32,
    },
    /// A packet (claimed by a header, or being encoded) is larger than the limit.
    #[error("packet of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Whole packet size in bytes, header included.
        size: u64,
        /// The limit in force, header included.
        max: usize,
    },
    /// A complete packet carries a type code that is not in the packet table.
    #[error("unknown packet type {code}")]
    UnknownType {
        /// The type code found in the header.
        code: u32,
    },
    /// A text argument (name, unique id, handle, number) contains a NUL byte.
    #[error("NUL byte in argument '{arg}' of {packet}")]
    NulInArgument {
        /// Name of the packet type being encoded.
        packet: &'static str,
        /// Name of the offending argument.
        arg: &'static str,
    },
    /// Fewer than the 12 header bytes where a whole header is required.
    #[error("buffer of {len} bytes is shorter than a packet header")]
    ShortBuffer {
        /// Length of the buffer that was given.
        len: usize,
    },
    /// A parse format string contains a letter other than `N`, `n`, `L`, `b`.
    // The message keeps gearmanode's spelling: applications match on it.
    #[error("unknow format: {format}")]
    UnknownFormat {
        /// The whole format string.
        format: String,
    },
    /// An admin command argument is empty or contains whitespace, a control byte or NUL.
    #[error("invalid argument for admin command '{command}': {arg:?}")]
    AdminBadArgument {
        /// The admin command being encoded.
        command: &'static str,
        /// The rejected argument.
        arg: String,
    },
    /// An admin reply line is longer than the configured limit.
    #[error("admin reply line longer than {max} bytes")]
    AdminLineTooLong {
        /// The line length limit in bytes.
        max: usize,
    },
    /// A multi-line admin reply is larger than the configured limit.
    #[error("admin reply larger than {max} bytes")]
    AdminReplyTooLarge {
        /// The reply size limit in bytes.
        max: usize,
    },
    /// Admin reply bytes arrived while no command was waiting for a reply.
    #[error("unexpected admin reply: {line:?}")]
    AdminUnexpectedReply {
        /// The first line of the unexpected reply (possibly cut).
        line: String,
    },
    /// An admin reply line does not have the shape its command promises.
    #[error("malformed reply to admin command '{command}': {line:?}")]
    AdminBadReply {
        /// The admin command whose reply was being parsed.
        command: &'static str,
        /// The offending line.
        line: String,
    },
    /// The server answered an admin command with `ERR <code> <message>`.
    #[error("admin command failed: {code} {message}")]
    AdminServerError {
        /// The server's error code, e.g. `UNKNOWN_COMMAND`.
        code: String,
        /// The server's message with `+` turned back into spaces.
        message: String,
    },
}

crate::codes::error_codes! {
    /// The code of each [`ProtocolError`] variant (`err.code` in JavaScript).
    pub enum ProtocolCode {
        /// A buffer given to encode into cannot hold the whole packet.
        BufferTooSmall = "GEARMAN_BUFFER_TOO_SMALL",
        /// A packet header from the server does not start with the expected magic: the stream is out of sync.
        BadMagic = "GEARMAN_BAD_MAGIC",
        /// A packet is larger than the limit (maxPacketSize, or what a u32 length can describe).
        TooLarge = "GEARMAN_PACKET_TOO_LARGE",
        /// A complete packet carries a type code that is not in the packet table.
        UnknownType = "GEARMAN_UNKNOWN_TYPE",
        /// A function name, unique id, handle or other text argument contains NUL.
        NulInArgument = "GEARMAN_NUL_IN_ARGUMENT",
        /// A buffer is shorter than the 12 bytes of a packet header.
        ShortBuffer = "GEARMAN_SHORT_BUFFER",
        /// A parse format contains a letter other than N, n, L, b.
        UnknownFormat = "GEARMAN_UNKNOWN_FORMAT",
        /// An admin command argument is empty or contains whitespace, a control byte or NUL.
        AdminBadArgument = "GEARMAN_ADMIN_BAD_ARGUMENT",
        /// An admin reply line is longer than the limit.
        AdminLineTooLong = "GEARMAN_ADMIN_LINE_TOO_LONG",
        /// A multi-line admin reply is larger than the limit.
        AdminReplyTooLarge = "GEARMAN_ADMIN_REPLY_TOO_LARGE",
        /// Admin reply bytes arrived while no command was waiting for a reply.
        AdminUnexpectedReply = "GEARMAN_ADMIN_UNEXPECTED_REPLY",
        /// An admin reply line does not have the shape its command promises.
        AdminBadReply = "GEARMAN_ADMIN_BAD_REPLY",
        /// The server answered an admin command with ERR (its own code is kept apart).
        AdminServerError = "GEARMAN_ADMIN_SERVER_ERROR",
    }
}

impl ProtocolError {
    /// The variant's code.
    pub fn kind(&self) -> ProtocolCode {
        match self {
            Self::BadMagic { .. } => ProtocolCode::BadMagic,
            Self::TooLarge { .. } => ProtocolCode::TooLarge,
            Self::BufferTooSmall { .. } => ProtocolCode::BufferTooSmall,
            Self::UnknownType { .. } => ProtocolCode::UnknownType,
            Self::NulInArgument { .. } => ProtocolCode::NulInArgument,
            Self::ShortBuffer { .. } => ProtocolCode::ShortBuffer,
            Self::UnknownFormat { .. } => ProtocolCode::UnknownFormat,
            Self::AdminBadArgument { .. } => ProtocolCode::AdminBadArgument,
            Self::AdminLineTooLong { .. } => ProtocolCode::AdminLineTooLong,
            Self::AdminReplyTooLarge { .. } => ProtocolCode::AdminReplyTooLarge,
            Self::AdminUnexpectedReply { .. } => ProtocolCode::AdminUnexpectedReply,
            Self::AdminBadReply { .. } => ProtocolCode::AdminBadReply,
            Self::AdminServerError { .. } => ProtocolCode::AdminServerError,
        }
    }

    /// Stable machine-readable code of the variant (becomes `err.code` in JavaScript).
    pub fn code(&self) -> &'static str {
        self.kind().as_str()
    }

    /// Whether a stream that produced this error can go on being decoded.
    ///
    /// Framing errors (bad magic, oversize header, broken admin framing) leave no way to find
    /// the next packet or reply, so the connection must be dropped; the others concern one
    /// packet or reply that was consumed whole.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::BadMagic { .. }
                | Self::TooLarge { .. }
                | Self::AdminLineTooLong { .. }
                | Self::AdminReplyTooLarge { .. }
                | Self::AdminUnexpectedReply { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_error_codes_are_distinct_and_upper_case() {
        let all = [
            ProtocolError::BufferTooSmall {
                needed: 13,
                available: 12,
            },
            ProtocolError::BadMagic { found: 1 },
            ProtocolError::TooLarge { size: 1, max: 0 },
            ProtocolError::UnknownType { code: 99 },
            ProtocolError::NulInArgument {
                packet: "CAN_DO",
                arg: "function",
            },
            ProtocolError::ShortBuffer { len: 3 },
            ProtocolError::UnknownFormat { format: "x".into() },
            ProtocolError::AdminBadArgument {
                command: "cancel job",
                arg: "a b".into(),
            },
            ProtocolError::AdminLineTooLong { max: 1 },
            ProtocolError::AdminReplyTooLarge { max: 1 },
            ProtocolError::AdminUnexpectedReply { line: "x".into() },
            ProtocolError::AdminBadReply {
                command: "status",
                line: "x".into(),
            },
            ProtocolError::AdminServerError {
                code: "X".into(),
                message: String::new(),
            },
        ];
        let mut codes: Vec<&str> = all.iter().map(ProtocolError::code).collect();
        for c in &codes {
            assert!(c.starts_with("GEARMAN_"), "{c}");
            assert!(
                c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_'),
                "{c}"
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        // Every code of the registry is the code of a variant, and the other way round.
        let mut registry: Vec<&str> = ProtocolCode::ALL.iter().map(|c| c.as_str()).collect();
        registry.sort_unstable();
        assert_eq!(registry, codes);
    }

    #[test]
    fn protocol_error_unknown_format_keeps_gearmanode_message() {
        let e = ProtocolError::UnknownFormat {
            format: "nx".into(),
        };
        assert_eq!(e.to_string(), "unknow format: nx");
    }
}
