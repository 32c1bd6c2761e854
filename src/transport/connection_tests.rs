//! The connection against an in-process listener, on a current-thread runtime: the connection's
//! task runs only while the test awaits, so what a call does on the caller's thread (a direct
//! write, a queued one) is seen before the task can touch it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::*;
use crate::protocol::packet::Magic;

/// Hands the events to the test, Deliveries included (holding one holds its read credit).
struct Recorder(mpsc::UnboundedSender<Event>);

impl EventSink for Recorder {
    fn deliver(&self, event: Event) {
        let _ = self.0.send(event);
    }
}

struct Setup {
    conn: Connection,
    events: mpsc::UnboundedReceiver<Event>,
    server: TcpStream,
}

fn options(port: u16, framing: Framing) -> ConnectOptions {
    ConnectOptions {
        host: "127.0.0.1".into(),
        port,
        connect_timeout: Duration::from_secs(10),
        framing,
        tls: None,
        keepalive: None,
    }
}

/// A connection to a fresh listener, with the bytes in `early` written before it connects; returns
/// once the connection has reported `Connect`.
async fn connect_with(framing: Framing, early: &[u8]) -> Setup {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (conn, runner) = Connection::new(options(port, framing));
    conn.write(early);
    let (tx, mut events) = mpsc::unbounded_channel();
    tokio::spawn(runner.run(Recorder(tx)));
    let (server, _) = listener.accept().await.expect("accept");
    match events.recv().await {
        Some(Event::Connect { remote, .. }) => assert_eq!(remote.port(), port),
        other => panic!("expected Connect, got {other:?}"),
    }
    Setup {
        conn,
        events,
        server,
    }
}

async fn connect(framing: Framing) -> Setup {
    connect_with(framing, b"").await
}

/// `n` bytes that show their position (a wrong order or a lost piece changes them).
fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31) ^ (i >> 13) as u8 ^ seed)
        .collect()
}

async fn read_n(server: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    server.read_exact(&mut buf).await.expect("read");
    buf
}

/// Lets the runtime run the connection's task and the I/O driver for a while.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// The bytes of the next `Data` event (the Delivery is dropped: its credit returns).
async fn next_data(events: &mut mpsc::UnboundedReceiver<Event>) -> Vec<u8> {
    match events.recv().await {
        Some(Event::Data(d)) => d.batch.data.to_vec(),
        other => panic!("expected Data, got {other:?}"),
    }
}

/// More than the kernel buffers of a loopback connection hold in both directions.
const BIG: usize = 24 << 20;

#[tokio::test]
async fn a_write_with_nothing_queued_goes_out_at_once_from_the_callers_thread() {
    let mut s = connect(Framing::Raw).await;
    s.conn.write(b"hello");
    // No await in between: the task has not run, so the bytes were written by this call.
    assert_eq!(s.conn.queued_bytes(), 0);
    s.conn.write_all(&[b" ", b"world"]);
    assert_eq!(s.conn.queued_bytes(), 0);
    assert_eq!(read_n(&mut s.server, 11).await, b"hello world");
}

#[tokio::test]
async fn writes_before_the_connection_is_up_are_sent_once_it_is() {
    let mut s = connect_with(Framing::Raw, b"early").await;
    s.conn.write(b" then direct");
    assert_eq!(read_n(&mut s.server, 17).await, b"early then direct");
    assert_eq!(s.conn.queued_bytes(), 0);
}

#[tokio::test]
async fn a_write_that_does_not_fit_is_queued_and_later_writes_queue_behind_it_in_order() {
    let mut s = connect(Framing::Raw).await;
    let a = pattern(1000, 1);
    let b = pattern(BIG, 2);
    let c = pattern(3000, 3);
    s.conn.write(&a);
    assert_eq!(s.conn.queued_bytes(), 0, "the first write fits");
    s.conn.write(&b);
    let queued = s.conn.queued_bytes();
    assert!(
        queued > 0 && queued < BIG,
        "part of it went out at once, the rest is queued: {queued}"
    );
    // The socket may have room again, but the queue is not empty: this one waits its turn.
    s.conn.write(&c);
    assert_eq!(s.conn.queued_bytes(), queued + c.len());
    let got = read_n(&mut s.server, a.len() + b.len() + c.len()).await;
    assert!(
        got == [&a[..], &b[..], &c[..]].concat(),
        "bytes out of order"
    );
    assert_eq!(
        s.conn.queued_bytes(),
        0,
        "the writer task drained the queue"
    );
    // Drained: the next write takes the short way again.
    s.conn.write(b"again");
    assert_eq!(s.conn.queued_bytes(), 0);
    assert_eq!(read_n(&mut s.server, 5).await, b"again");
}

#[tokio::test]
async fn end_sends_fin_after_the_queue_and_drops_later_writes() {
    let mut s = connect(Framing::Raw).await;
    let big = pattern(BIG, 4);
    s.conn.write(&big);
    assert!(s.conn.queued_bytes() > 0);
    s.conn.end();
    s.conn.write(b"after end");
    let mut got = Vec::new();
    s.server.read_to_end(&mut got).await.expect("read to FIN");
    assert!(
        got == big,
        "{} bytes before FIN, {} written",
        got.len(),
        big.len()
    );
    // The server closes its side too: the connection ends without an error.
    drop(s.server);
    assert!(matches!(s.events.recv().await, Some(Event::End)));
    assert!(matches!(
        s.events.recv().await,
        Some(Event::Close { had_error: false })
    ));
    assert!(s.events.recv().await.is_none());
}

#[tokio::test]
async fn destroy_drops_the_queue_closes_the_socket_and_delivers_nothing_more() {
    let mut s = connect(Framing::Raw).await;
    s.conn.write(&pattern(BIG, 5));
    assert!(s.conn.queued_bytes() > 0);
    s.conn.destroy();
    assert_eq!(s.conn.queued_bytes(), 0);
    s.conn.write(b"after destroy");
    assert_eq!(s.conn.queued_bytes(), 0);
    // Whether this write still succeeds depends on how fast the close lands: either is fine.
    let _ = s.server.write_all(b"unread").await;
    // The task ends without another event, and the server sees the socket closed.
    assert!(s.events.recv().await.is_none());
    let mut rest = Vec::new();
    let closed = s.server.read_to_end(&mut rest).await;
    assert!(closed.is_err() || rest.len() < BIG, "the socket stays open");
}

#[tokio::test]
async fn pause_stops_delivery_at_once_and_resume_brings_what_arrived() {
    let mut s = connect(Framing::Raw).await;
    // The task is waiting in a read when the pause comes.
    settle().await;
    s.conn.set_paused(true);
    s.server.write_all(b"while paused").await.expect("write");
    settle().await;
    assert!(s.events.try_recv().is_err(), "delivered while paused");
    s.conn.set_paused(false);
    assert_eq!(next_data(&mut s.events).await, b"while paused");
    s.server.write_all(b"resumed").await.expect("write");
    assert_eq!(next_data(&mut s.events).await, b"resumed");
}

#[tokio::test]
async fn reading_stops_while_too_much_waits_for_javascript_and_resumes_when_it_is_taken() {
    let mut s = connect(Framing::Raw).await;
    let sent = pattern(3 * MAX_UNDELIVERED, 6);
    let mut server = s.server;
    let to_send = sent.clone();
    let writer = tokio::spawn(async move {
        server.write_all(&to_send).await.expect("server write");
        server
    });
    // Hold every delivery, as a JS thread that does not keep up would.
    let mut held = Vec::new();
    let mut held_bytes = 0;
    while held_bytes < MAX_UNDELIVERED {
        match s.events.recv().await {
            Some(Event::Data(d)) => {
                held_bytes += d.batch.data.len();
                held.push(d);
            }
            other => panic!("expected Data, got {other:?}"),
        }
    }
    settle().await;
    while let Ok(event) = s.events.try_recv() {
        if let Event::Data(d) = event {
            held_bytes += d.batch.data.len();
            held.push(d);
        }
    }
    // One read may complete past the limit, no more: the rest stays with the kernel and the server.
    assert!(
        held_bytes < MAX_UNDELIVERED + 2 * READ_CHUNK,
        "{held_bytes} bytes delivered while they were all held"
    );
    let mut got: Vec<u8> = held.iter().flat_map(|d| d.batch.data.to_vec()).collect();
    drop(held);
    while got.len() < sent.len() {
        got.extend(next_data(&mut s.events).await);
    }
    assert!(got == sent, "bytes lost or out of order");
    writer.await.expect("the server wrote everything");
}

#[tokio::test]
async fn packets_split_across_reads_come_as_one_batch_each_read_that_completes_them() {
    let framing = Framing::Packets {
        expect: Magic::Res,
        max_packet_size: 1 << 20,
    };
    let mut s = connect(framing).await;
    let mut stream = bytes::BytesMut::new();
    let encode = |args: &[&[u8]], dst: &mut bytes::BytesMut| {
        crate::protocol::codec::encode(Magic::Res, 28, args, dst).expect("encode")
    };
    encode(&[b"H:1", b"first"], &mut stream);
    let first = stream.len();
    encode(&[b"H:1", b"second"], &mut stream);
    // The first packet and part of the second, then the rest.
    let cut = stream.len() - 5;
    s.server.write_all(&stream[..cut]).await.expect("write");
    match s.events.recv().await {
        Some(Event::Data(d)) => {
            assert_eq!(d.batch.packets, 1);
            assert_eq!(d.batch.frames[..4], [28, 0, first as u32, 2]);
        }
        other => panic!("expected Data, got {other:?}"),
    }
    s.server.write_all(&stream[cut..]).await.expect("write");
    match s.events.recv().await {
        Some(Event::Data(d)) => {
            assert_eq!(d.batch.packets, 1);
            assert_eq!(&d.batch.data[..], &stream[first..]);
        }
        other => panic!("expected Data, got {other:?}"),
    }
}

#[tokio::test]
async fn a_server_that_breaks_framing_costs_the_connection_with_a_coded_error() {
    let framing = Framing::Packets {
        expect: Magic::Res,
        max_packet_size: 1 << 20,
    };
    let mut s = connect(framing).await;
    s.server
        .write_all(b"\0REQ\0\0\0\x06\0\0\0\0")
        .await
        .expect("write");
    match s.events.recv().await {
        Some(Event::Error(e)) => assert_eq!(e.code(), "GEARMAN_BAD_MAGIC"),
        other => panic!("expected Error, got {other:?}"),
    }
    assert!(matches!(
        s.events.recv().await,
        Some(Event::Close { had_error: true })
    ));
}

#[tokio::test]
async fn a_refused_connection_reports_econnrefused_then_close() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let (conn, runner) = Connection::new(options(port, Framing::Raw));
    conn.write(b"never sent");
    let (tx, mut events) = mpsc::unbounded_channel();
    runner.run(Recorder(tx)).await;
    match events.recv().await {
        Some(Event::Error(e)) => assert_eq!(e.code(), "ECONNREFUSED"),
        other => panic!("expected Error, got {other:?}"),
    }
    assert!(matches!(
        events.recv().await,
        Some(Event::Close { had_error: true })
    ));
    let before = conn.queued_bytes();
    conn.write(b"after close");
    assert_eq!(
        conn.queued_bytes(),
        before,
        "a write after close is dropped"
    );
}
