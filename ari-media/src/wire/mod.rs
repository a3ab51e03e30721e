//! The transports' wire formats, without sockets: RTP packets, AudioSocket frames and the
//! WebSocket media channel's control protocol. The simulator speaks them too.

pub mod audiosocket;
pub mod rtp;
pub mod ws_control;

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    /// Random bytes, often starting like the real thing so parsers get past their first check.
    fn noise(rng: &mut fastrand::Rng, prefix: &[u8]) -> Vec<u8> {
        let len = rng.usize(0..200);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        if rng.bool() {
            let keep = prefix.len().min(bytes.len());
            bytes[..keep].copy_from_slice(&prefix[..keep]);
        }
        bytes
    }

    #[test]
    fn any_bytes_are_a_message_or_an_error_never_a_panic() {
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        for _ in 0..20_000 {
            let _ = super::rtp::parse(&noise(&mut rng, &[0x80, 0x00]));
            let mut buf = BytesMut::from(&noise(&mut rng, &[0x10, 0x01, 0x40])[..]);
            // Decoding consumes what it reads: it ends by asking for more or by erroring on
            // what is left, within as many steps as there are bytes.
            for _ in 0..=buf.len() {
                match super::audiosocket::decode(&mut buf) {
                    Ok(Some(_)) | Err(_) => continue,
                    Ok(None) => break,
                }
            }
            let text = String::from_utf8_lossy(&noise(&mut rng, b"MEDIA_START ")).into_owned();
            let _ = super::ws_control::parse_event(&text);
            let _ = super::ws_control::parse_command(&text);
            let json = String::from_utf8_lossy(&noise(&mut rng, b"{\"event\":\"")).into_owned();
            let _ = super::ws_control::parse_event(&json);
        }
    }
}
