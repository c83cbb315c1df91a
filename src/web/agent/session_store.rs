//! actix-session's storage, backed by the `agent_sessions` table.

use crate::agents::sessions;
use crate::web::AppState;
use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::web;
use chrono::Duration;
use std::collections::HashMap;

#[derive(Clone)]
pub struct DatabaseSessionStore {
    state: web::Data<AppState>,
}

impl DatabaseSessionStore {
    pub fn new(state: web::Data<AppState>) -> DatabaseSessionStore {
        DatabaseSessionStore { state }
    }
}

fn idle(ttl: &CookieDuration) -> Duration {
    Duration::seconds(ttl.whole_seconds())
}

fn session_key(key: String) -> Result<SessionKey, anyhow::Error> {
    SessionKey::try_from(key).map_err(anyhow::Error::from)
}

impl SessionStore for DatabaseSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let key = key.as_ref().to_owned();
        self.state
            .db
            .run(move |conn| sessions::load(conn, &key))
            .await
            .map_err(|e| LoadError::Other(e.into()))
    }

    async fn save(
        &self,
        state: HashMap<String, String>,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        let idle = idle(ttl);
        let key = self
            .state
            .db
            .write(move |conn| sessions::create(conn, &state, idle))
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        session_key(key).map_err(SaveError::Other)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let idle = idle(ttl);
        let key = key.as_ref().to_owned();
        let key = self
            .state
            .db
            .write(move |conn| sessions::update(conn, &key, &state, idle))
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        session_key(key).map_err(UpdateError::Other)
    }

    async fn update_ttl(
        &self,
        key: &SessionKey,
        ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        let idle = idle(ttl);
        let key = key.as_ref().to_owned();
        Ok(self
            .state
            .db
            .write(move |conn| sessions::touch(conn, &key, idle))
            .await?)
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let key = key.as_ref().to_owned();
        Ok(self
            .state
            .db
            .write(move |conn| sessions::delete(conn, &key))
            .await?)
    }
}
