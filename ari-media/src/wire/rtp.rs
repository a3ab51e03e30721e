//! RTP (RFC 3550) packets as Asterisk's `UnicastRTP` channel sends and takes them.
