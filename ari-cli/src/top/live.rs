//! The server side of `ari top`: the event stream, opened before the listing so that
//! nothing happens unseen between them, and the state both keep up to date.

use std::time::{Duration, Instant};

use ari_sdk::{Client, Error, EventStream, Item};

use super::state::{Connection, State};

/// What one read of the stream gave.
pub type Next = Option<Result<Item, Error>>;

/// An open event connection and the state it feeds.
pub struct Live {
    client: Client,
    stream: EventStream,
    /// The server as last seen.
    pub state: State,
    ended: bool,
    /// The last error item: why the stream ended, when it does.
    last_error: Option<String>,
}

/// Time allowed for each listing request.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);

impl Live {
    /// Opens the event connection (every event of the system, as application
    /// `ari-top-PID`), then lists channels and bridges.
    pub async fn start(client: &Client) -> Result<Live, Error> {
        let app = format!("ari-top-{}", std::process::id());
        let stream = client
            .events([app.as_str()])
            .subscribe_all(true)
            .connect()
            .await?;
        let mut live = Live {
            client: client.clone(),
            stream,
            state: State::new(Instant::now()),
            ended: false,
            last_error: None,
        };
        live.list().await?;
        Ok(live)
    }

    /// Reads channels and bridges again into the state.
    async fn list(&mut self) -> Result<(), Error> {
        let raw = self.client.raw();
        let channels = raw
            .get("channels")
            .request_timeout(LIST_TIMEOUT)
            .send()
            .await?;
        let bridges = raw
            .get("bridges")
            .request_timeout(LIST_TIMEOUT)
            .send()
            .await?;
        self.state.load(&channels, &bridges);
        Ok(())
    }

    /// Whether the stream is over (nothing more will come).
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// The next item of the stream; safe to cancel (in `select!`).
    pub async fn next(&mut self) -> Next {
        self.stream.next().await
    }

    /// Takes in an item from [`next`](Self::next); returns what to tell the user, if
    /// anything (an error, a failed re-listing).
    pub async fn take(&mut self, next: Next) -> Option<String> {
        match next {
            Some(Ok(Item::Event(event))) => {
                match serde_json::to_value(&event) {
                    Ok(json) => self.state.apply(&json, Instant::now()),
                    // Cannot happen with the SDK's types; count it all the same.
                    Err(_) => self.state.apply(&serde_json::Value::Null, Instant::now()),
                }
                None
            }
            Some(Ok(Item::Connected)) => {
                self.state.connection = Connection::Connected;
                None
            }
            Some(Ok(Item::Disconnected { reason })) => {
                self.state.connection = Connection::Disconnected { reason };
                None
            }
            Some(Ok(Item::Reconnected { attempt })) => {
                self.state.connection = Connection::Reconnected { attempt };
                // Events of the gap are lost: read the state again.
                self.relist("reconnected").await
            }
            // Items later SDKs may add.
            Some(Ok(_)) => None,
            Some(Err(error @ Error::Lagged { .. })) => {
                let told = format!("{error}");
                Some(match self.relist("events were missed").await {
                    Some(failed) => failed,
                    None => format!("{told}; listed again"),
                })
            }
            Some(Err(error)) => {
                let told = error.to_string();
                self.last_error = Some(told.clone());
                Some(told)
            }
            None => {
                self.ended = true;
                let reason = self
                    .last_error
                    .take()
                    .unwrap_or_else(|| "the event connection ended".into());
                self.state.connection = Connection::Ended { reason };
                None
            }
        }
    }

    async fn relist(&mut self, why: &str) -> Option<String> {
        match self.list().await {
            Ok(()) => None,
            Err(error) => Some(format!("{why}, but listing failed: {error}")),
        }
    }

    /// Takes in what comes for `wait` (or until the stream ends).
    pub async fn pump_for(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while !self.ended {
            match tokio::time::timeout_at(deadline, self.next()).await {
                Ok(next) => {
                    self.take(next).await;
                }
                Err(_) => break,
            }
        }
    }

    /// Closes the event connection.
    pub async fn close(self) {
        self.stream.close().await;
    }
}
