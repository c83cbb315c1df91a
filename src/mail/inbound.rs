//! Mail that comes back: a customer's answer lands on their ticket, as
//! every helpdesk does it. One raw RFC 5322 message at a time, from an
//! MTA's pipe (`redress mail receive`) or a mail service's webhook
//! (`POST /api/v1/inbound-mail`).

use crate::db::models::Customer;
use crate::db::schema::{inbound_messages, outbox_emails, tickets};
use crate::db::{DbConnection, DbError};
use crate::domain::text;
use crate::domain::{Channel, Locale, TicketCategory, TicketEventKind, TicketId, TicketStatus};
use crate::evidence::{self, CheckedFile, RefusedFile, StoredFile};
use crate::mail::outbox::header_safe;
use crate::platform::customers;
use crate::tickets::service::{self as tickets_service, CustomerMessage, TicketError};
use crate::tickets::sla::SlaSettings;
use diesel::prelude::*;
use mail_parser::{HeaderValue, MessageParser, MimeHeaders};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Largest raw message taken (a message with five 5 MB files, encoded).
pub const MAX_MESSAGE_BYTES: usize = 40 * 1024 * 1024;
/// Longest Message-ID kept; longer ones are cut (they still match).
const MAX_ID_CHARS: usize = 250;
/// How many thread references are looked up, the newest.
const MAX_THREAD_IDS: usize = 20;
/// How many attached parts of one message are looked at.
const MAX_PARTS: usize = 50;
/// How many refused files the timeline names.
const MAX_REFUSED_LISTED: usize = 10;

/// What came in, as far as Redress cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundKind {
    Message,
    /// An out-of-office or other automatic answer: recorded, never
    /// answered, never reopens anything.
    AutoReply,
    /// A delivery failure report: recorded like an automatic answer.
    Bounce,
}

impl InboundKind {
    fn as_str(self) -> &'static str {
        match self {
            InboundKind::Message => "message",
            InboundKind::AutoReply => "auto_reply",
            InboundKind::Bounce => "bounce",
        }
    }
}

/// A parsed message, bounded and checked; nothing stored yet.
#[derive(Debug, Clone)]
pub struct InboundMail {
    /// In angle brackets, as the outbox stores its own.
    pub message_id: String,
    /// The sender as written, made header-safe, for the record.
    pub sender: String,
    /// The sender's address when it is one.
    pub sender_email: Option<String>,
    pub sender_name: Option<String>,
    pub subject: String,
    /// `In-Reply-To` then `References`, newest first, in angle brackets.
    pub thread: Vec<String>,
    pub kind: InboundKind,
    /// The text with the quoted history trimmed.
    pub body: String,
    pub files: Vec<CheckedFile>,
    pub refused: Vec<RefusedFile>,
    /// Chinese when the subject or text holds Chinese, else English.
    pub language: Locale,
}

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error("the message is not a mail message")]
    Unreadable,
    #[error("the message is larger than {} MB", MAX_MESSAGE_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("the message has no sender address")]
    NoSender,
    #[error("the message's files could not be stored: {0}")]
    Storage(String),
    #[error("the SLA settings could not be read: {0}")]
    Settings(String),
    #[error(transparent)]
    Ticket(#[from] TicketError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A lost race is retried wherever it surfaced, the ticket's change
/// included.
impl crate::db::WriteFailure for InboundError {
    fn database_error(&self) -> Option<&DbError> {
        match self {
            InboundError::Db(error) | InboundError::Ticket(TicketError::Db(error)) => Some(error),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for InboundError {
    fn from(error: diesel::result::Error) -> Self {
        InboundError::Db(DbError::Query(error))
    }
}

impl InboundError {
    /// Whether the message itself is at fault (a 4xx), not Redress.
    pub fn is_senders(&self) -> bool {
        matches!(
            self,
            InboundError::Unreadable | InboundError::TooLarge | InboundError::NoSender
        )
    }
}

/// Reads one raw message.
pub fn parse(raw: &[u8]) -> Result<InboundMail, InboundError> {
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(InboundError::TooLarge);
    }
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| m.from().is_some() || m.message_id().is_some())
        .ok_or(InboundError::Unreadable)?;
    let from = message.from().and_then(|address| address.first());
    let sender = header_safe(from.and_then(|a| a.address()).unwrap_or_default())
        .chars()
        .take(text::MAX_EMAIL_CHARS)
        .collect::<String>();
    let sender_email = text::email(&sender).ok();
    let sender_name = from
        .and_then(|a| a.name())
        .and_then(|name| text::person_name(&header_safe(name)).ok());
    let message_id = match message.message_id() {
        Some(id) if !id.trim().is_empty() => bracketed(id),
        // Without one, the same bytes delivered twice are still one message.
        _ => format!("<{}@no-message-id>", hex::encode(Sha256::digest(raw))),
    };
    let kind = kind_of(&message, &sender);
    let mut thread = texts(message.in_reply_to());
    thread.extend(texts(message.references()).into_iter().rev());
    if kind == InboundKind::Bounce {
        // A delivery report names the mail it returns in its attached copy
        // (or that copy's headers), not in its own headers.
        thread.extend(returned_message_ids(&message));
    }
    thread.truncate(MAX_THREAD_IDS);
    let subject = header_safe(message.subject().unwrap_or_default());
    let body = trim_quoted(&without_control_characters(
        &message.body_text(0).unwrap_or_default(),
    ));
    let (mut files, mut refused) = (Vec::new(), Vec::new());
    // Automatic answers and bounces carry nothing worth keeping.
    if kind == InboundKind::Message {
        for part in message.attachments().take(MAX_PARTS) {
            if part.is_message() {
                continue;
            }
            match evidence::check(
                part.attachment_name(),
                part.contents().to_vec(),
                files.len(),
            ) {
                Ok(file) => files.push(file),
                Err(refusal) if refused.len() < MAX_REFUSED_LISTED => refused.push(refusal),
                Err(_) => {}
            }
        }
    }
    let language = if has_chinese(&subject) || has_chinese(&body) {
        Locale::ZhCn
    } else {
        Locale::En
    };
    Ok(InboundMail {
        message_id,
        sender,
        sender_email,
        sender_name,
        subject,
        thread,
        kind,
        body,
        files,
        refused,
        language,
    })
}

/// A Message-ID in angle brackets; one too long to keep is kept as its
/// hash, so two long ones never collide by sharing a start.
fn bracketed(id: &str) -> String {
    let id = header_safe(id.trim().trim_start_matches('<').trim_end_matches('>'));
    if id.chars().count() > MAX_ID_CHARS {
        format!(
            "<{}@long-message-id>",
            hex::encode(Sha256::digest(id.as_bytes()))
        )
    } else {
        format!("<{id}>")
    }
}

/// The Message-IDs of the mails a delivery report returns.
fn returned_message_ids(message: &mail_parser::Message<'_>) -> Vec<String> {
    message
        .parts
        .iter()
        .take(MAX_PARTS)
        .filter_map(|part| {
            if let Some(returned) = part.message() {
                return returned.message_id().map(bracketed);
            }
            // text/rfc822-headers: the returned mail's header lines.
            let headers = part.text_contents()?;
            headers.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("Message-ID")
                    .then(|| bracketed(value))
            })
        })
        .collect()
}

/// Text with its line breaks and tabs, and no other control characters
/// (a stray form feed must not make a customer's answer unreadable).
fn without_control_characters(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

fn texts(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![bracketed(id)],
        HeaderValue::TextList(ids) => ids.iter().map(|id| bracketed(id)).collect(),
        _ => Vec::new(),
    }
}

/// Bounces by their sender or report type; automatic answers by the
/// headers RFC 3834 and common mailers set.
fn kind_of(message: &mail_parser::Message<'_>, sender: &str) -> InboundKind {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|value| value.trim().to_ascii_lowercase())
    };
    let local_part = sender.split('@').next().unwrap_or_default();
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    // An empty return path marks a message no one may answer (RFC 5321).
    let null_return_path = header("Return-Path").is_some_and(|value| value == "<>");
    if local_part.eq_ignore_ascii_case("mailer-daemon")
        || local_part.eq_ignore_ascii_case("postmaster")
        || report
        || null_return_path
    {
        return InboundKind::Bounce;
    }
    let automatic = header("Auto-Submitted").is_some_and(|value| !value.starts_with("no"))
        || header("Precedence")
            .is_some_and(|value| matches!(value.as_str(), "bulk" | "junk" | "list" | "auto_reply"))
        || header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        // Mailing lists and newsletters.
        || header("List-Id").is_some()
        || header("List-Unsubscribe").is_some();
    if automatic {
        InboundKind::AutoReply
    } else {
        InboundKind::Message
    }
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The customer's own words: quoted lines dropped, and everything from
/// the first attribution ("On … wrote:", "在 … 写道：") or forwarded-message
/// separator on.
pub fn trim_quoted(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or_default();
        let attribution =
            |t: &str| t.ends_with("wrote:") || t.ends_with("写道：") || t.ends_with("写道:");
        // "On …, Someone <address>" wrapped onto a second line that ends
        // "wrote:"; a sentence of the customer's ("On second thought.")
        // ends like one and is kept.
        let wrapped = !t.ends_with(['.', '!', '?', '。', '！', '？'])
            && !next.starts_with("On ")
            && attribution(next);
        let starts_history = (t.starts_with("On ") && (attribution(t) || wrapped))
            || (t.starts_with('在') && attribution(t))
            || t.starts_with("-----Original Message-----")
            || (t.starts_with("----") && t.contains("原始邮件"))
            || (t.starts_with("________________") && next.starts_with("From:"));
        if starts_history {
            break;
        }
        if !t.starts_with('>') {
            kept.push(line.trim_end());
        }
    }
    let trimmed = kept.join("\n").trim().to_owned();
    if trimmed.is_empty() {
        // Nothing but quotes: better the whole text than nothing.
        text.trim().to_owned()
    } else {
        trimmed
    }
}

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Added to an existing ticket.
    Added,
    /// A new ticket was opened for it.
    Opened,
    /// An automatic answer or bounce, recorded.
    Recorded,
    /// The same message came before; nothing changed.
    Duplicate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    pub outcome: Outcome,
    pub kind: InboundKind,
    pub ticket: Option<TicketId>,
}

impl Receipt {
    /// As the webhook answers it and `mail receive` prints it.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "outcome": self.outcome,
            "kind": self.kind,
            "ticket": self.ticket.map(|id| id.reference()),
        })
    }
}

/// The ticket a message answers: the newest mail of its thread that
/// belongs to a ticket (a mail Redress sent, or an earlier message of the
/// customer's), else the `[RD-…]` in its subject. A customer's message
/// goes only to a ticket that is theirs (by sender) and not closed; an
/// automatic answer or bounce only needs the thread, as it adds nothing.
fn matching_ticket(
    conn: &mut DbConnection,
    mail: &InboundMail,
) -> Result<Option<TicketId>, DbError> {
    let mut threaded: Vec<(String, Option<TicketId>)> = Vec::new();
    if !mail.thread.is_empty() {
        threaded.extend(
            outbox_emails::table
                .filter(outbox_emails::message_id.eq_any(&mail.thread))
                .select((outbox_emails::message_id, outbox_emails::ticket_id))
                .load::<(String, Option<TicketId>)>(conn)?,
        );
        threaded.extend(
            inbound_messages::table
                .filter(inbound_messages::message_id.eq_any(&mail.thread))
                .select((inbound_messages::message_id, inbound_messages::ticket_id))
                .load::<(String, Option<TicketId>)>(conn)?,
        );
    }
    // Newest first, as the thread lists them.
    let from_thread: Vec<TicketId> = mail
        .thread
        .iter()
        .filter_map(|id| {
            threaded
                .iter()
                .find(|(found, _)| found == id)
                .and_then(|(_, ticket)| *ticket)
        })
        .collect();
    if mail.kind != InboundKind::Message {
        // Automatic mail is only recorded: the thread's ticket, whoever
        // sent it; a subject reference alone is not enough.
        return Ok(from_thread.first().copied());
    }
    let from_subject: Vec<TicketId> = subject_references(&mail.subject)
        .iter()
        .filter_map(|reference| TicketId::parse_reference(reference))
        .collect();
    let mut seen = Vec::new();
    for id in from_thread.into_iter().chain(from_subject) {
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        let owner: Option<(String, TicketStatus)> = tickets::table
            .inner_join(crate::db::schema::customers::table)
            .filter(tickets::id.eq(id))
            .select((crate::db::schema::customers::email, tickets::status))
            .first(conn)
            .optional()?;
        if let Some((email, status)) = owner
            && Some(&email) == mail.sender_email.as_ref()
            && status != TicketStatus::Closed
        {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// The `[RD-…]` references in a subject, at most three.
fn subject_references(subject: &str) -> Vec<String> {
    subject
        .split('[')
        .skip(1)
        .filter_map(|part| part.split_once(']').map(|(inside, _)| inside.trim()))
        .filter(|inside| inside.len() <= 20 && inside.to_ascii_uppercase().starts_with("RD-"))
        .map(str::to_owned)
        .take(3)
        .collect()
}

/// Records a parsed message in one transaction (its files already
/// stored): added to its ticket, or a new ticket, or only recorded. Safe
/// to run twice at once with the same message: the Message-ID is unique,
/// so the second finds the first's row.
pub fn record(
    conn: &mut DbConnection,
    sla: &SlaSettings,
    mail: &InboundMail,
    files: &[StoredFile],
) -> Result<Receipt, InboundError> {
    let seen: Option<Option<TicketId>> = inbound_messages::table
        .filter(inbound_messages::message_id.eq(&mail.message_id))
        .select(inbound_messages::ticket_id)
        .first(conn)
        .optional()?;
    if let Some(ticket) = seen {
        return Ok(Receipt {
            outcome: Outcome::Duplicate,
            kind: mail.kind,
            ticket,
        });
    }
    let at = crate::tickets::sla::now();
    let matched = matching_ticket(conn, mail)?;
    let (outcome, ticket, event) = match mail.kind {
        InboundKind::AutoReply | InboundKind::Bounce => {
            let event = match matched {
                Some(ticket) => Some(tickets_service::timeline_event(
                    conn,
                    ticket,
                    match mail.kind {
                        InboundKind::Bounce => TicketEventKind::MailBounce,
                        _ => TicketEventKind::AutoReply,
                    },
                    (crate::domain::Actor::System, None),
                    Some(&mail.subject),
                    Some(serde_json::json!({ "from": mail.sender })),
                    at,
                )?),
                None => None,
            };
            (Outcome::Recorded, matched, event)
        }
        InboundKind::Message => {
            let message = CustomerMessage {
                body: &mail.body,
                files,
                refused: &mail.refused,
                via: Channel::Email,
                details: None,
            };
            match matched {
                Some(id) => {
                    let (ticket, event) =
                        tickets_service::add_customer_message(conn, sla, id, message)?;
                    (Outcome::Added, Some(ticket.id), Some(event))
                }
                None => {
                    let email = mail.sender_email.as_deref().ok_or(InboundError::NoSender)?;
                    let customer = customers::for_email(
                        conn,
                        email,
                        mail.sender_name.as_deref(),
                        mail.language,
                    )?;
                    let subject = match mail.subject.trim() {
                        "" => no_subject(&customer),
                        subject => subject
                            .chars()
                            .take(tickets_service::MAX_SUBJECT_CHARS)
                            .collect(),
                    };
                    let (ticket, event) = tickets_service::open_for_customer(
                        conn,
                        sla,
                        &customer,
                        tickets_service::CustomerTicket {
                            category: TicketCategory::Other,
                            priority: crate::domain::TicketPriority::Normal,
                            subject: &subject,
                            transaction: None,
                            amount: None,
                        },
                        message,
                    )?;
                    (Outcome::Opened, Some(ticket.id), Some(event))
                }
            }
        }
    };
    diesel::insert_into(inbound_messages::table)
        .values((
            inbound_messages::message_id.eq(&mail.message_id),
            inbound_messages::sender.eq(&mail.sender),
            inbound_messages::subject.eq(&mail.subject),
            inbound_messages::kind.eq(mail.kind.as_str()),
            inbound_messages::ticket_id.eq(ticket),
            inbound_messages::event_id.eq(event),
            inbound_messages::received_at.eq(at),
        ))
        .execute(conn)?;
    Ok(Receipt {
        outcome,
        kind: mail.kind,
        ticket,
    })
}

fn no_subject(customer: &Customer) -> String {
    crate::i18n::text(crate::i18n::Lang::from(customer.locale), "mail-no-subject")
}

/// Takes one raw message end to end: parses it, stores its files, records
/// it through the write path; files of a message that turns out to be a
/// duplicate, or that fails, are removed again.
pub async fn receive(
    db: &crate::db::Database,
    evidence_dir: &std::path::Path,
    raw: &[u8],
) -> Result<Receipt, InboundError> {
    // Parsing up to 40 MB and writing files is kept off the server's
    // threads.
    let raw = raw.to_vec();
    let dir = evidence_dir.to_owned();
    let (mail, stored) = tokio::task::spawn_blocking(move || {
        let mut mail = parse(&raw)?;
        let checked = std::mem::take(&mut mail.files);
        let stored =
            evidence::store(&dir, checked).map_err(|e| InboundError::Storage(e.to_string()))?;
        Ok::<_, InboundError>((mail, stored))
    })
    .await
    .map_err(|e| InboundError::Storage(e.to_string()))??;
    let files = stored.clone();
    let result = db
        .write(move |conn| {
            let sla = crate::tickets::sla::load(conn)
                .map_err(|e| InboundError::Settings(e.to_string()))?;
            record(conn, &sla, &mail, &files)
        })
        .await;
    match &result {
        Ok(receipt) if receipt.outcome != Outcome::Duplicate => {}
        _ => evidence::discard(evidence_dir, &stored),
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_history_is_trimmed() {
        let text = "Still not there.\n\nOn Mon, 1 Dec 2026, Redress <help@redress.local> wrote:\n> Your refund was issued.\n";
        assert_eq!(trim_quoted(text), "Still not there.");
        let zh = "还没到账。\n\n在 2026年12月1日 周一，Redress 写道：\n> 退款已发起";
        assert_eq!(trim_quoted(zh), "还没到账。");
        let wrapped =
            "Thanks\nOn Mon, 1 Dec 2026 at 10:00, Redress\n<help@redress.local> wrote:\n> x";
        assert_eq!(trim_quoted(wrapped), "Thanks");
        let outlook = "ok\n\n-----Original Message-----\nFrom: Redress";
        assert_eq!(trim_quoted(outlook), "ok");
        assert_eq!(trim_quoted("> only a quote"), "> only a quote");
        let thought = "On second thought, it did arrive.\nOn Mon, 1 Dec 2026, Redress wrote:\n> x";
        assert_eq!(trim_quoted(thought), "On second thought, it did arrive.");
    }

    #[test]
    fn subject_references_are_found() {
        assert_eq!(
            subject_references("Re: Refund [RD-000042] [x] [rd-7]"),
            vec!["RD-000042".to_owned(), "rd-7".to_owned()]
        );
    }

    #[test]
    fn automatic_mail_is_told_apart() {
        let parse_kind = |headers: &str| {
            let raw = format!("{headers}\r\nMessage-ID: <a@b>\r\nSubject: x\r\n\r\nbody\r\n");
            parse(raw.as_bytes()).map(|m| m.kind).ok()
        };
        assert_eq!(
            parse_kind("From: a@example.com"),
            Some(InboundKind::Message)
        );
        assert_eq!(
            parse_kind("From: a@example.com\r\nAuto-Submitted: auto-replied"),
            Some(InboundKind::AutoReply)
        );
        assert_eq!(
            parse_kind("From: a@example.com\r\nAuto-Submitted: no"),
            Some(InboundKind::Message)
        );
        assert_eq!(
            parse_kind("From: a@example.com\r\nPrecedence: bulk"),
            Some(InboundKind::AutoReply)
        );
        assert_eq!(
            parse_kind("From: Mail Delivery System <MAILER-DAEMON@mx.example.com>"),
            Some(InboundKind::Bounce)
        );
    }
}
