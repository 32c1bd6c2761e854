//! Admin commands and typed replies, with lines as gearmand 1.1.20 printed them.

use crate::protocol::admin::*;
use crate::protocol::error::ProtocolError;

#[test]
fn protocol_admin_encode_commands() {
    let enc = |c: AdminCommand| String::from_utf8(c.encode().unwrap()).unwrap();
    assert_eq!(enc(AdminCommand::Status), "status\r\n");
    assert_eq!(enc(AdminCommand::ShowUniqueJobs), "show unique jobs\r\n");
    assert_eq!(
        enc(AdminCommand::MaxQueue {
            function: "f".into(),
            limits: Some(QueueLimits::ByPriority {
                high: 1,
                normal: 2,
                low: 3
            })
        }),
        "maxqueue f 1 2 3\r\n"
    );
    assert_eq!(
        enc(AdminCommand::MaxQueue {
            function: "f".into(),
            limits: Some(QueueLimits::All(10))
        }),
        "maxqueue f 10\r\n"
    );
    assert_eq!(
        enc(AdminCommand::CancelJob {
            handle: "H:vm:1".into()
        }),
        "cancel job H:vm:1\r\n"
    );
    for bad in ["", "a b", "a\nb", "a\r", "a\0", "a\tb", "a\u{2003}b"] {
        let e = AdminCommand::DropFunction { name: bad.into() }
            .encode()
            .unwrap_err();
        assert_eq!(e.code(), "GEARMAN_ADMIN_BAD_ARGUMENT", "{bad:?}");
    }
    assert_eq!(AdminCommand::Workers.reply_shape(), ReplyShape::List);
    assert_eq!(AdminCommand::GetPid.reply_shape(), ReplyShape::Line);
}

#[test]
fn protocol_admin_rows_as_gearmand_prints_them() {
    assert_eq!(
        parse_status_row("queued\t4\t0\t1"),
        Some(StatusRow {
            function: "queued".into(),
            total: 4,
            running: 0,
            available_workers: 1
        })
    );
    assert_eq!(
        parse_status_row("a\tb\t1\t2\t3").map(|r| r.function),
        Some("a\tb".into())
    );
    assert_eq!(parse_status_row("f\t1\tx\t3"), None);
    assert_eq!(parse_status_row("f\t1\t2"), None);
    assert_eq!(
        parse_priority_row("queued\t0\t4\t0\t0").map(|r| (r.normal, r.low)),
        Some((4, 0))
    );
    assert_eq!(
        parse_worker_row("38 127.0.0.1 client-7 : fb fa"),
        Some(WorkerRow {
            fd: 38,
            ip: "127.0.0.1".into(),
            client_id: "client-7".into(),
            functions: vec!["fb".into(), "fa".into()]
        })
    );
    assert_eq!(
        parse_worker_row("39 ::1 - :").map(|r| (r.ip, r.functions.len())),
        Some(("::1".into(), 0))
    );
    assert_eq!(parse_worker_row("39 127.0.0.1 -"), None);
    assert_eq!(parse_worker_row("x 127.0.0.1 - :"), None);
}

#[test]
fn protocol_admin_single_lines() {
    use AdminKind as K;
    let ok = |k, l| AdminResponse::from_line(k, l);
    assert_eq!(
        ok(K::Version, "OK 1.1.20+ds"),
        Ok(AdminResponse::Version("1.1.20+ds".into()))
    );
    assert_eq!(ok(K::GetPid, "OK 9620"), Ok(AdminResponse::Pid(9620)));
    assert_eq!(
        ok(K::Verbose, "OK ERROR"),
        Ok(AdminResponse::Verbose("ERROR".into()))
    );
    assert_eq!(ok(K::MaxQueue, "OK"), Ok(AdminResponse::Ok(String::new())));
    assert_eq!(
        ok(K::MaxQueue, "ERR INVALID_ARGUMENTS An+incomplete+set"),
        Err(ProtocolError::AdminServerError {
            code: "INVALID_ARGUMENTS".into(),
            message: "An incomplete set".into()
        })
    );
    assert_eq!(
        ok(K::CancelJob, "ERR UNKNOWN_JOB"),
        Err(ProtocolError::AdminServerError {
            code: "UNKNOWN_JOB".into(),
            message: String::new()
        })
    );
    assert_eq!(
        ok(K::DropFunction, "ERR function not found"),
        Err(ProtocolError::AdminServerError {
            code: "function".into(),
            message: "not found".into()
        })
    );
    assert!(matches!(
        ok(K::GetPid, "OK abc"),
        Err(ProtocolError::AdminBadReply { .. })
    ));
    assert!(matches!(
        ok(K::Version, "OKAY"),
        Err(ProtocolError::AdminBadReply { .. })
    ));
    assert!(matches!(
        ok(K::Version, "ERRATA"),
        Err(ProtocolError::AdminBadReply { .. })
    ));
}
