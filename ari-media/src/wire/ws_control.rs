//! The control protocol of Asterisk's WebSocket media channel (`chan_websocket`): text
//! frames beside the binary audio frames, in the plain one-line form or, from Asterisk
//! 22.6, as JSON objects.

/// How control messages are written on a connection (Asterisk's `control_message_format`,
/// or the `f(...)` dial option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ControlFormat {
    /// `COMMAND arg` / `EVENT key:value key:value` lines.
    #[default]
    Plain,
    /// `{"command": ...}` / `{"event": ...}` objects.
    Json,
}

/// Which way media flows, from the application's point of view (`SET_MEDIA_DIRECTION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaDirection {
    /// Both ways.
    Both,
    /// Asterisk sends the application audio and drops what it receives (`in`).
    In,
    /// Asterisk only takes audio from the application (`out`).
    Out,
}

/// A command the application sends to Asterisk.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Answer the media channel (when it was created not to answer by itself).
    Answer,
    /// Hang the media channel up.
    Hangup,
    /// Audio that follows is a bulk transfer: Asterisk queues it and re-times it itself.
    StartMediaBuffering,
    /// The bulk transfer is complete; Asterisk answers `MEDIA_BUFFERING_COMPLETED` with
    /// `id` once it has queued it.
    StopMediaBuffering {
        /// Echoed back in the event.
        id: String,
    },
    /// Asks for `MEDIA_MARK_PROCESSED` with `id` once the audio queued before it has played.
    MarkMedia {
        /// Echoed back in the event.
        id: String,
    },
    /// Drop every queued frame.
    FlushMedia,
    /// Asks for a `STATUS` event.
    GetStatus,
    /// Asks for one `QUEUE_DRAINED` event when the queue is next empty.
    ReportQueueDrained,
    /// Stop playing queued audio (it stays queued).
    PauseMedia,
    /// Resume playing queued audio.
    ContinueMedia,
    /// Change which way media flows.
    SetMediaDirection(MediaDirection),
}

/// Asterisk's `STATUS` event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DriverStatus {
    /// Frames queued for the call.
    pub queue_length: u32,
    /// Queue length at which Asterisk says `MEDIA_XON` again.
    pub xon_level: u32,
    /// Queue length at which Asterisk says `MEDIA_XOFF`.
    pub xoff_level: u32,
    /// Whether the queue is past `xoff_level`.
    pub queue_full: bool,
    /// Whether a bulk transfer is in progress.
    pub bulk_media: bool,
    /// Whether playing is paused.
    pub media_paused: bool,
}

/// `MEDIA_START`: sent by Asterisk once the connection is up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MediaStart {
    /// The connection id (the channel variable `MEDIA_WEBSOCKET_CONNECTION_ID`).
    pub connection_id: String,
    /// The media channel's name.
    pub channel: String,
    /// The media channel's id.
    pub channel_id: String,
    /// The audio format's Asterisk name.
    pub format: String,
    /// Bytes in one frame of `ptime` milliseconds.
    pub optimal_frame_size: u32,
    /// Milliseconds per frame.
    pub ptime: u32,
}

/// An event Asterisk sends on the control channel.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlEvent {
    /// The media connection is up.
    MediaStart(MediaStart),
    /// Asterisk's queue is full: stop sending audio.
    MediaXoff,
    /// Asterisk's queue has room again.
    MediaXon,
    /// The queue became empty (after `REPORT_QUEUE_DRAINED`).
    QueueDrained,
    /// A bulk transfer was queued.
    MediaBufferingCompleted {
        /// The id given in `STOP_MEDIA_BUFFERING`.
        id: String,
    },
    /// The audio before a mark has played.
    MediaMarkProcessed {
        /// The id given in `MARK_MEDIA`.
        id: String,
    },
    /// A DTMF digit ended.
    DtmfEnd {
        /// The digit.
        digit: char,
    },
    /// The answer to `GET_STATUS`.
    Status(DriverStatus),
    /// Asterisk refused a command.
    Error {
        /// Asterisk's text.
        message: String,
    },
    /// An event this library does not know (a newer Asterisk): kept as sent.
    Other {
        /// The event name.
        name: String,
        /// The whole message.
        text: String,
    },
}
