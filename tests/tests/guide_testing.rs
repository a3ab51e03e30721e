//! The examples of the guide's testing chapter (`ari-sdk/src/guide/testing.md`), compiled
//! and run: ari-sdk's doc tests cannot depend on ari-sim, so the chapter's `rust,ignore`
//! blocks live here too, each the body of one test, copied verbatim (indented one level).
//! Change a block in both places.

/// What each test returns: the guide's blocks end in `Ok(())` and use `?`.
type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A first test: a call to 7000 is answered, hears hello-world and is hung up.
#[tokio::test]
async fn a_call_to_7000_is_answered_and_hears_hello_world() -> TestResult {
    use std::time::Duration;

    use ari_sdk::Played;
    use ari_sim::Simulator;

    // A simulator of its own: an ephemeral port on 127.0.0.1, users hey/peekaboo and ro/ro,
    // and the walkthrough's dialplan (7000 runs Stasis(hello,world)).
    let sim = Simulator::start().await?;
    let client = sim.client();
    let mut calls = client.calls(["hello"]).connect().await?;

    // A phone, PJSIP/100, dials 7000: the id is the channel the application gets.
    let id = sim.control().call("7000")?;
    let mut call = tokio::time::timeout(Duration::from_secs(5), calls.next())
        .await?
        .ok_or("the call stream ended")??;
    assert_eq!(call.id(), id);
    assert_eq!(call.args(), ["world"]);

    call.channel().answer().await?;
    assert_eq!(call.play("sound:hello-world").await?, Played::Finished);
    call.channel().hangup().await?;
    // Nothing left behind.
    assert!(sim.control().channel_ids().is_empty());
    Ok(())
}

/// Playing the caller: a menu choice, digits, and a hang-up in the middle of a prompt.
#[tokio::test]
async fn the_caller_chooses_enters_digits_and_hangs_up() -> TestResult {
    use std::time::Duration;

    use ari_sdk::{DigitsEnd, MenuChoice, Played};
    use ari_sim::Simulator;

    let sim = Simulator::start().await?;
    let client = sim.client();
    let mut calls = client.calls(["hello"]).connect().await?;
    let id = sim.control().call("7000")?;
    let mut call = tokio::time::timeout(Duration::from_secs(5), calls.next())
        .await?
        .ok_or("the call stream ended")??;
    call.channel().answer().await?;

    // The caller presses 2 while the menu's prompt plays: barge-in stops the prompt.
    sim.control().press(&id, "2")?;
    let choice = call.menu("sound:hello-world").choices(["1", "2"]).await?;
    assert_eq!(choice, MenuChoice::Chosen("2".to_owned()));

    // Then an account number, ended with #.
    sim.control().press(&id, "1234#")?;
    let digits = call.collect_digits().await?;
    assert_eq!(digits.digits, "1234");
    assert_eq!(digits.end, DigitsEnd::Terminator('#'));

    // And hangs up 100 ms into the goodbye.
    let control = sim.control().clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        control.hangup(&id)
    });
    assert_eq!(call.play("sound:vm-goodbye").await?, Played::CallerGone);
    assert!(call.is_gone());
    Ok(())
}

/// Configuring the simulator: a dialplan of its own, and a call from another phone.
#[tokio::test]
async fn a_dialplan_of_its_own_and_another_phone() -> TestResult {
    use std::time::Duration;

    use ari_sdk::ChannelState;
    use ari_sim::{Dialplan, Simulator};

    let plan = Dialplan::parse(
        "[default]\n\
         exten => 8000,1,Answer()\n\
         same => n,Stasis(ivr,sales)\n",
    )?;
    let sim = Simulator::builder().dialplan(plan).start().await?;
    let client = sim.client();
    let mut calls = client.calls(["ivr"]).connect().await?;

    let id = sim.control().call_from("200", "8000", "default")?;
    let call = tokio::time::timeout(Duration::from_secs(5), calls.next())
        .await?
        .ok_or("the call stream ended")??;
    assert_eq!(call.id(), id);
    assert_eq!(call.args(), ["sales"]);
    assert_eq!(call.start().channel.caller.number, "200");
    // The dialplan answered before Stasis.
    assert_eq!(call.start().channel.state, ChannelState::Up);
    call.channel().hangup().await?;
    Ok(())
}

/// The same test against a real Asterisk (`ARI_E2E_URL`), or the simulator without one.
#[tokio::test]
async fn the_same_test_on_a_real_asterisk_or_the_simulator() -> TestResult {
    use std::time::Duration;

    use ari_sdk::{Client, DigitsEnd, Played};
    use ari_sim::Simulator;

    let wait = Duration::from_secs(10);
    let sim;
    let client = match std::env::var("ARI_E2E_URL") {
        Ok(url) => Client::builder(url).basic_auth("hey", "peekaboo").build()?,
        Err(_) => {
            sim = Simulator::start().await?;
            sim.client()
        }
    };
    let mut calls = client.calls(["hello"]).connect().await?;
    let _phone = client.events(["phone"]).connect().await?;
    let dialed = client
        .channels()
        .originate("Local/7000@default")
        .app("phone")
        .await?;
    let mut call = tokio::time::timeout(wait, calls.next())
        .await?
        .ok_or("the call stream ended")??;
    call.channel().answer().await?;
    // Answered, the near half enters `phone`: the caller's side of the call.
    let caller = dialed.into_call(wait).await?;
    assert_eq!(call.play("sound:hello-world").await?, Played::Finished);
    caller.channel().send_dtmf("42#").await?;
    let digits = call.collect_digits().await?;
    assert_eq!(digits.digits, "42");
    assert_eq!(digits.end, DigitsEnd::Terminator('#'));
    call.channel().hangup().await?;
    Ok(())
}
