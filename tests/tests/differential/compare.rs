//! Two transcripts of one scenario compared with the simulator's conformance measures
//! (`ari_sim::score`): REST statuses and body shapes in request order, event types per
//! application, and per application and resource the events with what they say.

use std::collections::BTreeMap;

use ari_sim::score::{Scores, rest_agreement, weighted};
use serde_json::Value;

use crate::run::{Ev, Transcript};

pub fn score(a: &Transcript, b: &Transcript) -> Scores {
    let (statuses, bodies) = rest_agreement(&rest(a), &rest(b));
    let has_events = !a.events.is_empty() || !b.events.is_empty();
    Scores {
        statuses,
        bodies,
        sequences: has_events.then(|| weighted(&by_app(&a.events), &by_app(&b.events))),
        lifecycle: has_events.then(|| weighted(&by_resource(&a.events), &by_resource(&b.events))),
    }
}

fn rest(t: &Transcript) -> Vec<(u16, &Value)> {
    t.rest.iter().map(|x| (x.status, &x.body)).collect()
}

/// Event types per application, in arrival order.
fn by_app(events: &[Ev]) -> BTreeMap<String, Vec<String>> {
    group(events, |e| (e.app.clone(), e.ty.clone()))
}

/// Per application and resource: each event with what it says.
fn by_resource(events: &[Ev]) -> BTreeMap<String, Vec<String>> {
    group(events, |e| {
        (
            format!("{} {}", e.app, e.subject),
            format!("{} {}", e.ty, e.detail).trim_end().to_owned(),
        )
    })
}

fn group(events: &[Ev], key: impl Fn(&Ev) -> (String, String)) -> BTreeMap<String, Vec<String>> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ev in events {
        let (group, label) = key(ev);
        groups.entry(group).or_default().push(label);
    }
    groups
}

/// The differences behind a score, for `DIFFERENTIAL_DETAIL`: requests whose status or
/// body shape differ, and the event sequences that are not equal, side by side.
pub fn report(name: &str, left: (&str, &Transcript), right: (&str, &Transcript)) {
    let ((ln, l), (rn, r)) = (left, right);
    eprintln!("--- {name}: {ln} | {rn}");
    for m in &l.missed {
        eprintln!("{ln}: awaited event never came: {m}");
    }
    for m in &r.missed {
        eprintln!("{rn}: awaited event never came: {m}");
    }
    for i in 0..l.rest.len().max(r.rest.len()) {
        let (x, y) = (l.rest.get(i), r.rest.get(i));
        let same = match (x, y) {
            (Some(x), Some(y)) => {
                x.status == y.status && ari_sim::score::body_agreement(&x.body, &y.body) == 1.0
            }
            _ => false,
        };
        if !same {
            let show = |e: Option<&crate::run::Exchange>| {
                e.map_or("-".to_owned(), |e| {
                    format!("{} -> {} {}", e.request, e.status, short(&e.body))
                })
            };
            eprintln!("rest {i}: {}\n     | {}", show(x), show(y));
        }
    }
    let full = |events: &[Ev]| {
        group(events, |e| {
            (
                e.app.clone(),
                format!("{} {} {}", e.subject, e.ty, e.detail)
                    .trim_end()
                    .to_owned(),
            )
        })
    };
    let (gl, gr) = (full(&l.events), full(&r.events));
    let keys: std::collections::BTreeSet<&String> = gl.keys().chain(gr.keys()).collect();
    let empty = Vec::new();
    for key in keys {
        let (a, b) = (gl.get(key).unwrap_or(&empty), gr.get(key).unwrap_or(&empty));
        if a == b {
            continue;
        }
        eprintln!("events of {key}:");
        for i in 0..a.len().max(b.len()) {
            let (x, y) = (
                a.get(i).map_or("", String::as_str),
                b.get(i).map_or("", String::as_str),
            );
            let mark = if x == y { ' ' } else { '*' };
            eprintln!("{mark} {x:<66} | {y}");
        }
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(140) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}
