//! End to end against a real Asterisk (`ARI_E2E_URL`, see `e2e/mod.rs`): bridges and
//! recordings. Mixing and holding bridges, adding and removing channels, music on hold,
//! playing to a bridge, recording a bridge, then the stored recording: list, get, copy,
//! download (binary) and delete. Over both transports.

mod e2e;

use std::collections::BTreeSet;
use std::time::Duration;

use ari_sdk::{BridgeType, Event, LiveRecordingState, PlaybackState, RecordIfExists, Transport};
use e2e::LIMIT;

on_both_transports!(
    mixing_bridge_add_play_moh_remove_destroy,
    holding_bridge_with_music_on_hold_and_its_own_events,
    record_a_bridge_then_list_get_copy_download_delete,
    bridge_variables_set_when_creating,
);

async fn mixing_bridge_add_play_moh_remove_destroy(transport: Transport) {
    let Some(mut s) = e2e::session("mixing bridge", "mix", transport).await else {
        return;
    };
    let a = s.enter("7002", "a").await;
    let b = s.enter("7005", "b").await;
    let bridge_id = s.id("bridge");
    let created = s
        .client
        .bridges()
        .create()
        .r#type("mixing")
        .bridge_id(&bridge_id)
        .name("e2e mixing")
        .await
        .expect("create a mixing bridge");
    assert_eq!(created.id, bridge_id);
    assert_eq!(created.bridge_type, BridgeType::Mixing);
    assert_eq!(created.name, "e2e mixing");
    assert!(created.channels.is_empty());
    let bridge = s.client.bridge(&bridge_id);

    bridge
        .add_channel([a.id.clone(), b.id.clone()])
        .await
        .expect("add both");
    let mut entered = BTreeSet::new();
    while entered.len() < 2 {
        let id = s
            .event("ChannelEnteredBridge", |event| match event {
                Event::ChannelEnteredBridge(e) if e.bridge.id == bridge_id => {
                    Some(e.channel.as_ref().map(|c| c.id.clone()))
                }
                _ => None,
            })
            .await;
        entered.extend(id);
    }
    assert_eq!(entered, BTreeSet::from([a.id.clone(), b.id.clone()]));
    let now = bridge.get().await.expect("get the bridge");
    assert_eq!(
        now.channels.iter().cloned().collect::<BTreeSet<_>>(),
        entered
    );

    // Playing to the bridge: every participant hears it; finished() sees its end.
    let playback = bridge
        .play(["sound:hello-world"])
        .lang("en")
        .await
        .expect("play to the bridge");
    assert_eq!(playback.target_uri, format!("bridge:{bridge_id}"));
    let done = playback
        .finished(LIMIT)
        .await
        .expect("the bridge's playback finishes");
    assert_eq!(done.state, PlaybackState::Done);
    assert_eq!(done.media_uri, "sound:hello-world");

    bridge
        .start_moh()
        .moh_class("default")
        .await
        .expect("music on hold");
    tokio::time::sleep(Duration::from_millis(300)).await;
    bridge.stop_moh().await.expect("no more music");

    bridge
        .remove_channel([a.id.clone()])
        .await
        .expect("remove a");
    let left = s
        .event("ChannelLeftBridge", |event| match event {
            Event::ChannelLeftBridge(e) if e.bridge.id == bridge_id => Some(e.channel.id.clone()),
            _ => None,
        })
        .await;
    assert_eq!(left, a.id);
    assert_eq!(bridge.get().await.expect("get").channels, [b.id.as_str()]);
    let again = bridge
        .remove_channel([a.id.clone()])
        .await
        .expect_err("a is no longer in the bridge");
    assert_eq!(again.status(), Some(422), "{again}");
    assert_eq!(again.asterisk_message(), Some("Channel not in this bridge"));

    bridge.destroy().await.expect("destroy");
    // Asterisk answers the DELETE before the bridge is gone: a GET right after it may
    // still find it (empty) for a moment.
    let gone = e2e::until_gone(|| bridge.get()).await;
    assert!(gone.is_not_found() && gone.is_gone(), "{gone}");
    // The channels stay, out of any bridge.
    s.client.channel(&a.id).hangup().await.expect("hang up a");
    s.client.channel(&b.id).hangup().await.expect("hang up b");
    s.finish().await;
}

/// A bridge created over REST belongs to no application: its own events
/// (`BridgeDestroyed`) reach the application only once it subscribes to the bridge.
async fn holding_bridge_with_music_on_hold_and_its_own_events(transport: Transport) {
    let Some(s) = e2e::session("holding bridge", "hold", transport).await else {
        return;
    };
    let caller = s.enter("7002", "caller").await;
    let bridge_id = s.id("holding");
    let mut holding = s
        .client
        .bridges()
        .create_with_id(&bridge_id)
        .r#type("holding")
        .await
        .expect("create a holding bridge");
    assert_eq!(holding.bridge_type, BridgeType::Holding);
    let subscribed = s
        .client
        .application(&s.app)
        .subscribe([format!("bridge:{bridge_id}")])
        .await
        .expect("subscribe the application to the bridge");
    assert!(subscribed.bridge_ids.contains(&bridge_id), "{subscribed:?}");

    let bridge = s.client.bridge(&bridge_id);
    bridge
        .add_channel([caller.id.clone()])
        .role("participant")
        .await
        .expect("add as participant");
    let entered = holding
        .events()
        .wait_for(LIMIT, |event| match event {
            Event::ChannelEnteredBridge(e) => Some(e.bridge.channels.clone()),
            _ => None,
        })
        .await
        .expect("ChannelEnteredBridge on the bridge's stream");
    assert_eq!(entered, [caller.id.as_str()]);

    bridge
        .start_moh()
        .moh_class("default")
        .await
        .expect("music on hold for those waiting");
    tokio::time::sleep(Duration::from_millis(300)).await;
    bridge.stop_moh().await.expect("stop it");

    bridge.destroy().await.expect("destroy");
    let destroyed = holding
        .events()
        .wait_for(LIMIT, |event| {
            matches!(event, Event::BridgeDestroyed(_)).then_some(())
        })
        .await;
    assert!(destroyed.is_ok(), "BridgeDestroyed: {destroyed:?}");
    assert!(
        holding.events().next().await.is_none(),
        "the bridge's stream ends with BridgeDestroyed"
    );
    s.client
        .channel(&caller.id)
        .hangup()
        .await
        .expect("hang up");
    s.finish().await;
}

async fn record_a_bridge_then_list_get_copy_download_delete(transport: Transport) {
    let Some(s) = e2e::session("bridge recording", "rec", transport).await else {
        return;
    };
    let talker = s.enter("7005", "talker").await;
    let bridge_id = s.bridge("mixing").await;
    let bridge = s.client.bridge(&bridge_id);
    let mut talker_events = s.client.channel(&talker.id).events();
    bridge
        .add_channel([talker.id.clone()])
        .await
        .expect("add the talker");
    talker_events
        .wait_for(LIMIT, |event| {
            matches!(event, Event::ChannelEnteredBridge(_)).then_some(())
        })
        .await
        .expect("in the bridge");

    let name = s.id("rec");
    let recording = bridge
        .record(&name, "wav")
        .max_duration_seconds(10)
        .if_exists(RecordIfExists::Fail)
        .await
        .expect("record the bridge");
    assert_eq!(recording.name, name);
    assert_eq!(recording.target_uri, format!("bridge:{bridge_id}"));
    assert_eq!(recording.format, "wav");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let live = s
        .client
        .live_recording(&name)
        .get_live()
        .await
        .expect("the live recording");
    assert_eq!(live.state, LiveRecordingState::Recording);
    s.client
        .live_recording(&name)
        .stop()
        .await
        .expect("stop recording");
    let finished = recording.finished(LIMIT).await.expect("RecordingFinished");
    assert_eq!(finished.state, LiveRecordingState::Done);

    // The stored recording.
    let recordings = s.client.recordings();
    let stored = recordings.list_stored().await.expect("list");
    assert!(
        stored.iter().any(|r| r.name == name),
        "{name} in {stored:?}"
    );
    let one = s
        .client
        .stored_recording(&name)
        .get_stored()
        .await
        .expect("get");
    assert_eq!(
        (one.name.as_str(), one.format.as_str()),
        (name.as_str(), "wav")
    );
    let copy_name = s.id("copy");
    let copy = s
        .client
        .stored_recording(&name)
        .copy_stored(&copy_name)
        .await
        .expect("copy");
    assert_eq!(copy.name, copy_name);
    // Over the WebSocket transport Asterisk refuses to send a file (406 "Not Acceptable.
    // Use HTTP GET"), which the SDK does not handle yet: see
    // `the_websocket_transport_downloads_a_stored_recording` below. Download over HTTP.
    let http = s.asterisk.client(Transport::Http);
    let file = http
        .stored_recording(&name)
        .get_stored_file()
        .await
        .expect("download");
    assert_eq!(&file[..4], b"RIFF", "a WAV file");
    assert_eq!(&file[8..12], b"WAVE");
    // 8 kHz, 16-bit mono: over a second of sound is more than 16,000 bytes.
    assert!(file.len() > 16_000, "{} bytes", file.len());
    assert!(
        file[44..].iter().any(|&byte| byte != 0),
        "the talker's audio, not silence"
    );
    let copied = http
        .stored_recording(&copy_name)
        .get_stored_file()
        .await
        .expect("download the copy");
    assert_eq!(copied, file, "the copy has the same bytes");

    for recording in [&name, &copy_name] {
        s.client
            .stored_recording(recording)
            .delete_stored()
            .await
            .expect("delete");
        let gone = s
            .client
            .stored_recording(recording)
            .get_stored()
            .await
            .expect_err("deleted");
        assert!(gone.is_not_found() && gone.is_gone(), "{gone}");
    }
    let after = recordings.list_stored().await.expect("list");
    assert!(!after.iter().any(|r| r.name == name || r.name == copy_name));

    bridge.destroy().await.expect("destroy");
    s.client
        .channel(&talker.id)
        .hangup()
        .await
        .expect("hang up");
    s.finish().await;
}

/// Over `Transport::WebSocket` every real Asterisk answers `recordings.getStoredFile` with
/// 406 "Not Acceptable.  Use HTTP GET" (res/ari/ari_websocket_requests.c refuses any answer
/// that is a file): the SDK sends operations answering a file over HTTP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_transport_downloads_a_stored_recording() {
    let Some(s) = e2e::session(
        "download over the WebSocket transport",
        "wsfile",
        Transport::WebSocket,
    )
    .await
    else {
        return;
    };
    let caller = s.enter("7005", "talker").await;
    let name = s.id("rec");
    let recording = s
        .client
        .channel(&caller.id)
        .record(&name, "wav")
        .max_duration_seconds(1)
        .await
        .expect("record a second");
    recording.finished(LIMIT).await.expect("recorded");
    let file = s.client.stored_recording(&name).get_stored_file().await;
    s.client
        .channel(&caller.id)
        .hangup()
        .await
        .expect("hang up");
    s.finish().await;
    let file = file.expect("the file over the WebSocket transport");
    assert_eq!(&file[..4], b"RIFF");
}

/// Variables given when a bridge is created reach it, whichever create: `POST /bridges`
/// reads them from the top level of the body, `POST /bridges/{id}` from a `variables`
/// member (ari_codegen::fixups::BODY_SHAPES); sent the other way, `POST /bridges` answers
/// 400 after making the bridge.
async fn bridge_variables_set_when_creating(transport: Transport) {
    let Some(s) = e2e::session("bridge variables", "bvars", transport).await else {
        return;
    };
    let created = s.id("created");
    s.client
        .bridges()
        .create()
        .bridge_id(&created)
        .variables([("E2E_CREATED", "one")])
        .await
        .expect("POST /bridges with variables");
    let with_id = s.id("withid");
    s.client
        .bridges()
        .create_with_id(&with_id)
        .variables([("E2E_WITH_ID", "two")])
        .await
        .expect("POST /bridges/{id} with variables");
    for (id, name, value) in [
        (&created, "E2E_CREATED", "one"),
        (&with_id, "E2E_WITH_ID", "two"),
    ] {
        let var = s
            .client
            .bridge(id)
            .get_bridge_var(name)
            .await
            .expect("getBridgeVar");
        assert_eq!(var.value, value, "{name} on {id}");
        s.client.bridge(id).destroy().await.expect("destroy");
    }
    s.finish().await;
}
