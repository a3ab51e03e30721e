//! The control protocol of Asterisk's WebSocket media channel (`chan_websocket`): text
//! frames beside the binary audio frames, in the plain one-line form or, from Asterisk
//! 22.8 (and 20.18), as JSON objects.
//!
//! Facts this module follows (Asterisk 22.10): the format is chosen per channel by the
//! dial string's `f(json)` / `f(plain-text)` option (ARI `externalMedia`'s
//! `transport_data`), else by `chan_websocket.conf`'s `control_message_format`; nothing
//! on the wire negotiates it, so an application learns it from `MEDIA_START`'s shape.
//! JSON commands name the command in `"command"` and pass ids as `"correlation_id"`;
//! plain commands pass them after one space. JSON events always carry `"channel_id"`;
//! plain `MEDIA_XON`/`MEDIA_XOFF`/`QUEUE_DRAINED` are the bare name and the two id
//! events are `NAME id`. Asterisk ignores text frames longer than 128 bytes and accepts
//! `SET_MEDIA_DIRECTION` only in JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

/// How control messages are written on a connection (Asterisk's `control_message_format`,
/// or the `f(...)` dial option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ControlFormat {
    /// `COMMAND arg` / `EVENT key:value key:value` lines.
    #[default]
    Plain,
    /// `{"command": ...}` / `{"event": ...}` objects.
    Json,
}

/// Which way media flows, from the application's point of view (`SET_MEDIA_DIRECTION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaDirection {
    /// Both ways.
    Both,
    /// Asterisk sends the application audio and drops what it receives (`in`).
    In,
    /// Asterisk only takes audio from the application (`out`).
    Out,
}

/// A command the application sends to Asterisk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Answer the media channel (when it was created not to answer by itself).
    Answer,
    /// Hang the media channel up.
    Hangup,
    /// Audio that follows is a bulk transfer: Asterisk queues it and re-times it itself.
    StartMediaBuffering,
    /// The bulk transfer is complete; Asterisk answers `MEDIA_BUFFERING_COMPLETED` with
    /// `id` once it has queued it.
    StopMediaBuffering {
        /// Echoed back in the event.
        id: String,
    },
    /// Asks for `MEDIA_MARK_PROCESSED` with `id` once the audio queued before it has played.
    MarkMedia {
        /// Echoed back in the event.
        id: String,
    },
    /// Drop every queued frame.
    FlushMedia,
    /// Asks for a `STATUS` event.
    GetStatus,
    /// Asks for one `QUEUE_DRAINED` event when the queue is next empty.
    ReportQueueDrained,
    /// Stop playing queued audio (it stays queued).
    PauseMedia,
    /// Resume playing queued audio.
    ContinueMedia,
    /// Change which way media flows.
    SetMediaDirection(MediaDirection),
}

/// Asterisk's `STATUS` event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DriverStatus {
    /// Frames queued for the call.
    pub queue_length: u32,
    /// Queue length at which Asterisk says `MEDIA_XON` again.
    pub xon_level: u32,
    /// Queue length at which Asterisk says `MEDIA_XOFF`.
    pub xoff_level: u32,
    /// Whether the queue is past `xoff_level`.
    pub queue_full: bool,
    /// Whether a bulk transfer is in progress.
    pub bulk_media: bool,
    /// Whether playing is paused.
    pub media_paused: bool,
}

/// `MEDIA_START`: sent by Asterisk once the connection is up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaStart {
    /// The connection id (the channel variable `MEDIA_WEBSOCKET_CONNECTION_ID`).
    pub connection_id: String,
    /// The media channel's name.
    pub channel: String,
    /// The media channel's id.
    pub channel_id: String,
    /// The audio format's Asterisk name.
    pub format: String,
    /// Bytes in one frame of `ptime` milliseconds.
    pub optimal_frame_size: u32,
    /// Milliseconds per frame.
    pub ptime: u32,
    /// The media channel's variables (JSON form only; empty in the plain form).
    pub channel_variables: BTreeMap<String, String>,
}

/// An event Asterisk sends on the control channel.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlEvent {
    /// The media connection is up.
    MediaStart(MediaStart),
    /// Asterisk's queue is full: stop sending audio.
    MediaXoff,
    /// Asterisk's queue has room again.
    MediaXon,
    /// The queue became empty (after `REPORT_QUEUE_DRAINED`).
    QueueDrained,
    /// A bulk transfer was queued.
    MediaBufferingCompleted {
        /// The id given in `STOP_MEDIA_BUFFERING`.
        id: String,
    },
    /// The audio before a mark has played.
    MediaMarkProcessed {
        /// The id given in `MARK_MEDIA`.
        id: String,
    },
    /// A DTMF digit ended.
    DtmfEnd {
        /// The digit.
        digit: char,
    },
    /// The answer to `GET_STATUS`.
    Status(DriverStatus),
    /// Asterisk refused a command.
    Error {
        /// Asterisk's text.
        message: String,
    },
    /// An event this library does not know (a newer Asterisk): kept as sent.
    Other {
        /// The event name.
        name: String,
        /// The whole message.
        text: String,
    },
}

impl MediaDirection {
    /// Asterisk's name for the direction.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaDirection::Both => "both",
            MediaDirection::In => "in",
            MediaDirection::Out => "out",
        }
    }

    fn from_name(name: &str) -> Option<MediaDirection> {
        match name {
            "both" => Some(MediaDirection::Both),
            "in" => Some(MediaDirection::In),
            "out" => Some(MediaDirection::Out),
            _ => None,
        }
    }
}

impl Command {
    /// The command's name as Asterisk spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Answer => "ANSWER",
            Command::Hangup => "HANGUP",
            Command::StartMediaBuffering => "START_MEDIA_BUFFERING",
            Command::StopMediaBuffering { .. } => "STOP_MEDIA_BUFFERING",
            Command::MarkMedia { .. } => "MARK_MEDIA",
            Command::FlushMedia => "FLUSH_MEDIA",
            Command::GetStatus => "GET_STATUS",
            Command::ReportQueueDrained => "REPORT_QUEUE_DRAINED",
            Command::PauseMedia => "PAUSE_MEDIA",
            Command::ContinueMedia => "CONTINUE_MEDIA",
            Command::SetMediaDirection(_) => "SET_MEDIA_DIRECTION",
        }
    }

    /// The text frame that sends this command in `format`.
    ///
    /// `SET_MEDIA_DIRECTION` is written in the plain form too (`SET_MEDIA_DIRECTION in`),
    /// but Asterisk answers it there with an `ERROR`: it takes it only in JSON.
    pub fn to_text(&self, format: ControlFormat) -> String {
        let name = self.name();
        match format {
            ControlFormat::Plain => match self {
                Command::StopMediaBuffering { id } | Command::MarkMedia { id }
                    if !id.is_empty() =>
                {
                    format!("{name} {id}")
                }
                Command::SetMediaDirection(direction) => format!("{name} {}", direction.as_str()),
                _ => name.to_owned(),
            },
            ControlFormat::Json => {
                let mut object = JsonObject::new();
                object.string("command", name);
                match self {
                    Command::StopMediaBuffering { id } | Command::MarkMedia { id } => {
                        object.string("correlation_id", id);
                    }
                    Command::SetMediaDirection(direction) => {
                        object.string("direction", direction.as_str());
                    }
                    _ => {}
                }
                object.finish()
            }
        }
    }
}

/// Reads a command as an application sends it (plain or JSON, as Asterisk reads it).
pub fn parse_command(text: &str) -> Result<Command, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty control message".to_owned());
    }
    let (name, id, direction) = if trimmed.starts_with('{') {
        let object = parse_object(trimmed)?;
        let name = object
            .get("command")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("JSON command without \"command\": {}", cut(trimmed)))?
            .to_owned();
        let id = json_string(&object, "correlation_id");
        let direction = json_string(&object, "direction");
        (name, id, direction)
    } else {
        // Asterisk splits at the first space: everything after it is the argument.
        let (name, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
        let rest = rest.trim().to_owned();
        (name.to_owned(), rest.clone(), rest)
    };
    let command = match name.as_str() {
        "ANSWER" => Command::Answer,
        "HANGUP" => Command::Hangup,
        "START_MEDIA_BUFFERING" => Command::StartMediaBuffering,
        "STOP_MEDIA_BUFFERING" => Command::StopMediaBuffering { id },
        "MARK_MEDIA" => Command::MarkMedia { id },
        "FLUSH_MEDIA" => Command::FlushMedia,
        "GET_STATUS" => Command::GetStatus,
        "REPORT_QUEUE_DRAINED" => Command::ReportQueueDrained,
        "PAUSE_MEDIA" => Command::PauseMedia,
        "CONTINUE_MEDIA" => Command::ContinueMedia,
        "SET_MEDIA_DIRECTION" => {
            Command::SetMediaDirection(MediaDirection::from_name(&direction).ok_or_else(|| {
                format!(
                    "SET_MEDIA_DIRECTION with an invalid direction: {}",
                    cut(trimmed)
                )
            })?)
        }
        _ => return Err(format!("unknown command: {}", cut(trimmed))),
    };
    Ok(command)
}

impl ControlEvent {
    /// The event's name as Asterisk spells it.
    pub fn name(&self) -> &str {
        match self {
            ControlEvent::MediaStart(_) => "MEDIA_START",
            ControlEvent::MediaXoff => "MEDIA_XOFF",
            ControlEvent::MediaXon => "MEDIA_XON",
            ControlEvent::QueueDrained => "QUEUE_DRAINED",
            ControlEvent::MediaBufferingCompleted { .. } => "MEDIA_BUFFERING_COMPLETED",
            ControlEvent::MediaMarkProcessed { .. } => "MEDIA_MARK_PROCESSED",
            ControlEvent::DtmfEnd { .. } => "DTMF_END",
            ControlEvent::Status(_) => "STATUS",
            ControlEvent::Error { .. } => "ERROR",
            ControlEvent::Other { name, .. } => name,
        }
    }

    /// The text frame Asterisk sends for this event on the channel `channel_id`, field
    /// for field in Asterisk's order. `MEDIA_START` writes its own `channel_id`; `Other`
    /// is written as it was received.
    pub fn to_text(&self, format: ControlFormat, channel_id: &str) -> String {
        match format {
            ControlFormat::Plain => self.to_plain(channel_id),
            ControlFormat::Json => self.to_json(channel_id),
        }
    }

    fn to_plain(&self, channel_id: &str) -> String {
        let name = self.name();
        match self {
            ControlEvent::MediaStart(start) => format!(
                "{name} connection_id:{} channel:{} channel_id:{} format:{} optimal_frame_size:{} ptime:{}",
                start.connection_id,
                start.channel,
                start.channel_id,
                start.format,
                start.optimal_frame_size,
                start.ptime
            ),
            ControlEvent::MediaBufferingCompleted { id }
            | ControlEvent::MediaMarkProcessed { id } => {
                if id.is_empty() {
                    name.to_owned()
                } else {
                    format!("{name} {id}")
                }
            }
            ControlEvent::DtmfEnd { digit } => {
                format!("{name} digit:{digit} channel_id:{channel_id}")
            }
            ControlEvent::Status(status) => format!(
                "{name} channel_id:{channel_id} queue_length:{} xon_level:{} xoff_level:{} queue_full:{} bulk_media:{} media_paused:{}",
                status.queue_length,
                status.xon_level,
                status.xoff_level,
                status.queue_full,
                status.bulk_media,
                status.media_paused
            ),
            ControlEvent::Error { message } => {
                format!("{name} channel_id:{channel_id} error_text:{message}")
            }
            ControlEvent::Other { text, .. } => text.clone(),
            ControlEvent::MediaXoff | ControlEvent::MediaXon | ControlEvent::QueueDrained => {
                name.to_owned()
            }
        }
    }

    fn to_json(&self, channel_id: &str) -> String {
        if let ControlEvent::Other { text, .. } = self {
            return text.clone();
        }
        let mut object = JsonObject::new();
        object.string("event", self.name());
        match self {
            ControlEvent::MediaStart(start) => {
                object.string("connection_id", &start.connection_id);
                object.string("channel", &start.channel);
                object.string("channel_id", &start.channel_id);
                object.string("format", &start.format);
                object.raw("optimal_frame_size", &start.optimal_frame_size.to_string());
                object.raw("ptime", &start.ptime.to_string());
                let variables: Map<String, Value> = start
                    .channel_variables
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect();
                object.raw("channel_variables", &Value::Object(variables).to_string());
            }
            ControlEvent::MediaBufferingCompleted { id }
            | ControlEvent::MediaMarkProcessed { id } => {
                object.string("channel_id", channel_id);
                object.string("correlation_id", id);
            }
            ControlEvent::DtmfEnd { digit } => {
                object.string("channel_id", channel_id);
                object.string("digit", &digit.to_string());
            }
            ControlEvent::Status(status) => {
                object.string("channel_id", channel_id);
                object.raw("queue_length", &status.queue_length.to_string());
                object.raw("xon_level", &status.xon_level.to_string());
                object.raw("xoff_level", &status.xoff_level.to_string());
                object.raw("queue_full", &status.queue_full.to_string());
                object.raw("bulk_media", &status.bulk_media.to_string());
                object.raw("media_paused", &status.media_paused.to_string());
            }
            ControlEvent::Error { message } => {
                object.string("channel_id", channel_id);
                object.string("error_text", message);
            }
            _ => {
                object.string("channel_id", channel_id);
            }
        }
        object.finish()
    }
}

/// Reads an event as Asterisk sends it: JSON when it starts with `{`, else the plain
/// `NAME key:value ...` line. Unknown names are [`ControlEvent::Other`]; text that is no
/// event at all is an error quoting it.
pub fn parse_event(text: &str) -> Result<ControlEvent, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty control message".to_owned());
    }
    if trimmed.starts_with('{') {
        parse_json_event(trimmed, text)
    } else {
        parse_plain_event(trimmed, text)
    }
}

fn parse_json_event(trimmed: &str, original: &str) -> Result<ControlEvent, String> {
    let object = parse_object(trimmed)?;
    let name = object
        .get("event")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("JSON control message without \"event\": {}", cut(trimmed)))?;
    let number = |key: &str| -> u32 {
        match object.get(key) {
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
            Some(Value::String(s)) => s.parse().unwrap_or(0),
            _ => 0,
        }
    };
    let flag = |key: &str| -> bool {
        match object.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_u64().is_some_and(|n| n != 0),
            Some(Value::String(s)) => s == "true",
            _ => false,
        }
    };
    let string = |key: &str| json_string(&object, key);
    let event = match name {
        "MEDIA_START" => {
            let channel_variables = match object.get("channel_variables") {
                Some(Value::Object(vars)) => vars
                    .iter()
                    .map(|(k, v)| {
                        let value = v
                            .as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string());
                        (k.clone(), value)
                    })
                    .collect(),
                _ => BTreeMap::new(),
            };
            ControlEvent::MediaStart(MediaStart {
                connection_id: string("connection_id"),
                channel: string("channel"),
                channel_id: string("channel_id"),
                format: string("format"),
                optimal_frame_size: number("optimal_frame_size"),
                ptime: number("ptime"),
                channel_variables,
            })
        }
        "MEDIA_XOFF" => ControlEvent::MediaXoff,
        "MEDIA_XON" => ControlEvent::MediaXon,
        "QUEUE_DRAINED" => ControlEvent::QueueDrained,
        "MEDIA_BUFFERING_COMPLETED" => ControlEvent::MediaBufferingCompleted {
            id: string("correlation_id"),
        },
        "MEDIA_MARK_PROCESSED" => ControlEvent::MediaMarkProcessed {
            id: string("correlation_id"),
        },
        "DTMF_END" => ControlEvent::DtmfEnd {
            digit: string("digit")
                .chars()
                .next()
                .ok_or_else(|| format!("DTMF_END without a digit: {}", cut(trimmed)))?,
        },
        "STATUS" => ControlEvent::Status(DriverStatus {
            queue_length: number("queue_length"),
            xon_level: number("xon_level"),
            xoff_level: number("xoff_level"),
            queue_full: flag("queue_full"),
            bulk_media: flag("bulk_media"),
            media_paused: flag("media_paused"),
        }),
        "ERROR" => ControlEvent::Error {
            message: string("error_text"),
        },
        other => ControlEvent::Other {
            name: other.to_owned(),
            text: original.to_owned(),
        },
    };
    Ok(event)
}

fn parse_plain_event(trimmed: &str, original: &str) -> Result<ControlEvent, String> {
    let (name, rest) = trimmed
        .split_once(char::is_whitespace)
        .unwrap_or((trimmed, ""));
    // Every event name is upper case with underscores: anything else is not an event.
    let is_name = name
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !is_name {
        return Err(format!("not a control message: {}", cut(trimmed)));
    }
    let rest = rest.trim();
    // `key:value` pairs separated by spaces; values never hold spaces except ERROR's
    // error_text, which is last and taken whole below.
    let field = |key: &str| -> Option<&str> {
        rest.split_whitespace().find_map(|pair| {
            pair.split_once(':')
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v)
        })
    };
    let number = |key: &str| field(key).and_then(|v| v.parse().ok()).unwrap_or(0);
    let flag = |key: &str| field(key) == Some("true");
    let string = |key: &str| field(key).unwrap_or_default().to_owned();
    let event = match name {
        "MEDIA_START" => ControlEvent::MediaStart(MediaStart {
            connection_id: string("connection_id"),
            channel: string("channel"),
            channel_id: string("channel_id"),
            format: string("format"),
            optimal_frame_size: number("optimal_frame_size"),
            ptime: number("ptime"),
            channel_variables: BTreeMap::new(),
        }),
        "MEDIA_XOFF" => ControlEvent::MediaXoff,
        "MEDIA_XON" => ControlEvent::MediaXon,
        "QUEUE_DRAINED" => ControlEvent::QueueDrained,
        "MEDIA_BUFFERING_COMPLETED" => ControlEvent::MediaBufferingCompleted {
            id: rest.to_owned(),
        },
        "MEDIA_MARK_PROCESSED" => ControlEvent::MediaMarkProcessed {
            id: rest.to_owned(),
        },
        "DTMF_END" => ControlEvent::DtmfEnd {
            digit: field("digit")
                .and_then(|d| d.chars().next())
                .ok_or_else(|| format!("DTMF_END without a digit: {}", cut(trimmed)))?,
        },
        "STATUS" => ControlEvent::Status(DriverStatus {
            queue_length: number("queue_length"),
            xon_level: number("xon_level"),
            xoff_level: number("xoff_level"),
            queue_full: flag("queue_full"),
            bulk_media: flag("bulk_media"),
            media_paused: flag("media_paused"),
        }),
        "ERROR" => ControlEvent::Error {
            message: rest
                .split_once("error_text:")
                .map(|(_, text)| text.trim().to_owned())
                .unwrap_or_else(|| rest.to_owned()),
        },
        other => ControlEvent::Other {
            name: other.to_owned(),
            text: original.to_owned(),
        },
    };
    Ok(event)
}

fn parse_object(text: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(format!(
            "JSON control message is not an object: {}",
            cut(text)
        )),
        Err(error) => Err(format!(
            "invalid JSON control message ({error}): {}",
            cut(text)
        )),
    }
}

fn json_string(object: &Map<String, Value>, key: &str) -> String {
    object
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// At most about 100 characters of `text`, for error messages.
fn cut(text: &str) -> String {
    const MAX: usize = 100;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{:?}...", &text[..end]),
        None => format!("{text:?}"),
    }
}

/// A compact JSON object written in insertion order, as Asterisk (jansson) writes it:
/// `serde_json::Map` would sort the keys.
struct JsonObject(String);

impl JsonObject {
    fn new() -> JsonObject {
        JsonObject(String::from("{"))
    }

    fn raw(&mut self, key: &str, value: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        let _ = write!(self.0, "{}:{value}", Value::from(key));
    }

    fn string(&mut self, key: &str, value: &str) {
        self.raw(key, &Value::from(value).to_string());
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORMATS: [ControlFormat; 2] = [ControlFormat::Plain, ControlFormat::Json];

    fn all_commands() -> Vec<Command> {
        vec![
            Command::Answer,
            Command::Hangup,
            Command::StartMediaBuffering,
            Command::StopMediaBuffering { id: "b1".into() },
            Command::MarkMedia {
                id: "mark-7".into(),
            },
            Command::FlushMedia,
            Command::GetStatus,
            Command::ReportQueueDrained,
            Command::PauseMedia,
            Command::ContinueMedia,
            Command::SetMediaDirection(MediaDirection::Both),
            Command::SetMediaDirection(MediaDirection::In),
            Command::SetMediaDirection(MediaDirection::Out),
        ]
    }

    fn media_start(with_vars: bool) -> MediaStart {
        let mut channel_variables = BTreeMap::new();
        if with_vars {
            channel_variables.insert("MEDIA_WEBSOCKET_CONNECTION_ID".into(), "abc-123".into());
            channel_variables.insert("MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE".into(), "640".into());
        }
        MediaStart {
            connection_id: "abc-123".into(),
            channel: "WebSocket/INCOMING/0x7f00deadbeef".into(),
            channel_id: "media-1".into(),
            format: "slin16".into(),
            optimal_frame_size: 640,
            ptime: 20,
            channel_variables,
        }
    }

    fn all_events(json: bool) -> Vec<ControlEvent> {
        vec![
            ControlEvent::MediaStart(media_start(json)),
            ControlEvent::MediaXoff,
            ControlEvent::MediaXon,
            ControlEvent::QueueDrained,
            ControlEvent::MediaBufferingCompleted { id: "b1".into() },
            ControlEvent::MediaMarkProcessed {
                id: "mark-7".into(),
            },
            ControlEvent::DtmfEnd { digit: '#' },
            ControlEvent::Status(DriverStatus {
                queue_length: 12,
                xon_level: 800,
                xoff_level: 900,
                queue_full: false,
                bulk_media: true,
                media_paused: false,
            }),
            ControlEvent::Error {
                message: "MARK_MEDIA not supported in passthrough mode".into(),
            },
        ]
    }

    #[test]
    fn every_command_round_trips_in_both_formats() {
        for format in FORMATS {
            for command in all_commands() {
                let text = command.to_text(format);
                assert_eq!(parse_command(&text), Ok(command.clone()), "{text}");
            }
        }
    }

    #[test]
    fn commands_are_spelled_as_asterisk_reads_them() {
        let mark = Command::MarkMedia { id: "m1".into() };
        assert_eq!(mark.to_text(ControlFormat::Plain), "MARK_MEDIA m1");
        assert_eq!(
            mark.to_text(ControlFormat::Json),
            r#"{"command":"MARK_MEDIA","correlation_id":"m1"}"#
        );
        assert_eq!(
            Command::GetStatus.to_text(ControlFormat::Json),
            r#"{"command":"GET_STATUS"}"#
        );
        assert_eq!(
            Command::SetMediaDirection(MediaDirection::In).to_text(ControlFormat::Json),
            r#"{"command":"SET_MEDIA_DIRECTION","direction":"in"}"#
        );
        assert!(parse_command("DANCE").is_err());
        assert!(parse_command("").is_err());
        assert!(parse_command(r#"{"id":1}"#).is_err());
    }

    #[test]
    fn every_event_round_trips_in_both_formats() {
        for format in FORMATS {
            for event in all_events(format == ControlFormat::Json) {
                let text = event.to_text(format, "media-1");
                assert_eq!(parse_event(&text), Ok(event.clone()), "{text}");
            }
        }
        let other = parse_event("MEDIA_SOMETHING_NEW key:value").unwrap();
        assert_eq!(other.name(), "MEDIA_SOMETHING_NEW");
        assert_eq!(
            other.to_text(ControlFormat::Plain, "x"),
            "MEDIA_SOMETHING_NEW key:value"
        );
        let other = parse_event(r#"{"event":"NEW_THING","channel_id":"x"}"#).unwrap();
        assert_eq!(
            other.to_text(ControlFormat::Json, "x"),
            r#"{"event":"NEW_THING","channel_id":"x"}"#
        );
    }

    #[test]
    fn events_are_written_as_asterisk_writes_them() {
        let id = "1733000000.42";
        assert_eq!(
            ControlEvent::MediaXon.to_text(ControlFormat::Plain, id),
            "MEDIA_XON"
        );
        assert_eq!(
            ControlEvent::MediaXoff.to_text(ControlFormat::Json, id),
            r#"{"event":"MEDIA_XOFF","channel_id":"1733000000.42"}"#
        );
        assert_eq!(
            ControlEvent::DtmfEnd { digit: '5' }.to_text(ControlFormat::Plain, id),
            "DTMF_END digit:5 channel_id:1733000000.42"
        );
        assert_eq!(
            ControlEvent::MediaMarkProcessed { id: String::new() }
                .to_text(ControlFormat::Plain, id),
            "MEDIA_MARK_PROCESSED"
        );
        let status = ControlEvent::Status(DriverStatus {
            xon_level: 800,
            xoff_level: 900,
            queue_full: true,
            ..Default::default()
        });
        assert_eq!(
            status.to_text(ControlFormat::Plain, id),
            "STATUS channel_id:1733000000.42 queue_length:0 xon_level:800 xoff_level:900 queue_full:true bulk_media:false media_paused:false"
        );
        assert_eq!(
            status.to_text(ControlFormat::Json, id),
            r#"{"event":"STATUS","channel_id":"1733000000.42","queue_length":0,"xon_level":800,"xoff_level":900,"queue_full":true,"bulk_media":false,"media_paused":false}"#
        );
    }

    #[test]
    fn media_start_in_its_real_shapes() {
        let plain = "MEDIA_START connection_id:7c3a1b5e-1111-2222-3333-444455556666 \
            channel:WebSocket/INCOMING/0x7f3e2c001234 channel_id:1733000000.42 format:slin16 \
            optimal_frame_size:640 ptime:20";
        let ControlEvent::MediaStart(start) = parse_event(plain).unwrap() else {
            panic!("not MEDIA_START");
        };
        assert_eq!(start.connection_id, "7c3a1b5e-1111-2222-3333-444455556666");
        assert_eq!(start.channel, "WebSocket/INCOMING/0x7f3e2c001234");
        assert_eq!(start.channel_id, "1733000000.42");
        assert_eq!(start.format, "slin16");
        assert_eq!((start.optimal_frame_size, start.ptime), (640, 20));
        assert_eq!(
            ControlEvent::MediaStart(start.clone()).to_text(ControlFormat::Plain, ""),
            plain
        );

        let json = r#"{"event":"MEDIA_START","connection_id":"media_connection1","channel":"WebSocket/media_connection1/0x7f3e2c001234","channel_id":"ext-1","format":"ulaw","optimal_frame_size":160,"ptime":20,"channel_variables":{"MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE":"160","MEDIA_WEBSOCKET_CONNECTION_ID":"media_connection1"}}"#;
        let ControlEvent::MediaStart(start) = parse_event(json).unwrap() else {
            panic!("not MEDIA_START");
        };
        assert_eq!(start.channel_id, "ext-1");
        assert_eq!(
            (start.format.as_str(), start.optimal_frame_size),
            ("ulaw", 160)
        );
        assert_eq!(
            start.channel_variables["MEDIA_WEBSOCKET_CONNECTION_ID"],
            "media_connection1"
        );
    }

    #[test]
    fn error_text_keeps_its_spaces() {
        let text =
            "ERROR channel_id:1.2 error_text:SET_MEDIA_DIRECTION only supports JSON format.\n";
        assert_eq!(
            parse_event(text),
            Ok(ControlEvent::Error {
                message: "SET_MEDIA_DIRECTION only supports JSON format.".into()
            })
        );
    }

    #[test]
    fn what_is_no_event_is_an_error_quoting_it() {
        assert!(parse_event("").is_err());
        assert!(parse_event("   ").is_err());
        let error = parse_event("{not json").unwrap_err();
        assert!(error.contains("{not json"), "{error}");
        let error = parse_event(r#"{"command":"ANSWER"}"#).unwrap_err();
        assert!(error.contains("\"event\""), "{error}");
        assert!(parse_event("[1,2]").is_err());
        let error = parse_event(&format!("hello {}", "x".repeat(500))).unwrap_err();
        assert!(error.contains("hello"), "{error}");
        assert!(error.len() < 160, "{error}");
        assert!(parse_event("DTMF_END channel_id:1").is_err());
        assert!(parse_event(r#"{"event":"DTMF_END","digit":""}"#).is_err());
    }
}
