//! A decision request written as text fields — `principal = 'Agent::"planner"'`, `action`,
//! `resource`, optional `surface` and `delegation_depth` — as `symbi policy test` files and the
//! evaluate API take it. One reader, so both accept and refuse exactly the same requests.

use crate::decision::PolicyRequest;
use crate::entities::EntityRef;
use crate::vocabulary::{Action, Surface};

/// A request's fields as written.
#[derive(Debug, Clone, Copy)]
pub struct RequestFields<'a> {
    /// `Type::"id"` of who asks.
    pub principal: &'a str,
    /// An action name (`tool_call` is `invoke_tool`).
    pub action: &'a str,
    /// `Type::"id"` of what the action is on.
    pub resource: &'a str,
    /// A surface name; `api` when absent.
    pub surface: Option<&'a str>,
    /// Hops in a delegation chain so far.
    pub delegation_depth: Option<u32>,
}

/// Which field of a request is wrong, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `{field}`: {message}")]
pub struct RequestFieldError {
    /// The field's name.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl RequestFields<'_> {
    /// The request these fields describe.
    ///
    /// Fails on the first field that is not an entity reference, an action or a surface.
    pub fn parse(&self) -> Result<PolicyRequest, RequestFieldError> {
        let entity = |field: &'static str, text: &str| {
            EntityRef::parse(text).ok_or_else(|| RequestFieldError {
                field,
                message: format!("`{text}` is not an entity such as `Agent::\"planner\"`"),
            })
        };
        let principal = entity("principal", self.principal)?;
        let action = Action::parse(self.action).ok_or_else(|| RequestFieldError {
            field: "action",
            message: format!(
                "`{}` is not an action; use one of {}",
                self.action,
                Action::ALL.map(Action::as_str).join(", ")
            ),
        })?;
        let resource = entity("resource", self.resource)?;
        let surface = match self.surface {
            None => Surface::Api,
            Some(s) => Surface::parse(s).ok_or_else(|| RequestFieldError {
                field: "surface",
                message: format!("`{s}` is not a surface; use one of {}", Surface::ALL.map(Surface::as_str).join(", ")),
            })?,
        };
        Ok(PolicyRequest { principal, action, resource, surface, delegation_depth: self.delegation_depth })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(principal: &'a str, action: &'a str, resource: &'a str) -> RequestFields<'a> {
        RequestFields { principal, action, resource, surface: None, delegation_depth: None }
    }

    #[test]
    fn each_bad_field_is_named() {
        let ok = fields(r#"Agent::"a""#, "tool_call", r#"Tool::"t""#).parse().unwrap();
        assert_eq!((ok.action, ok.surface), (Action::InvokeTool, Surface::Api));
        let field = |f: RequestFields<'_>| f.parse().unwrap_err().field;
        assert_eq!(field(fields("planner", "read", r#"Resource::"r""#)), "principal");
        assert_eq!(field(fields(r#"Agent::"a""#, "fly", r#"Resource::"r""#)), "action");
        assert_eq!(field(fields(r#"Agent::"a""#, "read", "r")), "resource");
        let surface = RequestFields { surface: Some("moon"), ..fields(r#"Agent::"a""#, "read", r#"Resource::"r""#) };
        assert_eq!(field(surface), "surface");
    }
}
