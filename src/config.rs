//! Settings from the environment, parsed once into typed values. Every bad
//! value is an error that names its setting.

use crate::db::DatabaseUrl;
use rand::RngCore;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use url::Url;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
/// The sender of mails unless `REDRESS_MAIL_FROM` says otherwise.
pub const DEFAULT_MAIL_FROM: &str = "Redress Support <support@redress.local>";
/// Tries before a mail is marked failed.
pub const DEFAULT_MAIL_TRIES: i64 = 8;
/// Smallest secret we accept: the session key is derived from it.
const MIN_SECRET_BYTES: usize = 32;
const SECRET_FILE: &str = "secret.key";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.into(),
    }
}

/// Where e-mail goes: an SMTP server, or `.eml` files in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailUrl {
    Smtp(Url),
    Smtps(Url),
    Files(PathBuf),
}

impl MailUrl {
    pub fn parse(text: &str) -> Result<MailUrl, String> {
        // file://./data/mail is a relative folder, which Url would not keep.
        if let Some(path) = text.strip_prefix("file://") {
            if path.is_empty() {
                return Err("file:// needs a folder, e.g. file://./data/mail".into());
            }
            return Ok(MailUrl::Files(PathBuf::from(path)));
        }
        // The URL may hold a password: errors never repeat it.
        let url = Url::parse(text).map_err(|e| format!("is not a URL ({e})"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err("names no host".to_owned());
        }
        match url.scheme() {
            "smtp" => Ok(MailUrl::Smtp(url)),
            "smtps" => Ok(MailUrl::Smtps(url)),
            other => Err(format!(
                "unknown scheme '{other}': use smtp://, smtps:// or file://"
            )),
        }
    }
}

/// The key material for session cookies. Never printed.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    pub data_dir: PathBuf,
    pub mail_url: MailUrl,
    /// Who mails come from (`REDRESS_MAIL_FROM`).
    pub mail_from: lettre::message::Mailbox,
    /// Tries before a mail is marked failed (`REDRESS_MAIL_TRIES`).
    pub mail_tries: i64,
    /// `REDRESS_SECRET` when given; otherwise kept in the data folder.
    pub secret: Option<Secret>,
    pub base_url: Url,
    /// Whether `base_url` was given, or follows the bind address.
    base_url_given: bool,
    /// Proxies whose `X-Forwarded-For` is believed (`REDRESS_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Settings {
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can hand in their own.
    /// An empty value counts as not set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let bind_text = get("REDRESS_BIND").unwrap_or_else(|| DEFAULT_BIND.to_owned());
        let bind = parse_bind(&bind_text).map_err(|reason| invalid("REDRESS_BIND", reason))?;

        let data_dir =
            PathBuf::from(get("REDRESS_DATA_DIR").unwrap_or_else(|| DEFAULT_DATA_DIR.to_owned()));

        let database_url = match get("DATABASE_URL") {
            Some(text) => {
                DatabaseUrl::parse(&text).map_err(|e| invalid("DATABASE_URL", e.to_string()))?
            }
            None => DatabaseUrl::Sqlite(data_dir.join("redress.db")),
        };

        let mail_url = match get("REDRESS_MAIL_URL") {
            Some(text) => {
                MailUrl::parse(&text).map_err(|reason| invalid("REDRESS_MAIL_URL", reason))?
            }
            None => MailUrl::Files(data_dir.join("mail")),
        };

        let mail_from = get("REDRESS_MAIL_FROM")
            .unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned())
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| {
                invalid(
                    "REDRESS_MAIL_FROM",
                    format!("is not a sender address ({e})"),
                )
            })?;
        let mail_tries = match get("REDRESS_MAIL_TRIES") {
            Some(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=50).contains(n))
                .ok_or_else(|| {
                    invalid("REDRESS_MAIL_TRIES", "must be a whole number from 1 to 50")
                })?,
            None => DEFAULT_MAIL_TRIES,
        };

        let secret = match get("REDRESS_SECRET") {
            Some(text) if text.len() < MIN_SECRET_BYTES => {
                return Err(invalid(
                    "REDRESS_SECRET",
                    format!("must be at least {MIN_SECRET_BYTES} characters"),
                ));
            }
            Some(text) => Some(Secret(text.into_bytes())),
            None => None,
        };

        let base_url_given = get("REDRESS_BASE_URL").is_some();
        let base_url = match get("REDRESS_BASE_URL") {
            Some(text) => {
                parse_base_url(&text).map_err(|reason| invalid("REDRESS_BASE_URL", reason))?
            }
            None => base_url_for(bind)?,
        };

        let trusted_proxies = match get("REDRESS_TRUSTED_PROXIES") {
            Some(text) => parse_networks(&text)
                .map_err(|reason| invalid("REDRESS_TRUSTED_PROXIES", reason))?,
            None => Vec::new(),
        };

        Ok(Settings {
            bind,
            database_url,
            data_dir,
            mail_url,
            mail_from,
            mail_tries,
            secret,
            base_url,
            base_url_given,
            trusted_proxies,
        })
    }

    /// Listens elsewhere (`serve --bind`); links follow unless a base URL was given.
    pub fn rebind(&mut self, bind: SocketAddr) -> Result<(), ConfigError> {
        if !self.base_url_given {
            self.base_url = base_url_for(bind)?;
        }
        self.bind = bind;
        Ok(())
    }

    /// The secret from `REDRESS_SECRET`, or the one kept in the data folder,
    /// created with 64 random bytes on first start.
    pub fn load_or_create_secret(&self) -> Result<Secret, ConfigError> {
        if let Some(secret) = &self.secret {
            return Ok(secret.clone());
        }
        let path = self.data_dir.join(SECRET_FILE);
        let io_error = |source| ConfigError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => hex::decode(text.trim())
                .ok()
                .filter(|bytes| bytes.len() >= MIN_SECRET_BYTES)
                .map(Secret)
                .ok_or_else(|| {
                    invalid(
                        "REDRESS_SECRET",
                        format!("{} is not a valid secret file", path.display()),
                    )
                }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = vec![0_u8; 64];
                rand::rng().fill_bytes(&mut bytes);
                std::fs::create_dir_all(&self.data_dir).map_err(io_error)?;
                write_private_file(&path, hex::encode(&bytes).as_bytes()).map_err(io_error)?;
                Ok(Secret(bytes))
            }
            Err(error) => Err(io_error(error)),
        }
    }
}

/// Addresses and networks, comma separated: `10.0.0.5, 10.1.0.0/16, ::1`.
fn parse_networks(text: &str) -> Result<Vec<ipnet::IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<ipnet::IpNet>()
                .or_else(|_| part.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    format!("'{part}' is not an IP address or network (such as 10.0.0.0/8)")
                })
        })
        .collect()
}

fn parse_bind(text: &str) -> Result<SocketAddr, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("'{text}' is not an address and port like {DEFAULT_BIND}"))
}

/// `http://` and the bind address; `localhost` for a wildcard address.
fn base_url_for(bind: SocketAddr) -> Result<Url, ConfigError> {
    let host = if bind.ip().is_unspecified() {
        format!("localhost:{}", bind.port())
    } else {
        bind.to_string()
    };
    parse_base_url(&format!("http://{host}/")).map_err(|reason| invalid("REDRESS_BIND", reason))
}

fn parse_base_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("'{text}' is not a URL ({e})"))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        _ => Err(format!("'{text}' must be an http:// or https:// address")),
    }
}

/// Writes a file only its owner can read.
fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() -> Result<(), ConfigError> {
        let s = settings(&[("REDRESS_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16,::1")])?;
        assert_eq!(s.trusted_proxies.len(), 3);
        assert!(
            s.trusted_proxies[1].contains(
                &"10.1.2.3"
                    .parse::<std::net::IpAddr>()
                    .map_err(|e| invalid("test", e.to_string()))?
            )
        );
        let error = settings(&[("REDRESS_TRUSTED_PROXIES", "10.0.0.5, proxy.local")])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            error.starts_with("REDRESS_TRUSTED_PROXIES: 'proxy.local'"),
            "{error}"
        );
        Ok(())
    }

    #[test]
    fn defaults_are_local_and_embedded() -> Result<(), ConfigError> {
        let s = settings(&[])?;
        assert_eq!(s.bind.to_string(), DEFAULT_BIND);
        assert_eq!(
            s.database_url,
            DatabaseUrl::Sqlite(PathBuf::from("./data/redress.db"))
        );
        assert_eq!(s.mail_url, MailUrl::Files(PathBuf::from("./data/mail")));
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:8080/");
        assert!(s.secret.is_none());
        Ok(())
    }

    #[test]
    fn links_follow_the_bind_address_unless_given() -> Result<(), Box<dyn std::error::Error>> {
        let mut s = settings(&[])?;
        s.rebind("127.0.0.1:9090".parse()?)?;
        assert_eq!(s.base_url.as_str(), "http://127.0.0.1:9090/");
        s.rebind("0.0.0.0:9091".parse()?)?;
        assert_eq!(s.base_url.as_str(), "http://localhost:9091/");
        let mut given = settings(&[("REDRESS_BASE_URL", "https://help.example.com")])?;
        given.rebind("127.0.0.1:9090".parse()?)?;
        assert_eq!(given.base_url.as_str(), "https://help.example.com/");
        Ok(())
    }

    #[test]
    fn bad_values_name_their_setting() {
        for (name, value) in [
            ("REDRESS_BIND", "localhost"),
            ("DATABASE_URL", "mysql://db/redress"),
            ("REDRESS_MAIL_URL", "http://mail"),
            ("REDRESS_MAIL_FROM", "not an address"),
            ("REDRESS_MAIL_TRIES", "0"),
            ("REDRESS_MAIL_TRIES", "many"),
            ("REDRESS_SECRET", "short"),
            ("REDRESS_BASE_URL", "not a url"),
        ] {
            let error = settings(&[(name, value)])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.starts_with(name), "{name}={value} gave '{error}'");
        }
    }

    #[test]
    fn mail_urls_by_scheme() {
        assert_eq!(
            MailUrl::parse("file://./data/mail"),
            Ok(MailUrl::Files("./data/mail".into()))
        );
        assert!(matches!(
            MailUrl::parse("smtp://localhost:2525"),
            Ok(MailUrl::Smtp(_))
        ));
        assert!(matches!(
            MailUrl::parse("smtps://user:pw@mail.example.com"),
            Ok(MailUrl::Smtps(_))
        ));
        assert!(MailUrl::parse("smtp://").is_err());
    }

    #[test]
    fn secret_is_created_once_and_kept() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().to_string_lossy().to_string();
        let s = settings(&[("REDRESS_DATA_DIR", &data)])?;
        let first = s.load_or_create_secret()?;
        let second = s.load_or_create_secret()?;
        assert_eq!(first.expose(), second.expose());
        assert_eq!(first.expose().len(), 64);
        assert_eq!(format!("{first:?}"), "Secret(<redacted>)");
        Ok(())
    }
}
