//! Driving the far end and injecting faults: Rust methods, and the same as HTTP endpoints
//! under `/sim` for clients in other languages.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::json;

use crate::http::{AppState, Faults, control_error, control_ok, query_pairs};
use crate::hub::Hub;
use crate::world::{Shared, lock};

/// What a phone user does, and what goes wrong in networks.
#[derive(Clone)]
pub struct Control {
    pub(crate) world: Shared,
    pub(crate) hub: Hub,
    pub(crate) faults: Arc<Mutex<Faults>>,
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

    pub fn call_from(&self, caller: &str, exten: &str, context: &str) -> Result<String, String> {
        crate::ops::channels::call_from_phone(&self.world, exten, context, caller)
    }

    /// The far end presses keys on a channel (digits arrive 100 ms apart).
    pub fn press(&self, channel_id: &str, digits: &str) -> Result<(), String> {
        if !lock(&self.world).channels.contains_key(channel_id) {
            return Err(format!("no channel {channel_id}"));
        }
        crate::ops::channels::press(
            &self.world,
            channel_id.to_owned(),
            digits.to_owned(),
            100,
            100,
        );
        Ok(())
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

    /// Ids of the channels that exist now.
    pub fn channel_ids(&self) -> Vec<String> {
        lock(&self.world).channel_order.clone()
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
        world.channels.clear();
        world.channel_order.clear();
        world.bridges.clear();
        world.playbacks.clear();
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

    /// How many event WebSockets are open.
    pub fn websocket_count(&self) -> usize {
        self.hub.connection_count()
    }
}

/// `POST /sim/call?exten=7000[&context=default][&caller=100]`, `/sim/dtmf?channel=ID&digits=12#`,
/// `/sim/hangup?channel=ID`, `/sim/drop-websockets`, `/sim/restart`,
/// `/sim/fail-next?status=500[&count=1]`, `/sim/delay?ms=500`, `/sim/close-connections?on=true`;
/// `GET /sim/channels`.
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
        other => return control_error(404, &format!("no control action `{other}`")),
    };
    match outcome {
        Ok(value) => control_ok(value),
        Err(message) => control_error(400, &message),
    }
}
