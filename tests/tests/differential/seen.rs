//! A typed event as the comparison sees it: its application and type, the resource it
//! is about, every id it names, and what it says (a state, a digit, a variable), ids
//! still raw (the transcript normalizes them).

use ari_sdk::{Bridge, Channel, Event, LiveRecording, Playback};

#[derive(Debug, Clone)]
pub struct Seen {
    pub app: String,
    pub ty: String,
    /// The resource whose life the event belongs to: a channel (or a `Dial`'s peer),
    /// else a playback, a recording, a bridge, a device; empty for application events.
    pub subject: String,
    /// Every id and name the event mentions (channels, bridges, media and their
    /// targets), to tell this run's events from other users' and to wait on.
    pub refs: Vec<String>,
    /// Channel names (their numbering differs between servers and runs).
    pub names: Vec<String>,
    /// What the event says beyond its type.
    pub detail: String,
}

impl Seen {
    pub fn new(event: &Event) -> Seen {
        let mut seen = Seen {
            app: event.application().to_owned(),
            ty: event.type_name().to_owned(),
            subject: String::new(),
            refs: Vec::new(),
            names: Vec::new(),
            detail: String::new(),
        };
        seen.describe(event);
        seen
    }

    /// Whether the event names `id` (a channel, bridge, playback or recording).
    pub fn names_id(&self, id: &str) -> bool {
        self.refs.iter().any(|r| r == id)
    }

    fn describe(&mut self, event: &Event) {
        match event {
            Event::StasisStart(e) => {
                self.channel(&e.channel);
                self.say(format!(
                    "args=[{}] state={}",
                    e.args.join(","),
                    e.channel.state.as_str()
                ));
            }
            Event::StasisEnd(e) => self.channel(&e.channel),
            Event::ChannelCreated(e) => self.channel(&e.channel),
            Event::ChannelStateChange(e) => {
                self.channel(&e.channel);
                self.say(e.channel.state.as_str().to_owned());
            }
            Event::ChannelDialplan(e) => {
                self.channel(&e.channel);
                self.say(format!("{}({})", e.dialplan_app, e.dialplan_app_data));
            }
            Event::ChannelVarset(e) => {
                if let Some(channel) = &e.channel {
                    self.channel(channel);
                }
                self.say(format!("{}={}", e.variable, e.value));
            }
            Event::ChannelDtmfReceived(e) => {
                self.channel(&e.channel);
                self.say(e.digit.clone());
            }
            Event::ChannelHangupRequest(e) => {
                self.channel(&e.channel);
                self.say(format!(
                    "cause={} soft={}",
                    e.cause.map_or("-".to_owned(), |c| c.to_string()),
                    e.soft.unwrap_or(false)
                ));
            }
            Event::ChannelDestroyed(e) => {
                self.channel(&e.channel);
                self.say(format!("cause={} {}", e.cause, e.cause_txt));
            }
            Event::ChannelHold(e) => {
                self.channel(&e.channel);
                self.say(e.musicclass.clone().unwrap_or_default());
            }
            Event::ChannelUnhold(e) => self.channel(&e.channel),
            Event::ChannelCallerId(e) => {
                self.channel(&e.channel);
                self.say(e.channel.caller.number.clone());
            }
            Event::ChannelConnectedLine(e) => {
                self.channel(&e.channel);
                self.say(e.channel.connected.number.clone());
            }
            Event::ChannelEnteredBridge(e) => {
                if let Some(channel) = &e.channel {
                    self.channel(channel);
                }
                self.bridge(&e.bridge);
            }
            Event::ChannelLeftBridge(e) => {
                self.channel(&e.channel);
                self.bridge(&e.bridge);
            }
            Event::BridgeCreated(e) => self.bridge(&e.bridge),
            Event::BridgeDestroyed(e) => self.bridge(&e.bridge),
            Event::Dial(e) => {
                self.channel(&e.peer);
                if let Some(caller) = &e.caller {
                    self.mention(caller);
                }
                self.say(format!("dialstatus={}", e.dialstatus));
            }
            Event::PlaybackStarted(e) => self.playback(&e.playback),
            Event::PlaybackContinuing(e) => self.playback(&e.playback),
            Event::PlaybackFinished(e) => self.playback(&e.playback),
            Event::RecordingStarted(e) => self.recording(&e.recording),
            Event::RecordingFinished(e) => self.recording(&e.recording),
            Event::RecordingFailed(e) => self.recording(&e.recording),
            Event::ChannelUserevent(e) => {
                if let Some(channel) = &e.channel {
                    self.channel(channel);
                }
                if let Some(bridge) = &e.bridge {
                    self.bridge(bridge);
                }
                self.refs.push(e.eventname.clone());
                self.say(format!("{} {}", e.eventname, e.userevent));
            }
            Event::DeviceStateChanged(e) => {
                self.about(&e.device_state.name);
                self.say(e.device_state.state.as_str().to_owned());
            }
            _ => {}
        }
    }

    fn say(&mut self, detail: String) {
        if self.detail.is_empty() {
            self.detail = detail;
        } else {
            self.detail = format!("{} {detail}", self.detail);
        }
    }

    fn about(&mut self, id: &str) {
        if self.subject.is_empty() {
            self.subject = id.to_owned();
        }
        self.refs.push(id.to_owned());
    }

    fn channel(&mut self, channel: &Channel) {
        self.about(&channel.id);
        self.names.push(channel.name.clone());
    }

    /// A channel the event names without being about it (a `Dial`'s caller).
    fn mention(&mut self, channel: &Channel) {
        self.refs.push(channel.id.clone());
        self.names.push(channel.name.clone());
    }

    fn bridge(&mut self, bridge: &Bridge) {
        self.about(&bridge.id);
        self.say(format!(
            "bridge={} type={}",
            bridge.id,
            bridge.bridge_type.as_str()
        ));
    }

    fn target(&mut self, uri: &str) {
        if let Some((_, id)) = uri.split_once(':') {
            self.refs.push(id.to_owned());
        }
    }

    fn playback(&mut self, playback: &Playback) {
        self.about(&playback.id);
        self.target(&playback.target_uri);
        self.say(format!(
            "{} {} on {}{}",
            playback.state.as_str(),
            playback.media_uri,
            playback.target_uri,
            playback
                .next_media_uri
                .as_ref()
                .map_or(String::new(), |next| format!(" next {next}"))
        ));
    }

    fn recording(&mut self, recording: &LiveRecording) {
        self.about(&recording.name);
        self.target(&recording.target_uri);
        self.say(format!(
            "{} {} of {}",
            recording.state.as_str(),
            recording.format,
            recording.target_uri
        ));
    }
}
