//! Signing in: password check, login throttling, and the record of tries.
//! The answer never tells whether an e-mail belongs to an agent.

use super::{sessions, verify_password};
use crate::audit::{self, AuditEntry};
use crate::db::models::Agent;
use crate::db::schema::{agents, login_attempts, login_throttles};
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::text;
use crate::domain::{AgentId, AuditActor};
use crate::throttle;
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

/// The throttle keys of one sign-in: its account and its address.
fn throttle_keys(email: &str, ip: &str) -> [String; 2] {
    [format!("email:{email}"), format!("ip:{ip}")]
}

/// Counts this try against its account and its address, before the
/// password is checked, and refuses when either has had its tries in the
/// current window; then looks the agent up. Each count is a conditional
/// update of the key's row, so a burst of tries at once, on any number of
/// instances, cannot pass the limit. Run it through the write path.
pub fn prepare(conn: &mut DbConnection, email: &str, ip: &str) -> Result<SignInCheck, SignInError> {
    // Whatever was typed is throttled and looked up as typed; it only has
    // to be storable.
    let email = text::email(email).unwrap_or_else(|_| text::search(email).to_lowercase());
    write_transaction(conn, |conn| {
        let at = now();
        for key in throttle_keys(&email, ip) {
            if let Err(minutes) = throttle::count(conn, &key, MAX_FAILURES, FAILURE_WINDOW, at)? {
                return Err(SignInError::Throttled { minutes });
            }
        }
        let agent = agents::table
            .filter(agents::email.eq(&email))
            .select(Agent::as_select())
            .first(conn)
            .optional()?;
        Ok(SignInCheck {
            email: email.clone(),
            agent,
        })
    })
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
        // The right password takes its try back: the account starts afresh,
        // the address loses this one count.
        let [account_key, address_key] = throttle_keys(&check.email, ip);
        {
            use login_throttles::dsl as t;
            diesel::update(t::login_throttles.filter(t::key.eq(&account_key)))
                .set(t::tries.eq(0_i64))
                .execute(conn)?;
            diesel::update(
                t::login_throttles
                    .filter(t::key.eq(&address_key))
                    .filter(t::tries.gt(0_i64)),
            )
            .set(t::tries.eq(t::tries - 1))
            .execute(conn)?;
        }
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
