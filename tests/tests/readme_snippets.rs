//! Every Rust block of the README is code that compiles: the tour is
//! `ari-sdk/examples/readme.rs` (`readme_tour.rs`), the media sample
//! `ari-examples/examples/readme_media.rs` (checked there), and the short snippets are the
//! functions below, run on the simulator where they can run. The test at the end fails when
//! a README block is not, line for line, in one of these files.

#[path = "support/markdown.rs"]
mod markdown;

use std::path::Path;
use std::time::Duration;

use ari_sdk::{Client, Transport};

type Outcome = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// "Newer transports": REST over the event WebSocket.
#[rustfmt::skip]
#[allow(unused_mut)]
async fn rest_over_the_websocket(url: &str) -> Outcome {
    let client = Client::builder(url).basic_auth("hey", "peekaboo").transport(Transport::WebSocket).build()?;
    let mut events = client.events(["hello"]).connect().await?;    // requests ride on this connection
    let channels = client.channels().list().await?;                 // a RESTRequest, answered by its RESTResponse
    assert!(channels.is_empty());
    events.close().await;
    Ok(())
}

/// "Newer transports": an outbound WebSocket server. Its accept loop runs for ever, so it is
/// compiled, not run (`tests/tests/outbound_server.rs` runs the server).
#[allow(dead_code, unused_variables)]
#[rustfmt::skip]
async fn outbound_server() -> Outcome {
    let mut server = ari_sdk::OutboundServer::builder()
        .basic_auth("asterisk", "secret")           // the websocket_client's credentials
        .bind("127.0.0.1:9099").await?;              // loopback unless allow_non_loopback(true)
    while let Some(connection) = server.accept().await {
        // connection.asterisk_id(), .application(), .events() and a .client() answering over it
    }
    Ok(())
}

/// "Many Asterisk servers": the cluster client (`ari-cluster/tests/cluster.rs` runs it on
/// a real nats-server).
#[allow(dead_code)]
#[rustfmt::skip]
async fn cluster_client() -> Outcome {
    let cluster = ari_cluster::Cluster::builder("nats://127.0.0.1:4222", ["hello"]).connect().await?;
    let client = cluster.client();                        // an ordinary ari_sdk::Client
    let mut calls = client.calls(["hello"]).connect().await?;   // each new call reaches one instance
    drop(calls.next().await);
    Ok(())
}

/// "The simulator".
#[rustfmt::skip]
async fn simulator() -> Outcome {
    let sim = ari_sim::Simulator::start().await?;        // ephemeral port, users hey/peekaboo and ro/ro
    let client = sim.client();
    let mut calls = client.calls(["hello"]).connect().await?;   // your application
    let channel_id = sim.control().call("7000")?;       // a phone dials 7000 -> StasisStart in `hello`
    let call = calls.next().await.ok_or("no call")??;   // ... which your application receives
    sim.control().press(call.id(), "12#")?;               // the caller presses keys
    sim.control().drop_websockets();                      // faults: drop sockets, restart, 500s, delays
    assert_eq!(call.id(), channel_id);
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_snippets_run_on_the_simulator() {
    let sim = ari_sim::Simulator::start().await.expect("a simulator");
    rest_over_the_websocket(&sim.base_url())
        .await
        .expect("REST over the WebSocket");
    tokio::time::timeout(Duration::from_secs(20), simulator())
        .await
        .expect("the simulator snippet within 20 s")
        .expect("the simulator snippet");
}

/// The files whose code the README shows.
const COMPILED: [&str; 3] = [
    "ari-sdk/examples/readme.rs",
    "ari-examples/examples/readme_media.rs",
    "tests/tests/readme_snippets.rs",
];

#[test]
fn every_readme_block_is_compiled_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let files: Vec<String> = COMPILED
        .iter()
        .map(|file| std::fs::read_to_string(root.join(file)).expect(file))
        .collect();
    let blocks = markdown::rust_blocks(&readme, |_| true);
    assert!(
        blocks.len() >= 6,
        "only {} Rust blocks in the README",
        blocks.len()
    );
    for block in blocks {
        assert!(
            files.iter().any(|code| markdown::holds(code, &block)),
            "this README block is in none of {COMPILED:?}:\n{}",
            block.join("\n")
        );
    }
}
