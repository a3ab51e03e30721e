//! HTTP/1.1 for plain `http://` ARI roots, done by the task that sends the request: it takes
//! a kept-alive connection from a small pool, writes the request, reads the answer and puts
//! the connection back. hyper's client hands every request to a task of the connection's
//! and the answer back (two wake-ups across threads per request); on loopback against
//! Asterisk that was about half of a request's time. TLS and proxies stay with reqwest.

use std::collections::VecDeque;
use std::io;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Headers beyond these in one answer are an error (Asterisk sends about 8).
const MAX_HEADERS: usize = 64;
/// The head of an answer larger than this is an error, not a reason to read forever.
const MAX_HEAD: usize = 64 * 1024;
/// Connections being opened at once. A burst of requests would otherwise open one each at
/// the same moment and overflow the server's accept queue (Asterisk listens with a backlog
/// of 10 and accepts slowly when busy; a dropped connection attempt is retried a second
/// later), when most of them can take a connection another request is about to hand back.
const CONNECTING_AT_ONCE: usize = 1;

/// Where a request failed, which decides whether it may have run.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No connection: the request never left.
    Connect(io::Error),
    /// The connection failed before any byte of the request was written.
    NotWritten(io::Error),
    /// The request was written (or partly): it may have run.
    Lost(String),
}

/// An answer as read.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) body: Bytes,
}

/// One kept-alive connection.
struct Conn {
    stream: TcpStream,
    idle_since: Instant,
}

/// The pool of one client's connections to one `host:port`.
pub(crate) struct Direct {
    /// `host:port` as the `Host` header and the address to connect to.
    authority: String,
    user_agent: String,
    connect_timeout: Duration,
    idle_timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<Conn>>,
    /// Requests waiting for a connection: one handed back goes to them before the pool.
    waiting: Mutex<VecDeque<oneshot::Sender<TcpStream>>>,
    connecting: tokio::sync::Semaphore,
}

impl Direct {
    /// The direct path for `base`, when it is plain HTTP and no proxy is configured in
    /// the environment (reqwest honours proxies; this path does not).
    pub(crate) fn for_base(
        base: &url::Url,
        user_agent: &str,
        connect_timeout: Duration,
        idle_timeout: Duration,
        max_idle: usize,
    ) -> Option<Direct> {
        const PROXY_VARIABLES: [&str; 4] = ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"];
        if base.scheme() != "http"
            || PROXY_VARIABLES
                .iter()
                .any(|v| std::env::var_os(v).is_some())
        {
            return None;
        }
        let host = base.host_str()?;
        let port = base.port_or_known_default()?;
        Some(Direct {
            authority: format!("{host}:{port}"),
            user_agent: user_agent.to_owned(),
            connect_timeout,
            idle_timeout,
            max_idle,
            idle: Mutex::new(Vec::new()),
            waiting: Mutex::new(VecDeque::new()),
            connecting: tokio::sync::Semaphore::new(CONNECTING_AT_ONCE),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Conn>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A kept-alive connection that is still open, or `None`.
    fn reuse(&self) -> Option<TcpStream> {
        loop {
            let conn = self.lock().pop()?;
            if conn.idle_since.elapsed() >= self.idle_timeout {
                continue;
            }
            // An idle connection has nothing to read: data or an end means the server
            // closed it (or broke the protocol), so it is not used again.
            let mut probe = [0u8; 1];
            match conn.stream.try_read(&mut probe) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Some(conn.stream),
                _ => continue,
            }
        }
    }

    fn put_back(&self, mut stream: TcpStream) {
        loop {
            let waiter = self
                .waiting
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_front();
            let Some(waiter) = waiter else { break };
            match waiter.send(stream) {
                Ok(()) => return,
                // That request went on with a new connection meanwhile.
                Err(back) => stream = back,
            }
        }
        let mut idle = self.lock();
        if idle.len() < self.max_idle {
            idle.push(Conn {
                stream,
                idle_since: Instant::now(),
            });
        }
    }

    /// A kept-alive connection: an idle one, the first another request hands back, or a
    /// new one once it is this request's turn to connect, whichever comes first.
    async fn checkout(&self) -> Result<TcpStream, Failure> {
        if let Some(stream) = self.reuse() {
            return Ok(stream);
        }
        let (handed, handed_back) = oneshot::channel();
        {
            let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            // Requests that went on with a new connection left their places behind; when no
            // connection is ever handed back (a server closing after each answer) nothing
            // else would remove them.
            waiting.retain(|waiter| !waiter.is_closed());
            waiting.push_back(handed);
        }
        let connect_in_turn = async {
            let _turn = self.connecting.acquire().await;
            match self.reuse() {
                Some(stream) => Ok(stream),
                None => self.connect().await,
            }
        };
        tokio::select! {
            biased;
            Ok(stream) = handed_back => Ok(stream),
            connected = connect_in_turn => connected,
        }
    }

    async fn connect(&self) -> Result<TcpStream, Failure> {
        let connecting = TcpStream::connect(self.authority.as_str());
        let stream = match tokio::time::timeout(self.connect_timeout, connecting).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(Failure::Connect(e)),
            Err(_) => {
                return Err(Failure::Connect(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no connection within {:?}", self.connect_timeout),
                )));
            }
        };
        // Requests are one write each: nothing to gain from Nagle's delay.
        stream.set_nodelay(true).map_err(Failure::Connect)?;
        Ok(stream)
    }

    /// Sends one request: `target` is the path and query, `authorization` the whole
    /// header value, `body` JSON.
    pub(crate) async fn send(
        &self,
        method: &str,
        target: &str,
        authorization: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Reply, Failure> {
        let request = self.request_bytes(method, target, authorization, body);
        let mut stream = self.checkout().await?;
        // The first write tells whether anything left: a connection the server closed
        // a moment ago fails it, and the request can go again on another.
        let written = stream.write(&request).await.map_err(Failure::NotWritten)?;
        if written == 0 {
            return Err(Failure::NotWritten(io::ErrorKind::WriteZero.into()));
        }
        stream
            .write_all(&request[written..])
            .await
            .map_err(|e| Failure::Lost(format!("writing the request: {e}")))?;
        let (reply, keep_alive) = read_answer(&mut stream, method == "HEAD").await?;
        if keep_alive {
            self.put_back(stream);
        }
        Ok(reply)
    }

    fn request_bytes(
        &self,
        method: &str,
        target: &str,
        authorization: Option<&str>,
        body: Option<&[u8]>,
    ) -> Vec<u8> {
        let body = body.unwrap_or_default();
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nAccept: */*\r\n",
            self.authority, self.user_agent
        );
        if let Some(value) = authorization {
            head.push_str("Authorization: ");
            head.push_str(value);
            head.push_str("\r\n");
        }
        if !body.is_empty() {
            head.push_str("Content-Type: application/json\r\n");
        }
        if !body.is_empty() || method != "GET" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        bytes
    }
}

/// Reads one answer; whether the connection may carry another request.
async fn read_answer(stream: &mut TcpStream, head_only: bool) -> Result<(Reply, bool), Failure> {
    let mut buffer: Vec<u8> = Vec::with_capacity(8 * 1024);
    let head = loop {
        if read_more(stream, &mut buffer).await? == 0 {
            return Err(Failure::Lost(if buffer.is_empty() {
                "the server closed the connection without answering".to_owned()
            } else {
                "the server closed the connection in the middle of its answer".to_owned()
            }));
        }
        if let Some(head) = parse_head(&buffer)? {
            break head;
        }
        if buffer.len() > MAX_HEAD {
            return Err(Failure::Lost(format!(
                "the answer's head is longer than {MAX_HEAD} bytes"
            )));
        }
    };
    let no_body = head_only || head.status == 204 || head.status == 304 || head.status < 200;
    let (body, ends_at_close) = match (no_body, head.chunked, head.content_length) {
        (true, _, _) => (Bytes::new(), false),
        (false, true, _) => {
            let rest = buffer.split_off(head.length);
            (Bytes::from(read_chunked(stream, rest).await?), false)
        }
        // The body is read on after the head in the same buffer and handed out as a slice
        // of it: no copy.
        (false, false, Some(length)) => {
            let whole = read_exactly(stream, buffer, head.length, length).await?;
            (Bytes::from(whole).slice(head.length..), false)
        }
        (false, false, None) => {
            let whole = read_to_end(stream, buffer).await?;
            (Bytes::from(whole).slice(head.length..), true)
        }
    };
    let reply = Reply {
        status: head.status,
        location: head.location,
        body,
    };
    Ok((reply, head.keep_alive && !ends_at_close))
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<usize, Failure> {
    // Room for a read, without growing a buffer already sized for what is coming.
    if buffer.capacity() - buffer.len() < 1024 {
        buffer.reserve(8 * 1024);
    }
    stream
        .read_buf(buffer)
        .await
        .map_err(|e| Failure::Lost(format!("reading the answer: {e}")))
}

/// What the head of an answer says.
#[derive(Debug)]
struct Head {
    /// Bytes of the head, blank line included.
    length: usize,
    status: u16,
    location: Option<String>,
    content_length: Option<usize>,
    chunked: bool,
    keep_alive: bool,
}

/// The head, once `buffer` holds all of it.
fn parse_head(buffer: &[u8]) -> Result<Option<Head>, Failure> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let length = match response.parse(buffer) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(Failure::Lost(format!("the answer is not HTTP: {e}"))),
    };
    let mut head = Head {
        length,
        status: response.code.unwrap_or_default(),
        location: None,
        content_length: None,
        chunked: false,
        // HTTP/1.1 keeps the connection unless told otherwise; 1.0 only when told.
        keep_alive: response.version == Some(1),
    };
    for header in response.headers.iter() {
        let value = std::str::from_utf8(header.value).unwrap_or_default().trim();
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let length = value.parse().map_err(|_| {
                Failure::Lost(format!(
                    "the answer's Content-Length `{value}` is not a number"
                ))
            })?;
            head.content_length = Some(length);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = value.to_ascii_lowercase().ends_with("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                head.keep_alive = false;
            } else if value.contains("keep-alive") {
                head.keep_alive = true;
            }
        } else if name.eq_ignore_ascii_case("location") {
            head.location = Some(value.to_owned());
        }
    }
    Ok(Some(head))
}

/// Reads until `buffer` holds the head (`head` bytes) and a body of `length` bytes.
async fn read_exactly(
    stream: &mut TcpStream,
    mut buffer: Vec<u8>,
    head: usize,
    length: usize,
) -> Result<Vec<u8>, Failure> {
    let end = head + length;
    buffer.reserve(end.saturating_sub(buffer.len()));
    while buffer.len() < end {
        if read_more(stream, &mut buffer).await? == 0 {
            return Err(Failure::Lost(format!(
                "the server closed the connection after {} of {length} body bytes",
                buffer.len() - head
            )));
        }
    }
    if buffer.len() > end {
        return Err(Failure::Lost(
            "the server sent more than its Content-Length".to_owned(),
        ));
    }
    Ok(buffer)
}

async fn read_to_end(stream: &mut TcpStream, mut body: Vec<u8>) -> Result<Vec<u8>, Failure> {
    while read_more(stream, &mut body).await? > 0 {}
    Ok(body)
}

/// A chunked body: `size CRLF data CRLF` ... `0 CRLF [trailers] CRLF`.
async fn read_chunked(stream: &mut TcpStream, mut input: Vec<u8>) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let line_end = loop {
            if let Some(i) = input[at..].windows(2).position(|w| w == b"\r\n") {
                break at + i;
            }
            if read_more(stream, &mut input).await? == 0 {
                return Err(Failure::Lost("the chunked answer ended early".to_owned()));
            }
        };
        let line = std::str::from_utf8(&input[at..line_end]).unwrap_or_default();
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| Failure::Lost(format!("a chunk size `{size_text}` is not hexadecimal")))?;
        at = line_end + 2;
        if size == 0 {
            // Trailers, if any, end with an empty line.
            loop {
                if let Some(i) = input[at..].windows(2).position(|w| w == b"\r\n") {
                    if i == 0 {
                        return Ok(body);
                    }
                    at += i + 2;
                    continue;
                }
                if read_more(stream, &mut input).await? == 0 {
                    return Err(Failure::Lost("the chunked answer ended early".to_owned()));
                }
            }
        }
        while input.len() < at + size + 2 {
            if read_more(stream, &mut input).await? == 0 {
                return Err(Failure::Lost("the chunked answer ended early".to_owned()));
            }
        }
        body.extend_from_slice(&input[at..at + size]);
        at += size + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A server that answers each connection's requests with `answers`, in turn, then
    /// closes; the requests it read.
    async fn server(answers: Vec<&'static str>) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            for answer in answers {
                let mut request = Vec::new();
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    let mut chunk = [0u8; 1024];
                    let n = socket.read(&mut chunk).await.unwrap();
                    if n == 0 {
                        return seen;
                    }
                    request.extend_from_slice(&chunk[..n]);
                }
                seen.push(String::from_utf8_lossy(&request).into_owned());
                socket.write_all(answer.as_bytes()).await.unwrap();
            }
            seen
        });
        (addr, task)
    }

    fn direct(addr: &str) -> Direct {
        let base = url::Url::parse(&format!("http://{addr}/ari")).unwrap();
        Direct::for_base(
            &base,
            "test",
            Duration::from_secs(1),
            Duration::from_secs(10),
            4,
        )
        .expect("plain http")
    }

    #[tokio::test]
    async fn lengths_chunks_and_keep_alive() {
        let (addr, server) = server(vec![
            "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1,\r\n2;x=y\r\n2]\r\n0\r\nX-T: 1\r\n\r\n",
            "HTTP/1.1 204 No Content\r\n\r\n",
            "HTTP/1.1 201 Created\r\nLocation: /ari/x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
        ])
        .await;
        let direct = direct(&addr);
        let one = direct
            .send("GET", "/ari/a?x=1", Some("Basic abc"), None)
            .await
            .unwrap();
        assert_eq!((one.status, &one.body[..]), (200, &b"{\"a\":1}"[..]));
        let two = direct.send("GET", "/ari/b", None, None).await.unwrap();
        assert_eq!(&two.body[..], b"[1,2]");
        let three = direct
            .send("POST", "/ari/c", None, Some(b"{\"k\":1}"))
            .await
            .unwrap();
        assert_eq!((three.status, three.body.len()), (204, 0));
        let four = direct.send("DELETE", "/ari/d", None, None).await.unwrap();
        assert_eq!(four.location.as_deref(), Some("/ari/x"));
        assert!(direct.lock().is_empty(), "`Connection: close` is not kept");
        let seen = server.await.unwrap();
        assert_eq!(seen.len(), 4, "one connection carried all four: {seen:?}");
        assert!(seen[0].starts_with("GET /ari/a?x=1 HTTP/1.1\r\n"));
        assert!(seen[0].contains("\r\nAuthorization: Basic abc\r\n"));
        assert!(seen[2].contains("Content-Length: 7\r\n"));
        assert!(seen[3].contains("Content-Length: 0\r\n"));
    }

    #[tokio::test]
    async fn a_closed_or_broken_answer_is_lost_and_a_refused_connection_never_sent() {
        let (addr, short) =
            server(vec!["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"]).await;
        match direct_send_err(&addr).await {
            Failure::Lost(reason) => assert!(reason.contains("5 of 10"), "{reason}"),
            other => panic!("{other:?}"),
        }
        short.await.unwrap();
        let (addr, _server) = server(vec!["NOT HTTP AT ALL\r\n\r\n"]).await;
        match direct_send_err(&addr).await {
            Failure::Lost(reason) => assert!(reason.contains("not HTTP"), "{reason}"),
            other => panic!("{other:?}"),
        }
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = closed.local_addr().unwrap().to_string();
        drop(closed);
        assert!(matches!(direct_send_err(&addr).await, Failure::Connect(_)));
    }

    async fn direct_send_err(addr: &str) -> Failure {
        match direct(addr).send("GET", "/ari/a", None, None).await {
            Err(e) => e,
            Ok(reply) => panic!("answered {}", reply.status),
        }
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_while_idle_is_not_reused() {
        let (addr, server) = server(vec!["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"]).await;
        let direct = direct(&addr);
        direct.send("GET", "/ari/a", None, None).await.unwrap();
        server.await.unwrap(); // the server closes the connection after one answer
        assert_eq!(direct.lock().len(), 1);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            direct.reuse().is_none(),
            "a closed connection must not be reused"
        );
    }
}
