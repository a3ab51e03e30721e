//! Generates the ari-sdk client from Asterisk's ARI api-docs (Swagger 1.1).
//!
//! Data flows one way: [`spec`] (serde types of the dialect) -> [`ir`] (resolved model,
//! the one place that knows the quirks) -> [`emit`] (Rust source). [`generate`] is the
//! single pure entry point used by ari-sdk's build.rs and by the `ari-codegen` CLI alike.
//! Where Asterisk does not do what its spec says, [`fixups`] corrects the IR.

pub mod diff;
pub mod emit;
mod error;
pub mod fixups;
pub mod import;
pub mod ir;
pub mod names;
pub mod spec;

use std::path::Path;

pub use emit::{Files, Settings};
pub use error::SpecError;
pub use spec::Spec;

/// Spec -> generated files. The same input always gives the same bytes.
pub fn generate(spec: &Spec, settings: &Settings) -> Result<Files, SpecError> {
    let api = ir::build(spec)?;
    emit::emit(&api, settings)
}

/// Loads a spec folder (`resources.json` and its declarations) and resolves it.
pub fn load_api(dir: &Path) -> Result<ir::Api, SpecError> {
    ir::build(&Spec::load_dir(dir)?)
}

/// Loads a spec folder and generates from it.
pub fn generate_from_dir(dir: &Path, settings: &Settings) -> Result<Files, SpecError> {
    generate(&Spec::load_dir(dir)?, settings)
}

/// Writes generated files into a folder, replacing `*.rs` files that are no longer generated.
pub fn write_files(files: &Files, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let stale = path.extension().is_some_and(|e| e == "rs")
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !files.contains_key(n));
        if stale {
            std::fs::remove_file(&path)?;
        }
    }
    for (name, text) in files {
        let path = dir.join(name);
        // Unchanged files keep their mtime, so cargo does not rebuild for nothing.
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text)?;
        }
    }
    Ok(())
}

/// Differences between generated files and a folder holding a rendered copy, as a
/// readable report; `None` when they match.
pub fn compare_with_dir(files: &Files, dir: &Path) -> Option<String> {
    let mut report = String::new();
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .filter(|n| n.ends_with(".rs"))
                .collect()
        })
        .unwrap_or_default();
    on_disk.sort();
    for name in &on_disk {
        if !files.contains_key(name) {
            report.push_str(&format!("{name}: committed but no longer generated\n"));
        }
    }
    for (name, text) in files {
        match std::fs::read_to_string(dir.join(name)) {
            Err(_) => report.push_str(&format!("{name}: generated but not committed\n")),
            Ok(old) if old != *text => report.push_str(&line_diff(name, &old, text)),
            Ok(_) => {}
        }
    }
    (!report.is_empty()).then_some(report)
}

/// A short line diff: the first differing lines, with context, enough to see the change.
fn line_diff(name: &str, old: &str, new: &str) -> String {
    let old: Vec<&str> = old.lines().collect();
    let new: Vec<&str> = new.lines().collect();
    let prefix = old.iter().zip(&new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = format!("{name}: differs from line {}\n", prefix + 1);
    let shown = 40;
    for line in old[prefix..old.len() - suffix].iter().take(shown) {
        out.push_str(&format!("  - {line}\n"));
    }
    for line in new[prefix..new.len() - suffix].iter().take(shown) {
        out.push_str(&format!("  + {line}\n"));
    }
    out
}
