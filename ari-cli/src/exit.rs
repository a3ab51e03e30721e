//! The exit codes: one list, which `main` returns, `ari --help` prints and the tests read.

/// How a run of `ari` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The request was answered with success.
    Ok,
    /// Something else went wrong (writing the output, an answer that could not be read).
    Failed,
    /// The command line is wrong: unknown command, missing or bad parameter, bad profile.
    Usage,
    /// Asterisk answered 404: no such channel, bridge, recording, ...
    NotFound,
    /// Asterisk answered 409 or 412: the resource is not in a state that allows it.
    Conflict,
    /// Asterisk answered another error status (400, 500, ...).
    Refused,
    /// Asterisk could not be reached, or the connection failed or timed out.
    Connection,
    /// Asterisk refused the credentials (401) or the user's rights (403).
    Credentials,
}

/// Every exit code with what it means, in the order `--help` lists them.
pub const EXITS: &[Exit] = &[
    Exit::Ok,
    Exit::Failed,
    Exit::Usage,
    Exit::NotFound,
    Exit::Conflict,
    Exit::Refused,
    Exit::Connection,
    Exit::Credentials,
];

impl Exit {
    /// The process's exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::NotFound => 3,
            Exit::Conflict => 4,
            Exit::Refused => 5,
            Exit::Connection => 6,
            Exit::Credentials => 7,
        }
    }

    /// What the code means, for `--help`.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "success",
            Exit::Failed => "another failure (writing the output, reading the answer)",
            Exit::Usage => {
                "bad command line: unknown command, missing or invalid parameter, unknown profile"
            }
            Exit::NotFound => "Asterisk answered 404 (no such channel, bridge, recording, ...)",
            Exit::Conflict => "Asterisk answered 409 or 412 (not in a state that allows it)",
            Exit::Refused => "Asterisk answered another error status (400, 500, ...)",
            Exit::Connection => {
                "Asterisk could not be reached, or the connection failed or timed out"
            }
            Exit::Credentials => {
                "Asterisk refused the credentials (401) or the user's rights (403)"
            }
        }
    }

    /// The exit code an SDK error ends the run with.
    pub fn of(error: &ari_sdk::Error) -> Exit {
        use ari_sdk::Error;
        match error {
            Error::Status(status) => match status.status {
                404 => Exit::NotFound,
                409 | 412 => Exit::Conflict,
                401 | 403 => Exit::Credentials,
                _ => Exit::Refused,
            },
            Error::Transport { .. }
            | Error::ConnectionLost { .. }
            | Error::Timeout { .. }
            | Error::NoEventConnection { .. } => Exit::Connection,
            Error::InvalidArgument { .. } => Exit::Usage,
            _ => Exit::Failed,
        }
    }

    /// The exit codes as `ari --help` shows them.
    pub fn table() -> String {
        let mut text = String::from("Exit codes:\n");
        for exit in EXITS {
            text.push_str(&format!("  {}  {}\n", exit.code(), exit.meaning()));
        }
        text
    }
}
