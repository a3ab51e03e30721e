//! Opening a session and the task that runs it: forwarding what arrives, pacing what is
//! sent, watching the call and the media channel, and cleaning up at the end.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use ari_sdk::{Client, Event, ResourceEvents, ResourceKind};
use tokio::sync::{mpsc, oneshot};

use super::options::{MediaTransport, Options};
use super::setup::{self, Attachment, Rendezvous};
use super::{MediaSession, pacer};
use crate::error::MediaError;
use crate::frame::{EndReason, MediaEvent};
use crate::link::{Inbound, Link, Outbound};
use crate::transport::{audiosocket, rtp, websocket};
use crate::wire::ws_control::ControlEvent;

/// A transport made ready before the media channel is asked for.
enum Prepared {
    Rtp(rtp::RtpEndpoint),
    AudioSocket(audiosocket::AudioSocketEndpoint),
    WebSocket,
    WebSocketClient(websocket::PendingMedia),
}

pub(crate) async fn open(client: Client, options: Options) -> Result<MediaSession, MediaError> {
    check(&options)?;
    let media_id = options.media_id.clone().unwrap_or_else(new_id);
    // The call's end is watched from before anything is created on Asterisk.
    let call_events =
        ResourceEvents::subscribe(&client, ResourceKind::Channel, &options.channel_id);
    // A call that does not exist is a 404 here, not a media channel made for nothing (a
    // detached session would run on, waiting for a call that never ends).
    if let Err(source) = client.channels().get(&options.channel_id).await {
        return Err(MediaError::Ari {
            step: "finding the call's channel",
            source,
        });
    }
    let (prepared, rendezvous) = prepare(&client, &options, &media_id).await?;
    let mut media = setup::create_media_channel(&client, &options, &media_id, rendezvous).await?;
    let timeout = options.connect_timeout;
    let link = match connect(&client, &options, prepared, &media).await {
        Ok(link) => link,
        Err(error) => {
            setup::hang_up_media(&client, &media_id).await;
            return Err(error);
        }
    };
    if let Err(source) = media.stasis_start(timeout).await {
        setup::hang_up_media(&client, &media_id).await;
        // Nothing arriving is nearly always an application this client has no event
        // connection for: say so, with its name.
        let source = match source {
            ari_sdk::Error::WaitTimedOut { timeout, .. } => ari_sdk::Error::WaitTimedOut {
                what: format!(
                    "StasisStart of media channel {media_id} in application {:?} (does \
                     the client have an event connection for it, from client.events or \
                     client.calls?)",
                    options.app
                ),
                timeout,
            },
            other => other,
        };
        return Err(MediaError::Ari {
            step: "waiting for the media channel to enter the application",
            source,
        });
    }
    let attachment = match setup::attach(&client, &options, &media_id, timeout).await {
        Ok(attachment) => attachment,
        Err(error) => {
            setup::hang_up_media(&client, &media_id).await;
            return Err(error);
        }
    };
    let (_, _, media_events) = media.into_all();
    Ok(start(
        client,
        options,
        media_id,
        link,
        attachment,
        call_events,
        media_events,
    ))
}

/// Refuses what cannot work before anything is created.
fn check(options: &Options) -> Result<(), MediaError> {
    if matches!(options.transport, MediaTransport::AudioSocket)
        && crate::wire::audiosocket::audio_kind(options.format).is_none()
    {
        return Err(MediaError::FormatNotCarried {
            transport: "AudioSocket",
            format: options.format,
            carries: "signed linear audio (slin, slin16)",
        });
    }
    if options.frame.is_zero() || options.frame > std::time::Duration::from_millis(200) {
        return Err(MediaError::Invalid(format!(
            "frame of {:?}: choose 10 to 200 ms",
            options.frame
        )));
    }
    Ok(())
}

async fn prepare(
    client: &Client,
    options: &Options,
    media_id: &str,
) -> Result<(Prepared, Rendezvous), MediaError> {
    let no_host = Rendezvous {
        host: None,
        data: None,
    };
    Ok(match &options.transport {
        MediaTransport::Rtp => {
            let endpoint = rtp::bind(bind_address(client, options)).await?;
            let host = advertised(options, endpoint.local_addr());
            (
                Prepared::Rtp(endpoint),
                Rendezvous {
                    host: Some(host),
                    data: None,
                },
            )
        }
        MediaTransport::AudioSocket => {
            let uuid: [u8; 16] = fastrand::u128(..).to_be_bytes();
            let endpoint = audiosocket::listen(
                bind_address(client, options),
                uuid,
                options.format,
                options.connect_timeout,
            )
            .await?;
            let host = advertised(options, endpoint.local_addr());
            let data = crate::wire::audiosocket::format_uuid(&uuid);
            (
                Prepared::AudioSocket(endpoint),
                Rendezvous {
                    host: Some(host),
                    data: Some(data),
                },
            )
        }
        MediaTransport::WebSocket => (Prepared::WebSocket, no_host),
        MediaTransport::WebSocketClient {
            connection,
            listener,
        } => (
            Prepared::WebSocketClient(listener.expect(media_id, options.format)),
            Rendezvous {
                host: Some(connection.clone()),
                data: None,
            },
        ),
    })
}

/// Connects the transport once Asterisk has the media channel.
async fn connect(
    client: &Client,
    options: &Options,
    prepared: Prepared,
    media: &ari_sdk::Watched<ari_sdk::Channel>,
) -> Result<Link, MediaError> {
    let missing = |name: &str| {
        MediaError::Invalid(format!(
            "Asterisk's answer to externalMedia has no channel variable {name}"
        ))
    };
    match prepared {
        Prepared::Rtp(endpoint) => {
            let address = setup::channel_variable(media, "UNICASTRTP_LOCAL_ADDRESS")
                .ok_or_else(|| missing("UNICASTRTP_LOCAL_ADDRESS"))?;
            let port = setup::channel_variable(media, "UNICASTRTP_LOCAL_PORT")
                .ok_or_else(|| missing("UNICASTRTP_LOCAL_PORT"))?;
            let asterisk = rtp_peer(client, &address, &port)?;
            Ok(endpoint.start(asterisk, options.format, options.frame))
        }
        Prepared::AudioSocket(endpoint) => endpoint.established().await,
        Prepared::WebSocket => {
            let id = setup::channel_variable(media, "MEDIA_WEBSOCKET_CONNECTION_ID")
                .ok_or_else(|| missing("MEDIA_WEBSOCKET_CONNECTION_ID"))?;
            let url = media_url(client, &id)?;
            websocket::connect(
                &url,
                options.format,
                options.control_format,
                options.connect_timeout,
            )
            .await
        }
        Prepared::WebSocketClient(pending) => pending.established(options.connect_timeout).await,
    }
}

/// Asterisk's RTP address: when it reports a wildcard address (it bound `0.0.0.0`), its
/// host as the client reaches it.
fn rtp_peer(client: &Client, address: &str, port: &str) -> Result<SocketAddr, MediaError> {
    let bad = || {
        MediaError::Invalid(format!(
            "Asterisk's RTP address {address}:{port} is not an address"
        ))
    };
    let port: u16 = port.parse().map_err(|_| bad())?;
    let ip: IpAddr = address.parse().map_err(|_| bad())?;
    let ip = if ip.is_unspecified() {
        asterisk_ip(client).unwrap_or(ip)
    } else {
        ip
    };
    Ok(SocketAddr::new(ip, port))
}

/// `ws(s)://host:port/media/<id>` on the server the client talks to.
fn media_url(client: &Client, connection_id: &str) -> Result<String, MediaError> {
    let base = client.base_url().ok_or_else(|| {
        MediaError::Invalid("the WebSocket media transport needs a client with a base URL".into())
    })?;
    let mut url = url::Url::parse(base)
        .map_err(|e| MediaError::Invalid(format!("the client's base URL {base:?}: {e}")))?;
    let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
    let _ = url.set_scheme(scheme);
    url.set_path(&format!("/media/{connection_id}"));
    url.set_query(None);
    Ok(url.to_string())
}

fn asterisk_ip(client: &Client) -> Option<IpAddr> {
    let url = url::Url::parse(client.base_url()?).ok()?;
    match url.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(name) => {
            use std::net::ToSocketAddrs;
            (name, 0).to_socket_addrs().ok()?.next().map(|a| a.ip())
        }
    }
}

/// The address to bind: the one asked for, else port 0 on the local address the system
/// routes to Asterisk from (a UDP `connect` sends nothing, it only picks the route).
fn bind_address(client: &Client, options: &Options) -> SocketAddr {
    if let Some(bind) = options.bind {
        return bind;
    }
    let local = asterisk_ip(client).and_then(|asterisk| {
        let unspecified: IpAddr = if asterisk.is_ipv4() {
            std::net::Ipv4Addr::UNSPECIFIED.into()
        } else {
            std::net::Ipv6Addr::UNSPECIFIED.into()
        };
        let probe = UdpSocket::bind((unspecified, 0)).ok()?;
        probe.connect((asterisk, 9)).ok()?;
        probe.local_addr().ok().map(|a| a.ip())
    });
    SocketAddr::new(local.unwrap_or(std::net::Ipv4Addr::LOCALHOST.into()), 0)
}

fn advertised(options: &Options, bound: SocketAddr) -> String {
    SocketAddr::new(options.advertise.unwrap_or(bound.ip()), bound.port()).to_string()
}

/// A fresh media channel id, in UUID v4 form like Asterisk's own.
fn new_id() -> String {
    let bytes = fastrand::u128(..).to_be_bytes();
    let mut uuid = bytes;
    uuid[6] = (uuid[6] & 0x0f) | 0x40;
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
    crate::wire::audiosocket::format_uuid(&uuid)
}

fn start(
    client: Client,
    options: Options,
    media_id: String,
    link: Link,
    attachment: Attachment,
    call_events: ResourceEvents,
    media_events: ResourceEvents,
) -> MediaSession {
    let Link {
        inbound,
        outbound,
        may_send,
        stats,
        tasks,
    } = link;
    let (sender, queued, pacing) =
        pacer::channel(options.format, options.frame, options.send_buffer);
    let pacer_task = tokio::spawn(pacer::run(
        queued,
        outbound.clone(),
        may_send,
        options.frame,
        pacing.clone(),
    ));
    let (items_tx, items) = mpsc::channel(options.receive_buffer);
    let (commands, commands_rx) = mpsc::channel(16);
    let (close, close_rx) = oneshot::channel();
    let end = Arc::new(Mutex::new(None));
    let bridge_id = match &options.attach {
        super::Attach::ExistingBridge(bridge) => Some(bridge.clone()),
        _ => attachment.bridge.clone(),
    };
    let runner = Runner {
        client,
        media_id: media_id.clone(),
        attachment,
        outbound,
        items: items_tx,
        stats: stats.clone(),
        end: end.clone(),
    };
    let task = tokio::spawn(async move {
        let _transport = tasks;
        let reason = runner
            .run(inbound, commands_rx, close_rx, call_events, media_events)
            .await;
        // Gone before the reader sees the end: sending after it fails (`Closed`).
        pacer_task.abort();
        let _ = pacer_task.await;
        runner.finish(reason).await;
    });
    MediaSession {
        media_id,
        channel_id: options.channel_id,
        bridge_id,
        format: options.format,
        transport: options.transport.name(),
        items,
        sender,
        commands,
        end,
        stats,
        pacing,
        close: Some(close),
        task: Some(task),
    }
}

/// The session task's state.
struct Runner {
    client: Client,
    media_id: String,
    attachment: Attachment,
    outbound: mpsc::Sender<Outbound>,
    items: mpsc::Sender<Result<MediaEvent, MediaError>>,
    stats: Arc<crate::link::TransportStats>,
    end: Arc<Mutex<Option<EndReason>>>,
}

impl Runner {
    /// Runs until something ends the session; says what.
    async fn run(
        &self,
        mut inbound: mpsc::Receiver<Inbound>,
        mut commands: mpsc::Receiver<crate::wire::ws_control::Command>,
        mut close: oneshot::Receiver<()>,
        mut call_events: ResourceEvents,
        mut media_events: ResourceEvents,
    ) -> EndReason {
        loop {
            tokio::select! {
                _ = &mut close => return EndReason::Closed,
                item = inbound.recv() => match item {
                    Some(Inbound::Ended(reason)) => {
                        return explain(reason, &mut call_events, &mut media_events).await;
                    }
                    None => {
                        let reason = EndReason::TransportClosed("the transport failed".into());
                        return explain(reason, &mut call_events, &mut media_events).await;
                    }
                    Some(item) => self.deliver(item).await,
                },
                Some(command) = commands.recv() => {
                    let _ = self.outbound.send(Outbound::Command(command)).await;
                }
                event = call_events.next() => if ends(event.as_ref()) {
                    return EndReason::CallEnded;
                },
                event = media_events.next() => if ends(event.as_ref()) {
                    return EndReason::MediaChannelEnded;
                },
            }
        }
    }

    async fn deliver(&self, item: Inbound) {
        let item = match item {
            Inbound::Audio(frame) => {
                // Audio is real time: a reader that fell this far behind loses frames
                // rather than stalling the transport.
                if self.items.try_send(Ok(MediaEvent::Audio(frame))).is_err() {
                    self.stats
                        .dropped_for_slow_reader
                        .fetch_add(1, Ordering::Relaxed);
                }
                return;
            }
            Inbound::Dtmf(digit) => Ok(MediaEvent::Dtmf(digit)),
            Inbound::Control(ControlEvent::Error { message }) => Err(MediaError::Remote {
                transport: "websocket",
                message,
            }),
            Inbound::Control(event) => Ok(MediaEvent::Control(event)),
            Inbound::Problem(problem) => Err(problem),
            Inbound::Ended(_) => return,
        };
        let _ = self.items.send(item).await;
    }

    /// Takes everything down and ends the application's stream.
    async fn finish(self, reason: EndReason) {
        tracing::debug!(media_channel = %self.media_id, ?reason, "media session ends");
        if let Ok(mut end) = self.end.lock() {
            *end = Some(reason);
        }
        let _ = self.outbound.try_send(Outbound::Close);
        // The reader sees the end at once; Asterisk's side is cleaned after.
        drop(self.items);
        // The bridge first: hanging up a channel that is still bridged makes Asterisk
        // lock the bridge's other channels too, which is slow under load.
        setup::detach(&self.client, &self.attachment).await;
        setup::hang_up_media(&self.client, &self.media_id).await;
    }
}

/// How long the end of a transport waits for ARI to say why it ended.
const END_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// The transport ended: when that is because the media channel or the call hung up
/// (Asterisk closes the connection as it hangs the channel up, and the event saying so
/// comes over the event connection a moment later), that is the reason; otherwise the
/// transport's own.
async fn explain(
    transport_reason: EndReason,
    call_events: &mut ResourceEvents,
    media_events: &mut ResourceEvents,
) -> EndReason {
    let hung_up = async {
        loop {
            tokio::select! {
                event = call_events.next() => if ends(event.as_ref()) {
                    return EndReason::CallEnded;
                },
                event = media_events.next() => if ends(event.as_ref()) {
                    return EndReason::MediaChannelEnded;
                },
            }
        }
    };
    tokio::time::timeout(END_GRACE, hung_up)
        .await
        .unwrap_or(transport_reason)
}

/// Whether a channel's event (or its stream ending) means the channel is gone.
fn ends(event: Option<&ari_sdk::Result<Event>>) -> bool {
    match event {
        None => true,
        Some(Ok(Event::StasisEnd(_) | Event::ChannelDestroyed(_))) => true,
        Some(_) => false,
    }
}
