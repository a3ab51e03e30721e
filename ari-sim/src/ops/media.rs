//! Playbacks and recordings: queued, then playing or recording on simulated time, with
//! their events; stored recordings with a small valid WAV file.

use std::time::Instant;

use ari_sdk::{
    LiveRecording, LiveRecordingState, Playback, PlaybackState as State, StoredRecording,
};
use serde_json::json;

use crate::params::Params;
use crate::reply::{Reply, Result};
use crate::world::{PlaybackState, RecordingState, Shared, World, lock, object, to_value, uuid};

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

    fn finish_playback(&mut self, id: &str, state: State) {
        if let Some(pb) = self.playbacks.get_mut(id) {
            pb.model.state = state;
            pb.model.next_media_uri = None;
        }
        self.playback_event(id, "PlaybackFinished");
        self.playbacks.remove(id);
    }

    /// Playbacks and recordings of a target that goes away end with it.
    pub fn end_playbacks_of(&mut self, target_uri: &str) {
        let ids: Vec<String> = self
            .playbacks
            .iter()
            .filter(|(_, p)| p.model.target_uri == target_uri)
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            self.finish_playback(&id, State::Done);
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

/// Advances a playback on simulated time: each media item lasts `timing.media`. As in
/// Asterisk, between two items the playback reports `PlaybackContinuing` (state
/// `continuing`, still naming the item that ended), then `PlaybackStarted` for the next.
fn schedule_playback(shared: &Shared, id: String, generation: u64) {
    let shared = shared.clone();
    tokio::spawn(async move {
        let delay = lock(&shared).timing.media;
        tokio::time::sleep(delay).await;
        let mut world = lock(&shared);
        let more = match world.playbacks.get(&id) {
            Some(pb) if pb.generation == generation && pb.model.state == State::Playing => {
                !pb.queue.is_empty()
            }
            _ => return,
        };
        if !more {
            world.finish_playback(&id, State::Done);
            return;
        }
        world.set_playback_state(&id, State::Continuing);
        world.playback_event(&id, "PlaybackContinuing");
        if let Some(pb) = world.playbacks.get_mut(&id) {
            pb.model.media_uri = pb.queue.remove(0);
            pb.model.next_media_uri = pb.queue.first().cloned();
        }
        world.set_playback_state(&id, State::Playing);
        world.playback_event(&id, "PlaybackStarted");
        drop(world);
        schedule_playback(&shared, id, generation);
    });
}

/// `POST /channels/{id}/play` and `/bridges/{id}/play`: 201 with a queued playback,
/// then `PlaybackStarted`, `PlaybackContinuing` per further media, `PlaybackFinished`.
pub fn play(
    shared: &Shared,
    p: &Params,
    target_uri: String,
    playback_id: Option<String>,
) -> Result {
    let mut world = lock(shared);
    let mut media = p.list("media");
    if media.is_empty() {
        return Err(Reply::error(400, "Missing parameter media"));
    }
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
        target_uri,
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
        },
    );
    drop(world);
    let shared2 = shared.clone();
    tokio::spawn(async move {
        {
            let mut world = lock(&shared2);
            let Some(pb) = world.playbacks.get_mut(&id) else {
                return;
            };
            pb.model.state = State::Playing;
            world.playback_event(&id, "PlaybackStarted");
        }
        schedule_playback(&shared2, id, 0);
    });
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

pub fn stop_playback(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("playbackId");
    if !world.playbacks.contains_key(&id) {
        return Err(Reply::error(404, "Playback not found"));
    }
    world.finish_playback(&id, State::Done);
    Ok(Reply::no_content())
}

/// `POST /playbacks/{id}/control`, by Asterisk's table of what each state allows:
/// queued playbacks only take `restart` (a no-op); playing ones take everything (with
/// `unpause`, `reverse` and `forward` doing nothing here: there is no audio to move
/// through); paused ones take `pause` (no-op) and `unpause`, which reports
/// `PlaybackStarted` again. Anything else is 409.
pub fn control_playback(shared: &Shared, p: &Params) -> Result {
    let mut world = lock(shared);
    let id = p.string("playbackId");
    let operation = p.string("operation");
    let state = world
        .playbacks
        .get(&id)
        .map(|pb| pb.model.state.clone())
        .ok_or_else(|| Reply::error(404, "Playback not found"))?;
    let paused = State::Other("paused".to_owned());
    let playing = matches!(state, State::Playing | State::Continuing);
    let reschedule = match operation.as_str() {
        "restart" if state == State::Queued => false,
        "pause" if playing => {
            // A paused playback reports `paused`, which the spec's list lacks; no event.
            world.set_playback_state(&id, paused);
            world.bump_generation(&id);
            false
        }
        "restart" if playing => true,
        "unpause" | "reverse" | "forward" if playing => false,
        "pause" if state == paused => false,
        "unpause" if state == paused => {
            world.set_playback_state(&id, State::Playing);
            world.playback_event(&id, "PlaybackStarted");
            true
        }
        _ => {
            return Err(Reply::error(
                409,
                &format!("Can only {operation} while media is playing"),
            ));
        }
    };
    if reschedule {
        // The current item plays again in full (restart, or unpause: no audio position).
        let generation = world.bump_generation(&id);
        drop(world);
        schedule_playback(shared, id, generation);
    }
    Ok(Reply::no_content())
}

/// File formats a stock Asterisk can record to (its format modules' extensions).
const FORMATS: &[&str] = &[
    "wav", "WAV", "wav49", "gsm", "ulaw", "ul", "mu", "pcm", "alaw", "al", "alw", "sln", "raw",
    "slin", "sln16", "g722", "g726", "g729", "ilbc", "siren7", "siren14", "vox", "h263", "h264",
    "ogg", "oga",
];

/// `POST /channels/{id}/record` and `/bridges/{id}/record`.
pub fn record(shared: &Shared, p: &Params, target_uri: String) -> Result {
    let mut world = lock(shared);
    let name = p.string("name");
    if name.is_empty() || name.contains("..") || name.starts_with('/') {
        return Err(Reply::error(400, "Recording name invalid"));
    }
    let format = p.string("format");
    if !FORMATS.contains(&format.as_str()) {
        return Err(Reply::error(
            422,
            "specified format is unknown on this system",
        ));
    }
    // Both are 409 in the api-docs: "in progress or ifExists=fail".
    let if_exists = p.get("ifExists").unwrap_or("fail");
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
