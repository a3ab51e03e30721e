//! `ari top`: a live, full-screen view of the server (being built).

use clap::{ArgMatches, Command};

use crate::exit::Exit;

/// The command's name.
pub const COMMAND: &str = "top";

pub fn command() -> Command {
    Command::new(COMMAND).about("A live view of channels, bridges, playbacks and recordings")
}

pub async fn run(_client: &ari_sdk::Client, _matches: &ArgMatches) -> Exit {
    eprintln!("ari: top is not built yet");
    Exit::Failed
}
