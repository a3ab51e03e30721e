//! Shared pieces of the ari-sdk benchmarks: the recorded event corpus, the "already-known
//! struct" decoders that bound what a typed dispatch can cost, percentiles, and the
//! process's memory figures.
//!
//! The benchmarks live in a crate of their own so that the comparison client
//! (`asterisk-rs-ari`) is compiled by `cargo bench -p ari-bench` only, never by ari-sdk's
//! tests. See BENCHMARKS.md at the root of the workspace.

pub mod sim_setup;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Decodes one frame straight into a struct chosen in advance; `true` when it decoded.
pub type DirectDecoder = fn(&str) -> bool;

/// One recorded event frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The WebSocket text frame as Asterisk 22 sent it.
    pub text: String,
    /// Its `type`.
    pub type_name: String,
    /// Decodes it into its own event struct, with no dispatch at all.
    pub direct: DirectDecoder,
}

impl Frame {
    /// Whether `type` is the frame's first member.
    pub fn type_first(&self) -> bool {
        leading_type(&self.text).is_some()
    }
}

/// Every event frame of the recorded traces.
#[derive(Debug, Clone)]
pub struct Corpus {
    pub frames: Vec<Frame>,
}

impl Corpus {
    /// Total size of the frames in bytes.
    pub fn bytes(&self) -> usize {
        self.frames.iter().map(|f| f.text.len()).sum()
    }
    /// Number of distinct event types.
    pub fn types(&self) -> usize {
        let mut names: Vec<&str> = self.frames.iter().map(|f| f.type_name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.len()
    }
}

/// `tests/fixtures/traces`: real Asterisk 22 traffic, one folder per scenario.
pub fn traces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traces")
}

/// Every line of every `traces/*/events.jsonl`, in folder order.
///
/// Panics when the traces are missing or a frame has no `type` or no direct decoder:
/// a benchmark on a silently shrunken corpus would be worse than none.
pub fn corpus() -> Corpus {
    let dir = traces_dir();
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.join("events.jsonl").is_file())
        .collect();
    folders.sort();
    let mut frames = Vec::new();
    for folder in folders {
        let path = folder.join("events.jsonl");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let value: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
            let type_name = value["type"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: a frame without `type`", path.display()))
                .to_owned();
            let direct = direct_decoder(&type_name)
                .unwrap_or_else(|| panic!("no event struct for type {type_name}"));
            frames.push(Frame {
                text: line.to_owned(),
                type_name,
                direct,
            });
        }
    }
    assert!(!frames.is_empty(), "no events under {}", dir.display());
    Corpus { frames }
}

fn decode_as<T: serde::de::DeserializeOwned>(json: &str) -> bool {
    match serde_json::from_str::<T>(json) {
        Ok(value) => {
            std::hint::black_box(&value);
            true
        }
        Err(_) => false,
    }
}

macro_rules! direct_decoders {
    ($($name:ident)*) => {
        /// The decoder of a type's own struct (`ari_sdk::StasisStart`, ...), chosen once:
        /// decoding with it is the "dispatch for free" limit.
        pub fn direct_decoder(type_name: &str) -> Option<DirectDecoder> {
            match type_name {
                $(stringify!($name) => Some(decode_as::<ari_sdk::$name> as DirectDecoder),)*
                _ => None,
            }
        }
    };
}

/// `"type": "Name"` as the first member, without escapes: splits the corpus into frames
/// in Asterisk's usual order and the others, reported apart.
pub fn leading_type(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest
        .strip_prefix("\"type\"")?
        .trim_start()
        .strip_prefix(':')?;
    let rest = rest.trim_start().strip_prefix('"')?;
    let end = rest.find(['"', '\\'])?;
    (rest.as_bytes()[end] == b'"').then(|| &rest[..end])
}

direct_decoders! {
    ApplicationMoveFailed ApplicationRegistered ApplicationReplaced ApplicationUnregistered
    BridgeAttendedTransfer BridgeBlindTransfer BridgeCreated BridgeDestroyed BridgeMerged
    BridgeVideoSourceChanged CallBroadcast CallClaimed ChannelCallerId ChannelConnectedLine
    ChannelCreated ChannelDestroyed ChannelDialplan ChannelDtmfReceived ChannelEnteredBridge
    ChannelHangupRequest ChannelHold ChannelLeftBridge ChannelStateChange
    ChannelTalkingFinished ChannelTalkingStarted ChannelToneDetected ChannelTransfer
    ChannelUnhold ChannelUserevent ChannelVarset ContactStatusChange DeviceStateChanged Dial
    EndpointStateChange PeerStatusChange PlaybackContinuing PlaybackFinished PlaybackStarted
    RESTResponse RecordingFailed RecordingFinished RecordingStarted StasisEnd StasisStart
    TextMessageReceived
}

/// Latency percentiles of individually timed operations.
#[derive(Debug, Clone, Copy)]
pub struct Percentiles {
    pub count: usize,
    pub min: Duration,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub p999: Duration,
    pub max: Duration,
    pub mean: Duration,
}

/// Nearest-rank percentiles; sorts `samples`.
pub fn percentiles(samples: &mut [Duration]) -> Percentiles {
    assert!(!samples.is_empty(), "no samples");
    samples.sort_unstable();
    let rank = |p: f64| {
        let i = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        samples[i - 1]
    };
    let total: Duration = samples.iter().sum();
    Percentiles {
        count: samples.len(),
        min: samples[0],
        p50: rank(0.50),
        p90: rank(0.90),
        p99: rank(0.99),
        p999: rank(0.999),
        max: samples[samples.len() - 1],
        mean: total / samples.len() as u32,
    }
}

/// Microseconds with one decimal, for tables.
/// Times `count` runs of `a` and of `b`, alternating one of each so that both see the
/// same machine; a warm-up comes first. Requests/s = runs / summed request times.
pub async fn alternate<A, FA, B, FB>(count: usize, a: A, b: B) -> [(f64, Percentiles); 2]
where
    A: Fn() -> FA,
    FA: std::future::Future<Output = ()>,
    B: Fn() -> FB,
    FB: std::future::Future<Output = ()>,
{
    for _ in 0..count.min(500) {
        a().await;
        b().await;
    }
    let mut samples = [Vec::with_capacity(count), Vec::with_capacity(count)];
    for _ in 0..count {
        let t = std::time::Instant::now();
        a().await;
        samples[0].push(t.elapsed());
        let t = std::time::Instant::now();
        b().await;
        samples[1].push(t.elapsed());
    }
    samples.map(|mut s: Vec<Duration>| {
        let total: Duration = s.iter().sum();
        (count as f64 / total.as_secs_f64(), percentiles(&mut s))
    })
}

pub fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// A field of `/proc/self/status` in KiB (`VmHWM`, `VmRSS`); `None` off Linux.
pub fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// Peak resident memory of this process (KiB).
pub fn peak_rss_kib() -> Option<u64> {
    proc_status_kib("VmHWM")
}

/// Current resident memory of this process (KiB).
pub fn rss_kib() -> Option<u64> {
    proc_status_kib("VmRSS")
}

/// The environment variable `name`, or `default` when unset.
pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Whether the bench binary runs in criterion's test mode (`cargo bench -- --test`,
/// `cargo test --benches`) or only lists: extra measurements are skipped then.
pub fn quick_mode() -> bool {
    std::env::args().any(|a| a == "--test" || a == "--list")
}

/// A loopback HTTP/1.1 server that answers every request at once with a fixed body, so a
/// request's cost on the client side can be measured with next to nothing on the server's.
pub mod canned {
    use std::net::SocketAddr;

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    /// Picks the answer to a request line (`POST /ari/channels?... HTTP/1.1`): (status, body).
    pub type Route = std::sync::Arc<dyn Fn(&str) -> (u16, &'static str) + Send + Sync>;

    /// Serves on an ephemeral loopback port until the runtime stops; keep-alive connections.
    pub async fn serve(route: Route) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let _ = tcp.set_nodelay(true);
                tokio::spawn(connection(tcp, route.clone()));
            }
        });
        Ok(addr)
    }

    async fn connection(tcp: tokio::net::TcpStream, route: Route) -> std::io::Result<()> {
        let (read, mut write) = tcp.into_split();
        let mut read = BufReader::new(read);
        let mut line = String::new();
        let mut body = Vec::new();
        loop {
            line.clear();
            if read.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let request_line = line.trim_end().to_owned();
            let mut length = 0usize;
            loop {
                line.clear();
                if read.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                let header = line.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
            body.resize(length, 0);
            read.read_exact(&mut body).await?;
            let (status, text) = route(&request_line);
            let reason = match status {
                200 => "OK",
                201 => "Created",
                204 => "No Content",
                _ => "Whatever",
            };
            let answer = format!(
                "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
                text.len()
            );
            write.write_all(answer.as_bytes()).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_decodes_every_way() {
        let corpus = corpus();
        assert!(corpus.types() >= 20, "{} types", corpus.types());
        for frame in &corpus.frames {
            assert!((frame.direct)(&frame.text), "{}", frame.type_name);
            let event = ari_sdk::decode_event(&frame.text).expect("typed");
            assert_eq!(event.type_name(), frame.type_name);
        }
    }

    #[test]
    fn leading_type_only_reads_a_first_member() {
        assert_eq!(leading_type(r#" { "type" : "Dial", "x": 1}"#), Some("Dial"));
        assert_eq!(leading_type(r#"{"x":1,"type":"Dial"}"#), None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut samples: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        let p = percentiles(&mut samples);
        assert_eq!(p.p50, Duration::from_micros(50));
        assert_eq!(p.p99, Duration::from_micros(99));
        assert_eq!(p.max, Duration::from_micros(100));
    }

    #[test]
    fn reads_own_memory() {
        if cfg!(target_os = "linux") {
            assert!(peak_rss_kib().unwrap() >= rss_kib().unwrap() / 2);
        }
    }
}
