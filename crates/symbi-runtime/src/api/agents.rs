//! Agent routes: list, register, inspect, change, remove. Request bodies are checked here, once,
//! into domain values; every field problem is reported together.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde_json::json;

use super::caller::Caller;
use super::error::ApiError;
use super::json::ApiJson;
use super::policies::governor_error;
use super::wire::{
    AgentChangeResponse, AgentHistoryResponse, AgentStatusResponse, CreateAgentRequest, HistoryEntry, HistoryQuery,
    ResourceUsage, UpdateAgentRequest, timestamp,
};
use super::{AppState, TAG_AGENTS};
use crate::agent::{AgentDefinition, AgentId, ModelProfile};
use crate::governor::GovernorError;
use crate::store::{AgentUpdate, StoreError};

const MAX_NAME: usize = 256;
const MAX_DESCRIPTION: usize = 4 * 1024;
const MAX_SOURCE: usize = 256 * 1024;
const MAX_LIST: usize = 256;
const MAX_ITEM: usize = 128;
const MAX_METADATA: usize = 64;
const MAX_METADATA_VALUE: usize = 4 * 1024;
const DEFAULT_HISTORY: u32 = 100;
const MAX_HISTORY: u32 = 1000;

/// Lists the ids of the agents the caller may see (all of them for admin keys).
#[utoipa::path(get, path = "/api/v1/agents", tag = TAG_AGENTS, security(("bearer" = [])),
    responses((status = 200, description = "Agent ids, oldest first", body = Vec<String>)))]
pub(crate) async fn list(caller: Caller, State(state): State<AppState>) -> Result<Json<Vec<String>>, ApiError> {
    let ids = state.store().agent_ids().await?;
    Ok(Json(ids.into_iter().filter(|id| caller.0.may_access(id)).map(|id| id.to_string()).collect()))
}

/// Registers an agent (admin). Accepts the SDK's agent model or `{name, dsl}`.
#[utoipa::path(post, path = "/api/v1/agents", tag = TAG_AGENTS, security(("bearer" = [])),
    request_body = CreateAgentRequest,
    responses((status = 201, body = AgentChangeResponse), (status = 400, body = super::wire::ErrorResponse),
        (status = 409, description = "An agent with this id exists", body = super::wire::ErrorResponse)))]
pub(crate) async fn create(
    caller: Caller,
    State(state): State<AppState>,
    ApiJson(request): ApiJson<CreateAgentRequest>,
) -> Result<(StatusCode, Json<AgentChangeResponse>), ApiError> {
    caller.require_admin()?;
    let (id, definition) = parse_create(request)?;
    let id = id.unwrap_or_else(AgentId::generate);
    match state.governor().register_agent(&id, &definition, &caller.principal_ref()).await {
        Ok(agent) => {
            tracing::info!(agent = %agent.id, by = %caller.0.label(), "agent registered");
            Ok((StatusCode::CREATED, Json(AgentChangeResponse { id: agent.id.to_string(), status: "created" })))
        }
        Err(GovernorError::Store(StoreError::AgentExists { id })) => {
            Err(ApiError::AgentExists { agent: id.to_string() })
        }
        Err(e) => Err(governor_error(e)),
    }
}

/// An agent's state and resource use.
#[utoipa::path(get, path = "/api/v1/agents/{id}/status", tag = TAG_AGENTS, security(("bearer" = [])),
    params(("id" = String, Path, description = "Agent id")),
    responses((status = 200, body = AgentStatusResponse), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn status(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AgentStatusResponse>, ApiError> {
    let id = agent_id(&id)?;
    caller.require_agent(&id)?;
    let agent = state.store().agent(&id).await?.ok_or_else(|| ApiError::AgentNotFound { agent: id.to_string() })?;
    Ok(Json(AgentStatusResponse {
        agent_id: agent.id.to_string(),
        name: agent.definition.name,
        state: agent.state.as_str(),
        last_activity: timestamp(agent.last_activity),
        // Nothing executes for an agent yet, so it holds no resources; real figures arrive with
        // the executors.
        resource_usage: ResourceUsage { memory_bytes: 0, cpu_percent: 0.0, active_tasks: 0 },
    }))
}

/// Changes an agent's name, description or DSL (admin).
#[utoipa::path(put, path = "/api/v1/agents/{id}", tag = TAG_AGENTS, security(("bearer" = [])),
    params(("id" = String, Path, description = "Agent id")), request_body = UpdateAgentRequest,
    responses((status = 200, body = AgentChangeResponse), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn update(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<UpdateAgentRequest>,
) -> Result<Json<AgentChangeResponse>, ApiError> {
    caller.require_admin()?;
    let id = agent_id(&id)?;
    let update = parse_update(request)?;
    let agent = state
        .governor()
        .update_agent(&id, &update, &caller.principal_ref())
        .await
        .map_err(governor_error)?
        .ok_or_else(|| ApiError::AgentNotFound { agent: id.to_string() })?;
    tracing::info!(agent = %agent.id, by = %caller.0.label(), "agent updated");
    Ok(Json(AgentChangeResponse { id: agent.id.to_string(), status: "updated" }))
}

/// Removes an agent and its history (admin).
#[utoipa::path(delete, path = "/api/v1/agents/{id}", tag = TAG_AGENTS, security(("bearer" = [])),
    params(("id" = String, Path, description = "Agent id")),
    responses((status = 200, body = AgentChangeResponse), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn delete(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AgentChangeResponse>, ApiError> {
    caller.require_admin()?;
    let id = agent_id(&id)?;
    if !state.governor().remove_agent(&id, &caller.principal_ref()).await.map_err(governor_error)? {
        return Err(ApiError::AgentNotFound { agent: id.to_string() });
    }
    tracing::info!(agent = %id, by = %caller.0.label(), "agent deleted");
    Ok(Json(AgentChangeResponse { id: id.to_string(), status: "deleted" }))
}

/// An agent's history, newest first.
#[utoipa::path(get, path = "/api/v1/agents/{id}/history", tag = TAG_AGENTS, security(("bearer" = [])),
    params(("id" = String, Path, description = "Agent id"), HistoryQuery),
    responses((status = 200, body = AgentHistoryResponse), (status = 404, body = super::wire::ErrorResponse)))]
pub(crate) async fn history(
    caller: Caller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AgentHistoryResponse>, ApiError> {
    let id = agent_id(&id)?;
    caller.require_agent(&id)?;
    let Query(query) = query.map_err(|e| ApiError::InvalidRequest { message: e.body_text(), details: None })?;
    let limit = query.limit.unwrap_or(DEFAULT_HISTORY);
    if !(1..=MAX_HISTORY).contains(&limit) {
        return Err(invalid(&[("limit", format!("must be between 1 and {MAX_HISTORY}"))]));
    }
    let store = state.store();
    if store.agent(&id).await?.is_none() {
        return Err(ApiError::AgentNotFound { agent: id.to_string() });
    }
    let history = store
        .agent_history(&id, limit)
        .await?
        .into_iter()
        .map(|h| HistoryEntry { execution_id: h.execution_id, status: h.status, timestamp: timestamp(h.timestamp) })
        .collect();
    Ok(Json(AgentHistoryResponse { history }))
}

fn agent_id(text: &str) -> Result<AgentId, ApiError> {
    AgentId::parse(text).map_err(|e| invalid(&[("id", e.to_string())]))
}

/// Turns a create request into an id and a definition, or one error listing every bad field.
pub(super) fn parse_create(r: CreateAgentRequest) -> Result<(Option<AgentId>, AgentDefinition), ApiError> {
    let mut problems = Vec::new();
    let id = r.id.as_deref().and_then(|id| AgentId::parse(id).map_err(|e| problems.push(("id", e.to_string()))).ok());
    check_text(&mut problems, "name", &r.name, 1, MAX_NAME);
    if let Some(d) = &r.description {
        check_text(&mut problems, "description", d, 0, MAX_DESCRIPTION);
    }
    if let Some(dsl) = &r.dsl {
        check_source(&mut problems, "dsl", dsl);
    }
    if let Some(prompt) = &r.system_prompt {
        check_source(&mut problems, "system_prompt", prompt);
    }
    if r.dsl.is_none() && r.system_prompt.is_none() {
        problems.push(("dsl", "an agent needs a `dsl` definition or a `system_prompt`".to_owned()));
    }
    check_list(&mut problems, "tools", r.tools.as_deref());
    check_list(&mut problems, "capabilities", r.capabilities.as_deref());
    if let Some(model) = &r.model {
        check_text(&mut problems, "model", model, 1, MAX_ITEM);
    }
    check_range(&mut problems, "temperature", r.temperature, 2.0);
    check_range(&mut problems, "top_p", r.top_p, 1.0);
    if r.max_tokens == Some(0) {
        problems.push(("max_tokens", "must be at least 1".to_owned()));
    }
    if let Some(metadata) = &r.metadata {
        if metadata.len() > MAX_METADATA {
            problems.push(("metadata", format!("at most {MAX_METADATA} entries")));
        }
        for (k, v) in metadata {
            check_text(&mut problems, "metadata", k, 1, MAX_ITEM);
            check_text(&mut problems, "metadata", v, 0, MAX_METADATA_VALUE);
        }
    }
    if !problems.is_empty() {
        return Err(invalid(&problems));
    }
    if let Some(dsl) = &r.dsl {
        check_dsl(dsl)?;
    }
    let model = r.system_prompt.map(|system_prompt| ModelProfile {
        system_prompt,
        tools: r.tools.unwrap_or_default(),
        model: r.model,
        temperature: r.temperature,
        top_p: r.top_p,
        max_tokens: r.max_tokens,
    });
    let definition = AgentDefinition {
        name: r.name,
        description: r.description.unwrap_or_default(),
        dsl: r.dsl,
        model,
        capabilities: r.capabilities.unwrap_or_default(),
        metadata: r.metadata.unwrap_or_default(),
    };
    Ok((id, definition))
}

fn parse_update(r: UpdateAgentRequest) -> Result<AgentUpdate, ApiError> {
    let mut problems = Vec::new();
    if r.name.is_none() && r.description.is_none() && r.dsl.is_none() {
        problems.push(("body", "give at least one of `name`, `description`, `dsl`".to_owned()));
    }
    if let Some(name) = &r.name {
        check_text(&mut problems, "name", name, 1, MAX_NAME);
    }
    if let Some(d) = &r.description {
        check_text(&mut problems, "description", d, 0, MAX_DESCRIPTION);
    }
    if let Some(dsl) = &r.dsl {
        check_source(&mut problems, "dsl", dsl);
    }
    if !problems.is_empty() {
        return Err(invalid(&problems));
    }
    if let Some(dsl) = &r.dsl {
        check_dsl(dsl)?;
    }
    Ok(AgentUpdate { name: r.name, description: r.description, dsl: r.dsl, state: None })
}

/// Parses and checks `.symbi` source the strict way `symbi up` does; every error is reported with
/// its line, column and help.
fn check_dsl(source: &str) -> Result<(), ApiError> {
    let diagnostics: Vec<serde_json::Value> = match symbi_dsl::parse(source) {
        Err(errors) => errors.iter().map(|e| dsl_diagnostic(source, e.span(), e)).collect(),
        Ok(file) => match symbi_dsl::check(&file) {
            Ok(_) => return Ok(()),
            Err(errors) => errors.iter().map(|e| dsl_diagnostic(source, e.span(), e)).collect(),
        },
    };
    let first = diagnostics.first().map_or_else(String::new, |d| {
        format!(": line {}, column {}: {}", d["line"], d["column"], d["message"].as_str().unwrap_or_default())
    });
    Err(ApiError::InvalidDsl {
        message: format!("the agent's DSL has {} error(s){first}", diagnostics.len()),
        diagnostics,
    })
}

fn dsl_diagnostic(source: &str, span: symbi_dsl::Span, error: &dyn miette::Diagnostic) -> serde_json::Value {
    let at = span.location(source);
    json!({
        "line": at.line,
        "column": at.column,
        "message": error.to_string(),
        "help": error.help().map(|h| h.to_string()),
    })
}

type Problems = Vec<(&'static str, String)>;

fn check_text(problems: &mut Problems, field: &'static str, text: &str, min: usize, max: usize) {
    let len = text.chars().count();
    if len < min || text.trim().len() < min {
        problems.push((field, "cannot be empty".to_owned()));
    } else if len > max {
        problems.push((field, format!("at most {max} characters")));
    } else if text.chars().any(char::is_control) {
        problems.push((field, "cannot contain control characters".to_owned()));
    }
}

/// Multi-line text (DSL, prompts): newlines and tabs allowed, other control characters not.
fn check_source(problems: &mut Problems, field: &'static str, text: &str) {
    if text.trim().is_empty() {
        problems.push((field, "cannot be empty".to_owned()));
    } else if text.len() > MAX_SOURCE {
        problems.push((field, format!("at most {MAX_SOURCE} bytes")));
    } else if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        problems.push((field, "cannot contain control characters other than newlines and tabs".to_owned()));
    }
}

fn check_list(problems: &mut Problems, field: &'static str, items: Option<&[String]>) {
    let Some(items) = items else { return };
    if items.len() > MAX_LIST {
        problems.push((field, format!("at most {MAX_LIST} entries")));
    }
    for item in items {
        check_text(problems, field, item, 1, MAX_ITEM);
    }
}

fn check_range(problems: &mut Problems, field: &'static str, value: Option<f64>, max: f64) {
    if let Some(v) = value
        && !(v.is_finite() && (0.0..=max).contains(&v))
    {
        problems.push((field, format!("must be between 0 and {max}")));
    }
}

fn invalid(problems: &[(&'static str, String)]) -> ApiError {
    let message = match problems {
        [(field, problem)] => format!("invalid `{field}`: {problem}"),
        _ => format!("{} fields are invalid; see details", problems.len()),
    };
    let fields: Vec<_> =
        problems.iter().map(|(field, problem)| json!({ "field": field, "problem": problem })).collect();
    ApiError::InvalidRequest { message, details: Some(json!({ "fields": fields })) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: serde_json::Value) -> Result<(Option<AgentId>, AgentDefinition), ApiError> {
        parse_create(serde_json::from_value(body).unwrap())
    }

    #[test]
    fn sdk_model_and_dsl_forms_are_accepted() {
        let (id, def) = request(json!({
            "id": "a", "name": "n", "description": "d", "system_prompt": "s", "tools": ["t"],
            "model": "m", "temperature": 0.5, "top_p": 1.0, "max_tokens": 10
        }))
        .unwrap();
        assert_eq!(id.unwrap().as_str(), "a");
        assert_eq!(def.model.unwrap().max_tokens, Some(10));
        let (id, def) = request(json!({"name": "n", "dsl": "agent n() {}"})).unwrap();
        assert!(id.is_none());
        assert_eq!(def.dsl.as_deref(), Some("agent n() {}"));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let Err(ApiError::InvalidRequest { details: Some(details), .. }) = request(json!({
            "id": "-x", "name": " ", "temperature": 3.0, "top_p": -1.0, "max_tokens": 0, "tools": [""]
        })) else {
            panic!("expected INVALID_REQUEST");
        };
        let fields: Vec<&str> =
            details["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["id", "name", "dsl", "tools", "temperature", "top_p", "max_tokens"]);
    }
}
