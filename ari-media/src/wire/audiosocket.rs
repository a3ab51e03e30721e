//! AudioSocket framing: a kind byte, a 16-bit big-endian length, the payload.
