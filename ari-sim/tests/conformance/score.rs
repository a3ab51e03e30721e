//! How closely the simulator's behaviour matches a recording, in [0, 1].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::ids::Ids;
use crate::replay::Outcome;
use crate::trace::{Ev, Trace};

/// Events that make up a channel's (or bridge's) life as an application sees it.
const LIFECYCLE: &[&str] = &[
    "StasisStart",
    "ChannelStateChange",
    "ChannelEnteredBridge",
    "ChannelLeftBridge",
    "PlaybackStarted",
    "PlaybackContinuing",
    "PlaybackFinished",
    "RecordingStarted",
    "RecordingFinished",
    "StasisEnd",
    "ChannelDestroyed",
];

#[derive(Debug, Clone, Copy)]
pub struct Scores {
    /// REST statuses equal, in order.
    pub statuses: f64,
    /// REST bodies of the same shape (same keys; same error message).
    pub bodies: f64,
    /// Per application, the sequence of event types.
    pub sequences: Option<f64>,
    /// Per application and channel (or bridge), the order of lifecycle events.
    pub lifecycle: Option<f64>,
}

impl Scores {
    /// The mean of the parts that apply (a recording without events has no sequences).
    pub fn total(&self) -> f64 {
        let parts: Vec<f64> = [
            Some(self.statuses),
            Some(self.bodies),
            self.sequences,
            self.lifecycle,
        ]
        .into_iter()
        .flatten()
        .collect();
        parts.iter().sum::<f64>() / parts.len() as f64
    }
}

pub fn score(trace: &Trace, outcome: &Outcome) -> Scores {
    let pairs = trace.rest.iter().zip(&outcome.statuses);
    let equal = pairs.clone().filter(|(ex, s)| ex.status == **s).count();
    let bodies: f64 = trace
        .rest
        .iter()
        .zip(outcome.statuses.iter().zip(&outcome.responses))
        .map(|(ex, (status, body))| {
            if ex.status == *status {
                body_agreement(&ex.response, body)
            } else {
                0.0
            }
        })
        .sum();
    let n = trace.rest.len().max(1) as f64;
    let has_events = !trace.events.is_empty();
    Scores {
        statuses: equal as f64 / n,
        bodies: bodies / n,
        sequences: has_events.then(|| {
            weighted(
                &group(&trace.events, |e| Some(e.app.clone())),
                &group(&outcome.events, |e| Some(e.app.clone())),
            )
        }),
        lifecycle: has_events.then(|| {
            let recorded = group(&trace.events, |e| lifecycle_key(e, &outcome.ids, false));
            let simulated = group(&outcome.events, |e| lifecycle_key(e, &outcome.ids, true));
            weighted(&recorded, &simulated)
        }),
    }
}

/// Event types grouped by a key, in arrival order.
fn group(events: &[Ev], key: impl Fn(&Ev) -> Option<String>) -> BTreeMap<String, Vec<String>> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ev in events {
        if let Some(k) = key(ev) {
            groups.entry(k).or_default().push(ev.ty.clone());
        }
    }
    groups
}

/// `app resource` for lifecycle events, the resource named the recording's way (a
/// channel by its recorded name, media by their target), so both sides group alike.
fn lifecycle_key(ev: &Ev, ids: &Ids, simulated: bool) -> Option<String> {
    if !LIFECYCLE.contains(&ev.ty.as_str()) {
        return None;
    }
    let as_recorded_name = |name: &str| {
        if simulated {
            ids.name_to_rec(name)
                .unwrap_or_else(|| format!("(simulated) {name}"))
        } else {
            name.to_owned()
        }
    };
    let resource = if let Some(name) = ev.channel_name() {
        as_recorded_name(name)
    } else {
        let (_, target) = ev.media.as_ref()?;
        match target.split_once(':') {
            Some(("channel", id)) => as_recorded_name(ids.channel_name(id, simulated)?),
            Some(("bridge", id)) if simulated => {
                format!(
                    "bridge {}",
                    ids.id_to_rec(id).unwrap_or_else(|| id.to_owned())
                )
            }
            _ => target.replace(':', " "),
        }
    };
    Some(format!("{} {resource}", ev.app))
}

/// 1 - (sum of edit distances) / (sum of longer lengths), over the union of groups.
fn weighted(
    recorded: &BTreeMap<String, Vec<String>>,
    simulated: &BTreeMap<String, Vec<String>>,
) -> f64 {
    let keys: BTreeSet<&String> = recorded.keys().chain(simulated.keys()).collect();
    let empty = Vec::new();
    let (mut distance, mut total) = (0usize, 0usize);
    for key in keys {
        let a = recorded.get(key).unwrap_or(&empty);
        let b = simulated.get(key).unwrap_or(&empty);
        distance += edit_distance(a, b);
        total += a.len().max(b.len());
    }
    if total == 0 {
        1.0
    } else {
        1.0 - distance as f64 / total as f64
    }
}

/// Levenshtein distance between two sequences.
pub fn edit_distance<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(x != y);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// Same shape: error bodies with the same message, objects with the same keys, lists
/// whose items have the same keys (lengths depend on the server's history), binary
/// bodies of the same type.
fn body_agreement(recorded: &Value, simulated: &Value) -> f64 {
    match (recorded, simulated) {
        (Value::Object(r), Value::Object(s)) => match r.get("message") {
            Some(message) => f64::from(u8::from(s.get("message") == Some(message))),
            None => jaccard(r.keys(), s.keys()),
        },
        (Value::Array(r), Value::Array(s)) => match (r.first(), s.first()) {
            (None, None) => 1.0,
            (Some(Value::Object(r)), Some(Value::Object(s))) => jaccard(r.keys(), s.keys()),
            (Some(_), Some(_)) => 1.0,
            _ => 0.5,
        },
        (Value::String(r), Value::String(s)) => {
            let kind = |t: &str| t.rsplit(' ').next().unwrap_or("").to_owned();
            f64::from(u8::from(
                r == s || (r.starts_with('<') && kind(r) == kind(s)),
            ))
        }
        _ => 0.0,
    }
}

fn jaccard<'a>(a: impl Iterator<Item = &'a String>, b: impl Iterator<Item = &'a String>) -> f64 {
    let a: BTreeSet<&String> = a.collect();
    let b: BTreeSet<&String> = b.collect();
    let union = a.union(&b).count();
    if union == 0 {
        1.0
    } else {
        a.intersection(&b).count() as f64 / union as f64
    }
}

#[test]
fn edit_distance_counts_edits() {
    assert_eq!(edit_distance(&["a", "b", "c"], &["a", "c"]), 1);
    assert_eq!(edit_distance::<&str>(&[], &["a"]), 1);
    assert_eq!(edit_distance(&["a", "b"], &["b", "a"]), 2);
}
