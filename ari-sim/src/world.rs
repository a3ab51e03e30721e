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
}

#[derive(Debug, Clone)]
pub struct BridgeState {
    pub model: Bridge,
    pub subscribers: Vec<String>,
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
}

/// The world, shared by request handlers and timers.
pub type Shared = std::sync::Arc<std::sync::Mutex<World>>;

/// Locks the world; a panic elsewhere cannot leave it half-changed in a way that matters
/// more than stopping the simulator would.
pub fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, World> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
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
        }
    }

    pub fn insert_channel(&mut self, chan: Chan) {
        self.channel_order.push(chan.model.id.clone());
        self.channels.insert(chan.model.id.clone(), chan);
    }

    pub fn remove_channel(&mut self, id: &str) -> Option<Chan> {
        self.channel_order.retain(|c| c != id);
        self.channels.remove(id)
    }

    /// Applications that get events about a channel (its subscribers, plus anything
    /// subscribed to everything).
    fn channel_targets(&self, id: &str) -> Vec<String> {
        let mut targets = self
            .channels
            .get(id)
            .map(|c| c.subscribers.clone())
            .unwrap_or_default();
        self.add_global_targets(&mut targets);
        targets
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

    pub fn bridge_targets(&self, bridge_id: &str) -> Vec<String> {
        let mut targets = self
            .bridges
            .get(bridge_id)
            .map(|b| b.subscribers.clone())
            .unwrap_or_default();
        self.add_global_targets(&mut targets);
        targets
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
                true
            }
            _ => false,
        };
        if changed {
            self.channel_event(id, "ChannelStateChange", Map::new());
        }
    }

    pub fn set_var_event(&self, id: &str, variable: &str, value: &str) {
        self.channel_event(
            id,
            "ChannelVarset",
            object(json!({"variable": variable, "value": value})),
        );
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
