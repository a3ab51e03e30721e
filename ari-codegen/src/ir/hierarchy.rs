//! The event hierarchy: which models are events, which are their bases, and what every
//! event inherits. Edges come from `subTypes` and from `extends` (Asterisk 12.0).

use std::collections::{BTreeSet, HashMap};

use crate::error::SpecError;
use crate::spec::{self, Spec};

/// A parent -> child link between models, and the key of the spec that makes it.
struct SubTypeEdge<'a> {
    child: &'a str,
    file: &'a str,
    /// `models.P.subTypes` or `models.C.extends`.
    key: String,
    /// The entry itself: `models.P.subTypes[i]` or `models.C.extends`.
    entry: String,
}

/// Adds a parent -> child edge unless the same link is already there.
fn add_edge<'a>(
    children: &mut HashMap<&'a str, Vec<SubTypeEdge<'a>>>,
    parent: &'a str,
    edge: SubTypeEdge<'a>,
) {
    let list = children.entry(parent).or_default();
    if !list.iter().any(|e| e.child == edge.child) {
        list.push(edge);
    }
}

enum Visit {
    OnPath,
    Done,
}

#[derive(Debug, Default)]
pub(super) struct Hierarchy {
    pub(super) discriminator: String,
    pub(super) events: BTreeSet<String>,
    /// Models with sub-types (`Message`, `Event`): not emitted as structs.
    pub(super) bases: BTreeSet<String>,
    /// `Message`, `Event`: the ancestors whose fields every event has.
    pub(super) chain: Vec<String>,
}

/// Finds the discriminated root, checks the sub-type graph (no cycles, one parent per
/// model) and sorts models into events and their bases.
pub(super) fn event_hierarchy(spec: &Spec) -> Result<Hierarchy, SpecError> {
    // Every model, in file order (so errors are deterministic).
    let mut order: Vec<(&str, &str, &spec::Model)> = Vec::new();
    let mut models: HashMap<&str, (&str, &spec::Model)> = HashMap::new();
    for decl in &spec.declarations {
        for (name, model) in decl.api.models.iter() {
            order.push((name, &decl.file, model));
            models.insert(name, (&decl.file, model));
        }
    }
    // Parent -> child edges from `subTypes`, and from `extends` (Asterisk 12.0), each
    // with the key that makes it; an edge written both ways counts once.
    let mut children: HashMap<&str, Vec<SubTypeEdge>> = HashMap::new();
    for &(name, file, model) in &order {
        for (i, sub) in model.sub_types.iter().enumerate() {
            let Some((&child, _)) = models.get_key_value(sub.as_str()) else {
                return Err(SpecError::new(
                    file,
                    format!("models.{name}.subTypes[{i}]"),
                    format!("sub-type `{sub}` is not a model"),
                ));
            };
            add_edge(
                &mut children,
                name,
                SubTypeEdge {
                    child,
                    file,
                    key: format!("models.{name}.subTypes"),
                    entry: format!("models.{name}.subTypes[{i}]"),
                },
            );
        }
        if let Some(parent) = &model.extends {
            let Some((&parent, _)) = models.get_key_value(parent.as_str()) else {
                return Err(SpecError::new(
                    file,
                    format!("models.{name}.extends"),
                    format!("parent `{parent}` is not a model"),
                ));
            };
            let key = format!("models.{name}.extends");
            add_edge(
                &mut children,
                parent,
                SubTypeEdge {
                    child: name,
                    file,
                    key: key.clone(),
                    entry: key,
                },
            );
        }
    }
    let mut roots: Vec<&str> = order
        .iter()
        .filter(|(_, _, m)| m.discriminator.is_some())
        .map(|(n, _, _)| *n)
        .collect();
    roots.sort();
    if roots.len() > 1 {
        let (file, _) = models[roots[1]];
        return Err(SpecError::new(
            file,
            format!("models.{}.discriminator", roots[1]),
            format!(
                "a second discriminated base model besides `{}` is not supported",
                roots[0]
            ),
        ));
    }

    // No cycles anywhere: a depth-first walk from the root, then from every other model,
    // visiting each model once (sub-type diamonds stay linear).
    let mut state: HashMap<&str, Visit> = HashMap::new();
    let starts = roots
        .iter()
        .copied()
        .chain(order.iter().map(|(n, _, _)| *n));
    for start in starts {
        if state.contains_key(start) {
            continue;
        }
        state.insert(start, Visit::OnPath);
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        while let Some((node, next)) = path.last_mut() {
            let node = *node;
            let Some(edge) = children.get(node).and_then(|kids| kids.get(*next)) else {
                state.insert(node, Visit::Done);
                path.pop();
                continue;
            };
            *next += 1;
            match state.get(edge.child) {
                Some(Visit::OnPath) => {
                    let names: Vec<&str> = path.iter().map(|(n, _)| *n).collect();
                    return Err(SpecError::new(
                        edge.file,
                        edge.key.clone(),
                        format!("sub-type cycle: {} -> {}", names.join(" -> "), edge.child),
                    ));
                }
                Some(Visit::Done) => {}
                None => {
                    state.insert(edge.child, Visit::OnPath);
                    path.push((edge.child, 0));
                }
            }
        }
    }
    // One parent per model: fields and events are inherited along a single line.
    let mut parent_of: HashMap<&str, &str> = HashMap::new();
    for &(name, _, _) in &order {
        for edge in children.get(name).into_iter().flatten() {
            if let Some(first) = parent_of.insert(edge.child, name) {
                return Err(SpecError::new(
                    edge.file,
                    edge.entry.clone(),
                    format!(
                        "model `{}` is a sub-type of both `{first}` and `{name}`; a model \
                         can have one parent only",
                        edge.child
                    ),
                ));
            }
        }
    }

    let Some(root) = roots.first().copied() else {
        // A spec without events (a partial folder) still generates resources and models.
        return Ok(Hierarchy::default());
    };
    let discriminator = models[root].1.discriminator.clone().unwrap_or_default();

    // Walk the tree (now known to be one); leaves below the `Event` model are events.
    let mut events = BTreeSet::new();
    let mut bases = BTreeSet::new();
    let mut chain = Vec::new();
    let mut path: Vec<&str> = Vec::new();
    // (model, depth, whether `Event` is one of its ancestors)
    let mut stack: Vec<(&str, usize, bool)> = vec![(root, 0, false)];
    while let Some((name, depth, below_event)) = stack.pop() {
        path.truncate(depth);
        path.push(name);
        let kids = children.get(name).map(Vec::as_slice).unwrap_or_default();
        if kids.is_empty() {
            if below_event {
                events.insert(name.to_owned());
            }
            continue;
        }
        bases.insert(name.to_owned());
        if name == "Event" {
            chain = path.iter().map(|s| s.to_string()).collect();
        }
        let below = below_event || name == "Event";
        for kid in kids {
            stack.push((kid.child, depth + 1, below));
        }
    }
    Ok(Hierarchy {
        discriminator,
        events,
        bases,
        chain,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::ir::test_spec::things;

    fn hierarchy(models: Value) -> Result<Hierarchy, SpecError> {
        event_hierarchy(&things(json!([]), models))
    }

    fn base() -> Value {
        json!({
            "Message": {"id": "Message", "discriminator": "type", "subTypes": ["Event"],
                "properties": {"type": {"type": "string", "required": true}}},
            "Event": {"id": "Event", "subTypes": ["Started"], "properties": {}},
            "Started": {"id": "Started", "properties": {}},
        })
    }

    #[test]
    fn sub_types_and_extends_both_make_events() {
        let mut models = base();
        models["Ended"] = json!({"id": "Ended", "extends": "Event", "properties": {}});
        let h = hierarchy(models).unwrap();
        assert_eq!(h.discriminator, "type");
        assert_eq!(
            h.events.iter().collect::<Vec<_>>(),
            vec!["Ended", "Started"]
        );
        assert_eq!(h.bases.iter().collect::<Vec<_>>(), vec!["Event", "Message"]);
        assert_eq!(h.chain, vec!["Message", "Event"]);
    }

    #[test]
    fn a_cycle_is_named_along_its_path() {
        let mut models = base();
        models["Started"]["subTypes"] = json!(["Event"]);
        let error = hierarchy(models).unwrap_err();
        assert!(error.message.contains("sub-type cycle"), "{error}");
        assert!(
            error.message.contains("Event -> Started -> Event"),
            "{error}"
        );
    }

    #[test]
    fn a_model_has_one_parent_only() {
        let mut models = base();
        models["Other"] = json!({"id": "Other", "subTypes": ["Started"], "properties": {}});
        let error = hierarchy(models).unwrap_err();
        assert!(error.message.contains("sub-type of both"), "{error}");
    }

    #[test]
    fn a_spec_without_a_discriminator_has_no_events() {
        let h = hierarchy(json!({"Thing": {"id": "Thing", "properties": {}}})).unwrap();
        assert!(h.events.is_empty() && h.bases.is_empty() && h.discriminator.is_empty());
    }

    #[test]
    fn an_edge_written_both_ways_counts_once() {
        let mut models = base();
        models["Started"]["extends"] = json!("Event");
        assert_eq!(hierarchy(models).unwrap().events.len(), 1);
    }
}
