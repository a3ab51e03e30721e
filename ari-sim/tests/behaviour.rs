//! The simulator's behaviour, driven through the generated SDK: bridges, playbacks,
//! recordings, DTMF, variables, the far end, injected faults, the served api-docs, the
//! `/sim` control endpoints, and an answer from every operation of the spec.

#[path = "behaviour/support.rs"]
mod support;

use std::time::Duration;

use ari_sdk::{
    BridgeType, ControlOperation, Event, Item, LiveRecordingState, PlaybackState, RecordIfExists,
};
use ari_sim::Simulator;
use support::{Rig, media_of};

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

// ---------------------------------------------------------------- bridges

#[tokio::test]
async fn a_mixing_bridge_takes_two_channels_at_once_and_reports_each_change() {
    let mut rig = Rig::start().await;
    let (a, b) = (rig.call().await, rig.call().await);
    let bridge = rig
        .client
        .bridges()
        .create()
        .r#type("mixing")
        .name("conf")
        .await
        .unwrap();
    assert_eq!(
        (bridge.bridge_type.clone(), bridge.technology.as_str()),
        (BridgeType::Mixing, "simple_bridge")
    );
    let handle = rig.client.bridge(&bridge.id);

    handle.add_channel([&a.two, &b.two]).await.unwrap();
    rig.expect_about("hello", "ChannelEnteredBridge", &a.two)
        .await;
    rig.expect_about("hello", "ChannelEnteredBridge", &b.two)
        .await;
    let channels = handle.get().await.unwrap().channels;
    assert_eq!(sorted(channels), sorted(vec![a.two.clone(), b.two.clone()]));
    // In a mixing bridge each party's BRIDGEPEER names the other.
    let b_name = rig.client.channel(&b.two).get().await.unwrap().name;
    let peer = rig.client.channel(&a.two).get_channel_var("BRIDGEPEER");
    assert_eq!(peer.await.unwrap().value, b_name);

    handle.remove_channel([&a.two]).await.unwrap();
    rig.expect_about("hello", "ChannelLeftBridge", &a.two).await;
    assert_eq!(handle.get().await.unwrap().channels, vec![b.two.clone()]);
    let again = handle.remove_channel([&a.two]).await.unwrap_err();
    assert_eq!(again.status(), Some(422), "{again}");

    handle.destroy().await.unwrap();
    rig.expect_about("hello", "ChannelLeftBridge", &b.two).await;
    // As recorded: once its last channel has left, hello hears nothing more of the bridge.
    let destroyed = rig.arrives("BridgeDestroyed", &bridge.id, Duration::from_millis(300));
    assert!(!destroyed.await);
    assert!(handle.get().await.unwrap_err().is_not_found());
    assert!(rig.client.bridges().list().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_holding_bridge_reports_its_destruction_to_a_subscribed_application() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    let bridge = rig
        .client
        .bridges()
        .create()
        .r#type("holding")
        .await
        .unwrap();
    assert_eq!(
        (bridge.bridge_type.clone(), bridge.technology.as_str()),
        (BridgeType::Holding, "holding_bridge")
    );
    let id = bridge.id.clone();
    // Only channels' applications hear about a bridge, while they have a channel there;
    // an explicit subscription lasts.
    let app = rig
        .client
        .application("hello")
        .subscribe([format!("bridge:{id}")])
        .await
        .unwrap();
    assert_eq!(app.bridge_ids, vec![id.clone()]);

    rig.client
        .bridge(&id)
        .add_channel([&call.two])
        .await
        .unwrap();
    rig.expect_about("hello", "ChannelEnteredBridge", &call.two)
        .await;
    // Holding bridges set no BRIDGEPEER.
    let peer = rig.client.channel(&call.two).get_channel_var("BRIDGEPEER");
    assert!(peer.await.unwrap_err().is_not_found());

    rig.client.bridge(&id).destroy().await.unwrap();
    rig.expect_about("hello", "ChannelLeftBridge", &call.two)
        .await;
    rig.expect_about("hello", "BridgeDestroyed", &id).await;
}

#[tokio::test]
async fn adding_unknown_or_idle_channels_fails_like_asterisk() {
    let mut rig = Rig::start().await;
    let bridge = rig.client.bridges().create().await.unwrap();
    let handle = rig.client.bridge(&bridge.id);
    let unknown = handle.add_channel(["nope"]).await.unwrap_err();
    assert_eq!(
        (unknown.status(), unknown.asterisk_message()),
        (Some(400), Some("Channel not found"))
    );
    // A phone call still in the dialplan (7002 waits) is not in an application.
    let waiting = rig.sim.control().call("7002").unwrap();
    let idle = handle.add_channel([&waiting]).await.unwrap_err();
    assert_eq!(idle.status(), Some(422), "{idle}");
    let gone = rig
        .client
        .bridge("nope")
        .add_channel(["x"])
        .await
        .unwrap_err();
    assert!(gone.is_not_found());
    let call = rig.call().await;
    handle.add_channel([&call.two]).await.unwrap();
    rig.expect_about("hello", "ChannelEnteredBridge", &call.two)
        .await;
}

// ---------------------------------------------------------------- playbacks

#[tokio::test]
async fn a_playback_pauses_unpauses_and_stops() {
    // Long sounds, so the playback is still going while it is controlled.
    let mut rig = Rig::with(Simulator::builder().media_duration(Duration::from_secs(10))).await;
    let call = rig.call().await;
    let pb = rig
        .client
        .channel(&call.two)
        .play(["sound:hello-world"])
        .await
        .unwrap();
    assert_eq!(pb.state, PlaybackState::Queued);
    let id = pb.id.clone();
    rig.expect_about("hello", "PlaybackStarted", &id).await;
    let handle = rig.client.playback(&id);

    handle.control(ControlOperation::Pause).await.unwrap();
    // A paused playback reports `paused`, a value the spec does not list.
    let paused = PlaybackState::Other("paused".to_owned());
    assert_eq!(handle.get().await.unwrap().state, paused);
    let refused = handle.control(ControlOperation::Restart).await.unwrap_err();
    assert_eq!(
        (refused.status(), refused.asterisk_message()),
        (Some(409), Some("Can only restart while media is playing"))
    );

    handle.control(ControlOperation::Unpause).await.unwrap();
    // Asterisk reports the playback as started again.
    rig.expect_about("hello", "PlaybackStarted", &id).await;
    assert_eq!(handle.get().await.unwrap().state, PlaybackState::Playing);

    handle.stop().await.unwrap();
    let Event::PlaybackFinished(finished) =
        rig.expect_about("hello", "PlaybackFinished", &id).await
    else {
        unreachable!()
    };
    assert_eq!(finished.playback.state, PlaybackState::Done);
    assert!(handle.get().await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn two_media_continue_from_one_to_the_next() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    let pb = rig
        .client
        .channel(&call.two)
        .play(["sound:hello-world", "sound:beep"])
        .await
        .unwrap();
    assert_eq!(pb.next_media_uri.as_deref(), Some("sound:beep"));
    let id = pb.id.clone();
    let mut seen = Vec::new();
    loop {
        let event = rig
            .expect("playback events", |e| {
                e.application() == "hello" && media_of(e).is_some_and(|(m, _)| m == id)
            })
            .await;
        let playback = match &event {
            Event::PlaybackStarted(e) => &e.playback,
            Event::PlaybackContinuing(e) => &e.playback,
            Event::PlaybackFinished(e) => &e.playback,
            _ => unreachable!(),
        };
        seen.push(format!(
            "{} {} {} next={:?}",
            event.type_name(),
            playback.media_uri,
            playback.state,
            playback.next_media_uri
        ));
        if event.type_name() == "PlaybackFinished" {
            break;
        }
    }
    assert_eq!(
        seen,
        [
            "PlaybackStarted sound:hello-world playing next=Some(\"sound:beep\")",
            "PlaybackContinuing sound:hello-world continuing next=Some(\"sound:beep\")",
            "PlaybackStarted sound:beep playing next=None",
            "PlaybackFinished sound:beep done next=None",
        ]
    );
}

#[tokio::test]
async fn the_sdk_waits_for_a_bridge_playback_to_finish() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    let bridge = rig.client.bridges().create().await.unwrap();
    let handle = rig.client.bridge(&bridge.id);
    // Applications hear of a bridge through their channels in it.
    handle.add_channel([&call.two]).await.unwrap();
    let pb = handle.play(["sound:hello-world"]).await.unwrap();
    let done = pb.finished(Duration::from_secs(5)).await.unwrap();
    assert_eq!(done.state, PlaybackState::Done);
    assert_eq!(done.target_uri, format!("bridge:{}", bridge.id));
}

#[tokio::test]
async fn a_created_channel_must_be_dialled_and_answered_before_playing() {
    let mut rig = Rig::start().await;
    let created = rig
        .client
        .channels()
        .create("PJSIP/200", "hello")
        .await
        .unwrap();
    let id = created.id.clone();
    rig.expect_about("hello", "StasisStart", &id).await;
    let early = rig
        .client
        .channel(&id)
        .play(["sound:beep"])
        .await
        .unwrap_err();
    assert_eq!(
        (early.status(), early.asterisk_message()),
        (Some(412), Some("Channel in invalid state"))
    );
    rig.client.channel(&id).dial().await.unwrap();
    rig.expect("the callee answers", |e| {
        matches!(e, Event::ChannelStateChange(c)
            if c.channel.id == id && c.channel.state == ari_sdk::ChannelState::Up)
    })
    .await;
    assert!(rig.client.channel(&id).play(["sound:beep"]).await.is_ok());
    let twice = rig.client.channel(&id).dial().await.unwrap_err();
    assert_eq!(twice.status(), Some(409));
}

// ---------------------------------------------------------------- recordings

#[tokio::test]
async fn a_bridge_recording_is_stored_copied_downloaded_and_deleted() {
    let mut rig = Rig::start().await;
    let (a, b) = (rig.call().await, rig.call().await);
    let bridge = rig
        .client
        .bridges()
        .create()
        .r#type("mixing")
        .await
        .unwrap();
    let handle = rig.client.bridge(&bridge.id);
    handle.add_channel([&a.two, &b.two]).await.unwrap();
    rig.expect_about("hello", "ChannelEnteredBridge", &b.two)
        .await;

    let live = handle.record("conf-rec", "wav").await.unwrap();
    assert_eq!(live.state, LiveRecordingState::Queued);
    assert_eq!(live.target_uri, format!("bridge:{}", bridge.id));
    rig.expect_about("hello", "RecordingStarted", "conf-rec")
        .await;
    let recording = rig.client.live_recording("conf-rec");
    assert_eq!(
        recording.get_live().await.unwrap().state,
        LiveRecordingState::Recording
    );
    // The recorder is one more party of the bridge.
    let peers = rig.client.channel(&a.two).get_channel_var("BRIDGEPEER");
    assert!(peers.await.unwrap().value.starts_with("Recorder/ARI-"));
    let busy = handle.record("conf-rec", "wav").await.unwrap_err();
    assert_eq!(busy.status(), Some(409), "{busy}");

    recording.stop().await.unwrap();
    let Event::RecordingFinished(finished) = rig
        .expect_about("hello", "RecordingFinished", "conf-rec")
        .await
    else {
        unreachable!()
    };
    assert_eq!(finished.recording.state, LiveRecordingState::Done);
    assert!(recording.get_live().await.unwrap_err().is_not_found());

    let stored: Vec<String> = rig
        .client
        .recordings()
        .list_stored()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(stored, ["conf-rec"]);
    let original = rig.client.stored_recording("conf-rec");
    assert_eq!(original.get_stored().await.unwrap().format, "wav");
    let copy = original.copy_stored("conf-rec-copy").await.unwrap();
    assert_eq!(copy.name, "conf-rec-copy");
    let twice = original.copy_stored("conf-rec-copy").await.unwrap_err();
    assert_eq!(twice.status(), Some(409));

    let wav = original.get_stored_file().await.unwrap();
    assert_eq!((&wav[..4], &wav[8..12]), (&b"RIFF"[..], &b"WAVE"[..]));

    for name in ["conf-rec-copy", "conf-rec"] {
        rig.client
            .stored_recording(name)
            .delete_stored()
            .await
            .unwrap();
        let gone = rig.client.stored_recording(name).get_stored().await;
        assert!(gone.unwrap_err().is_not_found());
    }
}

#[tokio::test]
async fn recording_rules_cancel_if_exists_and_format() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    let channel = rig.client.channel(&call.two);

    channel.record("gone", "wav").await.unwrap();
    rig.expect_about("hello", "RecordingStarted", "gone").await;
    rig.client.live_recording("gone").cancel().await.unwrap();
    let Event::RecordingFinished(canceled) =
        rig.expect_about("hello", "RecordingFinished", "gone").await
    else {
        unreachable!()
    };
    assert_eq!(canceled.recording.state, LiveRecordingState::Canceled);
    let not_stored = rig.client.stored_recording("gone").get_stored().await;
    assert!(not_stored.unwrap_err().is_not_found());

    channel.record("kept", "wav").await.unwrap();
    rig.expect_about("hello", "RecordingStarted", "kept").await;
    rig.client.live_recording("kept").stop().await.unwrap();
    rig.expect_about("hello", "RecordingFinished", "kept").await;
    let refused = channel
        .record("kept", "wav")
        .if_exists(RecordIfExists::Fail)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(409), "{refused}");
    let overwritten = channel
        .record("kept", "wav")
        .if_exists(RecordIfExists::Overwrite)
        .await;
    assert!(overwritten.is_ok(), "{overwritten:?}");

    let format = channel.record("odd", "nonsense").await.unwrap_err();
    assert_eq!(format.status(), Some(422), "{format}");
}

/// `terminateOn`, as `res_stasis_recording` hands it to `ast_play_and_record_full`: the
/// recorded channel receiving a listed digit ends the recording `done` and kept, after
/// the digit's own event; other digits, and every digit under `none`, leave it going.
#[tokio::test]
async fn a_recording_ends_on_its_terminating_digit() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    let channel = rig.client.channel(&call.two);

    channel
        .record("on-hash", "wav")
        .terminate_on("#")
        .await
        .unwrap();
    rig.expect_about("hello", "RecordingStarted", "on-hash")
        .await;
    rig.sim.control().press(&call.two, "1*").unwrap();
    assert_eq!(digits(&mut rig, &call.two, 2).await, "1*");
    let live = rig.client.live_recording("on-hash").get_live().await;
    assert_eq!(live.unwrap().state, LiveRecordingState::Recording);
    rig.sim.control().press(&call.two, "#").unwrap();
    assert_eq!(digits(&mut rig, &call.two, 1).await, "#");
    let Event::RecordingFinished(finished) = rig
        .expect_about("hello", "RecordingFinished", "on-hash")
        .await
    else {
        unreachable!()
    };
    assert_eq!(finished.recording.state, LiveRecordingState::Done);
    let stored = rig.client.stored_recording("on-hash").get_stored().await;
    assert!(stored.is_ok(), "{stored:?}");

    // `any` (Asterisk's list is lowercase: a received `A` does not match), while paused too.
    channel
        .record("on-any", "wav")
        .terminate_on("any")
        .await
        .unwrap();
    rig.expect_about("hello", "RecordingStarted", "on-any")
        .await;
    rig.client.live_recording("on-any").pause().await.unwrap();
    rig.sim.control().press(&call.two, "A").unwrap();
    assert_eq!(digits(&mut rig, &call.two, 1).await, "A");
    assert!(rig.client.live_recording("on-any").get_live().await.is_ok());
    rig.sim.control().press(&call.two, "5").unwrap();
    assert_eq!(digits(&mut rig, &call.two, 1).await, "5");
    rig.expect_about("hello", "RecordingFinished", "on-any")
        .await;

    // `none` (the default): no digit ends it.
    channel.record("on-none", "wav").await.unwrap();
    rig.expect_about("hello", "RecordingStarted", "on-none")
        .await;
    rig.sim.control().press(&call.two, "#*1").unwrap();
    assert_eq!(digits(&mut rig, &call.two, 3).await, "#*1");
    let live = rig.client.live_recording("on-none").get_live().await;
    assert_eq!(live.unwrap().state, LiveRecordingState::Recording);

    let invalid = channel
        .record("bad", "wav")
        .terminate_on("5")
        .await
        .unwrap_err();
    assert_eq!(invalid.status(), Some(400), "{invalid}");
}

// ---------------------------------------------------------------- DTMF, variables

async fn digits(rig: &mut Rig, channel: &str, count: usize) -> String {
    let mut out = String::new();
    for _ in 0..count {
        match rig
            .expect_about("hello", "ChannelDtmfReceived", channel)
            .await
        {
            Event::ChannelDtmfReceived(e) => out.push_str(&e.digit),
            _ => unreachable!(),
        }
    }
    out
}

#[tokio::test]
async fn dtmf_sent_on_one_half_is_received_on_the_other() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    rig.client
        .channel(&call.one)
        .send_dtmf("12#")
        .between(20)
        .await
        .unwrap();
    assert_eq!(digits(&mut rig, &call.two, 3).await, "12#");
    let missing = rig
        .client
        .channel(&call.one)
        .send_dtmf("")
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(400), "{missing}");
}

#[tokio::test]
async fn a_phone_presses_keys() {
    let mut rig = Rig::start().await;
    let id = rig.sim.control().call("7000").unwrap();
    rig.expect_about("hello", "StasisStart", &id).await;
    rig.sim.control().press(&id, "12#").unwrap();
    assert_eq!(digits(&mut rig, &id, 3).await, "12#");
    assert!(rig.sim.control().press("nope", "1").is_err());
}

#[tokio::test]
async fn channel_and_global_variables() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    let channel = rig.client.channel(&call.two);
    channel
        .set_channel_var("CUSTOMER")
        .value("42")
        .await
        .unwrap();
    let Event::ChannelVarset(set) = rig
        .expect("ChannelVarset CUSTOMER", |e| {
            matches!(e, Event::ChannelVarset(v) if v.variable == "CUSTOMER" && v.application == "hello")
        })
        .await
    else {
        unreachable!()
    };
    assert_eq!(set.value, "42");
    assert_eq!(
        channel.get_channel_var("CUSTOMER").await.unwrap().value,
        "42"
    );
    let unset = channel.get_channel_var("NOPE_NOT_SET").await.unwrap_err();
    assert_eq!(
        (unset.status(), unset.asterisk_message()),
        (Some(404), Some("Provided variable was not found"))
    );

    let asterisk = rig.client.asterisk();
    asterisk
        .set_global_var("GLOBAL_X")
        .value("y")
        .await
        .unwrap();
    assert_eq!(
        asterisk.get_global_var("GLOBAL_X").await.unwrap().value,
        "y"
    );
    // Asterisk answers an unset global with an empty value (404 is for channels only).
    assert_eq!(asterisk.get_global_var("UNSET_G").await.unwrap().value, "");
}

// ---------------------------------------------------------------- the far end

#[tokio::test]
async fn a_phone_calls_7000_and_hangs_up() {
    let mut rig = Rig::start().await;
    let id = rig.sim.control().call("7000").unwrap();
    let Event::StasisStart(start) = rig.expect_about("hello", "StasisStart", &id).await else {
        unreachable!()
    };
    assert_eq!(start.args, vec!["world".to_owned()]);
    assert!(start.channel.name.starts_with("PJSIP/100-"));
    assert_eq!(rig.sim.control().channel_ids(), vec![id.clone()]);

    rig.sim.control().hangup(&id).unwrap();
    let Event::ChannelHangupRequest(request) =
        rig.expect_about("hello", "ChannelHangupRequest", &id).await
    else {
        unreachable!()
    };
    assert_eq!((request.cause, request.soft), (Some(16), None));
    rig.expect_about("hello", "StasisEnd", &id).await;
    assert!(
        rig.client
            .channel(&id)
            .get()
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(rig.sim.control().call("9999").is_err());
}

#[tokio::test]
async fn hanging_up_through_ari_ends_both_halves() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    rig.client.channel(&call.two).hangup().await.unwrap();
    let Event::ChannelHangupRequest(request) = rig
        .expect_about("hello", "ChannelHangupRequest", &call.two)
        .await
    else {
        unreachable!()
    };
    // ARI's hang-up is a soft request, reported with its flag (32) as the cause.
    assert_eq!((request.cause, request.soft), (Some(32), Some(true)));
    rig.expect_about("hello", "StasisEnd", &call.two).await;
    rig.expect_about("phone", "StasisEnd", &call.one).await;
    let Event::ChannelDestroyed(gone) = rig
        .expect_about("phone", "ChannelDestroyed", &call.one)
        .await
    else {
        unreachable!()
    };
    assert_eq!(
        (gone.cause, gone.cause_txt.as_str()),
        (16, "Normal Clearing")
    );
    assert!(rig.client.channels().list().await.unwrap().is_empty());
}

/// An originate to 7002 (`Answer, Wait`) into `phone`: the `;1` half (`x`) and the
/// `;2` half (`x;2`), which ARI subscribes `phone` to as well.
async fn call_7002(rig: &mut Rig, id: &str) -> String {
    rig.client
        .channels()
        .originate("Local/7002@default")
        .app("phone")
        .channel_id(id)
        .await
        .expect("originate");
    rig.expect_about("phone", "StasisStart", id).await;
    format!("{id};2")
}

#[tokio::test]
async fn answer_in_the_dialplan_waits_for_media_and_a_hung_up_dialplan_ends_softly() {
    // What the differential test saw a real Asterisk 22 do.
    let mut rig = Rig::start().await;
    let near = call_7002(&mut rig, "x").await;
    let answered = std::time::Instant::now();
    let wait = rig
        .expect(
            "Wait(3600)",
            |e| matches!(e, Event::ChannelDialplan(d) if d.dialplan_app == "Wait"),
        )
        .await;
    // `Answer()` on a ringing channel waits up to 500 ms for media, and there is none.
    assert!(answered.elapsed() >= Duration::from_millis(400), "{wait:?}");
    rig.client.channel("x").hangup().await.unwrap();
    let mut requests = Vec::new();
    for _ in 0..2 {
        let Event::ChannelHangupRequest(r) = rig
            .expect_about("phone", "ChannelHangupRequest", &near)
            .await
        else {
            unreachable!()
        };
        requests.push((r.cause, r.soft));
    }
    // The far half's hang-up reaches it with its cause; then its PBX ends, hanging up
    // softly with AST_SOFTHANGUP_APPUNLOAD (16).
    assert_eq!(requests, vec![(Some(16), None), (Some(16), Some(true))]);
    rig.expect_about("phone", "ChannelDestroyed", &near).await;
}

#[tokio::test]
async fn a_key_pressed_during_answers_wait_ends_it() {
    let mut rig = Rig::start().await;
    let near = call_7002(&mut rig, "x").await;
    let sent = std::time::Instant::now();
    rig.client.channel("x").send_dtmf("1").await.unwrap();
    // DTMF counts as media: the dialplan goes on as the key goes down, before it is
    // received (as it is released).
    rig.expect(
        "Wait(3600)",
        |e| matches!(e, Event::ChannelDialplan(d) if d.dialplan_app == "Wait"),
    )
    .await;
    assert!(sent.elapsed() < Duration::from_millis(400));
    assert!(
        !rig.arrives("ChannelDtmfReceived", &near, Duration::from_millis(1))
            .await
    );
    rig.expect_about("phone", "ChannelDtmfReceived", &near)
        .await;
}

#[tokio::test]
async fn subscriptions_to_a_channel_are_counted() {
    let mut rig = Rig::start().await;
    let near = call_7002(&mut rig, "x").await;
    let phone = rig.client.application("phone");
    let source = format!("channel:{near}");
    // The originate subscribed `phone` to both halves; one more, then two taken back.
    phone.subscribe([source.as_str()]).await.unwrap();
    phone.unsubscribe([source.as_str()]).await.unwrap();
    phone.unsubscribe([source.as_str()]).await.unwrap();
    let none = phone.unsubscribe([source.as_str()]).await.unwrap_err();
    assert_eq!(
        (none.status(), none.asterisk_message()),
        (Some(422), Some("Event source was not subscribed to"))
    );
    phone.subscribe([source.as_str()]).await.unwrap();
    phone.unsubscribe([source.as_str()]).await.unwrap();
    // Once none is left, the far half's end goes unheard.
    rig.client.channel("x").hangup().await.unwrap();
    rig.expect_about("phone", "ChannelDestroyed", "x").await;
    assert!(
        !rig.arrives("ChannelDestroyed", &near, Duration::from_millis(300))
            .await
    );
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn dropped_websockets_disconnect_then_reconnect_the_stream() {
    let mut rig = Rig::start().await;
    rig.sim.control().drop_websockets();
    let mut saw_disconnect = false;
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match rig.events.next().await {
                Some(Ok(Item::Disconnected { .. })) => saw_disconnect = true,
                Some(Ok(Item::Reconnected { .. })) => return saw_disconnect,
                Some(_) => {}
                None => return false,
            }
        }
    })
    .await;
    assert_eq!(outcome, Ok(true), "Disconnected, then Reconnected");
    // The applications are registered again: a call still reaches hello.
    let id = rig.sim.control().call("7000").unwrap();
    rig.expect_about("hello", "StasisStart", &id).await;
}

#[tokio::test]
async fn injected_failures_and_delays() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    sim.control().fail_next(500, 1);
    let failed = client.asterisk().ping().await.unwrap_err();
    assert_eq!(failed.status(), Some(500), "{failed}");
    assert!(client.asterisk().ping().await.is_ok());

    let impatient = sim
        .client_builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    sim.control().delay_responses(Duration::from_millis(400));
    let slow = impatient.asterisk().ping().await.unwrap_err();
    assert!(matches!(slow, ari_sdk::Error::Timeout { .. }), "{slow:?}");
    sim.control().delay_responses(Duration::ZERO);
    assert!(impatient.asterisk().ping().await.is_ok());
}

#[tokio::test]
async fn a_second_connection_for_an_application_replaces_the_first() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let mut first = client.events(["hello"]).connect().await.unwrap();
    let other = sim.client();
    let _second = other.events(["hello"]).connect().await.unwrap();
    let replaced = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match first.next().await {
                Some(Ok(Item::Event(Event::ApplicationReplaced(e)))) => return e.application,
                Some(_) => {}
                None => panic!("the first stream ended without ApplicationReplaced"),
            }
        }
    })
    .await
    .expect("ApplicationReplaced within 5 s");
    assert_eq!(replaced, "hello");
}

// ---------------------------------------------------------------- api-docs, /sim

#[tokio::test]
async fn the_api_docs_are_served_and_import_as_the_committed_ones() {
    let sim = Simulator::start().await.unwrap();
    let listing = reqwest::get(format!("{}/api-docs/resources.json", sim.base_url()))
        .await
        .unwrap();
    assert_eq!(listing.status(), 200);
    let listing: serde_json::Value = listing.json().await.unwrap();
    assert!(listing["apis"].as_array().is_some_and(|a| !a.is_empty()));

    let base = sim.base_url();
    let (user, password) = sim.credentials();
    let credentials = (user.to_owned(), password.to_owned());
    let spec = tokio::task::spawn_blocking(move || {
        ari_codegen::import::fetch(&base, Some((&credentials.0, &credentials.1)))
    })
    .await
    .unwrap()
    .expect("the importer reads the simulator's api-docs");
    let imported = ari_codegen::import::normalize(&spec).unwrap();
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-docs/22");
    let mut files: Vec<String> = std::fs::read_dir(&committed)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    files.sort();
    assert_eq!(imported.keys().cloned().collect::<Vec<_>>(), files);
    for (name, text) in &imported {
        let on_disk = std::fs::read_to_string(committed.join(name)).unwrap();
        assert!(*text == on_disk, "{name} differs from api-docs/22/{name}");
    }
}

async fn sim_post(sim: &Simulator, action: &str) -> (u16, serde_json::Value) {
    let url = format!("http://{}/sim/{action}", sim.addr());
    let response = reqwest::Client::new().post(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn the_sim_control_endpoints_work_over_plain_http() {
    let mut rig = Rig::start().await;
    let (status, body) = sim_post(&rig.sim, "call?exten=7000").await;
    assert_eq!(status, 200, "{body}");
    let id = body["channel"].as_str().unwrap().to_owned();
    rig.expect_about("hello", "StasisStart", &id).await;

    let listed = reqwest::get(format!("http://{}/sim/channels", rig.sim.addr()))
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(listed["channels"], serde_json::json!([id]));

    assert_eq!(
        sim_post(&rig.sim, &format!("dtmf?channel={id}&digits=5"))
            .await
            .0,
        200
    );
    assert_eq!(digits(&mut rig, &id, 1).await, "5");

    assert_eq!(sim_post(&rig.sim, "fail-next?status=503").await.0, 200);
    let failed = rig.client.asterisk().ping().await.unwrap_err();
    assert_eq!(failed.status(), Some(503));
    assert_eq!(sim_post(&rig.sim, "delay?ms=0").await.0, 200);

    assert_eq!(
        sim_post(&rig.sim, &format!("hangup?channel={id}")).await.0,
        200
    );
    rig.expect_about("hello", "StasisEnd", &id).await;

    assert_eq!(sim_post(&rig.sim, "call").await.0, 400);
    assert_eq!(sim_post(&rig.sim, "call?exten=9999").await.0, 400);
    assert_eq!(sim_post(&rig.sim, "no-such-action").await.0, 404);

    assert_eq!(sim_post(&rig.sim, "drop-websockets").await.0, 200);
    let disconnected = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let Some(Ok(Item::Disconnected { .. })) = rig.events.next().await {
                return;
            }
        }
    });
    disconnected.await.expect("the stream sees the drop");
}

// ---------------------------------------------------------------- every operation

/// The simulator speaks Asterisk 22, so its line's operations are the ones to try (the
/// crate root re-exports whichever line is newest among the enabled features).
#[tokio::test]
async fn every_operation_of_the_spec_answers() {
    let sim = Simulator::start().await.unwrap();
    let client = sim
        .client_builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    // Asterisk answers a channel it cannot allocate with 500 `{"error": "Allocation
    // failed"}` (ast_ari_response_alloc_failed), which channels.create does not document.
    let asterisk_too = [("channels.create", 500)];
    let documented = |name: &str, status: u16| {
        asterisk_too.contains(&(name, status))
            || ari_sdk::asterisk_22::operations::OPERATIONS
                .iter()
                .any(|op| op.name == name && op.error_statuses.contains(&status))
    };
    let mut problems = Vec::new();
    let mut by_shape = Vec::new();
    let operations = ari_sdk::asterisk_22::operations::every_operation(&client);
    let count = operations.len();
    for (name, request) in operations {
        match tokio::time::timeout(Duration::from_secs(10), request).await {
            Err(_) => problems.push(format!("{name}: no answer")),
            Ok(Ok(())) => {}
            Ok(Err(e)) => match e.status() {
                Some(status) if status >= 500 && !documented(name, status) => {
                    problems.push(format!("{name}: undocumented {e}"));
                }
                Some(_) => {}
                None => problems.push(format!("{name}: {e}")),
            },
        }
        if !ari_sim::ops::is_stateful(name) {
            by_shape.push(name);
        }
    }
    eprintln!(
        "{count} operations answered; {} by shape only: {}",
        by_shape.len(),
        by_shape.join(", ")
    );
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(count >= 100, "only {count} operations");
}

#[tokio::test]
async fn bridge_variables() {
    let sim = Simulator::start().await.unwrap();
    let client = sim.client();
    let bridge = client.bridges().create().await.unwrap();
    let handle = client.bridge(&bridge.id);
    handle.set_bridge_var("ROOM").value("7").await.unwrap();
    assert_eq!(handle.get_bridge_var("ROOM").await.unwrap().value, "7");
    let unset = handle.get_bridge_var("NOPE").await.unwrap_err();
    assert!(unset.is_not_found(), "{unset}");
    let gone = client
        .bridge("nope")
        .get_bridge_var("ROOM")
        .await
        .unwrap_err();
    assert_eq!(gone.asterisk_message(), Some("Bridge not found"));
}
