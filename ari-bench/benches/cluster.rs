//! The cluster against the direct client, in one run (`cargo bench -p ari-bench --bench
//! cluster`; needs Debian's nats-server):
//!
//! - request latency: `asterisk.ping` and `channels.list`, one at a time, direct to a
//!   simulator vs through NATS and its ari-proxy (same kind of simulator);
//! - events/s: calls that each press three digits, every event read by the application's
//!   per-call streams, direct vs through the cluster;
//! - calls/s with 1, 2 and 3 application instances (answer, hang up);
//! - takeover: a killed instance's calls finished by a survivor, a killed proxy's node
//!   served by its standby (both bounded by the TTLs, 1.5 s here).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ari_bench::{alternate, micros, quick_mode};
use ari_cluster::nats_server::NatsServer;
use ari_cluster::proxy::{AsteriskTarget, Proxy, ProxyConfig, ProxyHandle};
use ari_cluster::{Cluster, Timing};
use ari_sdk::{Client, Event};
use ari_sim::Simulator;

const APP: &str = "hello";

fn timing() -> Timing {
    Timing {
        lease_ttl: Duration::from_millis(1500),
        instance_ttl: Duration::from_millis(1500),
        ..Timing::default()
    }
}

async fn node(nats: &str, id: &str, proxies: usize) -> (Simulator, Vec<ProxyHandle>) {
    let sim = Simulator::builder()
        .asterisk_id(id)
        .system_name(id)
        .media_duration(Duration::from_millis(10))
        .start()
        .await
        .expect("simulator");
    let mut handles = Vec::new();
    for n in 0..proxies {
        let (user, password) = sim.credentials();
        let target = AsteriskTarget {
            base_url: sim.base_url(),
            user: user.to_owned(),
            password: password.to_owned(),
        };
        let config = ProxyConfig::new(nats, id, target, vec![APP.to_owned()])
            .proxy_id(format!("{id}-p{n}"))
            .timing(timing());
        handles.push(Proxy::start(config).await.expect("proxy"));
    }
    while !handles.iter().any(ProxyHandle::is_active) || sim.control().websocket_count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (sim, handles)
}

async fn instance(nats: &str) -> Cluster {
    Cluster::builder(nats, [APP])
        .timing(timing())
        .connect()
        .await
        .expect("instance")
}

/// Runs the application on `client`: answer each call, read digits until `digits` arrived,
/// hang up; counts events read and calls done.
fn application(client: Client, digits: usize, done: Arc<Mutex<(usize, usize)>>) {
    tokio::spawn(async move {
        let mut calls = client.calls([APP]).connect().await.expect("calls");
        while let Some(Ok(mut call)) = calls.next().await {
            let done = done.clone();
            tokio::spawn(async move {
                let _ = call.channel().answer().await;
                let mut seen = 0;
                let mut events = 1;
                while seen < digits {
                    match call.next_event().await {
                        Some(Ok(Event::ChannelDtmfReceived(_))) => seen += 1,
                        Some(Ok(_)) => {}
                        _ => return,
                    }
                    events += 1;
                }
                let _ = call.channel().hangup().await;
                let mut done = done.lock().unwrap();
                done.0 += events;
                done.1 += 1;
            });
        }
    });
}

/// Places `calls` calls spread over `sims`, presses `digits` digits on each once they are
/// answered, and waits until the application finished them all: (events read, elapsed).
async fn run_calls(
    sims: &[&Simulator],
    calls: usize,
    digits: &str,
    done: &Arc<Mutex<(usize, usize)>>,
) -> (usize, Duration) {
    *done.lock().unwrap() = (0, 0);
    let started = Instant::now();
    let mut placed = Vec::new();
    for n in 0..calls {
        let sim = sims[n % sims.len()];
        placed.push((sim, sim.control().call("7000").expect("call")));
    }
    if !digits.is_empty() {
        for (sim, channel) in &placed {
            sim.control().press(channel, digits).expect("press");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while done.lock().unwrap().1 < calls {
        assert!(Instant::now() < deadline, "calls not finished in time");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let events = done.lock().unwrap().0;
    (events, started.elapsed())
}

fn main() {
    if !NatsServer::is_installed() {
        eprintln!("SKIPPED cluster benchmark: nats-server is not installed");
        return;
    }
    let quick = quick_mode();
    let (requests, event_calls, rate_calls) = if quick {
        (20, 10, 10)
    } else {
        (2_000, 300, 600)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let nats = NatsServer::start().await.expect("nats-server");
        let url = nats.url();

        // Latency: the direct client and the cluster on two simulators alike.
        let direct_sim = Simulator::builder().start().await.expect("simulator");
        let direct = direct_sim.client();
        let (cluster_sim, _proxies) = node(&url, "n0", 1).await;
        let first = instance(&url).await;
        let through = first.client().clone();
        for (name, path) in [("asterisk.ping", 0), ("channels.list", 1)] {
            let [direct_time, cluster_time] = alternate(
                requests,
                || async {
                    if path == 0 {
                        direct.asterisk().ping().await.expect("ping");
                    } else {
                        direct.channels().list().await.expect("list");
                    }
                },
                || async {
                    if path == 0 {
                        through.asterisk().ping().await.expect("ping");
                    } else {
                        through.channels().list().await.expect("list");
                    }
                },
            )
            .await;
            println!(
                "request {name}: direct {} p50 {}, cluster {} p50 {}: cluster/direct requests/s {:.2}x, added p50 {}",
                format_args!("{:.0}/s", direct_time.0),
                micros(direct_time.1.p50),
                format_args!("{:.0}/s", cluster_time.0),
                micros(cluster_time.1.p50),
                cluster_time.0 / direct_time.0,
                micros(cluster_time.1.p50.saturating_sub(direct_time.1.p50)),
            );
        }

        // Events/s: calls pressing three digits, read by the application's call streams.
        let direct_done = Arc::new(Mutex::new((0, 0)));
        application(direct.clone(), 3, direct_done.clone());
        let cluster_done = Arc::new(Mutex::new((0, 0)));
        application(through.clone(), 3, cluster_done.clone());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let (direct_events, direct_time) =
            run_calls(&[&direct_sim], event_calls, "123", &direct_done).await;
        let (cluster_events, cluster_time) =
            run_calls(&[&cluster_sim], event_calls, "123", &cluster_done).await;
        let direct_rate = direct_events as f64 / direct_time.as_secs_f64();
        let cluster_rate = cluster_events as f64 / cluster_time.as_secs_f64();
        println!(
            "events ({event_calls} calls at once, 3 digits each 100 ms apart, until all hung up): direct {direct_rate:.0}/s in {direct_time:?}, cluster {cluster_rate:.0}/s in {cluster_time:?}: {:.2}x",
            cluster_rate / direct_rate
        );

        // Calls/s with 1, 2 and 3 instances, over three nodes: answer and hang up.
        first.shutdown().await;
        let (sim_b, _pb) = node(&url, "n1", 1).await;
        let (sim_c, _pc) = node(&url, "n2", 1).await;
        let sims = [&cluster_sim, &sim_b, &sim_c];
        let plain_done = Arc::new(Mutex::new((0, 0)));
        let mut instances = Vec::new();
        let mut rates = Vec::new();
        for count in 1..=3 {
            while instances.len() < count {
                let next = instance(&url).await;
                application(next.client().clone(), 0, plain_done.clone());
                instances.push(next);
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            let (_, elapsed) = run_calls(&sims, rate_calls, "", &plain_done).await;
            let rate = rate_calls as f64 / elapsed.as_secs_f64();
            rates.push(rate);
            println!(
                "calls/s with {count} instance(s): {rate:.0} ({:.2}x one instance)",
                rate / rates[0]
            );
        }

        // Takeover of a dead instance: its calls wait for digits, it dies, digits come.
        let held = Arc::new(Mutex::new((0, 0)));
        let victim = instance(&url).await;
        let survivor = instance(&url).await;
        for old in instances.drain(..) {
            old.shutdown().await;
        }
        application(victim.client().clone(), 1, held.clone());
        application(survivor.client().clone(), 1, held.clone());
        tokio::time::sleep(Duration::from_millis(300)).await;
        let calls: Vec<String> = (0..20)
            .map(|_| cluster_sim.control().call("7000").expect("call"))
            .collect();
        tokio::time::sleep(Duration::from_millis(500)).await;
        victim.kill();
        let killed = Instant::now();
        for channel in &calls {
            cluster_sim.control().press(channel, "1").expect("press");
        }
        while held.lock().unwrap().1 < calls.len() {
            assert!(killed.elapsed() < Duration::from_secs(60), "takeover in time");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        println!(
            "instance takeover (instance_ttl 1.5 s): dead instance's calls finished {:?} after the kill",
            killed.elapsed()
        );

        // Takeover of a dead proxy by its standby.
        let (standby_sim, mut pair) = node(&url, "n3", 2).await;
        let active = pair.iter().position(ProxyHandle::is_active).expect("active");
        pair.remove(active).kill();
        let killed = Instant::now();
        while !pair[0].is_active() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let leased = killed.elapsed();
        while standby_sim.control().websocket_count() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        println!(
            "proxy takeover (lease_ttl 1.5 s): standby active after {leased:?}, its WebSocket up after {:?}",
            killed.elapsed()
        );
        survivor.shutdown().await;
    });
}
