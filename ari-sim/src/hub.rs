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

struct Connection {
    apps: Vec<String>,
    subscribe_all: bool,
    tx: mpsc::UnboundedSender<Outgoing>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    connections: HashMap<u64, Connection>,
    /// Application -> the connection that holds it (the newest one).
    owners: HashMap<String, u64>,
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
    ) -> (u64, mpsc::UnboundedReceiver<Outgoing>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut state = self.lock();
        state.next_id += 1;
        let id = state.next_id;
        for app in &apps {
            if let Some(old) = state.owners.insert(app.clone(), id) {
                if let Some(conn) = state.connections.get_mut(&old) {
                    conn.apps.retain(|a| a != app);
                    let frame = frame(&self.asterisk_id, "ApplicationReplaced", Map::new(), app);
                    let _ = conn.tx.send(Outgoing::Text(frame));
                }
            }
        }
        state.connections.insert(
            id,
            Connection {
                apps,
                subscribe_all,
                tx,
            },
        );
        (id, rx)
    }

    pub fn unregister(&self, id: u64) {
        let mut state = self.lock();
        if let Some(conn) = state.connections.remove(&id) {
            for app in conn.apps {
                if state.owners.get(&app) == Some(&id) {
                    state.owners.remove(&app);
                }
            }
        }
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

    /// Sends an event to one application (dropped when it has no connection, as Asterisk does).
    pub fn send(&self, app: &str, type_name: &str, fields: &Map<String, Value>) {
        let state = self.lock();
        if let Some(conn) = state
            .owners
            .get(app)
            .and_then(|id| state.connections.get(id))
        {
            let _ = conn.tx.send(Outgoing::Text(frame(
                &self.asterisk_id,
                type_name,
                fields.clone(),
                app,
            )));
        }
    }

    /// Closes every WebSocket (clients see the connection drop).
    pub fn drop_all(&self) {
        let mut state = self.lock();
        for conn in state.connections.values() {
            let _ = conn.tx.send(Outgoing::Close);
        }
        state.connections.clear();
        state.owners.clear();
    }

    pub fn connection_count(&self) -> usize {
        self.lock().connections.len()
    }
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
