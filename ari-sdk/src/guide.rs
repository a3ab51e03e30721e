//! The guide: how to build an ARI application with this crate, one chapter per module.
//!
//! Read them in order the first time. Examples that need a server are compiled here and run
//! against the simulator by the project's tests (`tests/tests/guide_examples.rs`), so what
//! they show is what the SDK does.
//!
//! 1. [Getting started](getting_started): the walkthrough in ten lines.
//! 2. [Events and per-resource streams](events).
//! 3. [Waiting without races](waiting).
//! 4. [Errors and retries](errors): what failed, and what is safe to send again.
//! 5. [Versions and features](versions): release lines, your own api-docs, newer servers.
//! 6. [The two newer transports](transports): REST over the WebSocket, Asterisk connecting to you.
//! 7. [Testing with the simulator](testing).
//! 8. [Observability](observability): tracing spans and what they carry.

/// Chapters are Markdown files beside this module (`src/guide/<chapter>.md`), so they read
/// well in an editor and in rustdoc alike.
macro_rules! chapter {
    ($name:ident, $file:literal) => {
        #[doc = include_str!($file)]
        pub mod $name {}
    };
}

chapter!(getting_started, "guide/getting_started.md");
chapter!(events, "guide/events.md");
chapter!(waiting, "guide/waiting.md");
chapter!(errors, "guide/errors.md");
chapter!(versions, "guide/versions.md");
chapter!(transports, "guide/transports.md");
chapter!(testing, "guide/testing.md");
chapter!(observability, "guide/observability.md");
