//! `ari events APP...`: the event stream, one line per event (time, application, type,
//! the resources it concerns, its other fields), or JSON lines for scripts. The SDK
//! reconnects by itself; each change of the connection is said on standard error.

use std::io::{IsTerminal, Write};

use anstyle::{AnsiColor, Style};
use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value};

use ari_sdk::{Client, Item};

use crate::exit::Exit;
use crate::settings::Settings;

/// The command's name, shared with the `events` resource of the api-docs.
pub const COMMAND: &str = "events";

pub fn command() -> Command {
    Command::new(COMMAND)
        .about("Prints the events of applications as they come (what wscat shows, readable)")
        .arg(
            Arg::new("apps")
                .required(true)
                .num_args(1..)
                .value_name("APP")
                .help("Applications to connect as (each is registered while connected)"),
        )
        .arg(
            Arg::new("type")
                .long("type")
                .short('t')
                .action(ArgAction::Append)
                .value_delimiter(',')
                .value_name("TYPE")
                .help("Only these event types, e.g. --type StasisStart,ChannelDtmfReceived"),
        )
        .arg(
            Arg::new("channel")
                .long("channel")
                .action(ArgAction::Append)
                .value_name("ID")
                .help("Only events that concern this channel (by id; repeatable), its playbacks and recordings included; add --subscribe-all for a channel the applications do not own"),
        )
        .arg(
            Arg::new("subscribe-all")
                .long("subscribe-all")
                .action(ArgAction::SetTrue)
                .help("Every event of the system, not only those of the applications' resources"),
        )
        .arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("One JSON document per line (the default when piped)"),
        )
        .arg(
            Arg::new("count")
                .long("count")
                .short('n')
                .value_parser(clap::value_parser!(u64).range(1..))
                .help("Stop after this many events"),
        )
}

/// What to print.
struct Filter {
    types: Vec<String>,
    channels: Vec<String>,
}

impl Filter {
    fn keeps(&self, event: &Map<String, Value>) -> bool {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
        (self.types.is_empty() || self.types.iter().any(|t| t == kind))
            && (self.channels.is_empty()
                || event.values().any(|member| {
                    // A channel's own member, or the target of its playback or recording.
                    let id = member.get("id").and_then(Value::as_str);
                    let target = member
                        .get("target_uri")
                        .and_then(Value::as_str)
                        .and_then(|t| t.strip_prefix("channel:"));
                    [id, target]
                        .into_iter()
                        .flatten()
                        .any(|id| self.channels.iter().any(|c| c == id))
                }))
    }
}

/// Runs until the stream ends, `--count` events were printed or standard output closes.
pub async fn run(client: &Client, settings: &Settings, matches: &ArgMatches) -> Exit {
    let apps: Vec<String> = matches
        .get_many::<String>("apps")
        .expect("required")
        .cloned()
        .collect();
    let filter = Filter {
        types: matches
            .get_many::<String>("type")
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
        channels: matches
            .get_many::<String>("channel")
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
    };
    let known = ari_sdk::Event::TYPE_NAMES;
    if let Some(unknown) = filter.types.iter().find(|t| !known.contains(&t.as_str())) {
        let close: Vec<&str> = known
            .iter()
            .copied()
            .filter(|k| {
                k.eq_ignore_ascii_case(unknown)
                    || k.to_lowercase().contains(&unknown.to_lowercase())
            })
            .collect();
        eprintln!(
            "ari: --type {unknown}: not an event type of this release line{}",
            if close.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", close.join(", "))
            }
        );
        return Exit::Usage;
    }
    let json = matches.get_flag("json") || !std::io::stdout().is_terminal();
    let mut left = matches.get_one::<u64>("count").copied();
    let mut stream = match client
        .events(apps.iter().map(String::as_str))
        .subscribe_all(matches.get_flag("subscribe-all"))
        .connect()
        .await
    {
        Ok(stream) => stream,
        Err(error) => return crate::report(&error, Some(settings)),
    };
    let mut out = anstream::stdout();
    // Ends `Ok` when --count is reached or the reader goes away; the stream ending by
    // itself (the application taken over, reconnection given up) is a connection failure.
    let mut exit = Exit::Connection;
    while let Some(item) = stream.next().await {
        let event = match item {
            Ok(Item::Event(event)) => event,
            Ok(Item::Connected) => {
                eprintln!("ari: connected as {}", apps.join(", "));
                continue;
            }
            Ok(Item::Disconnected { reason }) => {
                eprintln!("ari: disconnected ({reason})");
                continue;
            }
            Ok(Item::Reconnected { attempt }) => {
                eprintln!("ari: reconnected (attempt {attempt})");
                continue;
            }
            // Items later SDKs may add.
            Ok(_) => continue,
            Err(error) => {
                // A bad frame or a slow reader: say so and go on.
                eprintln!("ari: {error}");
                continue;
            }
        };
        let Ok(Value::Object(event)) = serde_json::to_value(&event) else {
            continue;
        };
        if !filter.keeps(&event) {
            continue;
        }
        let line = if json {
            Value::Object(event).to_string()
        } else {
            readable(&event)
        };
        if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
            // The reader went away (`| head`): done.
            exit = Exit::Ok;
            break;
        }
        if let Some(n) = left.as_mut() {
            *n -= 1;
            if *n == 0 {
                exit = Exit::Ok;
                break;
            }
        }
    }
    if exit != Exit::Ok {
        eprintln!("ari: the event stream ended");
    }
    stream.close().await;
    exit
}

const TIME: Style = AnsiColor::BrightBlack.on_default();
const KIND: Style = Style::new().bold();
const RESOURCE: Style = AnsiColor::Cyan.on_default();

/// Members every event has, shown in fixed places or not at all.
const COMMON: &[&str] = &["type", "application", "timestamp", "asterisk_id"];

/// `20:11:51.123 hello StasisStart channel=1700.1 (PJSIP/alice-0001) args=["world"]`
fn readable(event: &Map<String, Value>) -> String {
    let text = |k: &str| event.get(k).and_then(Value::as_str).unwrap_or("");
    // `2026-12-03T20:11:51.123+0000` -> `20:11:51.123`.
    let time = text("timestamp").get(11..23).unwrap_or(text("timestamp"));
    let mut line = format!(
        "{TIME}{time}{TIME:#} {} {KIND}{}{KIND:#}",
        text("application"),
        text("type")
    );
    for (name, member) in event.iter().filter(|(k, _)| !COMMON.contains(&k.as_str())) {
        match member {
            Value::Object(resource) => {
                let id = resource.get("id").or_else(|| resource.get("name"));
                let Some(id) = id.and_then(Value::as_str) else {
                    continue;
                };
                line.push_str(&format!(" {RESOURCE}{name}={id}{RESOURCE:#}"));
                if let Some(label) = resource
                    .get("name")
                    .and_then(Value::as_str)
                    .filter(|n| *n != id)
                {
                    line.push_str(&format!(" ({label})"));
                }
                if let Some(state) = resource.get("state").and_then(Value::as_str) {
                    line.push_str(&format!(" [{state}]"));
                }
            }
            Value::Null => {}
            Value::String(s) => line.push_str(&format!(" {name}={s}")),
            other => line.push_str(&format!(" {name}={other}")),
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_time_app_type_resources_and_fields() {
        let event = serde_json::json!({
            "type": "ChannelDtmfReceived", "application": "hello",
            "timestamp": "2026-12-03T20:11:51.123+0000", "digit": "5", "duration_ms": 120,
            "channel": {"id": "1.1", "name": "PJSIP/alice-0001", "state": "Up"}
        });
        let Value::Object(event) = event else {
            unreachable!()
        };
        let line = anstream::adapter::strip_str(&readable(&event)).to_string();
        assert_eq!(
            line,
            "20:11:51.123 hello ChannelDtmfReceived digit=5 duration_ms=120 channel=1.1 (PJSIP/alice-0001) [Up]"
        );
    }

    #[test]
    fn filters_keep_the_types_and_channels_asked_for() {
        let filter = Filter {
            types: vec!["StasisStart".into()],
            channels: vec!["1.1".into()],
        };
        let event = |kind: &str, id: &str| {
            let Value::Object(map) = serde_json::json!({"type": kind, "channel": {"id": id}})
            else {
                unreachable!()
            };
            map
        };
        assert!(filter.keeps(&event("StasisStart", "1.1")));
        assert!(!filter.keeps(&event("StasisEnd", "1.1")));
        assert!(!filter.keeps(&event("StasisStart", "2.2")));
    }
}
