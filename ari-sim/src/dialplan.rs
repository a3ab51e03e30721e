//! A small dialplan: contexts of extensions, each a list of applications, in the
//! `extensions.conf` syntax (`exten => 7000,1,NoOp()`, `same => n,Stasis(hello,world)`).

use std::collections::BTreeMap;

/// One dialplan step: application and its argument text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The application, e.g. `Stasis`.
    pub app: String,
    /// Its arguments as written, e.g. `hello,world`.
    pub data: String,
}

/// context -> extension -> steps (priority 1 first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dialplan {
    contexts: BTreeMap<String, BTreeMap<String, Vec<Step>>>,
}

/// The configuration the recordings in `asterisk-traces/` were made with.
pub const DEFAULT: &str = "\
[default]
exten => 7000,1,NoOp()
 same => n,Stasis(hello,world)
 same => n,Hangup()
exten => 7002,1,Answer()
 same => n,Wait(3600)
exten => 7005,1,Answer()
 same => n,Playback(hello-world)
";

/// A line the parser cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The line of the text, from 1.
    pub line: usize,
    /// What is wrong there.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "dialplan line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

impl Dialplan {
    /// The plan a simulator starts with: 7000 `Stasis(hello,world)`, 7002 `Answer()` and
    /// `Wait(3600)`, 7005 `Answer()` and `Playback(hello-world)`, in context `default`.
    pub fn default_plan() -> Dialplan {
        Dialplan::parse(DEFAULT).expect("the default dialplan parses")
    }

    /// Reads `extensions.conf` text: `[context]` lines, `exten => EXT,PRIORITY,App(args)`
    /// and `same => n,App(args)`; other lines are errors naming their line.
    pub fn parse(text: &str) -> Result<Dialplan, ParseError> {
        let mut plan = Dialplan::default();
        let mut context: Option<String> = None;
        let mut last_exten: Option<String> = None;
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let error = |message: &str| ParseError {
                line: line_no,
                message: message.to_owned(),
            };
            let line = raw.split(';').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                context = Some(name.trim().to_owned());
                last_exten = None;
                continue;
            }
            let Some(ctx) = context.clone() else {
                return Err(error("an extension before any [context]"));
            };
            let (keyword, rest) = line
                .split_once("=>")
                .ok_or_else(|| error("expected `exten =>` or `same =>`"))?;
            let rest = rest.trim();
            let (exten, priority_and_app) = match keyword.trim() {
                "exten" => {
                    let (exten, tail) = rest
                        .split_once(',')
                        .ok_or_else(|| error("expected `exten => EXT,PRIORITY,App(args)`"))?;
                    (exten.trim().to_owned(), tail)
                }
                "same" => (
                    last_exten
                        .clone()
                        .ok_or_else(|| error("`same` without an extension before it"))?,
                    rest,
                ),
                other => return Err(error(&format!("unknown keyword `{other}`"))),
            };
            let (priority, app) = priority_and_app
                .split_once(',')
                .ok_or_else(|| error("expected `PRIORITY,App(args)`"))?;
            let steps = plan
                .contexts
                .entry(ctx)
                .or_default()
                .entry(exten.clone())
                .or_default();
            match priority.trim() {
                "n" => {}
                "1" if steps.is_empty() => {}
                p if p.parse::<usize>().ok() == Some(steps.len() + 1) => {}
                p => {
                    return Err(error(&format!(
                        "priority `{p}`: use 1 then n (or consecutive numbers)"
                    )));
                }
            }
            let app = app.trim();
            let (name, data) = match app.split_once('(') {
                Some((name, tail)) => {
                    let data = tail.strip_suffix(')').ok_or_else(|| error("missing `)`"))?;
                    (name.trim(), data)
                }
                None => (app, ""),
            };
            if name.is_empty() {
                return Err(error("missing application name"));
            }
            steps.push(Step {
                app: name.to_owned(),
                data: data.to_owned(),
            });
            last_exten = Some(exten);
        }
        Ok(plan)
    }

    /// The step at a 1-based priority.
    pub fn step(&self, context: &str, exten: &str, priority: i64) -> Option<&Step> {
        let index = usize::try_from(priority.checked_sub(1)?).ok()?;
        self.contexts.get(context)?.get(exten)?.get(index)
    }

    /// Whether `context` has extension `exten`.
    pub fn has_extension(&self, context: &str, exten: &str) -> bool {
        self.contexts
            .get(context)
            .is_some_and(|c| c.contains_key(exten))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_plan_has_the_guides_extension() {
        let plan = Dialplan::default_plan();
        assert_eq!(
            plan.step("default", "7000", 2),
            Some(&Step {
                app: "Stasis".into(),
                data: "hello,world".into()
            })
        );
        assert_eq!(
            plan.step("default", "7000", 3).map(|s| s.app.as_str()),
            Some("Hangup")
        );
        assert!(plan.step("default", "7000", 4).is_none());
        assert!(plan.has_extension("default", "7005"));
    }

    #[test]
    fn bad_lines_name_their_number() {
        let error = Dialplan::parse("[default]\nexten => 1,1,NoOp()\nexten = oops").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(Dialplan::parse("exten => 1,1,NoOp()").is_err());
        assert!(Dialplan::parse("[c]\nexten => 1,5,NoOp()").is_err());
    }
}
