//! The words policies are written in: actions and surfaces. Wire names are the Cedar action ids.

use std::fmt;

/// What an agent (or caller) wants to do. Each is a Cedar `Action::"<name>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Ask for a tool to run (`tool_call` is accepted as another name for it).
    InvokeTool,
    /// Run a tool's process or request (the executor's half of a tool call).
    ExecuteTool,
    /// Hand a task to another agent.
    Delegate,
    /// Send a message to another agent.
    SendMessage,
    /// Read data.
    Read,
    /// Write data.
    Write,
    /// Be given a secret.
    AccessSecret,
    /// Create or run a schedule.
    Schedule,
    /// Answer a caller.
    Respond,
    /// Stop an agent.
    Terminate,
}

impl Action {
    /// Every action, in schema order.
    pub const ALL: [Self; 10] = [
        Self::InvokeTool,
        Self::ExecuteTool,
        Self::Delegate,
        Self::SendMessage,
        Self::Read,
        Self::Write,
        Self::AccessSecret,
        Self::Schedule,
        Self::Respond,
        Self::Terminate,
    ];

    /// The Cedar action id.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvokeTool => "invoke_tool",
            Self::ExecuteTool => "execute_tool",
            Self::Delegate => "delegate",
            Self::SendMessage => "send_message",
            Self::Read => "read",
            Self::Write => "write",
            Self::AccessSecret => "access_secret",
            Self::Schedule => "schedule",
            Self::Respond => "respond",
            Self::Terminate => "terminate",
        }
    }

    /// Parses an action name; `tool_call` is an alias of `invoke_tool`.
    pub fn parse(name: &str) -> Option<Self> {
        if name == "tool_call" {
            return Some(Self::InvokeTool);
        }
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// The action group the schema puts it in (`action in Action::"tool_use"` covers it), if any.
    /// Decisions read the hierarchy from here rather than from the parsed schema, which a
    /// short-lived process (a hook) would otherwise parse for this alone; a test holds the two
    /// equal.
    pub fn group(self) -> Option<&'static str> {
        match self {
            Self::InvokeTool | Self::ExecuteTool => Some("tool_use"),
            Self::Delegate | Self::SendMessage => Some("communicate"),
            Self::Read | Self::Write => Some("data_access"),
            Self::Respond | Self::Terminate => Some("lifecycle"),
            Self::AccessSecret | Self::Schedule => None,
        }
    }

    /// Whether the schema's `appliesTo` lets this action take a principal of type `principal`
    /// and a resource of type `resource`: Cedar's schema check of a request, less the context's
    /// shape, which ours always has. A test holds it equal to Cedar's own check.
    pub(crate) fn applies_to(self, principal: &str, resource: &str) -> bool {
        let (principals, resource_type): (&[&str], &str) = match self {
            Self::InvokeTool | Self::ExecuteTool => (&["Agent"], "Tool"),
            Self::Delegate | Self::SendMessage => (&["Agent"], "Agent"),
            Self::Read | Self::Write => (&["Agent"], "Resource"),
            Self::AccessSecret => (&["Agent"], "Secret"),
            Self::Schedule => (&["Agent", "ApiKey"], "Schedule"),
            Self::Respond | Self::Terminate => (&["Agent", "ApiKey"], "Agent"),
        };
        principals.contains(&principal) && resource == resource_type
    }
}

/// The schema's action groups, in schema order.
pub(crate) const ACTION_GROUPS: [&str; 4] = ["tool_use", "communicate", "data_access", "lifecycle"];

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The door a request came through. Policies in `policies/<surface>/` apply only there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Surface {
    /// The REST API.
    Api,
    /// `symbi run`.
    Run,
    /// Webhooks.
    HttpInput,
    /// Scheduled runs.
    Schedule,
    /// The MCP gateway.
    Mcp,
    /// Coding-assistant hooks (`symbi policy evaluate`).
    Hook,
}

impl Surface {
    /// Every surface.
    pub const ALL: [Self; 6] = [Self::Api, Self::Run, Self::HttpInput, Self::Schedule, Self::Mcp, Self::Hook];

    /// The surface's name, also its policy directory.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Run => "run",
            Self::HttpInput => "http-input",
            Self::Schedule => "schedule",
            Self::Mcp => "mcp",
            Self::Hook => "hook",
        }
    }

    /// The inverse of [`Surface::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_tool_call_is_an_alias() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("tool_call"), Some(Action::InvokeTool));
        assert_eq!(Action::parse("shell"), None);
        for s in Surface::ALL {
            assert_eq!(Surface::parse(s.as_str()), Some(s));
        }
    }
}
