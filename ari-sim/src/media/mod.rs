//! Media on `externalMedia` channels: the simulated far end of RTP, AudioSocket and
//! WebSocket media, sending a test signal every 20 ms and measuring what comes back.
//!
//! Each media channel gets one task (a "peer"), started when the channel is created and
//! stopped when it is destroyed: [`World::remove_channel`](crate::world::World) stops it,
//! so every way a channel goes (ARI hang-up, the far end, a restart, the simulator
//! stopping) closes the transport.

mod audiosocket;
mod probe;
mod rtp;
mod signal;
mod ws_link;
mod ws_queue;
mod ws_server;
mod ws_session;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use ari_media::AudioFormat;
use tokio::sync::{mpsc, oneshot};

pub use probe::{MediaProbe, ProbeTransport};
pub use signal::MediaSignal;
pub(crate) use ws_server::serve as serve_websocket;

use crate::world::Shared;
use probe::ProbeState;

/// The builder's media settings.
#[derive(Debug, Clone, Default)]
pub struct MediaConfig {
    pub signal: MediaSignal,
    /// `websocket_client.conf`: connection id -> URL.
    pub websocket_clients: BTreeMap<String, String>,
}

/// The world's media: settings, running peers and the probes they fill.
#[derive(Debug, Default)]
pub struct Media {
    pub config: MediaConfig,
    peers: HashMap<String, Peer>,
    probes: HashMap<String, Arc<Mutex<ProbeState>>>,
    /// WebSocket server connections waiting for (or holding) the application's socket,
    /// by connection id.
    ws_waiting: HashMap<String, WaitingSocket>,
}

#[derive(Debug)]
struct Peer {
    /// Dropped or fired: the peer closes its transport and ends.
    stop: Option<oneshot::Sender<()>>,
    dtmf: mpsc::UnboundedSender<char>,
    connection_id: Option<String>,
}

#[derive(Debug)]
struct WaitingSocket {
    /// Taken by the first application to connect; a second gets 409, as from Asterisk.
    deliver: Option<oneshot::Sender<ws_link::WsLink>>,
}

/// How an `externalMedia` channel carries its media.
#[derive(Debug, Clone)]
pub enum Transport {
    /// RTP over UDP to `host:port`.
    Rtp { remote: String },
    /// AudioSocket over TCP to `host:port`, announcing `uuid`.
    AudioSocket { remote: String, uuid: [u8; 16] },
    /// WebSocket: the application connects to `/media/{id}` (server) or the simulator
    /// connects to the `websocket_client` connection's URL (client).
    WebSocket {
        client_url: Option<String>,
        connection_id: String,
        json: bool,
        direction: ari_media::wire::ws_control::MediaDirection,
    },
}

/// What a peer task needs: where to report, what to send, when to stop.
pub(crate) struct PeerContext {
    pub shared: Shared,
    pub channel_id: String,
    pub channel_name: String,
    pub format: AudioFormat,
    pub signal: MediaSignal,
    pub probe: Arc<Mutex<ProbeState>>,
    pub stop: oneshot::Receiver<()>,
    pub dtmf: mpsc::UnboundedReceiver<char>,
}

impl PeerContext {
    pub fn probe(&self) -> std::sync::MutexGuard<'_, ProbeState> {
        self.probe.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The application ended the media (closed its socket, sent a hang-up): the channel
    /// hangs up, as Asterisk queues a hang-up with a normal cause.
    pub fn hang_up_channel(&self, cause: i64) {
        crate::world::lock(&self.shared).hangup(&self.channel_id, cause);
    }

    pub fn closed(&self) {
        self.probe().closed = true;
    }
}

impl Media {
    /// Starts the far end of a new media channel. An RTP socket is bound here, so its
    /// port can be reported in the channel's variables; the rest happens in a task.
    /// Returns the channel variables the transport sets.
    pub fn start(
        &mut self,
        shared: &Shared,
        channel_id: &str,
        channel_name: &str,
        format: AudioFormat,
        transport: Transport,
    ) -> std::io::Result<serde_json::Map<String, serde_json::Value>> {
        let kind = match transport {
            Transport::Rtp { .. } => ProbeTransport::Rtp,
            Transport::AudioSocket { .. } => ProbeTransport::AudioSocket,
            Transport::WebSocket { .. } => ProbeTransport::WebSocket,
        };
        let probe = Arc::new(Mutex::new(ProbeState::new(kind, format)));
        let (stop_tx, stop) = oneshot::channel();
        let (dtmf_tx, dtmf) = mpsc::unbounded_channel();
        let context = PeerContext {
            shared: shared.clone(),
            channel_id: channel_id.to_owned(),
            channel_name: channel_name.to_owned(),
            format,
            signal: self.config.signal.clone(),
            probe: probe.clone(),
            stop,
            dtmf,
        };
        let mut vars = serde_json::Map::new();
        let mut connection = None;
        match transport {
            Transport::Rtp { remote } => {
                let socket = std::net::UdpSocket::bind(("127.0.0.1", 0))?;
                socket.set_nonblocking(true)?;
                let local = socket.local_addr()?;
                let socket = tokio::net::UdpSocket::from_std(socket)?;
                // Asterisk's order: the port, then the address.
                vars.insert(
                    "UNICASTRTP_LOCAL_PORT".into(),
                    local.port().to_string().into(),
                );
                vars.insert(
                    "UNICASTRTP_LOCAL_ADDRESS".into(),
                    local.ip().to_string().into(),
                );
                tokio::spawn(rtp::run(context, socket, remote));
            }
            Transport::AudioSocket { remote, uuid } => {
                tokio::spawn(audiosocket::run(context, remote, uuid));
            }
            Transport::WebSocket {
                client_url,
                connection_id,
                json,
                direction,
            } => {
                vars.insert(
                    "MEDIA_WEBSOCKET_CONNECTION_ID".into(),
                    connection_id.clone().into(),
                );
                vars.insert(
                    "MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE".into(),
                    format.bytes_in(probe::PTIME).to_string().into(),
                );
                let link = match client_url {
                    Some(url) => ws_session::Link::Client(url),
                    None => {
                        let (deliver, link) = oneshot::channel();
                        self.ws_waiting.insert(
                            connection_id.clone(),
                            WaitingSocket {
                                deliver: Some(deliver),
                            },
                        );
                        connection = Some(connection_id.clone());
                        ws_session::Link::Server(link)
                    }
                };
                tokio::spawn(ws_session::run(
                    context,
                    link,
                    connection_id,
                    json,
                    direction,
                ));
            }
        }
        self.probes.insert(channel_id.to_owned(), probe);
        self.peers.insert(
            channel_id.to_owned(),
            Peer {
                stop: Some(stop_tx),
                dtmf: dtmf_tx,
                connection_id: connection,
            },
        );
        Ok(vars)
    }

    /// The channel is gone: its peer closes the transport.
    pub fn stop(&mut self, channel_id: &str) {
        if let Some(mut peer) = self.peers.remove(channel_id) {
            if let Some(stop) = peer.stop.take() {
                let _ = stop.send(());
            }
            if let Some(id) = peer.connection_id {
                self.ws_waiting.remove(&id);
            }
        }
    }

    /// Every peer stops (a restart, the simulator stopping); probes are kept.
    pub fn stop_all(&mut self) {
        let ids: Vec<String> = self.peers.keys().cloned().collect();
        for id in ids {
            self.stop(&id);
        }
    }

    /// Forgets the probes too (a restart).
    pub fn clear(&mut self) {
        self.stop_all();
        self.probes.clear();
    }

    /// Sends DTMF to a channel's peer; false when the channel has none.
    pub fn send_dtmf(&self, channel_id: &str, digits: &str) -> bool {
        let Some(peer) = self.peers.get(channel_id) else {
            return false;
        };
        for digit in digits
            .chars()
            .filter(|d| "0123456789*#ABCDabcd".contains(*d))
        {
            let _ = peer.dtmf.send(digit.to_ascii_uppercase());
        }
        true
    }

    pub fn probe(&self, channel_id: &str) -> Option<MediaProbe> {
        let probe = self.probes.get(channel_id)?;
        Some(probe.lock().unwrap_or_else(|e| e.into_inner()).snapshot())
    }

    /// Whether a server connection id exists (`None`) and still waits for its socket.
    pub fn accept_state(&self, connection_id: &str) -> Option<bool> {
        self.ws_waiting
            .get(connection_id)
            .map(|w| w.deliver.is_some())
    }

    /// The application opens `/media/{connection_id}`: where to hand its socket, or
    /// the status Asterisk refuses it with (404 unknown id, 409 already connected).
    fn accept_socket(
        &mut self,
        connection_id: &str,
    ) -> Result<oneshot::Sender<ws_link::WsLink>, u16> {
        let waiting = self.ws_waiting.get_mut(connection_id).ok_or(404u16)?;
        waiting.deliver.take().ok_or(409)
    }
}
