// Playing prompts to a call, with barge-in.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use super::super::events::Event;
use super::super::models::PlaybackState;
use super::cleanup::{Started, StopOnDrop};
use super::{Call, Step, deadline};
use crate::{Error, Result};

/// How long a helper waits for Asterisk to confirm a stopped playback ended.
const STOP_CONFIRMATION: Duration = Duration::from_secs(2);

/// How a prompt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Played {
    /// Every media URI played to its end.
    Finished,
    /// The caller pressed `digit` (barge-in): the playback was stopped. The digit, and any
    /// that followed, stay typed ahead for the next helper.
    Interrupted {
        /// The first digit pressed.
        digit: char,
    },
    /// The caller hung up or the channel left the application.
    CallerGone,
}

/// A prompt: [`Call::play`]. `.await` plays it and waits for the end.
///
/// Without barge-in, digits pressed during the prompt are kept typed ahead. With
/// barge-in, a digit stops it, and a prompt whose caller already typed ahead is not
/// played at all. A media URI Asterisk cannot play (a missing sound file) is an
/// [`Error::Failed`] naming it. The wait is bounded by the media's length and the call's
/// life; `.timeout(d)` bounds it further ([`Error::WaitTimedOut`], the playback stopped).
pub struct Prompt<'a> {
    call: &'a mut Call,
    media: Vec<String>,
    barge_in: bool,
    lang: Option<String>,
    timeout: Option<Duration>,
}

impl<'a> Prompt<'a> {
    pub(crate) fn new(call: &'a mut Call, media: Vec<String>) -> Prompt<'a> {
        Prompt {
            call,
            media,
            barge_in: false,
            lang: None,
            timeout: None,
        }
    }
    /// Stop at the first digit (default: no).
    pub fn barge_in(mut self, barge_in: bool) -> Self {
        self.barge_in = barge_in;
        self
    }
    /// The language of `sound:` media (default: the channel's).
    pub fn lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }
    /// The longest the prompt may take.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    async fn run(self) -> Result<Played> {
        let Prompt {
            call,
            media,
            barge_in,
            lang,
            timeout,
        } = self;
        if call.is_gone() {
            return Ok(Played::CallerGone);
        }
        match call.typed_ahead.front() {
            Some(&digit) if barge_in => return Ok(Played::Interrupted { digit }),
            _ => {}
        }
        let what = format!("playback of {}", media.join(", "));
        let mut request = call.channel.play(media);
        if let Some(lang) = lang {
            request = request.lang(lang);
        }
        let playback = match request.await {
            Ok(playback) => playback.into_inner(),
            Err(error) if error.is_gone() => {
                call.note_error(&error);
                return Ok(Played::CallerGone);
            }
            Err(error) => return Err(error),
        };
        let mut guard = StopOnDrop::new(&call.client, Started::Playback, playback.id);
        let until = timeout.map(deadline);
        loop {
            match call.step(until).await? {
                Step::Digit if barge_in => {
                    let digit = call.typed_ahead.front().copied().unwrap_or_default();
                    guard.stop().await;
                    wait_finished(call, guard.id()).await?;
                    return Ok(Played::Interrupted { digit });
                }
                Step::Digit => {}
                Step::Gone => {
                    // Asterisk ends the playback with the channel.
                    guard.disarm();
                    return Ok(Played::CallerGone);
                }
                Step::TimedOut => {
                    guard.stop().await;
                    return Err(Error::WaitTimedOut {
                        what,
                        timeout: timeout.unwrap_or_default(),
                    });
                }
                Step::Event(Event::PlaybackFinished(e)) if e.playback.id == guard.id() => {
                    guard.disarm();
                    if e.playback.state != PlaybackState::Failed {
                        return Ok(Played::Finished);
                    }
                    return failed(call, what).await;
                }
                Step::Event(_) => {}
            }
        }
    }
}

/// A playback ended `failed`: because the channel left (the caller is gone), or because
/// Asterisk could not play the media (an error naming it).
pub(crate) async fn failed(call: &mut Call, what: String) -> Result<Played> {
    let target = format!("channel:{}", call.id());
    match super::super::waits::playback_failure(&call.client, &target, what).await {
        Error::Gone { .. } => {
            call.gone
                .get_or_insert_with(|| "the playback failed: the channel is gone".to_owned());
            Ok(Played::CallerGone)
        }
        _ if call.is_gone() => Ok(Played::CallerGone),
        error => Err(error),
    }
}

/// After stopping a playback: reads the call's events until its `PlaybackFinished` (so the
/// next prompt does not queue behind it), keeping digits, for at most a short while.
async fn wait_finished(call: &mut Call, id: &str) -> Result<()> {
    let until = deadline(STOP_CONFIRMATION);
    loop {
        match call.step(Some(until)).await? {
            Step::Event(Event::PlaybackFinished(e)) if e.playback.id == id => return Ok(()),
            Step::Gone | Step::TimedOut => return Ok(()),
            Step::Digit | Step::Event(_) => {}
        }
    }
}

impl<'a> IntoFuture for Prompt<'a> {
    type Output = Result<Played>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Played>> + Send + 'a>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
