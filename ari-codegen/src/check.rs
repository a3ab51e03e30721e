//! Is a folder of generated code still what a spec generates? The report behind
//! `ari-codegen check`: a unified diff per differing file, a per-file summary, and what the
//! new spec changes in the API, computed from the facts the folder records
//! ([`crate::facts::FILE`]) against the new spec's.

use std::fmt::Write;
use std::io;
use std::path::Path;

use serde::Serialize;
use similar::{DiffTag, TextDiff};

use crate::Files;
use crate::diff::{Change, diff_facts, render_text};
use crate::facts::{self, Facts};
use crate::fingerprint::short;

/// Lines of context around each change in a unified diff.
const CONTEXT: usize = 3;

/// How a file of the folder compares with the generated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// In both, with different text.
    Changed,
    /// Generated, absent from the folder.
    Missing,
    /// In the folder, no longer generated.
    Stale,
}

/// One file that differs.
#[derive(Debug, Clone, Serialize)]
pub struct FileDiff {
    pub file: String,
    pub status: FileStatus,
    /// Lines the generated file has that the folder's lacks.
    pub insertions: usize,
    /// Lines the folder's file has that the generated one lacks.
    pub deletions: usize,
    /// Unified diff from the folder's file (`a/`) to the generated one (`b/`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub diff: String,
}

/// Which spec: its content fingerprint and ARI version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecId {
    pub fingerprint: String,
    pub api_version: Option<String>,
}

impl SpecId {
    fn of(facts: &Facts) -> SpecId {
        SpecId {
            fingerprint: facts.fingerprint.clone(),
            api_version: facts.api_version.clone(),
        }
    }
}

impl std::fmt::Display for SpecId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(version) = &self.api_version {
            write!(f, "ARI {version}, ")?;
        }
        write!(f, "sha256 {}", short(&self.fingerprint))
    }
}

/// What changed in the API between the spec the folder was generated from and the new one.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ApiSummary {
    /// Both sides' facts are known.
    Compared {
        /// The spec the folder was generated from.
        from: SpecId,
        /// The spec checked now.
        to: SpecId,
        changes: Vec<Change>,
    },
    /// The folder records no readable facts; `reason` says why.
    Unavailable { reason: String },
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Files that differ, by name; empty when the folder is up to date.
    pub files: Vec<FileDiff>,
    pub api: ApiSummary,
}

impl Report {
    pub fn up_to_date(&self) -> bool {
        self.files.is_empty()
    }

    /// API changes, when known.
    pub fn changes(&self) -> Option<&[Change]> {
        match &self.api {
            ApiSummary::Compared { changes, .. } => Some(changes),
            ApiSummary::Unavailable { .. } => None,
        }
    }

    /// Drops the unified diffs, keeping the per-file counts (`--stat`).
    pub fn without_diffs(mut self) -> Report {
        for f in &mut self.files {
            f.diff.clear();
        }
        self
    }

    /// The readable report: the API summary, a per-file summary, then (unless they were
    /// dropped) the unified diffs. Empty when up to date.
    pub fn render_text(&self) -> String {
        if self.up_to_date() {
            return String::new();
        }
        let mut out = String::new();
        match &self.api {
            ApiSummary::Compared { from, to, .. } if from == to => {
                let _ = writeln!(
                    out,
                    "API: unchanged, the same spec ({from}); the files differ because another \
                     ari-codegen version generated them or they were edited"
                );
            }
            ApiSummary::Compared { from, to, changes } => {
                let _ = writeln!(
                    out,
                    "API changes from the spec the folder was generated from ({from}) to the \
                     api-docs ({to}):"
                );
                if changes.is_empty() {
                    out.push_str(
                        "none to operations, parameters, models, fields, events or enum values; \
                         the specs differ elsewhere (ARI version, descriptions, since-versions \
                         or error statuses)\n",
                    );
                } else {
                    out.push_str(&render_text(changes));
                }
            }
            ApiSummary::Unavailable { reason } => {
                let _ = writeln!(out, "API changes: unknown ({reason})");
            }
        }
        out.push('\n');
        out.push_str(&self.render_stat());
        for f in self.files.iter().filter(|f| !f.diff.is_empty()) {
            out.push('\n');
            if f.file == facts::FILE {
                let _ = writeln!(
                    out,
                    "{}: the API facts, summarized above (its diff is in --json)",
                    f.file
                );
            } else {
                out.push_str(&f.diff);
            }
        }
        out
    }

    /// `git diff --stat`-like lines, then a total.
    pub fn render_stat(&self) -> String {
        const WIDTH: usize = 50;
        let name_width = self.files.iter().map(|f| f.file.len()).max().unwrap_or(0);
        let most = self
            .files
            .iter()
            .map(|f| f.insertions + f.deletions)
            .max()
            .unwrap_or(0);
        let count_width = most.to_string().len();
        let scale = |n: usize| -> usize {
            if most <= WIDTH || n == 0 {
                n
            } else {
                (n * WIDTH / most).max(1)
            }
        };
        let mut out = String::new();
        for f in &self.files {
            let note = match f.status {
                FileStatus::Changed => "",
                FileStatus::Missing => " (new: not in the folder)",
                FileStatus::Stale => " (stale: no longer generated)",
            };
            let _ = writeln!(
                out,
                " {:<name_width$} | {:>count_width$} {}{}{note}",
                f.file,
                f.insertions + f.deletions,
                "+".repeat(scale(f.insertions)),
                "-".repeat(scale(f.deletions)),
            );
        }
        let insertions: usize = self.files.iter().map(|f| f.insertions).sum();
        let deletions: usize = self.files.iter().map(|f| f.deletions).sum();
        let _ = writeln!(
            out,
            " {} file{} differ, {insertions} insertions(+), {deletions} deletions(-)",
            self.files.len(),
            if self.files.len() == 1 { "" } else { "s" },
        );
        out
    }
}

/// Compares generated files with a folder holding a rendered copy. Fails only when the
/// folder cannot be read (absent, not a folder, unreadable file).
pub fn compare(files: &Files, dir: &Path) -> io::Result<Report> {
    let mut on_disk: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if (name.ends_with(".rs") || name == facts::FILE) && entry.path().is_file() {
            on_disk.push(name);
        }
    }
    on_disk.sort();
    let mut diffs = Vec::new();
    for name in on_disk.iter().filter(|n| !files.contains_key(*n)) {
        let old = std::fs::read_to_string(dir.join(name))?;
        diffs.push(file_diff(name, FileStatus::Stale, &old, ""));
    }
    for (name, text) in files {
        if on_disk.contains(name) {
            let old = std::fs::read_to_string(dir.join(name))?;
            if old != *text {
                diffs.push(file_diff(name, FileStatus::Changed, &old, text));
            }
        } else {
            diffs.push(file_diff(name, FileStatus::Missing, "", text));
        }
    }
    diffs.sort_by(|a, b| a.file.cmp(&b.file));
    let api = api_summary(files, dir, &on_disk);
    Ok(Report { files: diffs, api })
}

fn api_summary(files: &Files, dir: &Path, on_disk: &[String]) -> ApiSummary {
    let unavailable = |reason: String| ApiSummary::Unavailable { reason };
    let Some(new) = files.get(facts::FILE) else {
        return unavailable("the generated files carry no API facts".to_owned());
    };
    let new = match Facts::parse(new) {
        Ok(facts) => facts,
        Err(e) => return unavailable(format!("generated {}: {e}", facts::FILE)),
    };
    if !on_disk.iter().any(|n| n == facts::FILE) {
        return unavailable(format!(
            "the folder has no {}: it was generated by an older ari-codegen",
            facts::FILE
        ));
    }
    let old = std::fs::read_to_string(dir.join(facts::FILE))
        .map_err(|e| e.to_string())
        .and_then(|text| Facts::parse(&text));
    match old {
        Ok(old) => ApiSummary::Compared {
            changes: diff_facts(&old, &new),
            from: SpecId::of(&old),
            to: SpecId::of(&new),
        },
        Err(e) => unavailable(format!("the folder's {}: {e}", facts::FILE)),
    }
}

fn file_diff(name: &str, status: FileStatus, old: &str, new: &str) -> FileDiff {
    let diff = TextDiff::from_lines(old, new);
    let (mut insertions, mut deletions) = (0, 0);
    for op in diff.ops() {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {}
            DiffTag::Delete => deletions += old_range.len(),
            DiffTag::Insert => insertions += new_range.len(),
            DiffTag::Replace => {
                deletions += old_range.len();
                insertions += new_range.len();
            }
        }
    }
    let a = match status {
        FileStatus::Missing => "/dev/null".to_owned(),
        _ => format!("a/{name}"),
    };
    let b = match status {
        FileStatus::Stale => "/dev/null".to_owned(),
        _ => format!("b/{name}"),
    };
    let text = diff
        .unified_diff()
        .context_radius(CONTEXT)
        .header(&a, &b)
        .to_string();
    FileDiff {
        file: name.to_owned(),
        status,
        insertions,
        deletions,
        diff: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str, files: &Files) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ari-check-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        crate::write_files(files, &dir).unwrap();
        dir
    }

    fn quirks() -> Files {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/quirks/spec");
        crate::generate_from_dir(&spec, &crate::Settings::default()).unwrap()
    }

    #[test]
    fn a_one_line_change_shows_as_one_hunk_with_context() {
        let files = quirks();
        let dir = folder("hunk", &files);
        let models = dir.join("models.rs");
        let text = std::fs::read_to_string(&models).unwrap();
        let changed_at = text.lines().position(|l| l.contains("pub struct")).unwrap();
        let edited: String = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == changed_at {
                    format!("{l} // edited\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        std::fs::write(&models, edited).unwrap();
        let report = compare(&files, &dir).unwrap();
        assert_eq!(report.files.len(), 1);
        let f = &report.files[0];
        assert_eq!(
            (f.file.as_str(), f.status),
            ("models.rs", FileStatus::Changed)
        );
        assert_eq!((f.insertions, f.deletions), (1, 1));
        assert!(
            f.diff.starts_with("--- a/models.rs\n+++ b/models.rs\n@@ -"),
            "{}",
            f.diff
        );
        assert_eq!(f.diff.matches("\n@@ ").count(), 1, "{}", f.diff);
        // Three lines of context either side at most, not the rest of the file.
        let body = f.diff.lines().filter(|l| l.starts_with(' ')).count();
        assert!(body <= 2 * CONTEXT, "{}", f.diff);
        assert!(
            matches!(&report.api, ApiSummary::Compared { changes, from, to }
            if changes.is_empty() && from == to)
        );
        let text = report.render_text();
        assert!(text.contains("API: unchanged"), "{text}");
        assert!(
            text.contains(" 1 file differ, 1 insertions(+), 1 deletions(-)"),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_and_stale_files_and_missing_facts() {
        let files = quirks();
        let dir = folder("stale", &files);
        std::fs::remove_file(dir.join("things.rs")).unwrap();
        std::fs::remove_file(dir.join(facts::FILE)).unwrap();
        std::fs::write(dir.join("gone.rs"), "// old\n").unwrap();
        let report = compare(&files, &dir).unwrap();
        let status: Vec<(&str, FileStatus)> = report
            .files
            .iter()
            .map(|f| (f.file.as_str(), f.status))
            .collect();
        assert_eq!(
            status,
            vec![
                ("gone.rs", FileStatus::Stale),
                (facts::FILE, FileStatus::Missing),
                ("things.rs", FileStatus::Missing),
            ]
        );
        assert!(report.files[0].diff.contains("+++ /dev/null"));
        assert!(
            report.files[2]
                .diff
                .starts_with("--- /dev/null\n+++ b/things.rs")
        );
        assert!(
            matches!(&report.api, ApiSummary::Unavailable { reason } if reason.contains("older"))
        );
        let stat = report.without_diffs();
        assert!(stat.files.iter().all(|f| f.diff.is_empty()));
        assert!(compare(&files, &dir.join("absent")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
