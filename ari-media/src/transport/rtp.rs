//! RTP over UDP: the application and Asterisk send each other RTP.
