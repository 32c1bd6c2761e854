//! Finding a dead peer: a job server that stopped answering at the TCP level (a partition, a host
//! that died without a FIN) is declared dead by the kernel, and the read or write fails with
//! `ETIMEDOUT`, which the connection reports like any socket error.
//!
//! Two mechanisms, one setting (`keepAlive` in JavaScript, the idle time):
//! - keepalive probes for an idle connection: the first after `idle` without traffic, then one
//!   every `idle`; [`PROBES`] unanswered ones end the connection;
//! - `TCP_USER_TIMEOUT` for data the peer does not acknowledge: a write (or a probe) unacknowledged
//!   for [`PROBES`] + 1 times `idle` ends the connection (Linux; elsewhere probes only).
//!
//! So a silent peer is declared dead after about (`PROBES` + 1) × `idle` whatever the connection
//! was doing, while a healthy peer that is only quiet answers the probes and is never declared
//! dead. The probes also keep idle connections alive through NAT gateways and load balancers.

use std::io;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};

/// The idle time when the user sets none: a dead server is found within about a minute.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(15);
/// Unanswered probes that end a connection.
pub const PROBES: u32 = 3;
/// The kernel counts keepalive times in whole seconds.
const MIN_IDLE: Duration = Duration::from_secs(1);

/// Turns dead-peer detection on for `sock` with this idle time (at least one second).
pub fn apply(sock: SockRef<'_>, idle: Duration) -> io::Result<()> {
    let idle = idle.max(MIN_IDLE);
    let params = TcpKeepalive::new()
        .with_time(idle)
        .with_interval(idle)
        .with_retries(PROBES);
    sock.set_tcp_keepalive(&params)?;
    set_user_timeout(sock, Some(idle * (PROBES + 1)))
}

/// Turns keepalive probes off (and the user timeout with them).
pub fn disable(sock: SockRef<'_>) -> io::Result<()> {
    sock.set_keepalive(false)?;
    set_user_timeout(sock, None)
}

/// Keepalive on with the kernel's own timings (what `net.Socket#setKeepAlive(true)` does).
pub fn kernel_defaults(sock: SockRef<'_>) -> io::Result<()> {
    sock.set_keepalive(true)
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
fn set_user_timeout(sock: SockRef<'_>, timeout: Option<Duration>) -> io::Result<()> {
    sock.set_tcp_user_timeout(timeout)
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
fn set_user_timeout(_sock: SockRef<'_>, _timeout: Option<Duration>) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let client = TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        (client, server)
    }

    #[test]
    fn apply_sets_probes_and_the_user_timeout_from_one_idle_time() {
        let (client, _server) = pair();
        let sock = SockRef::from(&client);
        apply(sock, Duration::from_millis(2500)).expect("apply");
        let sock = SockRef::from(&client);
        assert!(sock.keepalive().expect("SO_KEEPALIVE"));
        // Whole seconds: 2.5 s is 2 s to the kernel.
        assert_eq!(
            sock.tcp_keepalive_time().expect("idle"),
            Duration::from_secs(2)
        );
        assert_eq!(
            sock.tcp_keepalive_interval().expect("interval"),
            Duration::from_secs(2)
        );
        assert_eq!(sock.tcp_keepalive_retries().expect("count"), PROBES);
        #[cfg(target_os = "linux")]
        assert_eq!(
            sock.tcp_user_timeout().expect("user timeout"),
            Some(Duration::from_millis(10_000))
        );
    }

    #[test]
    fn idle_times_under_a_second_become_one_second() {
        let (client, _server) = pair();
        apply(SockRef::from(&client), Duration::from_millis(10)).expect("apply");
        let sock = SockRef::from(&client);
        assert_eq!(
            sock.tcp_keepalive_time().expect("idle"),
            Duration::from_secs(1)
        );
        #[cfg(target_os = "linux")]
        assert_eq!(
            sock.tcp_user_timeout().expect("user timeout"),
            Some(Duration::from_secs(4))
        );
    }

    #[test]
    fn disable_turns_both_off() {
        let (client, _server) = pair();
        apply(SockRef::from(&client), DEFAULT_IDLE).expect("apply");
        disable(SockRef::from(&client)).expect("disable");
        let sock = SockRef::from(&client);
        assert!(!sock.keepalive().expect("SO_KEEPALIVE"));
        #[cfg(target_os = "linux")]
        assert_eq!(sock.tcp_user_timeout().expect("user timeout"), None);
    }
}
