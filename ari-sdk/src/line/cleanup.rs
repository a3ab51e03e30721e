// Helpers leave nothing playing or recording behind: a guard stops what a helper started
// unless the helper saw it finish, also when the helper's future is dropped.

use super::super::handles::{LiveRecordingHandle, PlaybackHandle};
use crate::Client;

/// What a helper started.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Started {
    Playback,
    Recording,
}

/// Stops the playback or recording when dropped while still armed.
pub(crate) struct StopOnDrop {
    client: Client,
    what: Started,
    id: String,
    armed: bool,
}

impl StopOnDrop {
    pub(crate) fn new(client: &Client, what: Started, id: String) -> StopOnDrop {
        StopOnDrop {
            client: client.clone(),
            what,
            id,
            armed: true,
        }
    }

    /// The id of what was started.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// It finished by itself: nothing to stop.
    pub(crate) fn disarm(&mut self) {
        self.armed = false;
    }

    /// Stops it now; a 404 (already over) is success.
    pub(crate) async fn stop(&mut self) {
        self.armed = false;
        let result = stop(&self.client, self.what, &self.id).await;
        if let Err(error) = result.filter_gone() {
            tracing::debug!(%error, id = %self.id, "stopping failed");
        }
    }
}

async fn stop(client: &Client, what: Started, id: &str) -> crate::Result<()> {
    match what {
        Started::Playback => PlaybackHandle::new(client.clone(), id)
            .stop()
            .await
            .map(drop),
        Started::Recording => LiveRecordingHandle::new(client.clone(), id)
            .stop()
            .await
            .map(drop),
    }
}

trait FilterGone {
    fn filter_gone(self) -> crate::Result<()>;
}

impl FilterGone for crate::Result<()> {
    fn filter_gone(self) -> crate::Result<()> {
        match self {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(id = %self.id, "cannot stop media: no tokio runtime");
            return;
        };
        let (client, what, id) = (self.client.clone(), self.what, std::mem::take(&mut self.id));
        runtime.spawn(async move {
            if let Err(error) = stop(&client, what, &id).await.filter_gone() {
                tracing::debug!(%error, %id, "stopping after the helper was dropped failed");
            }
        });
    }
}
