//! What `ari top` knows of the server: channels, bridges, playbacks and recordings in
//! progress, the connection and the event rate. Built from a listing, kept up to date by
//! events (as JSON values); pure, with the time passed in, so that tests drive it.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The span the event rate is measured over.
pub const RATE_WINDOW: Duration = Duration::from_secs(5);

/// How many destroyed resources are remembered (see [`Gone`]).
const GONE_KEPT: usize = 4096;

/// A channel as the table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Asterisk's id (`1796329974.0`).
    pub id: String,
    /// `PJSIP/alice-00000001`.
    pub name: String,
    /// `Up`, `Ring`, ...
    pub state: String,
    /// Caller id name, maybe empty.
    pub caller_name: String,
    /// Caller id number, maybe empty.
    pub caller_number: String,
    /// The dialplan application it runs (`Stasis`, `Wait`, ...), maybe empty.
    pub app: String,
    /// That application's arguments (`hello,world`).
    pub app_data: String,
    /// When Asterisk created it, in milliseconds since the Unix epoch.
    pub created_ms: Option<i64>,
}

impl Channel {
    /// A channel from its JSON (`Channel` of the api-docs); `None` without an id.
    pub fn from_json(json: &Value) -> Option<Channel> {
        Some(Channel {
            id: id_of(json, "id")?,
            name: text(json, &["name"]),
            state: text(json, &["state"]),
            caller_name: text(json, &["caller", "name"]),
            caller_number: text(json, &["caller", "number"]),
            app: text(json, &["dialplan", "app_name"]),
            app_data: text(json, &["dialplan", "app_data"]),
            created_ms: json
                .get("creationtime")
                .and_then(crate::tables::timestamp_millis),
        })
    }

    /// `Alice <100>`, `100`, `Alice` or nothing.
    pub fn caller(&self) -> String {
        match (self.caller_name.is_empty(), self.caller_number.is_empty()) {
            (false, false) => format!("{} <{}>", self.caller_name, self.caller_number),
            (true, false) => self.caller_number.clone(),
            (false, true) => self.caller_name.clone(),
            (true, true) => String::new(),
        }
    }

    /// `Stasis(hello,world)`, `Wait(3600)`, `Answer` or nothing.
    pub fn application(&self) -> String {
        if self.app_data.is_empty() {
            self.app.clone()
        } else {
            format!("{}({})", self.app, self.app_data)
        }
    }
}

/// A bridge and its members.
#[derive(Debug, Clone, PartialEq)]
pub struct Bridge {
    /// Asterisk's id.
    pub id: String,
    /// `mixing`, `holding`, ...
    pub bridge_type: String,
    /// The name given at creation, maybe empty.
    pub name: String,
    /// Ids of the channels in it.
    pub channels: Vec<String>,
}

impl Bridge {
    /// A bridge from its JSON (`Bridge` of the api-docs); `None` without an id.
    pub fn from_json(json: &Value) -> Option<Bridge> {
        Some(Bridge {
            id: id_of(json, "id")?,
            bridge_type: text(json, &["bridge_type"]),
            name: text(json, &["name"]),
            channels: json
                .get("channels")
                .and_then(Value::as_array)
                .map(|ids| {
                    ids.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

/// Media being played or recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    /// Playback or recording.
    pub kind: MediaKind,
    /// A playback's id, a recording's name.
    pub id: String,
    /// What is played (`sound:hello-world`), or a recording's format.
    pub media: String,
    /// `channel:ID` or `bridge:ID`.
    pub target_uri: String,
    /// `playing`, `recording`, ...
    pub state: String,
}

/// What a [`Media`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// A playback (`PlaybackStarted` .. `PlaybackFinished`).
    Playback,
    /// A live recording (`RecordingStarted` .. `RecordingFinished` or `RecordingFailed`).
    Recording,
}

impl MediaKind {
    /// `playback` or `recording`.
    pub fn word(self) -> &'static str {
        match self {
            MediaKind::Playback => "playback",
            MediaKind::Recording => "recording",
        }
    }
}

impl Media {
    fn playback(json: &Value) -> Option<Media> {
        Some(Media {
            kind: MediaKind::Playback,
            id: id_of(json, "id")?,
            media: text(json, &["media_uri"]),
            target_uri: text(json, &["target_uri"]),
            state: text(json, &["state"]),
        })
    }

    fn recording(json: &Value) -> Option<Media> {
        Some(Media {
            kind: MediaKind::Recording,
            id: id_of(json, "name")?,
            media: text(json, &["format"]),
            target_uri: text(json, &["target_uri"]),
            state: text(json, &["state"]),
        })
    }

    /// Playbacks and recordings share a table: their keys must not collide.
    fn key(&self) -> String {
        format!("{}:{}", self.kind.word(), self.id)
    }
}

/// The event connection, as the header shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Not open yet.
    Connecting,
    /// Open.
    Connected,
    /// Lost; the SDK is reconnecting.
    Disconnected {
        /// Why, as the SDK says it.
        reason: String,
    },
    /// Open again after `attempt` tries (events of the gap were re-read by listing).
    Reconnected {
        /// The attempt that succeeded.
        attempt: u32,
    },
    /// Over for good (closed, refused, replaced): nothing updates any more.
    Ended {
        /// Why.
        reason: String,
    },
}

impl Connection {
    /// `connected`, `reconnecting (server closed)`, ...
    pub fn describe(&self) -> String {
        match self {
            Connection::Connecting => "connecting".into(),
            Connection::Connected => "connected".into(),
            Connection::Disconnected { reason } => format!("reconnecting ({reason})"),
            Connection::Reconnected { attempt } => {
                format!("connected (reconnected, try {attempt})")
            }
            Connection::Ended { reason } => format!("disconnected ({reason})"),
        }
    }
}

/// The server as last seen.
#[derive(Debug)]
pub struct State {
    channels: Ordered<Channel>,
    bridges: Ordered<Bridge>,
    media: Ordered<Media>,
    gone: Gone,
    rate: Rate,
    /// The event connection.
    pub connection: Connection,
    /// Events received since the start.
    pub events: u64,
    /// Events that changed nothing shown (device states, variables, ...).
    pub ignored: u64,
    /// The id of the selected channel.
    selected: Option<String>,
}

impl State {
    /// Nothing known yet; `now` starts the event rate's clock.
    pub fn new(now: Instant) -> State {
        State {
            channels: Ordered::default(),
            bridges: Ordered::default(),
            media: Ordered::default(),
            gone: Gone::default(),
            rate: Rate::new(now),
            connection: Connection::Connecting,
            events: 0,
            ignored: 0,
            selected: None,
        }
    }

    /// Channels, oldest first.
    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels.iter()
    }

    /// The channel with this id.
    pub fn channel(&self, id: &str) -> Option<&Channel> {
        self.channels.get(id)
    }

    /// Bridges, oldest first.
    pub fn bridges(&self) -> impl Iterator<Item = &Bridge> {
        self.bridges.iter()
    }

    /// Playbacks and recordings in progress, oldest first.
    pub fn media(&self) -> impl Iterator<Item = &Media> {
        self.media.iter()
    }

    /// How many channels, bridges, playbacks and recordings there are.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let playbacks = self
            .media()
            .filter(|m| m.kind == MediaKind::Playback)
            .count();
        (
            self.channels.len(),
            self.bridges.len(),
            playbacks,
            self.media.len() - playbacks,
        )
    }

    /// Events per second over the last [`RATE_WINDOW`] (or since the start, if shorter).
    pub fn events_per_second(&self, now: Instant) -> f64 {
        self.rate.per_second(now)
    }

    /// Replaces channels and bridges with a listing (`GET /channels`, `GET /bridges`): at
    /// the start, and after a reconnection, when events of the gap may have been lost.
    /// Listed resources an event already said were destroyed stay gone.
    pub fn load(&mut self, channels: &Value, bridges: &Value) {
        let mut listed: Vec<Channel> = array(channels)
            .filter_map(Channel::from_json)
            .filter(|c| !self.gone.has("channel", &c.id))
            .collect();
        // Asterisk lists in no particular order: oldest first, as new ones are added last.
        listed.sort_by_key(|c| c.created_ms);
        let ids: HashSet<&str> = listed.iter().map(|c| c.id.as_str()).collect();
        let dropped: Vec<String> = self
            .channels
            .iter()
            .filter(|c| !ids.contains(c.id.as_str()))
            .map(|c| c.id.clone())
            .collect();
        for id in dropped {
            self.remove_channel(&id);
        }
        for channel in listed {
            self.upsert_channel(channel);
        }

        let listed: Vec<Bridge> = array(bridges)
            .filter_map(Bridge::from_json)
            .filter(|b| !self.gone.has("bridge", &b.id))
            .collect();
        let ids: HashSet<&str> = listed.iter().map(|b| b.id.as_str()).collect();
        self.bridges.retain(|b| ids.contains(b.id.as_str()));
        for bridge in listed {
            let id = bridge.id.clone();
            self.bridges.upsert(&id, bridge);
        }
        // There is no listing of media in progress: keep what events said, minus media
        // of channels and bridges that are no longer there.
        let (channels, bridges) = (&self.channels, &self.bridges);
        self.media.retain(|m| match m.target_uri.split_once(':') {
            Some(("channel", id)) => channels.get(id).is_some(),
            Some(("bridge", id)) => bridges.get(id).is_some(),
            _ => true,
        });
    }

    /// Takes in one event (an SDK event turned into JSON); `now` is when it arrived.
    pub fn apply(&mut self, event: &Value, now: Instant) {
        self.events += 1;
        self.rate.record(now);
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        let mut used = false;

        // Any event carrying a channel has its latest snapshot (a `ChannelVarset` may be
        // the first to show that it entered Stasis).
        if let Some(channel) = event.get("channel").filter(|c| c.is_object()) {
            if kind == "ChannelDestroyed" {
                if let Some(id) = id_of(channel, "id") {
                    self.gone.add("channel", &id);
                    self.remove_channel(&id);
                    used = true;
                }
            } else if let Some(channel) = Channel::from_json(channel) {
                if !self.gone.has("channel", &channel.id) {
                    self.upsert_channel(channel);
                    used = true;
                }
            }
        }
        if let Some(bridge) = event.get("bridge").filter(|b| b.is_object()) {
            if kind == "BridgeDestroyed" {
                if let Some(id) = id_of(bridge, "id") {
                    self.gone.add("bridge", &id);
                    self.bridges.remove(&id);
                    self.drop_media_of("bridge", &id);
                    used = true;
                }
            } else if let Some(bridge) = Bridge::from_json(bridge) {
                if !self.gone.has("bridge", &bridge.id) {
                    let id = bridge.id.clone();
                    self.bridges.upsert(&id, bridge);
                    used = true;
                }
            }
        }
        let media = match kind {
            "PlaybackStarted" | "PlaybackContinuing" | "PlaybackFinished" => {
                event.get("playback").and_then(Media::playback)
            }
            "RecordingStarted" | "RecordingFinished" | "RecordingFailed" => {
                event.get("recording").and_then(Media::recording)
            }
            _ => None,
        };
        if let Some(media) = media {
            used = true;
            let key = media.key();
            if matches!(
                kind,
                "PlaybackFinished" | "RecordingFinished" | "RecordingFailed"
            ) {
                self.media.remove(&key);
            } else {
                self.media.upsert(&key, media);
            }
        }
        if !used {
            self.ignored += 1;
        }
    }

    /// The selected channel: the one chosen last, or the first.
    pub fn selected(&self) -> Option<&Channel> {
        self.selected
            .as_deref()
            .and_then(|id| self.channels.get(id))
    }

    /// The selected channel's row in [`channels`](Self::channels).
    pub fn selected_row(&self) -> Option<usize> {
        let id = self.selected.as_deref()?;
        self.channels.iter().position(|c| c.id == id)
    }

    /// Selects the next channel (down the table); stays on the last.
    pub fn select_next(&mut self) {
        let next = match self.selected.as_deref() {
            Some(id) => self.channels.after(id).or_else(|| self.channels.get(id)),
            None => self.channels.iter().next(),
        };
        self.selected = next.map(|c| c.id.clone());
    }

    /// Selects the previous channel (up the table); stays on the first.
    pub fn select_previous(&mut self) {
        let previous = match self.selected.as_deref() {
            Some(id) => self.channels.before(id).or_else(|| self.channels.get(id)),
            None => self.channels.iter().next(),
        };
        self.selected = previous.map(|c| c.id.clone());
    }

    /// Selects the first channel.
    pub fn select_first(&mut self) {
        self.selected = self.channels.iter().next().map(|c| c.id.clone());
    }

    /// Selects the last channel.
    pub fn select_last(&mut self) {
        self.selected = self.channels.iter().last().map(|c| c.id.clone());
    }

    fn upsert_channel(&mut self, channel: Channel) {
        let id = channel.id.clone();
        self.channels.upsert(&id, channel);
        if self.selected.is_none() {
            self.selected = Some(id);
        }
    }

    fn remove_channel(&mut self, id: &str) {
        if self.selected.as_deref() == Some(id) {
            // Keep the cursor where it was: on the next row, or the previous if last.
            let neighbour = self.channels.after(id).or_else(|| self.channels.before(id));
            self.selected = neighbour.map(|c| c.id.clone());
        }
        self.channels.remove(id);
        self.drop_media_of("channel", id);
    }

    /// Media that never finishes once its target is gone (Asterisk may not say).
    fn drop_media_of(&mut self, kind: &str, id: &str) {
        let target = format!("{kind}:{id}");
        self.media.retain(|m| m.target_uri != target);
    }
}

/// Items by key in the order they first appeared.
#[derive(Debug)]
struct Ordered<T> {
    items: BTreeMap<u64, T>,
    order: HashMap<String, u64>,
    next: u64,
}

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered {
            items: BTreeMap::new(),
            order: HashMap::new(),
            next: 0,
        }
    }
}

impl<T> Ordered<T> {
    /// Adds the item, or replaces it in its place.
    fn upsert(&mut self, key: &str, item: T) {
        let next = &mut self.next;
        let seq = *self.order.entry(key.to_owned()).or_insert_with(|| {
            *next += 1;
            *next
        });
        self.items.insert(seq, item);
    }

    fn remove(&mut self, key: &str) {
        if let Some(seq) = self.order.remove(key) {
            self.items.remove(&seq);
        }
    }

    fn get(&self, key: &str) -> Option<&T> {
        self.order.get(key).and_then(|seq| self.items.get(seq))
    }

    fn after(&self, key: &str) -> Option<&T> {
        let seq = *self.order.get(key)?;
        self.items.range(seq + 1..).next().map(|(_, item)| item)
    }

    fn before(&self, key: &str) -> Option<&T> {
        let seq = *self.order.get(key)?;
        self.items.range(..seq).next_back().map(|(_, item)| item)
    }

    fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
        self.items.values()
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.items.retain(|_, item| keep(item));
        let items = &self.items;
        self.order.retain(|_, seq| items.contains_key(seq));
    }
}

/// Resources an event said were destroyed, so that a listing taken before (and answered
/// after) does not bring them back. Ids are not reused; the oldest are forgotten.
#[derive(Debug, Default)]
struct Gone {
    keys: HashSet<String>,
    order: VecDeque<String>,
}

impl Gone {
    fn add(&mut self, kind: &str, id: &str) {
        let key = format!("{kind}:{id}");
        if self.keys.insert(key.clone()) {
            self.order.push_back(key);
        }
        while self.order.len() > GONE_KEPT {
            if let Some(old) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
    }

    fn has(&self, kind: &str, id: &str) -> bool {
        self.keys.contains(&format!("{kind}:{id}"))
    }
}

/// Event arrivals in slices of a tenth of a second, over [`RATE_WINDOW`]: bounded memory
/// whatever the rate.
#[derive(Debug)]
struct Rate {
    started: Instant,
    slices: VecDeque<(Instant, u64)>,
}

const SLICE: Duration = Duration::from_millis(100);

impl Rate {
    fn new(now: Instant) -> Rate {
        Rate {
            started: now,
            slices: VecDeque::new(),
        }
    }

    fn record(&mut self, now: Instant) {
        match self.slices.back_mut() {
            Some((start, count)) if now.saturating_duration_since(*start) < SLICE => *count += 1,
            _ => self.slices.push_back((now, 1)),
        }
        while let Some((start, _)) = self.slices.front() {
            if now.saturating_duration_since(*start) > RATE_WINDOW {
                self.slices.pop_front();
            } else {
                break;
            }
        }
    }

    fn per_second(&self, now: Instant) -> f64 {
        let recent: u64 = self
            .slices
            .iter()
            .filter(|(start, _)| now.saturating_duration_since(*start) <= RATE_WINDOW)
            .map(|(_, count)| count)
            .sum();
        // Right after the start the window is not full yet; under a second, count a second.
        let span = now
            .saturating_duration_since(self.started)
            .clamp(Duration::from_secs(1), RATE_WINDOW);
        recent as f64 / span.as_secs_f64()
    }
}

/// A string member, or `""`.
fn text(json: &Value, path: &[&str]) -> String {
    path.iter()
        .try_fold(json, |value, key| value.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// A non-empty string member.
fn id_of(json: &Value, key: &str) -> Option<String> {
    json.get(key)
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// The elements of a JSON array (none if it is not one).
fn array(json: &Value) -> impl Iterator<Item = &Value> {
    json.as_array().into_iter().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn channel(id: &str, name: &str, state: &str) -> Value {
        json!({
            "id": id, "name": name, "state": state,
            "caller": {"name": "Alice", "number": "100"},
            "dialplan": {"context": "default", "exten": "7002", "priority": 2,
                         "app_name": "Wait", "app_data": "3600"},
            "creationtime": "2026-12-03T20:32:56.425+0000"
        })
    }

    fn event(kind: &str, member: &str, value: Value) -> Value {
        json!({"type": kind, "application": "ari-top-1", member: value})
    }

    fn names(state: &State) -> Vec<String> {
        state.channels().map(|c| c.name.clone()).collect()
    }

    #[test]
    fn a_channel_appears_changes_state_and_leaves() {
        let now = Instant::now();
        let mut state = State::new(now);
        state.apply(
            &event(
                "ChannelCreated",
                "channel",
                channel("1.1", "PJSIP/a-1", "Ring"),
            ),
            now,
        );
        let c = state.channel("1.1").expect("created");
        assert_eq!(
            (c.state.as_str(), c.caller().as_str()),
            ("Ring", "Alice <100>")
        );
        assert_eq!(c.application(), "Wait(3600)");
        assert_eq!(c.created_ms, Some(1_796_329_976_425));

        state.apply(
            &event(
                "ChannelStateChange",
                "channel",
                channel("1.1", "PJSIP/a-1", "Up"),
            ),
            now,
        );
        assert_eq!(state.channel("1.1").map(|c| c.state.as_str()), Some("Up"));

        state.apply(
            &event(
                "ChannelDestroyed",
                "channel",
                channel("1.1", "PJSIP/a-1", "Up"),
            ),
            now,
        );
        assert!(state.channel("1.1").is_none());
        assert_eq!(state.counts().0, 0);
        // A late event about it does not bring it back.
        state.apply(
            &event(
                "ChannelVarset",
                "channel",
                channel("1.1", "PJSIP/a-1", "Up"),
            ),
            now,
        );
        assert!(state.channel("1.1").is_none());
    }

    #[test]
    fn a_listing_fills_and_replaces_but_keeps_the_destroyed_away() {
        let now = Instant::now();
        let mut state = State::new(now);
        state.load(
            &json!([
                channel("1.1", "PJSIP/a-1", "Up"),
                channel("1.2", "PJSIP/b-2", "Ring")
            ]),
            &json!([{"id": "b1", "bridge_type": "mixing", "channels": ["1.1"]}]),
        );
        assert_eq!(names(&state), ["PJSIP/a-1", "PJSIP/b-2"]);
        assert_eq!(state.bridges().count(), 1);

        state.apply(
            &event(
                "ChannelDestroyed",
                "channel",
                channel("1.2", "PJSIP/b-2", "Up"),
            ),
            now,
        );
        // A listing taken before the destruction answered after it; and 1.1 went while
        // the connection was down (no event), the bridge too.
        state.load(
            &json!([
                channel("1.2", "PJSIP/b-2", "Up"),
                channel("1.3", "PJSIP/c-3", "Up")
            ]),
            &json!([]),
        );
        assert_eq!(names(&state), ["PJSIP/c-3"]);
        assert_eq!(state.bridges().count(), 0);
    }

    #[test]
    fn bridges_follow_their_members() {
        let now = Instant::now();
        let mut state = State::new(now);
        let bridge = |members: &[&str]| json!({"id": "b1", "bridge_type": "mixing", "name": "conf", "channels": members});
        state.apply(&event("BridgeCreated", "bridge", bridge(&[])), now);
        let mut entered = event("ChannelEnteredBridge", "bridge", bridge(&["1.1", "1.2"]));
        entered["channel"] = channel("1.2", "PJSIP/b-2", "Up");
        state.apply(&entered, now);
        let b = state.bridges().next().expect("a bridge");
        assert_eq!(b.channels, ["1.1", "1.2"]);
        assert_eq!(b.bridge_type, "mixing");
        assert!(state.channel("1.2").is_some(), "the member is known too");

        state.apply(&event("ChannelLeftBridge", "bridge", bridge(&["1.2"])), now);
        assert_eq!(
            state.bridges().next().map(|b| b.channels.clone()),
            Some(vec!["1.2".to_string()])
        );
        state.apply(&event("BridgeDestroyed", "bridge", bridge(&[])), now);
        assert_eq!(state.bridges().count(), 0);
    }

    #[test]
    fn playbacks_and_recordings_are_shown_while_in_progress() {
        let now = Instant::now();
        let mut state = State::new(now);
        let playback = |state: &str| {
            json!({"id": "p1", "media_uri": "sound:hello-world",
                   "target_uri": "channel:1.1", "state": state})
        };
        let recording = |state: &str| json!({"name": "msg", "format": "wav", "target_uri": "bridge:b1", "state": state});
        state.apply(
            &event("PlaybackStarted", "playback", playback("playing")),
            now,
        );
        state.apply(
            &event("RecordingStarted", "recording", recording("recording")),
            now,
        );
        assert_eq!(state.counts(), (0, 0, 1, 1));
        let kinds: Vec<_> = state.media().map(|m| (m.kind, m.id.as_str())).collect();
        assert_eq!(
            kinds,
            [(MediaKind::Playback, "p1"), (MediaKind::Recording, "msg")]
        );

        state.apply(
            &event("PlaybackFinished", "playback", playback("done")),
            now,
        );
        state.apply(
            &event("RecordingFailed", "recording", recording("failed")),
            now,
        );
        assert_eq!(state.media().count(), 0);

        // A playback whose channel goes without a PlaybackFinished does not stay forever.
        state.apply(
            &event("PlaybackStarted", "playback", playback("playing")),
            now,
        );
        state.apply(
            &event(
                "ChannelDestroyed",
                "channel",
                channel("1.1", "PJSIP/a-1", "Up"),
            ),
            now,
        );
        assert_eq!(state.media().count(), 0);
    }

    #[test]
    fn the_selection_moves_and_survives_hangups() {
        let now = Instant::now();
        let mut state = State::new(now);
        assert!(state.selected().is_none());
        for (id, name) in [("1.1", "A"), ("1.2", "B"), ("1.3", "C")] {
            state.apply(
                &event("ChannelCreated", "channel", channel(id, name, "Up")),
                now,
            );
        }
        assert_eq!(state.selected().map(|c| c.id.as_str()), Some("1.1"));
        state.select_previous();
        assert_eq!(state.selected_row(), Some(0), "stays on the first");
        state.select_next();
        assert_eq!(state.selected_row(), Some(1));
        // The selected one hangs up: the cursor moves to the next row.
        state.apply(
            &event("ChannelDestroyed", "channel", channel("1.2", "B", "Up")),
            now,
        );
        assert_eq!(state.selected().map(|c| c.name.as_str()), Some("C"));
        state.apply(
            &event("ChannelDestroyed", "channel", channel("1.3", "C", "Up")),
            now,
        );
        assert_eq!(state.selected().map(|c| c.name.as_str()), Some("A"));
        state.select_last();
        state.select_next();
        assert_eq!(state.selected_row(), Some(0));
    }

    #[test]
    fn events_per_second_count_the_recent_window() {
        let start = Instant::now();
        let mut state = State::new(start);
        for i in 0..20 {
            state.apply(
                &json!({"type": "DeviceStateChanged"}),
                start + Duration::from_millis(i * 50),
            );
        }
        assert_eq!(state.events, 20);
        assert_eq!(state.ignored, 20, "device states show nowhere");
        // 20 events in the first second.
        let rate = state.events_per_second(start + Duration::from_secs(1));
        assert!((rate - 20.0).abs() < 0.01, "{rate}");
        // Spread over the whole window later on.
        let rate = state.events_per_second(start + Duration::from_secs(5));
        assert!((rate - 4.0).abs() < 0.01, "{rate}");
        // And forgotten once older than the window.
        assert_eq!(
            state.events_per_second(start + Duration::from_secs(12)),
            0.0
        );
    }

    #[test]
    fn odd_events_do_not_break_anything() {
        let now = Instant::now();
        let mut state = State::new(now);
        for odd in [
            json!(null),
            json!([1, 2]),
            json!({"type": "ChannelCreated", "channel": "not an object"}),
            json!({"type": "ChannelCreated", "channel": {"name": "no id"}}),
            json!({"type": "PlaybackStarted", "playback": {"id": 5}}),
            json!({"type": "BridgeCreated", "bridge": {"id": "b", "channels": [1, null]}}),
        ] {
            state.apply(&odd, now);
        }
        assert_eq!(state.counts(), (0, 1, 0, 0));
        assert_eq!(state.bridges().next().map(|b| b.channels.len()), Some(0));
        state.load(&json!({"not": "a list"}), &json!(null));
        assert_eq!(state.counts(), (0, 0, 0, 0));
    }
}
