//! The scenario programs, written once and run on the simulator and on a real Asterisk.
//! Each acts as an application would: it waits for the event that tells it it may go
//! on (a channel entered the application, a playback finished) before its next request.
//!
//! Calls are `Local/<exten>@default` originates with ids of the run: 7000 runs
//! `Stasis(hello,world)` (the guide's walkthrough), 7002 answers and waits, so the
//! originated `;1` half enters the scenario's own application once it is up.

use ari_sdk::Method;

use crate::run::{Run, Target, Transcript, Who};

/// A scenario: its name, its applications (roles), and the program.
pub struct Scenario {
    pub name: &'static str,
    pub apps: &'static [&'static str],
    pub program: for<'a> fn(&'a mut Run) -> futures_util::future::BoxFuture<'a, ()>,
}

/// Applications whose name the dialplan fixes (7000 runs `Stasis(hello,world)`).
const FIXED: &[&str] = &["hello"];

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "walkthrough",
        apps: &["hello", "phone"],
        program: |run| Box::pin(walkthrough(run)),
    },
    Scenario {
        name: "holding-bridge",
        apps: &["holding"],
        program: |run| Box::pin(holding_bridge(run)),
    },
    Scenario {
        name: "mixing-record",
        apps: &["conference"],
        program: |run| Box::pin(mixing_record(run)),
    },
    Scenario {
        name: "dtmf-vars",
        apps: &["keys"],
        program: |run| Box::pin(dtmf_vars(run)),
    },
    Scenario {
        name: "playback-control",
        apps: &["player"],
        program: |run| Box::pin(playback_control(run)),
    },
    Scenario {
        name: "errors",
        apps: &["mistakes"],
        program: |run| Box::pin(errors(run)),
    },
];

impl Scenario {
    pub async fn run(&self, target: &Target) -> Transcript {
        let mut run = Run::start(target, self.apps, FIXED).await;
        (self.program)(&mut run).await;
        run.finish().await
    }
}

/// Originates `Local/<exten>@default` into application `role`; the `;1` half is
/// `<tag><label>`, the `;2` half `<tag><label>-near` (ids without `;`, which path
/// segments would percent-encode).
async fn originate(run: &mut Run, role: &str, exten: &str, label: &str) -> (String, String) {
    let far = run.id(label);
    let near = run.id(&format!("{label}-near"));
    let app = run.app(role);
    run.post(
        "channels",
        &[
            ("endpoint", &format!("Local/{exten}@default")),
            ("app", &app),
            ("channelId", &far),
            ("otherChannelId", &near),
        ],
    )
    .await;
    (far, near)
}

/// A call into one application: originated to 7002, up, in the application.
async fn call(run: &mut Run, role: &str, label: &str) -> String {
    let (far, _) = originate(run, role, "7002", label).await;
    run.wait(role, "StasisStart", &far).await;
    far
}

async fn hang_up(run: &mut Run, role: &str, channels: &[&str]) {
    for channel in channels {
        run.delete(&format!("channels/{channel}"), &[]).await;
    }
    for channel in channels {
        run.wait(role, "StasisEnd", channel).await;
    }
}

/// The getting-started guide: a call to 7000 enters `hello`, which answers, plays
/// hello-world and hangs up; the far end is in `phone`.
async fn walkthrough(run: &mut Run) {
    let (far, near) = originate(run, "phone", "7000", "caller").await;
    run.wait("hello", "StasisStart", &near).await;
    run.post(&format!("channels/{near}/answer"), &[]).await;
    run.wait("hello", "ChannelStateChange", &near).await;
    run.wait("phone", "StasisStart", &far).await;
    run.post(
        &format!("channels/{near}/play"),
        &[("media", "sound:hello-world")],
    )
    .await;
    run.wait("hello", "PlaybackFinished", &near).await;
    run.delete(&format!("channels/{near}"), &[]).await;
    run.wait("hello", "StasisEnd", &near).await;
    run.wait("phone", "StasisEnd", &far).await;
}

/// Two calls in a holding bridge; media to one and to the bridge; one leaves; the
/// bridge goes away.
async fn holding_bridge(run: &mut Run) {
    let bridge = run.id("bridge");
    run.post("bridges", &[("type", "holding"), ("bridgeId", &bridge)])
        .await;
    run.get(&format!("bridges/{bridge}"), &[]).await;
    let a = call(run, "holding", "a").await;
    let b = call(run, "holding", "b").await;
    run.post(
        &format!("bridges/{bridge}/addChannel"),
        &[("channel", &format!("{a},{b}"))],
    )
    .await;
    run.wait("holding", "ChannelEnteredBridge", &a).await;
    run.wait("holding", "ChannelEnteredBridge", &b).await;
    let to_a = run.id("to-a");
    run.post(
        &format!("channels/{a}/play"),
        &[("media", "sound:beep"), ("playbackId", &to_a)],
    )
    .await;
    run.wait("holding", "PlaybackFinished", &to_a).await;
    let to_all = run.id("to-all");
    run.post(
        &format!("bridges/{bridge}/play"),
        &[("media", "sound:beep"), ("playbackId", &to_all)],
    )
    .await;
    run.wait("holding", "PlaybackFinished", &to_all).await;
    run.get("bridges", &[]).await;
    run.post(
        &format!("bridges/{bridge}/removeChannel"),
        &[("channel", &a)],
    )
    .await;
    run.wait("holding", "ChannelLeftBridge", &a).await;
    run.delete(&format!("bridges/{bridge}"), &[]).await;
    run.wait("holding", "ChannelLeftBridge", &b).await;
    hang_up(run, "holding", &[&a, &b]).await;
}

/// Two calls in a mixing bridge, the bridge recorded, the recording stored, copied,
/// fetched and deleted.
async fn mixing_record(run: &mut Run) {
    let bridge = run.id("conf");
    run.post(
        "bridges",
        &[
            ("type", "mixing"),
            ("name", "diff-conf"),
            ("bridgeId", &bridge),
        ],
    )
    .await;
    let a = call(run, "conference", "a").await;
    let b = call(run, "conference", "b").await;
    run.post(
        &format!("bridges/{bridge}/addChannel"),
        &[("channel", &format!("{a},{b}"))],
    )
    .await;
    run.wait("conference", "ChannelEnteredBridge", &a).await;
    run.wait("conference", "ChannelEnteredBridge", &b).await;
    let rec = run.id("rec");
    run.post(
        &format!("bridges/{bridge}/record"),
        &[("name", &rec), ("format", "wav"), ("ifExists", "overwrite")],
    )
    .await;
    run.wait("conference", "RecordingStarted", &rec).await;
    run.get(&format!("recordings/live/{rec}"), &[]).await;
    // Long enough for the far ends' `Answer()` to have finished waiting (500 ms).
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    run.post(&format!("recordings/live/{rec}/stop"), &[]).await;
    run.wait("conference", "RecordingFinished", &rec).await;
    run.get("recordings/stored", &[]).await;
    run.get(&format!("recordings/stored/{rec}"), &[]).await;
    let copy = run.id("rec-copy");
    run.post(
        &format!("recordings/stored/{rec}/copy"),
        &[("destinationRecordingName", &copy)],
    )
    .await;
    run.get_file(&rec).await;
    run.delete(&format!("recordings/stored/{copy}"), &[]).await;
    run.delete(&format!("recordings/stored/{rec}"), &[]).await;
    // Asterisk answers before the channels have left: wait for them, as an
    // application would, so the hang-ups do not race the leaving.
    run.delete(&format!("bridges/{bridge}"), &[]).await;
    run.wait("conference", "ChannelLeftBridge", &a).await;
    run.wait("conference", "ChannelLeftBridge", &b).await;
    hang_up(run, "conference", &[&a, &b]).await;
}

/// DTMF, channel and global variables, a user event, hold, mute, music on hold and
/// silence. The keys are sent on the call and received by its far half, which the
/// application subscribes to.
async fn dtmf_vars(run: &mut Run) {
    let app = run.app("keys");
    let (far, near) = originate(run, "keys", "7002", "call").await;
    run.wait("keys", "StasisStart", &far).await;
    run.post(
        &format!("applications/{app}/subscription"),
        &[("eventSource", &format!("channel:{near}"))],
    )
    .await;
    run.post(
        &format!("channels/{far}/dtmf"),
        &[("dtmf", "12#"), ("between", "100")],
    )
    .await;
    for _ in 0..3 {
        run.wait("keys", "ChannelDtmfReceived", &near).await;
    }
    let variable = format!("channels/{far}/variable");
    run.post(&variable, &[("variable", "CUSTOMER"), ("value", "42")])
        .await;
    run.get(&variable, &[("variable", "CUSTOMER")]).await;
    run.get(&variable, &[("variable", "NOPE_NOT_SET")]).await;
    run.post(
        "asterisk/variable",
        &[("variable", "DIFF_GLOBAL"), ("value", "y")],
    )
    .await;
    run.get("asterisk/variable", &[("variable", "DIFF_GLOBAL")])
        .await;
    let ping = run.id("ping");
    run.post(
        &format!("events/user/{ping}"),
        &[("application", &app), ("source", &format!("channel:{far}"))],
    )
    .await;
    run.wait("keys", "ChannelUserevent", &ping).await;
    for (what, query) in [
        ("hold", &[][..]),
        ("mute", &[("direction", "both")][..]),
        ("moh", &[][..]),
        ("silence", &[][..]),
    ] {
        let path = format!("channels/{far}/{what}");
        run.post(&path, query).await;
        run.delete(&path, query).await;
    }
    run.get(&format!("channels/{far}"), &[]).await;
    run.get("channels", &[]).await;
    run.delete(
        &format!("applications/{app}/subscription"),
        &[("eventSource", &format!("channel:{near}"))],
    )
    .await;
    run.delete(&format!("channels/{far}"), &[("reason", "normal")])
        .await;
    run.wait("keys", "StasisEnd", &far).await;
    // A global variable without a value is removed.
    run.post("asterisk/variable", &[("variable", "DIFF_GLOBAL")])
        .await;
}

/// A playback paused, resumed, restarted and stopped; a list of media; a sound that
/// does not exist; a tone stopped while another playback waits behind it.
async fn playback_control(run: &mut Run) {
    let c = call(run, "player", "call").await;
    let play = format!("channels/{c}/play");
    let first = run.id("first");
    run.post(
        &play,
        &[("media", "sound:hello-world"), ("playbackId", &first)],
    )
    .await;
    run.wait("player", "PlaybackStarted", &first).await;
    let control = format!("playbacks/{first}/control");
    run.post(&control, &[("operation", "pause")]).await;
    run.get(&format!("playbacks/{first}"), &[]).await;
    run.post(&control, &[("operation", "unpause")]).await;
    run.post(&control, &[("operation", "restart")]).await;
    run.post(&control, &[("operation", "sideways")]).await;
    run.delete(&format!("playbacks/{first}"), &[]).await;
    run.wait("player", "PlaybackFinished", &first).await;
    let list = run.id("list");
    run.post(
        &play,
        &[("media", "sound:beep,sound:beep"), ("playbackId", &list)],
    )
    .await;
    run.wait("player", "PlaybackFinished", &list).await;
    let missing = run.id("missing");
    run.post(
        &play,
        &[
            ("media", "sound:diff-no-such-sound"),
            ("playbackId", &missing),
        ],
    )
    .await;
    run.wait("player", "PlaybackFinished", &missing).await;
    let tone = run.id("tone");
    run.post(&play, &[("media", "tone:ring"), ("playbackId", &tone)])
        .await;
    run.wait("player", "PlaybackStarted", &tone).await;
    let queued = run.id("queued");
    run.post(&play, &[("media", "sound:beep"), ("playbackId", &queued)])
        .await;
    run.get(&format!("playbacks/{queued}"), &[]).await;
    run.delete(&format!("playbacks/{tone}"), &[]).await;
    run.wait("player", "PlaybackFinished", &tone).await;
    run.wait("player", "PlaybackFinished", &queued).await;
    run.get(&format!("playbacks/{tone}"), &[]).await;
    hang_up(run, "player", &[&c]).await;
}

/// Requests that fail, and why: missing resources, parameters and rights, wrong states.
async fn errors(run: &mut Run) {
    let nope = run.id("nope");
    run.get(&format!("channels/{nope}"), &[]).await;
    run.post(&format!("channels/{nope}/answer"), &[]).await;
    run.post("channels", &[]).await;
    run.post(&format!("bridges/{nope}/addChannel"), &[("channel", "x")])
        .await;
    run.delete(&format!("playbacks/{nope}"), &[]).await;
    run.get(&format!("recordings/stored/{nope}"), &[]).await;
    run.get(&format!("recordings/live/{nope}"), &[]).await;
    run.get("no/such/path", &[]).await;
    run.request(Who::User, Method::Put, "channels", &[]).await;
    run.request(Who::Anonymous, Method::Get, "channels", &[])
        .await;
    run.request(
        Who::ReadOnly,
        Method::Post,
        "bridges",
        &[("type", "holding")],
    )
    .await;
    run.post(&format!("channels/{nope}/hangup-not-a-route"), &[])
        .await;
    let app = run.app("mistakes");
    run.post("channels", &[("endpoint", "Bogus/thing"), ("app", &app)])
        .await;
    run.post(
        &format!("channels/{nope}/play"),
        &[("media", "sound:hello-world")],
    )
    .await;
    run.get("asterisk/variable", &[]).await;
    run.post("bridges", &[("type", "sideways")]).await;
    // With a call in the application.
    let (far, near) = originate(run, "mistakes", "7002", "call").await;
    run.wait("mistakes", "StasisStart", &far).await;
    run.post(&format!("channels/{near}/answer"), &[]).await;
    run.post(&format!("channels/{far}/play"), &[]).await;
    run.post(&format!("channels/{far}/dtmf"), &[]).await;
    run.post(&format!("channels/{far}/variable"), &[("value", "1")])
        .await;
    run.post(
        &format!("channels/{far}/mute"),
        &[("direction", "sideways")],
    )
    .await;
    let record = format!("channels/{far}/record");
    run.post(&record, &[("name", &nope), ("format", "no-such-format")])
        .await;
    run.post(
        &record,
        &[("name", &nope), ("format", "wav"), ("ifExists", "sideways")],
    )
    .await;
    run.post(
        &record,
        &[
            ("name", &nope),
            ("format", "wav"),
            ("maxDurationSeconds", "-1"),
        ],
    )
    .await;
    run.post(
        &format!("channels/{far}/snoop"),
        &[("spy", "sideways"), ("app", &app)],
    )
    .await;
    run.post(&format!("channels/{far}/redirect"), &[]).await;
    run.delete(&format!("channels/{far}"), &[("reason", "sideways")])
        .await;
    run.post(&format!("applications/{app}/subscription"), &[])
        .await;
    run.request(
        Who::User,
        Method::Put,
        &format!("deviceStates/Stasis:{nope}"),
        &[("deviceState", "UNKNOWN")],
    )
    .await;
    let bridge = run.id("bridge");
    run.post("bridges", &[("type", "mixing"), ("bridgeId", &bridge)])
        .await;
    run.post(
        &format!("bridges/{bridge}/addChannel"),
        &[("channel", &nope)],
    )
    .await;
    run.post(
        &format!("bridges/{bridge}/removeChannel"),
        &[("channel", &far)],
    )
    .await;
    run.delete(&format!("bridges/{bridge}"), &[]).await;
    hang_up(run, "mistakes", &[&far]).await;
    run.delete(&format!("channels/{far}"), &[]).await;
}
