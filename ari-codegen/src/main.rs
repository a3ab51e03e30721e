//! `ari-codegen`: import api-docs, list operations, generate code, check a snapshot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ari_codegen::check::{ApiSummary, Report};
use ari_codegen::facts::Facts;
use ari_codegen::{Settings, SpecError, import, ir};

const USAGE: &str = "\
ari-codegen: generate the ari-sdk client from Asterisk's ARI api-docs

USAGE:
  ari-codegen list     --api-docs DIR
      Print every operation: method, path, resource.nickname, since.
  ari-codegen generate --api-docs DIR --out DIR [--line NN] [--subdir NAME] [--label TEXT]
      Write the generated Rust files (and spec-facts.json, the API they were generated
      from) into DIR. The output depends on the api-docs' content and these flags only:
      the same files give the same bytes wherever they lie. --line NN uses ari-sdk's own
      settings for the Asterisk NN line (as its build.rs does).
  ari-codegen generate-all --api-docs DIR --out DIR
      For every release-line folder of DIR (`18`, `22`, ...), write its files into
      OUT/asterisk_NN: how ari-sdk/generated/ is refreshed (`cargo regen`).
  ari-codegen check    --api-docs DIR --against DIR [--line NN] [--subdir NAME] [--label TEXT]
                       [--stat] [--json]
      Is DIR (generated code, e.g. committed) still what the api-docs generate? Prints
      what the api-docs change in the API (from DIR's spec-facts.json), a summary per
      file, and a unified diff per differing file (--stat: summary only; --json: all of it
      as JSON on stdout). Give the same --line/--subdir/--label as to generate.
  ari-codegen diff     OLD_DIR NEW_DIR [--json] [--fail-on breaking|any|none]
      What changed between two specs (operations, parameters, models, fields, events,
      enum values), each marked breaking or compatible for a Rust user of the SDK.
      Either folder may also be generated code (its spec-facts.json stands for its spec).
      Exits 1 when a change of the --fail-on kind exists (default: none).
  ari-codegen import   --from DIR_OR_URL [--user U --password P] --out DIR
      Read a real Asterisk's api-docs (a folder such as /var/lib/asterisk/rest-api, or a
      live server's ARI root URL) and write the facts-only normalized copy.

EXIT STATUS:
  0  success; check: the folder is up to date; diff: no change of the --fail-on kind
  1  check: the folder is out of date; diff: a change of the --fail-on kind exists
  2  unusable input: bad arguments, an unreadable or invalid spec, a missing folder
     (the message is on stderr; with --json, also an object with status \"error\" on stdout)
";

/// Standard output; a reader that went away (`| head`) ends the program as the shell's
/// own pipe writers end (status 141, 128 + SIGPIPE), without a panic.
fn emit(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(e) = written {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(141);
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(2);
    }
}

macro_rules! out {
    ($($arg:tt)*) => { emit(&format!($($arg)*)) };
}

macro_rules! outln {
    () => { emit("\n") };
    ($($arg:tt)*) => { emit(&format!("{}\n", format!($($arg)*))) };
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            // Tools asking for JSON get JSON for unusable input too.
            if args.iter().any(|a| a == "--json") {
                let error = serde_json::json!({
                    "status": "error",
                    "exit_code": 2,
                    "error": message,
                });
                outln!("{error}");
            }
            ExitCode::from(2)
        }
    }
}

struct Flags {
    values: Vec<(String, String)>,
}

impl Flags {
    /// `allowed` flags take a value; `switches` take none.
    fn parse(args: &[String], allowed: &[&str], switches: &[&str]) -> Result<Flags, String> {
        let mut values = Vec::new();
        let mut iter = args.iter();
        while let Some(flag) = iter.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument `{flag}`\n\n{USAGE}"))?;
            if switches.contains(&name) {
                values.push((name.to_owned(), String::new()));
                continue;
            }
            if !allowed.contains(&name) {
                return Err(format!("unknown flag `--{name}`\n\n{USAGE}"));
            }
            let value = iter
                .next()
                .ok_or_else(|| format!("`--{name}` needs a value"))?;
            values.push((name.to_owned(), value.clone()));
        }
        Ok(Flags { values })
    }
    fn has(&self, name: &str) -> bool {
        self.values.iter().any(|(k, _)| k == name)
    }
    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn require(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("`--{name}` is required\n\n{USAGE}"))
    }
}

/// The settings come from flags only, never from the api-docs folder's name or place, so
/// the same files generate the same bytes wherever they lie. `--line NN` selects ari-sdk's
/// own settings for that line (what build.rs writes); `--subdir` and `--label` override.
fn settings(flags: &Flags) -> Result<Settings, String> {
    let mut settings = match flags.get("line") {
        Some(line) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => {
            Settings::asterisk_line(line)
        }
        Some(line) => return Err(format!("--line {line}: give a release line such as 22")),
        None => Settings::default(),
    };
    if let Some(subdir) = flags.get("subdir") {
        settings.out_subdir = subdir.to_owned();
    }
    if let Some(label) = flags.get("label") {
        settings.label = Some(label.to_owned());
    }
    Ok(settings)
}

/// The settings flags as given, to repeat them in a suggested command.
fn settings_flags(flags: &Flags) -> String {
    let mut out = String::new();
    for name in ["line", "subdir", "label"] {
        if let Some(value) = flags.get(name) {
            out.push_str(&format!(" --{name} {}", shell_word(value)));
        }
    }
    out
}

/// A value quoted for a POSIX shell when it needs it.
fn shell_word(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@%+,".contains(&b));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

fn spec_error(e: SpecError) -> String {
    format!("invalid spec: {e}")
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    // `--help` anywhere (`check --help`) is a request for the usage, not a bad flag.
    if args.iter().skip(1).any(|a| a == "--help" || a == "-h") {
        out!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    }
    let Some((command, rest)) = args.split_first() else {
        out!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    match command.as_str() {
        "list" => {
            let flags = Flags::parse(rest, &["api-docs"], &[])?;
            let api =
                ari_codegen::load_api(Path::new(flags.require("api-docs")?)).map_err(spec_error)?;
            out!("{}", operation_table(&api));
            Ok(ExitCode::SUCCESS)
        }
        "generate" => {
            let flags = Flags::parse(rest, &["api-docs", "out", "line", "subdir", "label"], &[])?;
            let dir = PathBuf::from(flags.require("api-docs")?);
            let out = PathBuf::from(flags.require("out")?);
            let files =
                ari_codegen::generate_from_dir(&dir, &settings(&flags)?).map_err(spec_error)?;
            ari_codegen::write_files(&files, &out)
                .map_err(|e| format!("writing {}: {e}", out.display()))?;
            eprintln!("wrote {} files to {}", files.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        "generate-all" => {
            let flags = Flags::parse(rest, &["api-docs", "out"], &[])?;
            let root = PathBuf::from(flags.require("api-docs")?);
            let out = PathBuf::from(flags.require("out")?);
            let lines =
                release_lines(&root).map_err(|e| format!("reading {}: {e}", root.display()))?;
            if lines.is_empty() {
                return Err(format!(
                    "{} holds no release-line folder (18, 22, ...)",
                    root.display()
                ));
            }
            for line in lines {
                let settings = Settings::asterisk_line(&line);
                let files = ari_codegen::generate_from_dir(&root.join(&line), &settings)
                    .map_err(spec_error)?;
                let dir = out.join(&settings.out_subdir);
                ari_codegen::write_files(&files, &dir)
                    .map_err(|e| format!("writing {}: {e}", dir.display()))?;
                eprintln!("wrote {} files to {}", files.len(), dir.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        "check" => check(rest),
        "import" => {
            let flags = Flags::parse(rest, &["from", "out", "user", "password"], &[])?;
            let from = flags.require("from")?;
            let out = PathBuf::from(flags.require("out")?);
            let spec = if from.starts_with("http://") || from.starts_with("https://") {
                let credentials = match (flags.get("user"), flags.get("password")) {
                    (Some(u), Some(p)) => Some((u, p)),
                    (None, None) => None,
                    _ => return Err("`--user` and `--password` go together".to_owned()),
                };
                import::fetch(from, credentials).map_err(spec_error)?
            } else {
                ari_codegen::Spec::load_dir(Path::new(from)).map_err(spec_error)?
            };
            let docs = import::normalize(&spec).map_err(spec_error)?;
            import::write(&docs, &out).map_err(|e| format!("writing {}: {e}", out.display()))?;
            eprintln!("imported {} files into {}", docs.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        "diff" => {
            let (dirs, flags): (Vec<&String>, Vec<&String>) = {
                let mut dirs = Vec::new();
                let mut flags = Vec::new();
                let mut iter = rest.iter();
                while let Some(a) = iter.next() {
                    if a == "--json" {
                        flags.push(a);
                    } else if a == "--fail-on" {
                        flags.push(a);
                        flags.push(
                            iter.next()
                                .ok_or("`--fail-on` needs breaking, any or none")?,
                        );
                    } else {
                        dirs.push(a);
                    }
                }
                (dirs, flags)
            };
            let [old, new] = dirs.as_slice() else {
                return Err(format!(
                    "diff takes two folders (spec or generated code)\n\n{USAGE}"
                ));
            };
            let fail_on = flags
                .iter()
                .position(|f| *f == "--fail-on")
                .map_or("none", |i| flags[i + 1].as_str());
            if !matches!(fail_on, "breaking" | "any" | "none") {
                return Err(format!("--fail-on {fail_on}: use breaking, any or none"));
            }
            // A spec folder, or generated code standing for the spec it came from.
            let old_facts = Facts::load(Path::new(old.as_str()))?;
            let new_facts = Facts::load(Path::new(new.as_str()))?;
            let changes = ari_codegen::diff::diff_facts(&old_facts, &new_facts);
            if flags.iter().any(|f| *f == "--json") {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&changes).map_err(|e| e.to_string())?
                );
            } else {
                out!("{}", ari_codegen::diff::render_text(&changes));
            }
            let failed = match fail_on {
                "breaking" => changes.iter().any(|c| c.breaking),
                "any" => !changes.is_empty(),
                _ => false,
            };
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        "help" | "--help" | "-h" => {
            out!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
}

/// `check`: 0 up to date, 1 out of date, 2 (an `Err`) unusable input.
fn check(rest: &[String]) -> Result<ExitCode, String> {
    let flags = Flags::parse(
        rest,
        &["api-docs", "against", "line", "subdir", "label"],
        &["stat", "json"],
    )?;
    let dir = PathBuf::from(flags.require("api-docs")?);
    let against = PathBuf::from(flags.require("against")?);
    let files = ari_codegen::generate_from_dir(&dir, &settings(&flags)?).map_err(spec_error)?;
    if !against.is_dir() {
        return Err(format!(
            "{} is not a folder of generated code; create it with: ari-codegen generate --api-docs {} --out {}{}",
            against.display(),
            shell_word(&dir.display().to_string()),
            shell_word(&against.display().to_string()),
            settings_flags(&flags)
        ));
    }
    let mut report = ari_codegen::check::compare(&files, &against)
        .map_err(|e| format!("reading {}: {e}", against.display()))?;
    if flags.has("stat") {
        report = report.without_diffs();
    }
    let regenerate = format!(
        "ari-codegen generate --api-docs {} --out {}{}",
        shell_word(&dir.display().to_string()),
        shell_word(&against.display().to_string()),
        settings_flags(&flags)
    );
    let code: u8 = if report.up_to_date() { 0 } else { 1 };
    if flags.has("json") {
        outln!(
            "{}",
            check_json(&report, &dir, &against, code, &regenerate)?
        );
    } else if report.up_to_date() {
        outln!(
            "{} is up to date with the api-docs in {}",
            against.display(),
            dir.display()
        );
    } else {
        outln!(
            "{} is out of date with the api-docs in {}\n",
            against.display(),
            dir.display()
        );
        out!("{}", report.render_text());
        outln!("\n{} is out of date; run: {regenerate}", against.display());
    }
    Ok(ExitCode::from(code))
}

fn check_json(
    report: &Report,
    dir: &Path,
    against: &Path,
    code: u8,
    regenerate: &str,
) -> Result<String, String> {
    let changes = report.changes().unwrap_or_default();
    let value = serde_json::json!({
        "status": if code == 0 { "up_to_date" } else { "out_of_date" },
        "exit_code": code,
        "api_docs": dir.display().to_string(),
        "against": against.display().to_string(),
        "regenerate": if code == 0 { None } else { Some(regenerate) },
        "summary": {
            "files": report.files.len(),
            "insertions": report.files.iter().map(|f| f.insertions).sum::<usize>(),
            "deletions": report.files.iter().map(|f| f.deletions).sum::<usize>(),
            "api_changes": changes.len(),
            "breaking": changes.iter().filter(|c| c.breaking).count(),
            "api_known": matches!(report.api, ApiSummary::Compared { .. }),
        },
        "api": report.api,
        "files": report.files,
    });
    serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
}

/// Sub-folders named by a release line number, sorted numerically.
fn release_lines(root: &Path) -> std::io::Result<Vec<String>> {
    let mut lines: Vec<String> = std::fs::read_dir(root)?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("resources.json").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        .collect();
    lines.sort_by_key(|l| l.parse::<u32>().unwrap_or(0));
    Ok(lines)
}

fn operation_table(api: &ir::Api) -> String {
    let mut out = String::new();
    let mut count = 0;
    for op in api.operations() {
        count += 1;
        let since = if op.since.is_empty() {
            "-".to_owned()
        } else {
            op.since.join(",")
        };
        out.push_str(&format!(
            "{:<7} {:<58} {:<40} {}{}\n",
            op.method.as_str(),
            op.path,
            op.qualified_name(),
            since,
            if op.websocket { "  (websocket)" } else { "" }
        ));
    }
    out.push_str(&format!(
        "{count} operations, {} models, {} events, {} enums, {} handles\n",
        api.models.len(),
        api.events.len(),
        api.enums.len(),
        api.handles.len()
    ));
    out
}
