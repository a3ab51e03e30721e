//! What the hand-written runtime needs to know about one release line's events, as traits
//! each generated line implements from its spec (`asterisk_NN/line.rs`). The event
//! connection, the per-resource streams and the copy counting are generic over them, so
//! every enabled line gets them whole, with its own `Event` type.

use std::fmt::Debug;
use std::hash::Hash;

use serde::Serialize;

use super::EventSet;

/// A line's `ResourceKind` enum: the resources events concern and streams subscribe to.
pub trait LineKind: Copy + Eq + Hash + Debug + Send + Sync + Unpin + 'static {
    /// The line's `Event`, whose resources these are.
    type Event: LineEvent<Kind = Self>;
    /// The model name, e.g. `Channel`, as errors and logs print it.
    fn name(self) -> &'static str;
    /// The resource a media `target_uri` names (`channel:ID` -> the channel `ID`), for
    /// the kinds media plays to or records from.
    fn of_target_uri(uri: &str) -> Option<(Self, &str)>;
}

/// A line's `Event` enum, with the facts of its spec the runtime routes by.
pub trait LineEvent:
    EventSet + Clone + Debug + PartialEq + Serialize + Send + Sync + 'static
{
    /// The line's resource kinds.
    type Kind: LineKind<Event = Self>;

    /// The event's `type`, e.g. `StasisStart`.
    fn type_name(&self) -> &str;
    /// The application the event was sent to (empty when the spec has none).
    fn application(&self) -> &str;
    /// Calls `visit(kind, id)` for every resource the event concerns.
    fn for_each_resource(&self, visit: impl FnMut(Self::Kind, &str));
    /// Whether the event ends the stream of the resource of `kind` it concerns (a channel's
    /// `StasisEnd`, a playback's `PlaybackFinished`): it is delivered, then the stream ends.
    fn ends_stream_of(&self, kind: Self::Kind) -> bool;
    /// For a `StasisStart`: the application and the channel id; a connection in call mode
    /// opens a call for it.
    fn call_start(&self) -> Option<(&str, &str)>;
    /// The kind of the resources calls are made of (`Channel`), when the spec has them.
    fn call_kind() -> Option<Self::Kind>;
    /// Whether, as an event of the channel or bridge media plays to or records from, it
    /// means that target is going away (the media cannot finish normally).
    fn ends_media_target(&self) -> bool;
    /// For an `ApplicationReplaced`: the application another connection took over.
    fn replaced_application(&self) -> Option<&str>;
}
