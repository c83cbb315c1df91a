use crate::db::schema::agents;
use crate::domain::{AgentId, Locale, Role};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = agents)]
pub struct Agent {
    pub id: AgentId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    /// The desk's language the agent chose; None until they choose.
    pub language: Option<Locale>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = agents, treat_none_as_default_value = false)]
pub struct NewAgent {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl Agent {
    pub fn find(conn: &mut crate::db::DbConnection, id: AgentId) -> QueryResult<Option<Self>> {
        agents::table
            .find(id)
            .select(Agent::as_select())
            .first(conn)
            .optional()
    }
}
