//! Where to connect and as whom: flags, then the SDK's environment variables, then a named
//! profile of the config file, then the defaults. The password is kept out of every
//! message, including the config file's parse errors (they would quote its line).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// The URL used when no flag, variable or profile gives one: a local Asterisk.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8088/ari";

/// The environment variables read, by setting: the SDK's and its examples' names.
pub const ENV_URL: &str = "ARI_URL";
pub const ENV_USER: &str = "ARI_USER";
pub const ENV_PASSWORD: &str = "ARI_PASSWORD";
pub const ENV_TRANSPORT: &str = "ARI_TRANSPORT";
pub const ENV_PROFILE: &str = "ARI_PROFILE";
/// Overrides where the config file is (tests, several setups side by side).
pub const ENV_CONFIG: &str = "ARI_CONFIG";

/// Settings as given on the command line (all optional).
#[derive(Debug, Default, Clone)]
pub struct Given {
    pub url: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub transport: Option<String>,
    pub profile: Option<String>,
}

/// A password that never shows: not in `Debug`, not in messages.
#[derive(Clone, Default)]
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

/// Where requests go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportChoice {
    Http,
    WebSocket,
}

/// The settings a run uses.
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: String,
    pub user: Option<String>,
    password: Option<Secret>,
    pub transport: TransportChoice,
    /// The profile read, if any: named in messages.
    pub profile: Option<String>,
}

/// One `[profiles.NAME]` table of the config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    url: Option<String>,
    user: Option<String>,
    password: Option<String>,
    transport: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    /// The profile used when neither `--profile` nor `ARI_PROFILE` names one.
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// The config file: `$ARI_CONFIG`, or `config.toml` in the platform's config folder for
/// `ari` (`~/.config/ari/config.toml` on Linux).
pub fn config_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(ENV_CONFIG).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    directories::ProjectDirs::from("", "", "ari").map(|d| d.config_dir().join("config.toml"))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Settings {
    /// Resolves the settings; `Err` is a message for a usage error.
    pub fn resolve(given: Given) -> Result<Settings, String> {
        let config = match config_path() {
            Some(path) => read_config(&path)?,
            None => None,
        };
        let wanted = given
            .profile
            .clone()
            .or_else(|| env(ENV_PROFILE))
            .or_else(|| config.as_ref().and_then(|(_, c)| c.default_profile.clone()));
        let profile = match &wanted {
            None => Profile::default(),
            Some(name) => take_profile(config, name)?,
        };
        // A profile named on the command line wins over the environment; one named by
        // ARI_PROFILE or `default_profile` gives way to the other variables.
        let explicit = given.profile.is_some();
        let pick = |flag: Option<String>, variable: &str, from_profile: Option<String>| {
            if explicit {
                flag.or(from_profile).or_else(|| env(variable))
            } else {
                flag.or_else(|| env(variable)).or(from_profile)
            }
        };
        let url = pick(given.url, ENV_URL, profile.url).unwrap_or_else(|| DEFAULT_URL.to_owned());
        check_url(&url)?;
        let transport = match pick(given.transport, ENV_TRANSPORT, profile.transport).as_deref() {
            None | Some("http") => TransportChoice::Http,
            Some("websocket") => TransportChoice::WebSocket,
            Some(other) => {
                let from = wanted.as_ref().map_or(String::new(), |p| {
                    format!(" (flag, {ENV_TRANSPORT} or profile `{p}`)")
                });
                return Err(format!(
                    "unknown transport `{other}`{from}: `http` or `websocket`"
                ));
            }
        };
        Ok(Settings {
            url,
            user: pick(given.user, ENV_USER, profile.user),
            password: pick(given.password, ENV_PASSWORD, profile.password).map(Secret),
            transport,
            profile: wanted,
        })
    }

    /// An SDK client for these settings.
    pub fn client(&self) -> Result<ari_sdk::Client, ari_sdk::Error> {
        let mut builder = ari_sdk::Client::builder(self.url.clone())
            .user_agent(concat!("ari-cli/", env!("CARGO_PKG_VERSION")));
        if let Some(user) = &self.user {
            let password = self.password.clone().unwrap_or_default();
            builder = builder.basic_auth(user.clone(), password.0);
        }
        if self.transport == TransportChoice::WebSocket {
            builder = builder.transport(ari_sdk::Transport::WebSocket);
        }
        builder.build()
    }

    /// How to say which credentials were refused, without the password.
    pub fn who(&self) -> String {
        let user = match &self.user {
            Some(user) => format!("user `{user}`"),
            None => "no user (none given)".to_owned(),
        };
        let from = match &self.profile {
            Some(profile) => format!(", profile `{profile}`"),
            None => String::new(),
        };
        format!("{user} at {}{from}", self.url)
    }
}

/// A URL with a user or password in it would end up in messages: refused, without
/// repeating it.
fn check_url(url: &str) -> Result<(), String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(
            "the URL must start with http:// or https:// (e.g. http://127.0.0.1:8088/ari)"
                .to_owned(),
        );
    };
    if !matches!(scheme, "http" | "https") {
        return Err(format!(
            "the URL must start with http:// or https://, not {scheme}://"
        ));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(format!(
            "the URL carries credentials: give the user with --user or {ENV_USER} and the \
             password with {ENV_PASSWORD} or a profile, not in the URL"
        ));
    }
    if rest.contains(['?', '#']) {
        return Err(
            "the URL is ARI's root, without a query or fragment (e.g. http://127.0.0.1:8088/ari)"
                .to_owned(),
        );
    }
    Ok(())
}

fn read_config(path: &std::path::Path) -> Result<Option<(PathBuf, ConfigFile)>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        // No file is fine where the default place is, not where ARI_CONFIG points.
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                && std::env::var_os(ENV_CONFIG).is_none_or(|p| p.is_empty()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    match toml::from_str::<ConfigFile>(&text) {
        Ok(config) => Ok(Some((path.to_owned(), config))),
        Err(e) => {
            // The message alone: toml's full error quotes the line, which may hold a password.
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
            let place = line.map_or(String::new(), |l| format!(", line {l}"));
            Err(format!("{}{place}: {}", path.display(), e.message().trim()))
        }
    }
}

fn take_profile(config: Option<(PathBuf, ConfigFile)>, name: &str) -> Result<Profile, String> {
    let Some((path, mut config)) = config else {
        let path =
            config_path().map_or("(no config folder)".to_owned(), |p| p.display().to_string());
        return Err(format!(
            "profile `{name}` not found: there is no config file {path}"
        ));
    };
    config.profiles.remove(name).ok_or_else(|| {
        let known: Vec<&str> = config.profiles.keys().map(String::as_str).collect();
        format!(
            "profile `{name}` not found in {}; it has: {}",
            path.display(),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_with_credentials_is_refused_without_repeating_them() {
        let error = check_url("http://hey:secret@127.0.0.1:8088/ari").unwrap_err();
        assert!(!error.contains("secret"), "{error}");
        assert!(error.contains("--user"), "{error}");
        assert!(check_url("http://127.0.0.1:8088/ari").is_ok());
        assert!(check_url("ftp://x").is_err());
        assert!(
            check_url("http://127.0.0.1:8088/ari?x=1")
                .unwrap_err()
                .contains("query")
        );
    }

    #[test]
    fn a_bad_config_file_is_named_without_its_lines() {
        let dir = std::env::temp_dir().join(format!("ari-cli-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(
            &path,
            "[profiles.lab]\nurl = \"http://x/ari\"\npassword = hunter2\n",
        )
        .unwrap();
        let error = read_config(&path).unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(error.contains("line 3"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_password_never_shows_in_debug() {
        let settings = Settings {
            url: DEFAULT_URL.to_owned(),
            user: Some("hey".to_owned()),
            password: Some(Secret("hunter2".to_owned())),
            transport: TransportChoice::Http,
            profile: None,
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
        assert!(!settings.who().contains("hunter2"));
    }
}
