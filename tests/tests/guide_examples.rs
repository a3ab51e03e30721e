//! Every guide example that needs a server (`ari-sdk/src/guide/*.md`, a `no_run` block
//! around `async fn run(client: ari_sdk::Client)`) run as a test: on the simulator always,
//! and on the real Asterisk of `ARI_E2E_URL` too when it is set. `build.rs` writes one test
//! per example from the guide itself, so the docs cannot show code that does not work.

#[path = "support/markdown.rs"]
mod markdown;
#[path = "support/servers.rs"]
mod support;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use ari_sdk::Client;

type ExampleResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
type ExampleRun = Pin<Box<dyn Future<Output = ExampleResult> + Send>>;
type Example = fn(Client) -> ExampleRun;

/// The bound of one example's run: they are meant to finish in a few seconds.
const LIMIT: Duration = Duration::from_secs(20);

/// Runs `example` (`where_` names its block) on a fresh simulator, then on the real Asterisk
/// when there is one, failing with the example's error or when it outlives [`LIMIT`].
async fn run_example(where_: &str, example: Example) {
    let sim = ari_sim::Simulator::start().await.expect("a simulator");
    check(where_, "the simulator", example(sim.client())).await;
    if let Some(asterisk) = support::asterisk(&format!("{where_} on a real Asterisk")) {
        // The examples use `hello`: one test of this binary at a time on a shared server.
        let _hello = support::hello_lock().await;
        let client = asterisk.client_builder().build().expect("a client");
        check(where_, "the real Asterisk", example(client)).await;
    }
}

async fn check(where_: &str, server: &str, run: impl Future<Output = ExampleResult>) {
    match tokio::time::timeout(LIMIT, run).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => panic!("the guide's example at {where_} failed on {server}: {error}"),
        Err(_) => panic!("the guide's example at {where_} ran over {LIMIT:?} on {server}"),
    }
}

include!(concat!(env!("OUT_DIR"), "/guide_examples.rs"));

/// The generated tests are there at all (a guide without server examples, or a fence the
/// extraction no longer recognises, would make this file test nothing).
#[test]
fn the_guide_has_server_examples() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/guide_examples.rs"));
    let count = generated.matches("#[tokio::test").count();
    assert!(
        count >= 8,
        "only {count} server examples were found in ari-sdk/src/guide/*.md"
    );
}

/// The guide's `ignore` blocks use crates ari-sdk's doc tests cannot (the simulator,
/// tracing-subscriber): each is the body of a test in `tests/tests/guide_<chapter>.rs`,
/// line for line, so that it is compiled and run there.
#[test]
fn every_ignored_guide_block_is_a_test() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let guide = root.join("ari-sdk/src/guide");
    let mut checked = 0;
    for entry in std::fs::read_dir(&guide).expect("the guide") {
        let path = entry.expect("a guide entry").path();
        if path.extension().is_none_or(|ext| ext != "md") {
            continue;
        }
        let chapter = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("a chapter");
        let blocks = markdown::rust_blocks(&text, |info| info.contains("ignore"));
        if blocks.is_empty() {
            continue;
        }
        let tests = root.join(format!("tests/tests/guide_{chapter}.rs"));
        let code = std::fs::read_to_string(&tests)
            .unwrap_or_else(|_| panic!("{chapter}.md has ignored blocks but no {tests:?}"));
        for block in blocks {
            assert!(
                markdown::holds(&code, &block),
                "this block of {chapter}.md is not in {tests:?}:\n{}",
                block.join("\n")
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no ignored guide block was found");
}
