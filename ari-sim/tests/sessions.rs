//! The simulator limits HTTP sessions as Asterisk's http.conf does: connections beyond
//! `sessionlimit` are closed unanswered, idle ones closed after `session_keep_alive` or
//! `session_inactivity`, WebSockets count but are never closed for idling.

use std::time::Duration;

use ari_sim::{SessionLimits, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn simulator(limits: SessionLimits) -> Simulator {
    Simulator::builder()
        .session_limits(limits)
        .start()
        .await
        .expect("simulator")
}

/// Whether the server closed `stream` (reading gives end of stream) within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(within, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

async fn ping(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /ari/asterisk/ping HTTP/1.1\r\nHost: sim\r\nAuthorization: Basic aGV5OnBlZWthYm9v\r\n\r\n")
        .await
        .expect("write");
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).await.expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn a_connection_beyond_the_limit_is_closed_unanswered() {
    let sim = simulator(SessionLimits {
        limit: 3,
        ..SessionLimits::default()
    })
    .await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(TcpStream::connect(sim.addr()).await.expect("connect"));
    }
    let mut fourth = TcpStream::connect(sim.addr()).await.expect("connect");
    assert!(
        closed_within(&mut fourth, Duration::from_secs(2)).await,
        "refused"
    );
    assert_eq!(sim.control().sessions_refused(), 1);
    assert!(
        ping(&mut open[0]).await.starts_with("HTTP/1.1 200"),
        "the others are served"
    );
    drop(open);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        sim.control().sessions_live(),
        0,
        "closed sessions are counted out"
    );
    assert_eq!(sim.control().sessions_peak(), 3);
    let mut again = TcpStream::connect(sim.addr()).await.expect("connect");
    assert!(
        ping(&mut again).await.starts_with("HTTP/1.1 200"),
        "room again"
    );
}

#[tokio::test]
async fn idle_sessions_are_closed_after_keep_alive_and_inactivity() {
    let sim = simulator(SessionLimits {
        limit: 10,
        keep_alive: Duration::from_millis(200),
        inactivity: Duration::from_millis(400),
    })
    .await;
    let mut answered = TcpStream::connect(sim.addr()).await.expect("connect");
    assert!(ping(&mut answered).await.starts_with("HTTP/1.1 200"));
    assert!(
        ping(&mut answered).await.starts_with("HTTP/1.1 200"),
        "kept alive"
    );
    assert!(
        closed_within(&mut answered, Duration::from_secs(2)).await,
        "closed when idle"
    );

    let mut silent = TcpStream::connect(sim.addr()).await.expect("connect");
    let started = tokio::time::Instant::now();
    assert!(closed_within(&mut silent, Duration::from_secs(2)).await);
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "not before session_inactivity"
    );
}

#[tokio::test]
async fn an_event_websocket_counts_but_is_never_closed_for_idling() {
    let sim = simulator(SessionLimits {
        limit: 2,
        keep_alive: Duration::from_millis(100),
        inactivity: Duration::from_millis(100),
    })
    .await;
    let client = sim.client();
    let mut events = client.events(["idle"]).connect().await.expect("connect");
    assert_eq!(sim.control().sessions_live(), 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(matches!(
        events.next().await,
        Some(Ok(ari_sdk::Item::Connected))
    ));
    // Events still arrive after a quiet spell far longer than the keep-alive.
    client
        .channels()
        .originate("Local/7002@default")
        .app("idle")
        .await
        .expect("originate");
    let next = tokio::time::timeout(Duration::from_secs(5), events.next_event()).await;
    assert!(matches!(next, Ok(Some(Ok(_)))), "{next:?}");
}
