//! External media (`ari-media`), in one run (`cargo bench -p ari-bench --bench media`;
//! `ARI_BENCH_URL=http://127.0.0.1:8088/ari` adds the round trips through a real Asterisk):
//!
//! - `decode/*` (criterion): the public wire decoders, `wire::rtp::parse`,
//!   `wire::audiosocket::decode` and `wire::ws_control::parse_event`, in frames/s, next to a
//!   copy of the same payload bytes (the least any receive path does with a frame).
//! - sessions: for each transport (RTP, AudioSocket, WebSocket with the application
//!   connecting, WebSocket with the simulator connecting to a `MediaListener`), N = 1 and
//!   100 `MediaSession`s on an in-process simulator, each echoing what it hears (read, send
//!   back) for a fixed wall time: frames/s read by the application, process CPU
//!   (`getrusage(RUSAGE_SELF)`) per session-second and resident memory per session. The
//!   simulator shares the process, so the same N channels are also driven by plain sockets
//!   echoing the raw frames (the baseline: the simulator plus the least an application
//!   does); the library's cost is the difference.
//! - pacing: N = 1 and 100 sessions each sending a tone without pause (the pacer on its
//!   20 ms grid): `MediaStats::pacing_p99` (how late the pacer sent) and the simulator's
//!   `MediaProbe::p99_gap_deviation` (how far arrival gaps were from 20 ms).
//! - latency: one frame written after silence, until the simulator's probe saw it
//!   (application -> server); with `ARI_BENCH_URL`, a tone burst sent into a call to 7003
//!   (Echo) until it is heard back (a round trip through Asterisk).

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ari_bench::{env_or, micros, percentiles, quick_mode, rss_kib};
use ari_media::codec::{analysis, tone};
use ari_media::wire::ws_control::{ControlEvent, ControlFormat, MediaStart};
use ari_media::wire::{audiosocket, rtp, ws_control};
use ari_media::{AudioFormat, MediaEvent, MediaListener, MediaSession, MediaTransport};
use ari_sdk::{Client, EventStream, ExternalMediaEncapsulation, ExternalMediaTransport};
use ari_sim::{SessionLimits, Simulator};
use bytes::BytesMut;
use criterion::{BatchSize, Criterion, Throughput};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const APP: &str = "mediabench";
/// The simulator's `websocket_client.conf` entry for the client-mode rigs.
const SIM_WS_CONNECTION: &str = "bench_ws";
/// How long each setup step may take.
const LIMIT: Duration = Duration::from_secs(10);
/// The frame period of every transport here.
const PTIME: Duration = Duration::from_millis(20);

// ---------------------------------------------------------------------------------------
// Decoders (criterion)

fn decoders(c: &mut Criterion) {
    let format = AudioFormat::Slin16;
    let samples = tone::tone(440.0, 0.25, format.sample_rate(), PTIME);
    let payload = ari_media::codec::from_linear(format, &samples);

    // RTP: one packet as Asterisk sends it (fixed header, 640 bytes of L16).
    let header = rtp::RtpHeader {
        payload_type: rtp::payload_type(format),
        marker: false,
        sequence: 4711,
        timestamp: 160_000,
        ssrc: 0x1234_5678,
    };
    let mut packet = Vec::new();
    rtp::write(&header, &payload, &mut packet);
    let mut group = c.benchmark_group("decode/rtp_640B");
    group.throughput(Throughput::Elements(1));
    group.bench_function("rtp::parse", |b| {
        b.iter(|| {
            let parsed = rtp::parse(black_box(&packet)).expect("RTP");
            black_box(parsed.payload.len())
        })
    });
    let mut copy = vec![0u8; payload.len()];
    group.bench_function("memcpy_payload", |b| {
        b.iter(|| {
            let from = black_box(&packet[rtp::FIXED_HEADER_LEN..]);
            copy.copy_from_slice(from);
            black_box(&copy);
        })
    });
    group.finish();

    // AudioSocket: a read buffer holding 100 frames back to back.
    const BATCH: usize = 100;
    let kind = audiosocket::audio_kind(format).expect("slin16 over AudioSocket");
    let frame = audiosocket::Frame::Audio {
        kind,
        payload: bytes::Bytes::from(payload.clone()),
    };
    let mut stream = BytesMut::new();
    for _ in 0..BATCH {
        audiosocket::encode(&frame, &mut stream);
    }
    let mut group = c.benchmark_group("decode/audiosocket_640B");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("audiosocket::decode", |b| {
        b.iter_batched(
            || stream.clone(),
            |mut buffer| {
                let mut frames = 0;
                while let Some(frame) = audiosocket::decode(&mut buffer).expect("frame") {
                    black_box(&frame);
                    frames += 1;
                }
                assert_eq!(frames, BATCH);
            },
            BatchSize::SmallInput,
        )
    });
    let frame_len = audiosocket::HEADER_LEN + payload.len();
    let mut copies = vec![0u8; payload.len() * BATCH];
    group.bench_function("memcpy_payload", |b| {
        b.iter_batched(
            || stream.clone(),
            |buffer| {
                for (n, out) in copies.chunks_exact_mut(payload.len()).enumerate() {
                    let at = n * frame_len + audiosocket::HEADER_LEN;
                    out.copy_from_slice(&buffer[at..at + payload.len()]);
                }
                black_box(&copies);
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    // WebSocket control events, as Asterisk writes them.
    let start = ControlEvent::MediaStart(MediaStart {
        connection_id: "a1b2c3d4-0000-4000-8000-000000000001".into(),
        channel: "WebSocket/bench/0x7f0000000001".into(),
        channel_id: "1796214063.42".into(),
        format: format.asterisk_name().into(),
        optimal_frame_size: payload.len() as u32,
        ptime: PTIME.as_millis() as u32,
        channel_variables: Default::default(),
    });
    let events = [
        (
            "MEDIA_START_plain",
            start.to_text(ControlFormat::Plain, "1796214063.42"),
        ),
        (
            "MEDIA_START_json",
            start.to_text(ControlFormat::Json, "1796214063.42"),
        ),
        (
            "MEDIA_XOFF_plain",
            ControlEvent::MediaXoff.to_text(ControlFormat::Plain, "x"),
        ),
    ];
    let mut group = c.benchmark_group("decode/ws_control");
    group.throughput(Throughput::Elements(1));
    for (name, text) in &events {
        group.bench_function(format!("parse_event/{name}"), |b| {
            b.iter(|| black_box(ws_control::parse_event(black_box(text)).expect("event")))
        });
        let mut copy = String::with_capacity(text.len());
        group.bench_function(format!("memcpy_text/{name}"), |b| {
            b.iter(|| {
                copy.clear();
                copy.push_str(black_box(text));
                black_box(&copy);
            })
        });
    }
    group.finish();
}

// ---------------------------------------------------------------------------------------
// Process figures

/// User + system CPU time of the whole process.
fn cpu_time() -> Duration {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage; RUSAGE_SELF is always accepted.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    assert_eq!(rc, 0, "getrusage");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Resident memory from `/proc/self/statm` (bytes).
fn rss_bytes() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let Some(pages) = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<i64>().ok())
    else {
        return rss_kib().unwrap_or(0) as i64 * 1024;
    };
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as i64;
    pages * page
}

/// The load averages (1, 5, 15 minutes).
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

// ---------------------------------------------------------------------------------------
// Transports and rigs

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rtp,
    AudioSocket,
    WsServer,
    WsClient,
}

const KINDS: [Kind; 4] = [Kind::Rtp, Kind::AudioSocket, Kind::WsServer, Kind::WsClient];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Rtp => "RTP",
            Kind::AudioSocket => "AudioSocket",
            Kind::WsServer => "WebSocket (server)",
            Kind::WsClient => "WebSocket (client)",
        }
    }
    /// The formats the end-to-end tests use per transport (AudioSocket carries only slin).
    fn format(self) -> AudioFormat {
        match self {
            Kind::Rtp => AudioFormat::Ulaw,
            Kind::AudioSocket => AudioFormat::Slin,
            Kind::WsServer | Kind::WsClient => AudioFormat::Slin16,
        }
    }
}

/// A simulator with an event connection for [`APP`]; for the WebSocket client mode, a
/// `websocket_client.conf` entry pointing at `ws_target`.
struct Rig {
    sim: Simulator,
    client: Client,
    _events: EventStream,
}

async fn rig(ws_target: Option<&str>) -> Rig {
    // Each WebSocket media connection (server mode) is an HTTP session, as on Asterisk,
    // whose `http.conf` `sessionlimit` (100 by default) would refuse the 100th: raised as
    // a deployment with that many media sockets raises it.
    let mut builder = Simulator::builder().session_limits(SessionLimits {
        limit: 2_000,
        ..SessionLimits::default()
    });
    if let Some(url) = ws_target {
        builder = builder.websocket_client(SIM_WS_CONNECTION, url);
    }
    let sim = builder.start().await.expect("simulator");
    let client = sim.client();
    let events = client
        .events([APP])
        .buffer(64)
        .connect()
        .await
        .expect("event connection");
    Rig {
        sim,
        client,
        _events: events,
    }
}

/// A call in [`APP`]: `Local/<exten>@default` originated into it, its `;1` half entered.
async fn enter(client: &Client, exten: &str, id: &str) -> String {
    let mut channel = client
        .channels()
        .originate(format!("Local/{exten}@default"))
        .app(APP)
        .channel_id(id)
        .other_channel_id(format!("{id}-2"))
        .await
        .unwrap_or_else(|e| panic!("originate Local/{exten}: {e}"));
    channel
        .stasis_start(LIMIT)
        .await
        .unwrap_or_else(|e| panic!("StasisStart of {id}: {e}"));
    id.to_owned()
}

/// A fresh id prefix, so that runs and phases never collide on a real Asterisk.
fn prefix(what: &str) -> String {
    format!("mbench-{}-{}-{what}", std::process::id(), fastrand::u32(..))
}

/// Opens `n` sessions, `concurrency` at a time, on calls to `exten`.
async fn open_sessions(
    client: &Client,
    transport: &MediaTransport,
    format: AudioFormat,
    exten: &str,
    n: usize,
    concurrency: usize,
) -> Vec<MediaSession> {
    let tag = prefix("call");
    let mut sessions = Vec::with_capacity(n);
    let mut next = 0;
    while next < n {
        let batch: Vec<_> = (next..n.min(next + concurrency))
            .map(|k| {
                let client = client.clone();
                let transport = transport.clone();
                let id = format!("{tag}{k}");
                let exten = exten.to_owned();
                tokio::spawn(async move {
                    let call = enter(&client, &exten, &id).await;
                    MediaSession::builder(&client, APP, call)
                        .transport(transport)
                        .format(format)
                        .connect_timeout(LIMIT)
                        .open()
                        .await
                        .unwrap_or_else(|e| panic!("open session {k}: {e}"))
                })
            })
            .collect();
        next += batch.len();
        for task in batch {
            sessions.push(task.await.expect("open task"));
        }
    }
    sessions
}

fn lib_transport(kind: Kind, listener: Option<&MediaListener>, connection: &str) -> MediaTransport {
    match kind {
        Kind::Rtp => MediaTransport::Rtp,
        Kind::AudioSocket => MediaTransport::AudioSocket,
        Kind::WsServer => MediaTransport::WebSocket,
        Kind::WsClient => MediaTransport::WebSocketClient {
            connection: connection.to_owned(),
            listener: listener.expect("a listener for the client mode").clone(),
        },
    }
}

// ---------------------------------------------------------------------------------------
// Session phases: what the application does with its sessions

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every frame heard is sent back.
    Echo,
    /// A tone is sent without pause; what is heard is read and dropped.
    Talk,
}

/// Runs one session until `stop`; counts audio frames read. Returns the session.
fn drive(
    mut media: MediaSession,
    mode: Mode,
    frames: Arc<AtomicU64>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<MediaSession> {
    let talk = media.sender();
    let talker = (mode == Mode::Talk).then(|| {
        let format = talk.format();
        let chunk = ari_media::codec::from_linear(
            format,
            &tone::tone(440.0, 0.25, format.sample_rate(), PTIME * 10),
        );
        let talk = talk.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    sent = talk.send(&chunk) => if sent.is_err() { break },
                }
            }
        })
    });
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                item = media.next() => match item {
                    Some(Ok(MediaEvent::Audio(frame))) => {
                        frames.fetch_add(1, Ordering::Relaxed);
                        if mode == Mode::Echo && talk.send(&frame.payload).await.is_err() {
                            break;
                        }
                    }
                    Some(_) => {}
                    None => break,
                },
            }
        }
        if let Some(talker) = talker {
            let _ = talker.await;
        }
        media
    })
}

/// What one phase measured.
#[derive(Debug, Clone, Default)]
struct Phase {
    n: usize,
    frames_per_s: f64,
    /// CPU milliseconds per session-second.
    cpu_ms: f64,
    /// Resident bytes per session (after opening and warming up, against before).
    rss_per_session: f64,
    /// Over the sessions: the median and the largest `pacing_p99`.
    pacing_p99: (Duration, Duration),
    /// Over the media channels: the median and the largest probe `p99_gap_deviation`.
    gap_p99: (Duration, Duration),
    dropped: u64,
    lost: u64,
    load: String,
}

fn median_max(mut values: Vec<Duration>) -> (Duration, Duration) {
    if values.is_empty() {
        return Default::default();
    }
    values.sort_unstable();
    (values[values.len() / 2], values[values.len() - 1])
}

const WARM: Duration = Duration::from_millis(600);

/// Warms up, then counts frames and CPU over `window`.
async fn measure(frames: &AtomicU64, window: Duration) -> (u64, Duration, Duration) {
    tokio::time::sleep(WARM).await;
    let (f0, c0, t0) = (frames.load(Ordering::Relaxed), cpu_time(), Instant::now());
    tokio::time::sleep(window).await;
    (
        frames.load(Ordering::Relaxed) - f0,
        cpu_time() - c0,
        t0.elapsed(),
    )
}

/// `n` library sessions of transport `kind` on a fresh simulator.
async fn library_phase(kind: Kind, n: usize, mode: Mode, window: Duration) -> Phase {
    let listener = match kind {
        Kind::WsClient => Some(
            MediaListener::bind("127.0.0.1:0".parse().expect("addr"))
                .await
                .expect("media listener"),
        ),
        _ => None,
    };
    let rig = rig(listener.as_ref().map(|l| l.url()).as_deref()).await;
    let transport = lib_transport(kind, listener.as_ref(), SIM_WS_CONNECTION);
    let rss0 = rss_bytes();
    let sessions = open_sessions(&rig.client, &transport, kind.format(), "7002", n, 25).await;
    let media_ids: Vec<String> = sessions
        .iter()
        .map(|s| s.media_channel_id().to_owned())
        .collect();
    let frames = Arc::new(AtomicU64::new(0));
    let (stop, stopped) = watch::channel(false);
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|s| drive(s, mode, frames.clone(), stopped.clone()))
        .collect();
    let (count, cpu, wall) = measure(&frames, window).await;
    let rss1 = rss_bytes();
    let load = load();
    let _ = stop.send(true);
    let mut sessions = Vec::new();
    for task in tasks {
        sessions.push(task.await.expect("session task"));
    }
    let stats: Vec<_> = sessions.iter().map(MediaSession::stats).collect();
    let control = rig.sim.control();
    let gaps: Vec<Duration> = media_ids
        .iter()
        .filter_map(|id| control.media(id))
        .map(|p| p.p99_gap_deviation)
        .collect();
    let phase = Phase {
        n,
        frames_per_s: count as f64 / wall.as_secs_f64(),
        cpu_ms: cpu.as_secs_f64() * 1e3 / (n as f64 * wall.as_secs_f64()),
        rss_per_session: (rss1 - rss0) as f64 / n as f64,
        pacing_p99: median_max(stats.iter().map(|s| s.pacing_p99).collect()),
        gap_p99: median_max(gaps),
        dropped: stats.iter().map(|s| s.dropped_for_slow_reader).sum(),
        lost: stats.iter().map(|s| s.lost).sum(),
        load,
    };
    futures_util::future::join_all(sessions.into_iter().map(MediaSession::close)).await;
    rig.sim.stop();
    phase
}

/// The baseline: the same `n` media channels on a fresh simulator, each echoed by plain
/// sockets (raw frames sent back as they came, no parsing beyond the framing).
async fn raw_phase(kind: Kind, n: usize, window: Duration) -> Phase {
    let ws_listener = match kind {
        Kind::WsClient => Some(TcpListener::bind("127.0.0.1:0").await.expect("listen")),
        _ => None,
    };
    let ws_url = ws_listener
        .as_ref()
        .map(|l| format!("ws://{}/", l.local_addr().expect("addr")));
    let rig = rig(ws_url.as_deref()).await;
    let frames = Arc::new(AtomicU64::new(0));
    let (stop, stopped) = watch::channel(false);
    let rss0 = rss_bytes();
    let mut tasks = Vec::new();
    let mut ids = Vec::new();
    let format = kind.format().asterisk_name();
    for _ in 0..n {
        let frames = frames.clone();
        let mut stop = stopped.clone();
        let request = rig.client.channels().external_media(APP, format);
        match kind {
            Kind::Rtp => {
                let socket = UdpSocket::bind("127.0.0.1:0").await.expect("udp");
                let media = request
                    .external_host(socket.local_addr().expect("addr").to_string())
                    .encapsulation(ExternalMediaEncapsulation::Rtp)
                    .transport(ExternalMediaTransport::Udp)
                    .await
                    .expect("externalMedia");
                ids.push(media.id.clone());
                tasks.push(tokio::spawn(async move {
                    let mut buffer = vec![0u8; 2048];
                    loop {
                        tokio::select! {
                            _ = stop.changed() => break,
                            got = socket.recv_from(&mut buffer) => {
                                let Ok((length, from)) = got else { continue };
                                frames.fetch_add(1, Ordering::Relaxed);
                                let _ = socket.send_to(&buffer[..length], from).await;
                            }
                        }
                    }
                }));
            }
            Kind::AudioSocket => {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("listen");
                let uuid = format!(
                    "{:08x}-0000-4000-8000-{:012x}",
                    fastrand::u32(..),
                    fastrand::u64(..) & 0xffff_ffff_ffff
                );
                let media = request
                    .external_host(listener.local_addr().expect("addr").to_string())
                    .encapsulation(ExternalMediaEncapsulation::Audiosocket)
                    .transport(ExternalMediaTransport::Tcp)
                    .data(uuid)
                    .await
                    .expect("externalMedia");
                ids.push(media.id.clone());
                let (stream, _) = listener.accept().await.expect("accept");
                tasks.push(tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut read = tokio::io::BufReader::new(read);
                    // Room for any audio frame the simulator sends (20 ms of slin16 is 640).
                    let mut frame = vec![0u8; audiosocket::HEADER_LEN + 4096];
                    loop {
                        let next = async {
                            read.read_exact(&mut frame[..audiosocket::HEADER_LEN])
                                .await?;
                            let length = usize::from(u16::from_be_bytes([frame[1], frame[2]]));
                            let end = audiosocket::HEADER_LEN + length;
                            if end > frame.len() {
                                return Err(std::io::ErrorKind::InvalidData.into());
                            }
                            read.read_exact(&mut frame[audiosocket::HEADER_LEN..end])
                                .await?;
                            Ok::<_, std::io::Error>(end)
                        };
                        tokio::select! {
                            _ = stop.changed() => break,
                            got = next => {
                                let Ok(end) = got else { break };
                                if audiosocket::is_audio_kind(frame[0]) {
                                    frames.fetch_add(1, Ordering::Relaxed);
                                    if write.write_all(&frame[..end]).await.is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                    }
                }));
            }
            Kind::WsServer | Kind::WsClient => {
                let request = request
                    .encapsulation(ExternalMediaEncapsulation::None)
                    .transport(ExternalMediaTransport::Websocket);
                let request = if kind == Kind::WsClient {
                    request.external_host(SIM_WS_CONNECTION)
                } else {
                    request.connection_type("server")
                };
                let media = request.await.expect("externalMedia");
                ids.push(media.id.clone());
                let ws: Box<dyn RawWs> = if kind == Kind::WsClient {
                    let listener = ws_listener.as_ref().expect("listener");
                    let (stream, _) = listener.accept().await.expect("accept");
                    Box::new(
                        tokio_tungstenite::accept_async(stream)
                            .await
                            .expect("upgrade"),
                    )
                } else {
                    let vars = media.channelvars.clone().unwrap_or_default();
                    let connection = vars["MEDIA_WEBSOCKET_CONNECTION_ID"]
                        .as_str()
                        .expect("connection id")
                        .to_owned();
                    let url = format!("ws://{}/media/{connection}", rig.sim.addr());
                    let mut request = url.as_str().into_client_request().expect("request");
                    request
                        .headers_mut()
                        .insert("Sec-WebSocket-Protocol", "media".parse().expect("header"));
                    Box::new(
                        tokio_tungstenite::connect_async(request)
                            .await
                            .expect("connect")
                            .0,
                    )
                };
                tasks.push(tokio::spawn(raw_ws_echo(ws, frames, stop)));
            }
        }
    }
    let (count, cpu, wall) = measure(&frames, window).await;
    let rss1 = rss_bytes();
    let load = load();
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    for id in &ids {
        let _ = rig.client.channels().hangup(id).await;
    }
    rig.sim.stop();
    Phase {
        n,
        frames_per_s: count as f64 / wall.as_secs_f64(),
        cpu_ms: cpu.as_secs_f64() * 1e3 / (n as f64 * wall.as_secs_f64()),
        rss_per_session: (rss1 - rss0) as f64 / n as f64,
        load,
        ..Phase::default()
    }
}

/// A WebSocket of either side, as a boxed stream + sink of messages.
trait RawWs:
    futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
    + futures_util::Sink<Message, Error = tokio_tungstenite::tungstenite::Error>
    + Unpin
    + Send
{
}
impl<T> RawWs for T where
    T: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + futures_util::Sink<Message, Error = tokio_tungstenite::tungstenite::Error>
        + Unpin
        + Send
{
}

async fn raw_ws_echo(
    mut ws: Box<dyn RawWs>,
    frames: Arc<AtomicU64>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            message = ws.next() => match message {
                Some(Ok(Message::Binary(audio))) => {
                    frames.fetch_add(1, Ordering::Relaxed);
                    if ws.send(Message::Binary(audio)).await.is_err() {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                _ => break,
            },
        }
    }
    let _ = ws.close().await;
}

// ---------------------------------------------------------------------------------------
// Latency

/// On the simulator: one frame written after silence, until the probe saw it arrive.
async fn sim_write_latency(kind: Kind, bursts: usize) -> Vec<Duration> {
    let listener = match kind {
        Kind::WsClient => Some(
            MediaListener::bind("127.0.0.1:0".parse().expect("addr"))
                .await
                .expect("media listener"),
        ),
        _ => None,
    };
    let rig = rig(listener.as_ref().map(|l| l.url()).as_deref()).await;
    let transport = lib_transport(kind, listener.as_ref(), SIM_WS_CONNECTION);
    let mut sessions = open_sessions(&rig.client, &transport, kind.format(), "7002", 1, 1).await;
    let media = sessions.pop().expect("a session");
    let media_id = media.media_channel_id().to_owned();
    let talk = media.sender();
    let format = kind.format();
    let frame = ari_media::codec::from_linear(
        format,
        &tone::tone(1000.0, 0.5, format.sample_rate(), PTIME),
    );
    // The application reads what it hears (and drops it), as any would.
    let reader = tokio::spawn(async move {
        let mut media = media;
        while media.next().await.is_some() {}
        media
    });
    let control = rig.sim.control();
    let probe = || control.media(&media_id).expect("probe");
    let mut latencies = Vec::with_capacity(bursts);
    // Silence first, so that the pacer's grid starts afresh for each frame.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..bursts {
        let before = probe().frames_received;
        let sent = Instant::now();
        talk.send(&frame).await.expect("send");
        let deadline = Instant::now() + LIMIT;
        let arrived = loop {
            let now = probe();
            if now.frames_received > before {
                break now.last_received.expect("received");
            }
            assert!(
                Instant::now() < deadline,
                "{}: the frame did not arrive",
                kind.name()
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        };
        latencies.push(arrived.saturating_duration_since(sent));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    rig.sim.stop();
    reader.abort();
    latencies
}

/// The baseline of [`sim_write_latency`] for RTP: the same frame as a packet written with
/// a plain UDP socket, until the probe saw it arrive.
async fn sim_raw_rtp_latency(bursts: usize) -> Vec<Duration> {
    let rig = rig(None).await;
    let format = Kind::Rtp.format();
    let socket = UdpSocket::bind("127.0.0.1:0").await.expect("udp");
    let media = rig
        .client
        .channels()
        .external_media(APP, format.asterisk_name())
        .external_host(socket.local_addr().expect("addr").to_string())
        .encapsulation(ExternalMediaEncapsulation::Rtp)
        .transport(ExternalMediaTransport::Udp)
        .await
        .expect("externalMedia");
    let vars = media.channelvars.clone().unwrap_or_default();
    let port: u16 = vars["UNICASTRTP_LOCAL_PORT"]
        .as_str()
        .and_then(|p| p.parse().ok())
        .expect("UNICASTRTP_LOCAL_PORT");
    let payload = ari_media::codec::from_linear(
        format,
        &tone::tone(1000.0, 0.5, format.sample_rate(), PTIME),
    );
    let mut header = rtp::RtpHeader {
        payload_type: rtp::payload_type(format),
        marker: true,
        sequence: 1,
        timestamp: 0,
        ssrc: fastrand::u32(..),
    };
    let control = rig.sim.control();
    let probe = || control.media(&media.id).expect("probe");
    let mut packet = Vec::new();
    let mut latencies = Vec::with_capacity(bursts);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..bursts {
        let before = probe().frames_received;
        packet.clear();
        rtp::write(&header, &payload, &mut packet);
        let sent = Instant::now();
        socket
            .send_to(&packet, ("127.0.0.1", port))
            .await
            .expect("send");
        let deadline = Instant::now() + LIMIT;
        let arrived = loop {
            let now = probe();
            if now.frames_received > before {
                break now.last_received.expect("received");
            }
            assert!(Instant::now() < deadline, "RTP: the packet did not arrive");
            tokio::time::sleep(Duration::from_micros(200)).await;
        };
        latencies.push(arrived.saturating_duration_since(sent));
        header.sequence = header.sequence.wrapping_add(1);
        header.timestamp = header
            .timestamp
            .wrapping_add(format.samples_in(PTIME) as u32);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    rig.sim.stop();
    latencies
}

/// On a real Asterisk: a 100 ms tone sent into a call to `echo_exten` after silence, until
/// the first loud frame comes back.
async fn asterisk_round_trips(
    client: &Client,
    kind: Kind,
    transport: MediaTransport,
    echo_exten: &str,
    bursts: usize,
) -> Result<Vec<Duration>, String> {
    let mut sessions = open_sessions(client, &transport, kind.format(), echo_exten, 1, 1).await;
    let mut media = sessions.pop().expect("a session");
    let call = media.channel_id().to_owned();
    let talk = media.sender();
    let format = kind.format();
    let burst = tone::tone(1000.0, 0.5, format.sample_rate(), PTIME * 5);
    let (loud_tx, mut loud_rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let reader = tokio::spawn(async move {
        // A burst starts with a loud frame after a quiet one, or after a pause: Asterisk
        // may send nothing at all between bursts (RTP sends no silence here).
        let mut last_loud: Option<Instant> = None;
        while let Some(item) = media.next().await {
            if let Ok(MediaEvent::Audio(frame)) = item {
                if analysis::dbfs(&frame.samples()) > -30.0 {
                    let at = frame.received_at;
                    if last_loud.is_none_or(|last| at - last > PTIME * 5) {
                        let _ = loud_tx.send(at);
                    }
                    last_loud = Some(at);
                } else {
                    last_loud = None;
                }
            }
        }
        media
    });
    let mut latencies = Vec::with_capacity(bursts);
    let mut failure = None;
    for n in 0..bursts {
        tokio::time::sleep(Duration::from_millis(400)).await;
        while loud_rx.try_recv().is_ok() {}
        let sent = Instant::now();
        if let Err(e) = talk.send_samples(&burst).await {
            failure = Some(format!("send: {e}"));
            break;
        }
        match tokio::time::timeout(Duration::from_secs(3), loud_rx.recv()).await {
            Ok(Some(at)) => latencies.push(at.saturating_duration_since(sent)),
            _ => {
                failure = Some(format!("burst {n} not heard back within 3 s"));
                break;
            }
        }
    }
    let _ = client.channels().hangup(&call).await;
    if let Ok(Ok(media)) = tokio::time::timeout(LIMIT, reader).await {
        media.close().await;
    }
    match failure {
        Some(f) if latencies.is_empty() => Err(f),
        Some(f) => {
            println!(
                "  ({}: {f}; {} bursts measured)",
                kind.name(),
                latencies.len()
            );
            Ok(latencies)
        }
        None => Ok(latencies),
    }
}

async fn real_asterisk(bursts: usize) {
    let Ok(url) = std::env::var("ARI_BENCH_URL") else {
        println!("SKIPPED latency through a real Asterisk: ARI_BENCH_URL is not set");
        return;
    };
    let client = Client::builder(url.as_str())
        .basic_auth(
            env_or("ARI_BENCH_USER", "hey"),
            env_or("ARI_BENCH_PASSWORD", "peekaboo"),
        )
        .build()
        .expect("client");
    let _events = client
        .events([APP])
        .connect()
        .await
        .expect("event connection to ARI_BENCH_URL");
    let echo = env_or("ARI_BENCH_ECHO_EXTEN", "7003");
    // `websocket_client.conf`'s connection pointing at this process (see ../shared/asterisk).
    let connection = env_or("ARI_BENCH_WS_CONNECTION", "outapp_ws");
    let listen: SocketAddr = env_or("ARI_BENCH_WS_LISTEN", "127.0.0.1:9099")
        .parse()
        .expect("ARI_BENCH_WS_LISTEN");
    for kind in KINDS {
        let transport = match kind {
            Kind::WsClient => match MediaListener::bind(listen).await {
                Ok(listener) => lib_transport(kind, Some(&listener), &connection),
                Err(e) => {
                    println!(
                        "SKIPPED {} through Asterisk: cannot listen on {listen} ({e})",
                        kind.name()
                    );
                    continue;
                }
            },
            _ => lib_transport(kind, None, &connection),
        };
        match asterisk_round_trips(&client, kind, transport, &echo, bursts).await {
            Ok(mut rtt) => {
                let p = percentiles(&mut rtt);
                println!(
                    "latency {} ({}) through Asterisk Echo, tone burst round trip over {} bursts: p50 {} p99 {} (min {}, max {}) [load {}]",
                    kind.name(),
                    kind.format(),
                    p.count,
                    ms(p.p50),
                    ms(p.p99),
                    ms(p.min),
                    ms(p.max),
                    load()
                );
            }
            Err(e) => println!("FAILED {} through Asterisk: {e}", kind.name()),
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn sessions_and_latency() {
    let quick = quick_mode();
    let window = if quick {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(3)
    };
    let counts: &[usize] = if quick { &[1, 4] } else { &[1, 100] };
    let bursts = if quick { 3 } else { 20 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        println!(
            "sessions: each echoes what it hears, {window:?} measured after {WARM:?}; CPU = getrusage(RUSAGE_SELF) of the whole process (simulator included)"
        );
        for kind in KINDS {
            for &n in counts {
                let raw = raw_phase(kind, n, window).await;
                let lib = library_phase(kind, n, Mode::Echo, window).await;
                println!(
                    "echo {} ({}) N={n}: library {:.0} frames/s, {:.3} CPU-ms/session-s, {:.1} KiB/session [load {}] | plain sockets {:.0} frames/s, {:.3} CPU-ms/session-s, {:.1} KiB/session [load {}] | library share {:.3} CPU-ms/session-s ({:.2}x the baseline's total), {:.1} KiB/session; pacing p99 median {} max {}; dropped {} lost {}",
                    kind.name(),
                    kind.format(),
                    lib.frames_per_s,
                    lib.cpu_ms,
                    lib.rss_per_session / 1024.0,
                    lib.load,
                    raw.frames_per_s,
                    raw.cpu_ms,
                    raw.rss_per_session / 1024.0,
                    raw.load,
                    lib.cpu_ms - raw.cpu_ms,
                    lib.cpu_ms / raw.cpu_ms,
                    (lib.rss_per_session - raw.rss_per_session) / 1024.0,
                    ms(lib.pacing_p99.0),
                    ms(lib.pacing_p99.1),
                    lib.dropped,
                    lib.lost,
                );
            }
        }
        println!("pacing: each session sends a tone without pause, {window:?} measured after {WARM:?}");
        for kind in KINDS {
            let mut first: Option<Phase> = None;
            for &n in counts {
                let p = library_phase(kind, n, Mode::Talk, window).await;
                let base = first.get_or_insert_with(|| p.clone());
                println!(
                    "pacing {} N={}: pacer pacing_p99 median {} max {}; simulator p99 gap deviation median {} max {} ({:.2}x N={}); {:.3} CPU-ms/session-s [load {}]",
                    kind.name(),
                    p.n,
                    ms(p.pacing_p99.0),
                    ms(p.pacing_p99.1),
                    ms(p.gap_p99.0),
                    ms(p.gap_p99.1),
                    p.gap_p99.0.as_secs_f64() / base.gap_p99.0.as_secs_f64().max(1e-9),
                    base.n,
                    p.cpu_ms,
                    p.load,
                );
            }
        }
        if !quick {
            let n = 500;
            let raw = raw_phase(Kind::Rtp, n, window).await;
            let lib = library_phase(Kind::Rtp, n, Mode::Echo, window).await;
            println!(
                "echo RTP N={n}: library {:.0} frames/s, {:.3} CPU-ms/session-s, {:.1} KiB/session [load {}] | plain sockets {:.0} frames/s, {:.3} CPU-ms/session-s, {:.1} KiB/session [load {}] | library {:.1} KiB/session more; pacing p99 max {}; dropped {}",
                lib.frames_per_s,
                lib.cpu_ms,
                lib.rss_per_session / 1024.0,
                lib.load,
                raw.frames_per_s,
                raw.cpu_ms,
                raw.rss_per_session / 1024.0,
                raw.load,
                (lib.rss_per_session - raw.rss_per_session) / 1024.0,
                ms(lib.pacing_p99.1),
                lib.dropped,
            );
        }
        for kind in KINDS {
            let mut latencies = sim_write_latency(kind, bursts).await;
            let p = percentiles(&mut latencies);
            println!(
                "latency {} ({}) on the simulator, one frame after silence from send() to the probe's arrival, {} frames: p50 {} p99 {} (max {}) [load {}]",
                kind.name(),
                kind.format(),
                p.count,
                micros(p.p50),
                micros(p.p99),
                micros(p.max),
                load()
            );
        }
        let mut raw = sim_raw_rtp_latency(bursts).await;
        let p = percentiles(&mut raw);
        println!(
            "latency RTP (ulaw) on the simulator, plain UDP socket baseline: send_to() to the probe's arrival, {} packets: p50 {} p99 {} (max {}) [load {}]",
            p.count,
            micros(p.p50),
            micros(p.p99),
            micros(p.max),
            load()
        );
        real_asterisk(bursts).await;
    });
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    decoders(&mut criterion);
    criterion.final_summary();
    sessions_and_latency();
}
