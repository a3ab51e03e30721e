//! Generated code compiles where users compile it: inside ari-sdk. The naming obstacle
//! course (`tests/golden/obstacles`) is added to the Asterisk 22 api-docs and ari-sdk is
//! checked against the result, so its items meet the hand-written runtime on `Client`, at
//! the crate root, in handles and in builders.
//!
//! The test runs `cargo check -p ari-sdk` with `ARI_API_DOCS` naming the merged folder and
//! the features `asterisk-21` and `testing`: the merged spec replaces the primary line (21
//! here), and a feature set no other build uses keeps this check from invalidating the
//! workspace's other builds of ari-sdk.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The target folder this test was built into (`target/<profile>/deps/<test>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .expect("target/<profile>/deps")
        .to_owned()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// api-docs/22 plus the obstacle course's declarations, whose events then extend 22's
/// `Event` (the course's own `base.json` stands in for it only when generated alone).
fn merged_spec(into: &Path) {
    let base = workspace().join("api-docs/22");
    let course = workspace().join("ari-codegen/tests/golden/obstacles/spec");
    std::fs::create_dir_all(into).unwrap();
    for dir in [&base, &course] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if name.ends_with(".json") && name != "resources.json" && name != "base.json" {
                std::fs::copy(&path, into.join(&name)).unwrap();
            }
        }
    }
    let mut listing = read_json(&base.join("resources.json"));
    let extra = read_json(&course.join("resources.json"));
    let apis = listing["apis"].as_array_mut().unwrap();
    for api in extra["apis"].as_array().unwrap() {
        if !api["path"].as_str().unwrap().contains("/base.") {
            apis.push(api.clone());
        }
    }
    std::fs::write(into.join("resources.json"), listing.to_string()).unwrap();
}

#[test]
fn obstacle_course_compiles_inside_ari_sdk() {
    let spec = std::env::temp_dir().join(format!("ari-obstacles-{}", std::process::id()));
    merged_spec(&spec);
    // The merged spec generates on its own first, for a clear message if it does not.
    ari_codegen::load_api(&spec).expect("the merged spec resolves");

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace())
        .args(["check", "--quiet", "--locked", "--lib", "-p", "ari-sdk"])
        .args(["--no-default-features", "--features", "asterisk-21,testing"])
        .arg("--target-dir")
        .arg(target_dir())
        .env("ARI_API_DOCS", &spec)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("cargo runs");
    let _ = std::fs::remove_dir_all(&spec);
    assert!(
        output.status.success(),
        "ari-sdk does not compile with the obstacle course:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
