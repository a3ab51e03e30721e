//! Asterisk's queue of audio received on a WebSocket media channel (`chan_websocket`):
//! the application's audio is cut into frames of the optimal size and queued; the
//! channel's 20 ms timer "plays" one frame per tick. Marks and buffering completions wait
//! in the queue behind the audio sent before them. Past 900 frames the application is
//! told `MEDIA_XOFF`, below 800 again `MEDIA_XON`; at 1000 audio is dropped.

use std::collections::VecDeque;

use ari_media::wire::ws_control::ControlEvent;

pub const QUEUE_MAX: usize = 1000;
pub const XOFF_LEVEL: usize = 900;
pub const XON_LEVEL: usize = 800;

#[derive(Debug)]
enum Queued {
    /// One frame of audio (only its place matters: nothing plays it anywhere).
    Audio,
    /// An event sent when the play-out reaches it.
    Event(ControlEvent),
}

#[derive(Debug)]
pub struct PlayQueue {
    items: VecDeque<Queued>,
    /// Audio frames queued (events do not count, as in Asterisk).
    pub audio_frames: usize,
    pub full: bool,
    pub paused: bool,
    pub bulk: bool,
    report_drained: bool,
    /// The start of a frame cut short by a message's end, kept while buffering.
    leftover: usize,
    frame_size: usize,
}

/// What taking a message did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pushed {
    pub dropped: bool,
    pub events: Vec<ControlEvent>,
}

impl PlayQueue {
    pub fn new(frame_size: usize) -> Self {
        PlayQueue {
            items: VecDeque::new(),
            audio_frames: 0,
            full: false,
            paused: false,
            bulk: false,
            report_drained: false,
            leftover: 0,
            frame_size: frame_size.max(1),
        }
    }

    /// A binary message of `length` bytes from the application.
    pub fn push_audio(&mut self, length: usize) -> Pushed {
        let mut pushed = Pushed::default();
        if self.audio_frames >= QUEUE_MAX {
            pushed.dropped = true;
            return pushed;
        }
        let mut left = length;
        if self.bulk && self.leftover > 0 {
            let needed = self.frame_size - self.leftover;
            if left < needed {
                self.leftover += left;
                return pushed;
            }
            left -= needed;
            self.leftover = 0;
            self.queue_frame(&mut pushed);
        }
        if !self.bulk {
            self.leftover = 0;
        }
        while left >= self.frame_size {
            self.queue_frame(&mut pushed);
            left -= self.frame_size;
        }
        // Outside buffering a short remainder is dropped, as Asterisk drops it.
        if self.bulk {
            self.leftover = left;
        }
        pushed
    }

    fn queue_frame(&mut self, pushed: &mut Pushed) {
        self.items.push_back(Queued::Audio);
        self.audio_frames += 1;
        if !self.full && self.audio_frames >= XOFF_LEVEL {
            self.full = true;
            pushed.events.push(ControlEvent::MediaXoff);
        }
    }

    /// `MARK_MEDIA`, `STOP_MEDIA_BUFFERING`: an event behind the queued audio.
    pub fn push_event(&mut self, event: ControlEvent) {
        self.items.push_back(Queued::Event(event));
    }

    /// `STOP_MEDIA_BUFFERING`: the partial frame is queued as it is, then the event.
    pub fn stop_buffering(&mut self, completed: ControlEvent) -> Vec<ControlEvent> {
        let mut pushed = Pushed::default();
        self.bulk = false;
        if self.leftover > 0 {
            self.leftover = 0;
            self.queue_frame(&mut pushed);
        }
        self.push_event(completed);
        pushed.events
    }

    /// `FLUSH_MEDIA`: everything queued goes, marks included.
    pub fn flush(&mut self) {
        self.items.clear();
        self.audio_frames = 0;
        self.bulk = false;
        self.leftover = 0;
    }

    pub fn report_drained(&mut self) {
        self.report_drained = true;
    }

    /// One tick of the channel's timer: the events due now, and whether a frame played.
    pub fn tick(&mut self) -> (Vec<ControlEvent>, bool) {
        let mut events = Vec::new();
        if self.paused {
            return (events, false);
        }
        if self.full && self.audio_frames < XON_LEVEL {
            self.full = false;
            events.push(ControlEvent::MediaXon);
        }
        if self.items.is_empty() {
            if std::mem::take(&mut self.report_drained) {
                events.push(ControlEvent::QueueDrained);
            }
            return (events, false);
        }
        while let Some(item) = self.items.pop_front() {
            match item {
                Queued::Event(event) => events.push(event),
                Queued::Audio => {
                    self.audio_frames -= 1;
                    return (events, true);
                }
            }
        }
        (events, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoff_at_900_xon_below_800_drop_at_1000() {
        let mut queue = PlayQueue::new(160);
        let pushed = queue.push_audio(160 * 899);
        assert!(pushed.events.is_empty());
        let pushed = queue.push_audio(160);
        assert_eq!(pushed.events, [ControlEvent::MediaXoff]);
        queue.push_audio(160 * 100);
        assert_eq!(queue.audio_frames, 1000);
        assert!(queue.push_audio(160).dropped);
        let mut xon_at = None;
        for tick in 0..250 {
            let (events, played) = queue.tick();
            assert!(played);
            if events.contains(&ControlEvent::MediaXon) {
                xon_at = Some(tick);
                break;
            }
        }
        // 1000 frames, 201 played before the tick that sees 799 left.
        assert_eq!(xon_at, Some(201));
    }

    #[test]
    fn a_mark_waits_for_the_audio_before_it_and_short_frames_drop() {
        let mut queue = PlayQueue::new(160);
        queue.push_audio(320 + 50);
        let mark = ControlEvent::MediaMarkProcessed { id: "m".into() };
        queue.push_event(mark.clone());
        assert_eq!(queue.tick(), (vec![], true));
        assert_eq!(queue.tick(), (vec![], true));
        assert_eq!(queue.tick(), (vec![mark], false));
        queue.report_drained();
        assert_eq!(queue.tick(), (vec![ControlEvent::QueueDrained], false));
        assert_eq!(queue.tick(), (vec![], false));
    }
}
