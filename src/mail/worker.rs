//! The outbox worker: claims due mails with a lease, sends them, and
//! records what happened. Safe to run in several processes on one
//! database: a row is claimed by a conditional update, so only one worker
//! holds it, and a crashed worker's rows are taken over once its lease
//! has run out. Sending happens outside any database transaction.

use super::transport::{Mailer, SendFailure};
use crate::db::schema::outbox_emails;
use crate::db::{Database, DbConnection, DbError};
use chrono::{Duration as Span, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use rand::Rng;
use std::time::Duration;

/// A queued mail as the worker reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox_emails)]
pub struct OutboxMail {
    pub id: i64,
    pub message_id: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub ticket_id: Option<crate::domain::TicketId>,
    pub attempts: i64,
}

/// How a worker behaves.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Who holds a claimed row (process and task, for the lease).
    pub owner: String,
    pub from: Mailbox,
    /// Tries before a mail is marked failed.
    pub max_attempts: i64,
    /// How long a claim lasts before another worker may take the row.
    pub lease: Span,
    /// The first retry's wait; each further try waits twice as long
    /// (at most an hour), give or take a fifth.
    pub retry_base: Span,
    /// Rows claimed at once.
    pub batch: i64,
    /// How long an idle worker waits before looking again.
    pub poll: Duration,
}

impl WorkerSettings {
    pub fn new(from: Mailbox, max_attempts: i64) -> WorkerSettings {
        let mut tag = [0_u8; 4];
        rand::rng().fill(&mut tag);
        WorkerSettings {
            owner: format!("{}:{}", std::process::id(), hex::encode(tag)),
            from,
            max_attempts,
            // Longer than the longest send (`transport`'s 90 s timeout cap).
            lease: Span::minutes(2),
            retry_base: Span::seconds(30),
            batch: 20,
            poll: Duration::from_secs(2),
        }
    }
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// Claims up to `batch` due mails for `owner`, oldest due first. Each row
/// is taken by an update conditioned on it being queued and unleased (or
/// its lease over), so of two workers reaching for a row one gets it.
pub fn claim(
    conn: &mut DbConnection,
    owner: &str,
    at: NaiveDateTime,
    lease: Span,
    batch: i64,
) -> Result<Vec<OutboxMail>, DbError> {
    let free = || {
        outbox_emails::lease_expires_at
            .is_null()
            .or(outbox_emails::lease_expires_at.lt(at))
    };
    let due: Vec<i64> = outbox_emails::table
        .filter(outbox_emails::status.eq("queued"))
        .filter(outbox_emails::next_attempt_at.le(at))
        .filter(free())
        .order((outbox_emails::next_attempt_at, outbox_emails::id))
        .limit(batch)
        .select(outbox_emails::id)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in due {
        let taken = diesel::update(
            outbox_emails::table
                .filter(outbox_emails::id.eq(id))
                .filter(outbox_emails::status.eq("queued"))
                .filter(outbox_emails::next_attempt_at.le(at))
                .filter(free()),
        )
        .set((
            outbox_emails::lease_owner.eq(owner),
            outbox_emails::lease_expires_at.eq(at + lease),
        ))
        .execute(conn)?;
        if taken == 1 {
            claimed.push(id);
        }
    }
    Ok(outbox_emails::table
        .filter(outbox_emails::id.eq_any(&claimed))
        .filter(outbox_emails::lease_owner.eq(owner))
        .order(outbox_emails::id)
        .select(OutboxMail::as_select())
        .load(conn)?)
}

/// Renews `owner`'s lease on a mail just before it is sent, so a send
/// always starts with a whole lease ahead; false when the lease was lost
/// (run out and taken by another worker), and then the mail is not sent.
pub fn renew(
    conn: &mut DbConnection,
    id: i64,
    owner: &str,
    at: NaiveDateTime,
    lease: Span,
) -> Result<bool, DbError> {
    let renewed = diesel::update(
        outbox_emails::table
            .filter(outbox_emails::id.eq(id))
            .filter(outbox_emails::status.eq("queued"))
            .filter(outbox_emails::lease_owner.eq(owner))
            .filter(outbox_emails::lease_expires_at.gt(at)),
    )
    .set(outbox_emails::lease_expires_at.eq(at + lease))
    .execute(conn)?;
    Ok(renewed == 1)
}

/// The Message-ID of a ticket's first mail, which its later mails answer.
pub fn thread_root(
    conn: &mut DbConnection,
    ticket: Option<crate::domain::TicketId>,
) -> Result<Option<String>, DbError> {
    let Some(ticket) = ticket else {
        return Ok(None);
    };
    Ok(outbox_emails::table
        .filter(outbox_emails::ticket_id.eq(ticket))
        .order(outbox_emails::id)
        .select(outbox_emails::message_id)
        .first(conn)
        .optional()?)
}

/// The message to send: its own Message-ID, threaded under the ticket's
/// first mail, a plain-text and an HTML part.
pub fn message(
    mail: &OutboxMail,
    from: &Mailbox,
    root: Option<&str>,
) -> Result<Message, SendFailure> {
    let to: Mailbox = mail
        .to_address
        .parse()
        .map_err(|e| SendFailure::Permanent(format!("the address cannot be used: {e}")))?;
    let mut builder = Message::builder()
        .message_id(Some(mail.message_id.clone()))
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .date_now();
    if let Some(root) = root.filter(|root| *root != mail.message_id) {
        builder = builder
            .in_reply_to(root.to_owned())
            .references(root.to_owned());
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            mail.body_text.clone(),
            mail.body_html.clone(),
        ))
        .map_err(|e| SendFailure::Permanent(format!("the message cannot be built: {e}")))
}

/// Records a sent mail, if `owner` still holds it.
pub fn mark_sent(
    conn: &mut DbConnection,
    id: i64,
    owner: &str,
    at: NaiveDateTime,
) -> Result<bool, DbError> {
    let done = diesel::update(
        outbox_emails::table
            .filter(outbox_emails::id.eq(id))
            .filter(outbox_emails::lease_owner.eq(owner)),
    )
    .set((
        outbox_emails::status.eq("sent"),
        outbox_emails::sent_at.eq(Some(at)),
        outbox_emails::attempts.eq(outbox_emails::attempts + 1),
        outbox_emails::lease_owner.eq(None::<String>),
        outbox_emails::lease_expires_at.eq(None::<NaiveDateTime>),
        outbox_emails::last_error.eq(None::<String>),
    ))
    .execute(conn)?;
    // A dispute's first mail holds its tracking link, whose token is kept
    // nowhere else: once sent, the copy goes.
    diesel::update(
        outbox_emails::table
            .filter(outbox_emails::id.eq(id))
            .filter(outbox_emails::template.eq("dispute_received"))
            .filter(outbox_emails::status.eq("sent")),
    )
    .set((
        outbox_emails::body_text.eq(SENT_LINK_REMOVED),
        outbox_emails::body_html.eq(SENT_LINK_REMOVED),
    ))
    .execute(conn)?;
    Ok(done == 1)
}

/// What a sent dispute-received mail's stored body becomes.
pub const SENT_LINK_REMOVED: &str = "(sent; removed here because it held the tracking link)";

/// When the try after `attempts` tries is due: twice as long each time
/// from `base`, at most an hour, give or take a fifth (so mails that failed
/// together do not all come back together).
pub fn retry_at(at: NaiveDateTime, attempts: i64, base: Span) -> NaiveDateTime {
    let doublings = attempts.clamp(0, 20) as u32;
    let wait = base
        .num_milliseconds()
        .saturating_mul(2_i64.saturating_pow(doublings))
        .min(3_600_000);
    let jitter = rand::rng().random_range(-(wait / 5)..=(wait / 5));
    at + Span::milliseconds((wait + jitter).max(0))
}

/// Records a failed try: queued again after a backoff, or failed for good
/// once the tries are used up. Only if `owner` still holds the row.
pub fn mark_failed_try(
    conn: &mut DbConnection,
    mail: &OutboxMail,
    owner: &str,
    at: NaiveDateTime,
    failure: &SendFailure,
    settings: &WorkerSettings,
) -> Result<bool, DbError> {
    let attempts = mail.attempts + 1;
    let error: String = failure.text().chars().take(1000).collect();
    let (status, next) = if attempts >= settings.max_attempts {
        ("failed", at)
    } else {
        ("queued", retry_at(at, mail.attempts, settings.retry_base))
    };
    let done = diesel::update(
        outbox_emails::table
            .filter(outbox_emails::id.eq(mail.id))
            .filter(outbox_emails::lease_owner.eq(owner)),
    )
    .set((
        outbox_emails::status.eq(status),
        outbox_emails::attempts.eq(attempts),
        outbox_emails::next_attempt_at.eq(next),
        outbox_emails::last_error.eq(Some(error)),
        outbox_emails::lease_owner.eq(None::<String>),
        outbox_emails::lease_expires_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(done == 1)
}

/// Gives back `owner`'s claim on mails it will not send now, so another
/// worker takes them at once rather than after the lease.
pub fn release(conn: &mut DbConnection, ids: &[i64], owner: &str) -> Result<usize, DbError> {
    Ok(diesel::update(
        outbox_emails::table
            .filter(outbox_emails::id.eq_any(ids))
            .filter(outbox_emails::status.eq("queued"))
            .filter(outbox_emails::lease_owner.eq(owner)),
    )
    .set((
        outbox_emails::lease_owner.eq(None::<String>),
        outbox_emails::lease_expires_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?)
}

/// One round: claims the due mails and sends each. When `stopping` turns
/// true the mail in hand is finished and the rest are released. Answers
/// how many were claimed.
pub async fn work_once(
    db: &Database,
    mailer: &Mailer,
    settings: &WorkerSettings,
    stopping: impl Fn() -> bool,
) -> Result<usize, DbError> {
    let (owner, lease, batch) = (settings.owner.clone(), settings.lease, settings.batch);
    let claimed = db
        .write(move |conn| claim(conn, &owner, now(), lease, batch))
        .await?;
    let count = claimed.len();
    for (index, mail) in claimed.iter().enumerate() {
        if stopping() {
            let rest: Vec<i64> = claimed[index..].iter().map(|mail| mail.id).collect();
            let owner = settings.owner.clone();
            let released = db.write(move |conn| release(conn, &rest, &owner)).await?;
            tracing::info!(released, "mail worker stopping: unsent mails released");
            break;
        }
        let (id, owner) = (mail.id, settings.owner.clone());
        if !db
            .write(move |conn| renew(conn, id, &owner, now(), lease))
            .await?
        {
            tracing::warn!(mail = mail.id, "a mail's lease ran out before it was sent");
            continue;
        }
        let ticket = mail.ticket_id;
        let root = db.run(move |conn| thread_root(conn, ticket)).await?;
        let outcome = match message(mail, &settings.from, root.as_deref()) {
            Ok(message) => mailer.send(message).await,
            Err(failure) => Err(failure),
        };
        let owner = settings.owner.clone();
        let recorded = match outcome {
            Ok(()) => {
                let id = mail.id;
                db.write(move |conn| mark_sent(conn, id, &owner, now()))
                    .await?
            }
            Err(failure) => {
                tracing::warn!(
                    mail = mail.id,
                    error = failure.text(),
                    "a mail was not sent"
                );
                let (mail, settings) = (mail.clone(), settings.clone());
                db.write(move |conn| {
                    mark_failed_try(conn, &mail, &owner, now(), &failure, &settings)
                })
                .await?
            }
        };
        if !recorded {
            tracing::warn!("a mail's lease ran out while it was being sent");
        }
    }
    Ok(count)
}

/// Works until `stop` turns true: a round, then a pause when there was
/// nothing to do. A database or transport that is down only delays mail.
/// The mail in hand is finished before stopping; the rest of the round is
/// released.
pub async fn work(
    db: Database,
    mailer: Mailer,
    settings: WorkerSettings,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    tracing::info!(owner = %settings.owner, "mail worker started");
    while !*stop.borrow() {
        let pause = match work_once(&db, &mailer, &settings, || *stop.borrow()).await {
            Ok(0) => settings.poll,
            Ok(_) => Duration::ZERO,
            Err(error) => {
                tracing::warn!(%error, "mail worker: the database refused; trying again");
                settings.poll
            }
        };
        if !pause.is_zero() {
            let _ = tokio::time::timeout(pause, stop.changed()).await;
        }
    }
    tracing::info!("mail worker stopped");
}
