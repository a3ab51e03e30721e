//! A bounded queue that drops the newest items when full and says how many it dropped,
//! where it dropped them: memory stays bounded and no loss is silent.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

enum Entry<T> {
    Item(T),
    /// This many items were dropped here.
    Lagged(u64),
}

struct State<T> {
    entries: VecDeque<Entry<T>>,
    items: usize,
    capacity: usize,
    closed: bool,
    waker: Option<Waker>,
}

/// One producer side (the connection task), one consumer (a stream).
pub(crate) struct Queue<T> {
    state: Mutex<State<T>>,
}

/// What the consumer gets.
pub(crate) enum Popped<T> {
    Item(T),
    Lagged(u64),
}

impl<T> Queue<T> {
    pub(crate) fn new(capacity: usize) -> Queue<T> {
        Queue {
            state: Mutex::new(State {
                entries: VecDeque::new(),
                items: 0,
                capacity: capacity.max(1),
                closed: false,
                waker: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<T>> {
        // A panic elsewhere cannot leave the queue inconsistent: every change is one step.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an item; when full, counts it as dropped. Returns the number dropped so far
    /// in the current gap (0 when queued), or `None` when the consumer is gone.
    pub(crate) fn push(&self, item: T) -> Option<u64> {
        let mut state = self.lock();
        if state.closed {
            return None;
        }
        let dropped = if state.items < state.capacity {
            state.entries.push_back(Entry::Item(item));
            state.items += 1;
            0
        } else {
            match state.entries.back_mut() {
                Some(Entry::Lagged(n)) => {
                    *n += 1;
                    *n
                }
                _ => {
                    state.entries.push_back(Entry::Lagged(1));
                    1
                }
            }
        };
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
        Some(dropped)
    }

    /// No more items will come; the consumer drains what is queued, then ends.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        if let Some(waker) = state.waker.take() {
            waker.wake();
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    pub(crate) fn poll_pop(&self, cx: &mut Context<'_>) -> Poll<Option<Popped<T>>> {
        let mut state = self.lock();
        match state.entries.pop_front() {
            Some(Entry::Item(item)) => {
                state.items -= 1;
                Poll::Ready(Some(Popped::Item(item)))
            }
            Some(Entry::Lagged(n)) => Poll::Ready(Some(Popped::Lagged(n))),
            None if state.closed => Poll::Ready(None),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn drain(queue: &Queue<u32>) -> Vec<String> {
        let mut cx = Context::from_waker(Waker::noop());
        let mut out = Vec::new();
        while let Poll::Ready(Some(p)) = queue.poll_pop(&mut cx) {
            out.push(match p {
                Popped::Item(i) => i.to_string(),
                Popped::Lagged(n) => format!("lagged {n}"),
            });
        }
        out
    }

    #[test]
    fn a_full_queue_reports_the_gap_in_place() {
        let queue = Queue::new(2);
        for i in 0..5 {
            queue.push(i);
        }
        assert_eq!(drain(&queue), ["0", "1", "lagged 3"]);
        queue.push(7);
        assert_eq!(drain(&queue), ["7"]);
    }

    #[test]
    fn a_closed_queue_drains_then_ends() {
        let queue = Queue::new(4);
        queue.push(1);
        queue.close();
        assert_eq!(queue.push(2), None);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(matches!(
            queue.poll_pop(&mut cx),
            Poll::Ready(Some(Popped::Item(1)))
        ));
        assert!(matches!(queue.poll_pop(&mut cx), Poll::Ready(None)));
    }
}
