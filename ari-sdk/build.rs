//! Generates the client from api-docs into OUT_DIR on every change of the spec.
//!
//! Each enabled line feature (`asterisk-22`, ...) generates from `api-docs/NN` (inside the
//! package: a link to the workspace's `api-docs/`); `ARI_API_DOCS` names a folder that
//! replaces the newest enabled line's spec, e.g. a real Asterisk's `/var/lib/asterisk/rest-api`.

use std::path::PathBuf;

/// The release lines api-docs/ holds, oldest first; each is a cargo feature `asterisk-NN`.
const LINES: &[&str] = &["18", "20", "21", "22", "23"];

fn main() {
    println!("cargo::rerun-if-env-changed=ARI_API_DOCS");
    let check_cfg: Vec<String> = LINES.iter().map(|l| format!("ari_primary_{l}")).collect();
    println!("cargo::rustc-check-cfg=cfg({})", check_cfg.join(", "));
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let enabled: Vec<&str> = LINES
        .iter()
        .copied()
        .filter(|l| std::env::var_os(format!("CARGO_FEATURE_ASTERISK_{l}")).is_some())
        .collect();
    // The crate root (and `Client`'s own accessors) use the newest enabled line.
    let Some(primary) = enabled.last().copied() else {
        fail("enable at least one Asterisk line feature (asterisk-18, -20, -21, -22 or -23)");
    };
    println!("cargo::rustc-cfg=ari_primary_{primary}");
    for line in enabled {
        let mut settings = ari_codegen::Settings::asterisk_line(line);
        settings.client_accessors = line == primary;
        let dir = match std::env::var_os("ARI_API_DOCS") {
            // A user's own api-docs replace the primary line's. They are labelled by their
            // content (ARI version and fingerprint), never by their path: the same files give
            // the same generated sources wherever they lie, so builds are reproducible.
            Some(custom) if line == primary => {
                settings.label = None;
                PathBuf::from(custom)
            }
            _ => manifest.join("api-docs").join(line),
        };
        println!("cargo::rerun-if-changed={}", dir.display());
        let out = out_dir.join(&settings.out_subdir);
        let files = match ari_codegen::generate_from_dir(&dir, &settings) {
            Ok(files) => files,
            Err(error) => fail(&format!(
                "cannot generate the ARI client from {}: {error}",
                dir.display()
            )),
        };
        if let Err(error) = ari_codegen::write_files(&files, &out) {
            fail(&format!(
                "cannot write generated code to {}: {error}",
                out.display()
            ));
        }
    }
}

/// A clear build error, without a panic backtrace.
fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    eprintln!("error: {message}");
    std::process::exit(1);
}
