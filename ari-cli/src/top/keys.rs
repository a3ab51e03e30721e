//! What the keys of `ari top` do: move the selection, answer, play, hang up (after a
//! confirmation), quit. Pure: a key changes the [`Ui`] and the selection and may ask for
//! an [`Action`], which the caller runs against the server.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::state::State;

/// What is played when the media prompt is confirmed as offered.
pub const DEFAULT_MEDIA: &str = "sound:hello-world";

/// The keys, as the footer lists them.
pub const HELP: &str = "↑/↓ j/k select   a answer   p play   h hang up   q quit";

/// A question on the status line that takes the keys until answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    /// `Hang up NAME? y/n`.
    Hangup {
        /// The channel's id.
        id: String,
        /// Its name, to say which.
        name: String,
    },
    /// `Play to NAME: sound:hello-world`, editable.
    Play {
        /// The channel's id.
        id: String,
        /// Its name, to say which.
        name: String,
        /// The media URI typed so far.
        media: String,
    },
}

/// What the screen shows besides the server's state.
#[derive(Debug, Default)]
pub struct Ui {
    /// The open question, if any.
    pub prompt: Option<Prompt>,
    /// The last action's outcome or the last error.
    pub status: String,
}

/// Requests the keys ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Leave `ari top`.
    Quit,
    /// Answer the channel.
    Answer {
        /// The channel's id.
        id: String,
        /// Its name, for the status line.
        name: String,
    },
    /// Play media to the channel.
    Play {
        /// The channel's id.
        id: String,
        /// Its name, for the status line.
        name: String,
        /// The media URI.
        media: String,
    },
    /// Hang the channel up (confirmed).
    Hangup {
        /// The channel's id.
        id: String,
        /// Its name, for the status line.
        name: String,
    },
}

/// Handles one key; returns the action it asks for.
pub fn on_key(ui: &mut Ui, state: &mut State, key: KeyEvent) -> Option<Action> {
    // Windows also reports releases; one press is one action.
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    match ui.prompt.take() {
        Some(prompt) => answer_prompt(ui, prompt, key, ctrl),
        None => command(ui, state, key.code),
    }
}

fn command(ui: &mut Ui, state: &mut State, code: KeyCode) -> Option<Action> {
    match code {
        KeyCode::Char('q') | KeyCode::Esc => return Some(Action::Quit),
        KeyCode::Up | KeyCode::Char('k') => state.select_previous(),
        KeyCode::Down | KeyCode::Char('j') => state.select_next(),
        KeyCode::Home | KeyCode::Char('g') => state.select_first(),
        KeyCode::End | KeyCode::Char('G') => state.select_last(),
        KeyCode::Char(letter @ ('a' | 'p' | 'h')) => {
            let Some(channel) = state.selected() else {
                ui.status = "No channel selected".into();
                return None;
            };
            let (id, name) = (channel.id.clone(), channel.name.clone());
            match letter {
                'a' => {
                    ui.status = format!("Answering {name}...");
                    return Some(Action::Answer { id, name });
                }
                'p' => {
                    ui.prompt = Some(Prompt::Play {
                        id,
                        name,
                        media: DEFAULT_MEDIA.into(),
                    })
                }
                _ => ui.prompt = Some(Prompt::Hangup { id, name }),
            }
        }
        _ => {}
    }
    None
}

fn answer_prompt(ui: &mut Ui, prompt: Prompt, key: KeyEvent, ctrl: bool) -> Option<Action> {
    match prompt {
        Prompt::Hangup { id, name } => match key.code {
            KeyCode::Char('y' | 'Y') => {
                ui.status = format!("Hanging up {name}...");
                Some(Action::Hangup { id, name })
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                ui.status = format!("{name} not hung up");
                None
            }
            // Anything else leaves the question open: a destructive action wants a clear yes.
            _ => {
                ui.prompt = Some(Prompt::Hangup { id, name });
                None
            }
        },
        Prompt::Play {
            id,
            name,
            mut media,
        } => {
            match key.code {
                KeyCode::Enter if !media.trim().is_empty() => {
                    let media = media.trim().to_owned();
                    ui.status = format!("Playing {media} to {name}...");
                    return Some(Action::Play { id, name, media });
                }
                KeyCode::Esc => {
                    ui.status = "Nothing played".into();
                    return None;
                }
                KeyCode::Backspace => {
                    media.pop();
                }
                KeyCode::Char('u') if ctrl => media.clear(),
                KeyCode::Char(c) if !ctrl => media.push(c),
                _ => {}
            }
            ui.prompt = Some(Prompt::Play { id, name, media });
            None
        }
    }
}

impl Prompt {
    /// The question as the status line asks it.
    pub fn text(&self) -> String {
        match self {
            Prompt::Hangup { name, .. } => format!("Hang up {name}? y/n"),
            Prompt::Play { name, media, .. } => {
                format!("Play to {name} (Enter plays, Esc cancels): {media}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Instant;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn two_channels() -> State {
        let now = Instant::now();
        let mut state = State::new(now);
        state.load(
            &json!([{"id": "1.1", "name": "PJSIP/a-1", "state": "Up"},
                    {"id": "1.2", "name": "PJSIP/b-2", "state": "Ring"}]),
            &json!([]),
        );
        state
    }

    #[test]
    fn hanging_up_asks_first() {
        let (mut ui, mut state) = (Ui::default(), two_channels());
        assert_eq!(on_key(&mut ui, &mut state, key(KeyCode::Down)), None);
        assert_eq!(on_key(&mut ui, &mut state, key(KeyCode::Char('h'))), None);
        let asked = ui.prompt.as_ref().map(Prompt::text);
        assert_eq!(asked.as_deref(), Some("Hang up PJSIP/b-2? y/n"));
        // A stray key does not answer the question.
        assert_eq!(on_key(&mut ui, &mut state, key(KeyCode::Char('x'))), None);
        assert!(ui.prompt.is_some());
        assert_eq!(
            on_key(&mut ui, &mut state, key(KeyCode::Char('y'))),
            Some(Action::Hangup {
                id: "1.2".into(),
                name: "PJSIP/b-2".into()
            })
        );
        assert!(ui.prompt.is_none());

        on_key(&mut ui, &mut state, key(KeyCode::Char('h')));
        assert_eq!(on_key(&mut ui, &mut state, key(KeyCode::Char('n'))), None);
        assert!(ui.prompt.is_none());
        assert_eq!(ui.status, "PJSIP/b-2 not hung up");
    }

    #[test]
    fn answer_and_play_go_to_the_selected_channel() {
        let (mut ui, mut state) = (Ui::default(), two_channels());
        assert_eq!(
            on_key(&mut ui, &mut state, key(KeyCode::Char('a'))),
            Some(Action::Answer {
                id: "1.1".into(),
                name: "PJSIP/a-1".into()
            })
        );
        on_key(&mut ui, &mut state, key(KeyCode::Char('j')));
        on_key(&mut ui, &mut state, key(KeyCode::Char('p')));
        // The offered media, edited: "sound:hello-world" -> "sound:hello-" + "x".
        for _ in 0..5 {
            on_key(&mut ui, &mut state, key(KeyCode::Backspace));
        }
        on_key(&mut ui, &mut state, key(KeyCode::Char('x')));
        assert_eq!(
            on_key(&mut ui, &mut state, key(KeyCode::Enter)),
            Some(Action::Play {
                id: "1.2".into(),
                name: "PJSIP/b-2".into(),
                media: "sound:hello-x".into()
            })
        );
    }

    #[test]
    fn quitting_and_nothing_selected() {
        let (mut ui, mut state) = (Ui::default(), State::new(Instant::now()));
        assert_eq!(on_key(&mut ui, &mut state, key(KeyCode::Char('a'))), None);
        assert_eq!(ui.status, "No channel selected");
        assert_eq!(
            on_key(&mut ui, &mut state, key(KeyCode::Char('q'))),
            Some(Action::Quit)
        );
        // Ctrl-C quits even in the middle of a question.
        let mut state = two_channels();
        on_key(&mut ui, &mut state, key(KeyCode::Char('h')));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(on_key(&mut ui, &mut state, ctrl_c), Some(Action::Quit));
        // Esc in a question only closes it.
        on_key(&mut ui, &mut state, key(KeyCode::Char('p')));
        assert_eq!(on_key(&mut ui, &mut state, key(KeyCode::Esc)), None);
        assert!(ui.prompt.is_none());
    }
}
