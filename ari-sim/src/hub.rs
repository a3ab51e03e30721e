//! Event WebSocket connections and the applications they register.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tokio::sync::mpsc;

/// What a connection task is told to do.
#[derive(Debug)]
pub enum Outgoing {
    /// A JSON text frame.
    Text(String),
    /// Close the socket (fault injection, restart, shutdown).
    Close,
}

/// Who opened a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An application connected to `/ari/events`; gone once its socket closes.
    Inbound,
    /// Asterisk connects out (`outbound_websocket`): the registration outlives the socket,
    /// and frames queue while it is down.
    Outbound,
}

struct Connection {
    kind: Kind,
    apps: Vec<String>,
    subscribe_all: bool,
    tx: mpsc::UnboundedSender<Outgoing>,
    /// While a REST request from this connection runs, its events wait here so that the
    /// response goes out first (as Asterisk's do: its events travel through other threads).
    held: Option<Vec<String>>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    connections: HashMap<u64, Connection>,
    /// Application -> the connection that holds it (the newest one).
    owners: HashMap<String, u64>,
    /// Applications served by per-call outbound connections (`per_call_config`).
    per_call: HashMap<String, Arc<crate::outbound::PerCallEntry>>,
}

/// A connection's place in the hub: its applications are given back when this drops,
/// whether the connection ends, its task stops, or its upgrade never completes.
pub struct Registration {
    hub: Hub,
    pub id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.hub.unregister(self.id);
    }
}

/// Shared by the HTTP side and the world.
#[derive(Clone, Default)]
pub struct Hub {
    state: Arc<Mutex<State>>,
    asterisk_id: Arc<str>,
}

impl Hub {
    pub fn new(asterisk_id: &str) -> Hub {
        Hub {
            state: Arc::default(),
            asterisk_id: asterisk_id.into(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a connection; an application another connection held is taken over,
    /// and that connection is told with `ApplicationReplaced`.
    pub fn register(
        &self,
        apps: Vec<String>,
        subscribe_all: bool,
    ) -> (Registration, mpsc::UnboundedReceiver<Outgoing>) {
        self.register_as(Kind::Inbound, apps, subscribe_all)
    }

    pub fn register_as(
        &self,
        kind: Kind,
        apps: Vec<String>,
        subscribe_all: bool,
    ) -> (Registration, mpsc::UnboundedReceiver<Outgoing>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut state = self.lock();
        state.next_id += 1;
        let id = state.next_id;
        for app in &apps {
            if let Some(old) = state.owners.insert(app.clone(), id) {
                if let Some(conn) = state.connections.get_mut(&old) {
                    conn.apps.retain(|a| a != app);
                    let _ = conn
                        .tx
                        .send(Outgoing::Text(self.app_event("ApplicationReplaced", app)));
                }
            }
        }
        state.connections.insert(
            id,
            Connection {
                kind,
                apps,
                subscribe_all,
                tx,
                held: None,
            },
        );
        let registration = Registration {
            hub: self.clone(),
            id,
        };
        (registration, rx)
    }

    fn unregister(&self, id: u64) {
        let mut state = self.lock();
        if let Some(conn) = state.connections.remove(&id) {
            for app in conn.apps {
                if state.owners.get(&app) == Some(&id) {
                    state.owners.remove(&app);
                }
            }
        }
    }

    /// Takes the applications back for an outbound connection that reconnects (another
    /// connection may have replaced it meanwhile, which then hears `ApplicationReplaced`).
    pub fn reclaim(&self, id: u64, apps: &[String]) {
        let mut state = self.lock();
        if !state.connections.contains_key(&id) {
            return;
        }
        for app in apps {
            match state.owners.insert(app.clone(), id) {
                Some(old) if old != id => {
                    if let Some(conn) = state.connections.get_mut(&old) {
                        conn.apps.retain(|a| a != app);
                        let _ = conn
                            .tx
                            .send(Outgoing::Text(self.app_event("ApplicationReplaced", app)));
                    }
                }
                _ => {}
            }
            if let Some(conn) = state.connections.get_mut(&id) {
                if !conn.apps.contains(app) {
                    conn.apps.push(app.clone());
                }
            }
        }
    }

    /// `ApplicationRegistered` (or another `Application*` event) for one connection, in
    /// its own field order: `type`, `timestamp`, `application`, `asterisk_id`.
    pub fn app_event(&self, type_name: &str, app: &str) -> String {
        let mut out = Map::new();
        out.insert("type".to_owned(), Value::String(type_name.to_owned()));
        out.insert("timestamp".to_owned(), Value::String(crate::world::now()));
        out.insert("application".to_owned(), Value::String(app.to_owned()));
        out.insert(
            "asterisk_id".to_owned(),
            Value::String(self.asterisk_id.to_string()),
        );
        Value::Object(out).to_string()
    }

    /// Queues a frame on one connection (held frames stay behind it).
    pub fn send_to(&self, id: u64, text: String) {
        push(&mut self.lock(), id, text);
    }

    /// Holds the connection's events until [`release`](Self::release).
    pub fn hold(&self, id: u64) {
        if let Some(conn) = self.lock().connections.get_mut(&id) {
            conn.held.get_or_insert_with(Vec::new);
        }
    }

    /// Sends `first` (a REST response), then the events held meanwhile.
    pub fn release(&self, id: u64, first: String) {
        let mut state = self.lock();
        if let Some(conn) = state.connections.get_mut(&id) {
            let held = conn.held.take().unwrap_or_default();
            for text in std::iter::once(first).chain(held) {
                let _ = conn.tx.send(Outgoing::Text(text));
            }
        }
    }

    /// The asterisk_id frames carry.
    pub fn asterisk_id(&self) -> &str {
        &self.asterisk_id
    }

    /// Declares `app` a per-call outbound application (`Stasis(app)` opens a socket).
    pub(crate) fn add_per_call(&self, app: &str, entry: Arc<crate::outbound::PerCallEntry>) {
        self.lock().per_call.insert(app.to_owned(), entry);
    }

    /// Forgets the per-call applications of one outbound configuration.
    pub(crate) fn remove_per_call(&self, entry: &Arc<crate::outbound::PerCallEntry>) {
        self.lock().per_call.retain(|_, e| !Arc::ptr_eq(e, entry));
    }

    pub(crate) fn per_call(&self, app: &str) -> Option<Arc<crate::outbound::PerCallEntry>> {
        self.lock().per_call.get(app).cloned()
    }

    pub fn is_registered(&self, app: &str) -> bool {
        self.lock().owners.contains_key(app)
    }

    /// Applications with a connection, sorted.
    pub fn registered_apps(&self) -> Vec<String> {
        let mut apps: Vec<String> = self.lock().owners.keys().cloned().collect();
        apps.sort();
        apps
    }

    /// Applications of `subscribeAll` connections.
    pub fn subscribed_to_all(&self) -> Vec<String> {
        let state = self.lock();
        let mut apps: Vec<String> = state
            .connections
            .values()
            .filter(|c| c.subscribe_all)
            .flat_map(|c| c.apps.clone())
            .collect();
        apps.sort();
        apps
    }

    /// Sends an event to applications (each at most once: `apps` holds no repeats); one
    /// with no connection is passed over, as Asterisk does.
    pub fn send(&self, apps: &[&str], event: &Frame<'_>) {
        let mut state = self.lock();
        let connected: Vec<(u64, &str)> = apps
            .iter()
            .filter_map(|app| Some((state.owners.get(*app).copied()?, *app)))
            .collect();
        match connected.as_slice() {
            [] => {}
            [(id, app)] => {
                let text = event.text_for(&self.asterisk_id, app);
                push(&mut state, *id, text);
            }
            several => {
                let head = event.head(&self.asterisk_id);
                for (id, app) in several {
                    let text = match &head {
                        Some(head) => finish_frame(head.clone(), app),
                        None => None,
                    };
                    let text = text.unwrap_or_else(|| event.built_for(&self.asterisk_id, app));
                    push(&mut state, *id, text);
                }
            }
        }
    }

    /// Closes every WebSocket (clients see the connection drop). Outbound connections
    /// keep their registration and connect again, as Asterisk's do.
    pub fn drop_all(&self) {
        let mut state = self.lock();
        for conn in state.connections.values() {
            let _ = conn.tx.send(Outgoing::Close);
        }
        state.connections.retain(|_, c| c.kind == Kind::Outbound);
        let State {
            connections,
            owners,
            ..
        } = &mut *state;
        owners.retain(|_, id| connections.contains_key(id));
    }

    /// Open `/ari/events` connections.
    pub fn connection_count(&self) -> usize {
        self.lock()
            .connections
            .values()
            .filter(|c| c.kind == Kind::Inbound)
            .count()
    }
}

fn push(state: &mut State, id: u64, text: String) {
    if let Some(conn) = state.connections.get_mut(&id) {
        match &mut conn.held {
            Some(held) => held.push(text),
            None => {
                let _ = conn.tx.send(Outgoing::Text(text));
            }
        }
    }
}

/// One event on its way to its applications. Its text is the same for all of them but
/// for `application`, the last field, so all but that is serialised once and, for the
/// usual single application, straight into the frame: an event used to be copied field
/// by field and serialised again for each application, and those allocations (frames
/// are over a KiB, past glibc's per-thread cache) grew slower as the heap grew with the
/// calls.
pub struct Frame<'a> {
    type_name: &'a str,
    fields: &'a Map<String, Value>,
}

impl<'a> Frame<'a> {
    pub fn new(type_name: &'a str, fields: &'a Map<String, Value>) -> Self {
        Frame { type_name, fields }
    }

    /// The text up to the application's name; `None` when the fields set one of the
    /// frame's own keys, which [`frame`] then places as a map would.
    fn head(&self, asterisk_id: &str) -> Option<Vec<u8>> {
        frame_head(asterisk_id, self.type_name, self.fields)
    }

    /// The frame's text for one application.
    fn text_for(&self, asterisk_id: &str, app: &str) -> String {
        self.head(asterisk_id)
            .and_then(|head| finish_frame(head, app))
            .unwrap_or_else(|| self.built_for(asterisk_id, app))
    }

    /// The text as a map of the fields gives it (where the fields set the frame's keys).
    fn built_for(&self, asterisk_id: &str, app: &str) -> String {
        frame(asterisk_id, self.type_name, self.fields.clone(), app)
    }
}

/// What [`frame`] writes before the application's name, as text, when the fields hold a
/// `timestamp` and none of `type`, `asterisk_id`, `application` (so nothing is replaced
/// or added in between).
fn frame_head(asterisk_id: &str, type_name: &str, fields: &Map<String, Value>) -> Option<Vec<u8>> {
    let plain = fields.contains_key("timestamp")
        && !["type", "asterisk_id", "application"]
            .iter()
            .any(|key| fields.contains_key(*key));
    if !plain {
        return None;
    }
    let mut text = Vec::with_capacity(1024);
    text.extend_from_slice(br#"{"type":"#);
    serde_json::to_writer(&mut text, type_name).ok()?;
    // The fields' own braces go: `{` becomes the comma after `type`, `}` is dropped.
    let fields_start = text.len();
    serde_json::to_writer(&mut text, fields).ok()?;
    text[fields_start] = b',';
    text.pop();
    text.extend_from_slice(br#","asterisk_id":"#);
    serde_json::to_writer(&mut text, asterisk_id).ok()?;
    text.extend_from_slice(br#","application":"#);
    Some(text)
}

/// `head` with the application's name and the closing brace.
fn finish_frame(mut head: Vec<u8>, app: &str) -> Option<String> {
    serde_json::to_writer(&mut head, app).ok()?;
    head.push(b'}');
    String::from_utf8(head).ok()
}

/// An event frame the way Asterisk writes it: `type` first, `asterisk_id` and
/// `application` last.
fn frame(asterisk_id: &str, type_name: &str, fields: Map<String, Value>, app: &str) -> String {
    let mut out = Map::new();
    out.insert("type".to_owned(), Value::String(type_name.to_owned()));
    if !fields.contains_key("timestamp") {
        out.insert("timestamp".to_owned(), Value::String(crate::world::now()));
    }
    out.extend(fields);
    out.insert(
        "asterisk_id".to_owned(),
        Value::String(asterisk_id.to_owned()),
    );
    out.insert("application".to_owned(), Value::String(app.to_owned()));
    Value::Object(out).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    /// The text serialised once is the text [`frame`] builds for each application.
    #[test]
    fn a_frame_serialised_once_reads_as_one_built_per_application() {
        let cases = [
            json!({"timestamp": "2026-11-27T10:36:17.719+0000", "channel": {"id": "1.2", "name": "Local/7000@default-00000000;2", "caller": {"name": "\"quoted\" \u{e9}", "number": ""}}, "args": ["a", "b"], "cause": 16}),
            json!({"timestamp": "t"}),
            // Keys the frame sets itself: placed as a map places them.
            json!({"timestamp": "t", "application": "other", "x": 1}),
            json!({"timestamp": "t", "type": "Other", "asterisk_id": "x"}),
            // No timestamp: the frame adds one.
            json!({"x": "y"}),
        ];
        for case in cases {
            let fields = fields(case);
            let event = Frame::new("StasisStart", &fields);
            for app in ["hello", "a\"pp\n", ""] {
                let text = event.text_for("sim-id", app);
                if let Some(head) = event.head("sim-id") {
                    assert_eq!(finish_frame(head, app).as_ref(), Some(&text));
                }
                let built = frame("sim-id", "StasisStart", fields.clone(), app);
                if fields.contains_key("timestamp") {
                    assert_eq!(text, built);
                } else {
                    let parsed: Value = serde_json::from_str(&text).expect("JSON");
                    assert_eq!(parsed["x"], "y");
                    assert_eq!(parsed["application"], app);
                }
            }
        }
    }
}
