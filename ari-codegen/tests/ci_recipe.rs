//! The README's CI recipe, run exactly as written (extracted from README.md) against a
//! temporary project: `api-docs/` and the committed `gen/ari`. The built `ari-codegen` is
//! first on PATH, so the recipe's install step is skipped, and `cargo` is not on PATH at
//! all: the recipe must not need anything else.
#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::*;

/// The `sh` block that follows the `<!-- ci-recipe` marker in the README.
fn recipe() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let marked = &readme[readme
        .find("<!-- ci-recipe")
        .expect("README.md marks the CI recipe with <!-- ci-recipe ... -->")..];
    let start = marked
        .find("```sh\n")
        .expect("a sh block follows the marker")
        + "```sh\n".len();
    let end = marked[start..].find("\n```").expect("the sh block ends");
    format!("{}\n", &marked[start..start + end])
}

/// A user's project: `api-docs/` holding `api_docs`, and `gen/ari` generated (as it was
/// committed) from `generated_from`.
fn project(scratch: &Scratch, generated_from: &Path, api_docs: &Path) -> std::path::PathBuf {
    let root = scratch.path().join("project");
    copy_dir(api_docs, &root.join("api-docs"));
    let out = run(
        &root,
        &[
            "generate",
            "--api-docs",
            generated_from.to_str().unwrap(),
            "--out",
            "gen/ari",
        ],
    );
    assert_code(&out, 0);
    std::fs::create_dir_all(root.join("ci")).unwrap();
    std::fs::write(root.join("ci/ari-check.sh"), recipe()).unwrap();
    root
}

fn run_recipe(root: &Path, fail_on: Option<&str>) -> Output {
    let bin_dir = bin().parent().unwrap().to_owned();
    let mut command = Command::new("/bin/sh");
    command
        .arg("ci/ari-check.sh")
        .current_dir(root)
        .env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .env("HOME", root);
    if let Some(kind) = fail_on {
        command.env("ARI_FAIL_ON", kind);
    }
    let output = command.output().unwrap();
    assert!(
        !stderr(&output).contains("Installing") && !stderr(&output).contains("cargo"),
        "the recipe tried to install ari-codegen:\n{}",
        stderr(&output)
    );
    output
}

/// The repository's 22 without `channels.progress`: the spec of an "older release".
fn older(scratch: &Scratch) -> std::path::PathBuf {
    let old = scratch.path().join("older");
    copy_dir(&api_docs("22"), &old);
    remove_api(&old, "channels.json", "/channels/{channelId}/progress");
    old
}

#[test]
fn the_readme_recipe_is_a_complete_script() {
    let script = recipe();
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    assert!(script.contains("ari-codegen check --api-docs api-docs --against gen/ari"));
    assert!(script.contains("ari-codegen diff gen/ari api-docs --fail-on breaking"));
}

#[test]
fn up_to_date_code_passes() {
    let scratch = Scratch::new("recipe-current");
    let root = project(&scratch, &api_docs("22"), &api_docs("22"));
    for mode in [None, Some("breaking")] {
        let out = run_recipe(&root, mode);
        assert_code(&out, 0);
        assert!(
            stdout(&out).contains("gen/ari is up to date"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn a_compatible_addition_fails_strictly_and_passes_on_breaking_only() {
    let scratch = Scratch::new("recipe-added");
    let old = older(&scratch);
    let root = project(&scratch, &old, &api_docs("22"));
    let strict = run_recipe(&root, None);
    assert_code(&strict, 1);
    let text = stdout(&strict);
    assert!(
        text.contains("compatible  operation   channels.progress: added"),
        "{text}"
    );
    assert!(
        text.contains("--- a/channels.rs\n+++ b/channels.rs\n@@ "),
        "{text}"
    );
    assert!(text.contains("run: ari-codegen generate --api-docs api-docs --out gen/ari"));

    let lenient = run_recipe(&root, Some("breaking"));
    assert_code(&lenient, 0);
    // The drift is still reported in the log.
    assert!(
        stdout(&lenient).contains("channels.progress: added"),
        "{}",
        stdout(&lenient)
    );
}

#[test]
fn a_breaking_removal_fails_in_both_modes() {
    let scratch = Scratch::new("recipe-removed");
    let old = older(&scratch);
    let root = project(&scratch, &api_docs("22"), &old);
    for mode in [None, Some("breaking")] {
        let out = run_recipe(&root, mode);
        assert_code(&out, 1);
        assert!(
            stdout(&out).contains("breaking    operation   channels.progress: removed"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn unusable_input_exits_2_in_both_modes() {
    let scratch = Scratch::new("recipe-unusable");
    let root = project(&scratch, &api_docs("22"), &api_docs("22"));
    std::fs::remove_file(root.join("api-docs/resources.json")).unwrap();
    for mode in [None, Some("breaking")] {
        let out = run_recipe(&root, mode);
        assert_code(&out, 2);
        assert!(stderr(&out).contains("resources.json"), "{}", stderr(&out));
    }
}
