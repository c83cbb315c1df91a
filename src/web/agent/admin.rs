//! `/agent/admin`: agents and roles, the SLA calendar, the audit log.
//! Admins only: every handler takes `AdminViewer`.

use super::auth::{AdminViewer, CsrfForm};
use super::{Chrome, render, see_other};
use crate::agents::{
    AgentChange, AgentError, NewAgentRequest, add_agent, change_agent, list_agents,
};
use crate::db::models::Agent;
use crate::domain::{AgentId, Role};
use crate::web::AppState;
use crate::web::errors::DeskError;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::str::FromStr;
use strum::IntoEnumIterator;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/admin", web::get().to(admin_home))
        .route("/admin/agents", web::get().to(agents_page))
        .route("/admin/agents", web::post().to(add_agent_form))
        .route("/admin/agents/{id}", web::post().to(change_agent_form));
}

async fn admin_home(_admin: AdminViewer) -> HttpResponse {
    see_other("/agent/admin/agents")
}

#[derive(Template)]
#[template(path = "agent/admin/agents.html")]
struct AgentsPage {
    title: &'static str,
    chrome: Chrome,
    agents: Vec<Agent>,
    roles: Vec<Role>,
    me: AgentId,
    notice: Option<String>,
    error: Option<String>,
    form: NewAgentForm,
}

#[derive(Deserialize, Default)]
pub struct AgentsQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn agents_view(
    state: &AppState,
    admin: AdminViewer,
    notice: Option<String>,
    error: Option<String>,
    form: NewAgentForm,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, DeskError> {
    let agents = state
        .db
        .run(|conn| list_agents(conn).map_err(agent_error))
        .await?;
    render(
        AgentsPage {
            title: "Agents",
            chrome: Chrome::new(&admin.0, "admin"),
            agents,
            roles: Role::iter().collect(),
            me: admin.0.id,
            notice,
            error,
            form,
        },
        status,
    )
}

async fn agents_page(
    admin: AdminViewer,
    state: web::Data<AppState>,
    query: web::Query<AgentsQuery>,
) -> Result<HttpResponse, DeskError> {
    agents_view(
        &state,
        admin,
        query.done.clone(),
        None,
        NewAgentForm::default(),
        actix_web::http::StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default, Clone)]
pub struct NewAgentForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub password: String,
}

fn agent_error(error: AgentError) -> DeskError {
    match error {
        AgentError::Db(db) => db.into(),
        AgentError::Unknown(_) => DeskError::NotFound(error.to_string()),
        other => DeskError::BadRequest(other.to_string()),
    }
}

async fn add_agent_form(
    admin: AdminViewer,
    state: web::Data<AppState>,
    form: CsrfForm<NewAgentForm>,
) -> Result<HttpResponse, DeskError> {
    let form = form.0;
    let by = admin.0.id;
    let request = Role::from_str(&form.role)
        .map_err(|_| AgentError::InvalidRole(form.role.clone()))
        .and_then(|role| NewAgentRequest::parse(&form.email, &form.name, role, &form.password));
    let added = match request {
        Ok(request) => {
            state
                .db
                .write(move |conn| add_agent(conn, request, Some(by)))
                .await
        }
        Err(error) => Err(error),
    };
    match added {
        Ok(_) => Ok(see_other(&format!(
            "/agent/admin/agents?done={}",
            crate::web::errors::urlencode(&format!("Added {}.", form.email.trim()))
        ))),
        Err(AgentError::Db(db)) => Err(db.into()),
        Err(error) => {
            let form = NewAgentForm {
                password: String::new(),
                ..form
            };
            agents_view(
                &state,
                admin,
                None,
                Some(error.to_string()),
                form,
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct ChangeAgentForm {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    active: Option<String>,
}

async fn change_agent_form(
    admin: AdminViewer,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    form: CsrfForm<ChangeAgentForm>,
) -> Result<HttpResponse, DeskError> {
    let change = match (&form.0.role, &form.0.active) {
        (Some(role), _) => AgentChange::Role(
            Role::from_str(role)
                .map_err(|_| DeskError::BadRequest(format!("'{role}' is not a role")))?,
        ),
        (None, Some(active)) => AgentChange::Active(active == "true"),
        (None, None) => {
            return Err(DeskError::BadRequest(
                "choose a role or whether the agent is active".into(),
            ));
        }
    };
    let (target, by) = (AgentId(id.into_inner()), admin.0.id);
    match state
        .db
        .write(move |conn| change_agent(conn, target, change, by))
        .await
    {
        Ok(agent) => Ok(see_other(&format!(
            "/agent/admin/agents?done={}",
            crate::web::errors::urlencode(&format!("Updated {}.", agent.email))
        ))),
        Err(AgentError::Db(db)) => Err(db.into()),
        Err(AgentError::Unknown(_)) => Err(DeskError::NotFound(format!(
            "agent {target} does not exist"
        ))),
        Err(error) => {
            agents_view(
                &state,
                admin,
                None,
                Some(error.to_string()),
                NewAgentForm::default(),
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
