//! Bearer tokens for the platform API. Only a token's SHA-256 is stored;
//! the token itself is shown once, when it is created.

use crate::audit::{self, AuditEntry};
use crate::db::schema::api_tokens;
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::AuditActor;
use chrono::Utc;
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

const TOKEN_PREFIX: &str = "rdk_";

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token name must not be empty")]
    EmptyName,
    #[error("an active token named '{0}' exists already")]
    NameTaken(String),
    #[error("no active token is named '{0}'")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::write_failure!(TokenError);

impl From<diesel::result::Error> for TokenError {
    fn from(error: diesel::result::Error) -> Self {
        TokenError::Db(DbError::Query(error))
    }
}

/// What a presented token turns out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    Valid { id: i64 },
    Revoked,
    Unknown,
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn audit_entry(action: &str, name: &str, id: i64) -> AuditEntry {
    AuditEntry {
        actor: AuditActor::Cli,
        agent: None,
        action: action.to_owned(),
        entity_type: "api_token".to_owned(),
        entity_id: id.to_string(),
        ticket: None,
        before: None,
        after: Some(serde_json::json!({ "name": name })),
    }
}

/// Creates a token and returns it: 256 random bits, hex, with a prefix
/// that makes a leaked one easy to recognise.
pub fn create_token(conn: &mut DbConnection, name: &str) -> Result<String, TokenError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(TokenError::EmptyName);
    }
    let mut bytes = [0_u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    write_transaction(conn, |conn| {
        let taken: i64 = api_tokens::table
            .filter(api_tokens::name.eq(name))
            .filter(api_tokens::revoked_at.is_null())
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(TokenError::NameTaken(name.to_owned()));
        }
        let id: i64 = diesel::insert_into(api_tokens::table)
            .values((
                api_tokens::name.eq(name),
                api_tokens::token_hash.eq(hash_token(&token)),
                api_tokens::created_at.eq(Utc::now().naive_utc()),
            ))
            .returning(api_tokens::id)
            .get_result(conn)?;
        audit::record(conn, audit_entry("api_token.create", name, id))?;
        Ok(())
    })?;
    Ok(token)
}

pub fn revoke_token(conn: &mut DbConnection, name: &str) -> Result<(), TokenError> {
    let name = name.trim();
    write_transaction(conn, |conn| {
        let id: Option<i64> = api_tokens::table
            .filter(api_tokens::name.eq(name))
            .filter(api_tokens::revoked_at.is_null())
            .select(api_tokens::id)
            .first(conn)
            .optional()?;
        let id = id.ok_or_else(|| TokenError::NotFound(name.to_owned()))?;
        diesel::update(api_tokens::table.find(id))
            .set(api_tokens::revoked_at.eq(Utc::now().naive_utc()))
            .execute(conn)?;
        audit::record(conn, audit_entry("api_token.revoke", name, id))?;
        Ok(())
    })
}

pub fn check_token(conn: &mut DbConnection, presented: &str) -> Result<TokenCheck, DbError> {
    let found: Option<(i64, Option<chrono::NaiveDateTime>)> = api_tokens::table
        .filter(api_tokens::token_hash.eq(hash_token(presented.trim())))
        .select((api_tokens::id, api_tokens::revoked_at))
        .first(conn)
        .optional()?;
    Ok(match found {
        Some((id, None)) => TokenCheck::Valid { id },
        Some((_, Some(_))) => TokenCheck::Revoked,
        None => TokenCheck::Unknown,
    })
}
