//! What a rule is about: the Cedar action and resource its called name and arguments stand
//! for, and the attributes a condition may read. The attribute tables mirror
//! `schema.cedarschema`; a test checks them against it.

use symbi_dsl::ast::{Arg, ExprKind, Literal};
use symbi_dsl::model::Rule;

use super::error::Problems;
use crate::vocabulary::Action;

/// The Cedar types a condition works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ty {
    Bool,
    Long,
    Str,
    StrSet,
}

impl Ty {
    /// The type in product words, for messages.
    pub(super) fn describe(self) -> &'static str {
        match self {
            Self::Bool => "a boolean",
            Self::Long => "a whole number",
            Self::Str => "text",
            Self::StrSet => "a set of text",
        }
    }
}

/// One attribute in the schema.
#[derive(Debug)]
pub(super) struct Attr {
    pub(super) name: &'static str,
    pub(super) ty: Ty,
    /// Declared with `?`: reading it needs a `has` guard.
    pub(super) optional: bool,
}

/// An entity type (or the request context) and its attributes.
#[derive(Debug)]
pub(super) struct Entity {
    /// The Cedar type name (`Tool`), or `context`.
    pub(super) cedar: &'static str,
    /// In product words, for messages: `a tool`.
    pub(super) described: &'static str,
    pub(super) attrs: &'static [Attr],
}

impl Entity {
    pub(super) fn attr(&self, name: &str) -> Option<&'static Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    /// `` `a`, `b` `` or `none`.
    pub(super) fn known(&self) -> String {
        if self.attrs.is_empty() {
            return "none".to_owned();
        }
        self.attrs.iter().map(|a| format!("`{}`", a.name)).collect::<Vec<_>>().join(", ")
    }
}

const fn attr(name: &'static str, ty: Ty) -> Attr {
    Attr { name, ty, optional: false }
}

const fn optional(name: &'static str, ty: Ty) -> Attr {
    Attr { name, ty, optional: true }
}

pub(super) const AGENT: Entity = Entity {
    cedar: "Agent",
    described: "an agent",
    attrs: &[
        attr("name", Ty::Str),
        attr("sandbox_tier", Ty::Long),
        attr("capabilities", Ty::StrSet),
        attr("domain", Ty::Str),
        attr("verified", Ty::Bool),
    ],
};
pub(super) const TOOL: Entity = Entity {
    cedar: "Tool",
    described: "a tool",
    attrs: &[attr("risk_tier", Ty::Str), attr("verified", Ty::Bool), attr("source", Ty::Str)],
};
pub(super) const RESOURCE: Entity = Entity {
    cedar: "Resource",
    described: "a resource",
    attrs: &[
        attr("kind", Ty::Str),
        attr("classification", Ty::Str),
        optional("verified", Ty::Bool),
        optional("path", Ty::Str),
    ],
};
pub(super) const SECRET: Entity = Entity { cedar: "Secret", described: "a secret", attrs: &[] };
pub(super) const SCHEDULE: Entity = Entity { cedar: "Schedule", described: "a schedule", attrs: &[] };
pub(super) const CONTEXT: Entity = Entity {
    cedar: "context",
    described: "the request context",
    attrs: &[attr("surface", Ty::Str), optional("delegation_depth", Ty::Long)],
};

/// How the rule names its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ActionScope {
    /// `action == Action::"<name>"`.
    Is(&'static str),
    /// `action in Action::"<group>"`.
    In(&'static str),
}

/// What a rule's argument name stands for in its condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Bound {
    /// The request's resource (`file` in `read(file)`).
    Resource,
    /// A value passed to a tool, which policy does not see (`url` in `http_request(url)`).
    ToolArgument,
}

/// The Cedar scope of one rule and the names its condition may use.
#[derive(Debug)]
pub(super) struct Target<'r> {
    pub(super) action: ActionScope,
    /// The resource type of the action.
    pub(super) resource: &'static Entity,
    /// `resource == <Type>::"<id>"`, when the rule names one.
    pub(super) resource_id: Option<String>,
    /// Argument names and what they stand for.
    pub(super) names: Vec<(&'r str, Bound)>,
    /// Delegation and messages: `<arg>.depth` is the chain's `context.delegation_depth`.
    pub(super) depth_in_context: bool,
}

impl Target<'_> {
    pub(super) fn bound(&self, name: &str) -> Option<Bound> {
        self.names.iter().find(|(n, _)| *n == name).map(|(_, b)| *b)
    }
}

/// Works out a rule's action and resource; problems with its arguments go to `problems`.
pub(super) fn target<'r>(rule: &'r Rule, problems: &mut Problems<'_>) -> Target<'r> {
    match schema_action(rule.action()) {
        Some((action, resource, depth_in_context)) => {
            let mut target = Target { action, resource, resource_id: None, names: Vec::new(), depth_in_context };
            action_args(&mut target, rule.args(), problems);
            target
        }
        None => {
            // A bare tool name means using the tool in any way: a call the model proposes
            // (`invoke_tool`) or a run through its manifest (`execute_tool`).
            let mut target = Target {
                action: ActionScope::In("tool_use"),
                resource: &TOOL,
                resource_id: Some(rule.action().to_owned()),
                names: Vec::new(),
                depth_in_context: false,
            };
            tool_args(&mut target, rule.action(), rule.args(), problems);
            target
        }
    }
}

/// A schema action or action group: its scope, resource type and whether it is communication.
fn schema_action(name: &str) -> Option<(ActionScope, &'static Entity, bool)> {
    if let Some(action) = Action::parse(name) {
        let (resource, communication) = match action {
            Action::InvokeTool | Action::ExecuteTool => (&TOOL, false),
            Action::Delegate | Action::SendMessage => (&AGENT, true),
            Action::Read | Action::Write => (&RESOURCE, false),
            Action::AccessSecret => (&SECRET, false),
            Action::Schedule => (&SCHEDULE, false),
            Action::Respond | Action::Terminate => (&AGENT, false),
        };
        return Some((ActionScope::Is(action.as_str()), resource, communication));
    }
    let (group, resource, communication) = match name {
        "tool_use" => ("tool_use", &TOOL, false),
        "communicate" => ("communicate", &AGENT, true),
        "data_access" => ("data_access", &RESOURCE, false),
        "lifecycle" => ("lifecycle", &AGENT, false),
        _ => return None,
    };
    Some((ActionScope::In(group), resource, communication))
}

/// `read(file)` binds `file` to the resource; `invoke_tool("search")` names the resource.
fn action_args<'r>(target: &mut Target<'r>, args: &'r [Arg], problems: &mut Problems<'_>) {
    let help = "name the resource with an identifier, like `read(file)`, or with a quoted id, like \
                `invoke_tool(\"search\")`";
    for (index, arg) in args.iter().enumerate() {
        if let Some(name) = &arg.name {
            problems.unsupported(format!("the named argument `{}`", name.name), help, arg.span);
            continue;
        }
        if index > 0 {
            problems.unsupported("a second argument", format!("a rule names one resource; {help}"), arg.span);
            continue;
        }
        match &arg.value.kind {
            ExprKind::Name(name) => target.names.push((name, Bound::Resource)),
            ExprKind::Literal(Literal::Str(id)) => target.resource_id = Some(id.clone()),
            _ => problems.unsupported("an argument of this form", help, arg.span),
        }
    }
}

/// `search(question)` names the tool's argument; policy cannot see its value.
fn tool_args<'r>(target: &mut Target<'r>, tool: &str, args: &'r [Arg], problems: &mut Problems<'_>) {
    for arg in args {
        match (&arg.name, &arg.value.kind) {
            (None, ExprKind::Name(name)) => target.names.push((name, Bound::ToolArgument)),
            _ => problems.unsupported(
                "a tool argument value",
                format!(
                    "policy sees which tool is called, not its arguments; write `{tool}` without the value to \
                     cover every call of it"
                ),
                arg.span,
            ),
        }
    }
}
