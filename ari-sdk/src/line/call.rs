// Calls: a channel in your Stasis application (see the module docs in lib.rs's
// `line_runtime!`). Compiled into each release line module that supports calls: paths
// through `super::` reach that line's generated types.

mod calls {
    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/line/calls.rs"));
}
mod cleanup {
    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/line/cleanup.rs"));
}
mod digits {
    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/line/digits.rs"));
}
mod menu {
    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/line/menu.rs"));
}
mod prompt {
    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/line/prompt.rs"));
}
mod record {
    include!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/line/record.rs"));
}

use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use tokio::time::Instant;

pub use calls::{Calls, CallsBuilder, CallsItem};
pub use digits::{CollectDigits, Digits, DigitsEnd};
pub use menu::{Menu, MenuChoice};
pub use prompt::{Played, Prompt};
pub use record::{Record, Recorded};

use super::ResourceEvents;
use super::events::{Event, StasisStart};
use super::handles::ChannelHandle;
use crate::{Client, Error, Result};

/// A channel in your application: what its `StasisStart` said, a handle to act on it,
/// and its events from the moment it arrived (nothing after `StasisStart` is missed,
/// however late the application reads).
///
/// Get one from `client.calls(..)` for incoming calls, or from
/// `Watched::into_call` for a channel you originated. Move it
/// into a task of its own. The helpers ([`play`](Self::play),
/// [`collect_digits`](Self::collect_digits), [`menu`](Self::menu),
/// [`record`](Self::record)) read the call's events themselves and keep digits the caller
/// types ahead for the next helper; each reports the caller leaving as an outcome, not an
/// error, and stops its playback or recording when the call ends or its future is dropped.
pub struct Call {
    client: Client,
    start: Box<StasisStart>,
    channel: ChannelHandle,
    events: ResourceEvents,
    ended: CallEnded,
    /// Digits received and not yet used by a helper.
    typed_ahead: VecDeque<char>,
    /// What ended the call for this application (an event type), once seen.
    gone: Option<String>,
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("channel", &self.start.channel.id)
            .field("application", &self.start.application)
            .field("args", &self.start.args)
            .field("gone", &self.gone)
            .finish()
    }
}

/// What a helper read from the call's events.
pub(crate) enum Step {
    /// A digit, now at the end of the typed-ahead digits.
    Digit,
    /// The caller hung up or the channel left the application.
    Gone,
    /// The deadline passed.
    TimedOut,
    Event(Event),
}

/// For an event that means the channel is leaving this application, its type.
fn is_departure(event: &Event) -> Option<String> {
    event.is_hangup().then(|| event.type_name().to_owned())
}

impl Call {
    pub(crate) fn new(client: Client, start: Box<StasisStart>, events: ResourceEvents) -> Call {
        let ended = CallEnded {
            signal: events.ended_signal(),
        };
        Call {
            channel: ChannelHandle::new(client.clone(), start.channel.id.clone()),
            client,
            start,
            events,
            ended,
            typed_ahead: VecDeque::new(),
            gone: None,
        }
    }

    /// The channel's id.
    pub fn id(&self) -> &str {
        &self.start.channel.id
    }
    /// A handle on the channel: `call.channel().answer().await?`.
    pub fn channel(&self) -> &ChannelHandle {
        &self.channel
    }
    /// The client the call came through.
    pub fn client(&self) -> &Client {
        &self.client
    }
    /// The `StasisStart` that brought the channel in (the channel as it was then, the
    /// application, and the dialplan's arguments).
    pub fn start(&self) -> &StasisStart {
        &self.start
    }
    /// The arguments of `Stasis(app, args...)` in the dialplan.
    pub fn args(&self) -> &[String] {
        &self.start.args
    }
    /// The application the call is in.
    pub fn application(&self) -> &str {
        &self.start.application
    }

    /// The next event of the call, as the helpers see them (`None` once the channel left
    /// the application). Digits read here are yours: they do not go to the typed-ahead
    /// digits.
    pub async fn next_event(&mut self) -> Option<Result<Event>> {
        let item = self.events.next().await;
        match &item {
            Some(Ok(event)) => {
                if let Some(departure) = is_departure(event) {
                    self.gone.get_or_insert(departure);
                }
            }
            None => {
                self.gone
                    .get_or_insert_with(|| "end of the call's events".to_owned());
            }
            Some(Err(_)) => {}
        }
        item
    }

    /// The call's event stream itself, for `select!` or stream combinators. Reading it
    /// directly bypasses the typed-ahead digits and the caller-gone bookkeeping of the
    /// helpers.
    pub fn events(&mut self) -> &mut ResourceEvents {
        &mut self.events
    }

    /// Resolves when the call leaves the application (`StasisEnd`, the channel destroyed,
    /// the event connection closed for good) or the `Call` is dropped. Clone it into
    /// other tasks; `select!` on it to drop what belongs to the call.
    pub fn ended(&self) -> CallEnded {
        self.ended.clone()
    }

    /// Whether the helpers have seen the caller hang up or leave the application.
    pub fn is_gone(&self) -> bool {
        self.gone.is_some()
    }

    /// Digits the caller pressed that no helper used yet (type-ahead), oldest first.
    pub fn typed_ahead(&self) -> String {
        self.typed_ahead.iter().collect()
    }

    /// Takes the typed-ahead digits, leaving none.
    pub fn take_typed_ahead(&mut self) -> String {
        self.typed_ahead.drain(..).collect()
    }

    /// Plays one media URI or several in sequence (`"sound:hello-world"`,
    /// `["sound:a", "digits:42"]`) and waits for the end; `.barge_in(true)` stops it at
    /// the first digit. See [`Prompt`] (not the `channels::Play` request, which answers with the playback to wait on yourself).
    pub fn play(&mut self, media: impl crate::IntoStrings) -> Prompt<'_> {
        Prompt::new(self, media.into_strings())
    }

    /// Collects digits: see [`CollectDigits`] for the limits (defaults: 1 to 16 digits,
    /// `#` ends, 5 s for the first digit, 3 s between digits).
    pub fn collect_digits(&mut self) -> CollectDigits<'_> {
        CollectDigits::new(self)
    }

    /// A menu: prompt, collect, match against the choices, retry on invalid input or
    /// silence, give up after a number of attempts. See [`Menu`].
    pub fn menu(&mut self, prompt: impl crate::IntoStrings) -> Menu<'_> {
        Menu::new(self, prompt.into_strings())
    }

    /// Records the caller into the stored recording `name` (WAV unless `.format(..)`),
    /// with a beep, a maximum duration and silence, and `#` to stop. See [`Record`].
    pub fn record(&mut self, name: impl Into<String>) -> Record<'_> {
        Record::new(self, name.into())
    }

    /// Reads one event for a helper until `deadline`: digits go to the typed-ahead
    /// digits, a departure marks the call gone.
    pub(crate) async fn step(&mut self, deadline: Option<Instant>) -> Result<Step> {
        if self.gone.is_some() {
            return Ok(Step::Gone);
        }
        let next = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, self.events.next()).await {
                Ok(next) => next,
                Err(_) => return Ok(Step::TimedOut),
            },
            None => self.events.next().await,
        };
        match next {
            None => {
                self.gone = Some("end of the call's events".to_owned());
                Ok(Step::Gone)
            }
            Some(Err(error)) => Err(error),
            Some(Ok(Event::ChannelDtmfReceived(e))) => {
                self.typed_ahead.extend(e.digit.chars());
                Ok(Step::Digit)
            }
            Some(Ok(event)) => match is_departure(&event) {
                Some(departure) => {
                    self.gone = Some(departure);
                    Ok(Step::Gone)
                }
                None => Ok(Step::Event(event)),
            },
        }
    }

    /// Marks the call gone when a request failed because the channel is no longer there.
    pub(crate) fn note_error(&mut self, error: &Error) {
        if error.is_gone() {
            self.gone
                .get_or_insert_with(|| "a request answered that the channel is gone".to_owned());
        }
    }
}

/// The end of a call, as a future: resolves once the call left the application (or its
/// [`Call`] was dropped). Cheap to clone.
#[derive(Debug, Clone)]
pub struct CallEnded {
    signal: Option<tokio::sync::watch::Receiver<bool>>,
}

impl CallEnded {
    /// Whether the call has ended.
    pub fn is_ended(&self) -> bool {
        match &self.signal {
            Some(signal) => *signal.borrow() || signal.has_changed().is_err(),
            None => true,
        }
    }

    /// Waits for the end.
    pub async fn wait(&self) {
        if let Some(signal) = &self.signal {
            let mut signal = signal.clone();
            // An error means the sender is gone: the call was dropped, which ends it too.
            let _ = signal.wait_for(|ended| *ended).await;
        }
    }
}

impl IntoFuture for CallEnded {
    type Output = ();
    type IntoFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.wait().await })
    }
}

/// A deadline `after` from now, for helpers' timeouts.
pub(crate) fn deadline(after: Duration) -> Instant {
    Instant::now() + after
}
