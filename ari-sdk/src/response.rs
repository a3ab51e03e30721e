//! A decoded answer with its HTTP facts.

/// What [`send_full`](crate::channels::Play::send_full) returns: the value and the
/// HTTP facts around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Response<T> {
    /// The decoded body.
    pub value: T,
    /// The HTTP status, e.g. `201`.
    pub status: u16,
    /// The `Location` header: Asterisk sets it on `201 Created` answers (play, record),
    /// e.g. `/ari/playbacks/4f08...`.
    pub location: Option<String>,
}
