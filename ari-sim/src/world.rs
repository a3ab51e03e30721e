//! The simulated system's state, and how changes become events.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use ari_sdk::{Bridge, CallerID, Channel, ChannelState, DialplanCEP, LiveRecording, Playback};
use serde_json::{Map, Value, json};

use crate::dialplan::Dialplan;
use crate::hub::Hub;

/// Asterisk's timestamp text for now: `2026-11-27T10:36:17.719+0000`.
pub fn now() -> String {
    now_timestamp().to_string()
}

/// From `SystemTime` (what `Utc::now` reads too), so ari-sim needs no `chrono/clock`.
pub fn now_timestamp() -> ari_sdk::Timestamp {
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    ari_sdk::Timestamp::from(now.fixed_offset())
}

/// Tunable behaviour.
#[derive(Debug, Clone)]
pub struct Timing {
    /// How long one sound plays.
    pub media: Duration,
    /// How long a simulated phone rings before it answers an originate.
    pub answer_delay: Duration,
    /// How long the dialplan's `Answer()` waits on a ringing channel before the next
    /// step: Asterisk waits up to 500 ms for media to flow, and the simulator has none.
    pub answer_wait: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            media: Duration::from_millis(300),
            answer_delay: Duration::from_millis(50),
            answer_wait: Duration::from_millis(500),
        }
    }
}

/// A channel and what the simulator knows about it beyond its snapshot.
#[derive(Debug, Clone)]
pub struct Chan {
    pub model: Channel,
    /// Applications that receive this channel's events, in subscription order.
    pub subscribers: Vec<String>,
    /// How many times each subscriber subscribed (an originate, entering Stasis, an
    /// `applications.subscribe`): as in Asterisk, each unsubscribe takes one back, and
    /// the events stop when none is left.
    pub interest: BTreeMap<String, usize>,
    /// The Stasis application the channel is in.
    pub stasis: Option<String>,
    /// The other half of a Local channel pair.
    pub local_peer: Option<String>,
    /// For `;1` halves and phones: the application (and args) to enter once answered.
    pub on_answer: Option<(String, Vec<String>)>,
    pub vars: BTreeMap<String, String>,
    pub bridge: Option<String>,
    pub muted: Option<String>,
    pub held: bool,
    /// What `POST /channels/create` will dial (`POST /channels/{id}/dial` refuses other
    /// channels).
    pub dialstring: Option<String>,
    /// The channel runs a dialplan (a `;2` half, a phone's call): when it leaves Stasis
    /// it returns there, and the dialplan notices a pending hang-up itself.
    pub pbx: bool,
    /// The channel's key in [`World::channel_order`], given when it is inserted.
    creation: u64,
}

#[derive(Debug, Clone)]
pub struct BridgeState {
    pub model: Bridge,
    /// Applications subscribed with `applications.subscribe`. The applications of the
    /// channels in the bridge hear about it too, but only while they have one there.
    pub subscribers: Vec<String>,
    /// Recordings of the bridge: (recording name, the `Recorder/ARI-...;2` channel name
    /// that joins the bridge to record it).
    pub recorders: Vec<(String, String)>,
    /// Bridge variables (`bridges.setBridgeVar`).
    pub vars: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct PlaybackState {
    pub model: Playback,
    /// Media still to play after the current one.
    pub queue: Vec<String>,
    /// Bumped on every control operation, so stale timers do nothing.
    pub generation: u64,
    /// Stopped while still queued: it reports `done` now and finishes when its turn
    /// comes, without playing.
    pub canceled: bool,
    /// Reached an item that can be stopped and paused (a sound, a stored recording, a
    /// tone); spoken items (`digits:` ...) cannot.
    pub controllable: bool,
}

/// Work that waits until a target's playbacks are over (see [`World::when_media_done`]).
pub type AfterMedia = Box<dyn FnOnce(&mut World) + Send>;

#[derive(Debug, Clone)]
pub struct RecordingState {
    pub model: LiveRecording,
    pub started: std::time::Instant,
    /// The digits that end it when the recorded channel receives one (`terminateOn`).
    pub ends_on_digits: &'static str,
}

/// Everything the simulated Asterisk holds.
pub struct World {
    pub hub: Hub,
    pub asterisk_id: String,
    pub timing: Timing,
    pub dialplan: Dialplan,
    start_secs: u64,
    /// When this server started (`asterisk.getInfo`'s `startup_time`), fixed like Asterisk's.
    pub started: String,
    /// `systemname-` when one is set: the start of every channel id.
    pub(crate) id_prefix: String,
    next_seq: u64,
    next_local: u32,
    pub channels: HashMap<String, Chan>,
    /// Channel ids by creation number (`GET /channels` lists them in creation order):
    /// a map so that removing one channel is a lookup, not a pass over all of them.
    channel_order: BTreeMap<u64, String>,
    next_creation: u64,
    pub bridges: BTreeMap<String, BridgeState>,
    pub playbacks: HashMap<String, PlaybackState>,
    /// Per target (`channel:ID`, `bridge:ID`), its playbacks in the order they were
    /// asked for: the first plays, the others wait their turn (Asterisk runs a channel's
    /// playbacks one at a time from its command queue).
    pub media_queues: HashMap<String, VecDeque<String>>,
    /// Per target, what runs once its playbacks are over (a channel leaving its
    /// application waits behind the media queued before it).
    pub(crate) after_media: HashMap<String, Vec<AfterMedia>>,
    /// Playbacks to start, and timers of items that started playing, once the world is
    /// released: (playback id, generation; `None` to start a queued playback).
    pub(crate) pending_media: Vec<(String, Option<u64>)>,
    pub live_recordings: BTreeMap<String, RecordingState>,
    /// Stored recordings: name -> format.
    pub stored_recordings: BTreeMap<String, String>,
    pub global_vars: BTreeMap<String, String>,
    pub device_states: BTreeMap<String, String>,
    /// Mailbox -> (old, new).
    pub mailboxes: BTreeMap<String, (i64, i64)>,
    /// Application -> event sources it subscribed to explicitly (`channel:ID`, ...).
    pub app_subscriptions: BTreeMap<String, Vec<String>>,
    /// Devices whose state may have changed; Asterisk computes device states on its own
    /// thread, so their events follow the burst of channel events that caused them.
    pending_devices: Vec<String>,
    /// Per device, how many of its channels are in use, ringing and busy, kept up to date
    /// wherever a channel is added, changes state or is removed, so a device's state
    /// costs no pass over the channels. Devices with none of these are absent.
    device_counts: HashMap<String, DeviceCounts>,
    /// Channels that entered a per-call outbound application: their sockets open once
    /// the world is released.
    pub(crate) pending_per_call: Vec<crate::outbound::PerCallStart>,
    /// Work to do after a delay, scheduled once the world is released (see
    /// [`World::after`]).
    pending_timers: Vec<(Duration, AfterMedia)>,
    /// `externalMedia` channels' far ends.
    pub(crate) media: crate::media::Media,
}

/// The world, shared by request handlers and timers.
pub type Shared = std::sync::Arc<std::sync::Mutex<World>>;

/// Locks the world; a panic elsewhere cannot leave it half-changed in a way that matters
/// more than stopping the simulator would. Work deferred while it was held (device
/// states) runs once it is released.
pub fn lock(shared: &Shared) -> WorldGuard<'_> {
    WorldGuard {
        guard: Some(shared.lock().unwrap_or_else(|e| e.into_inner())),
        shared,
    }
}

/// The locked world.
pub struct WorldGuard<'a> {
    guard: Option<std::sync::MutexGuard<'a, World>>,
    shared: &'a Shared,
}

impl std::ops::Deref for WorldGuard<'_> {
    type Target = World;
    fn deref(&self) -> &World {
        self.guard.as_ref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for WorldGuard<'_> {
    fn deref_mut(&mut self) -> &mut World {
        self.guard.as_mut().expect("held until dropped")
    }
}

impl Drop for WorldGuard<'_> {
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        let devices = std::mem::take(&mut guard.pending_devices);
        let per_call = std::mem::take(&mut guard.pending_per_call);
        let media = std::mem::take(&mut guard.pending_media);
        let timers = std::mem::take(&mut guard.pending_timers);
        drop(guard);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            for (delay, action) in timers {
                let shared = self.shared.clone();
                runtime.spawn(async move {
                    tokio::time::sleep(delay).await;
                    action(&mut lock(&shared));
                });
            }
        }
        if !media.is_empty() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                for (id, timer) in media {
                    runtime.spawn(crate::ops::media_step(self.shared.clone(), id, timer));
                }
            }
        }
        if !per_call.is_empty() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    for start in per_call {
                        runtime.spawn(crate::outbound::run_per_call(self.shared.clone(), start));
                    }
                }
                Err(_) => {
                    let mut world = lock(self.shared);
                    for start in per_call {
                        world.per_call_failed(&start.channel_id, false);
                    }
                }
            }
        }
        if devices.is_empty() {
            return;
        }
        let shared = self.shared.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { lock(&shared).publish_device_states(&devices) });
            }
            Err(_) => lock(&shared).publish_device_states(&devices),
        }
    }
}

impl World {
    pub fn new(hub: Hub, asterisk_id: String, timing: Timing, dialplan: Dialplan) -> World {
        let start_secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1_700_000_000, |d| d.as_secs());
        World {
            hub,
            asterisk_id,
            timing,
            dialplan,
            start_secs,
            started: now(),
            id_prefix: String::new(),
            next_seq: 0,
            next_local: 0,
            channels: HashMap::new(),
            channel_order: BTreeMap::new(),
            next_creation: 0,
            bridges: BTreeMap::new(),
            playbacks: HashMap::new(),
            media_queues: HashMap::new(),
            after_media: HashMap::new(),
            pending_media: Vec::new(),
            live_recordings: BTreeMap::new(),
            stored_recordings: BTreeMap::new(),
            global_vars: BTreeMap::new(),
            device_states: BTreeMap::new(),
            mailboxes: BTreeMap::new(),
            app_subscriptions: BTreeMap::new(),
            pending_devices: Vec::new(),
            device_counts: HashMap::new(),
            pending_per_call: Vec::new(),
            pending_timers: Vec::new(),
            media: crate::media::Media::default(),
        }
    }

    /// Runs `action` on the world after `delay` (from a tokio runtime; without one,
    /// never). Whatever it acts on may have changed meanwhile: it must check.
    pub fn after(&mut self, delay: Duration, action: impl FnOnce(&mut World) + Send + 'static) {
        self.pending_timers.push((delay, Box::new(action)));
    }

    /// A channel id the way Asterisk makes them: `[<systemname>-]<start time>.<sequence>`.
    pub fn next_channel_id(&mut self) -> String {
        let id = format!("{}{}.{}", self.id_prefix, self.start_secs, self.next_seq);
        self.next_seq += 1;
        id
    }

    /// The `-0000000N` of Local and phone channel names.
    pub fn next_channel_suffix(&mut self) -> String {
        let n = self.next_local;
        self.next_local += 1;
        format!("{n:08x}")
    }

    /// Creates a channel snapshot in `state`.
    pub fn new_channel(
        &mut self,
        id: String,
        name: String,
        state: ChannelState,
        dialplan: DialplanCEP,
    ) -> Chan {
        let model = Channel {
            id,
            protocol_id: String::new(),
            name,
            state,
            caller: CallerID {
                name: String::new(),
                number: String::new(),
            },
            connected: CallerID {
                name: String::new(),
                number: String::new(),
            },
            accountcode: String::new(),
            dialplan,
            creationtime: Some(now_timestamp()),
            language: "en".to_owned(),
            channelvars: None,
            caller_rdnis: None,
            tenantid: None,
        };
        Chan {
            model,
            subscribers: Vec::new(),
            interest: BTreeMap::new(),
            stasis: None,
            local_peer: None,
            on_answer: None,
            vars: BTreeMap::new(),
            bridge: None,
            muted: None,
            held: false,
            pbx: false,
            dialstring: None,
            creation: 0,
        }
    }

    /// Adds a channel: `ChannelCreated` reaches only applications subscribed to
    /// everything, since nothing can have subscribed to the channel yet.
    pub fn insert_channel(&mut self, mut chan: Chan) {
        let id = chan.model.id.clone();
        let model = to_value(&chan.model);
        chan.creation = self.next_creation;
        self.next_creation += 1;
        self.channel_order.insert(chan.creation, id.clone());
        self.count_device(&chan.model.name, &chan.model.state, 1);
        if let Some(old) = self.channels.insert(id, chan) {
            self.channel_order.remove(&old.creation);
            self.count_device(&old.model.name, &old.model.state, -1);
        }
        self.send(
            &self.global_targets(),
            "ChannelCreated",
            object(json!({ "channel": model })),
        );
    }

    pub fn remove_channel(&mut self, id: &str) -> Option<Chan> {
        // However the channel goes, its media transport closes with it.
        self.media.stop(id);
        let chan = self.channels.remove(id)?;
        self.channel_order.remove(&chan.creation);
        self.count_device(&chan.model.name, &chan.model.state, -1);
        self.pending_devices.push(device_of(&chan.model.name));
        Some(chan)
    }

    /// Removes every channel without events (a restart).
    pub fn clear_channels(&mut self) {
        self.media.clear();
        self.channels.clear();
        self.channel_order.clear();
        self.device_counts.clear();
    }

    /// The channels in creation order.
    pub fn channels_in_order(&self) -> impl Iterator<Item = &Chan> {
        self.channel_order
            .values()
            .filter_map(|id| self.channels.get(id))
    }

    /// Counts (`delta` 1) or uncounts (`delta` -1) a channel named `name` in `state`
    /// towards its device.
    fn count_device(&mut self, name: &str, state: &ChannelState, delta: isize) {
        let device = device_name(name);
        let Some(slot) = DeviceCounts::slot(state) else {
            return;
        };
        if delta > 0 {
            let counts = match self.device_counts.get_mut(device) {
                Some(counts) => counts,
                None => self.device_counts.entry(device.to_owned()).or_default(),
            };
            *counts.get_mut(slot) += 1;
        } else if let Some(counts) = self.device_counts.get_mut(device) {
            let n = counts.get_mut(slot);
            debug_assert!(
                *n > 0,
                "device {device}: uncounting a channel never counted"
            );
            *n = n.saturating_sub(1);
            if counts.is_empty() {
                self.device_counts.remove(device);
            }
        } else {
            debug_assert!(false, "device {device}: uncounting a channel never counted");
        }
    }

    /// Applications that get events about a channel (its subscribers, plus anything
    /// subscribed to everything).
    pub fn channel_targets(&self, id: &str) -> Vec<String> {
        let mut targets = self
            .channels
            .get(id)
            .map(|c| c.subscribers.clone())
            .unwrap_or_default();
        self.add_global_targets(&mut targets);
        targets
    }

    /// Applications subscribed to everything.
    pub fn global_targets(&self) -> Vec<String> {
        self.hub.subscribed_to_all()
    }

    fn add_global_targets(&self, targets: &mut Vec<String>) {
        for app in self.hub.subscribed_to_all() {
            if !targets.contains(&app) {
                targets.push(app);
            }
        }
    }

    pub fn send(&self, targets: &[String], type_name: &str, fields: Map<String, Value>) {
        if targets.is_empty() {
            return;
        }
        let mut fields = fields;
        fields.insert("timestamp".to_owned(), Value::String(now()));
        // `timestamp` comes right after `type`, as in Asterisk's frames.
        let mut ordered = Map::new();
        ordered.insert(
            "timestamp".to_owned(),
            fields.remove("timestamp").unwrap_or(Value::Null),
        );
        ordered.extend(fields);
        let mut apps: Vec<&str> = Vec::with_capacity(targets.len());
        for app in targets {
            if !apps.contains(&app.as_str()) {
                apps.push(app);
            }
        }
        self.hub
            .send(&apps, &crate::hub::Frame::new(type_name, &ordered));
    }

    /// An event about a channel, to that channel's subscribers.
    pub fn channel_event(&self, id: &str, type_name: &str, mut fields: Map<String, Value>) {
        let Some(chan) = self.channels.get(id) else {
            return;
        };
        fields.insert("channel".to_owned(), to_value(&chan.model));
        self.send(&self.channel_targets(id), type_name, fields);
    }

    /// An event about a channel, to one application only (StasisStart, StasisEnd).
    pub fn channel_event_to(
        &self,
        app: &str,
        id: &str,
        type_name: &str,
        mut fields: Map<String, Value>,
    ) {
        let Some(chan) = self.channels.get(id) else {
            return;
        };
        fields.insert("channel".to_owned(), to_value(&chan.model));
        self.send(&[app.to_owned()], type_name, fields);
    }

    /// Applications that hear about a bridge: those subscribed to it, those with a
    /// channel in it (Asterisk subscribes a channel's application when it joins and
    /// unsubscribes it when it leaves), and those subscribed to everything.
    pub fn bridge_targets(&self, bridge_id: &str) -> Vec<String> {
        let mut targets = self.bridge_subscribers(bridge_id);
        self.add_global_targets(&mut targets);
        targets
    }

    /// The applications subscribed to a bridge, explicitly or through its channels.
    pub fn bridge_subscribers(&self, bridge_id: &str) -> Vec<String> {
        let Some(bridge) = self.bridges.get(bridge_id) else {
            return Vec::new();
        };
        let mut apps = bridge.subscribers.clone();
        let member_apps = bridge
            .model
            .channels
            .iter()
            .filter_map(|c| self.channels.get(c)?.stasis.clone());
        for app in member_apps {
            if !apps.contains(&app) {
                apps.push(app);
            }
        }
        apps
    }

    /// Applications that hear about media played to or recorded from a target URI.
    pub fn media_targets(&self, target_uri: &str) -> Vec<String> {
        match target_uri.split_once(':') {
            Some(("channel", id)) => self.channel_targets(id),
            Some(("bridge", id)) => self.bridge_targets(id),
            _ => Vec::new(),
        }
    }

    /// Subscribes an application to a channel once more.
    pub fn subscribe_channel(&mut self, id: &str, app: &str) {
        if let Some(chan) = self.channels.get_mut(id) {
            *chan.interest.entry(app.to_owned()).or_default() += 1;
            if !chan.subscribers.iter().any(|a| a == app) {
                chan.subscribers.push(app.to_owned());
            }
        }
    }

    /// Takes one subscription back; false when the application had none.
    pub fn unsubscribe_channel(&mut self, id: &str, app: &str) -> bool {
        let Some(chan) = self.channels.get_mut(id) else {
            return false;
        };
        let Some(count) = chan.interest.get_mut(app) else {
            return false;
        };
        *count -= 1;
        if *count == 0 {
            chan.interest.remove(app);
            chan.subscribers.retain(|a| a != app);
        }
        true
    }

    pub fn set_state(&mut self, id: &str, state: ChannelState) {
        let changed = match self.channels.get_mut(id) {
            Some(chan) if chan.model.state != state => {
                let old = std::mem::replace(&mut chan.model.state, state.clone());
                Some((chan.model.name.clone(), old))
            }
            _ => None,
        };
        if let Some((name, old)) = changed {
            self.count_device(&name, &old, -1);
            self.count_device(&name, &state, 1);
            let device = device_of(&name);
            self.channel_event(id, "ChannelStateChange", Map::new());
            self.pending_devices.push(device);
        }
    }

    /// `DeviceStateChanged` for each device a change touched (once per change, as
    /// Asterisk does), with the state its channels give it now.
    fn publish_device_states(&mut self, devices: &[String]) {
        let states = self.device_states_of(devices);
        for device in devices {
            let state = states.get(device.as_str()).copied().unwrap_or("NOT_INUSE");
            let source = format!("deviceState:{device}");
            let mut targets: Vec<String> = self
                .app_subscriptions
                .iter()
                .filter(|(_, sources)| sources.contains(&source))
                .map(|(app, _)| app.clone())
                .collect();
            self.add_global_targets(&mut targets);
            self.send(
                &targets,
                "DeviceStateChanged",
                object(json!({"device_state": {"name": device, "state": state}})),
            );
        }
    }

    /// The states of `devices` from the per-device counts of their channels' states, the
    /// way Asterisk aggregates them. With few channels (as in tests) debug builds check
    /// the counts against a pass over every channel.
    fn device_states_of<'a>(&self, devices: &'a [String]) -> HashMap<&'a str, &'static str> {
        if cfg!(debug_assertions) && self.channels.len() <= 256 {
            self.check_device_counts();
        }
        devices
            .iter()
            .map(|device| {
                let counts = self.device_counts.get(device).copied().unwrap_or_default();
                (device.as_str(), counts.state())
            })
            .collect()
    }

    /// The per-device counts recomputed from every channel: what the kept counts must be.
    pub fn recount_devices(&self) -> HashMap<String, DeviceCounts> {
        let mut counts: HashMap<String, DeviceCounts> = HashMap::new();
        for chan in self.channels.values() {
            if let Some(slot) = DeviceCounts::slot(&chan.model.state) {
                *counts
                    .entry(device_of(&chan.model.name))
                    .or_default()
                    .get_mut(slot) += 1;
            }
        }
        counts
    }

    /// The per-device counts as kept up to date.
    pub fn device_counts(&self) -> &HashMap<String, DeviceCounts> {
        &self.device_counts
    }

    /// Panics if the kept counts differ from a recount (a place that changes a channel's
    /// name or state without going through [`World::set_state`] and friends).
    pub fn check_device_counts(&self) {
        assert_eq!(
            self.device_counts,
            self.recount_devices(),
            "per-device channel counts out of step with the channels"
        );
    }

    pub fn set_var_event(&self, id: &str, variable: &str, value: &str) {
        self.channel_event(
            id,
            "ChannelVarset",
            object(json!({"variable": variable, "value": value})),
        );
    }
}

/// How many of a device's channels are in use, ringing and busy (`Down` channels count
/// for nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceCounts {
    pub in_use: usize,
    pub ringing: usize,
    pub busy: usize,
}

#[derive(Debug, Clone, Copy)]
enum Slot {
    InUse,
    Ringing,
    Busy,
}

impl DeviceCounts {
    fn slot(state: &ChannelState) -> Option<Slot> {
        match state {
            ChannelState::Down => None,
            ChannelState::Ringing | ChannelState::PreRing => Some(Slot::Ringing),
            ChannelState::Busy => Some(Slot::Busy),
            _ => Some(Slot::InUse),
        }
    }

    fn get_mut(&mut self, slot: Slot) -> &mut usize {
        match slot {
            Slot::InUse => &mut self.in_use,
            Slot::Ringing => &mut self.ringing,
            Slot::Busy => &mut self.busy,
        }
    }

    fn is_empty(&self) -> bool {
        *self == DeviceCounts::default()
    }

    /// The device state these channels give: in use and ringing together are
    /// `RINGINUSE`; busy shows only when nothing is in use or ringing.
    pub fn state(&self) -> &'static str {
        match (self.in_use > 0, self.ringing > 0, self.busy > 0) {
            (true, true, _) => "RINGINUSE",
            (true, false, _) => "INUSE",
            (false, true, _) => "RINGING",
            (false, false, true) => "BUSY",
            _ => "NOT_INUSE",
        }
    }
}

/// The device a channel belongs to: its name without the `-0000000N` and `;N` that
/// tell channels of one device apart (`Local/7000@default-00000001;2` ->
/// `Local/7000@default`).
pub fn device_of(channel_name: &str) -> String {
    device_name(channel_name).to_owned()
}

/// [`device_of`], borrowed from the channel name.
fn device_name(channel_name: &str) -> &str {
    let base = channel_name.split(';').next().unwrap_or(channel_name);
    match base.rsplit_once('-') {
        Some((device, suffix)) if suffix.chars().all(|c| c.is_ascii_hexdigit()) => device,
        _ => base,
    }
}

pub fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// `json!({...})` as a map.
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A fresh UUID-shaped id (bridges, playbacks), as Asterisk makes them.
pub fn uuid() -> String {
    let a = fastrand::u128(..);
    let hex = format!("{a:032x}");
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> World {
        World::new(
            Hub::new("sim"),
            "sim".to_owned(),
            Timing::default(),
            Dialplan::default_plan(),
        )
    }

    fn add(world: &mut World, name: &str, state: ChannelState) -> String {
        let id = world.next_channel_id();
        let dialplan = DialplanCEP {
            context: "default".to_owned(),
            exten: "s".to_owned(),
            priority: 1,
            app_name: String::new(),
            app_data: String::new(),
        };
        let chan = world.new_channel(id.clone(), name.to_owned(), state, dialplan);
        world.insert_channel(chan);
        id
    }

    /// The device states as the simulator used to compute them: a pass over every
    /// channel.
    fn recomputed(world: &World, device: &str) -> &'static str {
        let (mut in_use, mut ringing, mut busy) = (false, false, false);
        for chan in world.channels.values() {
            if device_name(&chan.model.name) != device {
                continue;
            }
            match chan.model.state {
                ChannelState::Down => {}
                ChannelState::Ringing | ChannelState::PreRing => ringing = true,
                ChannelState::Busy => busy = true,
                _ => in_use = true,
            }
        }
        match (in_use, ringing, busy) {
            (true, true, _) => "RINGINUSE",
            (true, false, _) => "INUSE",
            (false, true, _) => "RINGING",
            (false, false, true) => "BUSY",
            _ => "NOT_INUSE",
        }
    }

    fn check(world: &World, devices: &[&str]) {
        world.check_device_counts();
        let devices: Vec<String> = devices.iter().map(|d| (*d).to_owned()).collect();
        let states = world.device_states_of(&devices);
        for device in &devices {
            assert_eq!(
                states[device.as_str()],
                recomputed(world, device),
                "{device}"
            );
        }
    }

    #[test]
    fn device_counts_follow_every_channel_change() {
        let devices = ["Local/7000@default", "PJSIP/alice", "Snoop/x", "PJSIP/bob"];
        let mut world = world();
        check(&world, &devices);
        let a1 = add(
            &mut world,
            "Local/7000@default-00000000;1",
            ChannelState::Down,
        );
        let a2 = add(
            &mut world,
            "Local/7000@default-00000000;2",
            ChannelState::Ring,
        );
        let alice = add(&mut world, "PJSIP/alice-00000001", ChannelState::Down);
        let bob = add(&mut world, "PJSIP/bob-0000000a", ChannelState::Busy);
        let snoop = add(&mut world, "Snoop/x-00000002", ChannelState::Up);
        check(&world, &devices);
        world.set_state(&alice, ChannelState::Ringing);
        check(&world, &devices);
        assert_eq!(
            world.device_states_of(&["PJSIP/alice".into()])["PJSIP/alice"],
            "RINGING"
        );
        world.set_state(&a1, ChannelState::Ringing);
        check(&world, &devices);
        assert_eq!(
            world.device_states_of(&["Local/7000@default".into()])["Local/7000@default"],
            "RINGINUSE"
        );
        world.set_state(&a1, ChannelState::Up);
        world.set_state(&alice, ChannelState::Up);
        world.set_state(&bob, ChannelState::Up);
        world.set_state(&bob, ChannelState::Busy);
        check(&world, &devices);
        // The same state again changes nothing.
        world.set_state(&snoop, ChannelState::Up);
        check(&world, &devices);
        world.remove_channel(&a2);
        world.remove_channel(&a2);
        check(&world, &devices);
        world.remove_channel(&snoop);
        world.set_state(&a1, ChannelState::Down);
        check(&world, &devices);
        assert!(!world.device_counts().contains_key("Snoop/x"));
        assert!(!world.device_counts().contains_key("Local/7000@default"));
        world.remove_channel(&alice);
        world.remove_channel(&a1);
        world.remove_channel(&bob);
        check(&world, &devices);
        assert!(world.device_counts().is_empty());
        add(&mut world, "PJSIP/alice-00000003", ChannelState::Up);
        world.clear_channels();
        check(&world, &devices);
        assert!(world.device_counts().is_empty());
    }

    /// Removing a channel finds it in the creation-order index by its key rather than
    /// by a pass over every channel id (which made tearing down N calls cost N²): every
    /// channel's key leads to its id, and the index holds nothing else.
    #[test]
    fn creation_order_is_indexed_by_key() {
        let mut world = world();
        let ids: Vec<String> = (0..1000)
            .map(|n| add(&mut world, &format!("PJSIP/p-{n:08x}"), ChannelState::Up))
            .collect();
        let gone: Vec<&String> = ids.iter().step_by(3).collect();
        for id in &gone {
            world.remove_channel(id);
        }
        let left: Vec<&String> = ids.iter().filter(|id| !gone.contains(id)).collect();
        let listed: Vec<&String> = world.channels_in_order().map(|c| &c.model.id).collect();
        assert_eq!(listed, left, "creation order kept");
        assert_eq!(world.channel_order.len(), world.channels.len());
        for (id, chan) in &world.channels {
            assert_eq!(world.channel_order.get(&chan.creation), Some(id));
        }
        // A channel inserted again under a taken id is listed once, as the newest.
        let first = left[0].clone();
        let again = world.new_channel(
            first.clone(),
            "PJSIP/p-again".to_owned(),
            ChannelState::Up,
            world.channels[&first].model.dialplan.clone(),
        );
        world.insert_channel(again);
        let listed: Vec<&String> = world.channels_in_order().map(|c| &c.model.id).collect();
        assert_eq!(listed.len(), left.len());
        assert_eq!(listed.last(), Some(&&first));
        world.check_device_counts();
    }

    #[test]
    fn many_channels_of_one_device() {
        let mut world = world();
        let ids: Vec<String> = (0..1000)
            .map(|n| {
                add(
                    &mut world,
                    &format!("PJSIP/load-{n:08x}"),
                    ChannelState::Ring,
                )
            })
            .collect();
        for (n, id) in ids.iter().enumerate() {
            let state = match n % 4 {
                0 => ChannelState::Up,
                1 => ChannelState::Ringing,
                2 => ChannelState::Busy,
                _ => ChannelState::Down,
            };
            world.set_state(id, state);
        }
        world.check_device_counts();
        assert_eq!(
            world.device_counts()["PJSIP/load"],
            DeviceCounts {
                in_use: 250,
                ringing: 250,
                busy: 250
            }
        );
        for id in &ids {
            world.remove_channel(id);
        }
        world.check_device_counts();
        assert!(world.device_counts().is_empty());
    }
}
