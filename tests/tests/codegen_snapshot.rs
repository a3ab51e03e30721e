//! The committed rendering of the generated SDK (`ari-sdk/generated/`) must match what
//! `api-docs/` generates today, for every release line. Refresh it with `cargo regen`.

use std::path::{Path, PathBuf};

use ari_codegen::Settings;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn lines() -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_dir(root().join("api-docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("resources.json").is_file())
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    lines.sort();
    lines
}

#[test]
fn committed_snapshots_match_api_docs() {
    let lines = lines();
    assert!(
        lines.len() >= 5,
        "expected the release lines 18 to 23, found {lines:?}"
    );
    for line in lines {
        let files = ari_codegen::generate_from_dir(
            &root().join("api-docs").join(&line),
            &Settings::asterisk_line(&line),
        )
        .unwrap();
        let snapshot = root().join(format!("ari-sdk/generated/asterisk_{line}"));
        if let Some(report) = ari_codegen::compare_with_dir(&files, &snapshot) {
            panic!(
                "ari-sdk/generated/asterisk_{line} is out of date:\n{report}\nrefresh it with: cargo regen"
            );
        }
    }
}

#[test]
fn check_command_fails_on_drift() {
    let stale = std::env::temp_dir().join(format!("ari-snapshot-drift-{}", std::process::id()));
    let files =
        ari_codegen::generate_from_dir(&root().join("api-docs/22"), &Settings::asterisk_line("22"))
            .unwrap();
    ari_codegen::write_files(&files, &stale).unwrap();
    assert!(ari_codegen::compare_with_dir(&files, &stale).is_none());
    let models = stale.join("models.rs");
    let text = std::fs::read_to_string(&models)
        .unwrap()
        .replace("pub struct Channel {", "pub struct Chanel {");
    std::fs::write(&models, text).unwrap();
    let report = ari_codegen::compare_with_dir(&files, &stale).expect("drift is reported");
    assert!(
        report.contains("models.rs") && report.contains("Chanel"),
        "{report}"
    );
    std::fs::remove_dir_all(&stale).unwrap();
}
