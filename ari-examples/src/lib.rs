//! What every example shares: where to connect (the embedded simulator unless told
//! otherwise), printing like the guide, and cleaning up what a run created.

use std::time::Duration;

use ari_sdk::{Client, Event, EventStream, Item, Transport};
use ari_sim::Simulator;

/// Where an example runs: a real Asterisk (`--url` / `ARI_URL`) or the embedded simulator.
pub struct Target {
    pub client: Client,
    /// Kept alive for the run when the example uses the simulator.
    pub simulator: Option<Simulator>,
    /// Arguments the example did not consume (its own flags).
    pub rest: Vec<String>,
}

impl Target {
    pub fn is_simulated(&self) -> bool {
        self.simulator.is_some()
    }

    /// What the simulator received on media channel `id` (`None` on a real Asterisk).
    pub fn media_probe(&self, id: &str) -> Option<ari_sim::MediaProbe> {
        self.simulator.as_ref()?.control().media(id)
    }
}

/// The start every media example shares: the target, then the example's own flags read by
/// `parse`; a bad setting or flag is printed and gives exit code 2.
pub async fn media_example<T>(
    parse: impl FnOnce(&[String]) -> Result<T, String>,
) -> Result<(Target, T), std::process::ExitCode> {
    let usage = |e: String| {
        eprintln!("error: {e}");
        std::process::ExitCode::from(2)
    };
    let target = target().await.map_err(usage)?;
    let parsed = parse(&target.rest).map_err(usage)?;
    Ok((target, parsed))
}

/// The exit code of example `name`'s run, saying why it failed.
pub fn outcome(name: &str, result: Result<(), String>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name} failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Reads `--url URL --user U --password P --transport http|websocket` (or `ARI_URL`,
/// `ARI_USER`, `ARI_PASSWORD`, `ARI_TRANSPORT`); without a URL, starts the simulator on an
/// ephemeral port.
pub async fn target() -> Result<Target, String> {
    let mut url = std::env::var("ARI_URL").ok().filter(|u| !u.is_empty());
    let mut user = std::env::var("ARI_USER").unwrap_or_else(|_| "hey".to_owned());
    let mut password = std::env::var("ARI_PASSWORD").unwrap_or_else(|_| "peekaboo".to_owned());
    let mut transport = std::env::var("ARI_TRANSPORT").unwrap_or_default();
    let mut rest = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--url" => url = Some(value()?),
            "--user" => user = value()?,
            "--password" => password = value()?,
            "--transport" => transport = value()?,
            _ => rest.push(arg),
        }
    }
    let transport = match transport.as_str() {
        "" | "http" => Transport::Http,
        "websocket" | "ws" => Transport::WebSocket,
        other => return Err(format!("--transport {other}: expected http or websocket")),
    };
    match url {
        Some(url) => {
            let client = Client::builder(url.clone())
                .basic_auth(user, password)
                .timeout(Duration::from_secs(10))
                .transport(transport)
                .build()
                .map_err(|e| e.to_string())?;
            println!("Using Asterisk at {url}{}", transport_note(transport));
            Ok(Target {
                client,
                simulator: None,
                rest,
            })
        }
        None => {
            let simulator = Simulator::builder()
                .media_duration(Duration::from_millis(400))
                .start()
                .await
                .map_err(|e| format!("cannot start the simulator: {e}"))?;
            println!(
                "Using the embedded simulator at {} (set ARI_URL for a real Asterisk){}",
                simulator.base_url(),
                transport_note(transport)
            );
            let (user, password) = simulator.credentials();
            let client = Client::builder(simulator.base_url())
                .basic_auth(user, password)
                .transport(transport)
                .build()
                .map_err(|e| e.to_string())?;
            Ok(Target {
                client,
                simulator: Some(simulator),
                rest,
            })
        }
    }
}

fn transport_note(transport: Transport) -> &'static str {
    match transport {
        Transport::WebSocket => "; REST requests travel over the event WebSocket",
        _ => "",
    }
}

/// One line per event, like the guide's `wscat` output, shortened.
pub fn describe(event: &Event) -> String {
    let mut line = format!("  [{}] {}", event.application(), event.type_name());
    let mut ids = Vec::new();
    event.for_each_resource(|kind, id| ids.push(format!("{kind} {id}")));
    if !ids.is_empty() {
        line.push_str(&format!(" ({})", ids.join(", ")));
    }
    match event {
        Event::StasisStart(e) => line.push_str(&format!(" args={:?}", e.args)),
        Event::ChannelStateChange(e) => line.push_str(&format!(" state={}", e.channel.state)),
        Event::ChannelDtmfReceived(e) => line.push_str(&format!(" digit={}", e.digit)),
        Event::PlaybackStarted(e) => line.push_str(&format!(
            " {} state={}",
            e.playback.media_uri, e.playback.state
        )),
        Event::PlaybackFinished(e) => line.push_str(&format!(
            " {} state={}",
            e.playback.media_uri, e.playback.state
        )),
        _ => {}
    }
    line
}

/// Waits for the first event `pick` accepts, printing every event on the way.
pub async fn wait_for<R>(
    events: &mut EventStream,
    what: &str,
    timeout: Duration,
    mut pick: impl FnMut(&Event) -> Option<R>,
) -> Result<R, String> {
    let wait = async {
        loop {
            match events.next().await {
                None => return Err(format!("{what}: the event stream ended")),
                Some(Err(e)) => println!("  event error: {e}"),
                Some(Ok(Item::Event(event))) => {
                    println!("{}", describe(&event));
                    if let Some(found) = pick(&event) {
                        return Ok(found);
                    }
                }
                Some(Ok(other)) => println!("  connection: {other:?}"),
            }
        }
    };
    tokio::time::timeout(timeout, wait)
        .await
        .map_err(|_| format!("{what}: nothing within {timeout:?}"))?
}

/// What a run created, so it can be removed even when a step fails.
#[derive(Default)]
pub struct Cleanup {
    channels: Vec<String>,
    bridges: Vec<String>,
}

impl Cleanup {
    pub fn channel(&mut self, id: &str) {
        self.channels.push(id.to_owned());
    }
    pub fn bridge(&mut self, id: &str) {
        self.bridges.push(id.to_owned());
    }
    /// Hangs up and destroys whatever still exists (already-gone resources are fine).
    pub async fn run(&mut self, client: &Client) {
        if self.bridges.is_empty() && self.channels.is_empty() {
            return;
        }
        // REST over the WebSocket needs an open event connection; the run's own may be
        // gone by now (it is dropped when a step fails).
        let _connection = match client.transport() {
            Transport::WebSocket => client.events(["ari-rs-cleanup"]).connect().await.ok(),
            _ => None,
        };
        for id in self.bridges.drain(..) {
            if let Err(e) = client.bridge(&id).destroy().await {
                if !e.is_not_found() {
                    eprintln!("cleanup: bridge {id}: {e}");
                }
            }
        }
        for id in self.channels.drain(..) {
            if let Err(e) = client.channel(&id).hangup().await {
                if !e.is_not_found() {
                    eprintln!("cleanup: channel {id}: {e}");
                }
            }
        }
    }
}

/// Names the step in an error: `.map_err(at("answer"))`.
pub fn at<E: std::fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Prints a step heading.
pub fn step(n: u32, text: &str) {
    println!("\n== Step {n}: {text}");
}

/// The flags the media examples share: `--media rtp|audiosocket|websocket` (named so as
/// not to clash with `--transport`, the REST transport), `--seconds N`, `--format F`.
pub struct MediaArgs {
    pub transport: ari_media::MediaTransport,
    pub format: ari_media::AudioFormat,
    pub seconds: Duration,
    /// Flags left for the example itself.
    pub rest: Vec<String>,
}

/// Reads the shared media flags out of `args`; a bad value is an error naming the flag.
/// Without `--format`, AudioSocket gets `slin` when the default is G.711: it carries
/// signed linear audio only.
pub fn media_args(
    args: &[String],
    default_format: ari_media::AudioFormat,
) -> Result<MediaArgs, String> {
    use ari_media::MediaTransport;
    let mut parsed = MediaArgs {
        transport: MediaTransport::Rtp,
        format: default_format,
        seconds: Duration::from_secs(3),
        rest: Vec::new(),
    };
    let mut format_given = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--media" => {
                parsed.transport = match value()?.as_str() {
                    "rtp" => MediaTransport::Rtp,
                    "audiosocket" => MediaTransport::AudioSocket,
                    "websocket" => MediaTransport::WebSocket,
                    other => {
                        return Err(format!(
                            "--media {other}: expected rtp, audiosocket or websocket"
                        ));
                    }
                }
            }
            "--format" => {
                let name = value()?;
                parsed.format = name.parse().map_err(|e| format!("--format {name}: {e}"))?;
                format_given = true;
            }
            "--seconds" => {
                let text = value()?;
                // Bounded: an example is a demonstration, not a service.
                parsed.seconds = text
                    .parse::<f64>()
                    .ok()
                    .filter(|s| (0.2..=600.0).contains(s))
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| format!("--seconds {text}: expected 0.2 to 600"))?;
            }
            _ => parsed.rest.push(arg.clone()),
        }
    }
    let g711 = matches!(
        parsed.format,
        ari_media::AudioFormat::Ulaw | ari_media::AudioFormat::Alaw
    );
    if !format_given && g711 && matches!(parsed.transport, MediaTransport::AudioSocket) {
        parsed.format = ari_media::AudioFormat::Slin;
    }
    Ok(parsed)
}

/// A call into application `app` without a phone: an originate of
/// `Local/<extension>@default` whose `;1` half enters `app` once the dialplan answers.
/// The returned event connection must be kept open for the call's life (Asterisk hands
/// channels only to applications with a connection).
pub async fn call_into(
    client: &Client,
    app: &str,
    extension: &str,
) -> Result<(ari_sdk::Call, EventStream), String> {
    let events = client
        .events([app])
        .connect()
        .await
        .map_err(at("connect"))?;
    let call = client
        .channels()
        .originate(format!("Local/{extension}@default"))
        .app(app)
        .await
        .map_err(at("originate"))?
        .into_call(Duration::from_secs(10))
        .await
        .map_err(at("call answered"))?;
    Ok((call, events))
}
