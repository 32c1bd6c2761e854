//! The packet table against gearmanode's DEFINITION (docs/COMPATIBILITY.md#protocol-module) and
//! docs/PROTOCOL.md#packets.

use crate::protocol::packet::{spec, ArgKind, Direction};

/// gearmanode's DEFINITION: `[name, code, flags, format]` (format for flags 2 and 3).
const DEFINITION: &[(&str, u32, u8, &str)] = &[
    ("CAN_DO", 1, 1, ""),
    ("CANT_DO", 2, 1, ""),
    ("RESET_ABILITIES", 3, 1, ""),
    ("PRE_SLEEP", 4, 1, ""),
    ("NOOP", 6, 2, ""),
    ("SUBMIT_JOB", 7, 1, ""),
    ("JOB_CREATED", 8, 2, "L"),
    ("GRAB_JOB", 9, 1, ""),
    ("NO_JOB", 10, 2, ""),
    ("JOB_ASSIGN", 11, 2, "nnb"),
    ("WORK_STATUS", 12, 3, "nnL"),
    ("WORK_COMPLETE", 13, 3, "nb"),
    ("WORK_FAIL", 14, 3, "L"),
    ("GET_STATUS", 15, 1, ""),
    ("ECHO_REQ", 16, 1, ""),
    ("ECHO_RES", 17, 2, "L"),
    ("SUBMIT_JOB_BG", 18, 1, ""),
    ("ERROR", 19, 2, "nL"),
    ("STATUS_RES", 20, 2, "nnnnL"),
    ("SUBMIT_JOB_HIGH", 21, 1, ""),
    ("SET_CLIENT_ID", 22, 1, ""),
    ("CAN_DO_TIMEOUT", 23, 1, ""),
    ("WORK_EXCEPTION", 25, 3, "nb"),
    ("OPTION_REQ", 26, 1, ""),
    ("OPTION_RES", 27, 2, "L"),
    ("WORK_DATA", 28, 3, "nb"),
    ("WORK_WARNING", 29, 3, "nb"),
    ("GRAB_JOB_UNIQ", 30, 1, ""),
    ("JOB_ASSIGN_UNIQ", 31, 2, "nnnb"),
    ("SUBMIT_JOB_HIGH_BG", 32, 1, ""),
    ("SUBMIT_JOB_LOW", 33, 1, ""),
    ("SUBMIT_JOB_LOW_BG", 34, 1, ""),
];

#[test]
fn protocol_table_matches_gearmanode_definition() {
    for &(name, code, flags, format) in DEFINITION {
        let s = spec(code).expect("known code");
        assert_eq!(s.name, name);
        let dir = match flags {
            1 => Direction::Request,
            2 => Direction::Response,
            _ => Direction::Both,
        };
        assert_eq!(s.direction, dir, "{name}");
        if flags != 1 {
            assert_eq!(s.args.len(), format.len(), "{name} vs format {format:?}");
        }
    }
    let extra = [
        (24, "ALL_YOURS", Direction::Request, 0),
        (35, "SUBMIT_JOB_SCHED", Direction::Request, 8),
        (36, "SUBMIT_JOB_EPOCH", Direction::Request, 4),
        (37, "SUBMIT_REDUCE_JOB", Direction::Request, 5),
        (38, "SUBMIT_REDUCE_JOB_BACKGROUND", Direction::Request, 5),
        (39, "GRAB_JOB_ALL", Direction::Request, 0),
        (40, "JOB_ASSIGN_ALL", Direction::Response, 5),
        (41, "GET_STATUS_UNIQUE", Direction::Request, 1),
        (42, "STATUS_RES_UNIQUE", Direction::Response, 6),
    ];
    for (code, name, dir, argc) in extra {
        let s = spec(code).expect("known code");
        assert_eq!((s.name, s.direction, s.args.len()), (name, dir, argc));
    }
    let last = spec(42).and_then(|s| s.args.last()).map(|a| a.kind);
    assert_eq!(last, Some(ArgKind::Data));
}
