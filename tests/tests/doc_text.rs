//! `api-docs/text/`, the SDK's documentation in its own words: every item of every line's
//! spec has an entry (resource, operation, error status, parameter, allowed value, model,
//! event, field), no entry names something no spec has (a typo, a removed item), and the
//! events an operation lists exist.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ari_codegen::Spec;
use ari_codegen::text::{self, Key, Text};

fn api_docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../api-docs")
}

fn lines() -> Vec<PathBuf> {
    let mut lines: Vec<PathBuf> = std::fs::read_dir(api_docs())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("resources.json").is_file())
        .collect();
    lines.sort();
    assert!(lines.len() >= 5, "{lines:?}");
    lines
}

fn our_text() -> Text {
    Text::load(&api_docs().join("text")).expect("api-docs/text reads")
}

#[test]
fn every_item_of_every_line_has_our_text() {
    let (written, _) = text::written(&our_text());
    let written: BTreeSet<Key> = written.into_iter().collect();
    for line in lines() {
        let spec = Spec::load_dir(&line).unwrap();
        let wanted = text::wanted(&spec);
        assert!(
            wanted.len() > 900,
            "{}: {} items",
            line.display(),
            wanted.len()
        );
        let missing: Vec<String> = wanted
            .iter()
            .filter(|k| !written.contains(k))
            .map(Key::to_string)
            .collect();
        assert!(
            missing.is_empty(),
            "api-docs/{} has {} items without text in api-docs/text:\n{}",
            line.file_name().unwrap().to_string_lossy(),
            missing.len(),
            missing.join("\n")
        );
    }
}

#[test]
fn no_entry_names_what_no_spec_has() {
    let text = our_text();
    let mut known = BTreeSet::new();
    let mut events = BTreeSet::new();
    for line in lines() {
        let spec = Spec::load_dir(&line).unwrap();
        known.extend(text::wanted(&spec));
        events.extend(
            ari_codegen::load_api(&line)
                .unwrap()
                .events
                .into_iter()
                .map(|e| e.name),
        );
    }
    let (written, listed_events) = text::written(&text);
    let unknown: Vec<String> = written
        .iter()
        .filter(|k| !known.contains(k))
        .map(Key::to_string)
        .collect();
    assert!(
        unknown.is_empty(),
        "entries for nothing a spec has:\n{}",
        unknown.join("\n")
    );
    let strangers: Vec<String> = listed_events
        .iter()
        .filter(|(_, event)| !events.contains(event))
        .map(|(key, event)| format!("{key}: {event}"))
        .collect();
    assert!(
        strangers.is_empty(),
        "events no spec has:\n{}",
        strangers.join("\n")
    );
}
