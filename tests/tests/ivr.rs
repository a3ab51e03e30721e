//! The IVR building blocks on a call (`ari_sdk::Call`): prompts with barge-in, digit
//! collection, menus and recording, each ending in a typed outcome, including the caller
//! hanging up at every step, and cleaning up after itself. Against the simulator, whose
//! media play for `MEDIA` each.

use std::time::Duration;

use ari_sdk::{Call, Calls, Client, DigitsEnd, Error, Event, MenuChoice, Played, Recorded};
use ari_sim::Simulator;

const LIMIT: Duration = Duration::from_secs(10);
const MEDIA: Duration = Duration::from_millis(600);

struct Line {
    sim: Simulator,
    client: Client,
    calls: Calls,
}

async fn line() -> Line {
    let sim = Simulator::builder()
        .media_duration(MEDIA)
        .start()
        .await
        .expect("simulator");
    let client = sim.client_builder().timeout(LIMIT).build().expect("client");
    let calls = client.calls(["hello"]).connect().await.expect("calls");
    Line { sim, client, calls }
}

impl Line {
    /// A caller dials 7000; returns the call as the application gets it.
    async fn call(&mut self) -> Call {
        let id = self.sim.control().call("7000").expect("dial");
        let call = tokio::time::timeout(LIMIT, self.calls.next())
            .await
            .expect("a call in time")
            .expect("stream open")
            .expect("no error");
        assert_eq!(call.id(), id);
        assert_eq!(call.args(), ["world"]);
        call
    }

    /// The caller presses `digits` after `after`.
    fn press_later(&self, call: &Call, digits: &str, after: Duration) {
        let (control, id, digits) = (
            self.sim.control().clone(),
            call.id().to_owned(),
            digits.to_owned(),
        );
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = control.press(&id, &digits);
        });
    }

    /// The caller hangs up after `after`.
    fn hang_up_later(&self, call: &Call, after: Duration) {
        let (control, id) = (self.sim.control().clone(), call.id().to_owned());
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = control.hangup(&id);
        });
    }
}

#[tokio::test]
async fn a_prompt_plays_to_the_end_and_keeps_digits_typed_during_it() {
    let mut line = line().await;
    let mut call = line.call().await;
    call.channel().answer().await.expect("answer");
    line.press_later(&call, "12", Duration::from_millis(100));
    let played = call.play("sound:hello-world").await.expect("play");
    assert_eq!(played, Played::Finished);
    assert_eq!(
        call.typed_ahead(),
        "12",
        "digits pressed during the prompt are kept"
    );
    let digits = call.collect_digits().max_digits(2).await.expect("collect");
    assert_eq!(digits.digits, "12");
    assert_eq!(digits.end, DigitsEnd::MaxDigits);
    // One media or several: no `.chars()` path.
    let two = call
        .play(["sound:digits/1", "digits:42"])
        .await
        .expect("two media");
    assert_eq!(two, Played::Finished);
}

#[tokio::test]
async fn barge_in_stops_the_prompt_and_the_digit_goes_to_the_next_helper() {
    let mut line = line().await;
    let mut call = line.call().await;
    line.press_later(&call, "5", Duration::from_millis(150));
    let started = tokio::time::Instant::now();
    let played = call
        .play([
            "sound:demo-congrats",
            "sound:demo-thanks",
            "sound:demo-instruct",
        ])
        .barge_in(true)
        .await
        .expect("play");
    assert_eq!(played, Played::Interrupted { digit: '5' });
    assert!(
        started.elapsed() < MEDIA * 3,
        "stopped early: {:?}",
        started.elapsed()
    );
    // Typed ahead: a barge-in prompt does not even start.
    let skipped = call
        .play("sound:vm-options")
        .barge_in(true)
        .await
        .expect("play");
    assert_eq!(skipped, Played::Interrupted { digit: '5' });
    let digits = call.collect_digits().max_digits(1).await.expect("collect");
    assert_eq!(digits.digits, "5");
}

#[tokio::test]
async fn digit_collection_ends_on_terminator_maximum_or_timeouts() {
    let mut line = line().await;
    let mut call = line.call().await;

    line.press_later(&call, "42#", Duration::ZERO);
    let got = call.collect_digits().await.expect("collect");
    assert_eq!(
        (got.digits.as_str(), got.end),
        ("42", DigitsEnd::Terminator('#'))
    );
    assert!(got.is_complete());

    let silent = call
        .collect_digits()
        .first_digit_timeout(Duration::from_millis(200))
        .await
        .expect("collect");
    assert_eq!(
        (silent.digits.as_str(), silent.end),
        ("", DigitsEnd::TimedOut)
    );
    assert!(!silent.is_complete());

    line.press_later(&call, "7", Duration::ZERO);
    let pause = call
        .collect_digits()
        .inter_digit_timeout(Duration::from_millis(300))
        .await
        .expect("collect");
    assert_eq!(
        (pause.digits.as_str(), pause.end),
        ("7", DigitsEnd::TimedOut)
    );

    line.press_later(&call, "123", Duration::ZERO);
    let max = call.collect_digits().max_digits(2).await.expect("collect");
    assert_eq!((max.digits.as_str(), max.end), ("12", DigitsEnd::MaxDigits));
    assert_eq!(call.typed_ahead(), "", "not yet arrived");
    let rest = call.collect_digits().max_digits(1).await.expect("collect");
    assert_eq!(
        rest.digits, "3",
        "the third digit waits for the next helper"
    );
}

#[tokio::test]
async fn a_menu_retries_invalid_input_and_silence_then_gives_up() {
    let mut line = line().await;
    let mut call = line.call().await;
    // Invalid, then a valid choice (pressed during the second prompt: barge-in).
    line.press_later(&call, "9", Duration::from_millis(100));
    line.press_later(&call, "2", MEDIA * 3);
    let chosen = call
        .menu("sound:vm-options")
        .choices(["1", "2", "30"])
        .invalid("sound:pbx-invalid")
        .first_digit_timeout(Duration::from_secs(3))
        .await
        .expect("menu");
    assert_eq!(chosen, MenuChoice::Chosen("2".to_owned()));

    // A two-digit choice is read to its end.
    line.press_later(&call, "30", Duration::from_millis(100));
    let long = call
        .menu("sound:vm-options")
        .choices(["1", "2", "30"])
        .await
        .expect("menu");
    assert_eq!(long, MenuChoice::Chosen("30".to_owned()));

    let started = tokio::time::Instant::now();
    let gave_up = call
        .menu("sound:vm-options")
        .choices(["1"])
        .attempts(2)
        .no_input("sound:vm-goodbye")
        .first_digit_timeout(Duration::from_millis(200))
        .await
        .expect("menu");
    assert_eq!(gave_up, MenuChoice::GaveUp);
    assert!(
        started.elapsed() >= MEDIA * 3,
        "two prompts and a notice were played"
    );
}

#[tokio::test]
async fn a_recording_completes_and_is_stored() {
    let mut line = line().await;
    let mut call = line.call().await;
    call.channel().answer().await.expect("answer");
    let recorded = call
        .record("ivr-message")
        .max_duration(Some(Duration::from_secs(1)))
        .await
        .expect("record");
    let Recorded::Completed { recording } = recorded else {
        panic!("completed: {recorded:?}")
    };
    assert_eq!(recording.name, "ivr-message");
    let stored = line
        .client
        .stored_recording("ivr-message")
        .get_stored()
        .await
        .expect("stored");
    assert_eq!(stored.name, "ivr-message");
    // The same name again fails unless asked to overwrite.
    let again = call
        .record("ivr-message")
        .max_duration(Some(Duration::from_secs(1)))
        .await;
    assert!(matches!(&again, Err(e) if e.is_conflict()), "{again:?}");
    let over = call
        .record("ivr-message")
        .overwrite(true)
        .max_duration(Some(Duration::from_secs(1)))
        .await
        .expect("overwrite");
    assert!(matches!(over, Recorded::Completed { .. }));
}

/// The caller hangs up during each helper: every one ends with "caller gone", never an
/// error or a hang.
#[tokio::test]
async fn every_helper_reports_the_caller_hanging_up() {
    let mut line = line().await;

    let mut call = line.call().await;
    line.hang_up_later(&call, Duration::from_millis(100));
    let ended = call.ended();
    let played = tokio::time::timeout(LIMIT, call.play("sound:demo-congrats")).await;
    assert_eq!(played.expect("in time").expect("play"), Played::CallerGone);
    tokio::time::timeout(LIMIT, ended.clone())
        .await
        .expect("ended fires");
    assert!(ended.is_ended() && call.is_gone());
    // Every later helper knows at once.
    assert_eq!(
        call.play("sound:beep").await.expect("play"),
        Played::CallerGone
    );

    let mut call = line.call().await;
    line.hang_up_later(&call, Duration::from_millis(100));
    let got = tokio::time::timeout(LIMIT, call.collect_digits()).await;
    assert_eq!(
        got.expect("in time").expect("collect").end,
        DigitsEnd::CallerGone
    );

    let mut call = line.call().await;
    line.hang_up_later(&call, MEDIA + Duration::from_millis(100));
    let menu = tokio::time::timeout(LIMIT, call.menu("sound:vm-options").choices(["1"])).await;
    assert_eq!(
        menu.expect("in time").expect("menu"),
        MenuChoice::CallerGone
    );

    let mut call = line.call().await;
    call.channel().answer().await.expect("answer");
    line.hang_up_later(&call, Duration::from_millis(300));
    let recorded = tokio::time::timeout(LIMIT, call.record("ivr-gone")).await;
    assert!(
        matches!(
            recorded.expect("in time").expect("record"),
            Recorded::CallerGone { .. }
        ),
        "caller gone"
    );

    // A request to a channel that left is "gone" too, whatever its status.
    let answer = call.channel().answer().await.expect_err("gone");
    assert!(answer.is_gone(), "{answer}");
}

#[tokio::test]
async fn a_dropped_prompt_stops_its_playback() {
    let mut line = line().await;
    let mut call = line.call().await;
    let cut_short = tokio::time::timeout(
        Duration::from_millis(200),
        call.play([
            "sound:digits/1",
            "sound:digits/2",
            "sound:digits/3",
            "sound:digits/4",
        ]),
    )
    .await;
    assert!(cut_short.is_err(), "the prompt was still playing");
    // The guard stopped it: its PlaybackFinished arrives long before the media's end.
    let finished = tokio::time::timeout(MEDIA * 2, async {
        while let Some(event) = call.next_event().await {
            if let Event::PlaybackFinished(e) = event.expect("event") {
                return e.playback;
            }
        }
        panic!("the call ended")
    })
    .await
    .expect("stopped early");
    assert!(finished.media_uri.starts_with("sound:"));
}

#[tokio::test]
async fn wait_timeouts_are_not_request_timeouts() {
    let mut line = line().await;
    let mut call = line.call().await;
    let error = call
        .play("sound:demo-congrats")
        .timeout(Duration::from_millis(100))
        .await
        .expect_err("times out");
    assert!(error.is_wait_timeout() && !error.is_timeout(), "{error}");
    assert!(!error.may_have_executed());
    let waited = call
        .events()
        .next_dtmf(Duration::from_millis(50))
        .await
        .expect_err("no digit");
    assert!(matches!(waited, Error::WaitTimedOut { .. }), "{waited}");
}

/// An originated channel becomes the same `Call` through its `Watched` answer, and the
/// call stream of its application does not hand it out twice.
#[tokio::test]
async fn an_originated_channel_becomes_a_call_once() {
    let mut line = line().await;
    let watched = line
        .client
        .channels()
        .originate("Local/7002@default")
        .app("hello")
        .await
        .expect("originate");
    let mut call = watched.into_call(LIMIT).await.expect("StasisStart");
    assert_eq!(call.application(), "hello");
    assert_eq!(
        call.play("sound:beep").await.expect("play"),
        Played::Finished
    );
    let other = tokio::time::timeout(Duration::from_millis(300), line.calls.next()).await;
    assert!(
        other.is_err(),
        "no second Call for the originated channel: {other:?}"
    );
}

/// A sound Asterisk does not have fails the prompt with an error naming it (Asterisk
/// reports the playback `failed`, not the caller leaving); `finished()` does the same.
#[tokio::test]
async fn a_missing_sound_is_an_error_naming_it() {
    let mut line = line().await;
    let mut call = line.call().await;
    let error = call.play("sound:no-such-prompt").await.expect_err("fails");
    assert!(
        matches!(&error, Error::Failed { what, .. } if what.contains("sound:no-such-prompt")),
        "{error}"
    );
    assert!(!error.is_gone());
    let watched = call
        .channel()
        .play(["sound:no-such-prompt"])
        .await
        .expect("play");
    let error = watched
        .finished(std::time::Duration::from_secs(60))
        .await
        .expect_err("fails");
    assert!(
        matches!(&error, Error::Failed { what, .. } if what.contains("sound:no-such-prompt")),
        "{error}"
    );
    // The call goes on.
    assert_eq!(
        call.play("sound:beep").await.expect("play"),
        Played::Finished
    );
}

/// A playback that fails because its channel hung up is "gone", not a media error.
#[tokio::test]
async fn a_playback_failed_by_a_hang_up_is_gone() {
    let mut line = line().await;
    let call = line.call().await;
    let watched = call
        .channel()
        .play(["sound:demo-congrats"])
        .await
        .expect("play");
    line.hang_up_later(&call, Duration::from_millis(100));
    let error = tokio::time::timeout(LIMIT, watched.finished(std::time::Duration::from_secs(60)))
        .await
        .expect("in time")
        .expect_err("gone");
    assert!(error.is_gone(), "{error}");
}

/// A wait whose streams end because the application was taken over by another connection
/// says so (found by a user running two caller processes with one application name: the
/// error read "end of the resource's events").
#[tokio::test(flavor = "multi_thread")]
async fn a_wait_ended_by_a_takeover_names_it() {
    let sim = Simulator::start().await.expect("simulator");
    let caller = sim.client();
    let _phone = caller.events(["phone"]).connect().await.expect("phone");
    let mut events = caller.channel("a-channel-of-the-caller").events();
    // A second process connects for `phone`: Asterisk moves the application to it, and
    // the caller's only connection ends.
    let _other = sim
        .client()
        .events(["phone"])
        .connect()
        .await
        .expect("second phone");
    let error = events
        .wait_for(Duration::from_secs(5), |_| Some(()))
        .await
        .expect_err("the caller's streams end with its connection");
    assert!(
        matches!(&error, Error::Gone { event, .. } if event.contains("ApplicationReplaced")),
        "{error}"
    );
}
