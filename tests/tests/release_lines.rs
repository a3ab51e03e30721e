//! Every enabled release line is complete: the same scenario (an incoming call with the
//! IVR helpers, a watched playback waited on, a channel's stream with its waits, an
//! originate turned into a call, the event connection) runs through each line's own types
//! against the simulator. This crate enables every line, with 22 as the crate root.

use std::time::Duration;

use ari_sim::Simulator;

const LIMIT: Duration = Duration::from_secs(10);

macro_rules! line_is_complete {
    ($test:ident, $line:ident) => {
        #[tokio::test]
        async fn $test() {
            use ari_sdk::$line as line;

            let sim = Simulator::builder()
                .media_duration(Duration::from_millis(200))
                .start()
                .await
                .expect("simulator");
            let (user, password) = sim.credentials();
            let client = ari_sdk::Client::builder(sim.base_url())
                .basic_auth(user, password)
                .build()
                .expect("client");
            let api = client.$line();

            // Incoming calls, in this line's types.
            let mut calls: line::Calls = api.calls(["hello"]).connect().await.expect("calls");
            let id = sim.control().call("7000").expect("dial");
            let mut call: line::Call = tokio::time::timeout(LIMIT, calls.next())
                .await
                .expect("a call in time")
                .expect("stream open")
                .expect("a call");
            assert_eq!(call.id(), id);
            call.channel().answer().await.expect("answer");
            assert_eq!(
                call.play("sound:hello-world").await.expect("play"),
                line::Played::Finished
            );

            // A handle's stream decodes this line's events and has the waits.
            let mut events: line::ResourceEvents = api.channel(&id).events();
            assert_eq!(events.kind(), line::ResourceKind::Channel);
            sim.control().press(&id, "5").expect("press");
            assert_eq!(events.next_dtmf(LIMIT).await.expect("digit"), "5");

            // A watched playback has `finished`.
            let playback: line::Watched<line::models::Playback> = api
                .channel(&id)
                .play(["sound:hello-world"])
                .await
                .expect("play");
            let done = playback.finished(LIMIT).await.expect("finished");
            assert_eq!(done.state, line::models::PlaybackState::Done);

            // An originate becomes a call of this line, not handed out by the call stream.
            let created: line::Watched<line::models::Channel> = api
                .channels()
                .originate("PJSIP/alice")
                .app("hello")
                .await
                .expect("originate");
            let mut originated: line::Call = created.into_call(LIMIT).await.expect("into_call");
            originated.channel().hangup().await.expect("hang up");
            let ended: line::Event = originated
                .events()
                .wait_for_hangup(LIMIT)
                .await
                .expect("the hang-up");
            assert!(ended.is_hangup(), "{ended:?}");

            call.channel().hangup().await.expect("hang up");
            tokio::time::timeout(LIMIT, call.ended())
                .await
                .expect("the call ends");
            match tokio::time::timeout(Duration::from_millis(300), calls.next()).await {
                Err(_) => {}
                Ok(other) => panic!("the originated channel was handed out too: {other:?}"),
            }
        }
    };
}

line_is_complete!(asterisk_18_is_complete, asterisk_18);
line_is_complete!(asterisk_20_is_complete, asterisk_20);
line_is_complete!(asterisk_21_is_complete, asterisk_21);
line_is_complete!(asterisk_22_is_complete, asterisk_22);
line_is_complete!(asterisk_23_is_complete, asterisk_23);

/// The crate root is the line this crate chose (`root-22`), not the newest enabled one.
#[test]
fn the_root_is_the_chosen_line() {
    assert_eq!(ari_sdk::SPEC_LABEL, ari_sdk::asterisk_22::SPEC_LABEL);
    let _: fn(ari_sdk::Event) -> ari_sdk::asterisk_22::Event = |event| event;
}

/// The release lines are the numbered folders of `api-docs/` (build.rs reads them); cargo
/// needs each line's features spelled out, so ari-sdk's Cargo.toml must list exactly those.
#[test]
fn every_line_of_api_docs_has_its_features_and_no_other() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut lines: Vec<String> = std::fs::read_dir(root.join("api-docs"))
        .expect("api-docs")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    lines.sort();
    let manifest = std::fs::read_to_string(root.join("ari-sdk/Cargo.toml")).expect("manifest");
    let features = manifest
        .split("[features]")
        .nth(1)
        .expect("a [features] table")
        .split("\n[")
        .next()
        .unwrap_or_default();
    let mut declared: Vec<String> = features
        .lines()
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.trim().to_owned()))
        .filter(|name| name.starts_with("asterisk-") || name.starts_with("root-"))
        .collect();
    declared.sort();
    let mut expected: Vec<String> = lines
        .iter()
        .flat_map(|l| [format!("asterisk-{l}"), format!("root-{l}")])
        .collect();
    expected.sort();
    assert_eq!(
        declared, expected,
        "ari-sdk/Cargo.toml [features] vs api-docs/"
    );
    for line in &lines {
        assert!(
            features.contains(&format!("root-{line} = [\"asterisk-{line}\"]")),
            "root-{line} must enable asterisk-{line}"
        );
    }
}

/// One connection, any line: what a request of another line created is watched from the
/// events of the connection that is open (decoded again in that line's events), and a
/// second connection for the same application (which would take it over) is not needed.
#[tokio::test]
async fn a_line_watches_through_the_connection_of_another() {
    let sim = Simulator::builder()
        .media_duration(Duration::from_millis(200))
        .start()
        .await
        .expect("simulator");
    let client = sim.client_builder().build().expect("client");
    let mut calls = client.calls(["hello"]).connect().await.expect("calls");
    let id = sim.control().call("7000").expect("dial");
    let call = tokio::time::timeout(LIMIT, calls.next())
        .await
        .expect("a call in time")
        .expect("stream open")
        .expect("a call");
    assert_eq!(call.id(), id);

    let old = client.asterisk_18();
    let mut events: ari_sdk::asterisk_18::ResourceEvents = old.channel(&id).events();
    let playback = client
        .asterisk_20()
        .channel(&id)
        .play(["sound:hello-world"])
        .await
        .expect("play");
    let done = playback
        .finished(LIMIT)
        .await
        .expect("finished via line 22's connection");
    assert_eq!(
        done.state,
        ari_sdk::asterisk_20::models::PlaybackState::Done
    );
    sim.control().press(&id, "7").expect("press");
    assert_eq!(events.next_dtmf(LIMIT).await.expect("digit"), "7");
}
