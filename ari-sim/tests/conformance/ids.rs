//! Recorded ids and names -> the ones the simulator made, and back.
//!
//! Channels are matched by name: a recorded `Local/7000@default-00000001;2` is the
//! simulated pair whose `;1` the same originate answered with, whatever its number.
//! Bridges and playbacks are matched by the answers that created them.

use std::collections::HashMap;

use serde_json::Value;

use crate::trace::{Ev, split_half};

#[derive(Debug, Default)]
pub struct Ids {
    /// Recorded channel base name -> simulated base name.
    bases: HashMap<String, String>,
    /// Recorded id -> simulated id (bridges, playbacks) and back.
    direct: HashMap<String, String>,
    reverse: HashMap<String, String>,
    rec_names: HashMap<String, String>,
    rec_ids: HashMap<String, String>,
    sim_names: HashMap<String, String>,
    sim_ids: HashMap<String, String>,
}

impl Ids {
    /// Learns the recorded channels' names from the whole recording.
    pub fn from_recording(events: &[Ev], answers: &[&Value]) -> Ids {
        let mut ids = Ids::default();
        for ev in events {
            if let Some((id, name)) = &ev.channel {
                ids.rec_names.insert(id.clone(), name.clone());
                ids.rec_ids.insert(name.clone(), id.clone());
            }
        }
        for answer in answers {
            if let Some((id, name)) = channel_of(answer) {
                ids.rec_names.insert(id.clone(), name.clone());
                ids.rec_ids.insert(name, id);
            }
        }
        ids
    }

    pub fn is_recorded_id(&self, text: &str) -> bool {
        self.rec_names.contains_key(text) || self.direct.contains_key(text)
    }

    /// A simulated event: its channel's name and id.
    pub fn saw(&mut self, ev: &Ev) {
        if let Some((id, name)) = &ev.channel {
            self.sim_names.insert(id.clone(), name.clone());
            self.sim_ids.insert(name.clone(), id.clone());
        }
    }

    /// Pairs what the recording and the simulator answered to the same request.
    pub fn learn(&mut self, recorded: &Value, simulated: &Value) {
        if let (Some((rec_id, rec_name)), Some((sim_id, sim_name))) =
            (channel_of(recorded), channel_of(simulated))
        {
            self.bases.insert(
                split_half(&rec_name).0.to_owned(),
                split_half(&sim_name).0.to_owned(),
            );
            self.sim_names.insert(sim_id.clone(), sim_name.clone());
            self.sim_ids.insert(sim_name, sim_id.clone());
            self.pair(rec_id, sim_id);
            return;
        }
        // Bridges, playbacks: objects with an id.
        if let (Some(rec_id), Some(sim_id)) = (
            recorded.get("id").and_then(Value::as_str),
            simulated.get("id").and_then(Value::as_str),
        ) {
            self.pair(rec_id.to_owned(), sim_id.to_owned());
        }
    }

    fn pair(&mut self, recorded: String, simulated: String) {
        self.reverse.insert(simulated.clone(), recorded.clone());
        self.direct.insert(recorded, simulated);
    }

    pub fn name_to_sim(&self, name: &str) -> Option<String> {
        let (base, half) = split_half(name);
        self.bases.get(base).map(|b| format!("{b}{half}"))
    }

    pub fn name_to_rec(&self, name: &str) -> Option<String> {
        let (base, half) = split_half(name);
        self.bases
            .iter()
            .find(|(_, sim)| *sim == base)
            .map(|(rec, _)| format!("{rec}{half}"))
    }

    pub fn id_to_sim(&self, id: &str) -> Option<String> {
        if let Some(sim) = self.direct.get(id) {
            return Some(sim.clone());
        }
        let name = self.name_to_sim(self.rec_names.get(id)?)?;
        self.sim_ids.get(&name).cloned()
    }

    pub fn id_to_rec(&self, id: &str) -> Option<String> {
        if let Some(rec) = self.reverse.get(id) {
            return Some(rec.clone());
        }
        let name = self.name_to_rec(self.sim_names.get(id)?)?;
        self.rec_ids.get(&name).cloned()
    }

    /// The name of a channel id on one side.
    pub fn channel_name(&self, id: &str, simulated: bool) -> Option<&String> {
        if simulated {
            self.sim_names.get(id)
        } else {
            self.rec_names.get(id)
        }
    }

    /// A request text with recorded ids replaced: `123.4`, `channel:123.4`, `a,b`.
    pub fn map_text(&self, text: &str) -> String {
        if let Some(sim) = self.id_to_sim(text) {
            return sim;
        }
        if let Some((scheme, rest)) = text.split_once(':') {
            if let Some(sim) = self.id_to_sim(rest) {
                return format!("{scheme}:{sim}");
            }
        }
        if text.contains(',') {
            return text
                .split(',')
                .map(|part| self.map_text(part))
                .collect::<Vec<_>>()
                .join(",");
        }
        text.to_owned()
    }

    /// Recorded ids in a request text that have no simulated counterpart yet.
    pub fn unmapped<'a>(&self, text: &'a str) -> Vec<&'a str> {
        text.split([',', ':'])
            .filter(|part| self.is_recorded_id(part) && self.id_to_sim(part).is_none())
            .collect()
    }

    pub fn map_json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.map_text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.map_json(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.map_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// A channel snapshot's id and name.
fn channel_of(value: &Value) -> Option<(String, String)> {
    let id = value.get("id")?.as_str()?;
    let name = value.get("name")?.as_str()?;
    value.get("state")?;
    Some((id.to_owned(), name.to_owned()))
}
