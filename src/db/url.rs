//! Which database a URL names. The scheme decides, never a guess: a
//! mistyped PostgreSQL URL must not quietly become an SQLite file.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path, or `:memory:`.
    Sqlite(PathBuf),
    /// A libpq connection URL, kept as given.
    Postgres(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("the database URL is empty")]
    Empty,
    #[error(
        "unknown database URL scheme '{0}:': use postgres://, postgresql://, sqlite://, file: or a file path"
    )]
    UnknownScheme(String),
    #[error("'{0}' names no SQLite file")]
    NoPath(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl DatabaseUrl {
    pub fn parse(text: &str) -> Result<DatabaseUrl, DatabaseUrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(DatabaseUrlError::Empty);
        }
        let Some(scheme) = scheme_of(text) else {
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(text)));
        };
        let path = match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => return Ok(DatabaseUrl::Postgres(text.to_owned())),
            "sqlite" => {
                let rest = &text[scheme.len() + 1..];
                rest.strip_prefix("//").unwrap_or(rest)
            }
            "file" => {
                let rest = &text[scheme.len() + 1..];
                // file:///abs/path or file:relative/path; query options are not ours.
                let rest = rest.split('?').next().unwrap_or(rest);
                rest.strip_prefix("//").unwrap_or(rest)
            }
            _ => return Err(DatabaseUrlError::UnknownScheme(scheme.to_owned())),
        };
        if path.is_empty() {
            return Err(DatabaseUrlError::NoPath(text.to_owned()));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }
}

impl fmt::Display for DatabaseUrl {
    /// Shows where the data is without any password in the URL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            DatabaseUrl::Postgres(text) => match url::Url::parse(text) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        // Only fails for URLs that cannot have a password.
                        let _ = url.set_password(Some("***"));
                    }
                    write!(f, "{url}")
                }
                Err(_) => f.write_str("postgres://(unparseable)"),
            },
        }
    }
}

/// The URL scheme: letters, digits, `+ - .` before the first `:`, starting
/// with a letter. `:memory:` and plain paths have none.
fn scheme_of(text: &str) -> Option<&str> {
    let end = text.find(':')?;
    let scheme = &text[..end];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
        .then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_backend_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@localhost/redress"),
            Ok(DatabaseUrl::Postgres(
                "postgres://u:p@localhost/redress".into()
            ))
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://localhost/r"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db"),
            Ok(DatabaseUrl::Sqlite("data/x.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db"),
            Ok(DatabaseUrl::Sqlite("/tmp/x.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("file:data/x.db"),
            Ok(DatabaseUrl::Sqlite("data/x.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("./data/x.db"),
            Ok(DatabaseUrl::Sqlite("./data/x.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse(":memory:"),
            Ok(DatabaseUrl::Sqlite(":memory:".into()))
        );
    }

    #[test]
    fn refuses_unknown_schemes_and_typos() {
        for text in [
            "postgress://localhost/r",
            "mysql://localhost/r",
            "localhost:5432/r",
            "pg://x",
        ] {
            assert!(
                matches!(
                    DatabaseUrl::parse(text),
                    Err(DatabaseUrlError::UnknownScheme(_))
                ),
                "{text}"
            );
        }
        assert_eq!(DatabaseUrl::parse("  "), Err(DatabaseUrlError::Empty));
        assert!(matches!(
            DatabaseUrl::parse("sqlite://"),
            Err(DatabaseUrlError::NoPath(_))
        ));
    }

    #[test]
    fn display_hides_the_password() {
        let url =
            DatabaseUrl::parse("postgres://redress:hunter2@db:5432/redress").map(|u| u.to_string());
        assert_eq!(url, Ok("postgres://redress:***@db:5432/redress".into()));
    }
}
