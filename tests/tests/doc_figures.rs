//! The figures the documents state (defaults, buffer sizes, timeouts) are the SDK's own
//! constants (`ari-sdk/src/defaults.rs`), ari-media's and the simulator's defaults: each statement below is looked for, with the
//! constant's current value, in the document that makes it. Changing a default without the
//! text, or the text without the default, fails here.

use std::path::Path;
use std::time::Duration;

/// A figure as the documents write it: `30 s`, `250 ms`.
fn duration(value: Duration) -> String {
    if value.subsec_millis() == 0 {
        format!("{} s", value.as_secs())
    } else {
        format!("{} ms", value.as_millis())
    }
}

/// A count as the documents write it: `256`, `4,096`.
fn count(value: usize) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Runs of whitespace as one space, so that a statement may wrap anywhere.
fn flatten(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// (document, statement) with the constants' values in place.
fn statements() -> Vec<(&'static str, String)> {
    use ari_sdk::*;
    vec![
        (
            "README.md",
            format!(
                "`collect_digits()` (defaults: up to {} digits, `{}` ends, {} for the first digit, {} between digits)",
                DEFAULT_MAX_DIGITS,
                DEFAULT_TERMINATORS,
                duration(DEFAULT_FIRST_DIGIT_TIMEOUT),
                duration(DEFAULT_BETWEEN_DIGITS_TIMEOUT)
            ),
        ),
        (
            "README.md",
            format!(
                "its `attempts`, default {}, waits {} for a first digit after the prompt and {} between digits",
                DEFAULT_MENU_ATTEMPTS,
                duration(DEFAULT_FIRST_DIGIT_TIMEOUT),
                duration(DEFAULT_BETWEEN_DIGITS_TIMEOUT)
            ),
        ),
        (
            "README.md",
            format!(
                "(default {}; more wait their turn)",
                count(DEFAULT_MAX_CONNECTIONS)
            ),
        ),
        (
            "README.md",
            format!(
                "drops idle connections after `idle_timeout` ({})",
                duration(DEFAULT_IDLE_TIMEOUT)
            ),
        ),
        (
            "RELIABILITY.md",
            format!(
                "({} items for an event or call stream, {} for a per-resource stream, both configurable)",
                count(DEFAULT_EVENT_BUFFER),
                count(DEFAULT_RESOURCE_BUFFER)
            ),
        ),
        (
            "ari-sdk/src/guide/errors.md",
            format!("the body (cut to {}", kib(ERROR_QUOTE_LIMIT)),
        ),
        (
            "ari-sdk/src/guide/observability.md",
            format!("each cut to {}", kib(ERROR_QUOTE_LIMIT)),
        ),
        (
            "ari-sdk/src/guide/errors.md",
            format!(
                "at most {} ([`UNSENT_REQUEST_RETRIES`]",
                times(UNSENT_REQUEST_RETRIES)
            ),
        ),
        // The simulator's own figures.
        (
            "ari-sdk/src/guide/testing.md",
            format!(
                "presses keys on that phone, {} apart",
                duration(ari_sim::control::KEY_PRESS_INTERVAL)
            ),
        ),
        (
            "ari-sdk/src/guide/testing.md",
            format!(
                "how long every sound \"plays\" (default {}); `answer_delay(d)`: how long a simulated phone rings before it answers an originate (default {})",
                duration(sim_timing().media),
                duration(sim_timing().answer_delay)
            ),
        ),
        (
            "ari-sdk/src/guide/testing.md",
            format!(
                "the {} that `Answer()` waits for media",
                duration(sim_timing().answer_wait)
            ),
        ),
        (
            "README.md",
            format!(
                "the dialplan's `Answer()` ending its {} wait for media",
                duration(sim_timing().answer_wait)
            ),
        ),
        (
            "README.md",
            format!(
                "`sessionlimit` {}, `session_keep_alive` {}, `session_inactivity` {} by default",
                sim_sessions().limit,
                duration(sim_sessions().keep_alive),
                duration(sim_sessions().inactivity)
            ),
        ),
        (
            "ari-sim/src/lib.rs",
            format!(
                "How long each sound \"plays\" (default {}).",
                duration(sim_timing().media)
            ),
        ),
        (
            "ari-sim/src/lib.rs",
            format!(
                "How long a simulated phone rings before answering (default {}).",
                duration(sim_timing().answer_delay)
            ),
        ),
        // ari-media's defaults.
        (
            "README.md",
            format!(
                "paced at real time, up to {} queued",
                duration(ari_media::DEFAULT_SEND_BUFFER)
            ),
        ),
        (
            "README.md",
            format!(
                "cuts it into {} frames (`.frame(d)`)",
                duration(ari_media::DEFAULT_FRAME)
            ),
        ),
        (
            "README.md",
            format!(
                "reader up to {} items (`.receive_buffer(n)`)",
                count(ari_media::DEFAULT_RECEIVE_BUFFER)
            ),
        ),
        (
            "README.md",
            format!(
                "it waits while {} is queued (`.send_buffer(d)`)",
                duration(ari_media::DEFAULT_SEND_BUFFER)
            ),
        ),
        (
            "RELIABILITY.md",
            format!(
                "the send queue holds {} by default",
                duration(ari_media::DEFAULT_SEND_BUFFER)
            ),
        ),
    ]
}

fn sim_timing() -> ari_sim::Timing {
    ari_sim::Timing::default()
}

fn sim_sessions() -> ari_sim::SessionLimits {
    ari_sim::SessionLimits::default()
}

/// A size in KiB as the documents write it: `1 KiB`.
fn kib(bytes: usize) -> String {
    assert_eq!(bytes % 1024, 0, "{bytes} is not a whole number of KiB");
    format!("{} KiB", bytes / 1024)
}

/// A count of times: `once`, `twice`, `3 times`.
fn times(count: u32) -> String {
    match count {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        n => format!("{n} times"),
    }
}

#[test]
fn every_stated_figure_is_the_constant() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut wrong = Vec::new();
    for (document, statement) in statements() {
        let text = std::fs::read_to_string(root.join(document)).expect(document);
        if !flatten(&text).contains(&flatten(&statement)) {
            wrong.push(format!("{document}: expected \"{statement}\""));
        }
    }
    assert!(
        wrong.is_empty(),
        "documents state figures that are not the SDK's defaults (or were reworded; update \
         tests/tests/doc_figures.rs with them):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn figures_are_written_as_the_documents_write_them() {
    assert_eq!(count(4096), "4,096");
    assert_eq!(count(256), "256");
    assert_eq!(count(1_000_000), "1,000,000");
    assert_eq!(duration(Duration::from_secs(30)), "30 s");
    assert_eq!(duration(Duration::from_millis(250)), "250 ms");
    assert_eq!(kib(1024), "1 KiB");
    assert_eq!(times(2), "twice");
}
