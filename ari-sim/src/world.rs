//! The simulated system's state, and how changes become events.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use ari_sdk::{Bridge, CallerID, Channel, ChannelState, DialplanCEP, LiveRecording, Playback};
use serde_json::{Map, Value, json};

use crate::dialplan::Dialplan;
use crate::hub::Hub;

/// Asterisk's timestamp text for now: `2026-11-27T10:36:17.719+0000`.
pub fn now() -> String {
    let now = chrono::Utc::now().fixed_offset();
    ari_sdk::Timestamp::from(now).to_string()
}

pub fn now_timestamp() -> ari_sdk::Timestamp {
    ari_sdk::Timestamp::from(chrono::Utc::now().fixed_offset())
}

/// Tunable behaviour.
#[derive(Debug, Clone)]
pub struct Timing {
    /// How long one sound plays.
    pub media: Duration,
    /// How long a simulated phone rings before it answers an originate.
    pub answer_delay: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            media: Duration::from_millis(300),
            answer_delay: Duration::from_millis(50),
        }
    }
}

/// A channel and what the simulator knows about it beyond its snapshot.
#[derive(Debug, Clone)]
pub struct Chan {
    pub model: Channel,
    /// Applications that receive this channel's events, in subscription order.
    pub subscribers: Vec<String>,
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
    /// The Stasis application subscribed only by entering (so leaving unsubscribes it);
    /// an application that originated the channel stays subscribed after StasisEnd.
    pub stasis_only_subscription: bool,
    /// What `POST /channels/create` will dial (`POST /channels/{id}/dial` refuses other
    /// channels).
    pub dialstring: Option<String>,
    /// The channel runs a dialplan (a `;2` half, a phone's call): when it leaves Stasis
    /// it returns there, and the dialplan notices a pending hang-up itself.
    pub pbx: bool,
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
}

#[derive(Debug, Clone)]
pub struct RecordingState {
    pub model: LiveRecording,
    pub started: std::time::Instant,
}

/// Everything the simulated Asterisk holds.
pub struct World {
    pub hub: Hub,
    pub asterisk_id: String,
    pub timing: Timing,
    pub dialplan: Dialplan,
    start_secs: u64,
    next_seq: u64,
    next_local: u32,
    pub channels: HashMap<String, Chan>,
    /// Channel ids in creation order (`GET /channels` lists them so).
    pub channel_order: Vec<String>,
    pub bridges: BTreeMap<String, BridgeState>,
    pub playbacks: HashMap<String, PlaybackState>,
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
    /// Channels that entered a per-call outbound application: their sockets open once
    /// the world is released.
    pub(crate) pending_per_call: Vec<crate::outbound::PerCallStart>,
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
        drop(guard);
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
            next_seq: 0,
            next_local: 0,
            channels: HashMap::new(),
            channel_order: Vec::new(),
            bridges: BTreeMap::new(),
            playbacks: HashMap::new(),
            live_recordings: BTreeMap::new(),
            stored_recordings: BTreeMap::new(),
            global_vars: BTreeMap::new(),
            device_states: BTreeMap::new(),
            mailboxes: BTreeMap::new(),
            app_subscriptions: BTreeMap::new(),
            pending_devices: Vec::new(),
            pending_per_call: Vec::new(),
        }
    }

    /// A channel id the way Asterisk makes them: `<start time>.<sequence>`.
    pub fn next_channel_id(&mut self) -> String {
        let id = format!("{}.{}", self.start_secs, self.next_seq);
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
            stasis: None,
            local_peer: None,
            on_answer: None,
            vars: BTreeMap::new(),
            bridge: None,
            muted: None,
            held: false,
            stasis_only_subscription: false,
            pbx: false,
            dialstring: None,
        }
    }

    /// Adds a channel: `ChannelCreated` reaches only applications subscribed to
    /// everything, since nothing can have subscribed to the channel yet.
    pub fn insert_channel(&mut self, chan: Chan) {
        let id = chan.model.id.clone();
        let model = to_value(&chan.model);
        self.channel_order.push(id.clone());
        self.channels.insert(id, chan);
        self.send(
            &self.global_targets(),
            "ChannelCreated",
            object(json!({ "channel": model })),
        );
    }

    pub fn remove_channel(&mut self, id: &str) -> Option<Chan> {
        self.channel_order.retain(|c| c != id);
        let chan = self.channels.remove(id)?;
        self.pending_devices.push(device_of(&chan.model.name));
        Some(chan)
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
        let mut fields = fields;
        fields.insert("timestamp".to_owned(), Value::String(now()));
        // `timestamp` comes right after `type`, as in Asterisk's frames.
        let mut ordered = Map::new();
        ordered.insert(
            "timestamp".to_owned(),
            fields.remove("timestamp").unwrap_or(Value::Null),
        );
        ordered.extend(fields);
        let mut sent: Vec<&String> = Vec::new();
        for app in targets {
            if !sent.contains(&app) {
                self.hub.send(app, type_name, &ordered);
                sent.push(app);
            }
        }
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

    pub fn subscribe_channel(&mut self, id: &str, app: &str) {
        if let Some(chan) = self.channels.get_mut(id) {
            if !chan.subscribers.iter().any(|a| a == app) {
                chan.subscribers.push(app.to_owned());
            }
        }
    }

    pub fn set_state(&mut self, id: &str, state: ChannelState) {
        let changed = match self.channels.get_mut(id) {
            Some(chan) if chan.model.state != state => {
                chan.model.state = state;
                Some(device_of(&chan.model.name))
            }
            _ => None,
        };
        if let Some(device) = changed {
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

    /// The states of `devices` from their channels' states, the way Asterisk aggregates
    /// them: one pass over the channels for a whole batch of changes, the device name of
    /// each channel borrowed, not built.
    fn device_states_of<'a>(&self, devices: &'a [String]) -> HashMap<&'a str, &'static str> {
        // (in use, ringing, busy) per device.
        let mut flags: HashMap<&str, (bool, bool, bool)> = devices
            .iter()
            .map(|d| (d.as_str(), Default::default()))
            .collect();
        for chan in self.channels.values() {
            let Some((in_use, ringing, busy)) = flags.get_mut(device_name(&chan.model.name)) else {
                continue;
            };
            match chan.model.state {
                ChannelState::Down => {}
                ChannelState::Ringing | ChannelState::PreRing => *ringing = true,
                ChannelState::Busy => *busy = true,
                _ => *in_use = true,
            }
        }
        flags
            .into_iter()
            .map(|(device, flags)| {
                let state = match flags {
                    (true, true, _) => "RINGINUSE",
                    (true, false, _) => "INUSE",
                    (false, true, _) => "RINGING",
                    (false, false, true) => "BUSY",
                    _ => "NOT_INUSE",
                };
                (device, state)
            })
            .collect()
    }

    pub fn set_var_event(&self, id: &str, variable: &str, value: &str) {
        self.channel_event(
            id,
            "ChannelVarset",
            object(json!({"variable": variable, "value": value})),
        );
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
