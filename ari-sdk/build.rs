//! Generates the client from api-docs into OUT_DIR on every change of the spec.
//!
//! Each enabled line feature (`asterisk-22`, ...) generates from `api-docs/NN` (inside the
//! package: a link to the workspace's `api-docs/`); `ARI_API_DOCS` names a folder that
//! replaces the newest enabled line's spec, e.g. a real Asterisk's `/var/lib/asterisk/rest-api`.

use std::path::PathBuf;

/// The release lines: the numbered folders of api-docs/, oldest first. Each is a pair of
/// cargo features, `asterisk-NN` and `root-NN`, which cargo needs spelled out in Cargo.toml
/// (a test compares the two lists).
fn release_lines(api_docs: &std::path::Path) -> Vec<String> {
    let entries = match std::fs::read_dir(api_docs) {
        Ok(entries) => entries,
        Err(error) => fail(&format!("cannot list {}: {error}", api_docs.display())),
    };
    let mut lines: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    lines.sort_by_key(|line| line.parse::<u32>().unwrap_or(u32::MAX));
    lines
}

fn main() {
    println!("cargo::rerun-if-env-changed=ARI_API_DOCS");
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let feature = |name: String| {
        std::env::var_os(format!(
            "CARGO_FEATURE_{}",
            name.to_uppercase().replace('-', "_")
        ))
        .is_some()
    };
    let api_docs = manifest.join("api-docs");
    println!("cargo::rerun-if-changed={}", api_docs.display());
    let lines = release_lines(&api_docs);
    let enabled: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| feature(format!("asterisk-{l}")))
        .collect();
    let root = match root_line(&lines, &enabled, |l| feature(format!("root-{l}"))) {
        Ok(root) => root,
        Err(message) => fail(&message),
    };
    for &line in &enabled {
        let mut settings = ari_codegen::Settings::asterisk_line(line);
        settings.client_accessors = line == root;
        let dir = match std::env::var_os("ARI_API_DOCS") {
            // A user's own api-docs replace the root line's. They are labelled by their
            // content (ARI version and fingerprint), never by their path: the same files give
            // the same generated sources wherever they lie, so builds are reproducible. Our
            // documentation (in the generator) still comes first; their own descriptions, if
            // any, follow it.
            Some(custom) if line == root => {
                settings.label = None;
                PathBuf::from(custom)
            }
            _ => api_docs.join(line),
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
    let lines = lines_module(&enabled, root);
    if let Err(error) = std::fs::write(out_dir.join("lines.rs"), lines) {
        fail(&format!("cannot write lines.rs: {error}"));
    }
}

/// The line the crate root re-exports: the only enabled one, or, with several, the one
/// a `root-NN` feature names. Never a silent pick: a dependency enabling another line
/// must not change what `ari_sdk::Channel` means for the application.
fn root_line<'a>(
    lines: &[String],
    enabled: &[&'a str],
    chosen: impl Fn(&str) -> bool,
) -> Result<&'a str, String> {
    let roots: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| chosen(l))
        .collect();
    let features = |lines: &[&str], prefix: &str| {
        lines
            .iter()
            .map(|l| format!("`{prefix}-{l}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (enabled, roots.as_slice()) {
        ([], _) => {
            Err("enable an Asterisk line feature (asterisk-18, -20, -21, -22 or -23)".to_owned())
        }
        (_, [root]) => Ok(enabled
            .iter()
            .copied()
            .find(|l| l == root)
            .expect("root-NN enables asterisk-NN")),
        ([only], []) => Ok(only),
        (_, []) => Err(format!(
            "several Asterisk lines are enabled ({}), so the crate root (`ari_sdk::Channel`, \
             `client.channels()`, ...) would be ambiguous: choose it with one of the features {} \
             (each line stays reachable as `ari_sdk::asterisk_NN`)",
            features(enabled, "asterisk"),
            features(enabled, "root")
        )),
        (_, roots) => Err(format!(
            "the features {} each choose a different crate root; keep one (a library should \
             not choose one: it can name `ari_sdk::asterisk_NN` types instead)",
            features(roots, "root")
        )),
    }
}

/// The enabled lines' modules and the crate root's re-export of `root`.
fn lines_module(enabled: &[&str], root: &str) -> String {
    let mut out = String::new();
    for line in enabled {
        out.push_str(&format!(
            "/// The client generated from the Asterisk {line} api-docs.\n\
             pub mod asterisk_{line} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/asterisk_{line}/mod.rs\"));\n}}\n"
        ));
    }
    out.push_str(&format!(
        "// The crate root speaks the root line (see the crate docs); inlined, so that each\n\
         // item has its page at the root too (`ari_sdk::Channel`, `ari_sdk::Event`). A doc\n\
         // comment here would be prepended to every inlined item's docs.\n\
         #[doc(inline)]\n\
         pub use asterisk_{root}::{{events::*, models::*, *}};\n"
    ));
    out
}

/// A clear build error, without a panic backtrace.
fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    eprintln!("error: {message}");
    std::process::exit(1);
}
