//! Waiting on a resource's stream for an event of your choosing.

use std::time::Duration;

use super::ResourceEvents;
use crate::runtime::{LineEvent, LineKind};
use crate::{Error, Result};

impl<E: LineEvent> ResourceEvents<E> {
    /// Waits for the first event `accept` maps to a value. Fails with [`Error::Gone`]
    /// when the stream ends (the resource is gone) and [`Error::WaitTimedOut`] after
    /// `timeout`. The waits of each line (`next_dtmf`, `wait_for_state`,
    /// `wait_for_hangup`) are made of it.
    pub async fn wait_for<R>(
        &mut self,
        timeout: Duration,
        mut accept: impl FnMut(&E) -> Option<R>,
    ) -> Result<R> {
        let what = format!("an awaited event of {} {}", self.kind().name(), self.id());
        let wait = async {
            while let Some(item) = self.next().await {
                if let Some(value) = accept(&item?) {
                    return Ok(value);
                }
            }
            Err(Error::Gone {
                what: what.clone(),
                event: match self.end_reason() {
                    Some(reason) => format!("the end of the event connection: {reason}"),
                    None => "end of the resource's events".to_owned(),
                },
            })
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| Error::WaitTimedOut {
                what: what.clone(),
                timeout,
            })?
    }
}
