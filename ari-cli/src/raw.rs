//! `ari raw METHOD PATH [JSON]`: any request under ARI's root, with the same settings,
//! output and errors as the generated commands.

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::Value;

use ari_sdk::{Client, Method, RawRequest};

/// The methods `ari raw` sends.
const METHODS: &[(&str, Method)] = &[
    ("GET", Method::Get),
    ("POST", Method::Post),
    ("PUT", Method::Put),
    ("DELETE", Method::Delete),
];

pub fn command() -> Command {
    Command::new("raw")
        .about("Sends any request: ari raw GET channels, ari raw POST 'channels/ID/play?media=sound:beep'")
        .arg(
            Arg::new("method")
                .required(true)
                .ignore_case(true)
                .value_parser(METHODS.iter().map(|(m, _)| *m).collect::<Vec<_>>()),
        )
        .arg(
            Arg::new("path")
                .required(true)
                .help("Path under ARI's root, e.g. channels/123/answer; a ?query may follow"),
        )
        .arg(Arg::new("body").help("A JSON object: the request's body"))
        .arg(
            Arg::new("query")
                .long("query")
                .short('q')
                .value_name("NAME=VALUE")
                .action(ArgAction::Append)
                .help("A query parameter (repeatable)"),
        )
}

/// The request the arguments describe; `Err` is a usage message.
pub fn request(client: &Client, matches: &ArgMatches) -> Result<RawRequest, String> {
    let method = matches.get_one::<String>("method").expect("required");
    let method = METHODS
        .iter()
        .find(|(m, _)| m.eq_ignore_ascii_case(method))
        .map(|(_, m)| *m)
        .expect("checked by the parser");
    let given = matches.get_one::<String>("path").expect("required");
    let (path, query) = given.split_once('?').unwrap_or((given, ""));
    let root_relative = path.trim_start_matches('/');
    if path.contains("://") || root_relative == "ari" || root_relative.starts_with("ari/") {
        return Err(format!(
            "`{given}`: give the path under ARI's root (the URL's /ari), e.g. `channels`, not a URL or /ari/..."
        ));
    }
    let mut request = client.raw().request(method, path);
    let flags = matches
        .get_many::<String>("query")
        .into_iter()
        .flatten()
        .map(String::as_str);
    for pair in query.split('&').filter(|p| !p.is_empty()).chain(flags) {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("query parameter `{pair}` is not NAME=VALUE"))?;
        request = request.query(name, value);
    }
    if let Some(body) = matches.get_one::<String>("body") {
        match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(members)) => {
                for (name, value) in members {
                    request = request.body_field(&name, value);
                }
            }
            Ok(_) => return Err("the body must be a JSON object".to_owned()),
            Err(e) => return Err(format!("the body is not JSON: {e}")),
        }
    }
    Ok(request)
}
