//! End to end against a real Asterisk (`ARI_E2E_URL`, see `e2e/mod.rs`): channels.
//! Originate into Stasis with the dialplan's arguments, ring and answer, DTMF from one
//! half of a Local channel to the other, hold, mute, variables, continuing in the
//! dialplan, moving between applications, redirect, snooping, hanging up with a reason,
//! and the waits (`stasis_start`, `wait_for_state`, `next_dtmf`, `wait_for_hangup`,
//! `Watched::into_call`), over both transports where a session is involved.

mod e2e;

use std::time::Duration;

use ari_sdk::{
    ChannelState, DigitsEnd, Event, HangupReason, MuteDirection, Played, Recorded, SnoopChannelSpy,
    Transport,
};
use e2e::{LIMIT, other_half};

on_both_transports!(
    dtmf_sent_from_one_half_is_received_on_the_other,
    hold_mute_and_variables,
    move_continue_and_redirect,
    snoop_on_a_talking_channel,
    hangup_with_a_reason_reaches_the_far_end_and_the_call,
    twenty_calls_at_once_each_in_its_own_task,
);

/// The guide's 7000 (`Stasis(hello,world)`): the `;2` half arrives in `hello` with the
/// arguments `["world"]`, ringing; it rings the caller, answers, and the `;1` half, which
/// the test originated into its own application, becomes a `Call` through `into_call`.
/// The answered side then plays a prompt, collects the digits the caller sends and
/// records a message, with the `Call` helpers.
/// The only test that uses the shared application `hello` (one connection at a time may
/// hold it), so it runs on one transport.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_7000_gives_args_world_then_ring_answer_and_into_call() {
    let Some(s) = e2e::session("StasisStart args of 7000", "hello", Transport::Http).await else {
        return;
    };
    let client = s.client.clone();
    let mut hello = client
        .calls(["hello"])
        .connect()
        .await
        .expect("calls of hello");
    let caller = s
        .originate("7000", "caller")
        .app_args("from,e2e")
        .await
        .expect("originate Local/7000");
    let id = caller.id.clone();
    let far = other_half(&id);
    let mut in_hello = loop {
        let call = tokio::time::timeout(LIMIT, hello.next())
            .await
            .expect("a StasisStart in hello in time")
            .expect("the call stream is open")
            .expect("a call");
        if call.id() == far {
            break call;
        }
        // Someone else's call into `hello`: not ours to touch.
    };
    assert_eq!(in_hello.args(), ["world"], "Stasis(hello,world)");
    assert_eq!(in_hello.application(), "hello");
    assert_eq!(in_hello.start().channel.state, ChannelState::Ring);

    in_hello.channel().ring().await.expect("ring");
    let ringing = client
        .channel(&id)
        .wait_for_state(ChannelState::Ringing, LIMIT)
        .await
        .expect("the caller hears ringing");
    assert_eq!(ringing.id, id);
    in_hello.channel().answer().await.expect("answer");
    in_hello
        .channel()
        .wait_for_state(ChannelState::Up, LIMIT)
        .await
        .expect("answered");

    // The caller's half enters the test's application once answered.
    let call = caller
        .into_call(LIMIT)
        .await
        .expect("a Call from into_call");
    assert_eq!(call.args(), ["from", "e2e"], "the originate's appArgs");
    assert_eq!(call.application(), s.app);
    assert_eq!(call.start().channel.state, ChannelState::Up);
    assert_eq!(call.id(), id);

    // The Call helpers on the answered side: a prompt, digits the caller sends, a recording.
    let played = in_hello
        .play("sound:hello-world")
        .await
        .expect("play a prompt");
    assert_eq!(played, Played::Finished);
    let (digits, sent) = tokio::join!(
        in_hello
            .collect_digits()
            .first_digit_timeout(LIMIT)
            .inter_digit_timeout(Duration::from_secs(3)),
        call.channel().send_dtmf("42#").between(100)
    );
    sent.expect("the caller sends 42#");
    let digits = digits.expect("digits");
    assert_eq!(
        (digits.digits.as_str(), digits.end),
        ("42", DigitsEnd::Terminator('#'))
    );
    let name = s.id("message");
    let recorded = in_hello
        .record(&name)
        .beep(true)
        .max_duration(Some(Duration::from_secs(1)))
        .await
        .expect("record a second");
    let Recorded::Completed { recording } = recorded else {
        panic!("not completed: {recorded:?}");
    };
    assert_eq!(recording.name, name);
    client
        .stored_recording(&name)
        .delete_stored()
        .await
        .expect("delete the message");

    call.channel().hangup().await.expect("hang up");
    tokio::time::timeout(LIMIT, call.ended().wait())
        .await
        .expect("the call ends");
    tokio::time::timeout(LIMIT, in_hello.ended().wait())
        .await
        .expect("the far end leaves hello");
    hello.close().await;
    s.finish().await;
}

async fn dtmf_sent_from_one_half_is_received_on_the_other(transport: Transport) {
    let Some(s) = e2e::session("DTMF between the halves", "dtmf", transport).await else {
        return;
    };
    let caller = s.enter("7002", "caller").await;
    let near = s.client.channel(&caller.id);
    let far = s.client.channel(other_half(&caller.id));
    let mut far_events = far.events();
    near.send_dtmf("12#").between(100).await.expect("send DTMF");
    for want in ["1", "2", "#"] {
        let got = far_events.next_dtmf(LIMIT).await.expect("a digit");
        assert_eq!(got, want);
    }
    // The handle's own wait subscribes when polled, before the digit is sent.
    let (digit, sent) = tokio::join!(far.next_dtmf(LIMIT), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        near.send_dtmf("7").await
    });
    sent.expect("send 7");
    assert_eq!(digit.expect("next_dtmf"), "7");

    // The far end hangs up: the caller's wait sees it.
    let (hangup, hung_up) = tokio::join!(near.wait_for_hangup(LIMIT), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        far.hangup().await
    });
    hung_up.expect("hang up the far end");
    let event = hangup.expect("wait_for_hangup");
    assert!(
        matches!(
            event.type_name(),
            "ChannelHangupRequest" | "StasisEnd" | "ChannelDestroyed"
        ),
        "{event:?}"
    );
    s.finish().await;
}

async fn hold_mute_and_variables(transport: Transport) {
    let Some(s) = e2e::session("hold, mute, variables", "vars", transport).await else {
        return;
    };
    let mut caller = s
        .originate("7002", "caller")
        .variables([("E2E_FROM_ORIGINATE", "yes")])
        .await
        .expect("originate with variables");
    caller.stasis_start(LIMIT).await.expect("StasisStart");
    let channel = s.client.channel(&caller.id);

    let from_originate = channel
        .get_channel_var("E2E_FROM_ORIGINATE")
        .await
        .expect("a variable set by originate");
    assert_eq!(from_originate.value, "yes");

    channel
        .set_channel_var("E2E_VAR")
        .value("hello")
        .await
        .expect("set a variable");
    let varset = caller
        .events()
        .wait_for(LIMIT, |event| match event {
            Event::ChannelVarset(e) if e.variable == "E2E_VAR" => Some(e.value.clone()),
            _ => None,
        })
        .await
        .expect("ChannelVarset");
    assert_eq!(varset, "hello");
    let got = channel.get_channel_var("E2E_VAR").await.expect("get it");
    assert_eq!(got.value, "hello");

    channel
        .set_channel_vars([("E2E_A", "1"), ("E2E_B", "two words")])
        .await
        .expect("set several (22.10)");
    let both = channel
        .get_channel_vars(["E2E_A", "E2E_B"])
        .await
        .expect("get several (22.10)");
    assert_eq!(
        both.variables,
        serde_json::json!({"E2E_A": "1", "E2E_B": "two words"})
    );

    channel.hold().await.expect("hold");
    channel.unhold().await.expect("unhold");
    channel
        .mute(MuteDirection::Both)
        .await
        .expect("mute both ways");
    channel
        .unmute(MuteDirection::In)
        .await
        .expect("unmute the way in");
    channel.unmute(MuteDirection::Both).await.expect("unmute");
    channel.start_silence().await.expect("silence");
    channel.stop_silence().await.expect("no silence");
    channel.start_moh().await.expect("music on hold");
    channel.stop_moh().await.expect("no music on hold");

    channel.hangup().await.expect("hang up");
    s.finish().await;
}

async fn move_continue_and_redirect(transport: Transport) {
    let Some(mut s) = e2e::session("move, continue, redirect", "move", transport).await else {
        return;
    };
    let caller = s.enter("7002", "caller").await;
    let id = caller.id.clone();
    let channel = s.client.channel(&id);

    // Move to the second application: StasisEnd here, StasisStart there with the args.
    channel
        .r#move(&s.other_app)
        .app_args("moved,here")
        .await
        .expect("move");
    let other_app = s.other_app.clone();
    let args = s
        .event(
            "StasisStart in the other application",
            |event| match event {
                Event::StasisStart(e) if e.channel.id == id && e.application == other_app => {
                    Some(e.args.clone())
                }
                _ => None,
            },
        )
        .await;
    assert_eq!(args, ["moved", "here"]);

    // Redirect: another technology is refused outright ...
    let refused = channel
        .redirect("PJSIP/e2e-nowhere")
        .await
        .expect_err("a redirect to another technology");
    assert_eq!(refused.status(), Some(422), "{refused}");
    assert_eq!(refused.is_documented_status(), Some(true));
    // ... and a Local channel is accepted (204) but never moves: Asterisk runs the
    // redirect later as ast_transfer(), which Local channels do not implement ("Unsupported
    // transfer requested" in its log). The channel stays in Stasis.
    channel
        .redirect("Local/7003@default")
        .await
        .expect("Asterisk accepts the redirect");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let still = channel.get().await.expect("still there");
    // (`app_data` still names the application of the dialplan's Stasis(), not the one
    // the channel was moved to.)
    assert_eq!(still.dialplan.app_name, "Stasis", "{still:?}");
    assert_eq!(still.dialplan.app_data, s.app);

    // Continue in the dialplan: it leaves Stasis for 7003 (Echo).
    channel
        .continue_in_dialplan()
        .context("default")
        .extension("7003")
        .priority(1)
        .await
        .expect("continue");
    s.event("StasisEnd after continue", |event| {
        matches!(event, Event::StasisEnd(e) if e.channel.id == id).then_some(())
    })
    .await;
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        let now = channel.get().await.expect("in the dialplan");
        if now.dialplan.exten == "7003" && now.dialplan.app_name == "Echo" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Outside Stasis, what needs the application is refused as gone ...
    let answer = channel.answer().await.expect_err("not in Stasis any more");
    assert!(answer.is_conflict() && answer.is_gone(), "{answer}");
    // ... and hanging up still works.
    channel.hangup().await.expect("hang up");
    s.finish().await;
}

async fn snoop_on_a_talking_channel(transport: Transport) {
    let Some(s) = e2e::session("snoop", "snoop", transport).await else {
        return;
    };
    let caller = s.enter("7005", "talker").await;
    // snoopChannel answers `Watched` like an originate: the snoop channel's events are
    // subscribed before the request leaves, so its StasisStart cannot be missed.
    let snoop_id = s.id("snoop");
    let mut snoop = s
        .client
        .channel(&caller.id)
        .snoop_channel(&s.app)
        .spy(SnoopChannelSpy::In)
        .app_args("spying")
        .snoop_id(&snoop_id)
        .await
        .expect("snoop");
    assert_eq!(snoop.id, snoop_id);
    assert!(snoop.name.starts_with("Snoop/"), "{}", snoop.name);
    let start = snoop
        .stasis_start(LIMIT)
        .await
        .expect("the snoop in Stasis");
    let mut snoop_events = snoop.into_events();
    assert_eq!(start.args, ["spying"]);
    assert_eq!(start.application, s.app);
    assert_eq!(start.channel.state, ChannelState::Up);

    s.client
        .channel(&snoop_id)
        .hangup()
        .await
        .expect("end the snoop");
    let event = snoop_events
        .wait_for_hangup(LIMIT)
        .await
        .expect("the snoop ends");
    assert!(
        matches!(event.type_name(), "ChannelHangupRequest" | "StasisEnd"),
        "{event:?}"
    );
    // The spied-on channel goes on.
    let talker = s
        .client
        .channel(&caller.id)
        .get()
        .await
        .expect("still here");
    assert_eq!(talker.state, ChannelState::Up);
    s.client
        .channel(&caller.id)
        .hangup()
        .await
        .expect("hang up");
    s.finish().await;
}

async fn hangup_with_a_reason_reaches_the_far_end_and_the_call(transport: Transport) {
    let Some(mut s) = e2e::session("hangup with a reason", "hangup", transport).await else {
        return;
    };
    let originated = s.originate("7002", "caller").await.expect("originate");
    let mut call = originated.into_call(LIMIT).await.expect("a call");
    let id = call.id().to_owned();
    call.channel()
        .hangup()
        .reason(HangupReason::Busy)
        .await
        .expect("hang up, busy");
    let ended = call
        .events()
        .wait_for_hangup(LIMIT)
        .await
        .expect("the call's stream sees it");
    assert!(
        matches!(ended.type_name(), "ChannelHangupRequest" | "StasisEnd"),
        "{ended:?}"
    );
    tokio::time::timeout(LIMIT, call.ended().wait())
        .await
        .expect("the call ends");
    let (cause, cause_txt) = s
        .event("ChannelDestroyed of the caller", |event| match event {
            Event::ChannelDestroyed(e) if e.channel.id == id => {
                Some((e.cause, e.cause_txt.clone()))
            }
            _ => None,
        })
        .await;
    assert_eq!((cause, cause_txt.as_str()), (17, "User busy"));
    let gone = call.channel().get().await.expect_err("destroyed");
    assert!(gone.is_not_found() && gone.is_gone(), "{gone}");
    s.finish().await;
}

/// The way an application runs: many calls at once, each in its own task with its own
/// `Call`. Every task plays its own prompt, sets and reads back its own variable and hangs
/// up; a playback event or a hangup delivered to the wrong call leaves a task waiting
/// (and failing at its limit), a variable read from the wrong channel fails its check.
async fn twenty_calls_at_once_each_in_its_own_task(transport: Transport) {
    const CALLS: usize = 20;
    let Some(s) = e2e::session("twenty calls at once", "twenty", transport).await else {
        return;
    };
    let s = std::sync::Arc::new(s);
    let tasks: Vec<_> = (0..CALLS)
        .map(|n| {
            let s = s.clone();
            tokio::spawn(async move {
                let originated = s.originate("7002", "caller").await.expect("originate");
                let mut call = originated.into_call(LIMIT).await.expect("a call");
                let id = call.id().to_owned();
                let played = call
                    .play(format!("sound:digits/{}", n % 10))
                    .await
                    .unwrap_or_else(|e| panic!("call {n} plays its digit: {e}"));
                assert_eq!(played, Played::Finished, "call {n}");
                let mark = format!("call-{n}");
                call.channel()
                    .set_channel_var("E2E_MARK")
                    .value(&mark)
                    .await
                    .expect("set the mark");
                let read = call
                    .channel()
                    .get_channel_var("E2E_MARK")
                    .await
                    .expect("read the mark");
                assert_eq!(read.value, mark, "call {n} reads its own variable");
                call.channel().hangup().await.expect("hang up");
                let ended = call
                    .events()
                    .wait_for_hangup(LIMIT)
                    .await
                    .unwrap_or_else(|e| panic!("call {n} sees its hangup: {e}"));
                assert!(
                    matches!(ended.type_name(), "ChannelHangupRequest" | "StasisEnd"),
                    "{ended:?}"
                );
                tokio::time::timeout(LIMIT, call.ended().wait())
                    .await
                    .unwrap_or_else(|_| panic!("call {n} ({id}) ends"));
            })
        })
        .collect();
    for (n, task) in tasks.into_iter().enumerate() {
        task.await.unwrap_or_else(|e| panic!("call {n}: {e}"));
    }
    let Ok(s) = std::sync::Arc::try_unwrap(s) else {
        panic!("every task has ended and let go of the session");
    };
    s.finish().await;
}

/// Fixed in the simulator: a redirect to an endpoint of another technology
/// than the channel's is refused by Asterisk with 422 "Endpoint technology 'PJSIP' does
/// not match channel technology 'Local'" (`move_continue_and_redirect` on a real
/// Asterisk); ari-sim now refuses it the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_refuses_a_redirect_to_another_technology_as_asterisk_does() {
    let sim = ari_sim::Simulator::start().await.expect("a simulator");
    let client = sim.client();
    let _events = client.events(["e2esim"]).connect().await.expect("events");
    let mut caller = client
        .channels()
        .originate("Local/7002@default")
        .app("e2esim")
        .await
        .expect("originate");
    caller.stasis_start(LIMIT).await.expect("in Stasis");
    let refused = client
        .channel(&caller.id)
        .redirect("PJSIP/e2e-nowhere")
        .await
        .expect_err("another technology");
    assert_eq!(refused.status(), Some(422), "{refused}");
}

/// Fixed in the simulator: when the channel in `hello` rings
/// (`POST /channels/{id}/ring` on the `;2` half of a Local channel), Asterisk indicates
/// ringing to the caller, whose state becomes `Ringing` (`ChannelStateChange`; see
/// `the_guides_7000_gives_args_world_then_ring_answer_and_into_call` on a real Asterisk);
/// ari-sim now does the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_rings_the_caller_as_asterisk_does() {
    let sim = ari_sim::Simulator::start().await.expect("a simulator");
    let client = sim.client();
    let _events = client.events(["e2esim"]).connect().await.expect("events");
    let mut hello = client.calls(["hello"]).connect().await.expect("hello");
    let caller = client
        .channels()
        .originate("Local/7000@default")
        .app("e2esim")
        .channel_id("e2e-sim-caller")
        .other_channel_id("e2e-sim-caller-2")
        .await
        .expect("originate");
    let in_hello = tokio::time::timeout(LIMIT, hello.next())
        .await
        .expect("a call in hello")
        .expect("open")
        .expect("a call");
    assert_eq!(in_hello.id(), "e2e-sim-caller-2");
    in_hello.channel().ring().await.expect("ring");
    let ringing = client
        .channel(&caller.id)
        .wait_for_state(ChannelState::Ringing, Duration::from_secs(3))
        .await;
    assert!(ringing.is_ok(), "the caller hears ringing: {ringing:?}");
}
