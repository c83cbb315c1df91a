//! Signing in: password check, login throttling, and the record of tries.
//! The answer never tells whether an e-mail belongs to an agent.

use super::{sessions, verify_password};
use crate::audit::{self, AuditEntry};
use crate::db::models::Agent;
use crate::db::schema::{agents, login_attempts};
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::{AgentId, AuditActor};
use chrono::{Duration, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;

/// Failed tries for one account, or from one address, before refusing more.
pub const MAX_FAILURES: usize = 5;
/// How long failed tries count.
pub const FAILURE_WINDOW: Duration = Duration::minutes(15);

/// A valid Argon2id hash of a password nobody has: unknown e-mails are
/// checked against it, so they take as long as known ones.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c2lnbi1pbi1kZWNveQ$Zb9D0ObbSHTLmZc6gEWxG5uc8Z7DtyqZBTgTwwqVxWk";

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the e-mail or password is wrong")]
    WrongCredentials,
    #[error("too many failed sign-ins; try again in {minutes} minutes")]
    Throttled { minutes: i64 },
    #[error("this account is deactivated; ask an admin to reactivate it")]
    Deactivated,
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::write_failure!(SignInError);

impl From<diesel::result::Error> for SignInError {
    fn from(error: diesel::result::Error) -> Self {
        SignInError::Db(DbError::Query(error))
    }
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// What a sign-in needs from the database before the (slow) password check.
pub struct SignInCheck {
    email: String,
    agent: Option<Agent>,
}

/// Refuses when the account or address has failed too often lately, and
/// looks the agent up. Runs before the password is checked.
pub fn prepare(conn: &mut DbConnection, email: &str, ip: &str) -> Result<SignInCheck, SignInError> {
    let email = crate::domain::text::email(email).unwrap_or_else(|_| {
        email
            .trim()
            .chars()
            .take(254)
            .collect::<String>()
            .to_lowercase()
    });
    let since = now() - FAILURE_WINDOW;
    let recent_failures = |conn: &mut DbConnection, by_email: bool| {
        let query = login_attempts::table
            .filter(login_attempts::succeeded.eq(false))
            .filter(login_attempts::at.gt(since))
            .select(login_attempts::at)
            .order(login_attempts::at.desc())
            .limit(MAX_FAILURES as i64)
            .into_boxed();
        let query = if by_email {
            query.filter(login_attempts::email.eq(email.clone()))
        } else {
            query.filter(login_attempts::ip.eq(ip.to_owned()))
        };
        query.load::<NaiveDateTime>(conn)
    };
    for by_email in [true, false] {
        let failures = recent_failures(conn, by_email)?;
        if failures.len() >= MAX_FAILURES {
            // Tries are allowed again once the oldest of these leaves the window.
            let oldest = failures.last().copied().unwrap_or(since);
            let wait = (oldest + FAILURE_WINDOW - now()).num_seconds();
            return Err(SignInError::Throttled {
                minutes: (wait + 59).div_euclid(60).max(1),
            });
        }
    }
    let agent = agents::table
        .filter(agents::email.eq(&email))
        .select(Agent::as_select())
        .first(conn)
        .optional()?;
    Ok(SignInCheck { email, agent })
}

/// Checks the password (slow by design; run it off the database).
pub fn check_password(check: &SignInCheck, password: &str) -> Option<Agent> {
    let hash = check
        .agent
        .as_ref()
        .map_or(DECOY_HASH, |agent| agent.password_hash.as_str());
    let matches = verify_password(password, hash);
    check.agent.clone().filter(|_| matches)
}

/// Records the try, which commits whatever the outcome; on success also the
/// agent's last sign-in and an audit row. The inner result answers the
/// agent who may now have a session, or why not.
pub fn finish(
    conn: &mut DbConnection,
    check: &SignInCheck,
    verified: Option<Agent>,
    ip: &str,
) -> Result<Result<Agent, SignInError>, DbError> {
    write_transaction(conn, |conn| {
        let at = now();
        diesel::insert_into(login_attempts::table)
            .values((
                login_attempts::email.eq(&check.email),
                login_attempts::ip.eq(ip),
                login_attempts::succeeded.eq(verified.is_some()),
                login_attempts::at.eq(at),
            ))
            .execute(conn)?;
        let Some(agent) = verified else {
            return Ok(Err(SignInError::WrongCredentials));
        };
        if !agent.active {
            return Ok(Err(SignInError::Deactivated));
        }
        diesel::update(agents::table.find(agent.id))
            .set(agents::last_login_at.eq(Some(at)))
            .execute(conn)?;
        audit::record(conn, signed(agent.id, "agent.sign_in", ip))?;
        // Sign-ins are rare enough to sweep ended sessions away on.
        sessions::purge_ended(conn)?;
        Ok(Ok(agent))
    })
}

/// Audits a sign-out.
pub fn sign_out(conn: &mut DbConnection, agent: AgentId, ip: &str) -> Result<(), DbError> {
    audit::record(conn, signed(agent, "agent.sign_out", ip)).map(|_| ())
}

fn signed(agent: AgentId, action: &str, ip: &str) -> AuditEntry {
    AuditEntry {
        actor: AuditActor::Agent,
        agent: Some(agent),
        action: action.to_owned(),
        entity_type: "agent".to_owned(),
        entity_id: agent.to_string(),
        ticket: None,
        before: None,
        after: Some(serde_json::json!({ "ip": ip })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoy_hash_is_a_real_hash_that_matches_nothing_typed() {
        assert!(argon2::password_hash::PasswordHash::new(DECOY_HASH).is_ok());
        assert!(!verify_password("correct horse battery", DECOY_HASH));
    }
}
