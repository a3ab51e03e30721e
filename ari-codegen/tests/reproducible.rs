//! The same api-docs generate the same bytes wherever they lie, whatever the working
//! directory and environment, and `check` accepts code generated from another copy; when
//! something did change, `check` says what, readably, with documented exit codes.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use ari_codegen::Settings;
use support::*;

/// Specs to try: the repository's facts-only copy of 22, the golden quirks spec, and the
/// upstream 22.10.1 (prose and copyright headers included) when this machine has it.
fn specs() -> Vec<(&'static str, PathBuf)> {
    let mut specs = vec![
        ("line-22", api_docs("22")),
        (
            "quirks",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/quirks/spec"),
        ),
    ];
    if let Some(upstream) = upstream("22.10.1") {
        specs.push(("upstream-22.10.1", upstream));
    }
    specs
}

/// Marks in the folder names that must never reach generated files.
const PLACES: &[&str] = &["machine-a", "checkout-b", "asterisk api-docs", "cwd-b"];

/// Two copies of a spec and where each is used from.
struct Copies {
    /// The working directory of copy A, which lies at `A/22.10.1` below it, as in the issue.
    a_root: PathBuf,
    /// Copy B: another name, elsewhere, reached by an absolute path.
    b: PathBuf,
    /// The working directory for copy B.
    cwd_b: PathBuf,
}

fn two_copies(scratch: &Scratch, name: &str, spec: &Path) -> Copies {
    let a_root = scratch.path().join("machine-a").join(name);
    copy_dir(spec, &a_root.join("A/22.10.1"));
    let b = scratch
        .path()
        .join("checkout-b")
        .join(name)
        .join("vendor/asterisk api-docs");
    copy_dir(spec, &b);
    let cwd_b = scratch.path().join("cwd-b");
    std::fs::create_dir_all(&cwd_b).unwrap();
    Copies { a_root, b, cwd_b }
}

#[test]
fn same_api_docs_in_two_folders_generate_identical_files() {
    let scratch = Scratch::new("two-folders");
    for (name, spec) in specs() {
        let Copies { a_root, b, cwd_b } = two_copies(&scratch, name, &spec);
        let out_b = scratch.path().join("checkout-b").join(name).join("gen/ari");

        let a = Command::new(bin())
            .args(["generate", "--api-docs", "A/22.10.1", "--out", "gen/ari"])
            .current_dir(&a_root)
            .env("TZ", "UTC")
            .env("LANG", "C")
            .output()
            .unwrap();
        assert_code(&a, 0);
        let b_out = Command::new(bin())
            .args(["generate", "--api-docs"])
            .arg(&b)
            .arg("--out")
            .arg(&out_b)
            .current_dir(&cwd_b)
            .env("TZ", "Pacific/Kiritimati")
            .env("LANG", "de_DE.UTF-8")
            .env("SOURCE_DATE_EPOCH", "1")
            .env("HOME", &cwd_b)
            .env("USER", "someone-else")
            .output()
            .unwrap();
        assert_code(&b_out, 0);

        let (files_a, files_b) = (read_dir(&a_root.join("gen/ari")), read_dir(&out_b));
        assert_eq!(
            files_a.keys().collect::<Vec<_>>(),
            files_b.keys().collect::<Vec<_>>(),
            "{name}"
        );
        assert!(files_a.contains_key("spec-facts.json"), "{name}");
        for (file, bytes) in &files_a {
            assert!(
                files_b[file] == *bytes,
                "{name}: {file} differs between the two folders"
            );
            let text = String::from_utf8_lossy(bytes);
            for place in PLACES {
                assert!(
                    !text.contains(place),
                    "{name}: {file} names the folder `{place}`"
                );
            }
        }

        // The library entry point agrees, with ari-sdk's own settings too.
        for settings in [Settings::default(), Settings::asterisk_line("22")] {
            assert_eq!(
                ari_codegen::generate_from_dir(&a_root.join("A/22.10.1"), &settings).unwrap(),
                ari_codegen::generate_from_dir(&b, &settings).unwrap(),
                "{name}"
            );
        }
    }
}

#[test]
fn check_accepts_code_generated_from_another_copy() {
    let scratch = Scratch::new("check-two-folders");
    for (name, spec) in specs() {
        let Copies { a_root, b, cwd_b } = two_copies(&scratch, name, &spec);
        assert_code(
            &run(
                &a_root,
                &["generate", "--api-docs", "A/22.10.1", "--out", "gen/ari"],
            ),
            0,
        );
        let gen_dir = a_root.join("gen/ari");
        for extra in [&[][..], &["--stat"], &["--json"]] {
            let mut args = vec![
                "check",
                "--api-docs",
                b.to_str().unwrap(),
                "--against",
                gen_dir.to_str().unwrap(),
            ];
            args.extend_from_slice(extra);
            let out = run(&cwd_b, &args);
            assert_code(&out, 0);
            if extra == ["--json"] {
                let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
                assert_eq!(json["status"], "up_to_date", "{name}");
                assert_eq!(json["files"], serde_json::json!([]), "{name}");
            } else {
                assert!(stdout(&out).contains("is up to date"), "{}", stdout(&out));
            }
        }
        // The same with ari-sdk's settings for a line.
        assert_code(
            &run(
                &a_root,
                &[
                    "generate",
                    "--api-docs",
                    "A/22.10.1",
                    "--out",
                    "line",
                    "--line",
                    "22",
                ],
            ),
            0,
        );
        let line_dir = a_root.join("line");
        let out = run(
            &cwd_b,
            &[
                "check",
                "--api-docs",
                b.to_str().unwrap(),
                "--against",
                line_dir.to_str().unwrap(),
                "--line",
                "22",
            ],
        );
        assert_code(&out, 0);
    }
}

/// A project generated from the repository's 22 without `channels.progress`, as from an
/// older release, and the full 22 as the new api-docs.
fn older_and_newer(scratch: &Scratch) -> (PathBuf, PathBuf) {
    let old = scratch.path().join("old-api-docs");
    copy_dir(&api_docs("22"), &old);
    remove_api(&old, "channels.json", "/channels/{channelId}/progress");
    let new = scratch.path().join("new-api-docs");
    copy_dir(&api_docs("22"), &new);
    let generated = run(
        scratch.path(),
        &["generate", "--api-docs", "old-api-docs", "--out", "gen/ari"],
    );
    assert_code(&generated, 0);
    (old, new)
}

/// `check --api-docs new-api-docs --against gen/ari` with `extra` flags, in `dir`.
fn check_new(dir: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "check",
        "--api-docs",
        "new-api-docs",
        "--against",
        "gen/ari",
    ];
    args.extend_from_slice(extra);
    run(dir, &args)
}

#[test]
fn check_reports_api_changes_and_unified_diffs() {
    let scratch = Scratch::new("check-report");
    older_and_newer(&scratch);
    let check = |extra: &[&str]| check_new(scratch.path(), extra);

    let out = check(&[]);
    assert_code(&out, 1);
    let text = stdout(&out);
    // The API summary names the change.
    assert!(
        text.contains(
            "compatible  operation   channels.progress: added (POST /channels/{channelId}/progress"
        ),
        "{text}"
    );
    assert!(
        text.contains("1 changes: 0 breaking, 1 compatible"),
        "{text}"
    );
    // A per-file summary, then unified diffs with a few lines of context only.
    assert!(text.contains(" channels.rs "), "{text}");
    assert!(
        text.contains("--- a/channels.rs\n+++ b/channels.rs\n@@ -"),
        "{text}"
    );
    assert_few_context_lines(&text);
    assert!(
        text.contains("gen/ari is out of date; run: ari-codegen generate --api-docs new-api-docs --out gen/ari"),
        "{text}"
    );

    let stat = stdout(&check(&["--stat"]));
    assert!(stat.contains("channels.progress: added"), "{stat}");
    assert!(
        stat.contains(" channels.rs ") && !stat.contains("@@ "),
        "{stat}"
    );

    let out = check(&["--json"]);
    assert_code(&out, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["status"], "out_of_date");
    assert_eq!(json["exit_code"], 1);
    assert_eq!(json["summary"]["breaking"], 0);
    assert_eq!(json["summary"]["api_changes"], 1);
    assert_eq!(json["api"]["status"], "compared");
    assert_eq!(json["api"]["changes"][0]["item"], "channels.progress");
    assert_eq!(json["api"]["changes"][0]["breaking"], false);
    let channels = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "channels.rs")
        .expect("channels.rs differs");
    assert_eq!(channels["status"], "changed");
    assert!(channels["diff"].as_str().unwrap().contains("@@ -"));
    assert!(channels["insertions"].as_u64().unwrap() > 0);
}

/// Every hunk shows at most 3 unchanged lines before and after a change, and at most 6
/// between two changes: what changed, not the rest of the file.
fn assert_few_context_lines(report: &str) {
    let mut hunks = 0;
    let mut lines = report.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.starts_with("@@ ") {
            continue;
        }
        hunks += 1;
        let mut body = Vec::new();
        while let Some(next) = lines.peek() {
            if !(next.starts_with(' ') || next.starts_with('+') || next.starts_with('-'))
                || next.starts_with("--- ")
            {
                break;
            }
            body.push(lines.next().unwrap());
        }
        let runs: Vec<usize> = body
            .split(|l| !l.starts_with(' '))
            .map(|run| run.len())
            .collect();
        let (first, last) = (runs[0], runs[runs.len() - 1]);
        assert!(
            first <= 3 && last <= 3 && runs.iter().all(|r| *r <= 6),
            "a hunk with long context ({runs:?}):\n{line}\n{}",
            body.join("\n")
        );
    }
    assert!(hunks > 0, "no hunk in:\n{report}");
}

#[test]
fn exit_codes_and_diff_against_generated_code() {
    let scratch = Scratch::new("exit-codes");
    older_and_newer(&scratch);
    let dir = scratch.path();
    let code = |args: &[&str]| run(dir, args).status.code();

    // 2: unusable input.
    let missing = run(
        dir,
        &["check", "--api-docs", "nowhere", "--against", "gen/ari"],
    );
    assert_code(&missing, 2);
    assert!(stderr(&missing).contains("error:"), "{}", stderr(&missing));
    let as_json = run(
        dir,
        &[
            "check",
            "--api-docs",
            "nowhere",
            "--against",
            "gen/ari",
            "--json",
        ],
    );
    assert_code(&as_json, 2);
    let json: serde_json::Value = serde_json::from_str(&stdout(&as_json)).unwrap();
    assert_eq!(
        (&json["status"], &json["exit_code"]),
        (&"error".into(), &2.into())
    );
    let no_folder = run(
        dir,
        &[
            "check",
            "--api-docs",
            "new-api-docs",
            "--against",
            "gen/none",
        ],
    );
    assert_code(&no_folder, 2);
    assert!(
        stderr(&no_folder).contains("ari-codegen generate --api-docs new-api-docs --out gen/none"),
        "{}",
        stderr(&no_folder)
    );
    let check_code = |extra: &[&str]| check_new(dir, extra).status.code();
    assert_eq!(check_code(&["--frobnicate"]), Some(2));
    assert_eq!(check_code(&["--line", "x"]), Some(2));
    std::fs::create_dir_all(dir.join("broken")).unwrap();
    std::fs::write(dir.join("broken/resources.json"), "{ not json").unwrap();
    assert_eq!(
        code(&["check", "--api-docs", "broken", "--against", "gen/ari"]),
        Some(2)
    );
    assert_eq!(code(&["diff", "gen/ari", "broken"]), Some(2));
    assert_eq!(code(&["diff", "gen/ari", "nowhere"]), Some(2));

    // 0 and 1: up to date or not.
    assert_eq!(
        code(&[
            "check",
            "--api-docs",
            "old-api-docs",
            "--against",
            "gen/ari"
        ]),
        Some(0)
    );
    assert_eq!(check_code(&[]), Some(1));

    // `diff` takes the generated folder for the spec it came from.
    let added = run(dir, &["diff", "gen/ari", "new-api-docs"]);
    assert_code(&added, 0);
    assert!(stdout(&added).contains("channels.progress: added"));
    assert_eq!(
        code(&["diff", "gen/ari", "new-api-docs", "--fail-on", "breaking"]),
        Some(0)
    );
    assert_eq!(
        code(&["diff", "gen/ari", "new-api-docs", "--fail-on", "any"]),
        Some(1)
    );
    assert_eq!(
        code(&["diff", "gen/ari", "old-api-docs", "--fail-on", "any"]),
        Some(0)
    );
    // Removing an operation breaks users.
    let removed = run(
        dir,
        &["diff", "new-api-docs", "gen/ari", "--fail-on", "breaking"],
    );
    assert_code(&removed, 1);
    assert!(
        stdout(&removed).contains("breaking    operation   channels.progress: removed"),
        "{}",
        stdout(&removed)
    );
}

/// The case: code generated from Asterisk 22.10.1, checked against 23.4.1.
#[test]
fn check_names_a_new_release() {
    let (Some(old), Some(new)) = (upstream("22.10.1"), upstream("23.4.1")) else {
        eprintln!("SKIPPED: upstream api-docs not found (set ARI_UPSTREAM_API_DOCS)");
        return;
    };
    let scratch = Scratch::new("new-release");
    let gen_dir = scratch.path().join("gen");
    assert_code(
        &run(
            scratch.path(),
            &[
                "generate",
                "--api-docs",
                old.to_str().unwrap(),
                "--out",
                "gen",
            ],
        ),
        0,
    );
    let out = run(
        scratch.path(),
        &[
            "check",
            "--api-docs",
            new.to_str().unwrap(),
            "--against",
            gen_dir.to_str().unwrap(),
        ],
    );
    assert_code(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains("(ARI 10.0.0, sha256 ") && text.contains("api-docs (ARI 11.0.0, sha256 "),
        "{text}"
    );
    assert!(text.contains("--- a/mod.rs\n+++ b/mod.rs\n@@ "), "{text}");
}
