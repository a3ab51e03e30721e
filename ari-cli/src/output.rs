//! Printing answers: compact JSON for scripts, pretty and coloured JSON for people, tables
//! for lists, files for binary answers.

use std::io::{IsTerminal, Write};

use anstyle::{AnsiColor, Style};
use serde_json::Value;

use crate::commands::OUTPUT_FORMATS;

/// How an answer is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// One compact JSON document.
    Json,
    /// Indented JSON, coloured on a terminal.
    Pretty,
    /// Columns, one row per item.
    Table,
    /// A binary answer written to this file.
    File(std::path::PathBuf),
}

impl Output {
    /// `--output`'s value, or the default for where standard output goes. A file name is
    /// taken only for binary answers.
    pub fn choose(given: Option<&str>, binary: bool) -> Result<Output, String> {
        match given {
            None if std::io::stdout().is_terminal() => Ok(Output::Pretty),
            None => Ok(Output::Json),
            Some("json") => Ok(Output::Json),
            Some("pretty") => Ok(Output::Pretty),
            Some("table") => Ok(Output::Table),
            Some(file) if binary => Ok(Output::File(file.into())),
            Some(other) => Err(format!(
                "unknown output `{other}`: one of {} (a file name only for an answer that is a file)",
                OUTPUT_FORMATS.join(", ")
            )),
        }
    }
}

/// Prints a JSON answer; `response` is the spec's type of it (`List[Channel]`).
pub fn print_json(output: &Output, response: &str, value: &Value) -> std::io::Result<()> {
    let mut out = anstream::stdout().lock();
    match output {
        _ if value.is_null() => Ok(()),
        Output::Json => writeln!(out, "{value}"),
        Output::Pretty | Output::File(_) => {
            let mut text = String::new();
            pretty(&mut text, value, 0);
            writeln!(out, "{text}")
        }
        Output::Table => write!(out, "{}", crate::tables::render(response, value)),
    }
}

/// Writes a binary answer to its file, or to standard output when that is not a terminal.
pub fn write_binary(output: &Output, bytes: &[u8]) -> Result<(), String> {
    match output {
        Output::File(path) => {
            std::fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
        }
        _ if std::io::stdout().is_terminal() => Err(format!(
            "the answer is a file of {} bytes: give --output FILE or redirect standard output",
            bytes.len()
        )),
        _ => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|_| out.flush())
                .map_err(|e| format!("writing standard output: {e}"))
        }
    }
}

const KEY: Style = AnsiColor::Blue.on_default();
const STRING: Style = AnsiColor::Green.on_default();
const NUMBER: Style = AnsiColor::Cyan.on_default();
const LITERAL: Style = AnsiColor::Magenta.on_default();

/// Indented JSON with colour codes (stripped by `anstream` where colour is off).
pub fn pretty(out: &mut String, value: &Value, depth: usize) {
    let indent = |out: &mut String, depth: usize| out.push_str(&"  ".repeat(depth));
    match value {
        Value::Object(members) if !members.is_empty() => {
            out.push_str("{\n");
            for (i, (key, member)) in members.iter().enumerate() {
                indent(out, depth + 1);
                out.push_str(&format!("{KEY}{}{KEY:#}: ", Value::String(key.clone())));
                pretty(out, member, depth + 1);
                out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, depth + 1);
                pretty(out, item, depth + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            indent(out, depth);
            out.push(']');
        }
        Value::String(_) => out.push_str(&format!("{STRING}{value}{STRING:#}")),
        Value::Number(_) => out.push_str(&format!("{NUMBER}{value}{NUMBER:#}")),
        Value::Bool(_) | Value::Null => out.push_str(&format!("{LITERAL}{value}{LITERAL:#}")),
        // Empty object or list.
        _ => out.push_str(&value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_json_without_colour_is_json() {
        let value = serde_json::json!({"a": [1, "x", true, null, {}], "b": {"c": 2.5}});
        let mut text = String::new();
        pretty(&mut text, &value, 0);
        let plain = anstream::adapter::strip_str(&text).to_string();
        assert_eq!(serde_json::from_str::<Value>(&plain).unwrap(), value);
        assert!(plain.contains("\n  \"a\": ["), "{plain}");
    }

    #[test]
    fn a_file_name_is_an_output_only_for_binary_answers() {
        assert_eq!(Output::choose(Some("table"), false), Ok(Output::Table));
        assert!(
            Output::choose(Some("out.wav"), false)
                .unwrap_err()
                .contains("json, pretty, table")
        );
        assert_eq!(
            Output::choose(Some("out.wav"), true),
            Ok(Output::File("out.wav".into()))
        );
    }
}
