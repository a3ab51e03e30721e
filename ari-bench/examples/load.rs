//! Load scenario (a measurement, not a timed test): N concurrent calls through the
//! simulator, each one the guide's flow with the typed API:
//!
//! originate `Local/7000@default` into app `phone` -> `StasisStart` of the `;2` half in
//! `hello` (read from the event stream) -> answer -> (all N calls held up at once: memory
//! is read) -> play `sound:hello-world` and wait for `PlaybackFinished` -> hang up.
//!
//! ```sh
//! cargo run --release -p ari-bench --example load -- 1000
//! cargo run --release -p ari-bench --example load -- 10000
//! # the client alone in this process, the simulator in another:
//! cargo run --release -p ari-sim -- --listen 127.0.0.1:8089 --media-ms 20 &
//! cargo run --release -p ari-bench --example load -- 10000 --url http://127.0.0.1:8089/ari
//! ```
//!
//! Options: `--url URL` (`--user`, `--password`, default hey/peekaboo), `--media-ms N`
//! (in-process simulator only, default 20), `--inflight N` (REST requests in flight at
//! once, default 128), `--timeout-s N` (default 600), `--asterisk-pid PID` (whose CPU to
//! report beside the client's; with `--url`, a process named `asterisk` is looked for),
//! `--max-connections N` (the client's HTTP connection bound, default 32; a large value
//! shows what an unbounded client does to Asterisk's `sessionlimit` of 100).
//!
//! Against the real Asterisk of `../shared/asterisk` (`build.sh` starts it):
//! ```sh
//! cargo run --release -p ari-bench --example load -- 100 --url http://127.0.0.1:8088/ari
//! ```
//!
//! Prints wall time, calls/s, events/s through the stream, peak memory (VmHWM) and memory
//! per active call ((RSS with N calls up - RSS idle) / N). Without `--url` the simulator
//! runs in this process, so memory and CPU figures include its share.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ari_bench::{peak_rss_kib, rss_kib};
use ari_sdk::{Client, Event, Item};
use tokio::sync::{Notify, Semaphore, watch};

struct Options {
    calls: usize,
    url: Option<String>,
    user: String,
    password: String,
    media: Duration,
    inflight: usize,
    timeout: Duration,
    /// The Asterisk process whose CPU is reported beside the client's.
    asterisk_pid: Option<String>,
    /// The client's HTTP connection bound (`ClientBuilder::max_connections`).
    max_connections: usize,
}

/// The pid of a process named `asterisk` on this machine, if one runs.
fn find_asterisk() -> Option<String> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid = entry.file_name().into_string().ok()?;
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
            (comm.trim() == "asterisk").then_some(pid)
        })
}

/// The p-th percentile (0..=100) of sorted durations.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() - 1) * p / 100]
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        calls: 1000,
        url: None,
        user: "hey".into(),
        password: "peekaboo".into(),
        media: Duration::from_millis(20),
        inflight: 128,
        timeout: Duration::from_secs(600),
        asterisk_pid: None,
        max_connections: ari_sdk::DEFAULT_MAX_CONNECTIONS,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        let number = |v: String| v.parse::<u64>().map_err(|e| format!("{v}: {e}"));
        match arg.as_str() {
            "--url" => o.url = Some(value()?),
            "--user" => o.user = value()?,
            "--password" => o.password = value()?,
            "--media-ms" => o.media = Duration::from_millis(number(value()?)?),
            "--inflight" => o.inflight = number(value()?)?.max(1) as usize,
            "--timeout-s" => o.timeout = Duration::from_secs(number(value()?)?),
            "--asterisk-pid" => o.asterisk_pid = Some(value()?),
            "--max-connections" => o.max_connections = number(value()?)? as usize,
            n if !n.starts_with('-') => o.calls = number(n.to_owned())?.max(1) as usize,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

/// User + system CPU seconds of this process (`/proc/self/stat`, USER_HZ = 100).
fn cpu_seconds() -> Option<f64> {
    cpu_seconds_of("self")
}

/// The same for process `pid` (`self` for this one).
fn cpu_seconds_of(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

/// Progress shared by the tasks.
#[derive(Default)]
struct Counters {
    /// When each call's originate was sent, by the `;1` id (the `;2` half that enters
    /// `hello` is `<id>;2`), and the time to its StasisStart once it arrived.
    sent_at: std::sync::Mutex<std::collections::HashMap<String, Instant>>,
    to_stasis_start: std::sync::Mutex<Vec<Duration>>,
    originated: AtomicUsize,
    answered: AtomicUsize,
    done: AtomicUsize,
    failed: AtomicUsize,
    events: AtomicUsize,
    stasis_end: AtomicUsize,
    progress: Notify,
}

impl Counters {
    fn bump(&self, counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::SeqCst);
        self.progress.notify_waiters();
    }
    async fn until(
        &self,
        counter: &AtomicUsize,
        n: usize,
        what: &str,
        deadline: Instant,
    ) -> Result<(), String> {
        loop {
            let notified = self.progress.notified();
            if counter.load(Ordering::SeqCst) >= n {
                return Ok(());
            }
            if self.failed.load(Ordering::SeqCst) > 0 {
                return Err(format!(
                    "{} calls failed",
                    self.failed.load(Ordering::SeqCst)
                ));
            }
            if tokio::time::timeout_at(deadline.into(), notified)
                .await
                .is_err()
            {
                return Err(format!(
                    "timed out waiting for {what}: {} of {n}",
                    counter.load(Ordering::SeqCst)
                ));
            }
        }
    }
}

/// One call in `hello`: answer, wait until every call is up, play, wait, hang up.
async fn call(
    client: Client,
    id: String,
    permits: Arc<Semaphore>,
    counters: Arc<Counters>,
    mut release: watch::Receiver<bool>,
) -> Result<(), String> {
    let channel = client.channel(&id);
    {
        let _permit = permits.acquire().await.map_err(|e| e.to_string())?;
        channel
            .answer()
            .await
            .map_err(|e| format!("answer {id}: {e}"))?;
    }
    counters.bump(&counters.answered);
    release
        .wait_for(|go| *go)
        .await
        .map_err(|e| e.to_string())?;
    let playback = {
        let _permit = permits.acquire().await.map_err(|e| e.to_string())?;
        channel
            .play(["sound:hello-world"])
            .await
            .map_err(|e| format!("play {id}: {e}"))?
    };
    playback
        .finished(Duration::from_secs(120))
        .await
        .map_err(|e| format!("playback on {id}: {e}"))?;
    {
        let _permit = permits.acquire().await.map_err(|e| e.to_string())?;
        channel
            .hangup()
            .await
            .map_err(|e| format!("hangup {id}: {e}"))?;
    }
    counters.bump(&counters.done);
    Ok(())
}

async fn run(o: Options) -> Result<(), String> {
    let n = o.calls;
    let rss_start = rss_kib();
    let (sim, client) = match &o.url {
        Some(url) => {
            let client = Client::builder(url.as_str())
                .basic_auth(&o.user, &o.password)
                .max_connections(o.max_connections)
                .build()
                .map_err(|e| e.to_string())?;
            (None, client)
        }
        None => {
            let sim = ari_sim::Simulator::builder()
                .media_duration(o.media)
                .start()
                .await
                .map_err(|e| format!("simulator: {e}"))?;
            let client = sim.client();
            (Some(sim), client)
        }
    };
    let mut stream = client
        .events(["hello", "phone"])
        .buffer(n * 24 + 1024)
        .connect()
        .await
        .map_err(|e| format!("event connection: {e}"))?;
    // Settle, then the idle baseline: client, runtime, connection, (simulator) with no call.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_idle = rss_kib();
    let cpu_idle = cpu_seconds();
    let asterisk_pid = o
        .asterisk_pid
        .clone()
        .or_else(|| o.url.as_ref().and_then(|_| find_asterisk()));
    let asterisk_cpu_idle = asterisk_pid.as_deref().and_then(cpu_seconds_of);

    let counters = Arc::new(Counters::default());
    let permits = Arc::new(Semaphore::new(o.inflight));
    let (release_tx, release_rx) = watch::channel(false);
    let deadline = Instant::now() + o.timeout;
    let started = Instant::now();

    // The dispatcher: every event of the connection passes here; a StasisStart in
    // `hello` starts that call's task.
    let dispatcher = {
        let (client, counters, permits) = (client.clone(), counters.clone(), permits.clone());
        tokio::spawn(async move {
            while let Some(item) = stream.next().await {
                match item {
                    Ok(Item::Event(event)) => {
                        counters.events.fetch_add(1, Ordering::Relaxed);
                        match &event {
                            Event::StasisStart(s) if s.application == "hello" => {
                                let near = s.channel.id.strip_suffix(";2").unwrap_or(&s.channel.id);
                                let sent = counters.sent_at.lock().unwrap().remove(near);
                                if let Some(sent) = sent {
                                    counters
                                        .to_stasis_start
                                        .lock()
                                        .unwrap()
                                        .push(sent.elapsed());
                                }
                                let task = call(
                                    client.clone(),
                                    s.channel.id.clone(),
                                    permits.clone(),
                                    counters.clone(),
                                    release_rx.clone(),
                                );
                                let counters = counters.clone();
                                tokio::spawn(async move {
                                    if let Err(e) = task.await {
                                        eprintln!("call failed: {e}");
                                        counters.bump(&counters.failed);
                                    }
                                });
                            }
                            Event::StasisEnd(s) if s.application == "hello" => {
                                counters.bump(&counters.stasis_end);
                            }
                            _ => {}
                        }
                    }
                    Ok(Item::Disconnected { reason }) => {
                        eprintln!("event connection lost: {reason}")
                    }
                    Ok(_) => {}
                    Err(e) => eprintln!("event stream: {e}"),
                }
            }
        })
    };

    for _ in 0..n {
        let (client, counters, permits) = (client.clone(), counters.clone(), permits.clone());
        tokio::spawn(async move {
            let sent = match permits.acquire().await {
                Ok(_permit) => {
                    let id = format!("load-{}", fastrand::u64(..));
                    counters
                        .sent_at
                        .lock()
                        .unwrap()
                        .insert(id.clone(), Instant::now());
                    client
                        .channels()
                        .originate("Local/7000@default")
                        .app("phone")
                        .channel_id(id)
                        .send_full()
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            match sent {
                Ok(()) => counters.bump(&counters.originated),
                Err(e) => {
                    eprintln!("originate failed: {e}");
                    counters.bump(&counters.failed);
                }
            }
        });
    }
    counters
        .until(&counters.answered, n, "answered calls", deadline)
        .await?;
    let up = started.elapsed();
    let events_up = counters.events.load(Ordering::SeqCst);
    // Every call is up and answered: what N active calls cost. (`wall` leaves this out.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_held = rss_kib();
    let sim_channels = sim.as_ref().map(|s| s.control().channel_ids().len());

    let released = Instant::now();
    release_tx.send(true).map_err(|e| e.to_string())?;
    counters
        .until(&counters.done, n, "finished calls", deadline)
        .await?;
    counters
        .until(&counters.stasis_end, n, "StasisEnd in hello", deadline)
        .await?;
    let teardown = released.elapsed();
    // The pause while memory was read is not part of the scenario.
    let wall = up + teardown;
    let events = counters.events.load(Ordering::SeqCst);
    let cpu_used = cpu_seconds().zip(cpu_idle).map(|(now, then)| now - then);
    let asterisk_cpu = asterisk_pid
        .as_deref()
        .and_then(cpu_seconds_of)
        .zip(asterisk_cpu_idle)
        .map(|(now, then)| now - then);
    let mut latencies = counters.to_stasis_start.lock().unwrap().clone();
    latencies.sort();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_after = rss_kib();
    dispatcher.abort();

    let per_call = rss_held
        .zip(rss_idle)
        .map(|(held, idle)| held.saturating_sub(idle) as f64 * 1024.0 / n as f64);
    println!(
        "load: {n} concurrent calls, simulator {}, media {:?}, REST in flight <= {}, {} worker threads",
        if o.url.is_some() {
            "in another process"
        } else {
            "in this process"
        },
        o.media,
        o.inflight,
        tokio::runtime::Handle::current().metrics().num_workers(),
    );
    println!(
        "  wall time                  {:.2} s (all {n} up and answered after {:.2} s; play+hangup of all {:.2} s)",
        wall.as_secs_f64(),
        up.as_secs_f64(),
        teardown.as_secs_f64()
    );
    println!(
        "  calls/s                    {:.0}",
        n as f64 / wall.as_secs_f64()
    );
    println!(
        "  events through the stream  {events} ({:.1} per call), {:.0} events/s over the run; {:.0} events/s while calls were set up",
        events as f64 / n as f64,
        events as f64 / wall.as_secs_f64(),
        events_up as f64 / up.as_secs_f64()
    );
    if let Some(cpu) = cpu_used {
        println!(
            "  CPU of this process        {cpu:.2} s ({:.0} µs per call{})",
            cpu * 1e6 / n as f64,
            if o.url.is_some() {
                ""
            } else {
                ", simulator included"
            }
        );
    }
    if let Some(cpu) = asterisk_cpu {
        println!(
            "  CPU of Asterisk            {cpu:.2} s ({:.0} µs per call)",
            cpu * 1e6 / n as f64
        );
    }
    println!(
        "  originate -> StasisStart   p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} calls)",
        percentile(&latencies, 50).as_secs_f64() * 1e3,
        percentile(&latencies, 99).as_secs_f64() * 1e3,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        latencies.len()
    );
    println!(
        "  errors                     {}",
        counters.failed.load(Ordering::SeqCst)
    );
    println!(
        "  memory (RSS)               start {}, idle {}, {n} calls up {}, after {}; peak (VmHWM) {}",
        mib(rss_start),
        mib(rss_idle),
        mib(rss_held),
        mib(rss_after),
        mib(peak_rss_kib())
    );
    if let Some(per_call) = per_call {
        println!(
            "  memory per active call     {:.1} KiB{}",
            per_call / 1024.0,
            match sim_channels {
                Some(c) => format!(" (client and simulator: {c} simulated channels up)"),
                None => " (client only)".to_owned(),
            }
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match runtime.block_on(run(o)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("load failed: {e}");
            ExitCode::FAILURE
        }
    }
}
