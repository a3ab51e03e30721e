//! `api-docs/` holds facts only, the importer reproduces it, and codegen copes with every
//! upstream spec we have.
//!
//! The upstream folders (with Digium's prose) are not in this repository. They are read
//! from `$ARI_UPSTREAM_API_DOCS`, else `../shared/asterisk-api-docs` next to the checkout,
//! else `/work/shared/asterisk-api-docs`. When none exists the upstream tests print that
//! they were skipped and pass; the facts-only tests always run.

use std::path::{Path, PathBuf};

use ari_codegen::{Settings, Spec, import};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn upstream() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("ARI_UPSTREAM_API_DOCS").map(PathBuf::from),
        Some(root().join("../shared/asterisk-api-docs")),
        Some(PathBuf::from("/work/shared/asterisk-api-docs")),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("22.10.1/resources.json").is_file());
    if found.is_none() {
        eprintln!(
            "SKIPPED: upstream api-docs not found (set ARI_UPSTREAM_API_DOCS); facts-only tests still ran"
        );
    }
    found
}

fn committed_lines() -> Vec<PathBuf> {
    let mut lines: Vec<PathBuf> = std::fs::read_dir(root().join("api-docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("resources.json").is_file())
        .collect();
    lines.sort();
    assert!(!lines.is_empty(), "api-docs/ holds no spec folder");
    lines
}

#[test]
fn committed_api_docs_hold_no_prose_or_copyright() {
    for line in committed_lines() {
        for entry in std::fs::read_dir(&line).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let value: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let found = import::prose_keys(&value);
            assert!(found.is_empty(), "{}: prose keys {found:?}", path.display());
        }
    }
}

#[test]
fn prose_detector_finds_prose() {
    let value = serde_json::json!({
        "_copyright": "x",
        "apis": [{"operations": [{"summary": "s", "parameters": [{"description": "d"}]}]}],
        "models": {"description": {"id": "description", "properties": {"description": {"type": "string"}}}}
    });
    let found = import::prose_keys(&value);
    assert_eq!(
        found,
        vec![
            "_copyright",
            "apis[0].operations[0].summary",
            "apis[0].operations[0].parameters[0].description"
        ]
    );
}

#[test]
fn committed_api_docs_generate() {
    for line in committed_lines() {
        let files = ari_codegen::generate_from_dir(&line, &Settings::default())
            .unwrap_or_else(|e| panic!("{}: {e}", line.display()));
        assert!(files.contains_key("mod.rs"));
    }
}

/// Each committed line and the upstream release it was imported from.
const LINES: &[(&str, &str)] = &[
    ("18", "18.26.4"),
    ("20", "20.20.1"),
    ("21", "21.12.3"),
    ("22", "22.10.1"),
    ("23", "23.4.1"),
];

#[test]
fn importing_upstream_reproduces_every_committed_line() {
    let Some(upstream) = upstream() else { return };
    for (line, release) in LINES {
        let spec = Spec::load_dir(&upstream.join(release)).unwrap();
        let docs = import::normalize(&spec).unwrap();
        for (name, text) in &docs {
            let committed =
                std::fs::read_to_string(root().join("api-docs").join(line).join(name)).unwrap();
            assert!(
                committed == *text,
                "api-docs/{line}/{name} differs from a fresh import of {release}"
            );
        }
        // Importing keeps every fact: the IR of the import equals the IR of the upstream
        // files once the prose is ignored.
        let mut full = ari_codegen::ir::build(&spec).unwrap();
        let facts = ari_codegen::load_api(&root().join("api-docs").join(line)).unwrap();
        strip_prose(&mut full);
        // The fingerprint covers the prose too (it reaches the generated docs).
        let mut facts = facts;
        facts.fingerprint.clear();
        assert_eq!(full, facts, "{release}");
    }
}

fn strip_prose(api: &mut ari_codegen::ir::Api) {
    api.fingerprint.clear();
    for r in &mut api.resources {
        for op in &mut r.operations {
            op.summary = None;
            op.notes = None;
            for p in &mut op.params {
                p.description = None;
            }
        }
    }
    for m in &mut api.models {
        m.description = None;
        for f in &mut m.fields {
            f.description = None;
        }
    }
    for e in &mut api.events {
        e.description = None;
        for f in &mut e.fields {
            f.description = None;
        }
    }
    for f in &mut api.event_base_fields {
        f.description = None;
    }
}

#[test]
fn every_upstream_spec_generates_code_that_parses() {
    let Some(upstream) = upstream() else { return };
    let mut versions: Vec<PathBuf> = std::fs::read_dir(&upstream)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    versions.sort();
    assert!(
        versions.len() >= 6,
        "expected Asterisk 16 to 23, found {versions:?}"
    );
    for version in versions {
        let files = ari_codegen::generate_from_dir(&version, &Settings::default())
            .unwrap_or_else(|e| panic!("{}: {e}", version.display()));
        // `generate` already parses its output with syn; check every operation has its row
        // (held by its request builder, or in the table itself for the event WebSocket).
        let api = ari_codegen::load_api(&version).unwrap();
        for op in api.operations() {
            let row = format!("name: \"{}\"", op.qualified_name());
            assert!(
                files.values().any(|text| text.contains(&row)),
                "{}: {}",
                version.display(),
                op.qualified_name()
            );
        }
        // Upstream prose reaches the docs of a build against a full folder.
        assert!(
            files["channels.rs"].contains("originate"),
            "{}",
            version.display()
        );
    }
}

#[test]
fn upstream_prose_reaches_generated_docs() {
    let Some(upstream) = upstream() else { return };
    let files =
        ari_codegen::generate_from_dir(&upstream.join("22.10.1"), &Settings::default()).unwrap();
    assert!(files["channels.rs"].contains("/// Create a new channel (originate)."));
}
