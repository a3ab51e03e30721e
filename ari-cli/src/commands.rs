//! The command tree, built at start-up from the SDK's operation table: a subcommand per
//! resource, one per operation under it, a flag per parameter. Nothing here names an
//! operation; a new api-docs folder gives new commands.

use clap::builder::{PossibleValuesParser, ValueParser};
use clap::{Arg, ArgAction, Command};
use heck::ToKebabCase;

use ari_sdk::{OperationInfo, ParamInfo, ParamLocation};

use crate::exit::Exit;

/// The operations that become commands: every REST operation of the SDK's line (the event
/// WebSocket is `ari events`).
pub fn operations() -> impl Iterator<Item = &'static OperationInfo> {
    ari_sdk::operations::OPERATIONS
        .iter()
        .filter(|op| !op.websocket)
}

/// `deviceStates` -> `device-states`.
pub fn resource_command(op: &OperationInfo) -> String {
    op.resource.to_kebab_case()
}

/// `originateWithId` -> `originate-with-id`.
pub fn operation_command(op: &OperationInfo) -> String {
    op.nickname.to_kebab_case()
}

/// `channelId` -> `channel-id`; a parameter named like a global flag (`transport` of
/// `channels.externalMedia` and `--transport`) gets `param-` in front.
pub fn flag(param: &ParamInfo) -> String {
    // The global flags' names, gathered once: every parameter asks.
    static TAKEN: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let taken = TAKEN.get_or_init(|| {
        global_args()
            .iter()
            .filter_map(|arg| arg.get_long().map(str::to_owned))
            .chain(["help", "version", VAR_FLAG].map(str::to_owned))
            .collect()
    });
    let flag = param.name.to_kebab_case();
    let taken = taken.contains(&flag);
    if taken { format!("param-{flag}") } else { flag }
}

/// `get-info` also answers to `info` when no other operation of the resource is named so
/// (what people type first: `ari asterisk info`).
pub fn short_name(op: &OperationInfo) -> Option<String> {
    // Compared as nicknames (`getInfo` -> `info`): the table is read at every start, and
    // kebab-casing every other operation of the resource for each one cost more than the
    // rest of building the commands of a resource.
    let rest = op.nickname.strip_prefix("get")?;
    let mut chars = rest.chars();
    let first = chars.next().filter(char::is_ascii_uppercase)?;
    let nickname = format!("{}{}", first.to_ascii_lowercase(), chars.as_str());
    let taken =
        operations().any(|other| other.resource == op.resource && other.nickname == nickname);
    (!taken).then(|| nickname.to_kebab_case())
}

/// The id of a required parameter's positional slot (its flag's id is its name).
pub fn positional_id(param: &ParamInfo) -> String {
    format!("@{}", param.name)
}

/// The flag that fills a string-map parameter entry by entry.
pub const VAR_FLAG: &str = "var";

/// Output choices other than a file.
pub const OUTPUT_FORMATS: &[&str] = &["json", "pretty", "table"];

/// The whole command line.
pub fn cli() -> Command {
    cli_built(&|_| true)
}

/// The command line for these arguments: only the resources they name get their
/// operations' commands (each with its help texts), the others stand by name and summary
/// for the overview and suggestions. Half the start-up time of a run is building the rest.
pub fn cli_for(args: &[std::ffi::OsString]) -> Command {
    cli_built(&|resource| args.iter().any(|a| a == resource))
}

fn cli_built(wanted: &dyn Fn(&str) -> bool) -> Command {
    let mut root = Command::new("ari")
        .version(env!("CARGO_PKG_VERSION"))
        .about("A command-line client for the Asterisk REST Interface")
        .long_about(
            "A command-line client for the Asterisk REST Interface (ARI): a command for every \
             operation of the api-docs the SDK was generated from, `ari events` for the event \
             stream, `ari raw` for anything else.\n\n\
             Connection settings come from the flags, then ARI_URL, ARI_USER, ARI_PASSWORD and \
             ARI_TRANSPORT, then a profile of the config file (--profile or ARI_PROFILE), then \
             http://127.0.0.1:8088/ari. Prefer ARI_PASSWORD or a profile to --password, which \
             stays in the shell's history.",
        )
        .after_help(Exit::table())
        .subcommand_required(true)
        .arg_required_else_help(true)
        .args(global_args());
    let mut resources: Vec<(String, Command)> = Vec::new();
    for op in operations() {
        let name = resource_command(op);
        if !wanted(&name) {
            if !resources.iter().any(|(n, _)| *n == name) {
                let stub = if name == crate::events::COMMAND {
                    crate::events::command()
                } else {
                    Command::new(name.clone()).about(resource_about(op.resource))
                };
                resources.push((name, stub));
            }
            continue;
        }
        let command = operation(op);
        match resources.iter_mut().find(|(n, _)| *n == name) {
            Some((_, resource)) => {
                *resource = std::mem::take(resource).subcommand(command);
            }
            // `ari events APP...` is the event stream; the resource's operations
            // (`ari events user-event ...`) sit beside it.
            None if name == crate::events::COMMAND => {
                let resource = crate::events::command()
                    .subcommand_negates_reqs(true)
                    .args_conflicts_with_subcommands(true)
                    .subcommand(command);
                resources.push((name, resource));
            }
            None => {
                let resource = Command::new(name.clone())
                    .about(resource_about(op.resource))
                    .subcommand_required(true)
                    .arg_required_else_help(true)
                    .subcommand(command);
                resources.push((name, resource));
            }
        }
    }
    for (_, resource) in resources {
        root = root.subcommand(resource);
    }
    if !root
        .get_subcommands()
        .any(|c| c.get_name() == crate::events::COMMAND)
    {
        root = root.subcommand(crate::events::command());
    }
    root.subcommand(crate::top::command())
        .subcommand(crate::raw::command())
        .subcommand(completion())
}

/// The help heading of the connection and output flags, which every command takes.
const GLOBAL_HEADING: &str = "Connection and output";

/// A resource command's one-line help: the SDK's text of the resource.
fn resource_about(resource: &str) -> String {
    ari_sdk::operations::RESOURCE_SUMMARIES
        .iter()
        .find(|(name, _)| *name == resource)
        .map(|(_, summary)| first_sentence(summary))
        .filter(|summary| !summary.is_empty())
        .unwrap_or_else(|| format!("The {resource} operations"))
}

fn global_args() -> Vec<Arg> {
    let args = vec![
        Arg::new("url")
            .long("url")
            .global(true)
            .value_name("URL")
            .help("ARI's root, e.g. http://127.0.0.1:8088/ari [env: ARI_URL]"),
        Arg::new("user")
            .long("user")
            .short('u')
            .global(true)
            .value_name("NAME")
            .help("ARI user [env: ARI_USER]"),
        Arg::new("password")
            .long("password")
            .global(true)
            .value_name("PASSWORD")
            .help("ARI password; prefer ARI_PASSWORD or a profile (the shell keeps this flag in its history)"),
        Arg::new("profile")
            .long("profile")
            .short('p')
            .global(true)
            .value_name("NAME")
            .help("A [profiles.NAME] table of the config file [env: ARI_PROFILE]"),
        Arg::new("transport")
            .long("transport")
            .global(true)
            .value_parser(["http", "websocket"])
            .help("Send requests over HTTP or over the event WebSocket (Asterisk 22.4+; connects as the application ari-cli-PID meanwhile) [env: ARI_TRANSPORT]"),
        Arg::new("output")
            .long("output")
            .short('o')
            .global(true)
            .value_name("FORMAT|FILE")
            .help("json (compact; the default when piped), pretty (the default on a terminal), table; a file name for a binary answer"),
        Arg::new("timeout")
            .long("request-timeout")
            .global(true)
            .value_name("SECONDS")
            .value_parser(ValueParser::new(|text: &str| {
                text.parse::<u64>()
                    .ok()
                    .filter(|s| (1..=3600).contains(s))
                    .ok_or_else(|| format!("`{text}` is not a whole number of seconds from 1 to 3600"))
            }))
            .help("How long to wait for an answer"),
    ];
    args.into_iter()
        .map(|a| a.help_heading(GLOBAL_HEADING))
        .collect()
}

fn completion() -> Command {
    Command::new("completion")
        .about("Prints a shell completion script: ari completion bash > ~/.local/share/bash-completion/completions/ari")
        .arg(
            Arg::new("shell")
                .required(true)
                .value_parser(["bash", "zsh", "fish"]),
        )
}

/// The command of one operation.
fn operation(op: &'static OperationInfo) -> Command {
    let mut command = Command::new(operation_command(op))
        .about(first_sentence(op.summary))
        .long_about(long_about(op))
        .after_help(format!(
            "Request: {} {}   (more with --help)",
            op.method.as_str(),
            op.path
        ))
        .after_long_help(after_long_help(op));
    if let Some(short) = short_name(op) {
        command = command.alias(short);
    }
    let mut index = 1;
    for param in op.params {
        if param.required {
            command = command.arg(positional(param, index));
            index += 1;
        }
        command = command.arg(param_flag(param));
    }
    if op
        .params
        .iter()
        .any(|p| p.ty == "containers" && p.location == ParamLocation::Body)
    {
        command = command.arg(
            Arg::new(VAR_FLAG)
                .long(VAR_FLAG)
                .value_name("KEY=VALUE")
                .action(ArgAction::Append)
                .value_parser(ValueParser::new(key_value))
                .help("One entry of the string map (repeatable): --var NAME=value"),
        );
    }
    command
}

fn positional(param: &'static ParamInfo, index: usize) -> Arg {
    Arg::new(positional_id(param))
        .index(index)
        .value_name(param.name.to_kebab_case().to_uppercase().replace('-', "_"))
        .required(false)
        .value_parser(value_parser(param))
        .help(format!(
            "Required (here in order, or as --{}). {}",
            flag(param),
            first_sentence(param.text)
        ))
}

fn param_flag(param: &'static ParamInfo) -> Arg {
    let mut arg = Arg::new(param.name)
        .long(flag(param))
        .value_name(value_name(param))
        .value_parser(value_parser(param))
        .help(short_help(param))
        .long_help(long_help(param));
    if param.multiple || param.ty.starts_with("List[") {
        arg = arg.action(ArgAction::Append).value_delimiter(',');
    }
    if param.ty == "boolean" {
        // `--beep` alone means true.
        arg = arg.num_args(0..=1).default_missing_value("true");
    }
    if param.required {
        arg = arg.conflicts_with(positional_id(param));
    }
    arg
}

fn value_name(param: &ParamInfo) -> String {
    match param.ty {
        "int" | "long" => "NUMBER".to_owned(),
        "double" => "DECIMAL".to_owned(),
        "boolean" => "true|false".to_owned(),
        "containers" | "object" => "JSON".to_owned(),
        _ => "VALUE".to_owned(),
    }
}

/// Checks a value as the spec types it, before anything is sent.
fn value_parser(param: &'static ParamInfo) -> ValueParser {
    if !param.allowed.is_empty() {
        return PossibleValuesParser::new(param.allowed.iter().copied()).into();
    }
    match param.ty {
        "boolean" => PossibleValuesParser::new(["true", "false"]).into(),
        "int" | "long" => ValueParser::new(move |text: &str| number(param, text)),
        "double" => ValueParser::new(|text: &str| {
            text.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(|_| text.to_owned())
                .ok_or_else(|| format!("`{text}` is not a number"))
        }),
        "containers" => ValueParser::new(|text: &str| {
            match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
                Ok(map) if map.values().all(|v| v.is_string()) => Ok(text.to_owned()),
                _ => Err(format!(
                    "expected a JSON object of strings, e.g. {{\"NAME\": \"value\"}} (or use --{VAR_FLAG} NAME=value)"
                )),
            }
        }),
        "object" => ValueParser::new(|text: &str| {
            serde_json::from_str::<serde_json::Value>(text)
                .map(|_| text.to_owned())
                .map_err(|e| format!("not JSON: {e}"))
        }),
        _ if param.media_uris => ValueParser::new(|text: &str| {
            if ari_sdk::MEDIA_SCHEMES.iter().any(|s| text.starts_with(s)) {
                Ok(text.to_owned())
            } else {
                Err(format!(
                    "`{text}` is not a media URI: it starts with one of {}",
                    ari_sdk::MEDIA_SCHEMES.join(" ")
                ))
            }
        }),
        _ => ValueParser::string(),
    }
}

fn number(param: &ParamInfo, text: &str) -> Result<String, String> {
    let n: i64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a whole number"))?;
    if let Some(min) = param.min.filter(|min| n < *min) {
        return Err(format!("{n} is below the smallest value allowed, {min}"));
    }
    if let Some(max) = param.max.filter(|max| n > *max) {
        return Err(format!("{n} is above the largest value allowed, {max}"));
    }
    Ok(n.to_string())
}

fn key_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))
}

fn short_help(param: &ParamInfo) -> String {
    let mut help = first_sentence(param.text);
    if let Some(default) = param.default {
        help.push_str(&format!(" [default: {default}]"));
    }
    help
}

fn long_help(param: &ParamInfo) -> String {
    let mut help = if param.text.is_empty() {
        format!("({}, {})", place(param), param.ty)
    } else {
        format!("{}\n({}, {})", reflow(param.text), place(param), param.ty)
    };
    if let Some(default) = param.default {
        help.push_str(&format!("\nDefault: {default}"));
    }
    match (param.min, param.max) {
        (Some(min), Some(max)) => help.push_str(&format!("\nFrom {min} to {max}.")),
        (Some(min), None) => help.push_str(&format!("\nAt least {min}.")),
        (None, Some(max)) => help.push_str(&format!("\nAt most {max}.")),
        (None, None) => {}
    }
    for (value, text) in param.value_text {
        help.push_str(&format!("\n  {value}: {text}"));
    }
    help
}

fn place(param: &ParamInfo) -> &'static str {
    match param.location {
        ParamLocation::Path => "path",
        ParamLocation::Query => "query",
        ParamLocation::Body => "body",
    }
}

fn long_about(op: &OperationInfo) -> String {
    if op.details.is_empty() {
        reflow(op.summary)
    } else {
        format!("{}\n\n{}", reflow(op.summary), reflow(op.details))
    }
}

fn after_long_help(op: &OperationInfo) -> String {
    let mut text = format!(
        "Request: {} {}  ({})\nAnswer: {}",
        op.method.as_str(),
        op.path,
        op.name,
        op.response
    );
    if !op.events.is_empty() {
        text.push_str(&format!("\nEvents that follow: {}", op.events.join(", ")));
    }
    if !op.error_statuses.is_empty() {
        text.push_str("\nError statuses:");
        for status in op.error_statuses {
            match op.statuses.iter().find(|(s, _)| s == status) {
                Some((_, said)) => text.push_str(&format!("\n  {status}: {said}")),
                None => text.push_str(&format!("\n  {status}")),
            }
        }
    }
    text
}

/// Markdown text as terminal help: each paragraph's lines joined (clap wraps them to the
/// terminal), list items kept on their own lines.
pub fn reflow(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .map(|paragraph| {
            let mut out = String::new();
            for line in paragraph.lines().map(str::trim) {
                if !out.is_empty() {
                    out.push(if line.starts_with("- ") { '\n' } else { ' ' });
                }
                out.push_str(line);
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The first sentence of a text (up to the first `. ` or the end), for one-line help.
pub fn first_sentence(text: &str) -> String {
    let text = text.trim();
    // "e.g." and "i.e." do not end a sentence.
    let abbreviation = |i: usize| ["e.g", "i.e"].iter().any(|a| text[..i].ends_with(a));
    let end = text
        .char_indices()
        .find(|(i, c)| *c == '.' && text[i + 1..].starts_with([' ', '\n']) && !abbreviation(*i))
        .map_or(text.len(), |(i, _)| i + 1);
    text[..end].split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The operation a command path names, e.g. `["channels", "list"]`.
pub fn find(resource: &str, operation: &str) -> Option<&'static OperationInfo> {
    operations().find(|op| resource_command(op) == resource && operation_command(op) == operation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_tree_is_valid_and_covers_every_rest_operation() {
        let cli = cli();
        cli.clone().debug_assert();
        let mut commands = 0;
        for op in operations() {
            let resource = cli
                .find_subcommand(resource_command(op))
                .unwrap_or_else(|| panic!("no command for {}", op.resource));
            assert!(
                resource.find_subcommand(operation_command(op)).is_some(),
                "no command for {}",
                op.name
            );
            commands += 1;
        }
        assert!(commands > 90, "only {commands} operations");
    }

    #[test]
    fn first_sentences_stop_at_the_first_full_stop() {
        assert_eq!(first_sentence("Lists them. Then more."), "Lists them.");
        assert_eq!(first_sentence("Uses `a.b` here.\nMore"), "Uses `a.b` here.");
        assert_eq!(first_sentence(""), "");
        assert_eq!(
            first_sentence("Starts it, e.g. now. More."),
            "Starts it, e.g. now."
        );
    }

    /// Every `ari ...` command the README shows (its `ari` section's table and examples)
    /// parses: a renamed command or flag fails here.
    #[test]
    fn the_readme_commands_parse() {
        let readme = include_str!("../../README.md");
        let section = readme
            .split("## The `ari` command line")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("the README's ari section");
        let mut seen = 0;
        for line in section.lines() {
            let command = match line.split_once("| `ari ") {
                Some((_, cell)) => cell.split('`').next().unwrap_or_default().to_owned(),
                None => match line.strip_prefix("ari ") {
                    Some(rest) => rest.split(" #").next().unwrap_or_default().to_owned(),
                    None => continue,
                },
            };
            let mut args = vec!["ari".to_owned()];
            args.extend(shell_words(&command).into_iter().take_while(|w| w != ">"));
            match cli().try_get_matches_from(&args) {
                Ok(_) => {}
                Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {}
                Err(error) => panic!("README: {args:?}: {error}"),
            }
            seen += 1;
        }
        assert!(seen >= 14, "only {seen} commands found in the README");
    }

    /// Splits like a shell for the README's simple lines: quotes group, `$VAR`s are values.
    fn shell_words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut quote = None;
        for c in line.chars() {
            match (quote, c) {
                (None, '\'' | '"') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, ' ') => {
                    if !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                }
                _ => word.push(c),
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
        words
    }

    #[test]
    fn get_operations_answer_to_their_short_name_too() {
        let info = find("asterisk", "get-info").expect("asterisk.getInfo");
        assert_eq!(short_name(info).as_deref(), Some("info"));
        assert!(
            cli()
                .try_get_matches_from(["ari", "asterisk", "info"])
                .is_ok()
        );
        // `channels get` has no short name to give.
        assert_eq!(
            short_name(find("channels", "get").expect("channels.get")),
            None
        );
    }

    #[test]
    fn reflowed_text_keeps_paragraphs_and_list_items() {
        assert_eq!(reflow("a\nb\n\n- c\n- d\n"), "a b\n\n- c\n- d");
    }

    #[test]
    fn every_operation_has_help_with_its_request_line() {
        let mut cli = cli();
        for op in operations() {
            let help = cli
                .find_subcommand_mut(resource_command(op))
                .and_then(|r| r.find_subcommand_mut(operation_command(op)))
                .expect("a command")
                .render_long_help()
                .to_string();
            // Clap wraps lines to the terminal's width.
            let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                help.contains(&format!("{} {}", op.method.as_str(), op.path)),
                "{help}"
            );
            assert!(
                help.contains(first_sentence(op.summary).as_str()),
                "{}: {help}",
                op.name
            );
        }
    }
}
