//! REST over HTTP against a real Asterisk on loopback: the SDK's requests next to what an
//! HTTP load tool (`wrk`) and the other Rust client (`asterisk-rs-ari`) get from the same
//! server in the same run.
//!
//! `ARI_BENCH_URL=http://127.0.0.1:8088/ari cargo bench -p ari-bench --bench rest_asterisk`
//! (`ARI_BENCH_USER`/`ARI_BENCH_PASSWORD`, default `hey`/`peekaboo`; `wrk` from Debian's
//! package of that name). Without `ARI_BENCH_URL` it prints `SKIPPED` and exits; without
//! `wrk` the tool's column says so and the clients are still compared.
//!
//! Measured, for `GET /asterisk/ping` and `GET /channels` (with `CHANNELS` channels up):
//! - one request at a time: the SDK, plain reqwest (the HTTP stack under the SDK, by
//!   hand), asterisk-rs-ari and `wrk -c1` (one keep-alive connection), each for a slice of
//!   `SLICE`, alternating, `ROUNDS` rounds; the median requests/s of each;
//! - 4 and 16 requests in flight: the SDK (as many tasks) against `wrk -c4`/`-c16`;
//! - one request at a time over the SDK's WebSocket transport against its HTTP, and a bare
//!   WebSocket client (answers recognised, not decoded) against `wrk -c1`, alternating: what
//!   the server gives each transport, the ceiling of the SDK's.
//!
//! wrk runs in its own process and the clients in this one; Asterisk answers both on the
//! same 2 cores, so every figure is a ratio against the others of the same round.

use std::process::Command;
use std::time::{Duration, Instant};

use ari_bench::{env_or, quick_mode};
use ari_sdk::{Client, Transport};

/// Channels up while `GET /channels` is measured (each `Local` originate makes two).
const CHANNELS: usize = 20;
/// How long each contestant runs per round.
const SLICE: Duration = Duration::from_secs(2);
/// Rounds of every contestant, alternating; the median is reported.
const ROUNDS: usize = 5;

/// A request the contestants repeat.
#[derive(Clone, Copy)]
enum Target {
    Ping,
    Channels,
}

impl Target {
    fn path(self) -> &'static str {
        match self {
            Target::Ping => "/asterisk/ping",
            Target::Channels => "/channels",
        }
    }
}

/// The server and its credentials.
struct Server {
    url: String,
    user: String,
    password: String,
}

impl Server {
    /// The `Authorization` header's value for the bench's credentials.
    fn basic_auth(&self) -> String {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.user, self.password));
        format!("Basic {token}")
    }

    /// `host:port` of the URL, for asterisk-rs-ari's builder.
    fn host_port(&self) -> (String, u16) {
        let rest = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        let authority = rest.split('/').next().unwrap_or(rest);
        match authority.rsplit_once(':') {
            Some((host, port)) => (
                host.to_owned(),
                port.parse().expect("port in ARI_BENCH_URL"),
            ),
            None => (authority.to_owned(), 80),
        }
    }
}

/// Requests/s of `wrk` with `connections` keep-alive connections, or why there is none.
fn wrk(server: &Server, target: Target, connections: usize) -> Result<f64, String> {
    let output = Command::new("wrk")
        .args(["-t1", &format!("-c{connections}")])
        .arg(format!("-d{}s", SLICE.as_secs()))
        .args(["-H", &format!("Authorization: {}", server.basic_auth())])
        .arg(format!("{}{}", server.url, target.path()))
        .output()
        .map_err(|e| format!("wrk not run ({e}); `apt-get install wrk`"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx") {
        return Err(format!("wrk got error answers: {text}"));
    }
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("no rate in wrk's output: {text}"))
}

/// Requests/s of `in_flight` tasks repeating the SDK's request for one slice.
async fn sdk(client: &Client, target: Target, in_flight: usize) -> f64 {
    let deadline = Instant::now() + SLICE;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..in_flight {
        let client = client.clone();
        tasks.spawn(async move {
            let mut done = 0u64;
            while Instant::now() < deadline {
                match target {
                    Target::Ping => drop(client.asterisk().ping().await.expect("ping")),
                    Target::Channels => drop(client.channels().list().await.expect("list")),
                }
                done += 1;
            }
            done
        });
    }
    let started = Instant::now();
    let mut done = 0;
    while let Some(n) = tasks.join_next().await {
        done += n.expect("task");
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// A WebSocket to the server's event endpoint, for [`bare_websocket`].
type BareSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens an event connection for application `bench-rest-bare`, with the bench's credentials.
async fn bare_socket(server: &Server) -> BareSocket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!(
        "{}/events?app=bench-rest-bare",
        server.url.replacen("http", "ws", 1)
    );
    let mut request = url.into_client_request().expect("the events URL");
    request.headers_mut().insert(
        "Authorization",
        server.basic_auth().parse().expect("a header value"),
    );
    tokio_tungstenite::connect_async(request)
        .await
        .expect("a bare WebSocket to the server")
        .0
}

/// Requests/s of a bare WebSocket client for one slice: a `RESTRequest` frame written, the
/// next `RESTResponse` frame read and not decoded (as wrk does not decode): the server's
/// side of REST over the WebSocket, the ceiling of the SDK's transport.
async fn bare_websocket(socket: &mut BareSocket, target: Target) -> f64 {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let uri = target.path().trim_start_matches('/');
    let started = Instant::now();
    let deadline = started + SLICE;
    let mut done = 0u64;
    while Instant::now() < deadline {
        let frame = format!(
            r#"{{"type":"RESTRequest","transaction_id":"bare","request_id":"{done}","method":"GET","uri":"{uri}"}}"#
        );
        socket
            .send(Message::text(frame))
            .await
            .expect("write a request");
        loop {
            let message = socket
                .next()
                .await
                .expect("the socket stays open")
                .expect("read a frame");
            if let Message::Text(text) = message {
                if text.contains("\"RESTResponse\"") {
                    break;
                }
            }
        }
        done += 1;
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// Requests/s of plain reqwest (URL and credentials written by hand, the answer decoded
/// into the SDK's type), one request at a time, for one slice: what the HTTP stack under
/// the SDK costs by itself.
async fn plain_reqwest(http: &reqwest::Client, server: &Server, target: Target) -> f64 {
    let url = format!("{}{}", server.url, target.path());
    let started = Instant::now();
    let mut done = 0u64;
    while started.elapsed() < SLICE {
        let answer = http
            .get(&url)
            .basic_auth(&server.user, Some(&server.password))
            .send()
            .await
            .expect("request")
            .bytes()
            .await
            .expect("body");
        match target {
            Target::Ping => drop(serde_json::from_slice::<ari_sdk::AsteriskPing>(&answer)),
            Target::Channels => drop(serde_json::from_slice::<Vec<ari_sdk::Channel>>(&answer)),
        }
        done += 1;
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// Requests/s of asterisk-rs-ari, one request at a time, for one slice.
async fn other_client(client: &asterisk_rs_ari::AriClient, target: Target) -> f64 {
    use asterisk_rs_ari::resources::{asterisk, channel};
    let started = Instant::now();
    let mut done = 0u64;
    while started.elapsed() < SLICE {
        match target {
            Target::Ping => drop(asterisk::ping(client).await.expect("ping")),
            Target::Channels => drop(channel::list(client).await.expect("list")),
        }
        done += 1;
    }
    done as f64 / started.elapsed().as_secs_f64()
}

/// The median of wrk's rounds, or the first reason one of them has none.
fn median_of_tool(rounds: Vec<Result<f64, String>>) -> Result<f64, String> {
    rounds
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map(median)
}

fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

fn describe(rate: &Result<f64, String>) -> String {
    match rate {
        Ok(r) => format!("{r:.0}"),
        Err(e) => format!("- ({e})"),
    }
}

/// The median requests/s of each contestant over alternating rounds, one request at a time.
struct Sequential {
    sdk: f64,
    reqwest: f64,
    other_client: f64,
    wrk: Result<f64, String>,
}

async fn sequential(
    server: &Server,
    clients: &Clients,
    target: Target,
    rounds: usize,
) -> Sequential {
    let (mut ours, mut plain, mut theirs, mut tool) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        ours.push(sdk(&clients.sdk, target, 1).await);
        plain.push(plain_reqwest(&clients.reqwest, server, target).await);
        theirs.push(other_client(&clients.other, target).await);
        tool.push(wrk(server, target, 1));
    }
    Sequential {
        sdk: median(ours),
        reqwest: median(plain),
        other_client: median(theirs),
        wrk: median_of_tool(tool),
    }
}

/// The clients compared.
struct Clients {
    sdk: Client,
    reqwest: reqwest::Client,
    other: asterisk_rs_ari::AriClient,
}

/// Median of the SDK and of wrk with `in_flight` requests/connections.
async fn concurrent(
    server: &Server,
    client: &Client,
    target: Target,
    in_flight: usize,
    rounds: usize,
) -> (f64, Result<f64, String>) {
    let (mut ours, mut tool) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        ours.push(sdk(client, target, in_flight).await);
        tool.push(wrk(server, target, in_flight));
    }
    (median(ours), median_of_tool(tool))
}

/// Originates `CHANNELS` channels that wait in the dialplan; their ids.
async fn channels_up(client: &Client) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..CHANNELS / 2 {
        let id = format!("bench-rest-{}-{n}", std::process::id());
        client
            .channels()
            .originate("Local/7002@default")
            .extension("7002")
            .context("default")
            .channel_id(id.clone())
            .await
            .expect("originate a waiting channel");
        ids.push(id);
    }
    ids
}

fn ratio(ours: f64, theirs: &Result<f64, String>) -> String {
    match theirs {
        Ok(t) => format!("{:.2}x", ours / t),
        Err(_) => "-".to_owned(),
    }
}

fn main() {
    let Ok(url) = std::env::var("ARI_BENCH_URL") else {
        println!("SKIPPED REST against a real Asterisk: ARI_BENCH_URL is not set");
        return;
    };
    let server = Server {
        url: url.trim_end_matches('/').to_owned(),
        user: env_or("ARI_BENCH_USER", "hey"),
        password: env_or("ARI_BENCH_PASSWORD", "peekaboo"),
    };
    let rounds = if quick_mode() { 1 } else { ROUNDS };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let client = Client::builder(server.url.as_str())
            .basic_auth(server.user.clone(), server.password.clone())
            .build()
            .expect("client");
        let (host, port) = server.host_port();
        let config = asterisk_rs_ari::config::AriConfigBuilder::new("bench-rest-other")
            .host(host)
            .port(port)
            .username(server.user.clone())
            .password(server.password.clone())
            .build()
            .expect("asterisk-rs-ari config");
        let other = asterisk_rs_ari::AriClient::connect(config)
            .await
            .expect("asterisk-rs-ari connects");
        let clients = Clients {
            sdk: client.clone(),
            reqwest: reqwest::Client::new(),
            other,
        };
        let ids = channels_up(&client).await;
        let listed = client.channels().list().await.expect("list").len();
        println!(
            "REST over HTTP against {} ({listed} channels up); median of {rounds} alternating \
             rounds of {:?} each",
            server.url, SLICE
        );
        println!(
            "{:<16} {:>9} {:>9} {:>12} {:>9} {:>10} {:>14} {:>18}",
            "request",
            "SDK req/s",
            "reqwest",
            "asterisk-rs",
            "wrk -c1",
            "SDK / wrk",
            "SDK / reqwest",
            "SDK / asterisk-rs"
        );
        for target in [Target::Ping, Target::Channels] {
            let rates = sequential(&server, &clients, target, rounds).await;
            println!(
                "{:<16} {:>9.0} {:>9.0} {:>12.0} {:>9} {:>10} {:>13.2}x {:>17.2}x",
                target.path(),
                rates.sdk,
                rates.reqwest,
                rates.other_client,
                describe(&rates.wrk),
                ratio(rates.sdk, &rates.wrk),
                rates.sdk / rates.reqwest,
                rates.sdk / rates.other_client
            );
        }
        for in_flight in [4, 16] {
            for target in [Target::Ping, Target::Channels] {
                let (ours, tool) = concurrent(&server, &client, target, in_flight, rounds).await;
                println!(
                    "{in_flight:>2} in flight {:<16} SDK {ours:.0} req/s, wrk -c{in_flight} {} req/s: {}",
                    target.path(),
                    describe(&tool),
                    ratio(ours, &tool)
                );
            }
        }
        // Issue 19, target 3: the same requests over the event WebSocket, one at a time,
        // alternating with HTTP round by round.
        let websocket = Client::builder(server.url.as_str())
            .basic_auth(server.user.clone(), server.password.clone())
            .transport(Transport::WebSocket)
            .build()
            .expect("client");
        let _events = websocket
            .events(["bench-rest-ws"])
            .connect()
            .await
            .expect("event connection");
        let mut bare = bare_socket(&server).await;
        for target in [Target::Ping, Target::Channels] {
            let (mut over_http, mut over_ws, mut bare_ws, mut tool) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for _ in 0..rounds {
                over_http.push(sdk(&client, target, 1).await);
                over_ws.push(sdk(&websocket, target, 1).await);
                bare_ws.push(bare_websocket(&mut bare, target).await);
                tool.push(wrk(&server, target, 1));
            }
            let (over_http, over_ws, bare_ws) =
                (median(over_http), median(over_ws), median(bare_ws));
            let tool = median_of_tool(tool);
            println!(
                "one at a time {:<16} SDK over the WebSocket {over_ws:.0} req/s, over HTTP {over_http:.0} req/s: {:.2}x; \
                 bare WebSocket client {bare_ws:.0} req/s (SDK {:.2}x of it), wrk -c1 {} req/s: bare WebSocket {}",
                target.path(),
                over_ws / over_http,
                over_ws / bare_ws,
                describe(&tool),
                ratio(bare_ws, &tool)
            );
        }
        for id in ids {
            let _ = client.channels().hangup(&id).await;
        }
    });
}
