//! An application that depends on ari-sdk and tests with ari-sim (a dev-dependency) does not
//! rebuild the SDK when it switches between `cargo build` and `cargo test` (issue 19). Cargo
//! builds a crate once per feature set, and a build-script dependency with debuginfo only
//! when the same crate, with the same features, is also a runtime dependency (then one copy
//! serves both). So ari-sim, next to ari-sdk, must not
//!   1. turn on a feature of a crate ari-sdk's build has off: that crate and everything
//!      above it, ari-sdk included, would be built a second time;
//!   2. make a runtime dependency of a crate only build scripts or proc-macros used: their
//!      copy would be rebuilt with debuginfo, and with it ari-sdk's code generator, its run,
//!      and ari-sdk.
//!
//! Both are read from `cargo tree` for ari-sdk alone and for ari-sdk with ari-sim, so the
//! shared crates are whatever the manifests make them, not a list kept here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// Runtime (target) dependencies only: build scripts and proc-macros are built for the host.
const RUNTIME: &str = "normal,no-proc-macro";
/// Everything a build compiles: runtime dependencies, build scripts' and proc-macros'.
const WHOLE_BUILD: &str = "normal,build";

/// `(package, features)` of every crate in the build of `packages` (`cargo tree -p ...`,
/// which resolves features for those packages the way `cargo build -p ...` does).
fn units(packages: &[&str], edges: &str) -> BTreeSet<(String, String)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args([
            "tree",
            "--offline",
            "--prefix",
            "none",
            "--format",
            "{p}|{f}",
        ])
        .args(["--edges", edges]);
    for package in packages {
        command.args(["--package", package]);
    }
    let output = command.output().expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("cargo tree writes UTF-8")
        .lines()
        .filter_map(|line| {
            let (package, features) = line.split_once('|')?;
            let features = features.strip_suffix(" (*)").unwrap_or(features);
            Some((package.to_owned(), features.to_owned()))
        })
        .collect()
}

#[test]
fn ari_sim_turns_on_no_feature_of_a_crate_ari_sdk_builds() {
    let alone: BTreeMap<String, String> = units(&["ari-sdk"], RUNTIME).into_iter().collect();
    let with_sim: BTreeMap<String, String> = units(&["ari-sdk", "ari-sim"], RUNTIME)
        .into_iter()
        .collect();
    assert!(alone.len() > 20, "too few crates read: {alone:?}");
    let differences: Vec<String> = alone
        .iter()
        .filter(|(package, features)| with_sim.get(*package) != Some(features))
        .map(|(package, features)| {
            format!(
                "  {package}: [{features}] for ari-sdk alone, [{}] with ari-sim",
                with_sim.get(package).map_or("missing", String::as_str)
            )
        })
        .collect();
    assert!(
        differences.is_empty(),
        "ari-sim changes the features of crates ari-sdk builds, so an application switching \
         between `cargo build` and `cargo test` (ari-sim a dev-dependency) rebuilds ari-sdk; \
         drop the feature from ari-sim or enable it in ari-sdk/Cargo.toml too:\n{}",
        differences.join("\n")
    );
}

#[test]
fn ari_sim_makes_no_runtime_dependency_of_a_crate_only_the_build_used() {
    let runtime_alone = units(&["ari-sdk"], RUNTIME);
    let build_only: BTreeSet<_> = units(&["ari-sdk"], WHOLE_BUILD)
        .difference(&runtime_alone)
        .cloned()
        .collect();
    assert!(
        build_only
            .iter()
            .any(|(package, _)| package.starts_with("ari-codegen ")),
        "ari-sdk's code generator not found among its build's crates: {build_only:?}"
    );
    let added_by_sim: BTreeSet<_> = units(&["ari-sdk", "ari-sim"], RUNTIME)
        .difference(&runtime_alone)
        .cloned()
        .collect();
    let shared: Vec<String> = added_by_sim
        .intersection(&build_only)
        .map(|(package, features)| format!("  {package} [{features}]"))
        .collect();
    assert!(
        shared.is_empty(),
        "ari-sim makes runtime dependencies of crates that, for ari-sdk alone, only build \
         scripts or proc-macros use; cargo then builds those with debuginfo under `cargo test` \
         and without under `cargo build`, and rebuilds what depends on them (ari-sdk's code \
         generator and ari-sdk) at each switch:\n{}",
        shared.join("\n")
    );
}
