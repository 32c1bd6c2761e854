//! Incremental parser of admin replies: push bytes, pop typed replies in command order.
//!
//! Memory is bounded: a line longer than [`AdminLimits::max_line`] or a list reply taking more
//! than [`AdminLimits::max_reply`] stops the parser with an error, whatever the server sends.

use std::collections::VecDeque;

use bytes::BytesMut;

use super::admin::{server_error, AdminCommand, AdminKind, AdminResponse, ReplyShape};
use super::error::ProtocolError;

/// Bounds of the admin reply parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdminLimits {
    /// Longest line accepted, in bytes, without its line ending.
    pub max_line: usize,
    /// Most memory one list reply may take: its text plus a per-line overhead, so that a
    /// flood of empty lines is bounded too.
    pub max_reply: usize,
}

impl Default for AdminLimits {
    fn default() -> Self {
        // A `workers` line lists every function of a connection (names up to 512 bytes), so a
        // line may be long; a whole reply stays well below what would hurt the process.
        AdminLimits {
            max_line: 1024 * 1024,
            max_reply: 64 * 1024 * 1024,
        }
    }
}

/// Memory charged per line of a list reply on top of its text (the `String` it becomes).
const LINE_OVERHEAD: usize = std::mem::size_of::<String>();

/// Longest excerpt of an unexpected line kept in an error.
const EXCERPT: usize = 80;

/// Incremental admin reply parser.
///
/// Call [`AdminReplyParser::expect`] for each command sent (replies come back in order), push
/// received bytes, and pop replies with [`AdminReplyParser::next_reply`]. Lines may end with
/// LF or CRLF, mixed.
#[derive(Debug)]
pub struct AdminReplyParser {
    buf: BytesMut,
    /// Bytes at the front of `buf` already known to hold no LF (keeps 1-byte pushes linear).
    scanned: usize,
    waiting: VecDeque<AdminKind>,
    lines: Vec<String>,
    reply_cost: usize,
    limits: AdminLimits,
    fatal: Option<ProtocolError>,
}

impl AdminReplyParser {
    /// A parser with these limits.
    pub fn new(limits: AdminLimits) -> Self {
        AdminReplyParser {
            buf: BytesMut::new(),
            scanned: 0,
            waiting: VecDeque::new(),
            lines: Vec::new(),
            reply_cost: 0,
            limits,
            fatal: None,
        }
    }

    /// Records that a command of this kind was sent and its reply is awaited.
    pub fn expect(&mut self, kind: AdminKind) {
        self.waiting.push_back(kind);
    }

    /// Records that `command` was sent (see [`AdminReplyParser::expect`]).
    pub fn expect_command(&mut self, command: &AdminCommand) {
        self.expect(command.kind());
    }

    /// Number of commands whose replies have not been returned yet.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Bytes received and not yet consumed as lines.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Appends received bytes (dropped after a fatal error: the stream is out of step).
    pub fn push(&mut self, data: &[u8]) {
        if self.fatal.is_none() {
            self.buf.extend_from_slice(data);
        }
    }

    /// The next complete reply: `Ok(None)` when more bytes are needed.
    ///
    /// A server `ERR` reply is `Err(AdminServerError)` and a reply of the wrong shape
    /// `Err(AdminBadReply)`; both consume the reply, so the caller may go on. An overlong
    /// line, an oversize reply or a reply nobody waits for are fatal: returned again on every
    /// later call.
    pub fn next_reply(&mut self) -> Result<Option<AdminResponse>, ProtocolError> {
        if let Some(e) = &self.fatal {
            return Err(e.clone());
        }
        match self.step() {
            Err(e) if e.is_fatal() => {
                self.fatal = Some(e.clone());
                self.buf = BytesMut::new();
                self.lines = Vec::new();
                Err(e)
            }
            other => other,
        }
    }

    fn step(&mut self) -> Result<Option<AdminResponse>, ProtocolError> {
        while let Some(line) = self.take_line()? {
            let Some(&kind) = self.waiting.front() else {
                return Err(ProtocolError::AdminUnexpectedReply {
                    line: line.chars().take(EXCERPT).collect(),
                });
            };
            if kind.shape() == ReplyShape::Line {
                self.waiting.pop_front();
                return AdminResponse::from_line(kind, &line).map(Some);
            }
            if self.lines.is_empty() && self.reply_cost == 0 {
                // A list command that fails answers with one ERR line instead of a list.
                if let Some(e) = server_error(&line) {
                    self.waiting.pop_front();
                    return Err(e);
                }
            }
            if line == "." {
                self.waiting.pop_front();
                self.reply_cost = 0;
                let lines = std::mem::take(&mut self.lines);
                return AdminResponse::from_lines(kind, lines).map(Some);
            }
            self.reply_cost = self
                .reply_cost
                .saturating_add(line.len())
                .saturating_add(LINE_OVERHEAD);
            if self.reply_cost > self.limits.max_reply {
                return Err(ProtocolError::AdminReplyTooLarge {
                    max: self.limits.max_reply,
                });
            }
            self.lines.push(line);
        }
        Ok(None)
    }

    /// Takes the next complete line off the buffer, without its LF or CRLF.
    fn take_line(&mut self) -> Result<Option<String>, ProtocolError> {
        let too_long = ProtocolError::AdminLineTooLong {
            max: self.limits.max_line,
        };
        let unscanned = self.buf.get(self.scanned..).unwrap_or(&[]);
        let Some(lf) = unscanned.iter().position(|&b| b == b'\n') else {
            self.scanned = self.buf.len();
            // One byte of slack: it may be the CR of a CRLF whose LF has not arrived.
            if self.buf.len() > self.limits.max_line.saturating_add(1) {
                return Err(too_long);
            }
            return Ok(None);
        };
        let end = self.scanned + lf;
        let raw = self.buf.split_to(end + 1);
        self.scanned = 0;
        let text = raw.get(..end).unwrap_or(&[]);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.len() > self.limits.max_line {
            return Err(too_long);
        }
        // Names are bytes to gearmand; a lossy conversion keeps the parser total.
        Ok(Some(String::from_utf8_lossy(text).into_owned()))
    }
}

impl Default for AdminReplyParser {
    fn default() -> Self {
        Self::new(AdminLimits::default())
    }
}

#[cfg(test)]
mod tests {
    use super::super::admin::{StatusRow, WorkerRow};
    use super::*;

    /// Bytes as gearmand 1.1.20 sent them for `workers`, `status`, `getpid`, `bogus`,
    /// `version` pipelined on one connection.
    const PIPELINED: &[u8] = b"38 127.0.0.1 - :\n.\nab\t0\t0\t0\nqueued\t4\t0\t0\n.\nOK 9620\n\
ERR UNKNOWN_COMMAND Unknown+server+commandbogus\r\nOK 1.1.20+ds\n";

    fn expect_all(p: &mut AdminReplyParser) {
        for k in [
            AdminKind::Workers,
            AdminKind::Status,
            AdminKind::GetPid,
            AdminKind::MaxQueue,
            AdminKind::Version,
        ] {
            p.expect(k);
        }
    }

    fn drain(p: &mut AdminReplyParser) -> Vec<Result<AdminResponse, ProtocolError>> {
        let mut out = Vec::new();
        loop {
            match p.next_reply() {
                Ok(None) => return out,
                Ok(Some(r)) => out.push(Ok(r)),
                Err(e) => {
                    let fatal = e.is_fatal();
                    out.push(Err(e));
                    if fatal {
                        return out;
                    }
                }
            }
        }
    }

    #[test]
    fn protocol_admin_parser_pipelined_replies_any_split() {
        let mut whole = AdminReplyParser::default();
        expect_all(&mut whole);
        whole.push(PIPELINED);
        let want = drain(&mut whole);
        assert_eq!(want.len(), 5);
        assert_eq!(
            want[0],
            Ok(AdminResponse::Workers(vec![WorkerRow {
                fd: 38,
                ip: "127.0.0.1".into(),
                client_id: "-".into(),
                functions: vec![]
            }]))
        );
        assert_eq!(
            want[1],
            Ok(AdminResponse::Status(vec![
                StatusRow {
                    function: "ab".into(),
                    total: 0,
                    running: 0,
                    available_workers: 0
                },
                StatusRow {
                    function: "queued".into(),
                    total: 4,
                    running: 0,
                    available_workers: 0
                }
            ]))
        );
        assert_eq!(want[2], Ok(AdminResponse::Pid(9620)));
        assert_eq!(
            want[3],
            Err(ProtocolError::AdminServerError {
                code: "UNKNOWN_COMMAND".into(),
                message: "Unknown server commandbogus".into()
            })
        );
        assert_eq!(want[4], Ok(AdminResponse::Version("1.1.20+ds".into())));
        assert_eq!(whole.waiting(), 0);
        for cut in 0..=PIPELINED.len() {
            let mut p = AdminReplyParser::default();
            expect_all(&mut p);
            p.push(&PIPELINED[..cut]);
            let mut got = drain(&mut p);
            p.push(&PIPELINED[cut..]);
            got.extend(drain(&mut p));
            assert_eq!(got, want, "cut at {cut}");
        }
        let mut p = AdminReplyParser::default();
        expect_all(&mut p);
        let mut got = Vec::new();
        for b in PIPELINED {
            p.push(std::slice::from_ref(b));
            got.extend(drain(&mut p));
        }
        assert_eq!(got, want);
    }

    #[test]
    fn protocol_admin_parser_list_error_and_crlf() {
        let mut p = AdminReplyParser::default();
        p.expect(AdminKind::ShowJobs);
        p.expect(AdminKind::ShowUniqueJobs);
        p.push(b"ERR UNKNOWN_COMMAND x\r\nu1\r\nERR not-an-error\n.\r\n");
        assert!(matches!(
            p.next_reply(),
            Err(ProtocolError::AdminServerError { .. })
        ));
        assert_eq!(
            p.next_reply(),
            Ok(Some(AdminResponse::ShowUniqueJobs(vec![
                "u1".into(),
                "ERR not-an-error".into()
            ])))
        );
        assert_eq!(p.next_reply(), Ok(None));
    }

    #[test]
    fn protocol_admin_parser_bad_rows_are_not_fatal() {
        let mut p = AdminReplyParser::default();
        p.expect(AdminKind::Status);
        p.expect(AdminKind::Version);
        p.push(b"garbage\n.\nOK 1\n");
        assert!(matches!(
            p.next_reply(),
            Err(ProtocolError::AdminBadReply {
                command: "status",
                ..
            })
        ));
        assert_eq!(p.next_reply(), Ok(Some(AdminResponse::Version("1".into()))));
    }

    #[test]
    fn protocol_admin_parser_limits_are_fatal() {
        let limits = AdminLimits {
            max_line: 8,
            max_reply: 100,
        };
        let mut p = AdminReplyParser::new(limits);
        p.expect(AdminKind::Version);
        p.push(b"OK 12345\r");
        assert_eq!(p.next_reply(), Ok(None));
        p.push(b"x");
        let e = ProtocolError::AdminLineTooLong { max: 8 };
        assert_eq!(p.next_reply(), Err(e.clone()));
        p.push(b"\n");
        assert_eq!(p.next_reply(), Err(e));
        assert_eq!(p.buffered(), 0);

        let mut p = AdminReplyParser::new(limits);
        p.expect(AdminKind::ShowJobs);
        p.push(&b"\n".repeat(10));
        assert_eq!(
            p.next_reply(),
            Err(ProtocolError::AdminReplyTooLarge { max: 100 })
        );

        let mut p = AdminReplyParser::new(limits);
        p.push(b"OK\n");
        assert!(matches!(
            p.next_reply(),
            Err(ProtocolError::AdminUnexpectedReply { .. })
        ));
    }
}
