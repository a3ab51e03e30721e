//! End to end against a real Asterisk (`ARI_E2E_URL`, see `e2e/mod.rs`): Asterisk
//! restarted under connected event streams. The streams report the disconnect, reconnect
//! and carry events again; requests made meanwhile, over HTTP and over the WebSocket,
//! end with an answer or an error, never a hang.
//!
//! Restarting stops every call on the shared Asterisk, so the real test is opt-in:
//! `ARI_E2E_RESTART=1` (it runs `stop.sh` and `start.sh` of `../shared/asterisk/`, or of
//! `ARI_E2E_ASTERISK_SCRIPTS`). The same scenario runs on every `cargo test` against the
//! simulator, stopped and started again on the same port, which proves the test itself.

mod e2e;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ari_sdk::{Client, Error, Event, EventStream, Item, Transport};
use ari_sim::Simulator;
use e2e::{Asterisk, LIMIT, other_half};

/// Each request's own limit during the outage.
const REQUEST: Duration = Duration::from_secs(3);
/// How long a restarted server may take to answer again.
const BACK_UP: Duration = Duration::from_secs(90);

/// A server the test can stop and start.
enum Server {
    Real {
        asterisk: Asterisk,
        scripts: PathBuf,
    },
    Sim {
        running: Option<Box<Simulator>>,
        addr: std::net::SocketAddr,
        asterisk: Asterisk,
    },
}

impl Server {
    async fn simulator() -> Server {
        let sim = Simulator::builder()
            .media_duration(Duration::from_millis(50))
            .start()
            .await
            .expect("a simulator");
        let (user, password) = sim.credentials();
        let asterisk = Asterisk {
            url: sim.base_url(),
            user: user.to_owned(),
            password: password.to_owned(),
        };
        Server::Sim {
            addr: sim.addr(),
            running: Some(Box::new(sim)),
            asterisk,
        }
    }

    fn asterisk(&self) -> &Asterisk {
        match self {
            Server::Real { asterisk, .. } | Server::Sim { asterisk, .. } => asterisk,
        }
    }

    async fn stop(&mut self) {
        match self {
            Server::Real { scripts, .. } => run(scripts.join("stop.sh")).await,
            Server::Sim { running, .. } => {
                let sim = running.take().expect("running");
                sim.control().drop_websockets();
                sim.stop();
            }
        }
    }

    async fn start(&mut self) {
        match self {
            Server::Real { scripts, .. } => run(scripts.join("start.sh")).await,
            Server::Sim { running, addr, .. } => {
                // Its port may take a moment to be free again.
                let deadline = tokio::time::Instant::now() + LIMIT;
                loop {
                    match Simulator::builder()
                        .media_duration(Duration::from_millis(50))
                        .listen(*addr)
                        .start()
                        .await
                    {
                        Ok(sim) => {
                            *running = Some(Box::new(sim));
                            return;
                        }
                        Err(e) if tokio::time::Instant::now() < deadline => {
                            eprintln!("restarting the simulator on {addr}: {e}");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(e) => panic!("cannot restart the simulator on {addr}: {e}"),
                    }
                }
            }
        }
    }
}

/// Runs a script of `../shared/asterisk/`, failing the test if it fails.
async fn run(script: PathBuf) {
    let shown = script.display().to_string();
    let status = tokio::process::Command::new("bash")
        .arg(&script)
        .status()
        .await
        .unwrap_or_else(|e| panic!("running {shown}: {e}"));
    assert!(status.success(), "{shown} failed: {status}");
}

/// The next connection-state item (events are skipped), within `limit`.
async fn next_state(events: &mut EventStream, limit: Duration) -> Item {
    tokio::time::timeout(limit, async {
        loop {
            match events.next().await {
                Some(Ok(Item::Event(_))) => {}
                Some(Ok(item)) => return item,
                Some(Err(e)) => eprintln!("stream error during the restart: {e}"),
                None => panic!("the stream ended instead of reconnecting"),
            }
        }
    })
    .await
    .expect("a connection-state item in time")
}

/// Waits for the `StasisStart` of channel `id`.
async fn stasis_start(events: &mut EventStream, id: &str) {
    tokio::time::timeout(LIMIT, async {
        loop {
            match events.next().await {
                Some(Ok(Item::Event(Event::StasisStart(e)))) if e.channel.id == id => return,
                Some(_) => {}
                None => panic!("the stream ended"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("StasisStart of {id} in time"));
}

/// Lists channels again and again until told to stop; every request must end within
/// its limit and a margin (a hang fails the test). Returns what each one gave.
fn keep_asking(client: Client, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut outcomes = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let asked = client
                .channels()
                .list()
                .request_timeout(REQUEST)
                .into_future();
            let outcome = tokio::time::timeout(REQUEST + Duration::from_secs(5), asked)
                .await
                .unwrap_or_else(|_| panic!("a request over {:?} hung", client.transport()));
            outcomes.push(match outcome {
                Ok(_) => "answered".to_owned(),
                Err(e) => kind(&e),
            });
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        outcomes
    })
}

/// How a request failed, in a word.
fn kind(error: &Error) -> String {
    match error {
        Error::Transport { .. } => "transport".to_owned(),
        Error::ConnectionLost { sent, .. } => format!("connection lost (sent: {sent})"),
        Error::Timeout { .. } => "timeout".to_owned(),
        Error::Status(status) => format!("HTTP {}", status.status),
        other => format!("unexpected: {other}"),
    }
}

async fn restart_under_connected_streams(server: &mut Server) {
    let asterisk = server.asterisk().clone();
    let prefix = format!("e2e-{}-restart", e2e::run_id());
    let cleanup = e2e::Cleanup::new(&asterisk, &prefix);
    let (http_app, ws_app) = ("e2erestarthttp", "e2erestartws");
    let http = asterisk.client(Transport::Http);
    let ws = asterisk.client(Transport::WebSocket);
    let connect = |client: &Client, app: &str| {
        client
            .events([app])
            .reconnect_backoff(Duration::from_millis(100), Duration::from_secs(1))
            .connect()
    };
    let mut http_events = connect(&http, http_app)
        .await
        .expect("HTTP client's events");
    let mut ws_events = connect(&ws, ws_app)
        .await
        .expect("WebSocket client's events");
    for events in [&mut http_events, &mut ws_events] {
        assert_eq!(next_state(events, LIMIT).await, Item::Connected);
    }

    // Events flow before.
    let before = format!("{prefix}-before");
    http.channels()
        .originate("Local/7002@default")
        .app(http_app)
        .channel_id(&before)
        .other_channel_id(other_half(&before))
        .send_full()
        .await
        .expect("a call before the restart");
    stasis_start(&mut http_events, &before).await;

    let stop = Arc::new(AtomicBool::new(false));
    let askers = [
        keep_asking(http.clone(), stop.clone()),
        keep_asking(ws.clone(), stop.clone()),
    ];
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.stop().await;
    for events in [&mut http_events, &mut ws_events] {
        let item = next_state(events, LIMIT).await;
        assert!(matches!(item, Item::Disconnected { .. }), "{item:?}");
    }
    // While it is down: errors, at once over HTTP, within the request's limit over the
    // WebSocket (the request waits for the socket to come back).
    let down = tokio::time::timeout(LIMIT, http.channels().list())
        .await
        .expect("no hang over HTTP")
        .expect_err("the server is down");
    assert!(matches!(down, Error::Transport { .. }), "{down}");
    let down = tokio::time::timeout(LIMIT, ws.channels().list().request_timeout(REQUEST))
        .await
        .expect("no hang over the WebSocket")
        .expect_err("the server is down");
    assert!(
        matches!(down, Error::Timeout { .. } | Error::ConnectionLost { .. }),
        "{down}"
    );

    server.start().await;
    for events in [&mut http_events, &mut ws_events] {
        let item = next_state(events, BACK_UP).await;
        assert!(matches!(item, Item::Reconnected { .. }), "{item:?}");
    }
    stop.store(true, Ordering::Relaxed);
    for asker in askers {
        let outcomes = asker.await.expect("the asking task");
        eprintln!("requests during the restart: {outcomes:?}");
        assert!(outcomes.iter().any(|o| o == "answered"), "{outcomes:?}");
        assert!(outcomes.iter().any(|o| o != "answered"), "{outcomes:?}");
        assert!(
            !outcomes.iter().any(|o| o.starts_with("unexpected")),
            "{outcomes:?}"
        );
    }

    // A restart forgets every call; events flow again, and requests travel over the
    // new socket.
    let old = http.channel(&before).get().await.expect_err("gone");
    assert!(old.is_not_found(), "{old}");
    let after = format!("{prefix}-after");
    ws.channels()
        .originate("Local/7002@default")
        .app(ws_app)
        .channel_id(&after)
        .other_channel_id(other_half(&after))
        .await
        .expect("a call after the restart, over the WebSocket");
    stasis_start(&mut ws_events, &after).await;
    ws.channel(&after).hangup().await.expect("hang up");
    http_events.close().await;
    ws_events.close().await;
    cleanup.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asterisk_restarted_under_connected_event_streams() {
    let what = "Asterisk restarted under connected event streams";
    let Some(asterisk) = e2e::asterisk(what) else {
        return;
    };
    if std::env::var("ARI_E2E_RESTART").as_deref() != Ok("1") {
        eprintln!(
            "SKIPPED {what}: opt-in, set ARI_E2E_RESTART=1 (it restarts the shared Asterisk \
             with stop.sh/start.sh, ending every call on it)"
        );
        return;
    }
    let scripts = std::env::var_os("ARI_E2E_ASTERISK_SCRIPTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/asterisk"));
    let mut server = Server::Real { asterisk, scripts };
    restart_under_connected_streams(&mut server).await;
}

/// The same scenario against the simulator, stopped and started on its port: proves the
/// test on every run, with or without a real Asterisk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_restart_scenario_holds_on_the_simulator() {
    let mut server = Server::simulator().await;
    restart_under_connected_streams(&mut server).await;
}
