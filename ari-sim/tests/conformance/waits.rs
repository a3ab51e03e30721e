//! What the recording client waited for before each request, read from the recording.
//!
//! Each request that causes events has a *marker*: the first recorded event it caused
//! (an answer's `ChannelStateChange`, a play's `PlaybackStarted`, a hang-up's
//! `ChannelHangupRequest`, ...). Every event recorded before the marker of this or any
//! later request had arrived before the request was sent, so the replay waits for the
//! simulated counterparts of those events (of the types below) first.

use std::collections::HashSet;

use crate::trace::{Ev, Exchange, Trace, split_half};

/// Event types the replay waits for: the ones an application acts on.
pub const WAITED: &[&str] = &[
    "StasisStart",
    "StasisEnd",
    "ChannelStateChange",
    "ChannelEnteredBridge",
    "ChannelLeftBridge",
    "ChannelDtmfReceived",
    "PlaybackStarted",
    "PlaybackFinished",
    "RecordingStarted",
    "RecordingFinished",
    "ChannelUserevent",
    "ChannelDestroyed",
];

/// For each request, how many recorded events (a prefix) precede it.
pub fn bounds(trace: &Trace) -> Vec<usize> {
    let markers = markers(trace);
    let mut bounds = vec![trace.events.len(); markers.len()];
    let mut lowest = trace.events.len();
    for i in (0..markers.len()).rev() {
        if let Some(m) = markers[i] {
            lowest = lowest.min(m);
        }
        bounds[i] = lowest;
    }
    bounds
}

/// The first recorded event each request caused (each event marks one request at most).
fn markers(trace: &Trace) -> Vec<Option<usize>> {
    let mut claimed = HashSet::new();
    trace
        .rest
        .iter()
        .map(|ex| {
            let found = trace
                .events
                .iter()
                .find(|ev| !claimed.contains(&ev.index) && caused_by(ex, ev, &trace.events))?;
            claimed.insert(found.index);
            Some(found.index)
        })
        .collect()
}

/// Whether a request can have caused an event (the events ARI raises for it).
fn caused_by(ex: &Exchange, ev: &Ev, all: &[Ev]) -> bool {
    if ex.status >= 300 {
        return false;
    }
    let seg = ex.segments();
    let response_id = ex.response.get("id").and_then(|v| v.as_str());
    let media = ev.media.as_ref().map(|(id, _)| id.as_str());
    let on_channel = |id: &str| ev.channel_id() == Some(id);
    match (ex.method.as_str(), seg.as_slice()) {
        // An originate: anything about either half of the new pair.
        ("POST", ["channels"] | ["channels", _]) => {
            let name = ex.response.get("name").and_then(|v| v.as_str());
            let base = name.map(|n| split_half(n).0);
            base.is_some() && ev.channel_name().map(|n| split_half(n).0) == base
        }
        ("POST", ["channels", id, "answer"]) => ev.ty == "ChannelStateChange" && on_channel(id),
        ("DELETE", ["channels", id]) => ev.ty == "ChannelHangupRequest" && on_channel(id),
        // DTMF sent on one half is received on the other.
        ("POST", ["channels", id, "dtmf"]) => {
            let base = name_of(all, id).map(|n| split_half(n).0.to_owned());
            ev.ty == "ChannelDtmfReceived"
                && base.is_some()
                && ev.channel_name().map(|n| split_half(n).0.to_owned()) == base
        }
        ("POST", ["channels", id, "variable"]) => {
            ev.ty == "ChannelVarset"
                && on_channel(id)
                && ev.detail.as_deref() == ex.query_value("variable")
        }
        ("POST", [_, _, "play", ..]) => ev.ty == "PlaybackStarted" && media == response_id,
        ("POST", [_, _, "record"]) => {
            ev.ty == "RecordingStarted" && media == ex.response.get("name").and_then(|v| v.as_str())
        }
        ("POST", ["recordings", "live", name, "stop" | "cancel"]) => {
            ev.ty == "RecordingFinished" && media == Some(*name)
        }
        ("POST", ["bridges", id, "addChannel"]) => {
            ev.ty == "ChannelEnteredBridge" && ev.bridge.as_deref() == Some(*id)
        }
        ("POST", ["bridges", id, "removeChannel"]) => {
            let channels = ex.query_value("channel").unwrap_or("");
            ev.ty == "ChannelLeftBridge"
                && ev.bridge.as_deref() == Some(*id)
                && ev
                    .channel_id()
                    .is_some_and(|c| channels.split(',').any(|x| x == c))
        }
        ("DELETE", ["bridges", id]) => {
            matches!(ev.ty.as_str(), "ChannelLeftBridge" | "BridgeDestroyed")
                && ev.bridge.as_deref() == Some(*id)
        }
        (_, ["playbacks", id, ..]) => media == Some(*id),
        ("POST", ["events", "user", name]) => {
            ev.ty == "ChannelUserevent" && ev.detail.as_deref() == Some(*name)
        }
        ("PUT" | "DELETE", ["deviceStates", name]) => {
            ev.ty == "DeviceStateChanged" && ev.detail.as_deref() == Some(*name)
        }
        _ => false,
    }
}

fn name_of<'a>(events: &'a [Ev], id: &str) -> Option<&'a str> {
    events
        .iter()
        .find(|e| e.channel_id() == Some(id))
        .and_then(Ev::channel_name)
}

/// What identifies an event for waiting: application, type and subject (a channel's
/// name, a playback id or recording name, a bridge id, a variable or event name).
pub type Key = (String, String, String);

/// The key of an event as it is (recorded or simulated).
pub fn key(ev: &Ev) -> Key {
    let subject = ev
        .channel_name()
        .map(str::to_owned)
        .or_else(|| ev.media.as_ref().map(|(id, _)| id.clone()))
        .or_else(|| ev.bridge.clone())
        .or_else(|| ev.detail.clone())
        .unwrap_or_default();
    (ev.app.clone(), ev.ty.clone(), subject)
}
