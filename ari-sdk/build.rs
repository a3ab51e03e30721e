//! Generates the client from api-docs into OUT_DIR on every change of the spec.
//!
//! The spec is `api-docs/22` (inside the package: a link to the workspace's `api-docs/`),
//! or the folder named by `ARI_API_DOCS`, e.g. a real Asterisk's `/var/lib/asterisk/rest-api`.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-env-changed=ARI_API_DOCS");
    let manifest = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let mut settings = ari_codegen::Settings::asterisk_line("22");
    let dir = match std::env::var_os("ARI_API_DOCS") {
        Some(custom) => {
            let dir = PathBuf::from(custom);
            settings.label = format!("the api-docs in {} (ARI_API_DOCS)", dir.display());
            dir
        }
        None => manifest.join("api-docs").join("22"),
    };
    println!("cargo::rerun-if-changed={}", dir.display());
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("asterisk_22");
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

/// A clear build error, without a panic backtrace.
fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    eprintln!("error: {message}");
    std::process::exit(1);
}
