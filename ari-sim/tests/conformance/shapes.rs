//! Field shapes: simulated events against the key sets real Asterisk sent for the same
//! event type (optional members such as `soft` make several sets valid), and decoding by
//! the SDK into the event's own variant.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

type KeySet = BTreeSet<String>;

/// Objects inside events whose members are compared too.
const NESTED: &[&str] = &[
    "channel",
    "peer",
    "bridge",
    "playback",
    "recording",
    "device_state",
];

/// Every key set seen per event type (`Dial`) and per nested member (`Dial.peer`).
#[derive(Debug, Default)]
pub struct Shapes {
    seen: BTreeMap<String, BTreeSet<KeySet>>,
}

fn keys(value: &Value) -> Option<KeySet> {
    Some(value.as_object()?.keys().cloned().collect())
}

fn describe(set: &KeySet) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(",")
}

impl Shapes {
    /// The shapes in every `events.jsonl` of the recordings.
    pub fn recorded() -> Shapes {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/traces");
        let mut shapes = Shapes::default();
        for dir in std::fs::read_dir(&root).expect("traces folder") {
            let path = dir.expect("entry").path().join("events.jsonl");
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                shapes.add(&serde_json::from_str(line).expect("recorded frames are JSON"));
            }
        }
        shapes
    }

    fn add(&mut self, event: &Value) {
        for (place, set) in Self::places(event) {
            self.seen.entry(place).or_default().insert(set);
        }
    }

    /// (`Type` or `Type.member`, its keys).
    fn places(event: &Value) -> Vec<(String, KeySet)> {
        let ty = event["type"].as_str().unwrap_or("?").to_owned();
        let mut out: Vec<(String, KeySet)> =
            keys(event).map(|k| (ty.clone(), k)).into_iter().collect();
        for member in NESTED {
            if let Some(set) = event.get(*member).and_then(keys) {
                out.push((format!("{ty}.{member}"), set));
            }
        }
        out
    }

    /// Where a simulated event's keys match no recorded event of its type. Types no
    /// recording has are not compared.
    pub fn differences(&self, event: &Value) -> Vec<String> {
        let mut out = Vec::new();
        for (place, set) in Self::places(event) {
            let Some(known) = self.seen.get(&place) else {
                continue;
            };
            if known.contains(&set) {
                continue;
            }
            let closest = known
                .iter()
                .min_by_key(|k| k.symmetric_difference(&set).count())
                .expect("a recorded set");
            let missing: KeySet = closest.difference(&set).cloned().collect();
            let extra: KeySet = set.difference(closest).cloned().collect();
            out.push(format!(
                "{place}: missing [{}], extra [{}]",
                describe(&missing),
                describe(&extra)
            ));
        }
        out
    }

    pub fn knows(&self, ty: &str) -> bool {
        self.seen.contains_key(ty)
    }
}

/// Why a frame does not decode into the variant its `type` names, if it does not.
pub fn decode_problem(frame: &str) -> Option<String> {
    let ty = serde_json::from_str::<Value>(frame).ok()?["type"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    match ari_sdk::decode_event(frame) {
        Err(e) => Some(format!("{ty}: {e}")),
        Ok(ari_sdk::Event::Other(_)) => Some(format!("{ty}: decoded as Event::Other")),
        Ok(event) if event.type_name() != ty => {
            Some(format!("{ty}: decoded as {}", event.type_name()))
        }
        Ok(_) => None,
    }
}

#[test]
fn a_missing_or_extra_key_is_a_difference() {
    let shapes = Shapes::recorded();
    let frame = r#"{"type":"ChannelUserevent","timestamp":"2026-11-27T10:36:26.492+0000","eventname":"Ping","userevent":{"eventname":"Ping"},"asterisk_id":"x","application":"hello"}"#;
    let mut event: Value = serde_json::from_str(frame).unwrap();
    assert!(shapes.differences(&event).is_empty());
    assert_eq!(decode_problem(frame), None);
    event.as_object_mut().unwrap().remove("eventname");
    event["extra"] = Value::Bool(true);
    assert_eq!(
        shapes.differences(&event),
        vec!["ChannelUserevent: missing [eventname], extra [extra]".to_owned()]
    );
}
