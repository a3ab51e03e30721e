//! HTTP sessions limited as Asterisk's HTTP server limits them (http.conf): at most
//! `sessionlimit` connections at once (default 100; one more is closed at once, without
//! an answer, and Asterisk logs "HTTP session count exceeded"), a connection that sends
//! no request closed after `session_inactivity` (default 30 s), and one idle after an
//! answer closed after `session_keep_alive` (default 15 s). Event WebSockets count toward
//! the limit; once upgraded, a connection has no idle limit.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// Asterisk's HTTP session limits; [`Default`] gives Asterisk's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Connections served at once (`sessionlimit`).
    pub limit: usize,
    /// Idle time after an answer before the connection is closed (`session_keep_alive`).
    pub keep_alive: Duration,
    /// Time a new connection may take to send its first request (`session_inactivity`).
    pub inactivity: Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            limit: 100,
            keep_alive: Duration::from_secs(15),
            inactivity: Duration::from_secs(30),
        }
    }
}

/// What the sessions did, for tests.
#[derive(Debug, Default)]
pub(crate) struct SessionCounts {
    live: AtomicUsize,
    peak: AtomicUsize,
    refused: AtomicU64,
}

impl SessionCounts {
    pub(crate) fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }
    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }
}

/// A listener that hands out [`Session`]s within the limits.
pub(crate) struct LimitedListener {
    listener: TcpListener,
    limits: SessionLimits,
    counts: Arc<SessionCounts>,
}

impl LimitedListener {
    pub(crate) fn new(
        listener: TcpListener,
        limits: SessionLimits,
        counts: Arc<SessionCounts>,
    ) -> Self {
        LimitedListener {
            listener,
            limits,
            counts,
        }
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = Session;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Session, std::net::SocketAddr) {
        {
            loop {
                let (stream, addr) = match self.listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let live = self.counts.live.fetch_add(1, Ordering::SeqCst) + 1;
                if live > self.limits.limit {
                    self.counts.live.fetch_sub(1, Ordering::SeqCst);
                    self.counts.refused.fetch_add(1, Ordering::SeqCst);
                    tracing::warn!(limit = self.limits.limit, %addr, "HTTP session count exceeded");
                    drop(stream);
                    continue;
                }
                self.counts.peak.fetch_max(live, Ordering::SeqCst);
                return (Session::new(stream, self.limits, self.counts.clone()), addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }
}

/// One connection: reads end (EOF, so the server closes it) when it stays idle too long.
pub(crate) struct Session {
    stream: TcpStream,
    limits: SessionLimits,
    counts: Arc<SessionCounts>,
    idle: Pin<Box<Sleep>>,
    /// A WebSocket upgrade was asked for: no idle limit.
    upgraded: bool,
    /// Still reading the first request's head (where an upgrade shows).
    in_first_head: bool,
}

impl Session {
    fn new(stream: TcpStream, limits: SessionLimits, counts: Arc<SessionCounts>) -> Session {
        Session {
            stream,
            limits,
            counts,
            idle: Box::pin(tokio::time::sleep(limits.inactivity)),
            upgraded: false,
            in_first_head: true,
        }
    }

    fn active(&mut self) {
        let until = Instant::now() + self.limits.keep_alive;
        self.idle.as_mut().reset(until);
    }

    fn sniff(&mut self, read: &[u8]) {
        let text = String::from_utf8_lossy(read).to_ascii_lowercase();
        if text.contains("upgrade: websocket") {
            self.upgraded = true;
        }
        if text.contains("\r\n\r\n") {
            self.in_first_head = false;
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.counts.live.fetch_sub(1, Ordering::SeqCst);
    }
}

impl AsyncRead for Session {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let read = buf.filled()[before..].to_vec();
                if !read.is_empty() {
                    if this.in_first_head {
                        this.sniff(&read);
                    }
                    this.active();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if !this.upgraded && this.idle.as_mut().poll(cx).is_ready() => {
                // Idle too long: the end of the stream, as when Asterisk closes it.
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for Session {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write(cx, data);
        if let Poll::Ready(Ok(n)) = written {
            if n > 0 {
                this.active();
            }
        }
        written
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
