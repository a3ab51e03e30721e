//! A small receive-side jitter buffer for RTP: reorders, drops late and duplicate packets, counts loss.
