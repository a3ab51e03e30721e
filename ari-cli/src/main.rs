//! `ari`: a command-line client for the Asterisk REST Interface. Its commands are built at
//! start-up from the SDK's operation table (generated from the api-docs), so every
//! operation of the SDK's release line is a command, with the SDK's documentation as help.

mod commands;
mod events;
mod exit;
mod output;
mod raw;
mod request;
mod settings;
mod tables;
mod top;

use std::process::ExitCode;
use std::time::Duration;

use clap::ArgMatches;

use exit::Exit;
use output::Output;
use settings::{Given, Settings, TransportChoice};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches = match commands::cli_for(&args).try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                Exit::Usage.code()
            } else {
                0
            });
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("ari: cannot start: {error}");
            return ExitCode::from(Exit::Failed.code());
        }
    };
    ExitCode::from(runtime.block_on(run(matches)).code())
}

fn usage(message: &str) -> Exit {
    eprintln!("ari: {message}");
    Exit::Usage
}

async fn run(matches: ArgMatches) -> Exit {
    let (name, sub) = matches.subcommand().expect("a subcommand is required");
    if name == "completion" {
        return completion(sub);
    }
    let settings = match Settings::resolve(given(&matches)) {
        Ok(settings) => settings,
        Err(message) => return usage(&message),
    };
    let client = match settings.client() {
        Ok(client) => client,
        Err(error) => return report(&error, Some(&settings)),
    };
    let timeout = sub
        .get_one::<u64>("timeout")
        .map(|s| Duration::from_secs(*s));
    match name {
        events::COMMAND if sub.subcommand().is_none() => events::run(&client, &settings, sub).await,
        top::COMMAND => top::run(&client, sub).await,
        "raw" => {
            let request = match raw::request(&client, sub) {
                Ok(request) => request,
                Err(message) => return usage(&message),
            };
            let output =
                match Output::choose(sub.get_one::<String>("output").map(String::as_str), false) {
                    Ok(output) => output,
                    Err(message) => return usage(&message),
                };
            send(&client, &settings, request, timeout, &output, "", false).await
        }
        resource => {
            let (operation, op_matches) = sub.subcommand().expect("an operation is required");
            let op = commands::find(resource, operation).expect("commands come from the table");
            let arguments = match request::Arguments::collect(op, op_matches) {
                Ok(arguments) => arguments,
                Err(message) => return usage(&message),
            };
            let binary = op.response == "binary";
            let output = match Output::choose(
                op_matches.get_one::<String>("output").map(String::as_str),
                binary,
            ) {
                Ok(output) => output,
                Err(message) => return usage(&message),
            };
            let request = client.raw().operation(op, &arguments.path_values());
            let request = match arguments.apply(op, request) {
                Ok(request) => request,
                Err(message) => return usage(&message),
            };
            let timeout = op_matches
                .get_one::<u64>("timeout")
                .map(|s| Duration::from_secs(*s))
                .or(timeout);
            send(
                &client,
                &settings,
                request,
                timeout,
                &output,
                op.response,
                binary,
            )
            .await
        }
    }
}

/// The connection settings of the command line (global flags are on every level).
fn given(matches: &ArgMatches) -> Given {
    // A global flag given after the subcommand lands in the deepest subcommand's matches.
    let mut level = Some(matches);
    let mut given = Given::default();
    while let Some(m) = level {
        let get = |id: &str| m.try_get_one::<String>(id).ok().flatten().cloned();
        given.url = get("url").or(given.url);
        given.user = get("user").or(given.user);
        given.password = get("password").or(given.password);
        given.profile = get("profile").or(given.profile);
        given.transport = get("transport").or(given.transport);
        level = m.subcommand().map(|(_, sub)| sub);
    }
    given
}

async fn send(
    client: &ari_sdk::Client,
    settings: &Settings,
    mut request: ari_sdk::RawRequest,
    timeout: Option<Duration>,
    output: &Output,
    response: &str,
    binary: bool,
) -> Exit {
    if let Some(timeout) = timeout {
        request = request.request_timeout(timeout);
    }
    // Over the WebSocket transport requests ride on an event connection: open one for a
    // throwaway application for the time of the request.
    let stream = if settings.transport == TransportChoice::WebSocket {
        let app = format!("ari-cli-{}", std::process::id());
        match client.events([app.as_str()]).connect().await {
            Ok(stream) => Some(stream),
            Err(error) => return report(&error, Some(settings)),
        }
    } else {
        None
    };
    let exit = if binary {
        match request.send_bytes().await {
            Ok(bytes) => match output::write_binary(output, &bytes) {
                Ok(()) => Exit::Ok,
                Err(message) => {
                    eprintln!("ari: {message}");
                    Exit::Failed
                }
            },
            Err(error) => report(&error, Some(settings)),
        }
    } else {
        match request.send().await {
            Ok(value) => match output::print_json(output, response, &value) {
                Ok(()) => Exit::Ok,
                Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Exit::Ok,
                Err(error) => {
                    eprintln!("ari: writing standard output: {error}");
                    Exit::Failed
                }
            },
            Err(error) => report(&error, Some(settings)),
        }
    };
    if let Some(stream) = stream {
        stream.close().await;
    }
    exit
}

/// Says what went wrong on standard error and picks the exit code.
pub fn report(error: &ari_sdk::Error, settings: Option<&Settings>) -> Exit {
    let exit = Exit::of(error);
    let forbidden = matches!(error, ari_sdk::Error::Status(status) if status.status == 403);
    match (exit, settings) {
        (Exit::Credentials, Some(settings)) if forbidden => eprintln!(
            "ari: {error}\nari: Asterisk knows {} but does not let it do this (a read-only user?)",
            settings.who()
        ),
        (Exit::Credentials, Some(settings)) => eprintln!(
            "ari: {error}\nari: Asterisk refused {}: check the user and password (--user/--password, ARI_USER/ARI_PASSWORD or the profile)",
            settings.who()
        ),
        (Exit::Connection, Some(settings)) => {
            eprintln!(
                "ari: {error}\nari: is Asterisk's HTTP server up at {}?",
                settings.url
            )
        }
        _ => eprintln!("ari: {error}"),
    }
    exit
}

fn completion(matches: &ArgMatches) -> Exit {
    let shell = match matches.get_one::<String>("shell").map(String::as_str) {
        Some("bash") => clap_complete::Shell::Bash,
        Some("zsh") => clap_complete::Shell::Zsh,
        _ => clap_complete::Shell::Fish,
    };
    clap_complete::generate(shell, &mut commands::cli(), "ari", &mut std::io::stdout());
    Exit::Ok
}
