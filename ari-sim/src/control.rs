//! Driving the far end and injecting faults: Rust methods, and the same as HTTP endpoints
//! under `/sim` for clients in other languages.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::json;

use crate::http::{AppState, Faults, control_error, control_ok, query_pairs};
use crate::hub::Hub;
use crate::outbound::{ConnectionType, OutboundConfig, OutboundHandle};
use crate::world::{Shared, lock};

/// How far apart the keys of [`Control::press`] arrive, each also held this long.
pub const KEY_PRESS_INTERVAL: Duration = Duration::from_millis(100);

/// What a phone user does, and what goes wrong in networks.
#[derive(Clone)]
pub struct Control {
    pub(crate) sessions: std::sync::Arc<crate::sessions::SessionCounts>,
    pub(crate) world: Shared,
    pub(crate) hub: Hub,
    pub(crate) faults: Arc<Mutex<Faults>>,
    pub(crate) rest: crate::wsrest::Rest,
    /// Whose rights outbound connections' requests get unless configured otherwise.
    pub(crate) default_user: crate::User,
    pub(crate) outbound: Arc<Mutex<Outbound>>,
}

/// The running outbound configurations, by id.
#[derive(Default)]
pub(crate) struct Outbound {
    next_id: u64,
    handles: std::collections::BTreeMap<u64, OutboundHandle>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Control")
    }
}

impl Control {
    /// A phone (`PJSIP/100`) dials `exten` in context `default`: the guide's "dial 7000".
    /// Returns the new channel's id.
    pub fn call(&self, exten: &str) -> Result<String, String> {
        self.call_from("100", exten, "default")
    }

    /// A phone `caller` (`PJSIP/<caller>`) dials `exten` in `context`; returns the new
    /// channel's id, as [`call`](Self::call) does.
    pub fn call_from(&self, caller: &str, exten: &str, context: &str) -> Result<String, String> {
        crate::ops::channels::call_from_phone(&self.world, exten, context, caller)
    }

    /// The far end presses keys on a channel (digits arrive [`KEY_PRESS_INTERVAL`] apart). A media
    /// channel, or one bridged with media channels, also sends them to the application
    /// where the transport can (AudioSocket DTMF frames, WebSocket `DTMF_END`).
    pub fn press(&self, channel_id: &str, digits: &str) -> Result<(), String> {
        {
            let world = lock(&self.world);
            let Some(chan) = world.channels.get(channel_id) else {
                return Err(format!("no channel {channel_id}"));
            };
            let mut hearers = vec![channel_id.to_owned()];
            if let Some(bridge) = chan.bridge.as_ref().and_then(|b| world.bridges.get(b)) {
                hearers.extend(bridge.model.channels.iter().cloned());
            }
            hearers.sort();
            hearers.dedup();
            for hearer in hearers {
                world.media.send_dtmf(&hearer, digits);
            }
        }
        crate::ops::channels::press(
            &self.world,
            channel_id.to_owned(),
            digits.to_owned(),
            crate::ops::channels::Keys {
                lead_ms: 0,
                hold_ms: 0,
                between_ms: KEY_PRESS_INTERVAL.as_millis() as i64,
                duration_ms: KEY_PRESS_INTERVAL.as_millis() as i64,
            },
        );
        Ok(())
    }

    /// What a media channel (`externalMedia`) received from the application and sent
    /// to it so far; `None` for a channel that never had media. Kept after hang-up.
    pub fn media(&self, channel_id: &str) -> Option<crate::MediaProbe> {
        lock(&self.world).media.probe(channel_id)
    }

    /// Closes every media channel's transport (the simulator stopping).
    pub fn stop_media(&self) {
        lock(&self.world).media.stop_all();
    }

    /// The far end hangs up.
    pub fn hangup(&self, channel_id: &str) -> Result<(), String> {
        let mut world = lock(&self.world);
        if !world.channels.contains_key(channel_id) {
            return Err(format!("no channel {channel_id}"));
        }
        world.hangup(channel_id, 16);
        Ok(())
    }

    /// HTTP sessions (connections) open now, event WebSockets included.
    pub fn sessions_live(&self) -> usize {
        self.sessions.live()
    }

    /// The most HTTP sessions open at once so far.
    pub fn sessions_peak(&self) -> usize {
        self.sessions.peak()
    }

    /// Connections closed at once because the session limit was reached.
    pub fn sessions_refused(&self) -> u64 {
        self.sessions.refused()
    }

    /// Ids of the channels that exist now.
    pub fn channel_ids(&self) -> Vec<String> {
        let world = lock(&self.world);
        world
            .channels_in_order()
            .map(|c| c.model.id.clone())
            .collect()
    }

    /// Closes every event WebSocket.
    pub fn drop_websockets(&self) {
        self.hub.drop_all();
    }

    /// Like an Asterisk restart: every channel, bridge, playback and recording is gone
    /// (without events: nobody is connected to hear them) and every WebSocket drops.
    pub fn restart(&self) {
        self.hub.drop_all();
        let mut world = lock(&self.world);
        world.clear_channels();
        world.bridges.clear();
        world.clear_media();
        world.live_recordings.clear();
    }

    /// The next `count` REST requests answer `status` (e.g. 500).
    pub fn fail_next(&self, status: u16, count: usize) {
        let mut faults = self.faults.lock().unwrap_or_else(|e| e.into_inner());
        faults.fail_next.extend(std::iter::repeat_n(status, count));
    }

    /// Every REST answer waits this long first (zero to stop).
    pub fn delay_responses(&self, delay: Duration) {
        self.faults.lock().unwrap_or_else(|e| e.into_inner()).delay = delay;
    }

    /// Every REST answer carries `Connection: close`.
    pub fn close_connections(&self, on: bool) {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .close_connections = on;
    }

    /// How many `/ari/events` WebSockets are open (outbound ones not included).
    pub fn websocket_count(&self) -> usize {
        self.hub.connection_count()
    }

    /// Connects out to an application's WebSocket server (see
    /// [`outbound`](crate::outbound)). Must be called within a tokio runtime.
    pub fn connect_outbound(&self, config: OutboundConfig) -> Result<OutboundHandle, String> {
        let user = match &config.local_ari_user {
            Some(name) => self
                .rest
                .user(name)
                .ok_or_else(|| format!("no ARI user `{name}` for local_ari_user"))?,
            None => self.default_user.clone(),
        };
        let mut outbound = self.outbound.lock().unwrap_or_else(|e| e.into_inner());
        outbound.next_id += 1;
        let id = outbound.next_id;
        let handle = crate::outbound::start(
            id,
            config,
            self.rest.clone(),
            user,
            self.world.clone(),
            self.hub.clone(),
        )?;
        outbound.handles.insert(id, handle.clone());
        Ok(handle)
    }

    /// The outbound configurations started and not stopped.
    pub fn outbound(&self) -> Vec<OutboundHandle> {
        let mut outbound = self.outbound.lock().unwrap_or_else(|e| e.into_inner());
        outbound.handles.retain(|_, h| !h.is_stopped());
        outbound.handles.values().cloned().collect()
    }

    /// Stops one outbound configuration; false when there is none with that id.
    pub fn stop_outbound_id(&self, id: u64) -> bool {
        let handle = self
            .outbound
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .handles
            .remove(&id);
        handle.map(|h| h.stop()).is_some()
    }

    /// Stops every outbound configuration.
    pub fn stop_outbound(&self) {
        let handles = std::mem::take(
            &mut self
                .outbound
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .handles,
        );
        for handle in handles.values() {
            handle.stop();
        }
    }
}

/// `POST /sim/outbound?url=...&apps=a,b[&username=U&password=P][&type=per_call]
/// [&reconnect_ms=1000][&attempts=4][&ari_user=NAME][&start_delay_ms=500]
/// [&close_delay_ms=3500]`.
fn outbound_from_query(get: &dyn Fn(&str) -> Option<String>) -> Result<OutboundConfig, String> {
    let url = get("url").ok_or("url is required")?;
    let apps: Vec<String> = get("apps")
        .or_else(|| get("app"))
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect();
    let mut config = OutboundConfig::new(&url, apps);
    config.username = get("username").unwrap_or_default();
    config.password = get("password").unwrap_or_default();
    config.connection_type = match get("type").as_deref() {
        None | Some("persistent") => ConnectionType::Persistent,
        Some("per_call" | "per_call_config" | "per-call") => ConnectionType::PerCall,
        Some(other) => return Err(format!("type `{other}`: persistent or per_call")),
    };
    let ms = |name: &str| -> Result<Option<Duration>, String> {
        get(name)
            .map(|v| {
                v.parse::<u64>()
                    .map(Duration::from_millis)
                    .map_err(|_| format!("{name} must be a number of milliseconds"))
            })
            .transpose()
    };
    if let Some(d) = ms("reconnect_ms")? {
        config.reconnect_interval = d;
    }
    if let Some(d) = ms("start_delay_ms")? {
        config.per_call_start_delay = d;
    }
    if let Some(d) = ms("close_delay_ms")? {
        config.per_call_close_delay = d;
    }
    if let Some(n) = get("attempts") {
        config.reconnect_attempts = n.parse().map_err(|_| "attempts must be a number")?;
    }
    config.local_ari_user = get("ari_user");
    Ok(config)
}

fn describe(handle: &OutboundHandle) -> serde_json::Value {
    let config = handle.config();
    json!({
        "id": handle.id(),
        "url": config.url,
        "apps": config.apps,
        "type": match config.connection_type {
            ConnectionType::Persistent => "persistent",
            ConnectionType::PerCall => "per_call",
        },
        "attempts": handle.attempts(),
        "connections": handle.connections(),
        "open": handle.open_sockets(),
    })
}

/// A media probe for `GET /sim/media?channel=ID` (counts and timing; no samples).
fn describe_media(probe: &crate::MediaProbe) -> serde_json::Value {
    json!({
        "transport": format!("{:?}", probe.transport),
        "format": probe.format.asterisk_name(),
        "connected": probe.connected,
        "closed": probe.closed,
        "frames_sent": probe.frames_sent,
        "frames_received": probe.frames_received,
        "bytes_received": probe.bytes_received,
        "max_gap_deviation_us": probe.max_gap_deviation.as_micros() as u64,
        "p99_gap_deviation_us": probe.p99_gap_deviation.as_micros() as u64,
        "malformed": probe.malformed,
        "dropped": probe.dropped,
        "queue_length": probe.queue_length,
        "rms": probe.rms(),
    })
}

/// `POST /sim/call?exten=7000[&context=default][&caller=100]`, `/sim/dtmf?channel=ID&digits=12#`,
/// `/sim/hangup?channel=ID`, `/sim/drop-websockets`, `/sim/restart`,
/// `/sim/fail-next?status=500[&count=1]`, `/sim/delay?ms=500`, `/sim/close-connections?on=true`,
/// `/sim/outbound?url=ws://...&apps=a,b` (see `outbound_from_query`),
/// `/sim/outbound-stop?id=N`; `GET /sim/channels`, `GET /sim/outbound`,
/// `GET /sim/media?channel=ID`.
pub async fn http(State(state): State<AppState>, request: Request) -> Response {
    let control = &state.control;
    let query = query_pairs(request.uri().query());
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let action = request.uri().path().trim_start_matches("/sim/").to_owned();
    let outcome: Result<serde_json::Value, String> = match action.as_str() {
        "call" => match get("exten") {
            Some(exten) => control
                .call_from(
                    get("caller").unwrap_or("100"),
                    exten,
                    get("context").unwrap_or("default"),
                )
                .map(|id| json!({ "channel": id })),
            None => Err("exten is required".to_owned()),
        },
        "dtmf" => match (get("channel"), get("digits")) {
            (Some(channel), Some(digits)) => control.press(channel, digits).map(|()| json!({})),
            _ => Err("channel and digits are required".to_owned()),
        },
        "hangup" => match get("channel") {
            Some(channel) => control.hangup(channel).map(|()| json!({})),
            None => Err("channel is required".to_owned()),
        },
        "drop-websockets" => {
            control.drop_websockets();
            Ok(json!({}))
        }
        "restart" => {
            control.restart();
            Ok(json!({}))
        }
        "fail-next" => match get("status")
            .and_then(|s| s.parse::<u16>().ok())
            .filter(|s| (100..600).contains(s))
        {
            Some(status) => {
                control.fail_next(
                    status,
                    get("count").and_then(|c| c.parse().ok()).unwrap_or(1),
                );
                Ok(json!({}))
            }
            None => Err("status must be an HTTP status".to_owned()),
        },
        "delay" => match get("ms").and_then(|m| m.parse::<u64>().ok()) {
            Some(ms) => {
                control.delay_responses(Duration::from_millis(ms));
                Ok(json!({}))
            }
            None => Err("ms must be a number".to_owned()),
        },
        "close-connections" => {
            control.close_connections(get("on") != Some("false"));
            Ok(json!({}))
        }
        "channels" => Ok(json!({ "channels": control.channel_ids() })),
        "media" => match get("channel") {
            Some(channel) => control
                .media(channel)
                .map(|probe| describe_media(&probe))
                .ok_or_else(|| format!("no media on channel {channel}")),
            None => Err("channel is required".to_owned()),
        },
        "outbound" if request.method() == axum::http::Method::GET => Ok(json!({
            "outbound": control.outbound().iter().map(describe).collect::<Vec<_>>()
        })),
        "outbound" => outbound_from_query(&|name| get(name).map(str::to_owned))
            .and_then(|config| control.connect_outbound(config))
            .map(|handle| describe(&handle)),
        "outbound-stop" => match get("id").and_then(|id| id.parse::<u64>().ok()) {
            Some(id) if control.stop_outbound_id(id) => Ok(json!({})),
            Some(id) => Err(format!("no outbound connection {id}")),
            None => Err("id is required".to_owned()),
        },
        other => return control_error(404, &format!("no control action `{other}`")),
    };
    match outcome {
        Ok(value) => control_ok(value),
        Err(message) => control_error(400, &message),
    }
}
