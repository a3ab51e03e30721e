//! The ARI side of a session: creating the media channel, attaching it to the call,
//! and taking it all down again.

use std::future::IntoFuture;
use std::time::Duration;

use ari_sdk::{
    Channel, Client, ExternalMediaConnectionType, ExternalMediaEncapsulation,
    ExternalMediaTransport, Watched,
};

use super::options::{Attach, MediaTransport, Options};
use crate::error::MediaError;
use crate::wire::ws_control::ControlFormat;

/// Where Asterisk finds the application, per transport.
pub(crate) struct Rendezvous {
    /// `external_host`: `host:port`, or a `websocket_client.conf` id.
    pub host: Option<String>,
    /// `data`: the AudioSocket UUID.
    pub data: Option<String>,
}

/// Asks Asterisk for the media channel `media_id`; its events are subscribed before the
/// request leaves (its `StasisStart` is ours, not a call's).
pub(crate) async fn create_media_channel(
    client: &Client,
    options: &Options,
    media_id: &str,
    rendezvous: Rendezvous,
) -> Result<Watched<Channel>, MediaError> {
    let mut request = client
        .channels()
        .external_media(&options.app, options.format.asterisk_name())
        .channel_id(media_id);
    if let Some(host) = rendezvous.host {
        request = request.external_host(host);
    }
    if let Some(data) = rendezvous.data {
        request = request.data(data);
    }
    request = match &options.transport {
        MediaTransport::Rtp => request
            .encapsulation(ExternalMediaEncapsulation::Rtp)
            .transport(ExternalMediaTransport::Udp),
        MediaTransport::AudioSocket => request
            .encapsulation(ExternalMediaEncapsulation::Audiosocket)
            .transport(ExternalMediaTransport::Tcp),
        MediaTransport::WebSocket | MediaTransport::WebSocketClient { .. } => {
            let connection = match options.transport {
                MediaTransport::WebSocket => ExternalMediaConnectionType::Server,
                _ => ExternalMediaConnectionType::Client,
            };
            let request = request
                .encapsulation(ExternalMediaEncapsulation::None)
                .transport(ExternalMediaTransport::Websocket)
                .connection_type(connection);
            match options.control_format {
                ControlFormat::Json => request.transport_data("f(json)"),
                ControlFormat::Plain => request,
            }
        }
    };
    request.await.map_err(|source| MediaError::Ari {
        step: "creating the media channel",
        source,
    })
}

/// A channel variable of the media channel as `externalMedia` answered it.
pub(crate) fn channel_variable(channel: &Channel, name: &str) -> Option<String> {
    let vars = channel.channelvars.as_ref()?;
    vars.get(name)?.as_str().map(str::to_owned)
}

/// What the session made on Asterisk besides the media channel, to take down at the end.
#[derive(Debug, Default, Clone)]
pub(crate) struct Attachment {
    /// A bridge the session created.
    pub bridge: Option<String>,
    /// A snoop channel the session created.
    pub snoop: Option<String>,
}

/// Attaches the media channel (already in the application) to the call as asked.
pub(crate) async fn attach(
    client: &Client,
    options: &Options,
    media_id: &str,
    timeout: Duration,
) -> Result<Attachment, MediaError> {
    let mut made = Attachment::default();
    let result = attach_inner(client, options, media_id, timeout, &mut made).await;
    if result.is_err() {
        detach(client, &made).await;
    }
    result.map(|()| made)
}

async fn attach_inner(
    client: &Client,
    options: &Options,
    media_id: &str,
    timeout: Duration,
    made: &mut Attachment,
) -> Result<(), MediaError> {
    let ari = |step: &'static str| move |source| MediaError::Ari { step, source };
    let partner = match &options.attach {
        Attach::Detached => return Ok(()),
        Attach::ExistingBridge(bridge) => {
            client
                .bridges()
                .add_channel(bridge, media_id)
                .await
                .map_err(ari("adding the media channel to the bridge"))?;
            return Ok(());
        }
        Attach::Bridge => options.channel_id.clone(),
        Attach::Snoop { spy, whisper } => {
            let mut snoop = client
                .channels()
                .snoop_channel_with_id(
                    &options.channel_id,
                    format!("{media_id}-snoop"),
                    &options.app,
                )
                .spy(spy.as_str())
                .whisper(whisper.as_str())
                .await
                .map_err(ari("snooping on the call"))?;
            made.snoop = Some(snoop.id.clone());
            snoop.stasis_start(timeout).await.map_err(ari(
                "waiting for the snoop channel to enter the application",
            ))?;
            snoop.id.clone()
        }
    };
    let bridge = client
        .bridges()
        .create_with_id(format!("{media_id}-bridge"))
        .r#type("mixing")
        .name(format!("media-{media_id}"))
        .await
        .map_err(ari("creating the media bridge"))?;
    made.bridge = Some(bridge.id.clone());
    client
        .bridges()
        .add_channel(&bridge.id, [partner.as_str(), media_id])
        .await
        .map_err(ari("adding the call and the media channel to the bridge"))?;
    Ok(())
}

/// Takes down what the session made; what is already gone is fine.
pub(crate) async fn detach(client: &Client, made: &Attachment) {
    if let Some(snoop) = &made.snoop {
        until_done("hanging up the snoop channel", || {
            client.channels().hangup(snoop).into_future()
        })
        .await;
    }
    if let Some(bridge) = &made.bridge {
        until_done("destroying the media bridge", || {
            client.bridges().destroy(bridge).into_future()
        })
        .await;
    }
}

/// Hangs the media channel up; gone already is fine.
pub(crate) async fn hang_up_media(client: &Client, media_id: &str) {
    until_done("hanging up the media channel", || {
        client.channels().hangup(media_id).into_future()
    })
    .await;
}

/// Cleanup requests that get no answer are sent again, up to this many times in all:
/// a loaded Asterisk can take long to hang up a channel that is in a bridge, and a
/// media channel left behind stays in the application for good.
const CLEANUP_ATTEMPTS: usize = 3;

/// Sends a cleanup request until Asterisk answers it; a 404 (gone already) is success.
async fn until_done<T, F, Fut>(step: &str, mut request: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ari_sdk::Result<T>>,
{
    for attempt in 1..=CLEANUP_ATTEMPTS {
        match request().await {
            Ok(_) => return,
            Err(error) if error.status() == Some(404) => return,
            Err(error) if error.status().is_some() || attempt == CLEANUP_ATTEMPTS => {
                tracing::warn!(%error, attempt, "media session cleanup: {step}");
                return;
            }
            Err(error) => tracing::debug!(%error, attempt, "media session cleanup: {step}; again"),
        }
    }
}
