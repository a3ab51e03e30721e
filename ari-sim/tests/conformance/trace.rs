//! The recordings of a real Asterisk 22 (`tests/fixtures/traces/<scenario>/`), and the
//! facts the replay and the scores need from each event.

use serde_json::Value;

/// One REST exchange of `rest.jsonl`.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    /// In the order the recording lists them.
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    pub status: u16,
    /// JSON, a text, or a `<N bytes TYPE>` placeholder for binary bodies.
    pub response: Value,
}

impl Exchange {
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Path segments below `/ari` (`["channels", "123", "answer"]`).
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }
}

/// One recorded scenario.
pub struct Trace {
    pub events: Vec<Ev>,
    pub rest: Vec<Exchange>,
}

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traces")
}

fn lines(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

pub fn load(scenario: &str) -> Trace {
    let dir = fixtures().join(scenario);
    let events = lines(&dir.join("events.jsonl"))
        .into_iter()
        .enumerate()
        .map(|(i, v)| Ev::new(i, v))
        .collect();
    let rest = lines(&dir.join("rest.jsonl"))
        .into_iter()
        .map(|r| Exchange {
            method: text(&r["method"]),
            path: text(&r["path"]),
            query: r["query"]
                .as_object()
                .map(|q| q.iter().map(|(k, v)| (k.clone(), text(v))).collect())
                .unwrap_or_default(),
            body: r.get("body").filter(|b| !b.is_null()).cloned(),
            status: r["status"].as_u64().unwrap_or(0) as u16,
            response: r["response"].clone(),
        })
        .collect();
    Trace { events, rest }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An event and the resources it is about.
#[derive(Debug, Clone)]
pub struct Ev {
    /// Position in arrival order.
    pub index: usize,
    pub app: String,
    pub ty: String,
    /// `channel` (or, for `Dial`, `peer`): id and name.
    pub channel: Option<(String, String)>,
    pub bridge: Option<String>,
    /// Playback id or recording name, with its `target_uri`.
    pub media: Option<(String, String)>,
    /// Whatever else names what the event is about: variable, user event, device.
    pub detail: Option<String>,
    pub raw: Value,
}

impl Ev {
    pub fn new(index: usize, raw: Value) -> Ev {
        let channel = ["channel", "peer"].iter().find_map(|k| {
            let c = raw.get(*k)?;
            Some((text(&c["id"]), text(&c["name"])))
        });
        let media = raw
            .get("playback")
            .map(|p| (text(&p["id"]), text(&p["target_uri"])))
            .or_else(|| {
                raw.get("recording")
                    .map(|r| (text(&r["name"]), text(&r["target_uri"])))
            });
        let detail = raw
            .get("variable")
            .or_else(|| raw.get("eventname"))
            .or_else(|| raw.pointer("/device_state/name"))
            .map(text);
        Ev {
            index,
            app: text(&raw["application"]),
            ty: text(&raw["type"]),
            channel,
            bridge: raw.pointer("/bridge/id").map(text),
            media,
            detail,
            raw,
        }
    }

    pub fn channel_id(&self) -> Option<&str> {
        self.channel.as_ref().map(|(id, _)| id.as_str())
    }

    pub fn channel_name(&self) -> Option<&str> {
        self.channel.as_ref().map(|(_, name)| name.as_str())
    }
}

/// `Local/7000@default-00000001;2` -> (`Local/7000@default-00000001`, `;2`).
pub fn split_half(name: &str) -> (&str, &str) {
    match name.rfind(';') {
        Some(at) => (&name[..at], &name[at..]),
        None => (name, ""),
    }
}
