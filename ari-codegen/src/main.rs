//! `ari-codegen`: import api-docs, list operations, generate code, check a snapshot.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ari_codegen::{Settings, SpecError, import, ir};

const USAGE: &str = "\
ari-codegen: generate the ari-sdk client from Asterisk's ARI api-docs

USAGE:
  ari-codegen list     --api-docs DIR
      Print every operation: method, path, resource.nickname, since.
  ari-codegen generate --api-docs DIR --out DIR [--subdir NAME] [--label TEXT]
      Write the generated Rust files into DIR (the committed snapshot, or your own copy).
  ari-codegen generate-all --api-docs DIR --out DIR
      For every release-line folder of DIR (`18`, `22`, ...), write its files into
      OUT/asterisk_NN: how ari-sdk/generated/ is refreshed (`cargo regen`).
  ari-codegen check    --api-docs DIR --against DIR [--subdir NAME] [--label TEXT]
      Exit 1, with a diff, when DIR no longer matches what DIR of api-docs generates.
  ari-codegen diff     OLD_DIR NEW_DIR [--json] [--fail-on breaking|any|none]
      What changed between two specs (operations, parameters, models, fields, events,
      enum values), each marked breaking or compatible for a Rust user of the SDK.
      Exits 1 when a change of the --fail-on kind exists (default: none).
  ari-codegen import   --from DIR_OR_URL [--user U --password P] --out DIR
      Read a real Asterisk's api-docs (a folder such as /var/lib/asterisk/rest-api, or a
      live server's ARI root URL) and write the facts-only normalized copy.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

struct Flags {
    values: Vec<(String, String)>,
}

impl Flags {
    fn parse(args: &[String], allowed: &[&str]) -> Result<Flags, String> {
        let mut values = Vec::new();
        let mut iter = args.iter();
        while let Some(flag) = iter.next() {
            let name = flag
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument `{flag}`\n\n{USAGE}"))?;
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

/// A folder named for a release line (`api-docs/22`) gets ari-sdk's own settings, so
/// `generate` reproduces exactly what build.rs writes; flags override.
fn settings(flags: &Flags, api: &Path) -> Settings {
    let line = api
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    let mut settings = match line {
        Some(line) => Settings::asterisk_line(line),
        None => Settings {
            label: format!("the api-docs in {}", api.display()),
            ..Settings::default()
        },
    };
    if let Some(subdir) = flags.get("subdir") {
        settings.out_subdir = subdir.to_owned();
    }
    if let Some(label) = flags.get("label") {
        settings.label = label.to_owned();
    }
    settings
}

fn spec_error(e: SpecError) -> String {
    format!("invalid spec: {e}")
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((command, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    match command.as_str() {
        "list" => {
            let flags = Flags::parse(rest, &["api-docs"])?;
            let api =
                ari_codegen::load_api(Path::new(flags.require("api-docs")?)).map_err(spec_error)?;
            print!("{}", operation_table(&api));
            Ok(ExitCode::SUCCESS)
        }
        "generate" => {
            let flags = Flags::parse(rest, &["api-docs", "out", "subdir", "label"])?;
            let dir = PathBuf::from(flags.require("api-docs")?);
            let out = PathBuf::from(flags.require("out")?);
            let files = ari_codegen::generate_from_dir(&dir, &settings(&flags, &dir))
                .map_err(spec_error)?;
            ari_codegen::write_files(&files, &out)
                .map_err(|e| format!("writing {}: {e}", out.display()))?;
            eprintln!("wrote {} files to {}", files.len(), out.display());
            Ok(ExitCode::SUCCESS)
        }
        "generate-all" => {
            let flags = Flags::parse(rest, &["api-docs", "out"])?;
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
        "check" => {
            let flags = Flags::parse(rest, &["api-docs", "against", "subdir", "label"])?;
            let dir = PathBuf::from(flags.require("api-docs")?);
            let against = PathBuf::from(flags.require("against")?);
            let files = ari_codegen::generate_from_dir(&dir, &settings(&flags, &dir))
                .map_err(spec_error)?;
            match ari_codegen::compare_with_dir(&files, &against) {
                None => {
                    eprintln!("{} matches {}", against.display(), dir.display());
                    Ok(ExitCode::SUCCESS)
                }
                Some(report) => {
                    eprintln!("{report}");
                    eprintln!(
                        "{} is out of date; run: ari-codegen generate --api-docs {} --out {}",
                        against.display(),
                        dir.display(),
                        against.display()
                    );
                    Ok(ExitCode::from(1))
                }
            }
        }
        "import" => {
            let flags = Flags::parse(rest, &["from", "out", "user", "password"])?;
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
                return Err(format!("diff takes two spec folders\n\n{USAGE}"));
            };
            let fail_on = flags
                .iter()
                .position(|f| *f == "--fail-on")
                .map_or("none", |i| flags[i + 1].as_str());
            if !matches!(fail_on, "breaking" | "any" | "none") {
                return Err(format!("--fail-on {fail_on}: use breaking, any or none"));
            }
            let old_api = ari_codegen::load_api(Path::new(old.as_str())).map_err(spec_error)?;
            let new_api = ari_codegen::load_api(Path::new(new.as_str())).map_err(spec_error)?;
            let changes = ari_codegen::diff::diff(&old_api, &new_api);
            if flags.iter().any(|f| *f == "--json") {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&changes).map_err(|e| e.to_string())?
                );
            } else {
                print!("{}", ari_codegen::diff::render_text(&changes));
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
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    }
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
