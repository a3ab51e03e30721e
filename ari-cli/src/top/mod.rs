//! `ari top`: a live, full-screen view of the server: channels with their state, caller,
//! application and age, bridges with their members, playbacks and recordings in progress,
//! the event rate and the connection; keys answer, play to or hang up the selected
//! channel. Built on the event stream (every event of the system) and a listing.

mod keys;
mod live;
mod screen;
mod state;
mod view;

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::exit::Exit;
use keys::Ui;
use live::Live;
use view::Now;

/// The command's name.
pub const COMMAND: &str = "top";

/// The size of the frame `--once` prints.
const ONCE_SIZE: (u16, u16) = (120, 40);

/// How long `--once` takes in events after the listing.
const ONCE_WAIT: Duration = Duration::from_millis(500);

/// The `top` command's arguments.
pub fn command() -> Command {
    Command::new(COMMAND)
        .about("A live view of channels, bridges, playbacks and recordings")
        .long_about(
            "A live, full-screen view of the server: channels (state, caller, application, \
             age), bridges and their members, playbacks and recordings in progress, events \
             per second and the connection. Keys: Up/Down (j/k) select a channel, a answers \
             it, p plays to it, h hangs it up (after y), q or Esc quits.\n\n\
             It connects as the application ari-top-PID with every event of the system \
             (subscribeAll), and lists channels and bridges at the start and after each \
             reconnection.",
        )
        .arg(
            Arg::new("once")
                .long("once")
                .action(ArgAction::SetTrue)
                .help(
                    "Print one frame as text (120x40) after half a second of events, and exit; \
                     needs no terminal",
                ),
        )
}

/// Runs `ari top`; without `--once`, standard output must be a terminal.
pub async fn run(client: &ari_sdk::Client, matches: &ArgMatches) -> Exit {
    let once = matches.get_flag("once");
    if !once && !std::io::stdout().is_terminal() {
        eprintln!(
            "ari: top draws on a terminal and standard output is not one; \
             `ari top --once` prints one frame as text"
        );
        return Exit::Usage;
    }
    let live = match Live::start(client).await {
        Ok(live) => live,
        Err(error) => return crate::report(&error, None),
    };
    if once {
        print_once(live).await
    } else {
        screen::run(client, live).await
    }
}

async fn print_once(mut live: Live) -> Exit {
    live.pump_for(ONCE_WAIT).await;
    let text = frame_text(&live, ONCE_SIZE);
    live.close().await;
    let mut out = std::io::stdout();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Exit::Ok,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Exit::Ok,
        Err(error) => {
            eprintln!("ari: writing standard output: {error}");
            Exit::Failed
        }
    }
}

/// One frame of the current state as text.
fn frame_text(live: &Live, (width, height): (u16, u16)) -> String {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(terminal) => terminal,
        // A buffer in memory: there is nothing that could fail.
        Err(error) => match error {},
    };
    let ui = Ui::default();
    let drawn = terminal.draw(|frame| view::draw(frame, &live.state, &ui, Now::current()));
    match drawn {
        Ok(_) => view::buffer_text(terminal.backend().buffer()),
        Err(error) => match error {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ari_sim::Simulator;

    /// `--once` against the simulator: what was there before, what came by events, and
    /// what left.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn once_shows_listed_and_new_channels_and_bridges() {
        let sim = Simulator::start().await.expect("the simulator starts");
        let client = sim.client();
        let first = client
            .channels()
            .originate("Local/7002@default")
            .app("hello")
            .await
            .expect("originate")
            .id
            .clone();

        let mut live = Live::start(&client).await.expect("top starts");
        assert!(live.state.channel(&first).is_some(), "listed at the start");

        let bridge = client
            .bridges()
            .create()
            .r#type("mixing")
            .await
            .expect("bridge")
            .id
            .clone();
        let second = client
            .channels()
            .originate("Local/7002@default")
            .app("hello")
            .await
            .expect("originate")
            .id
            .clone();
        live.pump_for(Duration::from_millis(500)).await;
        let text = frame_text(&live, ONCE_SIZE);
        let header = text.lines().next().unwrap_or_default();
        assert!(header.ends_with("connected"), "{text}");
        assert!(text.contains(&bridge), "{text}");
        let second_line = text
            .lines()
            .find(|l| l.contains(&second))
            .unwrap_or_else(|| panic!("no {second} in\n{text}"));
        assert!(second_line.contains("Local/7002@default"), "{second_line}");

        client.channel(&first).hangup().await.expect("hangup");
        live.pump_for(Duration::from_millis(500)).await;
        assert!(
            live.state.channel(&first).is_none(),
            "gone after its hang-up"
        );
        assert!(!frame_text(&live, ONCE_SIZE).contains(&format!(" {first} ")));
        live.close().await;
    }
}
