//! The content fingerprint of a spec: SHA-256 of what generation reads, nothing else.
//!
//! Generation is a function of the parsed [`Spec`], so the fingerprint hashes a canonical
//! rendering of it (each file's name and its parsed content as compact JSON, in listing
//! order). Where the files lie, their whitespace and line endings, and keys the parser
//! ignores (`_copyright`, ...) change nothing; any fact or text that reaches the generated
//! code changes it.

use crate::spec::Spec;

/// `sha256:` and 64 hex digits.
pub fn of_spec(spec: &Spec) -> String {
    let mut canonical = Vec::new();
    let mut put = |name: &str, json: Result<String, serde_json::Error>| {
        // Serializing plain data structs cannot fail; an empty body would still be stable.
        let json = json.unwrap_or_default();
        canonical.extend_from_slice(name.as_bytes());
        canonical.push(b'\n');
        canonical.extend_from_slice(json.as_bytes());
        canonical.push(b'\n');
    };
    put("resources.json", serde_json::to_string(&spec.listing));
    for decl in &spec.declarations {
        put(&decl.file, serde_json::to_string(&decl.api));
    }
    format!("sha256:{}", hex(&sha256(&canonical)))
}

/// The short form shown in labels: the first 12 hex digits.
pub fn short(fingerprint: &str) -> &str {
    let hex = fingerprint.strip_prefix("sha256:").unwrap_or(fingerprint);
    hex.get(..12).unwrap_or(hex)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// SHA-256 (FIPS 180-4). Small and dependency-free: ari-codegen is a build dependency of
/// every ari-sdk user, and this hashes a few hundred kilobytes at most.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    // Padding: 0x80, zeros, then the bit length as a big-endian u64.
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());

    for block in message.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (state, add) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *state = state.wrapping_add(add);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_the_standard_test_vectors() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                b"abc",
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(hex(&sha256(input)), *expected);
        }
        // A million `a`s: many blocks.
        assert_eq!(
            hex(&sha256(&vec![b'a'; 1_000_000])),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        );
        // Lengths around the padding boundary (55, 56, 64 bytes) differ from each other.
        let near: Vec<[u8; 32]> = [55, 56, 63, 64, 65]
            .iter()
            .map(|n| sha256(&vec![b'x'; *n]))
            .collect();
        for (i, a) in near.iter().enumerate() {
            assert!(near[i + 1..].iter().all(|b| b != a));
        }
    }

    fn spec(listing: &str, things: &str) -> Spec {
        Spec::from_documents(listing, |name| {
            assert_eq!(name, "things.json");
            Ok(things.to_owned())
        })
        .unwrap()
    }

    const LISTING: &str =
        r#"{"apiVersion": "1.0.0", "apis": [{"path": "/api-docs/things.{format}"}]}"#;
    const THINGS: &str = r#"{"apis": [{"path": "/things", "operations": [
        {"httpMethod": "GET", "nickname": "list", "responseClass": "void"}]}], "models": {}}"#;

    #[test]
    fn layout_and_ignored_keys_do_not_change_the_fingerprint() {
        let base = of_spec(&spec(LISTING, THINGS));
        assert!(
            base.starts_with("sha256:") && base.len() == 7 + 64,
            "{base}"
        );
        let crlf = THINGS.replace('\n', "\r\n").replace("  ", "\t");
        let headers = LISTING.replacen('{', r#"{"_copyright": "someone", "_author": "x", "#, 1);
        assert_eq!(of_spec(&spec(&headers, &crlf)), base);
        // A fact changes it.
        let other = THINGS.replace("\"list\"", "\"list2\"");
        assert_ne!(of_spec(&spec(LISTING, &other)), base);
        assert_eq!(short(&base).len(), 12);
    }
}
