//! How closely the simulator's behaviour matches a recording, in [0, 1].

use std::collections::BTreeMap;

use ari_sim::score::{Scores, rest_agreement, weighted};

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

pub fn score(trace: &Trace, outcome: &Outcome) -> Scores {
    let recorded: Vec<(u16, &serde_json::Value)> = trace
        .rest
        .iter()
        .map(|ex| (ex.status, &ex.response))
        .collect();
    let simulated: Vec<(u16, &serde_json::Value)> = outcome
        .statuses
        .iter()
        .copied()
        .zip(&outcome.responses)
        .collect();
    let (statuses, bodies) = rest_agreement(&recorded, &simulated);
    let has_events = !trace.events.is_empty();
    Scores {
        statuses,
        bodies,
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
