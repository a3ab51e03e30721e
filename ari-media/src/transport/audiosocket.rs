//! AudioSocket over TCP: Asterisk connects to the application.
