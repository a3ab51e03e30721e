//! The interactive `ari top`: the terminal in raw mode on the alternate screen, redrawn a
//! few times a second, keys and server events awaited together, actions run beside.

use std::io;
use std::time::Duration;

use ari_sdk::Client;
use crossterm::event::{Event as TermEvent, EventStream as KeyStream};
use futures_core::Stream;
use ratatui::DefaultTerminal;
use tokio::task::JoinSet;

use super::keys::{self, Action, Ui};
use super::live::Live;
use super::view::{self, Now};
use crate::exit::Exit;

/// How often the screen is redrawn without a key (ages, rate, events).
const REDRAW: Duration = Duration::from_millis(250);

/// The terminal while `ari top` has it; dropping it gives it back as it was, whatever
/// way the loop ends (ratatui's panic hook does the same on a panic).
struct Screen {
    terminal: DefaultTerminal,
}

impl Screen {
    fn open() -> io::Result<Screen> {
        match ratatui::try_init() {
            Ok(terminal) => Ok(Screen { terminal }),
            Err(error) => {
                // Raw mode may be on already.
                let _ = ratatui::try_restore();
                Err(error)
            }
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = self.terminal.show_cursor();
        ratatui::restore();
    }
}

/// Runs until the user quits.
pub async fn run(client: &Client, mut live: Live) -> Exit {
    let mut screen = match Screen::open() {
        Ok(screen) => screen,
        Err(error) => {
            live.close().await;
            eprintln!("ari: cannot take over the terminal: {error}");
            return Exit::Failed;
        }
    };
    let outcome = event_loop(&mut screen.terminal, client, &mut live).await;
    drop(screen);
    live.close().await;
    match outcome {
        Ok(()) => Exit::Ok,
        Err(error) => {
            eprintln!("ari: the terminal failed: {error}");
            Exit::Failed
        }
    }
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    client: &Client,
    live: &mut Live,
) -> io::Result<()> {
    let mut keys = KeyStream::new();
    let mut ui = Ui::default();
    let mut actions: JoinSet<String> = JoinSet::new();
    let mut redraw = tokio::time::interval(REDRAW);
    redraw.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|frame| view::draw(frame, &live.state, &ui, Now::current()))?;
            dirty = false;
        }
        tokio::select! {
            next = live.next(), if !live.ended() => {
                if let Some(told) = live.take(next).await {
                    ui.status = told;
                }
                // Drawn at the next tick: a burst of events is one redraw.
            }
            key = next_key(&mut keys) => match key {
                Some(Ok(TermEvent::Key(key))) => {
                    match keys::on_key(&mut ui, &mut live.state, key) {
                        Some(Action::Quit) => return Ok(()),
                        Some(action) => {
                            actions.spawn(perform(client.clone(), action));
                        }
                        None => {}
                    }
                    dirty = true;
                }
                Some(Ok(TermEvent::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error),
                // No more input: nobody can quit, so stop here.
                None => return Ok(()),
            },
            Some(done) = actions.join_next(), if !actions.is_empty() => {
                ui.status = done.unwrap_or_else(|error| format!("the action failed: {error}"));
                dirty = true;
            }
            _ = redraw.tick() => dirty = true,
        }
    }
}

/// The next terminal event; safe to cancel.
async fn next_key(keys: &mut KeyStream) -> Option<io::Result<TermEvent>> {
    std::future::poll_fn(|cx| std::pin::Pin::new(&mut *keys).poll_next(cx)).await
}

/// Runs an action; says how it went. A channel may be gone by then: a 404 is news, not
/// a failure of `ari top`.
async fn perform(client: Client, action: Action) -> String {
    match action {
        Action::Answer { id, name } => match client.channel(&id).answer().await {
            Ok(_) => format!("Answered {name}"),
            Err(error) => format!("Answering {name} failed: {error}"),
        },
        Action::Play { id, name, media } => match client.channel(&id).play(media.as_str()).await {
            Ok(playback) => format!("Playing {media} to {name} (playback {})", playback.id),
            Err(error) => format!("Playing to {name} failed: {error}"),
        },
        Action::Hangup { id, name } => match client.channel(&id).hangup().await {
            Ok(_) => format!("Hung up {name}"),
            Err(error) => format!("Hanging up {name} failed: {error}"),
        },
        Action::Quit => String::new(),
    }
}
