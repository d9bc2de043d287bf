//! The client Durable Object: one per client key, holding that client's MCP sessions.
//!
//! Every request runs the pure Streamable HTTP machine against this object's SQLite-backed
//! session store. Storage calls are synchronous, so a request's load-modify-save of its session
//! cannot interleave with another request's.

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::convert;
use super::router::OWNER_HEADER;
use super::sql_sessions::SqlSessions;
use crate::mcp::session::DEFAULT_IDLE_TTL_MS;
use crate::mcp::Dispatcher;
use crate::tools::Porygon;
use crate::transport::gate::MAX_BODY_BYTES;
use crate::transport::streamable::{Streamable, SESSION_HEADER};
use crate::transport::HttpResponse;

#[durable_object]
pub struct ClientObject {
    state: State,
    sessions: SqlSessions,
    dispatcher: Dispatcher<Porygon>,
    idle_ttl_ms: i64,
}

impl DurableObject for ClientObject {
    fn new(state: State, env: Env) -> Self {
        let sessions = SqlSessions::new(state.storage().sql());
        if let Err(e) = sessions.migrate() {
            tracing::error!(error = %e, "session schema migration failed");
        }
        let idle_ttl_ms = env
            .var("SESSION_IDLE_TTL_SECS")
            .ok()
            .and_then(|v| v.to_string().parse::<i64>().ok())
            .filter(|s| *s > 0)
            .map_or(DEFAULT_IDLE_TTL_MS, |s| s * 1000);
        Self {
            state,
            sessions,
            dispatcher: Dispatcher::new(Porygon::new()),
            idle_ttl_ms,
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let owner = req.headers().get(OWNER_HEADER)?.unwrap_or_default();
        let Some(http) = convert::request(req, MAX_BODY_BYTES).await? else {
            return convert::response(HttpResponse::empty(413));
        };
        let machine = Streamable {
            dispatcher: &self.dispatcher,
            store: &self.sessions,
            owner: &owner,
            now_ms: now_ms(),
            idle_ttl_ms: self.idle_ttl_ms,
        };
        let response = machine.handle(&http).await;
        if response.headers.get(SESSION_HEADER).is_some() {
            self.ensure_sweep_scheduled().await?;
        }
        convert::response(response)
    }

    /// Expires idle sessions — only those whose own deadline passed — then re-arms for the next.
    async fn alarm(&self) -> Result<Response> {
        match self.sessions.sweep(now_ms()) {
            Ok(Some(next)) => {
                self.state
                    .storage()
                    .set_alarm(next.max(now_ms() + 1000))
                    .await?
            }
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "session sweep failed"),
        }
        Response::empty()
    }
}

impl ClientObject {
    async fn ensure_sweep_scheduled(&self) -> Result<()> {
        let storage = self.state.storage();
        if storage.get_alarm().await?.is_none() {
            storage.set_alarm(now_ms() + self.idle_ttl_ms).await?;
        }
        Ok(())
    }
}

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}
