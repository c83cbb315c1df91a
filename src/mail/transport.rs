//! Where mail goes, from `REDRESS_MAIL_URL`: an SMTP server (STARTTLS when
//! offered, or as `?tls=required|none` says; implicit TLS for `smtps://`;
//! `?timeout=SECONDS` for a slow one),
//! or `.eml` files in a folder. Credentials in the URL are used, never
//! logged.

use crate::config::MailUrl;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long one SMTP conversation may take before it counts as failed,
/// unless the URL says `?timeout=SECONDS`. At most 90 s: a send must end
/// well inside the worker's two-minute lease, or another worker could
/// take the row and send it again.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_TIMEOUT_SECONDS: u64 = 90;

/// A configured way to send mail.
#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        timeout: Duration,
    },
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// Why a mail was not sent. A transient failure (a 4xx answer, a server
/// that is down, slow or unreachable) is worth trying again soon; a
/// permanent one (a 5xx answer, an address that cannot be written) is
/// still tried again, but only up to the configured tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    Transient(String),
    Permanent(String),
}

impl SendFailure {
    pub fn text(&self) -> &str {
        match self {
            SendFailure::Transient(text) | SendFailure::Permanent(text) => text,
        }
    }
}

impl Mailer {
    /// The mailer `url` names; a bad URL is an error naming what is wrong.
    pub fn new(mail_url: &MailUrl) -> Result<Mailer, String> {
        match mail_url {
            MailUrl::Files(dir) => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Ok(Mailer::Files(AsyncFileTransport::new(dir)))
            }
            MailUrl::Smtp(url) | MailUrl::Smtps(url) => {
                let host = url.host_str().unwrap_or_default().to_owned();
                let implicit = matches!(mail_url, MailUrl::Smtps(_));
                let mode = url
                    .query_pairs()
                    .find(|(key, _)| key == "tls")
                    .map(|(_, value)| value.into_owned());
                let parameters =
                    || TlsParameters::new(host.clone()).map_err(|e| format!("TLS for {host}: {e}"));
                let tls = match (implicit, mode.as_deref()) {
                    (true, None | Some("required")) => Tls::Wrapper(parameters()?),
                    (false, None | Some("opportunistic")) => Tls::Opportunistic(parameters()?),
                    (false, Some("required")) => Tls::Required(parameters()?),
                    (false, Some("none")) => Tls::None,
                    (true, Some(other)) => {
                        return Err(format!(
                            "tls={other}: smtps:// is always TLS; use smtp:// with tls=none for none"
                        ));
                    }
                    (false, Some(other)) => {
                        return Err(format!("tls={other}: use tls=required or tls=none"));
                    }
                };
                let timeout = match url.query_pairs().find(|(key, _)| key == "timeout") {
                    None => SMTP_TIMEOUT,
                    Some((_, value)) => match value.parse::<u64>() {
                        Ok(seconds) if (1..=MAX_TIMEOUT_SECONDS).contains(&seconds) => {
                            Duration::from_secs(seconds)
                        }
                        _ => {
                            return Err(format!(
                                "timeout={value}: give whole seconds from 1 to {MAX_TIMEOUT_SECONDS}"
                            ));
                        }
                    },
                };
                let port = url.port().unwrap_or(if implicit { 465 } else { 25 });
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
                    .port(port)
                    .tls(tls)
                    .timeout(Some(timeout));
                if !url.username().is_empty() {
                    let user = percent_encoding::percent_decode_str(url.username())
                        .decode_utf8_lossy()
                        .into_owned();
                    let password =
                        percent_encoding::percent_decode_str(url.password().unwrap_or_default())
                            .decode_utf8_lossy()
                            .into_owned();
                    builder = builder.credentials(Credentials::new(user, password));
                }
                Ok(Mailer::Smtp {
                    transport: builder.build(),
                    timeout,
                })
            }
        }
    }

    /// Sends one message.
    pub async fn send(&self, message: Message) -> Result<(), SendFailure> {
        match self {
            Mailer::Files(files) => files
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| SendFailure::Transient(format!("cannot write the mail file: {e}"))),
            // lettre bounds the connect but not every read of the async
            // conversation: a server that accepts and then says nothing
            // would hold the worker for ever, so the whole send is bounded.
            Mailer::Smtp { transport, timeout } => {
                match tokio::time::timeout(*timeout, transport.send(message)).await {
                    Err(_) => Err(SendFailure::Transient(format!(
                        "the SMTP server did not finish within {} s",
                        timeout.as_secs()
                    ))),
                    Ok(sent) => sent.map(|_| ()).map_err(|e| {
                        if e.is_permanent() {
                            SendFailure::Permanent(e.to_string())
                        } else {
                            SendFailure::Transient(e.to_string())
                        }
                    }),
                }
            }
        }
    }
}
