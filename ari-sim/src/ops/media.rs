//! Playbacks and recordings: queued, then playing or recording on simulated time, with
//! their events; stored recordings with a small valid WAV file.
//!
//! Playbacks follow Asterisk 22's `res_stasis_playback`: a target plays one playback at
//! a time, the others wait in order (`queued`); each media item reports
//! `PlaybackStarted` as it is reached. A sound that does not exist fails (`failed`, or
//! `PlaybackContinuing` to the next item); an item Asterisk cannot play at all (no or
//! an unknown scheme, a missing stored recording, a `number:` that is none) is skipped
//! without a word, so a playback ending with one never reports `PlaybackFinished`. When
//! the channel hangs up, the playing item fails and each queued playback starts and
//! fails at once; when a bridge goes, its playbacks vanish unreported.

use std::time::Instant;

use ari_sdk::{
    LiveRecording, LiveRecordingState, Playback, PlaybackState as State, StoredRecording,
};
use serde_json::json;

use crate::params::Params;
use crate::reply::{Reply, Result};
use crate::world::{
    AfterMedia, PlaybackState, RecordingState, Shared, World, lock, object, to_value, uuid,
};

/// What Asterisk does on reaching a media item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    /// Plays for the simulated media time, and can be controlled.
    Plays,
    /// Plays for the simulated media time; stop and the other controls fail
    /// (`number:`, `digits:`, `characters:` are spoken, not streamed).
    Spoken,
    /// Plays until stopped (`tone:`).
    Endless,
    /// A sound file that does not exist: the item fails.
    Missing,
    /// Nothing Asterisk can play: skipped without an event.
    Skipped,
}

impl Item {
    fn of(world: &World, uri: &str) -> Item {
        match uri.split_once(':') {
            Some(("sound", name)) if super::system::sound_exists(name) => Item::Plays,
            Some(("sound", _)) => Item::Missing,
            Some(("recording", name)) if world.stored_recordings.contains_key(name) => Item::Plays,
            Some(("number", n)) if is_number(n) => Item::Spoken,
            Some(("digits" | "characters", _)) => Item::Spoken,
            Some(("tone", _)) => Item::Endless,
            _ => Item::Skipped,
        }
    }

    fn controllable(self) -> bool {
        matches!(self, Item::Plays | Item::Endless)
    }
}

/// Whether `number:` text starts with an integer, as Asterisk's `sscanf("%d")` wants.
fn is_number(text: &str) -> bool {
    let text = text.trim_start();
    let text = text.strip_prefix(['+', '-']).unwrap_or(text);
    text.starts_with(|c: char| c.is_ascii_digit())
}

impl World {
    fn playback_event(&self, id: &str, type_name: &str) {
        let Some(pb) = self.playbacks.get(id) else {
            return;
        };
        let targets = self.media_targets(&pb.model.target_uri);
        self.send(
            &targets,
            type_name,
            object(json!({ "playback": to_value(&pb.model) })),
        );
    }

    fn set_playback_state(&mut self, id: &str, state: State) {
        if let Some(pb) = self.playbacks.get_mut(id) {
            pb.model.state = state;
        }
    }

    /// Invalidates the playback's running timer; returns the new generation.
    fn bump_generation(&mut self, id: &str) -> u64 {
        self.playbacks.get_mut(id).map_or(0, |pb| {
            pb.generation += 1;
            pb.generation
        })
    }

    /// A new playback waits behind the target's others; alone, it starts once the world
    /// is released (after the answer that says `queued`).
    fn queue_playback(&mut self, id: &str, target_uri: &str) {
        let queue = self.media_queues.entry(target_uri.to_owned()).or_default();
        queue.push_back(id.to_owned());
        if queue.len() == 1 {
            self.pending_media.push((id.to_owned(), None));
        }
    }

    /// Whether the playback has not had its turn yet.
    fn waiting(pb: &PlaybackState) -> bool {
        pb.canceled || pb.model.state == State::Queued
    }

    /// The playback's turn, or its next item: `PlaybackStarted`, then the item plays
    /// (a timer), fails, or is skipped, as Asterisk's loop over the media does. On a
    /// channel that hung up nothing plays: the first item reached fails.
    fn play_items(&mut self, id: &str, hung_up: bool) {
        loop {
            let Some(pb) = self.playbacks.get(id) else {
                return;
            };
            if pb.canceled {
                // Stopped while queued: `done`, without starting.
                self.finish_playback(id, State::Done);
                return;
            }
            let item = Item::of(self, &pb.model.media_uri);
            let last = pb.queue.is_empty();
            let generation = pb.generation;
            if let Some(pb) = self.playbacks.get_mut(id) {
                pb.model.state = State::Playing;
                pb.controllable |= item.controllable();
            }
            self.playback_event(id, "PlaybackStarted");
            match item {
                Item::Plays | Item::Spoken if !hung_up => {
                    self.pending_media.push((id.to_owned(), Some(generation)));
                    return;
                }
                Item::Endless if !hung_up => return,
                Item::Skipped if last => {
                    self.end_playback(id);
                    return;
                }
                Item::Skipped => {}
                Item::Missing if !last && !hung_up => {
                    self.set_playback_state(id, State::Continuing);
                    self.playback_event(id, "PlaybackContinuing");
                }
                _ => {
                    self.finish_playback(id, State::Failed);
                    return;
                }
            }
            self.next_item(id);
        }
    }

    fn next_item(&mut self, id: &str) {
        if let Some(pb) = self.playbacks.get_mut(id) {
            if !pb.queue.is_empty() {
                pb.model.media_uri = pb.queue.remove(0);
                pb.model.next_media_uri = pb.queue.first().cloned();
            }
        }
    }

    /// An item's time is up: the next item (after `PlaybackContinuing`), or the end.
    fn item_played(&mut self, id: &str, generation: u64) {
        let more = match self.playbacks.get(id) {
            Some(pb) if pb.generation == generation && pb.model.state == State::Playing => {
                !pb.queue.is_empty()
            }
            _ => return,
        };
        if !more {
            self.finish_playback(id, State::Done);
            return;
        }
        self.set_playback_state(id, State::Continuing);
        self.playback_event(id, "PlaybackContinuing");
        self.next_item(id);
        self.play_items(id, false);
    }

    /// `PlaybackFinished` in `state` (naming the item it ended on, and the next one if
    /// there was more), then the playback is gone.
    fn finish_playback(&mut self, id: &str, state: State) {
        self.set_playback_state(id, state);
        self.playback_event(id, "PlaybackFinished");
        self.end_playback(id);
    }

    /// The playback is gone: the target's next one takes its turn, or, with none left,
    /// what waited for the target's media runs.
    fn end_playback(&mut self, id: &str) {
        let Some(pb) = self.playbacks.remove(id) else {
            return;
        };
        let target = pb.model.target_uri;
        let Some(queue) = self.media_queues.get_mut(&target) else {
            return;
        };
        let was_playing = queue.front().is_some_and(|first| first == id);
        queue.retain(|q| q != id);
        match queue.front().cloned() {
            Some(next) if was_playing => self.play_items(&next, false),
            Some(_) => {}
            None => {
                self.media_queues.remove(&target);
                for action in self.after_media.remove(&target).unwrap_or_default() {
                    action(self);
                }
            }
        }
    }

    /// Runs `action` once the target's playbacks, those queued now and any queued
    /// meanwhile, are over (at once when there are none). A channel leaving its
    /// application does so from its command queue, behind the media it was given.
    pub fn when_media_done(&mut self, target_uri: &str, action: AfterMedia) {
        if self.media_queues.contains_key(target_uri) {
            self.after_media
                .entry(target_uri.to_owned())
                .or_default()
                .push(action);
        } else {
            action(self);
        }
    }

    /// Forgets every playback without events (a restart).
    pub fn clear_media(&mut self) {
        self.playbacks.clear();
        self.media_queues.clear();
        self.after_media.clear();
        self.pending_media.clear();
    }

    /// The target goes away. A channel's playing item fails and its queued playbacks
    /// each start and fail at once (those stopped while queued finish `done`); what
    /// waited for its media is dropped. A bridge's playbacks vanish without events (the
    /// announcer channel that played them goes with the bridge). Recordings end `done`.
    pub fn end_playbacks_of(&mut self, target_uri: &str) {
        self.after_media.remove(target_uri);
        let queue = self.media_queues.remove(target_uri).unwrap_or_default();
        let bridge = target_uri.starts_with("bridge:");
        for id in queue {
            let waiting = self.playbacks.get(&id).map(World::waiting);
            match waiting {
                _ if bridge => {
                    self.playbacks.remove(&id);
                }
                Some(true) => self.play_items(&id, true),
                Some(false) => self.finish_playback(&id, State::Failed),
                None => {}
            }
        }
        let names: Vec<String> = self
            .live_recordings
            .iter()
            .filter(|(_, r)| r.model.target_uri == target_uri)
            .map(|(n, _)| n.clone())
            .collect();
        for name in names {
            self.finish_recording(&name, LiveRecordingState::Done, true);
        }
    }

    fn recording_event(&self, name: &str, type_name: &str) {
        let Some(rec) = self.live_recordings.get(name) else {
            return;
        };
        let targets = self.media_targets(&rec.model.target_uri);
        self.send(
            &targets,
            type_name,
            object(json!({ "recording": to_value(&rec.model) })),
        );
    }

    /// A channel received `digit`: a recording of it that ends on the digit ends, kept,
    /// as `stop` ends it. Also while paused (pausing only stops writing audio); a
    /// recording still queued has not started listening.
    pub fn recording_hears_digit(&mut self, channel_id: &str, digit: char) {
        let target = format!("channel:{channel_id}");
        let ended: Vec<String> = self
            .live_recordings
            .iter()
            .filter(|(_, r)| {
                r.model.target_uri == target
                    && r.model.state != LiveRecordingState::Queued
                    && r.ends_on_digits.contains(digit)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in ended {
            self.finish_recording(&name, LiveRecordingState::Done, true);
        }
    }

    fn finish_recording(&mut self, name: &str, state: LiveRecordingState, keep: bool) {
        let Some(rec) = self.live_recordings.get_mut(name) else {
            return;
        };
        rec.model.state = state;
        rec.model.duration = Some(rec.started.elapsed().as_secs() as i64);
        let format = rec.model.format.clone();
        let target = rec.model.target_uri.clone();
        self.recording_event(name, "RecordingFinished");
        self.live_recordings.remove(name);
        if let Some(bridge_id) = target.strip_prefix("bridge:") {
            self.remove_recorder(bridge_id, name);
        }
        if keep {
            self.stored_recordings.insert(name.to_owned(), format);
        }
    }
}

/// Deferred playback work, run once the world that asked for it is released: a queued
/// playback's turn (`timer` `None`), or the end of an item that plays for
/// `timing.media` (`Some(generation)`; a control operation since then makes it stale).
pub(crate) async fn media_step(shared: Shared, id: String, timer: Option<u64>) {
    match timer {
        None => {
            let mut world = lock(&shared);
            let turn = world.playbacks.get(&id).is_some_and(|pb| {
                World::waiting(pb)
                    && world
                        .media_queues
                        .get(&pb.model.target_uri)
                        .and_then(|q| q.front())
                        == Some(&id)
            });
            if turn {
                world.play_items(&id, false);
            }
        }
        Some(generation) => {
            let delay = lock(&shared).timing.media;
            tokio::time::sleep(delay).await;
            lock(&shared).item_played(&id, generation);
        }
    }
}

/// `POST /channels/{id}/play` and `/bridges/{id}/play`: 201 with a `queued` playback
/// (Asterisk answers before the channel's thread gets to it), which then plays after the
/// target's earlier playbacks.
pub fn play(
    shared: &Shared,
    p: &Params,
    target_uri: String,
    playback_id: Option<String>,
) -> Result {
    let mut world = lock(shared);
    // Asterisk refuses what it cannot queue only when it tries: a channel answers 400
    // for negative skips and offsets and 500 for no media; a bridge plays through an
    // announcer channel, and fails all three with its allocation failure.
    let negative = |name: &str| p.int(name).is_some_and(|n| n < 0);
    let no_media = p
        .get("media")
        .is_none_or(|m| m.split(',').any(str::is_empty));
    if target_uri.starts_with("bridge:") {
        if negative("skipms") || negative("offsetms") || no_media {
            return Err(Reply::json(500, json!({ "error": "Allocation failed" })));
        }
    } else {
        for name in ["skipms", "offsetms"] {
            if negative(name) {
                return Err(Reply::error(400, &format!("{name} cannot be negative")));
            }
        }
        if no_media {
            return Err(Reply::error(500, "Failed to queue media for playback"));
        }
    }
    let mut media = p.list("media");
    let id = playback_id
        .or_else(|| p.get("playbackId").map(str::to_owned))
        .unwrap_or_else(uuid);
    if world.playbacks.contains_key(&id) {
        return Err(Reply::error(409, "Playback with this ID already exists"));
    }
    let first = media.remove(0);
    let model = Playback {
        id: id.clone(),
        media_uri: first,
        next_media_uri: media.first().cloned(),
        target_uri: target_uri.clone(),
        language: Some(p.get("lang").unwrap_or("en").to_owned()),
        state: State::Queued,
    };
    let reply = Reply::created(&model, format!("/ari/playbacks/{id}"));
    world.playbacks.insert(
        id.clone(),
        PlaybackState {
            model,
            queue: media,
            generation: 0,
            canceled: false,
            controllable: false,
        },
    );
    world.queue_playback(&id, &target_uri);
    Ok(reply)
}

pub fn get_playback(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let pb = world
        .playbacks
        .get(&p.string("playbackId"))
        .ok_or_else(|| Reply::error(404, "Playback not found"))?;
    Ok(Reply::ok(&pb.model))
}

/// `DELETE /playbacks/{id}`: a queued playback is canceled (it reports `done` and
/// finishes when its turn comes), a playing one finishes `done` at once, one that is
/// spoken (`digits:` ...) cannot be stopped.
pub fn stop_playback(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("playbackId");
    let pb = world
        .playbacks
        .get_mut(&id)
        .ok_or_else(|| Reply::error(404, "Playback not found"))?;
    if pb.canceled {
        return Ok(Reply::no_content());
    }
    if pb.model.state == State::Queued {
        pb.canceled = true;
        pb.model.state = State::Done;
        return Ok(Reply::no_content());
    }
    if !pb.controllable {
        return Err(Reply::error(500, "Could not stop playback"));
    }
    world.finish_playback(&id, State::Done);
    Ok(Reply::no_content())
}

/// `POST /playbacks/{id}/control`, by Asterisk's table of what each state allows:
/// queued playbacks only take `restart` (a no-op); playing ones take everything (with
/// `unpause`, `reverse` and `forward` doing nothing here: there is no audio to move
/// through); paused ones take `pause` (no-op) and `unpause`, which reports
/// `PlaybackStarted` again. Anything else is 409; an operation that would act on a
/// spoken playback (`digits:` ...) fails with 500, as Asterisk's does.
pub fn control_playback(shared: &Shared, p: &Params) -> Result {
    let operation = p.string("operation");
    if !["restart", "pause", "unpause", "reverse", "forward"].contains(&operation.as_str()) {
        return Err(Reply::error(400, &format!("Invalid operation {operation}")));
    }
    let mut world = lock(shared);
    let id = p.string("playbackId");
    let (state, controllable, endless) = world
        .playbacks
        .get(&id)
        .map(|pb| {
            let item = Item::of(&world, &pb.model.media_uri);
            (
                pb.model.state.clone(),
                pb.controllable,
                item == Item::Endless,
            )
        })
        .ok_or_else(|| Reply::error(404, "Playback not found"))?;
    let paused = State::Other("paused".to_owned());
    let playing = matches!(state, State::Playing | State::Continuing);
    let acts = match operation.as_str() {
        "restart" if state == State::Queued => false,
        "pause" | "restart" | "reverse" | "forward" if playing => true,
        "unpause" if playing => false,
        "pause" if state == paused => false,
        "unpause" if state == paused => true,
        _ => {
            return Err(Reply::error(
                409,
                &format!("Can only {operation} while media is playing"),
            ));
        }
    };
    if acts && !controllable {
        return Err(Reply::error(
            500,
            &format!("Could not {operation} playback"),
        ));
    }
    let reschedule = match operation.as_str() {
        "pause" if acts => {
            // A paused playback reports `paused`, which the spec's list lacks; no event.
            world.set_playback_state(&id, paused);
            world.bump_generation(&id);
            false
        }
        "restart" => acts,
        "unpause" if acts => {
            world.set_playback_state(&id, State::Playing);
            world.playback_event(&id, "PlaybackStarted");
            true
        }
        _ => false,
    };
    if reschedule && !endless {
        // The current item plays again in full (restart, or unpause: no audio position).
        let generation = world.bump_generation(&id);
        world.pending_media.push((id, Some(generation)));
    }
    Ok(Reply::no_content())
}

/// File formats a stock Asterisk can record to (its format modules' extensions).
const FORMATS: &[&str] = &[
    "wav", "WAV", "wav49", "gsm", "ulaw", "ul", "mu", "pcm", "alaw", "al", "alw", "sln", "raw",
    "slin", "sln16", "g722", "g726", "g729", "ilbc", "siren7", "siren14", "vox", "h263", "h264",
    "ogg", "oga",
];

/// What `POST /channels/{id}/record` checks before it looks the channel up.
pub fn record_limits(p: &Params) -> Result<()> {
    for (param, name) in [
        ("maxDurationSeconds", "max_duration_seconds"),
        ("maxSilenceSeconds", "max_silence_seconds"),
    ] {
        if p.int(param).is_some_and(|n| n < 0) {
            return Err(Reply::error(400, &format!("{name} cannot be negative")));
        }
    }
    Ok(())
}

/// The digits a recording's `terminateOn` ends it on, as `res_stasis_recording` reads
/// the parameter (case-insensitive, empty meaning `none`); `None` when it is not one of
/// the four values. `any` is Asterisk's list, whose lowercase letters never match the
/// uppercase `A`-`D` a channel receives.
fn terminating_digits(terminate_on: &str) -> Option<&'static str> {
    match terminate_on.to_ascii_lowercase().as_str() {
        "" | "none" => Some(""),
        "any" => Some("#*0123456789abcd"),
        "#" => Some("#"),
        "*" => Some("*"),
        _ => None,
    }
}

/// `POST /channels/{id}/record` and `/bridges/{id}/record`, with their checks in
/// Asterisk's order (a bridge's format first: it makes the recorder channel with it).
pub fn record(shared: &Shared, p: &Params, target_uri: String) -> Result {
    let mut world = lock(shared);
    let format = p.string("format");
    let unknown_format = || Reply::error(422, "specified format is unknown on this system");
    let on_bridge = target_uri.starts_with("bridge:");
    if on_bridge && !FORMATS.contains(&format.as_str()) {
        return Err(unknown_format());
    }
    let ends_on_digits = terminating_digits(p.get("terminateOn").unwrap_or(""))
        .ok_or_else(|| Reply::error(400, "terminateOn invalid"))?;
    let if_exists = p.get("ifExists").unwrap_or("").to_ascii_lowercase();
    let if_exists = match if_exists.as_str() {
        "" => "fail",
        "fail" | "overwrite" | "append" => if_exists.as_str(),
        _ => return Err(Reply::error(400, "ifExists invalid")),
    };
    if !FORMATS.contains(&format.as_str()) {
        return Err(unknown_format());
    }
    let name = p.string("name");
    if name.is_empty() || name.contains("..") || name.starts_with('/') {
        return Err(Reply::error(400, "Recording name invalid"));
    }
    // Both are 409 in the api-docs: "in progress or ifExists=fail".
    if world.live_recordings.contains_key(&name)
        || (world.stored_recordings.contains_key(&name) && if_exists == "fail")
    {
        return Err(Reply::error(
            409,
            &format!("Recording '{name}' already exists and can not be overwritten"),
        ));
    }
    let model = LiveRecording {
        name: name.clone(),
        format,
        target_uri,
        state: LiveRecordingState::Queued,
        duration: None,
        talking_duration: None,
        silence_duration: None,
        cause: None,
    };
    let reply = Reply::created(&model, format!("/ari/recordings/live/{name}"));
    world.live_recordings.insert(
        name.clone(),
        RecordingState {
            model,
            started: Instant::now(),
            ends_on_digits,
        },
    );
    let max = p.int("maxDurationSeconds").filter(|s| *s > 0);
    drop(world);
    let shared2 = shared.clone();
    tokio::spawn(async move {
        {
            let mut world = lock(&shared2);
            let Some(rec) = world.live_recordings.get_mut(&name) else {
                return;
            };
            rec.model.state = LiveRecordingState::Recording;
            rec.started = Instant::now();
            let target = rec.model.target_uri.clone();
            if let Some(bridge_id) = target.strip_prefix("bridge:") {
                world.add_recorder(bridge_id, &name);
            }
            world.recording_event(&name, "RecordingStarted");
        }
        if let Some(max) = max {
            tokio::time::sleep(std::time::Duration::from_secs(max as u64)).await;
            lock(&shared2).finish_recording(&name, LiveRecordingState::Done, true);
        }
    });
    Ok(reply)
}

fn live_not_found() -> Reply {
    Reply::error(404, "Recording not found")
}

pub fn get_live(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let rec = world
        .live_recordings
        .get(&p.string("recordingName"))
        .ok_or_else(live_not_found)?;
    Ok(Reply::ok(&rec.model))
}

/// stop (kept), cancel (discarded), pause/unpause, mute/unmute.
pub fn control_live(shared: &Shared, p: &Params, operation: &str) -> Result {
    let mut world = lock(shared);
    let name = p.string("recordingName");
    if !world.live_recordings.contains_key(&name) {
        return Err(live_not_found());
    }
    match operation {
        "stop" => world.finish_recording(&name, LiveRecordingState::Done, true),
        "cancel" => world.finish_recording(&name, LiveRecordingState::Canceled, false),
        "pause" | "unpause" => {
            if let Some(rec) = world.live_recordings.get_mut(&name) {
                rec.model.state = if operation == "pause" {
                    LiveRecordingState::Paused
                } else {
                    LiveRecordingState::Recording
                };
            }
        }
        _ => {}
    }
    Ok(Reply::no_content())
}

fn stored(name: &str, format: &str) -> StoredRecording {
    StoredRecording {
        name: name.to_owned(),
        format: format.to_owned(),
    }
}

fn stored_not_found() -> Reply {
    Reply::error(404, "Recording not found")
}

pub fn list_stored(shared: &Shared) -> Result {
    let world = lock(shared);
    let list: Vec<StoredRecording> = world
        .stored_recordings
        .iter()
        .map(|(n, f)| stored(n, f))
        .collect();
    Ok(Reply::ok(&list))
}

pub fn get_stored(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    let name = p.string("recordingName");
    let format = world
        .stored_recordings
        .get(&name)
        .ok_or_else(stored_not_found)?;
    Ok(Reply::ok(&stored(&name, format)))
}

pub fn delete_stored(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    world
        .stored_recordings
        .remove(&p.string("recordingName"))
        .ok_or_else(stored_not_found)?;
    Ok(Reply::no_content())
}

pub fn copy_stored(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let name = p.string("recordingName");
    let format = world
        .stored_recordings
        .get(&name)
        .cloned()
        .ok_or_else(stored_not_found)?;
    let destination = p.string("destinationRecordingName");
    if destination.is_empty() || destination.contains("..") || destination.starts_with('/') {
        return Err(Reply::error(400, "Invalid destination recording name"));
    }
    if world.stored_recordings.contains_key(&destination) {
        return Err(Reply::error(
            409,
            "A recording with the same name already exists on the system",
        ));
    }
    world
        .stored_recordings
        .insert(destination.clone(), format.clone());
    Ok(Reply::ok(&stored(&destination, &format)))
}

pub fn stored_file(shared: &Shared, p: &Params) -> Result {
    let world = lock(shared);
    world
        .stored_recordings
        .get(&p.string("recordingName"))
        .ok_or_else(stored_not_found)?;
    Ok(Reply::bytes(silent_wav(800), "audio/wav"))
}

/// A valid mono 8 kHz 16-bit PCM WAV of `samples` samples of silence.
pub fn silent_wav(samples: u32) -> Vec<u8> {
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    out.resize(44 + data_len as usize, 0);
    out
}
