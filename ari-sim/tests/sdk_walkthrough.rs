//! The simulator driven by the generated SDK: the guide's walkthrough, step by step.

use std::time::Duration;

use ari_sdk::{ChannelState, Event, Item};
use ari_sim::Simulator;

async fn next_event(events: &mut ari_sdk::EventStream, wanted: &str) -> Event {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events
                .next()
                .await
                .expect("stream open")
                .expect("no error item")
            {
                Item::Event(e) if e.type_name() == wanted => return e,
                _ => {}
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {wanted} within 5 s"))
}

#[tokio::test]
async fn walkthrough_against_the_simulator() {
    let sim = Simulator::builder()
        .media_duration(Duration::from_millis(50))
        .start()
        .await
        .unwrap();
    let client = sim.client();
    let mut events = client.events(["hello", "phone"]).connect().await.unwrap();

    let near = client
        .channels()
        .originate("Local/7000@default")
        .app("phone")
        .await
        .unwrap();
    assert_eq!(near.state, ChannelState::Down);
    let Event::StasisStart(start) = next_event(&mut events, "StasisStart").await else {
        unreachable!()
    };
    assert_eq!(start.application, "hello");
    assert_eq!(start.args, vec!["world".to_owned()]);
    let ch = client.channel(&start.channel.id);
    ch.answer().await.unwrap();
    assert_eq!(ch.get().await.unwrap().state, ChannelState::Up);
    let sent = ch
        .play(["sound:hello-world"])
        .lang("en")
        .send_full()
        .await
        .unwrap();
    assert_eq!(sent.status, 201);
    assert_eq!(
        sent.location.as_deref(),
        Some(format!("/ari/playbacks/{}", sent.value.id).as_str())
    );
    let pb = ch.play(["sound:hello-world"]).await.unwrap();
    let finished = pb
        .finished(std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(finished.state, ari_sdk::PlaybackState::Done);
    ch.hangup().await.unwrap();
    let err = ch.get().await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.asterisk_message(), Some("Channel not found"));
}

#[tokio::test]
async fn errors_look_like_asterisk() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let e = client.raw().get("no/such/path").await.unwrap_err();
    assert_eq!(
        (e.status(), e.asterisk_message()),
        (Some(404), Some("Resource not found"))
    );
    let e = client.raw().put("channels").await.unwrap_err();
    assert_eq!(
        (e.status(), e.asterisk_message()),
        (Some(405), Some("Invalid method"))
    );
    let e = client.raw().post("channels").await.unwrap_err();
    assert_eq!(e.status(), Some(400));
    let e = client
        .channels()
        .originate("Bogus/thing")
        .app("hello")
        .await
        .unwrap_err();
    assert_eq!(
        (e.status(), e.asterisk_message()),
        (Some(500), Some("Allocation failed"))
    );
    let wrong = ari_sdk::Client::builder(sim.base_url())
        .basic_auth("hey", "nope")
        .build()
        .unwrap();
    assert_eq!(
        wrong.channels().list().await.unwrap_err().status(),
        Some(401)
    );
    let ro = ari_sdk::Client::builder(sim.base_url())
        .basic_auth("ro", "ro")
        .build()
        .unwrap();
    assert_eq!(ro.channels().list().await.unwrap().len(), 0);
    assert_eq!(
        ro.bridges()
            .create()
            .r#type("holding")
            .await
            .unwrap_err()
            .status(),
        Some(403)
    );
    // Asterisk checks a direction only once it has found the channel.
    let e = client.channel("x").mute("sideways").await.unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
}
