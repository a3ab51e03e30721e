//! A whole cluster on one machine: `cargo run --example cluster`.
//!
//! Starts nats-server (JetStream, a temporary store), two simulated Asterisk nodes with an
//! `ari-proxy` each, and two application instances running the same small application
//! (answer, play a greeting, hang up). Calls placed on both nodes are spread over the two
//! instances, each call handled by exactly one; the output shows who took what.
//!
//! Needs Debian's `nats-server` package (`apt-get install nats-server`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ari_cluster::Cluster;
use ari_cluster::nats_server::NatsServer;
use ari_cluster::proxy::{AsteriskTarget, Proxy, ProxyConfig};
use ari_sim::Simulator;

const APP: &str = "hello";
const CALLS: usize = 12;

/// (instance, node of the call) -> calls handled.
type Tally = Arc<Mutex<BTreeMap<(String, String), usize>>>;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if !NatsServer::is_installed() {
        eprintln!("nats-server is not installed: apt-get install nats-server");
        std::process::exit(1);
    }
    let nats = NatsServer::start().await?;
    println!("nats-server (JetStream) at {}", nats.url());

    let mut nodes = Vec::new();
    let mut proxies = Vec::new();
    for node in ["east", "west"] {
        let sim = Simulator::builder()
            .asterisk_id(node)
            .system_name(node)
            .start()
            .await?;
        let (user, password) = sim.credentials();
        let target = AsteriskTarget {
            base_url: sim.base_url(),
            user: user.to_owned(),
            password: password.to_owned(),
        };
        let proxy = Proxy::start(ProxyConfig::new(
            nats.url(),
            node,
            target,
            vec![APP.to_owned()],
        ))
        .await?;
        if !proxy.ready(Duration::from_secs(10)).await {
            return Err(format!("the proxy of {node} did not connect to its Asterisk").into());
        }
        println!(
            "node {node}: simulated Asterisk at {}, proxy {}",
            sim.base_url(),
            proxy.proxy_id()
        );
        nodes.push(sim);
        proxies.push(proxy);
    }

    let tally = Tally::default();
    let mut instances = Vec::new();
    for name in ["app-1", "app-2"] {
        let cluster = Cluster::builder(nats.url(), [APP])
            .instance_name(name)
            .connect()
            .await?;
        tokio::spawn(run_application(
            cluster.client().clone(),
            name.to_owned(),
            tally.clone(),
        ));
        instances.push(cluster);
    }
    // Both instances and both proxies are up; see them as the cluster does.
    for node in instances[0].nodes(Duration::from_millis(300)).await? {
        println!(
            "discovered node {} (proxy {}, active {}, WebSocket up {})",
            node.node, node.proxy, node.active, node.websocket_up
        );
    }

    for n in 0..CALLS {
        let sim = &nodes[n % nodes.len()];
        sim.control()
            .call("7000")
            .map_err(|e| format!("placing a call: {e}"))?;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tally.lock().unwrap().values().sum::<usize>() < CALLS {
        if tokio::time::Instant::now() > deadline {
            return Err("not every call was handled within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("\ncalls handled (instance, node -> calls):");
    for ((instance, node), calls) in tally.lock().unwrap().iter() {
        println!("  {instance:6} {node:5} {calls}");
    }
    for instance in instances {
        instance.shutdown().await;
    }
    for proxy in proxies {
        proxy.shutdown().await;
    }
    Ok(())
}

/// The application, as it would be written for one Asterisk.
async fn run_application(client: ari_sdk::Client, name: String, tally: Tally) {
    let Ok(mut calls) = client.calls([APP]).connect().await else {
        return;
    };
    while let Some(Ok(mut call)) = calls.next().await {
        let (name, tally) = (name.clone(), tally.clone());
        tokio::spawn(async move {
            let node = call.start().asterisk_id.clone().unwrap_or_default();
            let _ = call.channel().answer().await;
            let _ = call.play("sound:hello-world").await;
            let _ = call.channel().hangup().await;
            println!("{name} answered call {} on {node}", call.id());
            *tally.lock().unwrap().entry((name, node)).or_default() += 1;
        });
    }
}
