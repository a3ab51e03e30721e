//! The `ignore` examples of the guide's observability chapter
//! (`ari-sdk/src/guide/observability.md`), each copied verbatim into a test body:
//! tracing-subscriber is no dependency of ari-sdk, so rustdoc cannot compile them there.
//! Change one and the other together.
//!
//! Only the first installs a global subscriber (one per test binary); the second uses a
//! thread-scoped one, as the chapter recommends for `#[tokio::test]`.

/// "Seeing them": the subscriber an application installs at the start of `main`, then a
/// request and a failed one, which it prints.
#[tokio::test]
async fn the_subscriber_for_main_shows_the_requests() -> Result<(), Box<dyn std::error::Error>> {
    // --- observability.md, first `ignore` block, verbatim ---
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::prelude::*;

    // The SDK at DEBUG (every request), everything else at INFO.
    let filter = Targets::new()
        .with_target("ari_sdk", tracing::Level::DEBUG)
        .with_default(tracing::Level::INFO);
    tracing_subscriber::registry()
        // CLOSE: one more line when each request's span ends, with its busy and idle time.
        .with(tracing_subscriber::fmt::layer().with_span_events(FmtSpan::CLOSE))
        .with(filter)
        .init();
    // --- end of the block ---

    let sim = ari_sim::Simulator::start().await?;
    let client = sim.client();
    let _events = client.events(["hello"]).connect().await?;
    client.channels().list().await?;
    let error = client
        .channel("no-such-channel")
        .hangup()
        .await
        .unwrap_err();
    assert!(error.is_gone());
    Ok(())
}

/// "Seeing them", in tests: a thread-scoped subscriber writing to the test's output.
#[tokio::test]
async fn a_test_sends_the_lines_to_its_output() -> Result<(), Box<dyn std::error::Error>> {
    // --- observability.md, second `ignore` block, verbatim ---
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_test_writer()
        .finish();
    let _logs = tracing::subscriber::set_default(subscriber);

    let sim = ari_sim::Simulator::start().await?;
    let client = sim.client();
    let error = client
        .channel("no-such-channel")
        .hangup()
        .await
        .unwrap_err();
    assert!(error.is_gone());
    // --- end of the block ---
    Ok(())
}
