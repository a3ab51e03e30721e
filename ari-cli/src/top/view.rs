//! Drawing `ari top`: a header line, the channel table with the selection, the bridges,
//! media in progress, a status line and the keys. The same drawing serves the terminal and
//! `--once`, which prints a [`TestBackend`](ratatui::backend::TestBackend)'s buffer.

use std::time::Instant;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, HighlightSpacing, Paragraph, Row, Table, TableState};

use super::keys::{HELP, Ui};
use super::state::{Channel, Connection, State};

/// The moment a frame is drawn, as the two clocks the screen needs.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    /// For the event rate.
    pub instant: Instant,
    /// Milliseconds since the Unix epoch, for the channels' ages.
    pub unix_ms: i64,
}

impl Now {
    /// The current time.
    pub fn current() -> Now {
        Now {
            instant: Instant::now(),
            unix_ms: crate::tables::now_millis(),
        }
    }
}

/// The row marker of the selected channel.
pub const MARKER: &str = "> ";

const HEADER: Style = Style::new().add_modifier(Modifier::BOLD);
const DIM: Style = Style::new().fg(Color::DarkGray);

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, state: &State, ui: &Ui, now: Now) {
    let bridges = state.bridges().count();
    let media = state.media().count();
    // Bridges and media take what they need (a "none" line when empty), up to a few rows
    // each; channels get the rest.
    let [header, channels, bridges_area, media_area, status, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(4),
        Constraint::Length(table_height(bridges, 8)),
        Constraint::Length(table_height(media, 6)),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());

    frame.render_widget(Paragraph::new(header_line(state, now)), header);
    draw_channels(frame, channels, state, now);
    draw_bridges(frame, bridges_area, state);
    draw_media(frame, media_area, state);
    let status_line = match &ui.prompt {
        Some(prompt) => Line::styled(
            prompt.text(),
            Style::new().fg(Color::Black).bg(Color::Yellow),
        ),
        None => Line::raw(ui.status.as_str()),
    };
    frame.render_widget(Paragraph::new(status_line), status);
    frame.render_widget(Paragraph::new(Line::styled(HELP, DIM)), footer);
}

/// Rows for a bordered table with a header: `rows` of them (at least one, for "none"),
/// at most `max`.
fn table_height(rows: usize, max: usize) -> u16 {
    let rows = rows.clamp(1, max);
    u16::try_from(rows + 3).unwrap_or(u16::MAX)
}

fn header_line(state: &State, now: Now) -> Line<'static> {
    let connection_style = match state.connection {
        Connection::Connected | Connection::Reconnected { .. } => Style::new().fg(Color::Green),
        Connection::Connecting | Connection::Disconnected { .. } => Style::new().fg(Color::Yellow),
        Connection::Ended { .. } => Style::new().fg(Color::Red),
    };
    let (channels, bridges, playbacks, recordings) = state.counts();
    // The connection last: a long reason is what gets cut on a narrow terminal.
    Line::from(vec![
        Span::styled("ari top", HEADER),
        Span::raw(format!(
            "  {}  {}  {}  {}  {:.1} events/s  ",
            plural(channels, "channel"),
            plural(bridges, "bridge"),
            plural(playbacks, "playback"),
            plural(recordings, "recording"),
            state.events_per_second(now.instant),
        )),
        Span::styled(state.connection.describe(), connection_style),
    ])
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn titled(title: String) -> Block<'static> {
    Block::bordered().title(Span::styled(title, HEADER))
}

fn header_row(names: &[&'static str]) -> Row<'static> {
    Row::new(names.iter().copied()).style(HEADER)
}

/// The width of the widest of these texts (with the column's name), within limits.
fn column<'a>(name: &str, texts: impl Iterator<Item = &'a str>, max: usize) -> Constraint {
    let widest = texts
        .map(|t| Span::raw(t).width())
        .chain([name.len()])
        .max()
        .unwrap_or(0)
        .min(max);
    Constraint::Length(u16::try_from(widest).unwrap_or(u16::MAX))
}

fn draw_channels(frame: &mut Frame, area: Rect, state: &State, now: Now) {
    let channels: Vec<&Channel> = state.channels().collect();
    let rows: Vec<Row> = channels
        .iter()
        .map(|c| {
            Row::new([
                Cell::from(c.id.as_str()),
                Cell::from(c.name.as_str()),
                Cell::from(c.state.as_str()).style(state_style(&c.state)),
                Cell::from(c.caller()),
                Cell::from(c.application()),
                Cell::from(age(c.created_ms, now.unix_ms)),
            ])
        })
        .collect();
    let widths = [
        column("ID", channels.iter().map(|c| c.id.as_str()), 36),
        Constraint::Fill(3),
        column("STATE", channels.iter().map(|c| c.state.as_str()), 16),
        Constraint::Fill(2),
        Constraint::Fill(2),
        Constraint::Length(8),
    ];
    let table = Table::new(rows, widths)
        .header(header_row(&["ID", "NAME", "STATE", "CALLER", "APP", "AGE"]))
        .block(titled(format!("Channels ({})", channels.len())))
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol(MARKER)
        .highlight_spacing(HighlightSpacing::Always);
    let mut selection = TableState::default().with_selected(state.selected_row());
    frame.render_stateful_widget(table, area, &mut selection);
    if channels.is_empty() {
        note_under_header(frame, area, "no channels");
    }
}

/// Says that a bordered table with a header row has no rows (a row's first cell would
/// cut the words to the column's width).
fn note_under_header(frame: &mut Frame, area: Rect, note: &'static str) {
    let inner = Block::bordered().inner(area);
    if inner.height > 1 {
        let line = Rect {
            y: inner.y + 1,
            height: 1,
            ..inner
        };
        frame.render_widget(Paragraph::new(Line::styled(note, DIM)), line);
    }
}

fn state_style(state: &str) -> Style {
    match state {
        "Up" => Style::new().fg(Color::Green),
        "Ring" | "Ringing" | "Dialing" | "Pre-ring" => Style::new().fg(Color::Yellow),
        "Busy" => Style::new().fg(Color::Red),
        _ => Style::new(),
    }
}

/// `0:07`, `12:34`, `1:02:03`, `3d04h`; `?` when Asterisk did not say.
pub fn age(created_ms: Option<i64>, now_ms: i64) -> String {
    let Some(created) = created_ms else {
        return "?".into();
    };
    // Another host's clock may be ahead of ours.
    let seconds = (now_ms.saturating_sub(created) / 1000).max(0);
    let (days, hours, minutes, secs) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (days, hours) {
        (0, 0) => format!("{minutes}:{secs:02}"),
        (0, _) => format!("{hours}:{minutes:02}:{secs:02}"),
        _ => format!("{days}d{hours:02}h"),
    }
}

/// A channel's name for its id (the id when it is not known).
fn channel_name<'a>(state: &'a State, id: &'a str) -> &'a str {
    state.channel(id).map_or(id, |c| c.name.as_str())
}

fn draw_bridges(frame: &mut Frame, area: Rect, state: &State) {
    let rows: Vec<Row> = state
        .bridges()
        .map(|b| {
            let members: Vec<&str> = b
                .channels
                .iter()
                .map(|id| channel_name(state, id))
                .collect();
            let kind = if b.name.is_empty() {
                b.bridge_type.clone()
            } else {
                format!("{} ({})", b.bridge_type, b.name)
            };
            Row::new([
                Cell::from(b.id.as_str()),
                Cell::from(kind),
                Cell::from(if members.is_empty() {
                    "0".to_owned()
                } else {
                    format!("{}: {}", members.len(), members.join(", "))
                }),
            ])
        })
        .collect();
    let count = rows.len();
    let widths = [
        column("ID", state.bridges().map(|b| b.id.as_str()), 36),
        Constraint::Length(20),
        Constraint::Fill(1),
    ];
    let table = Table::new(rows, widths)
        .header(header_row(&["ID", "TYPE", "CHANNELS"]))
        .block(titled(format!("Bridges ({count})")));
    frame.render_widget(table, area);
    if count == 0 {
        note_under_header(frame, area, "no bridges");
    }
}

fn draw_media(frame: &mut Frame, area: Rect, state: &State) {
    let rows: Vec<Row> = state
        .media()
        .map(|m| {
            // `channel:ID` -> the channel's name, easier to match with the table above.
            let target = match m.target_uri.split_once(':') {
                Some(("channel", id)) => channel_name(state, id).to_owned(),
                _ => m.target_uri.clone(),
            };
            Row::new([
                Cell::from(m.kind.word()),
                Cell::from(m.id.as_str()),
                Cell::from(m.media.as_str()),
                Cell::from(target),
                Cell::from(m.state.as_str()),
            ])
        })
        .collect();
    let count = rows.len();
    let widths = [
        Constraint::Length(9),
        column("ID", state.media().map(|m| m.id.as_str()), 36),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Length(10),
    ];
    let table = Table::new(rows, widths)
        .header(header_row(&["KIND", "ID", "MEDIA", "TARGET", "STATE"]))
        .block(titled(format!("Playbacks and recordings ({count})")));
    frame.render_widget(table, area);
    if count == 0 {
        note_under_header(frame, area, "no playbacks or recordings");
    }
}

/// A buffer as lines of text, without trailing blanks (for `--once` and tests).
pub fn buffer_text(buffer: &Buffer) -> String {
    let width = usize::from(buffer.area.width).max(1);
    let mut lines = Vec::new();
    for row in buffer.content().chunks(width) {
        let mut line = String::new();
        // A wide character covers the next cell, which holds a placeholder.
        let mut covered = 0;
        for cell in row {
            if covered > 0 {
                covered -= 1;
                continue;
            }
            line.push_str(cell.symbol());
            covered = Span::raw(cell.symbol()).width().saturating_sub(1);
        }
        lines.push(line.trim_end().to_owned());
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::top::keys::Prompt;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use serde_json::json;

    /// Two channels (one ringing, from 65 s before `now`), a bridge with one of them.
    fn example() -> (State, Now) {
        let now = Now {
            instant: Instant::now(),
            // 2026-12-03T20:34:01.425Z
            unix_ms: 1_796_330_041_425,
        };
        let mut state = State::new(now.instant);
        state.connection = Connection::Connected;
        state.load(
            &json!([
                {"id": "1796329974.0", "name": "PJSIP/alice-00000001", "state": "Up",
                 "caller": {"name": "Alice", "number": "100"},
                 "dialplan": {"app_name": "Stasis", "app_data": "hello,world"},
                 "creationtime": "2026-12-03T20:32:56.425+0000"},
                {"id": "1796329974.1", "name": "PJSIP/bob-00000002", "state": "Ring",
                 "caller": {"name": "", "number": "200"},
                 "dialplan": {"app_name": "Wait", "app_data": "3600"},
                 "creationtime": "2026-12-03T20:33:56.425+0000"}
            ]),
            &json!([{"id": "conf-1", "bridge_type": "mixing", "channels": ["1796329974.0"]}]),
        );
        state.apply(
            &json!({"type": "PlaybackStarted", "playback": {"id": "pb-9",
                "media_uri": "sound:hello-world", "target_uri": "channel:1796329974.1",
                "state": "playing"}}),
            now.instant,
        );
        (state, now)
    }

    fn render(state: &State, ui: &Ui, now: Now, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
        terminal
            .draw(|frame| draw(frame, state, ui, now))
            .expect("draws");
        buffer_text(terminal.backend().buffer())
    }

    fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
    }

    #[test]
    fn the_screen_shows_channels_bridges_media_and_keys() {
        let (mut state, now) = example();
        state.select_next();
        let text = render(&state, &Ui::default(), now, 100, 30);

        let header = text.lines().next().unwrap_or_default();
        assert!(
            header.starts_with("ari top  2 channels  1 bridge  1 playback  0 recordings"),
            "{header}"
        );
        assert!(header.ends_with("events/s  connected"), "{header}");

        let alice = line_with(&text, "PJSIP/alice-00000001");
        assert!(
            alice.contains("Up") && alice.contains("Alice <100>"),
            "{alice}"
        );
        assert!(
            alice.contains("Stasis(hello,world)") && alice.contains("1:05"),
            "{alice}"
        );
        assert!(
            alice.starts_with("│  1796329974.0 "),
            "not selected: {alice}"
        );
        let bob = line_with(&text, "PJSIP/bob-00000002");
        assert!(
            bob.contains(&format!("{MARKER}1796329974.1")),
            "the selection: {bob}"
        );
        assert!(bob.contains("Ring") && bob.contains("Wait(3600)"), "{bob}");
        assert!(bob.contains("0:05"), "{bob}");

        let bridge = line_with(&text, "conf-1");
        assert!(bridge.contains("mixing") && bridge.contains("1: PJSIP/alice-00000001"));
        let playback = line_with(&text, "pb-9");
        assert!(playback.contains("playback") && playback.contains("sound:hello-world"));
        assert!(playback.contains("PJSIP/bob-00000002") && playback.contains("playing"));

        assert!(
            text.contains("a answer") && text.contains("h hang up"),
            "{text}"
        );
        assert!(text.contains("q quit") && text.contains("p play"), "{text}");
        assert_eq!(text.lines().count(), 30, "the footer is on the last line");
    }

    #[test]
    fn questions_and_empty_tables_are_shown() {
        let mut state = State::new(Instant::now());
        state.connection = Connection::Disconnected {
            reason: "the server closed the connection".into(),
        };
        let ui = Ui {
            prompt: Some(Prompt::Hangup {
                id: "1.1".into(),
                name: "PJSIP/alice-1".into(),
            }),
            status: String::new(),
        };
        let text = render(&state, &ui, Now::current(), 140, 30);
        assert!(text.contains("reconnecting (the server closed the connection)"));
        assert!(
            text.contains("no channels") && text.contains("no bridges"),
            "{text}"
        );
        assert!(text.contains("no playbacks or recordings"), "{text}");
        assert!(text.contains("Hang up PJSIP/alice-1? y/n"), "{text}");
    }

    #[test]
    fn a_small_terminal_does_not_break_drawing() {
        let (state, now) = example();
        for (width, height) in [(1, 1), (20, 5), (40, 12)] {
            let text = render(&state, &Ui::default(), now, width, height);
            assert!(text.lines().count() <= usize::from(height));
        }
    }

    #[test]
    fn ages_read_like_top() {
        let now = 10_000_000;
        assert_eq!(age(Some(now - 7_400), now), "0:07");
        assert_eq!(age(Some(now - 754_000), now), "12:34");
        assert_eq!(age(Some(now - 3_723_000), now), "1:02:03");
        assert_eq!(age(Some(now - 277_200_000), now), "3d05h");
        assert_eq!(age(Some(now + 5_000), now), "0:00", "a clock ahead of ours");
        assert_eq!(age(None, now), "?");
    }
}
