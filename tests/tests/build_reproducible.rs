//! Users' builds are reproducible: ari-sdk's build script, given the same api-docs in two
//! places through `ARI_API_DOCS` (and run from different directories, with a different
//! environment), writes byte-identical sources into OUT_DIR.
//!
//! The test runs the build script cargo compiled for this test run (ari-sdk is a dependency
//! of this package, so `target/<profile>/build/ari-sdk-*/build-script-build` exists) with
//! the variables cargo gives it, rather than building ari-sdk twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The newest compiled build script of ari-sdk next to this test's own target folder.
fn build_script() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<this test>
    let profile = exe.parent().and_then(Path::parent).unwrap();
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(profile.join("build"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("ari-sdk-"))
        .map(|e| e.path().join("build-script-build"))
        .filter(|p| p.is_file())
        .map(|p| (p.metadata().unwrap().modified().unwrap(), p))
        .collect();
    found.sort();
    found
        .pop()
        .unwrap_or_else(|| panic!("no ari-sdk build script under {}", profile.display()))
        .1
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// Every file under a folder, by path relative to it.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Runs the build script as cargo would for ari-sdk with asterisk-20 and root-22,
/// `ARI_API_DOCS` replacing the root line's (22) spec.
fn run_build_script(api_docs: &Path, out_dir: &Path, cwd: &Path, env: &[(&str, &str)]) {
    std::fs::create_dir_all(out_dir).unwrap();
    std::fs::create_dir_all(cwd).unwrap();
    let output = Command::new(build_script())
        .current_dir(cwd)
        .env_clear()
        .env("CARGO_MANIFEST_DIR", root().join("ari-sdk"))
        .env("OUT_DIR", out_dir)
        .env("CARGO_FEATURE_ASTERISK_20", "1")
        .env("CARGO_FEATURE_ASTERISK_22", "1")
        .env("CARGO_FEATURE_ROOT_22", "1")
        .env("ARI_API_DOCS", api_docs)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "build script failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_same_api_docs_in_two_places_build_the_same_sources() {
    let scratch = std::env::temp_dir().join(format!("ari-build-twice-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let mut specs = vec![("line-22", root().join("api-docs/22"))];
    // The upstream files (prose, copyright headers) when this machine has them.
    for candidate in [
        std::env::var_os("ARI_UPSTREAM_API_DOCS").map(PathBuf::from),
        Some(root().join("../shared/asterisk-api-docs")),
    ]
    .into_iter()
    .flatten()
    {
        if candidate.join("22.10.1/resources.json").is_file() {
            specs.push(("upstream-22.10.1", candidate.join("22.10.1")));
            break;
        }
    }
    for (name, spec) in specs {
        let first = scratch.join("first-chkout-q7").join(name).join("22.10.1");
        let second = scratch
            .join("second-place-q7")
            .join(name)
            .join("vendor/my asterisk/rest-api");
        copy_dir(&spec, &first);
        copy_dir(&spec, &second);
        let (out_1, out_2) = (
            scratch.join("out-1").join(name),
            scratch.join("out-2").join(name),
        );
        run_build_script(
            &first,
            &out_1,
            &scratch.join("first-chkout-q7"),
            &[("TZ", "UTC"), ("LANG", "C")],
        );
        run_build_script(
            &second,
            &out_2,
            &scratch.join("second-place-q7/cwd"),
            &[
                ("TZ", "Asia/Kathmandu"),
                ("LANG", "fr_FR.UTF-8"),
                ("SOURCE_DATE_EPOCH", "1"),
                ("HOME", "/nonexistent"),
            ],
        );
        let (a, b) = (tree(&out_1), tree(&out_2));
        assert!(
            a.contains_key("asterisk_22/mod.rs") && a.contains_key("asterisk_20/mod.rs"),
            "{name}: {:?}",
            a.keys()
        );
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "{name}"
        );
        for (file, bytes) in &a {
            assert!(b[file] == *bytes, "{name}: OUT_DIR/{file} differs");
            let text = String::from_utf8_lossy(bytes);
            for place in [
                "first-chkout-q7",
                "second-place-q7",
                "my asterisk",
                "ari-build-twice",
            ] {
                assert!(
                    !text.contains(place),
                    "{name}: OUT_DIR/{file} names `{place}`"
                );
            }
        }
        // The custom spec is labelled by its content.
        let module = String::from_utf8_lossy(&a["asterisk_22/mod.rs"]).into_owned();
        assert!(
            module.contains("pub const SPEC_LABEL: &str = \"ARI 10.0.0 api-docs, sha256 "),
            "{name}: {}",
            &module[..400.min(module.len())]
        );
    }
    std::fs::remove_dir_all(&scratch).unwrap();
}

/// The build script's answer for these features set (`asterisk-20` style names).
fn build_with_features(features: &[&str]) -> std::process::Output {
    let scratch = std::env::temp_dir().join(format!(
        "ari-root-choice-{}-{}",
        std::process::id(),
        features.join("-")
    ));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut command = Command::new(build_script());
    command
        .env_clear()
        .env("CARGO_MANIFEST_DIR", root().join("ari-sdk"))
        .env("OUT_DIR", &scratch);
    for feature in features {
        let var = format!("CARGO_FEATURE_{}", feature.to_uppercase().replace('-', "_"));
        command.env(var, "1");
    }
    let output = command.output().unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    output
}

#[test]
fn several_lines_need_an_explicit_crate_root() {
    let ambiguous = build_with_features(&["asterisk-20", "asterisk-22"]);
    let said = String::from_utf8_lossy(&ambiguous.stdout);
    assert!(!ambiguous.status.success(), "{said}");
    assert!(
        said.contains(
            "cargo::error=several Asterisk lines are enabled (`asterisk-20`, `asterisk-22`)"
        ) && said.contains("`root-20`, `root-22`"),
        "{said}"
    );

    let two_roots = build_with_features(&["asterisk-20", "asterisk-22", "root-20", "root-22"]);
    let said = String::from_utf8_lossy(&two_roots.stdout);
    assert!(!two_roots.status.success(), "{said}");
    assert!(
        said.contains("`root-20`, `root-22` each choose a different crate root"),
        "{said}"
    );

    let chosen = build_with_features(&["asterisk-20", "asterisk-22", "root-20"]);
    assert!(
        chosen.status.success(),
        "{}",
        String::from_utf8_lossy(&chosen.stdout)
    );
}
