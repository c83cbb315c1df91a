//! Signed-in agents' sessions, kept in the database so that every process
//! behind a load balancer sees the same ones and signing out ends a session
//! everywhere. The cookie carries a random key; only its SHA-256 is stored.

use crate::db::schema::agent_sessions;
use crate::db::{DbConnection, DbError};
use chrono::{Duration, NaiveDateTime, SubsecRound, Utc};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// A session ends this long after it last changed (the desk refreshes it
/// about once a minute while the agent works).
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// A session ends this long after sign-in, however busy.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);

pub type SessionState = HashMap<String, String>;

fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A new random session key: 256 bits, hex.
fn new_key() -> String {
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn encode(state: &SessionState) -> String {
    // A map of strings always serialises.
    serde_json::to_string(state).unwrap_or_else(|_| "{}".to_owned())
}

/// The state of a live session; None when it is unknown, idle too long or
/// past its absolute lifetime.
pub fn load(conn: &mut DbConnection, key: &str) -> Result<Option<SessionState>, DbError> {
    let now = now();
    let stored: Option<String> = agent_sessions::table
        .filter(agent_sessions::key_hash.eq(hash_key(key)))
        .filter(agent_sessions::expires_at.gt(now))
        .filter(agent_sessions::created_at.gt(now - ABSOLUTE_TIMEOUT))
        .select(agent_sessions::state)
        .first(conn)
        .optional()?;
    Ok(stored.and_then(|text| serde_json::from_str(&text).ok()))
}

/// Stores a new session and answers its key.
pub fn create(
    conn: &mut DbConnection,
    state: &SessionState,
    idle: Duration,
) -> Result<String, DbError> {
    let key = new_key();
    let now = now();
    diesel::insert_into(agent_sessions::table)
        .values((
            agent_sessions::key_hash.eq(hash_key(&key)),
            agent_sessions::state.eq(encode(state)),
            agent_sessions::created_at.eq(now),
            agent_sessions::expires_at.eq(now + idle),
        ))
        .execute(conn)?;
    Ok(key)
}

/// Replaces a live session's state and pushes its idle deadline on. A
/// session that has ended meanwhile is not revived: the state goes to a new
/// key, which is answered.
pub fn update(
    conn: &mut DbConnection,
    key: &str,
    state: &SessionState,
    idle: Duration,
) -> Result<String, DbError> {
    let now = now();
    let changed = diesel::update(
        agent_sessions::table
            .filter(agent_sessions::key_hash.eq(hash_key(key)))
            .filter(agent_sessions::expires_at.gt(now))
            .filter(agent_sessions::created_at.gt(now - ABSOLUTE_TIMEOUT)),
    )
    .set((
        agent_sessions::state.eq(encode(state)),
        agent_sessions::expires_at.eq(now + idle),
    ))
    .execute(conn)?;
    if changed == 1 {
        Ok(key.to_owned())
    } else {
        create(conn, state, idle)
    }
}

/// Pushes a live session's idle deadline on.
pub fn touch(conn: &mut DbConnection, key: &str, idle: Duration) -> Result<(), DbError> {
    let now = now();
    diesel::update(
        agent_sessions::table
            .filter(agent_sessions::key_hash.eq(hash_key(key)))
            .filter(agent_sessions::expires_at.gt(now)),
    )
    .set(agent_sessions::expires_at.eq(now + idle))
    .execute(conn)?;
    Ok(())
}

/// Ends a session.
pub fn delete(conn: &mut DbConnection, key: &str) -> Result<(), DbError> {
    diesel::delete(agent_sessions::table.filter(agent_sessions::key_hash.eq(hash_key(key))))
        .execute(conn)?;
    Ok(())
}

/// Removes sessions that have ended; answers how many.
pub fn purge_ended(conn: &mut DbConnection) -> Result<usize, DbError> {
    let now = now();
    Ok(diesel::delete(
        agent_sessions::table.filter(
            agent_sessions::expires_at
                .le(now)
                .or(agent_sessions::created_at.le(now - ABSOLUTE_TIMEOUT)),
        ),
    )
    .execute(conn)?)
}
