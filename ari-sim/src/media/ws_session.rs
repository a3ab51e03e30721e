//! A WebSocket media channel once its socket is up: `MEDIA_START`, the test signal as
//! binary frames every 20 ms, the application's audio through Asterisk's play-out queue
//! (see [`super::ws_queue`]) and its control commands answered as `chan_websocket`
//! answers them.

use ari_media::wire::ws_control::{
    self, Command, ControlEvent, ControlFormat, DriverStatus, MediaDirection, MediaStart,
};
use tokio::sync::oneshot;

use super::PeerContext;
use super::probe::PTIME;
use super::signal::{Endian, SignalSource, decode, encode};
use super::ws_link::{WsIn, WsLink, WsOut};
use super::ws_queue::{PlayQueue, XOFF_LEVEL, XON_LEVEL};

/// Asterisk ignores (with a warning) text messages longer than this.
const MAX_TEXT: usize = 128;
const NORMAL: i64 = 16;
const NO_ROUTE: i64 = 3;
/// The close status Asterisk's hang-up uses when no other was set.
const CLOSE_NORMAL: u16 = 1000;

/// Where the socket comes from.
pub enum Link {
    /// The application connects to `/media/{connection_id}`.
    Server(oneshot::Receiver<WsLink>),
    /// The simulator connects to this URL (a `websocket_client` connection).
    Client(String),
}

struct Session {
    context: PeerContext,
    out: tokio::sync::mpsc::UnboundedSender<WsOut>,
    format: ControlFormat,
    direction: MediaDirection,
    queue: PlayQueue,
}

pub(crate) async fn run(
    mut context: PeerContext,
    link: Link,
    connection_id: String,
    json: bool,
    direction: MediaDirection,
) {
    let link = match link {
        Link::Server(accepted) => tokio::select! {
            _ = &mut context.stop => None,
            link = accepted => link.ok(),
        },
        Link::Client(url) => tokio::select! {
            _ = &mut context.stop => None,
            connected = tokio_tungstenite::connect_async(url.as_str()) => match connected {
                Ok((socket, _)) => Some(super::ws_link::from_tungstenite(socket)),
                Err(error) => {
                    tracing::warn!(channel = %context.channel_id, %url, %error, "websocket: cannot connect");
                    context.closed();
                    context.hang_up_channel(NO_ROUTE);
                    return;
                }
            },
        },
    };
    let Some(WsLink {
        mut incoming,
        outgoing,
    }) = link
    else {
        context.closed();
        return;
    };
    context.probe().connected = true;
    let media_format = context.format;
    let frame_size = media_format.bytes_in(PTIME);
    let mut session = Session {
        out: outgoing,
        format: if json {
            ControlFormat::Json
        } else {
            ControlFormat::Plain
        },
        direction,
        queue: PlayQueue::new(frame_size),
        context,
    };
    // The JSON form lists the channel's variables: those chan_websocket set on it.
    let channel_variables = [
        ("MEDIA_WEBSOCKET_CONNECTION_ID", connection_id.clone()),
        ("MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE", frame_size.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    session.send(ControlEvent::MediaStart(MediaStart {
        connection_id,
        channel: session.context.channel_name.clone(),
        channel_id: session.context.channel_id.clone(),
        format: media_format.asterisk_name().to_owned(),
        optimal_frame_size: frame_size as u32,
        ptime: PTIME.as_millis() as u32,
        channel_variables,
    }));
    let mut source = SignalSource::new(session.context.signal.clone(), media_format.sample_rate());
    let mut ticks = tokio::time::interval(PTIME);
    loop {
        tokio::select! {
            _ = &mut session.context.stop => {
                let _ = session.out.send(WsOut::Close(CLOSE_NORMAL));
                break;
            }
            _ = ticks.tick() => session.tick(&mut source),
            Some(digit) = session.context.dtmf.recv() => session.send(ControlEvent::DtmfEnd { digit }),
            message = incoming.recv() => match message {
                Some(WsIn::Text(text)) => session.text(&text),
                Some(WsIn::Binary(data)) => session.binary(&data),
                Some(WsIn::Closed) | None => {
                    session.context.closed();
                    session.context.hang_up_channel(NORMAL);
                    return;
                }
            },
        }
    }
    session.context.closed();
}

impl Session {
    fn send(&self, event: ControlEvent) {
        let text = event.to_text(self.format, &self.context.channel_id);
        let _ = self.out.send(WsOut::Text(text));
    }

    fn tick(&mut self, source: &mut SignalSource) {
        let format = self.context.format;
        // Asterisk writes to the application unless it asked for `out` only; with `in`
        // its timer stops, so nothing it was sent plays.
        if self.direction != MediaDirection::Out {
            let samples = source.next_samples(format.samples_in(PTIME));
            let bytes = encode(format, Endian::Little, &samples);
            if self.out.send(WsOut::Binary(bytes)).is_ok() {
                self.context.probe().frames_sent += 1;
            }
        }
        if self.direction != MediaDirection::In {
            let (events, _played) = self.queue.tick();
            for event in events {
                self.send(event);
            }
        }
        self.context.probe().queue_length = self.queue.audio_frames;
    }

    fn binary(&mut self, data: &[u8]) {
        if self.direction == MediaDirection::In {
            return;
        }
        let samples = decode(self.context.format, Endian::Little, data);
        self.context.probe().received(data.len(), &samples);
        let pushed = self.queue.push_audio(data.len());
        if pushed.dropped {
            self.context.probe().dropped += 1;
        }
        for event in pushed.events {
            self.send(event);
        }
        self.context.probe().queue_length = self.queue.audio_frames;
    }

    fn error(&self, message: String) {
        self.send(ControlEvent::Error { message });
    }

    fn malformed(&self, what: &str) {
        self.context
            .probe()
            .malformed(&self.context.channel_id, what);
    }

    fn text(&mut self, raw: &str) {
        if raw.is_empty() {
            return self.malformed("empty text message");
        }
        if raw.len() > MAX_TEXT {
            return self.malformed("text message over 128 bytes");
        }
        let text = raw.trim();
        let json = self.format == ControlFormat::Json;
        let name = if json {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) => value
                    .get("command")
                    .and_then(|c| c.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                Err(_) => {
                    self.malformed(text);
                    return self.error("Unable to parse JSON command".into());
                }
            }
        } else {
            text.split(' ').next().unwrap_or_default().to_owned()
        };
        if name == "SET_MEDIA_DIRECTION" && !json {
            self.malformed(text);
            return self.error("SET_MEDIA_DIRECTION only supports JSON format.\n".into());
        }
        match ws_control::parse_command(text) {
            Ok(command) => self.command(&name, command),
            Err(error) if name == "SET_MEDIA_DIRECTION" => {
                self.malformed(&error);
                let direction = serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| {
                        v.get("direction")
                            .and_then(|d| d.as_str())
                            .map(str::to_owned)
                    });
                self.error(match direction {
                    None => "SET_MEDIA_DIRECTION requires a 'direction' parameter.\n".into(),
                    Some(d) => format!("'{d}' is not a valid direction for SET_MEDIA_DIRECTION.\n"),
                });
            }
            // Asterisk logs an unknown command and carries on.
            Err(error) => self.malformed(&format!("{text}: {error}")),
        }
    }

    /// Commands that touch the queue are refused while the application's audio is
    /// dropped (`in`), in Asterisk's words.
    fn refused_for_direction(&self, name: &str) -> bool {
        if self.direction == MediaDirection::In {
            self.error(format!(
                "{name} not supported while media direction is 'in'"
            ));
            return true;
        }
        false
    }

    fn command(&mut self, name: &str, command: Command) {
        match command {
            Command::Answer => {}
            Command::Hangup => self.context.hang_up_channel(NORMAL),
            Command::StartMediaBuffering => {
                if !self.refused_for_direction(name) {
                    self.queue.bulk = true;
                }
            }
            Command::StopMediaBuffering { id } => {
                if !self.refused_for_direction(name) {
                    let events = self
                        .queue
                        .stop_buffering(ControlEvent::MediaBufferingCompleted { id });
                    for event in events {
                        self.send(event);
                    }
                }
            }
            Command::MarkMedia { id } => {
                if !self.refused_for_direction(name) {
                    self.queue
                        .push_event(ControlEvent::MediaMarkProcessed { id });
                }
            }
            Command::FlushMedia => self.queue.flush(),
            Command::ReportQueueDrained => self.queue.report_drained(),
            Command::GetStatus => self.send(ControlEvent::Status(DriverStatus {
                queue_length: self.queue.audio_frames as u32,
                xon_level: XON_LEVEL as u32,
                xoff_level: XOFF_LEVEL as u32,
                queue_full: self.queue.full,
                bulk_media: self.queue.bulk,
                media_paused: self.queue.paused,
            })),
            Command::PauseMedia => {
                if !self.refused_for_direction(name) {
                    self.queue.paused = true;
                }
            }
            Command::ContinueMedia => {
                if !self.refused_for_direction(name) {
                    self.queue.paused = false;
                }
            }
            Command::SetMediaDirection(direction) => self.direction = direction,
            other => self.malformed(&format!("unsupported command {other:?}")),
        }
    }
}
