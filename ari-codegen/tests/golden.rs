//! Golden-file tests: small hand-written specs covering each dialect quirk, generated
//! and compared with committed output. `UPDATE_GOLDEN=1 cargo test -p ari-codegen` rewrites it.

use std::path::{Path, PathBuf};

use ari_codegen::{Settings, Spec, generate, ir};

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn settings() -> Settings {
    Settings {
        out_subdir: "golden".to_owned(),
        client_accessors: true,
        label: Some("golden test spec".to_owned()),
        text: None,
    }
}

/// Generates a golden case and compares it with its committed `expected/` folder.
fn check_golden(name: &str) {
    let dir = case(name);
    let spec = Spec::load_dir(&dir.join("spec")).expect("golden spec loads");
    let files = generate(&spec, &settings()).expect("golden spec generates");
    let expected = dir.join("expected");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        ari_codegen::write_files(&files, &expected).unwrap();
    }
    if let Some(report) = ari_codegen::compare_with_dir(&files, &expected) {
        panic!(
            "generated code differs from {}:\n{report}\nrun UPDATE_GOLDEN=1 cargo test -p ari-codegen",
            expected.display()
        );
    }
}

#[test]
fn quirks_spec_matches_golden_output() {
    check_golden("quirks");
}

/// The naming obstacle course: parameters, operations, resources and fields named like
/// what the runtime and the generated code define themselves, keywords, digits, names
/// differing only in case. It generates, and `tests/golden_compiles.rs` compiles it.
#[test]
fn obstacle_course_matches_golden_output() {
    check_golden("obstacles");
}

#[test]
fn generating_twice_gives_the_same_bytes() {
    let spec = Spec::load_dir(&case("quirks").join("spec")).unwrap();
    assert_eq!(
        generate(&spec, &settings()).unwrap(),
        generate(&spec, &settings()).unwrap()
    );
}

#[test]
fn quirks_resolve_as_documented() {
    let api = ari_codegen::load_api(&case("quirks").join("spec")).unwrap();
    let create = api.operation("things", "create").unwrap();
    // String and number error codes both become statuses.
    assert_eq!(create.error_statuses, vec![404, 409]);
    assert_eq!(create.since, vec!["20.17.0", "22.7.0", "23.1.0"]);
    let timeout = create.params.iter().find(|p| p.name == "timeout").unwrap();
    // The `defalutValue` typo is read as the default.
    assert_eq!(timeout.default.as_deref(), Some("30"));
    assert_eq!(timeout.range.as_ref().unwrap().min, Some(0.0));
    let ty = create.params.iter().find(|p| p.name == "type").unwrap();
    assert_eq!(ty.ty, ir::TypeRef::Enum("CreateType".to_owned()));
    let variables = create
        .params
        .iter()
        .find(|p| p.name == "variables")
        .unwrap();
    assert_eq!(
        (variables.location, &variables.ty),
        (ir::ParamLocation::Body, &ir::TypeRef::Containers)
    );

    let file = api.operation("things", "getFile").unwrap();
    assert_eq!(file.response, ir::TypeRef::Binary);
    let ws = api.operation("events", "eventWebsocket").unwrap();
    assert!(ws.websocket);

    // `extends` (Asterisk 12.0) and `subTypes` both make events.
    let events: Vec<&str> = api.events.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(events, vec!["ThingCreated", "ThingGone"]);
    let base: Vec<&str> = api
        .event_base_fields
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(base, vec!["asterisk_id", "application", "timestamp"]);

    // Handles: one per id prefix, the deeper path keeps its extra id positional.
    let handle = api.handles.iter().find(|h| h.name == "Thing").unwrap();
    assert_eq!(handle.id_params, vec!["thingId"]);
    assert!(
        handle
            .operations
            .contains(&("things".to_owned(), "getFile".to_owned()))
    );
    assert_eq!(api.handles.len(), 1);
}
