//! Generates the ari-sdk client from Asterisk's ARI api-docs (Swagger 1.1).
//!
//! Data flows one way: [`spec`] (serde types of the dialect) -> [`ir`] (resolved model,
//! the one place that knows the quirks) -> [`emit`] (Rust source). [`generate`] is the
//! single pure entry point used by ari-sdk's build.rs and by the `ari-codegen` CLI alike.
//! Where Asterisk does not do what its spec says, [`fixups`] corrects the IR.

#[cfg(feature = "check")]
pub mod check;
pub mod diff;
pub mod emit;
mod error;
pub mod facts;
pub mod fingerprint;
pub mod fixups;
pub mod import;
pub mod ir;
pub mod names;
pub mod spec;
pub mod text;

use std::path::Path;

pub use emit::{Files, Settings, content_label};
pub use error::SpecError;
pub use spec::Spec;

/// Spec -> generated files. The same input always gives the same bytes.
#[cfg(feature = "emit")]
pub fn generate(spec: &Spec, settings: &Settings) -> Result<Files, SpecError> {
    let mut api = ir::build(spec)?;
    if let Some(text) = &settings.text {
        text::apply(&mut api, text);
    }
    emit::emit(&api, settings)
}

/// Loads a spec folder (`resources.json` and its declarations) and resolves it.
pub fn load_api(dir: &Path) -> Result<ir::Api, SpecError> {
    ir::build(&Spec::load_dir(dir)?)
}

/// Loads a spec folder and generates from it.
#[cfg(feature = "emit")]
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
/// readable report (API summary, per-file summary, unified diffs); `None` when they match.
#[cfg(feature = "check")]
pub fn compare_with_dir(files: &Files, dir: &Path) -> Option<String> {
    match check::compare(files, dir) {
        Ok(report) if report.up_to_date() => None,
        Ok(report) => Some(report.render_text()),
        Err(e) => Some(format!("cannot read {}: {e}\n", dir.display())),
    }
}
