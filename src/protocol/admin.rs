//! Admin text protocol: commands, the shape of their replies, and typed replies.
//!
//! Formats were checked against gearmand 1.1.20: lists end with a lone `.`, single-line replies
//! are `OK [text]` or `ERR <CODE> [text with + for spaces]`, and line endings are LF or CRLF
//! depending on the reply. Incremental reply framing lives in [`super::admin_reply`].

use super::error::ProtocolError;

/// Per-priority or global queue limit of `maxqueue`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueLimits {
    /// `maxqueue FUNCTION MAX`: one limit for every priority.
    All(u32),
    /// `maxqueue FUNCTION HIGH NORMAL LOW`.
    ByPriority {
        /// Limit of the high-priority queue.
        high: u32,
        /// Limit of the normal-priority queue.
        normal: u32,
        /// Limit of the low-priority queue.
        low: u32,
    },
}

/// A command of the admin text protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminCommand {
    /// `workers`: one line per connection.
    Workers,
    /// `status`: one line per function.
    Status,
    /// `prioritystatus`: one line per function with per-priority counts.
    PriorityStatus,
    /// `maxqueue FUNCTION [MAX | HIGH NORMAL LOW]`.
    MaxQueue {
        /// Function whose queue is limited.
        function: String,
        /// The limits; `None` sends the bare command (gearmand then clears the limit).
        limits: Option<QueueLimits>,
    },
    /// `version`.
    Version,
    /// `getpid`.
    GetPid,
    /// `verbose`: the server's log level.
    Verbose,
    /// `show jobs`: one line per job.
    ShowJobs,
    /// `show unique jobs`: one line per unique id.
    ShowUniqueJobs,
    /// `cancel job HANDLE`.
    CancelJob {
        /// Handle of the job to cancel.
        handle: String,
    },
    /// `create function NAME`.
    CreateFunction {
        /// Name of the function to create.
        name: String,
    },
    /// `drop function NAME`.
    DropFunction {
        /// Name of the function to drop.
        name: String,
    },
}

/// The command of a reply, without arguments (what a reply parser waits for).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AdminKind {
    /// `workers`.
    Workers,
    /// `status`.
    Status,
    /// `prioritystatus`.
    PriorityStatus,
    /// `maxqueue`.
    MaxQueue,
    /// `version`.
    Version,
    /// `getpid`.
    GetPid,
    /// `verbose`.
    Verbose,
    /// `show jobs`.
    ShowJobs,
    /// `show unique jobs`.
    ShowUniqueJobs,
    /// `cancel job`.
    CancelJob,
    /// `create function`.
    CreateFunction,
    /// `drop function`.
    DropFunction,
}

/// How a command's reply is framed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyShape {
    /// One line: `OK [text]` or `ERR <CODE> [text]`.
    Line,
    /// Lines ending with a lone `.` (or a single `ERR` line instead).
    List,
}

impl AdminKind {
    /// Every kind, in the order of the admin table.
    pub const ALL: [AdminKind; 12] = [
        Self::Workers,
        Self::Status,
        Self::PriorityStatus,
        Self::MaxQueue,
        Self::Version,
        Self::GetPid,
        Self::Verbose,
        Self::ShowJobs,
        Self::ShowUniqueJobs,
        Self::CancelJob,
        Self::CreateFunction,
        Self::DropFunction,
    ];

    /// The command words as sent.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Workers => "workers",
            Self::Status => "status",
            Self::PriorityStatus => "prioritystatus",
            Self::MaxQueue => "maxqueue",
            Self::Version => "version",
            Self::GetPid => "getpid",
            Self::Verbose => "verbose",
            Self::ShowJobs => "show jobs",
            Self::ShowUniqueJobs => "show unique jobs",
            Self::CancelJob => "cancel job",
            Self::CreateFunction => "create function",
            Self::DropFunction => "drop function",
        }
    }

    /// How the reply to this command is framed.
    pub const fn shape(self) -> ReplyShape {
        match self {
            Self::Workers
            | Self::Status
            | Self::PriorityStatus
            | Self::ShowJobs
            | Self::ShowUniqueJobs => ReplyShape::List,
            _ => ReplyShape::Line,
        }
    }
}

impl AdminCommand {
    /// The command without its arguments.
    pub fn kind(&self) -> AdminKind {
        match self {
            Self::Workers => AdminKind::Workers,
            Self::Status => AdminKind::Status,
            Self::PriorityStatus => AdminKind::PriorityStatus,
            Self::MaxQueue { .. } => AdminKind::MaxQueue,
            Self::Version => AdminKind::Version,
            Self::GetPid => AdminKind::GetPid,
            Self::Verbose => AdminKind::Verbose,
            Self::ShowJobs => AdminKind::ShowJobs,
            Self::ShowUniqueJobs => AdminKind::ShowUniqueJobs,
            Self::CancelJob { .. } => AdminKind::CancelJob,
            Self::CreateFunction { .. } => AdminKind::CreateFunction,
            Self::DropFunction { .. } => AdminKind::DropFunction,
        }
    }

    /// How the reply to this command is framed.
    pub fn reply_shape(&self) -> ReplyShape {
        self.kind().shape()
    }

    /// The command line to send, terminated by CRLF.
    ///
    /// CRLF, not LF: gearmand 1.1.20 drops the last byte of the line before the newline when
    /// there is no CR, so `create function foo\n` creates `fo` (seen on the real server).
    /// Arguments that are empty or contain whitespace, control bytes or NUL are refused: they
    /// would split into other words or other commands.
    pub fn encode(&self) -> Result<Vec<u8>, ProtocolError> {
        let kind = self.kind();
        let mut line = String::from(kind.name());
        let mut word = |arg: &str| -> Result<(), ProtocolError> {
            if arg.is_empty() || arg.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ProtocolError::AdminBadArgument {
                    command: kind.name(),
                    arg: arg.to_owned(),
                });
            }
            line.push(' ');
            line.push_str(arg);
            Ok(())
        };
        match self {
            Self::MaxQueue { function, limits } => {
                word(function)?;
                match limits {
                    None => {}
                    Some(QueueLimits::All(max)) => word(&max.to_string())?,
                    Some(QueueLimits::ByPriority { high, normal, low }) => {
                        word(&high.to_string())?;
                        word(&normal.to_string())?;
                        word(&low.to_string())?;
                    }
                }
            }
            Self::CancelJob { handle } => word(handle)?,
            Self::CreateFunction { name } | Self::DropFunction { name } => word(name)?,
            _ => {}
        }
        line.push_str("\r\n");
        Ok(line.into_bytes())
    }
}

/// A row of `status`: `FUNCTION\tTOTAL\tRUNNING\tAVAILABLE_WORKERS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusRow {
    /// Function name.
    pub function: String,
    /// Jobs queued or running.
    pub total: u64,
    /// Jobs running.
    pub running: u64,
    /// Workers that can do the function.
    pub available_workers: u64,
}

/// A row of `prioritystatus`: `FUNCTION\tHIGH\tNORMAL\tLOW\tAVAILABLE_WORKERS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityStatusRow {
    /// Function name.
    pub function: String,
    /// High-priority jobs queued.
    pub high: u64,
    /// Normal-priority jobs queued.
    pub normal: u64,
    /// Low-priority jobs queued.
    pub low: u64,
    /// Workers that can do the function.
    pub available_workers: u64,
}

/// A row of `workers`: `FD IP-ADDRESS CLIENT-ID : FUNCTION ...`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerRow {
    /// The server's file descriptor of the connection.
    pub fd: i64,
    /// Peer address.
    pub ip: String,
    /// Client id set with SET_CLIENT_ID, `-` when none.
    pub client_id: String,
    /// Functions the connection registered.
    pub functions: Vec<String>,
}

/// A typed, successful admin reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminResponse {
    /// Reply to `workers`.
    Workers(Vec<WorkerRow>),
    /// Reply to `status`.
    Status(Vec<StatusRow>),
    /// Reply to `prioritystatus`.
    PriorityStatus(Vec<PriorityStatusRow>),
    /// Reply to `version`: the version string.
    Version(String),
    /// Reply to `getpid`.
    Pid(u64),
    /// Reply to `verbose`: the level name (e.g. `ERROR`).
    Verbose(String),
    /// `OK [text]` reply of `maxqueue`, `cancel job`, `create function`, `drop function`.
    Ok(String),
    /// Reply to `show jobs`: the raw lines.
    ShowJobs(Vec<String>),
    /// Reply to `show unique jobs`: the raw lines.
    ShowUniqueJobs(Vec<String>),
}

/// `ERR <CODE> <text>` as a [`ProtocolError::AdminServerError`], `+` turned back into spaces.
///
/// The text is everything after the code: gearmand sometimes writes real spaces
/// (`ERR function not found`), so it is not cut at the next word.
pub(crate) fn server_error(line: &str) -> Option<ProtocolError> {
    let rest = line.strip_prefix("ERR")?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let rest = rest.trim_start_matches(' ');
    let (code, message) = rest.split_once(' ').unwrap_or((rest, ""));
    Some(ProtocolError::AdminServerError {
        code: code.to_owned(),
        message: message.replace('+', " "),
    })
}

impl AdminResponse {
    /// Typed reply of a single-line command.
    pub fn from_line(kind: AdminKind, line: &str) -> Result<AdminResponse, ProtocolError> {
        if let Some(e) = server_error(line) {
            return Err(e);
        }
        let bad = || ProtocolError::AdminBadReply {
            command: kind.name(),
            line: line.to_owned(),
        };
        let text = match line.strip_prefix("OK") {
            Some("") => "",
            Some(rest) => rest.strip_prefix(' ').ok_or_else(bad)?,
            None => return Err(bad()),
        };
        Ok(match kind {
            AdminKind::Version => AdminResponse::Version(text.to_owned()),
            AdminKind::GetPid => AdminResponse::Pid(text.trim().parse().map_err(|_| bad())?),
            AdminKind::Verbose => AdminResponse::Verbose(text.to_owned()),
            _ => AdminResponse::Ok(text.to_owned()),
        })
    }

    /// Typed reply of a list command from its lines (without the final `.`).
    pub fn from_lines(kind: AdminKind, lines: Vec<String>) -> Result<AdminResponse, ProtocolError> {
        let bad = |line: &str| ProtocolError::AdminBadReply {
            command: kind.name(),
            line: line.to_owned(),
        };
        match kind {
            AdminKind::Status => lines
                .iter()
                .map(|l| parse_status_row(l).ok_or_else(|| bad(l)))
                .collect::<Result<_, _>>()
                .map(AdminResponse::Status),
            AdminKind::PriorityStatus => lines
                .iter()
                .map(|l| parse_priority_row(l).ok_or_else(|| bad(l)))
                .collect::<Result<_, _>>()
                .map(AdminResponse::PriorityStatus),
            AdminKind::Workers => lines
                .iter()
                .map(|l| parse_worker_row(l).ok_or_else(|| bad(l)))
                .collect::<Result<_, _>>()
                .map(AdminResponse::Workers),
            AdminKind::ShowJobs => Ok(AdminResponse::ShowJobs(lines)),
            AdminKind::ShowUniqueJobs => Ok(AdminResponse::ShowUniqueJobs(lines)),
            _ => Err(bad(lines.first().map_or("", String::as_str))),
        }
    }
}

/// Splits `line` into a name and `N` trailing tab-separated numbers. The numbers are taken
/// from the right so that a function name containing a tab still parses.
fn name_and_numbers<const N: usize>(line: &str) -> Option<(String, [u64; N])> {
    let mut nums = [0u64; N];
    let mut rest = line;
    for slot in nums.iter_mut().rev() {
        let (head, tail) = rest.rsplit_once('\t')?;
        *slot = tail.parse().ok()?;
        rest = head;
    }
    Some((rest.to_owned(), nums))
}

/// Parses a `status` row.
pub fn parse_status_row(line: &str) -> Option<StatusRow> {
    let (function, [total, running, available_workers]) = name_and_numbers::<3>(line)?;
    Some(StatusRow {
        function,
        total,
        running,
        available_workers,
    })
}

/// Parses a `prioritystatus` row.
pub fn parse_priority_row(line: &str) -> Option<PriorityStatusRow> {
    let (function, [high, normal, low, available_workers]) = name_and_numbers::<4>(line)?;
    Some(PriorityStatusRow {
        function,
        high,
        normal,
        low,
        available_workers,
    })
}

/// Parses a `workers` row (`38 127.0.0.1 client-7 : fb fa`; no functions: `39 127.0.0.1 - :`).
pub fn parse_worker_row(line: &str) -> Option<WorkerRow> {
    let mut words = line.splitn(4, ' ');
    let fd = words.next()?.parse().ok()?;
    let ip = words.next()?.to_owned();
    let client_id = words.next()?.to_owned();
    let rest = words.next()?.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let functions = rest
        .split(' ')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    Some(WorkerRow {
        fd,
        ip,
        client_id,
        functions,
    })
}
