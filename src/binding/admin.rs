//! The admin text protocol for JavaScript: command encoding and an incremental reply parser.
//! Argument conversion only; the rules live in `crate::protocol::admin`.

use napi_derive::napi;

use super::codec::JsBuffer;
use super::errors::{invalid as bad, Result};
use crate::protocol::admin::{AdminCommand, AdminKind, AdminResponse, QueueLimits};
use crate::protocol::admin_reply::{AdminLimits, AdminReplyParser};
use crate::protocol::error::ProtocolError;

fn one(args: &[String], command: &str) -> Result<String> {
    match args {
        [a] => Ok(a.clone()),
        _ => Err(bad(format!("{command} takes one argument"))),
    }
}

fn number(s: &str) -> Result<u32> {
    s.parse::<u32>()
        .map_err(|_| bad(format!("maxqueue limit is not a number: {s}")))
}

fn command(name: &str, args: &[String]) -> Result<AdminCommand> {
    Ok(match name {
        "workers" => AdminCommand::Workers,
        "status" => AdminCommand::Status,
        "prioritystatus" => AdminCommand::PriorityStatus,
        "version" => AdminCommand::Version,
        "getpid" => AdminCommand::GetPid,
        "verbose" => AdminCommand::Verbose,
        "show jobs" => AdminCommand::ShowJobs,
        "show unique jobs" => AdminCommand::ShowUniqueJobs,
        "cancel job" => AdminCommand::CancelJob {
            handle: one(args, name)?,
        },
        "create function" => AdminCommand::CreateFunction {
            name: one(args, name)?,
        },
        "drop function" => AdminCommand::DropFunction {
            name: one(args, name)?,
        },
        "maxqueue" => {
            let (function, rest) = args
                .split_first()
                .ok_or_else(|| bad("maxqueue needs a function name"))?;
            let limits = match rest {
                [] => None,
                [max] => Some(QueueLimits::All(number(max)?)),
                [high, normal, low] => Some(QueueLimits::ByPriority {
                    high: number(high)?,
                    normal: number(normal)?,
                    low: number(low)?,
                }),
                _ => return Err(bad("maxqueue takes a function and 0, 1 or 3 limits")),
            };
            AdminCommand::MaxQueue {
                function: function.clone(),
                limits,
            }
        }
        other => return Err(bad(format!("unknown admin command: {other}"))),
    })
}

/// Encodes an admin command line (`status`, `maxqueue`, `cancel job`, …) with its arguments.
/// Throws `GEARMAN_INVALID_ARGUMENT` for an unknown command or a wrong number of arguments, and
/// `GEARMAN_ADMIN_BAD_ARGUMENT` for an argument with whitespace or control characters.
#[napi(catch_unwind, ts_return_type = "Buffer")]
pub fn admin_encode(name: String, args: Vec<String>) -> Result<JsBuffer> {
    let cmd = command(&name, &args)?;
    let line = cmd.encode()?;
    Ok(JsBuffer(bytes::Bytes::from(line)))
}

/// One row of `status`.
#[napi(object)]
pub struct AdminStatusRow {
    /// Function name.
    pub function: String,
    /// Jobs queued or running.
    pub total: f64,
    /// Jobs running.
    pub running: f64,
    /// Workers that can do the function.
    pub available_workers: f64,
}

/// One row of `prioritystatus`.
#[napi(object)]
pub struct AdminPriorityRow {
    /// Function name.
    pub function: String,
    /// High-priority jobs queued.
    pub high: f64,
    /// Normal-priority jobs queued.
    pub normal: f64,
    /// Low-priority jobs queued.
    pub low: f64,
    /// Workers that can do the function.
    pub available_workers: f64,
}

/// One row of `workers`.
#[napi(object)]
pub struct AdminWorkerRow {
    /// The server's file descriptor of the connection.
    pub fd: f64,
    /// Peer address.
    pub ip: String,
    /// Id set with SET_CLIENT_ID (`-` when none).
    pub client_id: String,
    /// Registered functions.
    pub functions: Vec<String>,
}

/// One parsed reply (or failure) of the admin protocol.
#[napi(object)]
pub struct AdminReply {
    /// Whether the command succeeded.
    pub ok: bool,
    /// On failure: the server's `ERR` code, or a `GEARMAN_ADMIN_*` code for a malformed reply.
    pub code: Option<String>,
    /// On failure: the message.
    pub message: Option<String>,
    /// The stream is out of step and the connection must be dropped.
    pub fatal: bool,
    /// Text of `version`, `verbose`, or the `OK` text of other single-line commands.
    pub text: Option<String>,
    /// `getpid`.
    pub pid: Option<f64>,
    /// `status` rows.
    pub status: Option<Vec<AdminStatusRow>>,
    /// `prioritystatus` rows.
    pub priority_status: Option<Vec<AdminPriorityRow>>,
    /// `workers` rows.
    pub workers: Option<Vec<AdminWorkerRow>>,
    /// Raw lines of `show jobs` / `show unique jobs`.
    pub lines: Option<Vec<String>>,
}

fn empty(ok: bool) -> AdminReply {
    AdminReply {
        ok,
        code: None,
        message: None,
        fatal: false,
        text: None,
        pid: None,
        status: None,
        priority_status: None,
        workers: None,
        lines: None,
    }
}

fn to_js(r: AdminResponse) -> AdminReply {
    let mut out = empty(true);
    match r {
        AdminResponse::Workers(rows) => {
            out.workers = Some(
                rows.into_iter()
                    .map(|w| AdminWorkerRow {
                        fd: w.fd as f64,
                        ip: w.ip,
                        client_id: w.client_id,
                        functions: w.functions,
                    })
                    .collect(),
            )
        }
        AdminResponse::Status(rows) => {
            out.status = Some(
                rows.into_iter()
                    .map(|s| AdminStatusRow {
                        function: s.function,
                        total: s.total as f64,
                        running: s.running as f64,
                        available_workers: s.available_workers as f64,
                    })
                    .collect(),
            )
        }
        AdminResponse::PriorityStatus(rows) => {
            out.priority_status = Some(
                rows.into_iter()
                    .map(|p| AdminPriorityRow {
                        function: p.function,
                        high: p.high as f64,
                        normal: p.normal as f64,
                        low: p.low as f64,
                        available_workers: p.available_workers as f64,
                    })
                    .collect(),
            )
        }
        AdminResponse::Version(t) | AdminResponse::Verbose(t) | AdminResponse::Ok(t) => {
            out.text = Some(t)
        }
        AdminResponse::Pid(p) => out.pid = Some(p as f64),
        AdminResponse::ShowJobs(l) | AdminResponse::ShowUniqueJobs(l) => out.lines = Some(l),
    }
    out
}

fn failure(e: &ProtocolError) -> AdminReply {
    let mut out = empty(false);
    match e {
        ProtocolError::AdminServerError { code, message } => {
            out.code = Some(code.clone());
            out.message = Some(message.clone());
        }
        other => {
            out.code = Some(other.code().to_string());
            out.message = Some(other.to_string());
        }
    }
    out.fatal = e.is_fatal();
    out
}

/// Incremental parser of admin replies, in the order the commands were sent.
#[napi]
pub struct AdminParser {
    inner: AdminReplyParser,
}

#[napi]
impl AdminParser {
    /// A parser; `maxLine`/`maxReply` bound memory (defaults 1 MiB and 64 MiB).
    #[napi(constructor, catch_unwind)]
    pub fn new(max_line: Option<f64>, max_reply: Option<f64>) -> Self {
        let d = AdminLimits::default();
        let pick = |v: Option<f64>, dflt: usize| {
            v.filter(|n| n.is_finite() && *n >= 1.0)
                .map_or(dflt, |n| n as usize)
        };
        let limits = AdminLimits {
            max_line: pick(max_line, d.max_line),
            max_reply: pick(max_reply, d.max_reply),
        };
        AdminParser {
            inner: AdminReplyParser::new(limits),
        }
    }

    /// Records that a command was sent (its name as given to `adminEncode`).
    #[napi(catch_unwind)]
    pub fn expect(&mut self, name: String) -> Result<()> {
        let kind = AdminKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| bad(format!("unknown admin command: {name}")))?;
        self.inner.expect(kind);
        Ok(())
    }

    /// Feeds received bytes; returns the replies completed by them, in order.
    #[napi(catch_unwind)]
    pub fn push(&mut self, data: &[u8]) -> Vec<AdminReply> {
        self.inner.push(data);
        let mut out = Vec::new();
        loop {
            match self.inner.next_reply() {
                Ok(Some(r)) => out.push(to_js(r)),
                Ok(None) => break,
                Err(e) => {
                    let fatal = e.is_fatal();
                    out.push(failure(&e));
                    if fatal {
                        break;
                    }
                }
            }
        }
        out
    }

    /// Commands still waiting for their reply.
    #[napi(catch_unwind)]
    pub fn waiting(&self) -> u32 {
        self.inner.waiting() as u32
    }
}
