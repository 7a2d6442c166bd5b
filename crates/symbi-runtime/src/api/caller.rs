//! The authenticated caller of a route: handlers that take a [`Caller`] are authenticated, those
//! that do not (health probes, the OpenAPI document) are public.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use crate::agent::AgentId;
use crate::auth::{AuthError, Principal};

/// The principal behind a request's `Authorization: Bearer` token.
#[derive(Debug)]
pub(crate) struct Caller(pub(crate) Principal);

impl Caller {
    /// Refuses non-admin callers with 403 `ADMIN_REQUIRED`.
    pub(crate) fn require_admin(&self) -> Result<(), ApiError> {
        if self.0.is_admin() { Ok(()) } else { Err(ApiError::AdminRequired) }
    }

    /// The caller as a policy principal, `ApiKey::"<key id>"`: how audit records name it.
    pub(crate) fn principal_ref(&self) -> String {
        symbi_policy::EntityRef::ApiKey(self.0.label()).to_string()
    }

    /// Refuses callers whose key is not scoped to `agent` with 403 `AGENT_SCOPE_DENIED`.
    pub(crate) fn require_agent(&self, agent: &AgentId) -> Result<(), ApiError> {
        if self.0.may_access(agent) { Ok(()) } else { Err(ApiError::AgentScopeDenied { agent: agent.to_string() }) }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts);
        let result = match token {
            Some(token) => state.auth().authenticate(token).await,
            None => Err(AuthError::Missing),
        };
        match result {
            Ok(principal) => Ok(Caller(principal)),
            Err(reason) => {
                tracing::info!(%reason, "authentication failed");
                // The claimed key id is not a secret and tells an auditor which key was tried;
                // the rest of the token never leaves this function.
                let claimed = token.and_then(crate::keys::split_token).map(|(id, _)| id.to_string());
                let mut event = symbi_audit::Event::auth_failure("api", reason.to_string());
                if let Some(id) = claimed {
                    event = event.with_principal(symbi_policy::EntityRef::ApiKey(id).to_string());
                }
                // The caller is refused either way; a failed record is the operator's problem.
                if let Err(refusal) = state.governor().record(event).await {
                    tracing::error!(error = %refusal, "cannot record an authentication failure");
                }
                Err(ApiError::Unauthorized)
            }
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}
