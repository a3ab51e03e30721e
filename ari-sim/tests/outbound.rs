//! Outbound WebSockets: the simulator connects out to an application's WebSocket server
//! (a plain tokio-tungstenite server here), as Asterisk 22 does in
//! `asterisk-traces/outbound-ws`.

#[path = "frames/support.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use ari_sim::{OutboundConfig, Simulator};
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::{json_of, keys};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

const WAIT: Duration = Duration::from_secs(5);

type ServerSocket = WebSocketStream<TcpStream>;

/// An upgrade request as the application's server saw it.
#[derive(Debug)]
struct Upgrade {
    at: Instant,
    path: String,
    authorization: Option<String>,
    protocol: Option<String>,
}

/// The application's WebSocket server: records upgrades, accepts (selecting `ari`) or
/// rejects them with a status.
struct AppServer {
    addr: std::net::SocketAddr,
    upgrades: mpsc::UnboundedReceiver<Upgrade>,
    sockets: mpsc::UnboundedReceiver<ServerSocket>,
    /// 0: accept; else the status to reject upgrades with.
    reject: Arc<AtomicU16>,
}

impl AppServer {
    async fn start() -> AppServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (upgrade_tx, upgrades) = mpsc::unbounded_channel();
        let (socket_tx, sockets) = mpsc::unbounded_channel();
        let reject = Arc::new(AtomicU16::new(0));
        let rejecting = reject.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let upgrade_tx = upgrade_tx.clone();
                let socket_tx = socket_tx.clone();
                let status = rejecting.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    // tungstenite's callback signature: its error is an HTTP response.
                    #[allow(clippy::result_large_err)]
                    let callback = move |request: &Request, mut response: Response| {
                        let header = |name: &str| {
                            request
                                .headers()
                                .get(name)
                                .and_then(|v| v.to_str().ok())
                                .map(str::to_owned)
                        };
                        let _ = upgrade_tx.send(Upgrade {
                            at: Instant::now(),
                            path: request.uri().path().to_owned(),
                            authorization: header("Authorization"),
                            protocol: header("Sec-WebSocket-Protocol"),
                        });
                        if status != 0 {
                            let mut refusal = ErrorResponse::new(None);
                            *refusal.status_mut() =
                                axum::http::StatusCode::from_u16(status).unwrap();
                            return Err(refusal);
                        }
                        response
                            .headers_mut()
                            .insert("Sec-WebSocket-Protocol", "ari".parse().unwrap());
                        Ok(response)
                    };
                    if let Ok(socket) = tokio_tungstenite::accept_hdr_async(tcp, callback).await {
                        let _ = socket_tx.send(socket);
                    }
                });
            }
        });
        AppServer {
            addr,
            upgrades,
            sockets,
            reject,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    async fn upgrade(&mut self) -> Upgrade {
        tokio::time::timeout(WAIT, self.upgrades.recv())
            .await
            .expect("an upgrade request in time")
            .unwrap()
    }

    async fn socket(&mut self) -> ServerSocket {
        tokio::time::timeout(WAIT, self.sockets.recv())
            .await
            .expect("a connection in time")
            .unwrap()
    }

    fn reject_with(&self, status: u16) {
        self.reject.store(status, Ordering::SeqCst);
    }
}

/// The next text frame, or None once the simulator closed the socket.
async fn next(ws: &mut ServerSocket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                return Some(serde_json::from_str(text.as_str()).unwrap());
            }
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

async fn frame(ws: &mut ServerSocket) -> Value {
    next(ws).await.expect("the socket stays open")
}

/// Frames up to the first of `type_name`, that one last.
async fn until(ws: &mut ServerSocket, type_name: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let f = frame(ws).await;
        let done = f["type"] == type_name;
        seen.push(f);
        if done {
            return seen;
        }
    }
}

async fn rest(ws: &mut ServerSocket, method: &str, uri: &str) -> Value {
    let request = json!({"type": "RESTRequest", "transaction_id": "t", "request_id": uri,
                         "method": method, "uri": uri});
    ws.send(Message::text(request.to_string())).await.unwrap();
    until(ws, "RESTResponse").await.pop().unwrap()
}

/// `POST /ari/channels` over HTTP, as the recording's calls were made.
async fn originate(sim: &Simulator, query: &str) -> Value {
    let request = reqwest::Client::new()
        .post(format!("{}/channels?{query}", sim.base_url()))
        .basic_auth("hey", Some("peekaboo"));
    json_of(request).await
}

async fn simulator() -> Simulator {
    Simulator::builder()
        .answer_delay(Duration::from_millis(10))
        .start()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_persistent_connection_registers_then_carries_events_and_requests() {
    let mut server = AppServer::start().await;
    let sim = simulator().await;
    let config =
        OutboundConfig::new(&server.url("/"), ["outapp"]).credentials("asterisk", "secret");
    let handle = sim.connect_outbound(config).unwrap();

    let upgrade = server.upgrade().await;
    let basic = base64::engine::general_purpose::STANDARD.encode("asterisk:secret");
    assert_eq!(upgrade.path, "/");
    assert_eq!(upgrade.authorization, Some(format!("Basic {basic}")));
    assert_eq!(upgrade.protocol.as_deref(), Some("ari"));
    let mut ws = server.socket().await;
    let registered = frame(&mut ws).await;
    assert_eq!(
        keys(&registered),
        ["type", "timestamp", "application", "asterisk_id"]
    );
    assert_eq!(registered["type"], "ApplicationRegistered");
    assert_eq!(registered["application"], "outapp");
    assert_eq!(registered["asterisk_id"], "02:fc:00:00:00:01");

    let app = rest(&mut ws, "GET", "applications/outapp").await;
    assert_eq!(app["status_code"], 200);
    assert_eq!(app["application"], "outapp");

    let one = originate(&sim, "endpoint=Local/7002@default&app=outapp").await;
    let id = one["id"].as_str().unwrap().to_owned();
    let start = until(&mut ws, "StasisStart").await.pop().unwrap();
    assert_eq!(start["channel"]["id"], id.as_str());
    assert_eq!(start["application"], "outapp");

    assert_eq!(
        rest(&mut ws, "POST", &format!("channels/{id}/answer")).await["status_code"],
        204
    );
    let got = rest(&mut ws, "GET", &format!("channels/{id}")).await;
    assert_eq!(got["status_code"], 200);
    let channel: Value = serde_json::from_str(got["message_body"].as_str().unwrap()).unwrap();
    assert_eq!(channel["state"], "Up");
    assert_eq!(
        rest(&mut ws, "DELETE", &format!("channels/{id}")).await["status_code"],
        204
    );
    let end = until(&mut ws, "StasisEnd").await.pop().unwrap();
    assert_eq!(end["channel"]["id"], id.as_str());
    assert!(handle.wait_open(WAIT).await);
    assert_eq!(handle.connections(), 1);
    assert_eq!(handle.open_sockets(), 1);
    // No /ari/events socket is involved.
    assert_eq!(sim.control().websocket_count(), 0);
}

#[tokio::test]
async fn a_closed_socket_reconnects_at_once_and_queued_events_come_before_registered() {
    let mut server = AppServer::start().await;
    let sim = simulator().await;
    let config = OutboundConfig::new(&server.url("/"), ["outapp"])
        .credentials("asterisk", "secret")
        .reconnect_interval(Duration::from_millis(1500));
    let handle = sim.connect_outbound(config).unwrap();
    server.upgrade().await;
    let mut ws = server.socket().await;
    assert_eq!(frame(&mut ws).await["type"], "ApplicationRegistered");

    // A clean close by the server: a new upgrade right away, registered again.
    let closed = Instant::now();
    ws.close(None).await.unwrap();
    // At once, not after the 1.5 s interval (Asterisk: about 1 ms).
    let again = server.upgrade().await;
    assert!(
        again.at - closed < Duration::from_millis(700),
        "{:?}",
        again.at - closed
    );
    let mut ws = server.socket().await;
    assert_eq!(frame(&mut ws).await["type"], "ApplicationRegistered");

    // Down for a while (upgrades refused): the application stays registered and its
    // events queue; on reconnect they come first, then ApplicationRegistered.
    server.reject_with(503);
    ws.close(None).await.unwrap();
    server.upgrade().await;
    let one = originate(&sim, "endpoint=Local/7002@default&app=outapp").await;
    assert!(one["id"].is_string(), "{one}");
    tokio::time::sleep(Duration::from_millis(250)).await;
    server.reject_with(0);
    let mut ws = server.socket().await;
    let replayed = until(&mut ws, "ApplicationRegistered").await;
    let types: Vec<&str> = replayed.iter().filter_map(|f| f["type"].as_str()).collect();
    let start = types.iter().position(|t| *t == "StasisStart");
    assert!(start.is_some(), "{types:?}");
    assert_eq!(types.last(), Some(&"ApplicationRegistered"));
    assert!(handle.connections() >= 3);
    // And the replayed StasisStart is about the call made while down.
    assert_eq!(replayed[start.unwrap()]["channel"]["id"], one["id"]);

    // Dropped sockets (a fault, a restart): outbound ones come back by themselves.
    sim.control().drop_websockets();
    while next(&mut ws).await.is_some() {}
    let mut ws = server.socket().await;
    until(&mut ws, "ApplicationRegistered").await;
    let app = rest(&mut ws, "GET", "applications/outapp").await;
    assert_eq!(app["status_code"], 200);
}

#[tokio::test]
async fn a_refused_upgrade_or_connection_is_retried_every_interval() {
    let mut server = AppServer::start().await;
    server.reject_with(401);
    let sim = simulator().await;
    let interval = Duration::from_millis(150);
    let config = OutboundConfig::new(&server.url("/"), ["outapp"])
        .credentials("asterisk", "wrong")
        .reconnect_interval(interval);
    let handle = sim.connect_outbound(config).unwrap();
    let mut times = Vec::new();
    for _ in 0..5 {
        times.push(server.upgrade().await.at);
    }
    for pair in times.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(130) && gap < Duration::from_secs(1),
            "{gap:?}"
        );
    }
    assert_eq!(handle.connections(), 0);
    server.reject_with(0);
    let mut ws = server.socket().await;
    assert_eq!(frame(&mut ws).await["type"], "ApplicationRegistered");

    // Nobody listening at all: attempts go on at the interval.
    let port = {
        let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
        probe.local_addr().unwrap().port()
    };
    let nowhere = OutboundConfig::new(&format!("ws://127.0.0.1:{port}/"), ["elsewhere"])
        .reconnect_interval(Duration::from_millis(100));
    let refused = sim.connect_outbound(nowhere).unwrap();
    tokio::time::sleep(Duration::from_millis(550)).await;
    let attempts = refused.attempts();
    assert!((2..=8).contains(&attempts), "{attempts} attempts");
    refused.stop();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let after = refused.attempts();
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(refused.attempts(), after, "no attempts once stopped");
}

#[tokio::test]
async fn per_call_connections_open_for_each_channel_and_close_after_stasis_end() {
    let mut server = AppServer::start().await;
    // `dialin` sends its calls to the context Asterisk makes for a per-call application.
    let plan = format!(
        "{}[dialin]\nexten => 1,1,Goto(stasis-outapp,s,1)\n",
        ari_sim::dialplan::DEFAULT
    );
    let sim = Simulator::builder()
        .answer_delay(Duration::from_millis(10))
        .dialplan(ari_sim::Dialplan::parse(&plan).unwrap())
        .start()
        .await
        .unwrap();
    let config = OutboundConfig::new(&server.url("/percall"), ["outapp"])
        .credentials("asterisk", "secret")
        .per_call()
        .per_call_delays(Duration::from_millis(50), Duration::from_millis(300));
    let handle = sim.connect_outbound(config).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        server.upgrades.try_recv().is_err(),
        "nothing connects before a call"
    );

    let one = originate(
        &sim,
        "endpoint=Local/7002@default&app=outapp&appArgs=percall",
    )
    .await;
    let (id, name) = (one["id"].as_str().unwrap(), one["name"].as_str().unwrap());
    let app = format!("outapp:{name}");
    assert_eq!(server.upgrade().await.path, "/percall");
    let mut ws = server.socket().await;
    let registered = frame(&mut ws).await;
    assert_eq!(
        (&registered["type"], &registered["application"]),
        (&json!("ApplicationRegistered"), &json!(app))
    );
    let start = frame(&mut ws).await;
    assert_eq!(start["type"], "StasisStart");
    assert_eq!(
        (&start["application"], &start["channel"]["id"]),
        (&json!(app), &json!(id))
    );
    assert_eq!(start["args"], json!(["percall"]));

    let got = rest(&mut ws, "GET", &format!("channels/{id}")).await;
    assert_eq!(
        (&got["status_code"], &got["application"]),
        (&json!(200), &json!(app))
    );
    let hangup = rest(&mut ws, "DELETE", &format!("channels/{id}")).await;
    assert_eq!(hangup["status_code"], 204);
    let ended = Instant::now();
    let mut after = Vec::new();
    while let Some(f) = next(&mut ws).await {
        after.push(f);
    }
    let waited = ended.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    let types: Vec<&str> = after.iter().filter_map(|f| f["type"].as_str()).collect();
    assert!(types.contains(&"StasisEnd"), "{types:?}");
    assert!(!types.contains(&"ApplicationUnregistered"), "{types:?}");
    // Only that channel's events, all for its own application.
    for f in &after {
        assert_eq!(f["application"], json!(app));
        if let Some(channel) = f.get("channel") {
            assert_eq!(channel["id"], json!(id));
        }
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(handle.open_sockets(), 0);

    // Two calls at once: two sockets, each with its own application; a channel sent to
    // the context Asterisk makes (stasis-outapp) enters too.
    originate(&sim, "endpoint=Local/7002@default&app=outapp").await;
    originate(&sim, "endpoint=Local/1@dialin&app=nobody").await;
    let mut apps = Vec::new();
    for _ in 0..2 {
        let mut ws = server.socket().await;
        let registered = frame(&mut ws).await;
        let start = frame(&mut ws).await;
        assert_eq!(start["type"], "StasisStart");
        assert_eq!(start["application"], registered["application"]);
        apps.push(registered["application"].as_str().unwrap().to_owned());
    }
    assert_ne!(apps[0], apps[1]);
    apps.sort();
    assert!(apps[0].starts_with("outapp:Local/1@dialin-"), "{apps:?}");
    assert!(apps[0].ends_with(";2"), "{apps:?}");
    assert!(
        apps[1].starts_with("outapp:Local/7002@default-"),
        "{apps:?}"
    );
}

#[tokio::test]
async fn a_per_call_connection_that_cannot_open_sends_the_channel_back_to_its_dialplan() {
    let mut server = AppServer::start().await;
    server.reject_with(503);
    let sim = simulator().await;
    let config = OutboundConfig::new(&server.url("/percall"), ["outapp"])
        .per_call()
        .reconnect_interval(Duration::from_millis(50));
    sim.connect_outbound(config).unwrap();
    let one = originate(&sim, "endpoint=Local/7002@default&app=outapp").await;
    let id = one["id"].as_str().unwrap().to_owned();
    for _ in 0..4 {
        server.upgrade().await;
    }
    // Four attempts (Asterisk's default), then the channel is hung up: nothing runs it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(server.upgrades.try_recv().is_err(), "no fifth attempt");
    assert!(!sim.control().channel_ids().contains(&id));
}

#[tokio::test]
async fn requests_over_an_outbound_socket_run_as_the_local_ari_user() {
    let mut server = AppServer::start().await;
    let sim = simulator().await;
    let config = OutboundConfig::new(&server.url("/"), ["outapp"]).local_ari_user("ro");
    sim.connect_outbound(config).unwrap();
    let mut ws = server.socket().await;
    frame(&mut ws).await;
    assert_eq!(rest(&mut ws, "GET", "channels").await["status_code"], 200);
    let post = rest(&mut ws, "POST", "channels").await;
    assert_eq!(
        (&post["status_code"], &post["message_body"]),
        (&json!(403), &json!(r#"{"message":"Write access denied"}"#))
    );
    assert!(
        sim.connect_outbound(OutboundConfig::new(&server.url("/"), ["x"]).local_ari_user("nobody"))
            .is_err()
    );
    assert!(
        sim.connect_outbound(OutboundConfig::new("http://x/", ["x"]))
            .is_err()
    );
    assert!(
        sim.connect_outbound(OutboundConfig::new(&server.url("/"), [""; 0]))
            .is_err()
    );
}

#[tokio::test]
async fn several_simulators_connect_to_one_server_through_the_control_endpoints() {
    let mut server = AppServer::start().await;
    let a = Simulator::builder()
        .asterisk_id("02:fc:00:00:00:0a")
        .start()
        .await
        .unwrap();
    let b = Simulator::builder()
        .asterisk_id("02:fc:00:00:00:0b")
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for sim in [&a, &b] {
        let started = json_of(http.post(format!(
            "http://{}/sim/outbound?url={}&apps=outapp&username=asterisk&password=pw",
            sim.addr(),
            server.url("/")
        )))
        .await;
        ids.push(started["id"].as_u64().expect("an id"));
    }
    let mut sockets = Vec::new();
    let mut asterisks = Vec::new();
    for _ in 0..2 {
        let mut ws = server.socket().await;
        let registered = frame(&mut ws).await;
        asterisks.push(registered["asterisk_id"].as_str().unwrap().to_owned());
        sockets.push((registered["asterisk_id"].clone(), ws));
    }
    asterisks.sort();
    assert_eq!(asterisks, ["02:fc:00:00:00:0a", "02:fc:00:00:00:0b"]);

    let listed = json_of(http.get(format!("http://{}/sim/outbound", a.addr()))).await;
    assert_eq!(listed["outbound"][0]["open"], 1);
    assert_eq!(listed["outbound"][0]["type"], "persistent");

    // Stopping a's connection: ApplicationUnregistered, then the close.
    let stop = http
        .post(format!(
            "http://{}/sim/outbound-stop?id={}",
            a.addr(),
            ids[0]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(stop.status().as_u16(), 200);
    let (_, ws) = sockets
        .iter_mut()
        .find(|(id, _)| id == "02:fc:00:00:00:0a")
        .unwrap();
    let last = frame(ws).await;
    assert_eq!(
        (&last["type"], &last["application"]),
        (&json!("ApplicationUnregistered"), &json!("outapp"))
    );
    assert!(next(ws).await.is_none());
    let bad = http
        .post(format!("http://{}/sim/outbound?url=nope&apps=x", a.addr()))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
}

/// The recording's frames of one file, parsed.
fn recorded(file: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/traces/outbound-ws")
        .join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Same fields in the same order and values, with bodies alike: error messages word for
/// word, other bodies of the same JSON kind and (for objects) the same set of keys.
fn assert_alike(got: &Value, want: &Value) {
    assert_eq!(keys(got), keys(want), "{got}\nvs recorded\n{want}");
    // Every field but the body (compared below) and the moment.
    for field in keys(want) {
        if !matches!(field, "message_body" | "timestamp") {
            assert_eq!(got.get(field), want.get(field), "{field}: {got}\nvs {want}");
        }
    }
    let (Some(got_body), Some(want_body)) =
        (got["message_body"].as_str(), want["message_body"].as_str())
    else {
        return;
    };
    if want["status_code"].as_u64() >= Some(400) {
        assert_eq!(got_body, want_body);
        return;
    }
    let got_body: Value = serde_json::from_str(got_body).unwrap();
    let want_body: Value = serde_json::from_str(want_body).unwrap();
    match (&got_body, &want_body) {
        // Same keys; their order inside a body is the models' (a channel's `protocol_id`
        // comes second here, fourth in Asterisk's).
        (Value::Object(_), Value::Object(_)) => {
            let (mut got_keys, mut want_keys) = (keys(&got_body), keys(&want_body));
            got_keys.sort_unstable();
            want_keys.sort_unstable();
            assert_eq!(got_keys, want_keys);
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{got_body} vs {want_body}")
        }
        _ => panic!("{got_body} vs recorded {want_body}"),
    }
}

/// Sends a recorded frame (the one that was not JSON as its raw text).
async fn send_recorded(ws: &mut ServerSocket, request: &Value) {
    let text = match request.get("_raw_text_frame_sent") {
        Some(raw) => raw.as_str().unwrap().to_owned(),
        None => request.to_string(),
    };
    ws.send(Message::text(text)).await.unwrap();
}

#[tokio::test]
async fn the_recorded_requests_get_the_recorded_answers() {
    let requests = recorded("requests.jsonl");
    let answers: Vec<Value> = recorded("events.jsonl")
        .into_iter()
        .filter(|f| f["type"] == "RESTResponse")
        .collect();
    assert_eq!(requests.len(), answers.len());
    // Requests about the recording's own channels cannot be replayed; the rest can.
    let about_recorded_channels = |r: &Value| r["uri"].as_str().is_some_and(|u| u.contains("1795"));
    let read_only = |r: &Value| {
        r["transaction_id"]
            .as_str()
            .is_some_and(|t| t.starts_with("ro"))
    };

    let mut server = AppServer::start().await;
    let sim = simulator().await;
    sim.connect_outbound(OutboundConfig::new(&server.url("/"), ["outapp"]))
        .unwrap();
    let mut ws = server.socket().await;
    frame(&mut ws).await;
    let mut replayed = 0;
    // The first session of the recording: up to the JSON-body originate.
    for (request, answer) in requests.iter().zip(&answers).take(17) {
        if about_recorded_channels(request) {
            continue;
        }
        send_recorded(&mut ws, request).await;
        let got = until(&mut ws, "RESTResponse").await.pop().unwrap();
        assert_alike(&got, answer);
        replayed += 1;
    }
    assert_eq!(replayed, 14);

    // The session whose local_ari_user was read-only.
    let sim = simulator().await;
    sim.connect_outbound(OutboundConfig::new(&server.url("/"), ["outapp"]).local_ari_user("ro"))
        .unwrap();
    let mut ws = server.socket().await;
    frame(&mut ws).await;
    for (request, answer) in requests.iter().zip(&answers).filter(|(r, _)| read_only(r)) {
        send_recorded(&mut ws, request).await;
        let got = until(&mut ws, "RESTResponse").await.pop().unwrap();
        assert_alike(&got, answer);
    }
}
