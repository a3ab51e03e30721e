//! What changed between two specs, judged for a Rust user of the generated SDK.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::facts::{Facts, FieldFacts, OperationFacts, ParamFacts, StructFacts};
use crate::ir::Api;

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `ARI version`, `operation`, `parameter`, `response`, `model`, `field`, `event`,
    /// `enum value`, ...
    pub kind: &'static str,
    /// What changed, e.g. `channels.originate(formats)` or `Channel.state`.
    pub item: String,
    /// `added`, `removed`, or what became what.
    pub detail: String,
    /// Whether code written against the old SDK may stop compiling or behaving.
    pub breaking: bool,
}

fn change(
    kind: &'static str,
    item: impl Into<String>,
    detail: impl Into<String>,
    breaking: bool,
) -> Change {
    Change {
        kind,
        item: item.into(),
        detail: detail.into(),
        breaking,
    }
}

/// Every difference from `old` to `new`, breaking ones first, then by item.
pub fn diff(old: &Api, new: &Api) -> Vec<Change> {
    diff_facts(&Facts::of(old), &Facts::of(new))
}

/// [`diff`] over stored facts: a generated folder's `spec-facts.json` against a spec.
pub fn diff_facts(old: &Facts, new: &Facts) -> Vec<Change> {
    let mut out = Vec::new();
    if old.api_version != new.api_version {
        // Not breaking by itself: what changed with it is listed item by item.
        let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".to_owned());
        out.push(change(
            "ARI version",
            "apiVersion",
            format!("{} -> {}", text(&old.api_version), text(&new.api_version)),
            false,
        ));
    }
    operations(&old.operations, &new.operations, &mut out);
    structs("model", &old.models, &new.models, &mut out);
    structs("event", &old.events, &new.events, &mut out);
    enums(old, new, &mut out);
    out.sort_by(|a, b| {
        b.breaking
            .cmp(&a.breaking)
            .then_with(|| a.kind.cmp(b.kind))
            .then_with(|| a.item.cmp(&b.item))
    });
    out
}

fn operations(old: &[OperationFacts], new: &[OperationFacts], out: &mut Vec<Change>) {
    let index = |ops: &'_ [OperationFacts]| -> BTreeMap<String, OperationFacts> {
        ops.iter().map(|o| (o.name.clone(), o.clone())).collect()
    };
    let (old_ops, new_ops) = (index(old), index(new));
    for (name, op) in &old_ops {
        let Some(now) = new_ops.get(name) else {
            out.push(change(
                "operation",
                name,
                format!("removed ({} {})", op.method, op.path),
                true,
            ));
            continue;
        };
        if op.method != now.method || op.path != now.path {
            let detail = format!("{} {} -> {} {}", op.method, op.path, now.method, now.path);
            out.push(change("operation", name, detail, true));
        }
        if op.response != now.response {
            out.push(change(
                "response",
                name,
                format!("{} -> {}", op.response, now.response),
                true,
            ));
        }
        params(name, &op.params, &now.params, out);
    }
    for (name, op) in &new_ops {
        if !old_ops.contains_key(name) {
            let since = if op.since.is_empty() {
                String::new()
            } else {
                format!(", since {}", op.since.join(", "))
            };
            out.push(change(
                "operation",
                name,
                format!("added ({} {}{since})", op.method, op.path),
                false,
            ));
        }
    }
}

fn params(op: &str, old: &[ParamFacts], new: &[ParamFacts], out: &mut Vec<Change>) {
    for p in old {
        let item = format!("{op}({})", p.name);
        let Some(now) = new.iter().find(|n| n.name == p.name) else {
            out.push(change("parameter", item, "removed", true));
            continue;
        };
        if p.required != now.required {
            // Required parameters are positional: either way the call changes shape.
            let detail = if now.required {
                "now required"
            } else {
                "now optional"
            };
            out.push(change("parameter", item.clone(), detail, true));
        }
        if p.ty != now.ty || p.multiple != now.multiple || p.location != now.location {
            let detail = format!(
                "{}{} -> {}{}",
                p.ty,
                many(p.multiple),
                now.ty,
                many(now.multiple)
            );
            out.push(change("parameter", item.clone(), detail, true));
        }
        if p.default != now.default {
            let detail = format!("default {} -> {}", shown(&p.default), shown(&now.default));
            out.push(change("parameter", item, detail, false));
        }
    }
    for p in new.iter().filter(|p| !old.iter().any(|o| o.name == p.name)) {
        let detail = if p.required {
            "added, required"
        } else {
            "added, optional"
        };
        out.push(change(
            "parameter",
            format!("{op}({})", p.name),
            detail,
            p.required,
        ));
    }
}

fn many(multiple: bool) -> &'static str {
    if multiple { " (list)" } else { "" }
}

fn shown(value: &Option<String>) -> String {
    value
        .as_deref()
        .map_or("none".to_owned(), |v| format!("`{v}`"))
}

fn structs(kind: &'static str, old: &[StructFacts], new: &[StructFacts], out: &mut Vec<Change>) {
    let old: BTreeMap<&str, &Vec<FieldFacts>> =
        old.iter().map(|s| (s.name.as_str(), &s.fields)).collect();
    let new: BTreeMap<&str, &Vec<FieldFacts>> =
        new.iter().map(|s| (s.name.as_str(), &s.fields)).collect();
    for (name, fields) in &old {
        let Some(now) = new.get(name) else {
            out.push(change(kind, *name, "removed", true));
            continue;
        };
        for f in fields.iter() {
            let item = format!("{name}.{}", f.name);
            let Some(n) = now.iter().find(|n| n.name == f.name) else {
                out.push(change("field", item, "removed", true));
                continue;
            };
            if f.ty != n.ty {
                out.push(change(
                    "field",
                    item.clone(),
                    format!("{} -> {}", f.ty, n.ty),
                    true,
                ));
            }
            if f.required != n.required {
                // `T` <-> `Option<T>` for most types.
                let detail = if n.required {
                    "now required"
                } else {
                    "now optional"
                };
                out.push(change("field", item, detail, true));
            }
        }
        for n in now
            .iter()
            .filter(|n| !fields.iter().any(|f| f.name == n.name))
        {
            let detail = if n.required {
                "added, required"
            } else {
                "added, optional"
            };
            out.push(change("field", format!("{name}.{}", n.name), detail, false));
        }
    }
    for name in new.keys().filter(|n| !old.contains_key(*n)) {
        out.push(change(kind, *name, "added", false));
    }
}

fn enums(old: &Facts, new: &Facts, out: &mut Vec<Change>) {
    let find = |facts: &'_ Facts, name: &str| -> Option<Vec<String>> {
        facts
            .enums
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.values.clone())
    };
    for e in &old.enums {
        let Some(now) = find(new, &e.name) else {
            out.push(change("enum", &e.name, "removed", true));
            continue;
        };
        for v in e.values.iter().filter(|v| !now.contains(v)) {
            out.push(change(
                "enum value",
                format!("{}::{v}", e.name),
                "removed",
                true,
            ));
        }
        // Enums are non-exhaustive with an `Other` variant: a new value breaks nothing.
        for v in now.iter().filter(|v| !e.values.contains(v)) {
            out.push(change(
                "enum value",
                format!("{}::{v}", e.name),
                "added",
                false,
            ));
        }
    }
    for e in new.enums.iter().filter(|e| find(old, &e.name).is_none()) {
        out.push(change("enum", &e.name, "added", false));
    }
}

/// Human-readable report with a summary line.
pub fn render_text(changes: &[Change]) -> String {
    let mut text = String::new();
    for c in changes {
        let mark = if c.breaking {
            "breaking  "
        } else {
            "compatible"
        };
        let _ = writeln!(text, "{mark}  {:<10}  {}: {}", c.kind, c.item, c.detail);
    }
    let breaking = changes.iter().filter(|c| c.breaking).count();
    let _ = writeln!(
        text,
        "{} changes: {breaking} breaking, {} compatible",
        changes.len(),
        changes.len() - breaking
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(dir: &str) -> Api {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(dir)
            .join("spec");
        crate::load_api(&path).unwrap()
    }

    #[test]
    fn identical_specs_have_no_changes() {
        let a = api("quirks");
        assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn a_changed_ari_version_alone_is_reported() {
        let old = api("quirks");
        let mut new = old.clone();
        new.api_version = Some("99.0.0".to_owned());
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].kind, "ARI version");
        assert!(changes[0].detail.ends_with("-> 99.0.0"), "{changes:?}");
        assert!(!changes[0].breaking);
        new.api_version = None;
        assert!(diff(&old, &new)[0].detail.ends_with("-> none"));
    }

    #[test]
    fn removals_break_and_additions_do_not() {
        let old = api("quirks");
        let mut new = old.clone();
        new.resources[0].operations.remove(0); // things.list
        new.resources[0].operations[0]
            .params
            .retain(|p| p.name != "timeout");
        new.resources[0].operations[0].params[0].required = false;
        new.enums[0].values.push("extra".to_owned());
        new.models[0].fields.retain(|f| f.name != "count");
        let changes = diff(&old, &new);
        let find = |item: &str| {
            changes
                .iter()
                .find(|c| c.item == item)
                .unwrap_or_else(|| panic!("{item}: {changes:?}"))
        };
        assert!(find("things.list").breaking);
        assert!(find("things.create(timeout)").breaking);
        assert!(find("things.create(type)").breaking);
        assert!(find("Thing.count").breaking);
        let added = changes.iter().find(|c| c.kind == "enum value").unwrap();
        assert!(!added.breaking && added.detail == "added");
        assert!(
            diff(&new, &old)
                .iter()
                .any(|c| c.item == "things.list" && !c.breaking)
        );
        assert!(render_text(&changes).contains("breaking"));
    }
}
