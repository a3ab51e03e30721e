//! `--output table`: the columns worth a glance for each model (channels: id, name, state,
//! caller, age; bridges: id, type, channels; ...); other models show their plain members.

use serde_json::Value;

/// How a column's cell is read from an item.
#[derive(Debug, Clone)]
enum Cell {
    /// A member named at run time (models without chosen columns).
    Member(String),
    /// A member, or a member of a member (`caller.number` as `["caller", "number"]`).
    Path(&'static [&'static str]),
    /// `"Name" <number>` from a `CallerID` member.
    Caller(&'static str),
    /// Time since a timestamp member, e.g. `1m05s`.
    Age(&'static str),
    /// The dialplan application running with its data: `Stasis(hello,world)`.
    App,
    /// How many items a list member has, and the first few.
    List(&'static str),
}

/// The columns of the models that have chosen ones: (model, [(header, cell)]).
const TABLES: &[(&str, &[(&str, Cell)])] = &[
    (
        "Channel",
        &[
            ("ID", Cell::Path(&["id"])),
            ("NAME", Cell::Path(&["name"])),
            ("STATE", Cell::Path(&["state"])),
            ("CALLER", Cell::Caller("caller")),
            ("DIALPLAN APP", Cell::App),
            ("AGE", Cell::Age("creationtime")),
        ],
    ),
    (
        "Bridge",
        &[
            ("ID", Cell::Path(&["id"])),
            ("TYPE", Cell::Path(&["bridge_type"])),
            ("TECHNOLOGY", Cell::Path(&["technology"])),
            ("NAME", Cell::Path(&["name"])),
            ("CHANNELS", Cell::List("channels")),
            ("AGE", Cell::Age("creationtime")),
        ],
    ),
    (
        "Endpoint",
        &[
            ("TECHNOLOGY", Cell::Path(&["technology"])),
            ("RESOURCE", Cell::Path(&["resource"])),
            ("STATE", Cell::Path(&["state"])),
            ("CHANNELS", Cell::List("channel_ids")),
        ],
    ),
    (
        "Playback",
        &[
            ("ID", Cell::Path(&["id"])),
            ("MEDIA", Cell::Path(&["media_uri"])),
            ("TARGET", Cell::Path(&["target_uri"])),
            ("STATE", Cell::Path(&["state"])),
        ],
    ),
    (
        "LiveRecording",
        &[
            ("NAME", Cell::Path(&["name"])),
            ("FORMAT", Cell::Path(&["format"])),
            ("TARGET", Cell::Path(&["target_uri"])),
            ("STATE", Cell::Path(&["state"])),
            ("SECONDS", Cell::Path(&["duration"])),
        ],
    ),
    (
        "StoredRecording",
        &[
            ("NAME", Cell::Path(&["name"])),
            ("FORMAT", Cell::Path(&["format"])),
        ],
    ),
    (
        "Application",
        &[
            ("NAME", Cell::Path(&["name"])),
            ("CHANNELS", Cell::List("channel_ids")),
            ("BRIDGES", Cell::List("bridge_ids")),
            ("ENDPOINTS", Cell::List("endpoint_ids")),
            ("DEVICES", Cell::List("device_names")),
        ],
    ),
    (
        "Sound",
        &[("ID", Cell::Path(&["id"])), ("TEXT", Cell::Path(&["text"]))],
    ),
    (
        "Module",
        &[
            ("NAME", Cell::Path(&["name"])),
            ("STATUS", Cell::Path(&["status"])),
            ("USE COUNT", Cell::Path(&["use_count"])),
            ("DESCRIPTION", Cell::Path(&["description"])),
        ],
    ),
];

/// A table of `value` (a list or one item) of the spec's type `response` (`List[Channel]`).
pub fn render(response: &str, value: &Value) -> String {
    let model = response.trim_start_matches("List[").trim_end_matches(']');
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    };
    let columns: Vec<(String, Cell)> = match TABLES.iter().find(|(m, _)| *m == model) {
        Some((_, columns)) => columns
            .iter()
            .map(|(h, c)| (h.to_string(), c.clone()))
            .collect(),
        None => plain_columns(&items),
    };
    if columns.is_empty() {
        // Scalars (a variable's value, a list of strings): one per line.
        return items.iter().map(|v| format!("{}\n", scalar(v))).collect();
    }
    let now = now_millis();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| {
            columns
                .iter()
                .map(|(_, cell)| read(item, cell, now))
                .collect()
        })
        .collect();
    let headers: Vec<String> = columns.iter().map(|(h, _)| h.clone()).collect();
    layout(&headers, &rows)
}

/// Every member that is not an object or a list, named as it is, for models without a
/// chosen table, from the first item.
fn plain_columns(items: &[&Value]) -> Vec<(String, Cell)> {
    let Some(Value::Object(first)) = items.first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter(|(_, v)| !v.is_object() && !v.is_array())
        .map(|(name, _)| (name.to_uppercase(), Cell::Member(name.clone())))
        .collect()
}

fn read(item: &Value, cell: &Cell, now: i64) -> String {
    match *cell {
        Cell::Member(ref name) => item.get(name).map(scalar).unwrap_or_default(),
        Cell::Path(path) => path
            .iter()
            .try_fold(item, |v, k| v.get(k))
            .map(scalar)
            .unwrap_or_default(),
        Cell::Caller(member) => {
            let caller = item.get(member);
            let part = |k: &str| {
                caller
                    .and_then(|c| c.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            };
            match (part("name"), part("number")) {
                ("", number) => number.to_owned(),
                (name, number) => format!("\"{name}\" <{number}>"),
            }
        }
        Cell::Age(member) => item
            .get(member)
            .and_then(timestamp_millis)
            .map(|t| age(now - t))
            .unwrap_or_default(),
        Cell::App => {
            let part = |k: &str| {
                item.get("dialplan")
                    .and_then(|d| d.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            };
            match (part("app_name"), part("app_data")) {
                ("", _) => String::new(),
                (name, "") => name.to_owned(),
                (name, data) => format!("{name}({data})"),
            }
        }
        Cell::List(member) => match item.get(member).and_then(Value::as_array) {
            Some(list) if !list.is_empty() => {
                let shown: Vec<String> = list.iter().take(3).map(scalar).collect();
                let more = if list.len() > 3 { ", …" } else { "" };
                format!("{} ({}{more})", list.len(), shown.join(", "))
            }
            _ => "0".to_owned(),
        },
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `65_000` ms -> `1m05s`.
fn age(millis: i64) -> String {
    let seconds = millis.max(0) / 1000;
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// Now, in milliseconds since the Unix epoch (what ages are counted against).
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// An Asterisk timestamp member (`creationtime`) in milliseconds since the Unix epoch.
pub fn timestamp_millis(value: &Value) -> Option<i64> {
    let text = value.as_str()?;
    Some(
        ari_sdk::Timestamp::parse(text)
            .ok()?
            .as_datetime()
            .timestamp_millis(),
    )
}

/// Left-aligned columns two spaces apart, headers first.
fn layout(headers: &[String], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..headers.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([headers[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        let mut text: String = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}", w = *w))
            .collect::<Vec<_>>()
            .join("  ");
        text.truncate(text.trim_end().len());
        text.push('\n');
        text
    };
    let mut out = line(headers);
    for row in rows {
        out.push_str(&line(row));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_show_id_name_state_caller_and_age() {
        let channels = serde_json::json!([{
            "id": "1.1", "name": "PJSIP/alice-0001", "state": "Up",
            "caller": {"name": "Alice", "number": "100"},
            "dialplan": {"app_name": "Stasis", "app_data": "hello,world"},
            "creationtime": "2020-01-01T00:00:00.000+0000"
        }]);
        let table = render("List[Channel]", &channels);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2, "{table}");
        assert!(lines[0].starts_with("ID   NAME"), "{table}");
        assert!(
            lines[1].contains("\"Alice\" <100>") && lines[1].contains("Stasis(hello,world)"),
            "{table}"
        );
        assert!(
            lines[1].trim_end().ends_with('m'),
            "an age in hours: {table}"
        );
    }

    #[test]
    fn other_models_show_their_plain_members_and_scalars_one_per_line() {
        let table = render("Variable", &serde_json::json!({"value": "x"}));
        assert_eq!(table, "VALUE\nx\n");
        assert_eq!(
            render("List[string]", &serde_json::json!(["a", "b"])),
            "a\nb\n"
        );
    }

    #[test]
    fn ages_read_as_people_say_them() {
        assert_eq!(age(5_000), "5s");
        assert_eq!(age(65_000), "1m05s");
        assert_eq!(age(3_725_000), "1h02m");
    }
}
