//! The runtime's types, generic over a release line's `Event`. Each line module names them
//! with its own events (`ari_sdk::asterisk_22::EventStream` is
//! `EventStream<asterisk_22::Event>`), and the crate root re-exports the root line's names:
//! most code never spells these out. Write against them for code that serves several
//! lines at once.

pub use crate::event_stream::{EventStream, EventsBuilder, Item, Output, ResourceEvents, Running};
pub use crate::runtime::{LineEvent, LineKind};
pub use crate::watch::Watched;
