//! The cluster as a whole, on real components: a real nats-server (JetStream), simulated
//! Asterisk nodes (ari-sim, each its own `asterisk_id`), two proxies per node (active and
//! standby), and application instances written like single-Asterisk applications.
//!
//! Needs `nats-server` (Debian's package; `.ci/run` installs it). Without it each test
//! says SKIPPED and passes, so a developer machine without NATS still runs the rest.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ari_cluster::nats_server::NatsServer;
use ari_cluster::proxy::{AsteriskTarget, Proxy, ProxyConfig, ProxyHandle};
use ari_cluster::{Cluster, Timing};
use ari_sdk::Event;
use ari_sim::Simulator;

const APP: &str = "hello";
/// How long any one step may take before the test fails.
const LIMIT: Duration = Duration::from_secs(60);

/// Short enough for quick failovers, long enough that a loaded 2-core machine does not
/// miss a renewal and take a live instance or proxy for dead.
fn timing() -> Timing {
    Timing {
        lease_ttl: Duration::from_secs(3),
        instance_ttl: Duration::from_secs(3),
        ..Timing::default()
    }
}

/// One cluster test at a time: each runs its own nats-server, nodes and instances, and
/// the failover test's timings assume the machine is not running the others beside it.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn nats_or_skip(test: &str) -> Option<(NatsServer, tokio::sync::MutexGuard<'static, ()>)> {
    if !NatsServer::is_installed() {
        eprintln!("SKIPPED {test}: nats-server is not installed (apt-get install nats-server)");
        return None;
    }
    let serial = SERIAL.lock().await;
    Some((
        NatsServer::start().await.expect("nats-server starts"),
        serial,
    ))
}

/// What the instances' application did, for the test to check.
#[derive(Default)]
struct Log {
    /// channel -> instances that got it as a new call (original or adopted).
    started: HashMap<String, Vec<String>>,
    /// channel -> (instance, the digits it saw, in order) once it hung the call up.
    finished: HashMap<String, (String, String)>,
    /// channel -> the instance it was adopted from, as the adopter's `adopted_from` says.
    adopted: HashMap<String, String>,
    /// Calls whose `StasisStart` args were not the dialplan's `world`.
    wrong_args: Vec<String>,
}

type SharedLog = Arc<Mutex<Log>>;

/// One application instance running the test's application: answer each call, collect
/// three digits in order, hang up. Written as it would be for one Asterisk.
struct App {
    cluster: Arc<Cluster>,
    task: tokio::task::JoinHandle<()>,
}

impl App {
    async fn start(nats: &str, log: SharedLog) -> App {
        let cluster = Cluster::builder(nats, [APP])
            .timing(timing())
            .request_timeout(Duration::from_secs(10))
            .connect()
            .await
            .expect("instance joins");
        let cluster = Arc::new(cluster);
        let client = cluster.client().clone();
        let me = cluster.instance_id().to_owned();
        let adopter = cluster.clone();
        let task = tokio::spawn(async move {
            let mut calls = client.calls([APP]).connect().await.expect("calls");
            while let Some(call) = calls.next().await {
                let Ok(mut call) = call else { continue };
                let (log, me) = (log.clone(), me.clone());
                {
                    let mut log = log.lock().unwrap();
                    let id = call.id().to_owned();
                    log.started.entry(id.clone()).or_default().push(me.clone());
                    if let Some(from) = adopter.adopted_from(&id) {
                        log.adopted.insert(id.clone(), from);
                    }
                    if call.args() != ["world"] {
                        log.wrong_args.push(id);
                    }
                }
                tokio::spawn(async move {
                    let _ = call.channel().answer().await;
                    let mut digits = String::new();
                    while digits.len() < 3 {
                        match tokio::time::timeout(LIMIT, call.next_event()).await {
                            Ok(Some(Ok(Event::ChannelDtmfReceived(dtmf)))) => {
                                digits.push_str(&dtmf.digit)
                            }
                            Ok(Some(Ok(_))) => {}
                            _ => return,
                        }
                    }
                    if call.channel().hangup().await.is_ok() {
                        log.lock()
                            .unwrap()
                            .finished
                            .insert(call.id().to_owned(), (me, digits));
                    }
                });
            }
        });
        App { cluster, task }
    }

    async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
        Arc::try_unwrap(self.cluster)
            .expect("the application task is gone")
            .kill();
    }
}

struct Node {
    sim: Simulator,
    proxies: Vec<ProxyHandle>,
}

async fn start_node(nats: &str, id: &str, proxies: usize) -> Node {
    let sim = Simulator::builder()
        .asterisk_id(id)
        .system_name(id)
        .start()
        .await
        .expect("simulator");
    let mut handles = Vec::new();
    for n in 0..proxies {
        handles.push(start_proxy(nats, &sim, id, &format!("{id}-p{n}")).await);
    }
    Node {
        sim,
        proxies: handles,
    }
}

async fn start_proxy(nats: &str, sim: &Simulator, node: &str, proxy_id: &str) -> ProxyHandle {
    let (user, password) = sim.credentials();
    let target = AsteriskTarget {
        base_url: sim.base_url(),
        user: user.to_owned(),
        password: password.to_owned(),
    };
    Proxy::start(
        ProxyConfig::new(nats, node, target, vec![APP.to_owned()])
            .proxy_id(proxy_id)
            .timing(timing()),
    )
    .await
    .expect("proxy starts")
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    if std::env::var_os("ARI_CLUSTER_TRACE").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::INFO)
            .try_init();
    }
    let deadline = Instant::now() + LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn until_active(node: &Node) -> usize {
    let mut active = None;
    until("a node's active proxy", || {
        active = node.proxies.iter().position(|p| p.is_active());
        active.is_some()
    })
    .await;
    active.unwrap()
}

/// Places `count` calls spread over `nodes`, returning (node index, channel id).
fn place_calls(nodes: &[Node], count: usize) -> Vec<(usize, String)> {
    (0..count)
        .map(|n| {
            let node = n % nodes.len();
            let id = nodes[node].sim.control().call("7000").expect("call placed");
            (node, id)
        })
        .collect()
}

fn press_all(nodes: &[Node], calls: &[(usize, String)]) {
    for (node, channel) in calls {
        nodes[*node]
            .sim
            .control()
            .press(channel, "123")
            .expect("digits pressed");
    }
}

/// The scenario: 3 nodes with an active and a standby proxy each, 3 instances;
/// calls spread over the nodes are each answered by exactly one instance, their digits
/// arrive in order; an instance killed mid-run has its calls finished by a survivor; the
/// active proxy of a node killed, its standby takes over and serves new calls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_spread_over_nodes_and_instances_survive_failures() {
    let Some((nats, _serial)) =
        nats_or_skip("calls_spread_over_nodes_and_instances_survive_failures").await
    else {
        return;
    };
    let calls_per_phase: usize = std::env::var("ARI_CLUSTER_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
        / 2;
    let url = nats.url();
    let mut nodes = Vec::new();
    for id in ["n0", "n1.with.dots", "n2"] {
        nodes.push(start_node(&url, id, 2).await);
    }
    for node in &nodes {
        until_active(node).await;
    }
    let log = SharedLog::default();
    let mut apps = Vec::new();
    for _ in 0..3 {
        apps.push(App::start(&url, log.clone()).await);
    }

    // Phase 1: calls placed, answered by one instance each; then one instance dies with
    // its calls waiting for digits.
    let first = place_calls(&nodes, calls_per_phase);
    until("every call of phase 1 started", || {
        let started = log.lock().unwrap().started.len();
        if std::env::var_os("ARI_CLUSTER_TRACE").is_some() {
            eprintln!("started {started} of {}", first.len());
        }
        started == first.len()
    })
    .await;
    let victim = apps.remove(0);
    let victim_id = victim.cluster.instance_id().to_owned();
    let victims_calls: HashSet<String> = log
        .lock()
        .unwrap()
        .started
        .iter()
        .filter(|(_, by)| by[0] == victim_id)
        .map(|(channel, _)| channel.clone())
        .collect();
    assert!(!victims_calls.is_empty(), "the victim had calls");
    victim.kill().await;
    let killed_at = Instant::now();
    press_all(&nodes, &first);
    until("every call of phase 1 finished", || {
        log.lock().unwrap().finished.len() == first.len()
    })
    .await;
    let takeover = killed_at.elapsed();

    // Phase 2: the active proxy of node 0 dies; its standby takes the node over.
    let active = until_active(&nodes[0]).await;
    let dead_proxy = nodes[0].proxies.remove(active);
    dead_proxy.kill();
    let proxy_killed_at = Instant::now();
    until_active(&nodes[0]).await;
    let proxy_takeover = proxy_killed_at.elapsed();
    // The standby's WebSocket is up once the node's application is registered again.
    until("node 0's application registered again", || {
        nodes[0].sim.control().websocket_count() > 0
    })
    .await;
    let second = place_calls(&nodes, calls_per_phase);
    until("every call of phase 2 started", || {
        log.lock().unwrap().started.len() == first.len() + second.len()
    })
    .await;
    press_all(&nodes, &second);
    let deadline = Instant::now() + LIMIT;
    loop {
        let (started, finished) = {
            let log = log.lock().unwrap();
            (log.started.len(), log.finished.len())
        };
        if finished == first.len() + second.len() {
            break;
        }
        if Instant::now() > deadline {
            let log = log.lock().unwrap();
            let unfinished: Vec<(&String, &Vec<String>)> = log
                .started
                .iter()
                .filter(|(channel, _)| !log.finished.contains_key(*channel))
                .take(5)
                .collect();
            panic!(
                "phase 2 unfinished: {started} started, {finished} finished of {}; e.g. {unfinished:?}; victim {victim_id}",
                first.len() + second.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The dead instance's calls are over: its adopter retires its consumer.
    let js = async_nats::jetstream::new(async_nats::connect(url.as_str()).await.unwrap());
    let events = js
        .get_stream(ari_cluster::protocol::EVENTS_STREAM)
        .await
        .unwrap();
    let victims_consumer = ari_cluster::protocol::instance_consumer(&victim_id);
    let deadline = Instant::now() + LIMIT;
    while let Ok(info) = events.consumer_info(&victims_consumer).await {
        if Instant::now() > deadline {
            let owners = js
                .get_key_value(ari_cluster::protocol::OWNERS_BUCKET)
                .await
                .unwrap();
            let mut keys = owners.keys().await.unwrap();
            let mut left = Vec::new();
            use futures_util::StreamExt;
            while let Some(Ok(key)) = keys.next().await {
                let value = owners.get(key.as_str()).await.unwrap().unwrap_or_default();
                left.push(format!("{key} -> {}", String::from_utf8_lossy(&value)));
            }
            panic!(
                "the dead instance's consumer is not retired: pending {} ack pending {}; owners left: {:?}",
                info.num_pending,
                info.num_ack_pending,
                &left[..left.len().min(5)]
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let log = log.lock().unwrap();
    assert!(log.wrong_args.is_empty(), "args lost: {:?}", log.wrong_args);
    let adopted: HashSet<String> = log.adopted.keys().cloned().collect();
    assert_eq!(
        adopted, victims_calls,
        "adopted_from names the victim's calls"
    );
    assert!(log.adopted.values().all(|from| *from == victim_id));
    for (channel, (by, digits)) in &log.finished {
        assert_eq!(digits, "123", "digits of {channel} in order");
        assert_ne!(by, &victim_id, "{channel} finished by the dead instance");
    }
    for (channel, by) in &log.started {
        // Once, or twice when its first instance died and a survivor adopted it.
        let expected = if victims_calls.contains(channel) {
            2
        } else {
            1
        };
        assert_eq!(by.len(), expected, "{channel} started on {by:?}");
    }
    let per_instance: HashMap<&str, usize> =
        log.finished
            .values()
            .fold(HashMap::new(), |mut counts, (by, _)| {
                *counts.entry(by.as_str()).or_default() += 1;
                counts
            });
    assert_eq!(
        per_instance.len(),
        2,
        "both survivors took calls: {per_instance:?}"
    );
    eprintln!(
        "cluster: {} calls; instance takeover (kill to last call done) {takeover:?}; proxy takeover {proxy_takeover:?}; calls per instance {per_instance:?}",
        log.finished.len()
    );
    for node in &nodes {
        assert!(
            node.sim.control().channel_ids().is_empty(),
            "every channel hung up"
        );
    }
}

/// JetStream's state survives a restart of nats-server: who owns a call in progress, and
/// the call goes on afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_go_on_across_a_nats_restart() {
    let Some((mut nats, _serial)) = nats_or_skip("calls_go_on_across_a_nats_restart").await else {
        return;
    };
    let url = nats.url();
    let nodes = vec![start_node(&url, "solo", 1).await];
    until_active(&nodes[0]).await;
    let log = SharedLog::default();
    let app = App::start(&url, log.clone()).await;
    let calls = place_calls(&nodes, 5);
    until("the calls started", || {
        log.lock().unwrap().started.len() == 5
    })
    .await;

    nats.restart().await.expect("nats-server restarts");
    // The owner records are still there (the bucket lives in the store).
    let client = async_nats::connect(url.as_str()).await.expect("connects");
    let owners = async_nats::jetstream::new(client)
        .get_key_value(ari_cluster::protocol::OWNERS_BUCKET)
        .await
        .expect("owners bucket survives");
    for (_, channel) in &calls {
        let key = ari_cluster::protocol::key::owner("solo", "channel", channel);
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Ok(Some(_)) = owners.get(key.as_str()).await {
                break;
            }
            assert!(Instant::now() < deadline, "owner of {channel} kept");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Give the proxy and the instance time to reconnect to NATS, then finish the calls.
    tokio::time::sleep(Duration::from_millis(500)).await;
    press_all(&nodes, &calls);
    until("the calls finished after the restart", || {
        log.lock().unwrap().finished.len() == 5
    })
    .await;
    drop(app);
}

/// Garbage on every subject the cluster reads gets an error or is set aside, and the
/// calls behind it are not lost. Unknown nodes answer "no responders": never ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_loses_nothing() {
    let Some((nats, _serial)) = nats_or_skip("bad_input_is_refused_and_loses_nothing").await else {
        return;
    };
    let url = nats.url();
    let nodes = vec![start_node(&url, "solo", 1).await];
    until_active(&nodes[0]).await;
    let log = SharedLog::default();
    let app = App::start(&url, log.clone()).await;

    let raw = async_nats::connect(url.as_str()).await.expect("connects");
    let js = async_nats::jetstream::new(raw.clone());
    use ari_cluster::protocol::subject;
    // A new call that is not one, an event envelope that is not one.
    js.publish(subject::new_calls(APP), "not json".into())
        .await
        .unwrap()
        .await
        .unwrap();
    js.publish(
        subject::owned_events(app.cluster.instance_id(), APP),
        "{\"broken\":".into(),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    // A command and a claim that are not ones get an answer, not silence.
    for target in [subject::command("solo"), subject::claim("solo")] {
        let reply = raw
            .request(target.clone(), "garbage".into())
            .await
            .unwrap_or_else(|e| panic!("{target} answers: {e}"));
        let failure = reply
            .headers
            .as_ref()
            .and_then(|h| h.get(ari_cluster::protocol::headers::FAILURE))
            .map(|v| v.as_str().to_owned());
        assert!(
            failure.is_some() || !reply.payload.is_empty(),
            "{target} says what was wrong"
        );
    }
    // Calls after the garbage are handled.
    let calls = place_calls(&nodes, 3);
    until("the calls started", || {
        log.lock().unwrap().started.len() == 3
    })
    .await;
    press_all(&nodes, &calls);
    until("the calls finished", || {
        log.lock().unwrap().finished.len() == 3
    })
    .await;

    // A node nobody serves: the request never ran, and the error says so.
    let error = app
        .cluster
        .node_client("no-such-node")
        .asterisk()
        .get_info()
        .await
        .expect_err("no node");
    assert!(!error.may_have_executed(), "{error}");
    assert!(error.to_string().contains("no responders"), "{error}");
}

/// The real Asterisk of the end-to-end suite as a node (when `ARI_E2E_URL` names one): a call
/// the instance originates comes back to it, the far half entering `hello` is a new call
/// claimed by it, and whole-system requests reach the node.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_asterisk_is_a_node_too() {
    let Some(url) = std::env::var("ARI_E2E_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
    else {
        eprintln!("SKIPPED a_real_asterisk_is_a_node_too: ARI_E2E_URL is not set");
        return;
    };
    let Some((nats, _serial)) = nats_or_skip("a_real_asterisk_is_a_node_too").await else {
        return;
    };
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let caller_app = "cluster-e2e";
    let target = AsteriskTarget {
        base_url: url.trim().to_owned(),
        user: var("ARI_E2E_USER", "hey"),
        password: var("ARI_E2E_PASSWORD", "peekaboo"),
    };
    let proxy = Proxy::start(
        ProxyConfig::new(
            nats.url(),
            "real",
            target,
            vec![APP.to_owned(), caller_app.to_owned()],
        )
        .timing(timing()),
    )
    .await
    .expect("proxy for the real Asterisk");
    until("the proxy is active", || proxy.is_active()).await;
    let cluster = Cluster::builder(nats.url(), [APP, caller_app])
        .timing(timing())
        .connect()
        .await
        .expect("instance");
    // The node is discovered with its version once its WebSocket is up.
    let deadline = Instant::now() + LIMIT;
    let node = loop {
        let nodes = cluster
            .nodes(Duration::from_millis(300))
            .await
            .expect("ping");
        if let Some(node) = nodes
            .into_iter()
            .find(|n| n.websocket_up && n.asterisk_version.is_some())
        {
            break node;
        }
        assert!(Instant::now() < deadline, "the real node announces itself");
    };
    assert_eq!(node.node, "real");
    let client = cluster.client().clone();
    let info = client
        .asterisk()
        .get_info()
        .await
        .expect("asterisk.getInfo via the cluster");
    assert!(info.system.is_some(), "{info:?}");

    let mut hello = client.calls([APP]).connect().await.expect("calls of hello");
    let caller = client
        .channels()
        .originate("Local/7000@default")
        .app(caller_app)
        .await
        .expect("originate through the cluster");
    let far = format!("{};2", caller.id);
    let in_hello = loop {
        let call = tokio::time::timeout(LIMIT, hello.next())
            .await
            .expect("a new call in hello")
            .expect("stream open")
            .expect("a call");
        if call.id() == far {
            break call;
        }
    };
    assert_eq!(in_hello.args(), ["world"]);
    in_hello.channel().answer().await.expect("answer");
    // The originated half comes back to this instance once answered.
    let caller_id = caller.id.clone();
    let call = caller
        .into_call(LIMIT)
        .await
        .expect("the originated channel's call");
    assert_eq!(call.id(), caller_id);
    call.channel().hangup().await.expect("hang up");
    tokio::time::timeout(LIMIT, in_hello.ended())
        .await
        .expect("the far half ends with the call");
    proxy.shutdown().await;
}

/// An application that reads nothing for longer than the acknowledgement wait, then
/// reads slowly: every call arrives once, with its digits in order, none repeated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_application_misses_and_repeats_nothing() {
    let Some((nats, _serial)) = nats_or_skip("a_slow_application_misses_and_repeats_nothing").await
    else {
        return;
    };
    let url = nats.url();
    let nodes = vec![start_node(&url, "solo", 1).await];
    until_active(&nodes[0]).await;
    let cluster = Cluster::builder(url.as_str(), [APP])
        .timing(timing())
        .connect()
        .await
        .expect("instance");
    let mut calls = cluster
        .client()
        .calls([APP])
        .connect()
        .await
        .expect("calls");
    let placed = place_calls(&nodes, 40);
    press_all(&nodes, &placed);
    // Twice the acknowledgement wait without reading anything.
    tokio::time::sleep(timing().instance_ttl * 2).await;
    let mut seen = HashMap::new();
    while seen.len() < placed.len() {
        let mut call = tokio::time::timeout(LIMIT, calls.next())
            .await
            .expect("a call in time")
            .expect("stream open")
            .expect("a call");
        let mut digits = String::new();
        while digits.len() < 3 {
            match tokio::time::timeout(LIMIT, call.next_event()).await {
                Ok(Some(Ok(Event::ChannelDtmfReceived(dtmf)))) => digits.push_str(&dtmf.digit),
                Ok(Some(Ok(_))) => {}
                other => panic!("digits of {}: {other:?}", call.id()),
            }
        }
        assert!(
            seen.insert(call.id().to_owned(), digits).is_none(),
            "{} delivered twice",
            call.id()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(seen.values().all(|digits| digits == "123"), "{seen:?}");
    // Nothing more comes: no call is handed out again.
    let again = tokio::time::timeout(Duration::from_millis(500), calls.next()).await;
    assert!(
        again.is_err(),
        "a call came twice: {:?}",
        again.map(|c| c.map(|c| c.map(|c| c.id().to_owned())))
    );
}

/// Two event connections for one application on one cluster client behave as on one
/// Asterisk: the newer takes the application over (the older is told it was replaced and
/// ends), so each call is handed out once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_connection_takes_the_application_over_as_on_asterisk() {
    let Some((nats, _serial)) =
        nats_or_skip("a_second_connection_takes_the_application_over_as_on_asterisk").await
    else {
        return;
    };
    let url = nats.url();
    let nodes = vec![start_node(&url, "solo", 1).await];
    until_active(&nodes[0]).await;
    let cluster = Cluster::builder(url.as_str(), [APP])
        .timing(timing())
        .connect()
        .await
        .expect("instance");
    let client = cluster.client().clone();
    let mut first = client.events([APP]).connect().await.expect("first");
    let handed = Arc::new(Mutex::new(Vec::new()));
    let mut calls = client.calls([APP]).connect().await.expect("calls");
    // The first connection hears it was replaced, and ends.
    let mut replaced = false;
    while let Ok(Some(item)) = tokio::time::timeout(LIMIT, first.next()).await {
        match item {
            Ok(ari_sdk::Item::Event(Event::ApplicationReplaced(_))) => replaced = true,
            Ok(ari_sdk::Item::Disconnected { .. }) => break,
            _ => {}
        }
    }
    assert!(replaced, "the first connection was told");
    {
        let handed = handed.clone();
        tokio::spawn(async move {
            while let Some(Ok(call)) = calls.next().await {
                handed.lock().unwrap().push(call.id().to_owned());
                let _ = call.channel().hangup().await;
            }
        });
    }
    let placed = place_calls(&nodes, 30);
    until("every call handed out", || {
        handed.lock().unwrap().len() >= placed.len()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let handed = handed.lock().unwrap();
    let unique: HashSet<&String> = handed.iter().collect();
    assert_eq!(unique.len(), placed.len());
    assert_eq!(handed.len(), placed.len(), "a call handed out twice");
}

/// A second call placed on the first call's node through `node_client` becomes a call of
/// the same instance through the main client's streams; wrong settings fail at once,
/// naming what is wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_client_places_calls_on_one_node_and_bad_settings_are_named() {
    let Some((nats, _serial)) =
        nats_or_skip("a_node_client_places_calls_on_one_node_and_bad_settings_are_named").await
    else {
        return;
    };
    let url = nats.url();
    let nodes = vec![
        start_node(&url, "east", 1).await,
        start_node(&url, "west", 1).await,
    ];
    for node in &nodes {
        until_active(node).await;
        assert!(node.proxies[0].ready(LIMIT).await, "proxy ready");
    }
    let cluster = Cluster::builder(url.as_str(), [APP])
        .timing(timing())
        .connect()
        .await
        .expect("instance");
    let client = cluster.client().clone();
    let mut calls = client.calls([APP]).connect().await.expect("calls");
    let first = nodes[1].sim.control().call("7000").expect("call on west");
    let call = tokio::time::timeout(LIMIT, calls.next())
        .await
        .expect("a call")
        .expect("open")
        .expect("call");
    assert_eq!(call.id(), first);
    let node = cluster
        .node_of(call.id())
        .expect("the call's node is known");
    assert_eq!(node, "west");
    for _ in 0..5 {
        let leg = cluster
            .node_client(&node)
            .channels()
            .originate("Local/7002@default")
            .app(APP)
            .await
            .expect("originate on the caller's node");
        let leg_id = leg.id.clone();
        let leg_call = leg.into_call(LIMIT).await.expect("the leg comes back");
        assert_eq!(
            cluster.node_of(leg_call.id()).as_deref(),
            Some("west"),
            "{leg_id}"
        );
        leg_call.channel().hangup().await.expect("hang the leg up");
    }
    assert!(
        nodes[0].sim.control().channel_ids().is_empty(),
        "nothing was placed on east"
    );

    // An application the instance was not built for.
    let error = client
        .calls(["not-mine"])
        .connect()
        .await
        .expect_err("unknown application");
    assert!(error.to_string().contains("not-mine"), "{error}");

    // A proxy whose Asterisk refuses its credentials does not start (nor take the lease).
    let target = AsteriskTarget {
        base_url: nodes[0].sim.base_url(),
        user: "nobody".to_owned(),
        password: "wrong".to_owned(),
    };
    let refused = Proxy::start(ProxyConfig::new(
        url.as_str(),
        "east",
        target,
        vec![APP.to_owned()],
    ))
    .await
    .expect_err("bad credentials");
    assert!(refused.to_string().contains("refuses"), "{refused}");
    assert!(
        !refused.to_string().contains("wrong"),
        "no password in errors: {refused}"
    );
}
