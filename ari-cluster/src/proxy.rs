//! Placeholder: the proxy is being written (see the `cluster` branch work).
