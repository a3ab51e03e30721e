//! Behaviour observed on a real Asterisk 22.10.1 and kept by the simulator: how
//! playbacks end when their channel hangs up or leaves, what happens to media Asterisk
//! cannot play, how a channel's playbacks queue, and the ids of a Local pair.

#[allow(dead_code)]
#[path = "behaviour/support.rs"]
mod support;

use std::time::Duration;

use ari_sdk::handles::ChannelHandle;
use ari_sdk::{Event, Playback, PlaybackState};
use ari_sim::Simulator;
use support::{Rig, media_of};

/// One line per event, for comparing sequences: playback events with id, media, state
/// and next media; others with the channel they are about.
fn line(e: &Event) -> String {
    let playback = |p: &Playback| {
        format!(
            "{} {} {} {} next={}",
            e.type_name(),
            p.id,
            p.media_uri,
            p.state,
            p.next_media_uri.as_deref().unwrap_or("-")
        )
    };
    match e {
        Event::PlaybackStarted(p) => playback(&p.playback),
        Event::PlaybackContinuing(p) => playback(&p.playback),
        Event::PlaybackFinished(p) => playback(&p.playback),
        Event::StasisEnd(s) => format!("StasisEnd {}", s.channel.id),
        other => other.type_name().to_owned(),
    }
}

/// The next `count` events `hello` hears about these playbacks (and `StasisEnd` of
/// `channel`), in arrival order.
async fn sequence(rig: &mut Rig, count: usize, playbacks: &[&str], channel: &str) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..count {
        let event = rig
            .expect("a playback event or StasisEnd", |e| {
                e.application() == "hello"
                    && (media_of(e).is_some_and(|(id, _)| playbacks.contains(&id.as_str()))
                        || matches!(e, Event::StasisEnd(s) if s.channel.id == channel))
            })
            .await;
        out.push(line(&event));
    }
    out
}

/// Plays `media` to a channel as playback `id`; the answer.
/// Raw, because the SDK refuses media without a scheme before sending, and these tests
/// show what Asterisk does with it.
async fn play(channel: &ChannelHandle, id: &str, media: &[&str]) -> Playback {
    let path = format!("channels/{}/play/{id}", channel.id());
    let answer = channel
        .client()
        .raw()
        .post(&path)
        .query("media", media.join(","))
        .send()
        .await
        .unwrap_or_else(|e| panic!("play {media:?}: {e}"));
    serde_json::from_value(answer).expect("a playback")
}

/// Plays `media` to a channel as playback `id`, and checks what `hello` hears of it.
async fn play_and_hear(rig: &mut Rig, channel: &str, id: &str, media: &[&str], heard: &[&str]) {
    play(&rig.client.channel(channel), id, media).await;
    let got = sequence(rig, heard.len(), &[id], channel).await;
    assert_eq!(got, heard, "{media:?}");
}

async fn state_of(rig: &Rig, playback: &str) -> Result<PlaybackState, u16> {
    match rig.client.playback(playback).get().await {
        Ok(pb) => Ok(pb.state.clone()),
        Err(e) => Err(e.status().unwrap_or(0)),
    }
}

/// Sounds that play long enough to act on them mid-playback.
async fn long_sounds() -> Rig {
    Rig::with(Simulator::builder().media_duration(Duration::from_secs(10))).await
}

// ---------------------------------------------------------------- hang-up mid-playback

#[tokio::test]
async fn hanging_up_mid_playback_fails_it_and_each_queued_playback_starts_and_fails() {
    let mut rig = long_sounds().await;
    let call = rig.call().await;
    let channel = rig.client.channel(&call.two);
    play(&channel, "p0", &["sound:hello-world", "sound:beep"]).await;
    play(&channel, "p1", &["sound:beep"]).await;
    play(&channel, "p2", &["hello-world"]).await;
    play(&channel, "p3", &["sound:beep"]).await;
    play(&channel, "p4", &["sound:no-such-sound", "sound:beep"]).await;
    // Stopping a queued playback cancels it: `done` at once, finished in its turn.
    rig.client.playback("p3").stop().await.unwrap();
    assert_eq!(state_of(&rig, "p3").await, Ok(PlaybackState::Done));
    rig.client.playback("p3").stop().await.unwrap();
    rig.expect_about("hello", "PlaybackStarted", "p0").await;
    assert_eq!(state_of(&rig, "p1").await, Ok(PlaybackState::Queued));

    channel.hangup().await.unwrap();
    let ids = ["p0", "p1", "p2", "p3", "p4"];
    assert_eq!(
        sequence(&mut rig, 8, &ids, &call.two).await,
        [
            // The item playing fails; the rest of its media is not played.
            "PlaybackFinished p0 sound:hello-world failed next=sound:beep",
            // Each queued playback is reached, and fails at once.
            "PlaybackStarted p1 sound:beep playing next=-",
            "PlaybackFinished p1 sound:beep failed next=-",
            // Media Asterisk cannot play is skipped without a word, even now.
            "PlaybackStarted p2 hello-world playing next=-",
            "PlaybackFinished p3 sound:beep done next=-",
            "PlaybackStarted p4 sound:no-such-sound playing next=sound:beep",
            "PlaybackFinished p4 sound:no-such-sound failed next=sound:beep",
            format!("StasisEnd {}", call.two).as_str(),
        ]
    );
    for id in ids {
        assert_eq!(state_of(&rig, id).await, Err(404), "{id}");
    }
    assert!(
        !rig.arrives("PlaybackFinished", "p2", Duration::from_millis(200))
            .await
    );
}

#[tokio::test]
async fn a_phone_hanging_up_mid_playback_fails_it() {
    let mut rig = long_sounds().await;
    let id = rig.sim.control().call("7000").unwrap();
    rig.expect_about("hello", "StasisStart", &id).await;
    let pb = rig.client.channel(&id).play(["sound:hello-world"]).await;
    let pb = pb.unwrap().id.clone();
    rig.expect_about("hello", "PlaybackStarted", &pb).await;
    rig.sim.control().hangup(&id).unwrap();
    let Event::PlaybackFinished(finished) =
        rig.expect_about("hello", "PlaybackFinished", &pb).await
    else {
        unreachable!()
    };
    assert_eq!(finished.playback.state, PlaybackState::Failed);
    rig.expect_about("hello", "StasisEnd", &id).await;
}

// ---------------------------------------------------------------- leaving mid-playback

#[tokio::test]
async fn a_channel_leaves_its_application_only_after_its_media_has_played() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    let channel = rig.client.channel(&call.two);
    play(&channel, "c0", &["sound:beep"]).await;
    // `continue` waits behind the media on the channel's queue, and so does media
    // queued after it while the channel is still in the application.
    channel.continue_in_dialplan().await.unwrap();
    play(&channel, "c1", &["sound:beep"]).await;
    assert_eq!(
        sequence(&mut rig, 5, &["c0", "c1"], &call.two).await,
        [
            "PlaybackStarted c0 sound:beep playing next=-",
            "PlaybackFinished c0 sound:beep done next=-",
            "PlaybackStarted c1 sound:beep playing next=-",
            "PlaybackFinished c1 sound:beep done next=-",
            format!("StasisEnd {}", call.two).as_str(),
        ]
    );
    // Back in the dialplan (7000's Hangup), gone: `phone`, which originated the call,
    // still hears of it.
    rig.expect_about("phone", "ChannelDestroyed", &call.two)
        .await;

    let other = rig.call().await;
    let channel = rig.client.channel(&other.two);
    play(&channel, "m0", &["sound:beep"]).await;
    channel.r#move("phone").await.unwrap();
    assert_eq!(
        sequence(&mut rig, 3, &["m0"], &other.two).await,
        [
            "PlaybackStarted m0 sound:beep playing next=-",
            "PlaybackFinished m0 sound:beep done next=-",
            format!("StasisEnd {}", other.two).as_str(),
        ]
    );
    rig.expect_about("phone", "StasisStart", &other.two).await;
}

// ---------------------------------------------------------------- media that cannot play

#[tokio::test]
async fn a_missing_sound_fails_or_continues_to_the_next_item() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    let channel = rig.client.channel(&call.two);
    play_and_hear(
        &mut rig,
        &call.two,
        "m1",
        &["sound:no-such-sound"],
        &[
            "PlaybackStarted m1 sound:no-such-sound playing next=-",
            "PlaybackFinished m1 sound:no-such-sound failed next=-",
        ],
    )
    .await;
    assert_eq!(state_of(&rig, "m1").await, Err(404));
    play_and_hear(
        &mut rig,
        &call.two,
        "m2",
        &["sound:no-such-sound", "sound:beep"],
        &[
            "PlaybackStarted m2 sound:no-such-sound playing next=sound:beep",
            "PlaybackContinuing m2 sound:no-such-sound continuing next=sound:beep",
            "PlaybackStarted m2 sound:beep playing next=-",
            "PlaybackFinished m2 sound:beep done next=-",
        ],
    )
    .await;
    // The simulator knows the sounds a stock Asterisk has, not just a handful.
    play(&channel, "m3", &["sound:digits/7"]).await;
    let Event::PlaybackFinished(done) = rig.expect_about("hello", "PlaybackFinished", "m3").await
    else {
        unreachable!()
    };
    assert_eq!(done.playback.state, PlaybackState::Done);
}

#[tokio::test]
async fn media_without_a_scheme_starts_and_is_never_heard_of_again() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    let channel = rig.client.channel(&call.two);
    let answer = play(&channel, "s0", &["hello-world"]).await;
    assert_eq!(answer.state, PlaybackState::Queued);
    let Event::PlaybackStarted(started) = rig.expect_about("hello", "PlaybackStarted", "s0").await
    else {
        unreachable!()
    };
    assert_eq!(started.playback.state, PlaybackState::Playing);
    assert_eq!(state_of(&rig, "s0").await, Err(404));
    assert!(
        !rig.arrives("PlaybackFinished", "s0", Duration::from_millis(400))
            .await
    );

    // So are other things Asterisk cannot play; the next item plays without a
    // PlaybackContinuing, and an unplayable last item leaves the playback unfinished.
    for (n, media) in [
        "recording:never-recorded",
        "number:many",
        "http://example.com/a.wav",
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("u{n}");
        play(&channel, &id, &[media]).await;
        rig.expect_about("hello", "PlaybackStarted", &id).await;
        assert_eq!(state_of(&rig, &id).await, Err(404), "{media}");
    }
    play_and_hear(
        &mut rig,
        &call.two,
        "s1",
        &["hello-world", "sound:beep"],
        &[
            "PlaybackStarted s1 hello-world playing next=sound:beep",
            "PlaybackStarted s1 sound:beep playing next=-",
            "PlaybackFinished s1 sound:beep done next=-",
        ],
    )
    .await;
    play_and_hear(
        &mut rig,
        &call.two,
        "s2",
        &["sound:beep", "hello-world"],
        &[
            "PlaybackStarted s2 sound:beep playing next=hello-world",
            "PlaybackContinuing s2 sound:beep continuing next=hello-world",
            "PlaybackStarted s2 hello-world playing next=-",
        ],
    )
    .await;
    assert_eq!(state_of(&rig, "s2").await, Err(404));
    assert!(
        !rig.arrives("PlaybackFinished", "s2", Duration::from_millis(300))
            .await
    );
}

// ---------------------------------------------------------------- queueing

#[tokio::test]
async fn a_channel_plays_one_playback_at_a_time_in_order() {
    let mut rig = Rig::with(Simulator::builder().media_duration(Duration::from_millis(400))).await;
    let call = rig.call().await;
    let channel = rig.client.channel(&call.two);
    // Asterisk answers before the channel's own thread starts the playback: `queued`,
    // even on an idle channel (29 times in 30 on the real server, and in every recording).
    let first = play(&channel, "q0", &["sound:beep"]).await;
    assert_eq!(first.state, PlaybackState::Queued);
    rig.expect_about("hello", "PlaybackStarted", "q0").await;
    assert_eq!(state_of(&rig, "q0").await, Ok(PlaybackState::Playing));
    let second = play(&channel, "q1", &["sound:beep"]).await;
    assert_eq!(second.state, PlaybackState::Queued);
    assert_eq!(state_of(&rig, "q1").await, Ok(PlaybackState::Queued));
    // Only `restart` is allowed while queued (and does nothing).
    let refused = rig
        .client
        .playback("q1")
        .control(ari_sdk::ControlOperation::Pause)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(409), "{refused}");
    assert_eq!(
        sequence(&mut rig, 3, &["q0", "q1"], &call.two).await,
        [
            "PlaybackFinished q0 sound:beep done next=-",
            "PlaybackStarted q1 sound:beep playing next=-",
            "PlaybackFinished q1 sound:beep done next=-",
        ]
    );
    // Another channel's playback does not wait for this one's.
    let other = rig.call().await;
    play(&channel, "q2", &["sound:beep"]).await;
    play(&rig.client.channel(&other.two), "q3", &["sound:beep"]).await;
    rig.expect_about("hello", "PlaybackStarted", "q2").await;
    rig.expect_about("hello", "PlaybackStarted", "q3").await;
    assert_eq!(state_of(&rig, "q2").await, Ok(PlaybackState::Playing));
    assert_eq!(state_of(&rig, "q3").await, Ok(PlaybackState::Playing));
}

#[tokio::test]
async fn spoken_media_cannot_be_stopped_and_a_tone_plays_until_stopped() {
    let mut rig = long_sounds().await;
    let call = rig.call().await;
    let channel = rig.client.channel(&call.two);
    play(&channel, "d0", &["digits:12"]).await;
    rig.expect_about("hello", "PlaybackStarted", "d0").await;
    let refused = rig.client.playback("d0").stop().await.unwrap_err();
    assert_eq!(
        (refused.status(), refused.asterisk_message()),
        (Some(500), Some("Could not stop playback"))
    );
    rig.client.channel(&call.two).hangup().await.unwrap();

    let mut rig = Rig::start().await;
    let call = rig.call().await;
    let channel = rig.client.channel(&call.two);
    play(&channel, "t0", &["tone:ring"]).await;
    rig.expect_about("hello", "PlaybackStarted", "t0").await;
    assert!(
        !rig.arrives("PlaybackFinished", "t0", Duration::from_millis(400))
            .await
    );
    rig.client.playback("t0").stop().await.unwrap();
    let Event::PlaybackFinished(done) = rig.expect_about("hello", "PlaybackFinished", "t0").await
    else {
        unreachable!()
    };
    assert_eq!(done.playback.state, PlaybackState::Done);
}

// ---------------------------------------------------------------- Local channel ids

/// The `;2` half's id, from its `StasisStart` in `hello` (7000 runs `Stasis(hello)`).
async fn far_half(rig: &mut Rig, one: &str) -> String {
    let Event::StasisStart(start) = rig
        .expect("the ;2 half in hello", |e| {
            matches!(e, Event::StasisStart(s) if s.application == "hello" && s.channel.id != one
                && s.channel.name.starts_with("Local/7000@default-"))
        })
        .await
    else {
        unreachable!()
    };
    assert!(start.channel.name.ends_with(";2"), "{}", start.channel.name);
    start.channel.id.clone()
}

#[tokio::test]
async fn a_local_originate_names_its_halves_after_the_given_ids() {
    let mut rig = Rig::start().await;
    let channels = rig.client.channels();
    let local = "Local/7000@default";

    // channelId names the `;1` half; the `;2` half is `<channelId>;2`.
    let one = channels
        .originate(local)
        .app("phone")
        .channel_id("call-a")
        .await
        .unwrap();
    assert_eq!(one.id, "call-a");
    assert!(one.name.ends_with(";1"), "{}", one.name);
    assert_eq!(far_half(&mut rig, "call-a").await, "call-a;2");
    let two = rig.client.channel("call-a;2").get().await.unwrap();
    assert_eq!(two.name.replace(";2", ";1"), one.name);

    // The path's id works the same way.
    let with_id = channels
        .originate_with_id("call-b", local)
        .app("phone")
        .await;
    assert_eq!(with_id.unwrap().id, "call-b");
    assert_eq!(far_half(&mut rig, "call-b").await, "call-b;2");

    // otherChannelId names the `;2` half, but only along with a channelId.
    channels
        .originate(local)
        .app("phone")
        .channel_id("call-c")
        .other_channel_id("call-c-far")
        .await
        .unwrap();
    assert_eq!(far_half(&mut rig, "call-c").await, "call-c-far");
    // (The SDK's originate always sends a channelId, to watch the channel: plain HTTP.)
    let (user, password) = rig.sim.credentials();
    let alone: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/channels", rig.sim.base_url()))
        .basic_auth(user, Some(password))
        .query(&[
            ("endpoint", local),
            ("app", "phone"),
            ("otherChannelId", "ignored"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let alone = alone["id"].as_str().unwrap().to_owned();
    let far = far_half(&mut rig, &alone).await;
    assert!(alone != "ignored" && far != "ignored", "{alone} {far}");
    assert_ne!(far, format!("{alone};2"));
    assert!(
        rig.client
            .channel("ignored")
            .get()
            .await
            .unwrap_err()
            .is_not_found()
    );

    // Either id already taken is a conflict.
    for (id, other) in [
        ("call-a;2", None),
        ("call-d", Some("call-a")),
        ("call-e", Some("call-e")),
        ("call-f", Some("call-c-far")),
    ] {
        let mut request = channels.originate(local).app("phone").channel_id(id);
        if let Some(other) = other {
            request = request.other_channel_id(other);
        }
        let error = request.await.unwrap_err();
        assert_eq!(
            (error.status(), error.asterisk_message()),
            (
                Some(409),
                Some("Channel with given unique ID already exists")
            ),
            "{id} {other:?}"
        );
    }

    // Ids are at most 149 characters (the `;2` suffix may go beyond).
    let long = "x".repeat(150);
    let error = channels
        .originate(local)
        .app("phone")
        .channel_id(&long)
        .await
        .unwrap_err();
    assert_eq!(
        (error.status(), error.asterisk_message()),
        (Some(400), Some("Uniqueid length exceeds maximum of 149"))
    );
    let longest = "y".repeat(149);
    channels
        .originate(local)
        .app("phone")
        .channel_id(&longest)
        .await
        .unwrap();
    assert_eq!(far_half(&mut rig, &longest).await, format!("{longest};2"));
}

/// `startup_time` is when the server started, the same in every answer (the dogfooding of
/// `ari` found the simulator giving the time of each request).
#[tokio::test]
async fn the_startup_time_stays_put() {
    let sim = Simulator::start().await.expect("the simulator starts");
    let client = sim.client();
    let first = client.raw().get("asterisk/info").await.expect("info");
    tokio::time::sleep(Duration::from_millis(20)).await;
    let second = client.raw().get("asterisk/info").await.expect("info");
    let startup = |v: &serde_json::Value| v["status"]["startup_time"].clone();
    assert!(startup(&first).is_string(), "{first}");
    assert_eq!(startup(&first), startup(&second));
}

// ---------------------------------------------------------------- bridge subscriptions

/// A bridge `b1` holding `channel` (in `hello`), created and filled over REST.
async fn bridge_with(rig: &mut Rig, channel: &str) {
    let raw = rig.client.raw();
    raw.post("bridges")
        .query("type", "holding")
        .query("bridgeId", "b1")
        .await
        .expect("create");
    raw.post("bridges/b1/addChannel")
        .query("channel", channel)
        .await
        .expect("addChannel");
    rig.expect_about("hello", "ChannelEnteredBridge", channel)
        .await;
}

/// Seen on Asterisk 22.10.1 (the dogfooding of `ari`): the application of a channel hung
/// up inside a bridge still hears the bridge's `BridgeDestroyed`.
#[tokio::test]
async fn a_channel_hung_up_in_a_bridge_leaves_its_application_subscribed_to_it() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    bridge_with(&mut rig, &call.two).await;
    rig.client
        .channel(&call.two)
        .hangup()
        .await
        .expect("hangup");
    rig.expect_about("hello", "StasisEnd", &call.two).await;
    rig.client
        .raw()
        .delete("bridges/b1")
        .await
        .expect("destroy");
    rig.expect_about("hello", "BridgeDestroyed", "b1").await;
}

/// A channel taken out of the bridge alive takes its application's subscription with it.
#[tokio::test]
async fn a_channel_removed_from_a_bridge_takes_the_subscription_with_it() {
    let mut rig = Rig::start().await;
    let call = rig.call().await;
    bridge_with(&mut rig, &call.two).await;
    let raw = rig.client.raw();
    raw.post("bridges/b1/removeChannel")
        .query("channel", &call.two)
        .await
        .expect("remove");
    rig.expect_about("hello", "ChannelLeftBridge", &call.two)
        .await;
    raw.delete("bridges/b1").await.expect("destroy");
    assert!(
        !rig.arrives("BridgeDestroyed", "b1", Duration::from_millis(300))
            .await
    );
}

// ---------------------------------------------------------------- caller ids of a Local pair

/// As Asterisk 22.10.1 showed them (checked with `ari` after the answer of
/// `Local/7002@default` sent to extension 7002): `callerId` is `;1`'s connected line and
/// `;2`'s caller; a `CALLERID(name)` variable changes `;1`'s caller, `;2`'s connected line.
#[tokio::test]
async fn an_originate_sets_the_callers_of_both_halves() {
    let sim = Simulator::start().await.expect("the simulator starts");
    let client = sim.client();
    let one = client
        .channels()
        .originate("Local/7002@default")
        .extension("7002")
        .context("default")
        .caller_id("\"Bob\" <1000>")
        .variables([("CALLERID(name)", "Alice")])
        .await
        .expect("originate");
    let two_name = one.name.replace(";1", ";2");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let (one, two) = loop {
        let all = client.channels().list().await.expect("list");
        let find = |name: &str| all.iter().find(|c| c.name == name).cloned();
        if let (Some(a), Some(b)) = (find(&one.name), find(&two_name)) {
            break (a, b);
        }
        assert!(std::time::Instant::now() < deadline, "no Local pair");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let id = |c: &ari_sdk::CallerID| format!("{} <{}>", c.name, c.number);
    assert_eq!(id(&one.caller), "Alice <1000>");
    assert_eq!(id(&one.connected), "Bob <1000>");
    assert_eq!(id(&two.caller), "Bob <1000>");
    assert_eq!(id(&two.connected), "Alice <1000>");
}

// ---------------------------------------------------------------- registration

/// Asterisk registers an event connection's applications before it answers the upgrade
/// (res/ari/ari_websockets.c, `websocket_attempted_cb`), so a call sent to the application
/// right after the 101 arrives finds it. The simulator registered them in a task that ran
/// after its answer, and a test that originated at once saw no StasisStart now and then.
/// Here the simulator's workers are kept busy, so a task queued behind the answer runs
/// late, and a plain blocking client checks the moment it has read the answer's head.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_exist_as_soon_as_the_connection_is_answered() {
    use std::io::{Read, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let sim = Arc::new(Simulator::start().await.expect("the simulator starts"));
    let stop = Arc::new(AtomicBool::new(false));
    let busy: Vec<_> = (0..4)
        .map(|_| {
            let stop = stop.clone();
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(2));
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let client = sim.clone();
    let checked = tokio::task::spawn_blocking(move || {
        let (user, password) = client.credentials();
        let mut sockets = Vec::new();
        for i in 0..20 {
            let mut socket = std::net::TcpStream::connect(client.addr()).expect("tcp");
            let request = format!(
                "GET /ari/events?app=early{i}&api_key={user}:{password} HTTP/1.1\r\n\
                 Host: {}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
                 Sec-WebSocket-Version: 13\r\n\
                 Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                client.addr()
            );
            socket.write_all(request.as_bytes()).expect("send");
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let mut byte = [0u8; 1];
                socket.read_exact(&mut byte).expect("the answer");
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            assert!(head.starts_with("HTTP/1.1 101"), "{head}");
            assert_eq!(
                client.control().websocket_count(),
                i + 1,
                "early{i} is not registered when its 101 arrives"
            );
            sockets.push(socket);
        }
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    for task in busy {
        task.await.expect("busy task");
    }
    checked.expect("every application registered before its answer");
}
