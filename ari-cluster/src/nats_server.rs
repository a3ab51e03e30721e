//! Placeholder: starting a `nats-server` for tests and examples.
