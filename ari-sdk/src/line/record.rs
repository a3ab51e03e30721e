// Recording the caller.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::time::Duration;

use super::super::events::Event;
use super::super::models::{LiveRecording, RecordTerminateOn};
use super::cleanup::{Started, StopOnDrop};
use super::{Call, Step, deadline};
use crate::{Error, Result};

/// How long a recording may take to be reported finished after its channel left.
const FINISH_AFTER_HANGUP: Duration = Duration::from_secs(3);

/// How a recording ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Recorded {
    /// Stopped by the terminator digit, the maximum duration or silence: the recording is
    /// stored under its name (`client.stored_recording(&recording.name)`).
    Completed {
        /// The recording as `RecordingFinished` reported it.
        recording: LiveRecording,
    },
    /// The caller hung up while recording. Asterisk keeps what was recorded: the final
    /// recording when it was reported in time, else `None`.
    CallerGone {
        /// The final recording, when Asterisk reported it in time.
        recording: Option<LiveRecording>,
    },
}

/// A recording: [`Call::record`]. `.await` records and waits for the end.
///
/// Defaults: WAV, a beep first, `#` stops, at most
/// [`DEFAULT_RECORD_MAX_DURATION`](crate::DEFAULT_RECORD_MAX_DURATION),
/// [`DEFAULT_RECORD_MAX_SILENCE`](crate::DEFAULT_RECORD_MAX_SILENCE) of silence stops, fails
/// if a recording of that name exists. A failed recording is [`Error::Failed`] with
/// Asterisk's cause. The wait is bounded by the maximum duration (plus a few seconds for
/// Asterisk to report the end); without a maximum, by the call's life.
///
/// On Asterisk the beep takes about half a second before recording starts, and the
/// reported `duration` is whole seconds of what was kept, so it can be below the maximum
/// (silence trimmed at the end). A channel that sends no audio (the near half of a Local
/// channel with nothing playing into the call) gives an empty file Asterisk cannot play
/// back: check `duration` before playing `recording:NAME`. The simulator records a silent
/// file of the full length.
pub struct Record<'a> {
    call: &'a mut Call,
    name: String,
    format: String,
    beep: bool,
    max_duration: Option<Duration>,
    max_silence: Option<Duration>,
    terminate_on: RecordTerminateOn,
    overwrite: bool,
}

impl<'a> Record<'a> {
    pub(crate) fn new(call: &'a mut Call, name: String) -> Record<'a> {
        Record {
            call,
            name,
            format: "wav".to_owned(),
            beep: true,
            max_duration: Some(crate::DEFAULT_RECORD_MAX_DURATION),
            max_silence: Some(crate::DEFAULT_RECORD_MAX_SILENCE),
            terminate_on: RecordTerminateOn::Hash,
            overwrite: false,
        }
    }
    /// The file format (`wav`, `gsm`, `ulaw`, ...).
    pub fn format(mut self, format: impl Into<String>) -> Self {
        self.format = format.into();
        self
    }
    /// Beep before recording (default yes).
    pub fn beep(mut self, beep: bool) -> Self {
        self.beep = beep;
        self
    }
    /// The longest recording, whole seconds (`None`: no limit; default
    /// [`DEFAULT_RECORD_MAX_DURATION`](crate::DEFAULT_RECORD_MAX_DURATION)).
    pub fn max_duration(mut self, limit: Option<Duration>) -> Self {
        self.max_duration = limit;
        self
    }
    /// Silence that ends the recording, whole seconds (`None`: silence never ends it;
    /// default [`DEFAULT_RECORD_MAX_SILENCE`](crate::DEFAULT_RECORD_MAX_SILENCE)).
    pub fn max_silence(mut self, limit: Option<Duration>) -> Self {
        self.max_silence = limit;
        self
    }
    /// The digit(s) that stop the recording (default `#`).
    pub fn terminate_on(mut self, on: RecordTerminateOn) -> Self {
        self.terminate_on = on;
        self
    }
    /// Replace a stored recording of the same name (default: fail).
    pub fn overwrite(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    async fn run(self) -> Result<Recorded> {
        let Record {
            call,
            name,
            format,
            beep,
            max_duration,
            max_silence,
            terminate_on,
            overwrite,
        } = self;
        if call.is_gone() {
            return Ok(Recorded::CallerGone { recording: None });
        }
        let mut request = call
            .channel
            .record(name.clone(), format)
            .beep(beep)
            .terminate_on(terminate_on.clone())
            .if_exists(if overwrite { "overwrite" } else { "fail" });
        if let Some(limit) = max_duration {
            request = request.max_duration_seconds(whole_seconds(limit));
        }
        if let Some(limit) = max_silence {
            request = request.max_silence_seconds(whole_seconds(limit));
        }
        let mut recording = match request.await {
            Ok(recording) => recording,
            Err(error) if error.is_gone() => {
                call.note_error(&error);
                return Ok(Recorded::CallerGone { recording: None });
            }
            Err(error) => return Err(error),
        };
        let mut guard = StopOnDrop::new(&call.client, Started::Recording, name.clone());
        // The recording's own stream outlives the channel's: its end after a hang-up
        // arrives there.
        let own = recording.events();
        let until = max_duration.map(|limit| deadline(limit + FINISH_AFTER_HANGUP * 2));
        loop {
            let step = call.step(until).await?;
            let event = match step {
                Step::Event(event) => event,
                Step::Digit => {
                    // The terminator is Asterisk's; other digits stay typed ahead.
                    call.typed_ahead.retain(|d| !stops(&terminate_on, *d));
                    continue;
                }
                Step::Gone => {
                    guard.disarm();
                    let last = finished_later(own, &name).await;
                    return Ok(Recorded::CallerGone { recording: last });
                }
                Step::TimedOut => {
                    guard.stop().await;
                    return Err(Error::WaitTimedOut {
                        what: format!("recording {name}"),
                        timeout: max_duration.unwrap_or_default() + FINISH_AFTER_HANGUP * 2,
                    });
                }
            };
            match event {
                Event::RecordingFinished(e) if e.recording.name == name => {
                    guard.disarm();
                    return Ok(Recorded::Completed {
                        recording: e.recording,
                    });
                }
                Event::RecordingFailed(e) if e.recording.name == name => {
                    guard.disarm();
                    if call.is_gone() {
                        return Ok(Recorded::CallerGone { recording: None });
                    }
                    return Err(Error::Failed {
                        what: format!("recording {name}"),
                        reason: e
                            .recording
                            .cause
                            .unwrap_or_else(|| "RecordingFailed".to_owned()),
                    });
                }
                _ => {}
            }
        }
    }
}

fn whole_seconds(limit: Duration) -> i64 {
    i64::try_from(limit.as_secs().max(1)).unwrap_or(i64::MAX)
}

fn stops(on: &RecordTerminateOn, digit: char) -> bool {
    match on {
        RecordTerminateOn::Any => true,
        RecordTerminateOn::Star => digit == '*',
        RecordTerminateOn::Hash => digit == '#',
        _ => false,
    }
}

/// The recording's final state when it is reported shortly after the channel left.
async fn finished_later(
    events: &mut super::super::ResourceEvents,
    name: &str,
) -> Option<LiveRecording> {
    let wait = async {
        while let Some(item) = events.next().await {
            match item {
                Ok(Event::RecordingFinished(e)) if e.recording.name == name => {
                    return Some(e.recording);
                }
                Ok(Event::RecordingFailed(_)) => return None,
                _ => {}
            }
        }
        None
    };
    tokio::time::timeout(FINISH_AFTER_HANGUP, wait)
        .await
        .ok()
        .flatten()
}

impl<'a> IntoFuture for Record<'a> {
    type Output = Result<Recorded>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Recorded>> + Send + 'a>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
