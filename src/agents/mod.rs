//! Support agents: who may sign in to the desk, and with which role.

pub mod password;
pub mod sessions;
pub mod signin;

use crate::audit::{self, AuditEntry};
use crate::db::models::{Agent, NewAgent};
use crate::db::schema::agents;
use crate::db::{DbConnection, DbError, write_transaction};
use crate::domain::text::{self, TextError};
use crate::domain::{AgentId, AuditActor, Locale, Role};
use chrono::Utc;
use diesel::prelude::*;

pub use password::{MIN_PASSWORD_CHARS, PasswordError, hash_password, verify_password};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("e-mail: {0}")]
    InvalidEmail(TextError),
    #[error("name: {0}")]
    InvalidName(TextError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("an agent with e-mail {0} already exists")]
    EmailTaken(String),
    #[error("'{0}' is not a role (agent, supervisor or admin)")]
    InvalidRole(String),
    #[error("agent {0} does not exist")]
    Unknown(AgentId),
    #[error("you cannot change your own role or deactivate yourself; ask another admin")]
    OwnAccount,
    #[error("{0} was changed by someone else meanwhile; nothing was saved, look again")]
    ChangedMeanwhile(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::write_failure!(AgentError);

impl AgentError {
    /// What went wrong, in the reader's words.
    pub fn message(&self) -> crate::i18n::Message {
        use crate::i18n::Message;
        match self {
            AgentError::InvalidEmail(problem) => {
                Message::new("agent-error-email").with_message("problem", problem.message())
            }
            AgentError::InvalidName(problem) => {
                Message::new("agent-error-name").with_message("problem", problem.message())
            }
            AgentError::Password(PasswordError::TooShort) => {
                Message::new("agent-error-password").with("min", MIN_PASSWORD_CHARS.to_string())
            }
            AgentError::Password(PasswordError::Hashing(_)) => Message::new("error-internal"),
            AgentError::EmailTaken(email) => {
                Message::new("agent-error-email-taken").with("email", email.clone())
            }
            AgentError::InvalidRole(role) => {
                Message::new("agent-error-role").with("role", role.clone())
            }
            AgentError::Unknown(id) => {
                Message::new("agent-error-unknown").with("agent", id.to_string())
            }
            AgentError::OwnAccount => Message::new("agent-error-own-account"),
            AgentError::ChangedMeanwhile(email) => {
                Message::new("agent-error-changed-meanwhile").with("email", email.clone())
            }
            AgentError::Db(_) => Message::new("error-internal"),
        }
    }
}

impl From<diesel::result::Error> for AgentError {
    fn from(error: diesel::result::Error) -> Self {
        AgentError::Db(DbError::Query(error))
    }
}

/// A checked request to add an agent.
#[derive(Debug, Clone)]
pub struct NewAgentRequest {
    email: String,
    name: String,
    role: Role,
    password_hash: String,
}

impl NewAgentRequest {
    /// Checks the e-mail, name and password, and hashes the password.
    pub fn parse(email: &str, name: &str, role: Role, password: &str) -> Result<Self, AgentError> {
        let email = text::email(email).map_err(AgentError::InvalidEmail)?;
        let name = text::person_name(name).map_err(AgentError::InvalidName)?;
        Ok(NewAgentRequest {
            email,
            name,
            role,
            password_hash: hash_password(password)?,
        })
    }
}

/// Adds an agent and audits it, in one transaction. `by` is the admin who
/// did it, or None from the command line.
pub fn add_agent(
    conn: &mut DbConnection,
    request: NewAgentRequest,
    by: Option<AgentId>,
) -> Result<AgentId, AgentError> {
    let row = NewAgent {
        email: request.email.clone(),
        name: request.name,
        role: request.role,
        password_hash: request.password_hash,
        active: true,
        created_at: Utc::now().naive_utc(),
    };
    let inserted = write_transaction(conn, |conn| {
        let id: AgentId = diesel::insert_into(agents::table)
            .values(&row)
            .returning(agents::id)
            .get_result(conn)?;
        audit::record(
            conn,
            AuditEntry {
                actor: if by.is_some() {
                    AuditActor::Agent
                } else {
                    AuditActor::Cli
                },
                agent: by,
                action: "agent.add".to_owned(),
                entity_type: "agent".to_owned(),
                entity_id: id.to_string(),
                ticket: None,
                before: None,
                after: Some(
                    serde_json::json!({ "email": row.email, "name": row.name, "role": row.role.as_str(), "active": true }),
                ),
            },
        )?;
        Ok::<AgentId, AgentError>(id)
    });
    match inserted {
        Err(AgentError::Db(DbError::Query(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )))) => Err(AgentError::EmailTaken(request.email)),
        other => other,
    }
}

/// The agent with this id, active or not: the signed-in agent is re-read
/// with it on every request.
pub fn find(conn: &mut DbConnection, id: AgentId) -> Result<Option<Agent>, DbError> {
    Ok(Agent::find(conn, id)?)
}

/// Every agent, by name, for the admin list.
pub fn list_agents(conn: &mut DbConnection) -> Result<Vec<Agent>, AgentError> {
    Ok(agents::table
        .order((agents::active.desc(), agents::name, agents::id))
        .select(Agent::as_select())
        .load(conn)?)
}

/// A change an admin makes to another agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentChange {
    Role(Role),
    Active(bool),
}

/// Changes an agent's role or whether they may sign in, audited with the
/// values before and after. Admins cannot change themselves, so the desk
/// always keeps the admin who is making changes.
pub fn change_agent(
    conn: &mut DbConnection,
    id: AgentId,
    change: AgentChange,
    by: AgentId,
) -> Result<Agent, AgentError> {
    if id == by {
        return Err(AgentError::OwnAccount);
    }
    write_transaction(conn, |conn| {
        let before = Agent::find(conn, id)?.ok_or(AgentError::Unknown(id))?;
        // Each change is conditioned on the value read, so the audit row's
        // "before" is what the change really replaced.
        let (field, old, new, changed) = match change {
            AgentChange::Role(role) => (
                "role",
                before.role.as_str().to_owned(),
                role.as_str().to_owned(),
                diesel::update(
                    agents::table
                        .filter(agents::id.eq(id))
                        .filter(agents::role.eq(before.role)),
                )
                .set(agents::role.eq(role))
                .execute(conn)?,
            ),
            AgentChange::Active(active) => (
                "active",
                before.active.to_string(),
                active.to_string(),
                diesel::update(
                    agents::table
                        .filter(agents::id.eq(id))
                        .filter(agents::active.eq(before.active)),
                )
                .set(agents::active.eq(active))
                .execute(conn)?,
            ),
        };
        if changed != 1 {
            return Err(AgentError::ChangedMeanwhile(before.email));
        }
        audit::record(
            conn,
            AuditEntry {
                actor: AuditActor::Agent,
                agent: Some(by),
                action: format!("agent.{field}"),
                entity_type: "agent".to_owned(),
                entity_id: id.to_string(),
                ticket: None,
                before: Some(serde_json::json!({ field: old })),
                after: Some(serde_json::json!({ field: new })),
            },
        )?;
        Ok(agents::table
            .find(id)
            .select(Agent::as_select())
            .first(conn)?)
    })
}

/// Stores the desk language an agent chose. A preference, not a state
/// change: the newest choice wins, and it is not audited.
pub fn set_language(conn: &mut DbConnection, id: AgentId, language: Locale) -> Result<(), DbError> {
    diesel::update(agents::table.filter(agents::id.eq(id)))
        .set(agents::language.eq(Some(language)))
        .execute(conn)?;
    Ok(())
}
