//! Coding-assistant hook events: a Claude Code `PreToolUse` or Gemini CLI `BeforeTool` event, as
//! the host writes it to the hook's stdin, decoded whole and turned into the policy request the
//! tool call makes. Answering in each host's protocol is the CLI's part (`symbi policy evaluate`).

use serde_json::Value;

use crate::decision::PolicyRequest;
use crate::entities::EntityRef;
use crate::vocabulary::{Action, Surface};

/// Which host sent an event, and so which protocol the answer uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookHost {
    /// Claude Code (`PreToolUse`).
    Claude,
    /// Gemini CLI (`BeforeTool`).
    Gemini,
}

/// A tool call a host is about to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookEvent {
    host: HookHost,
    tool: String,
    path: Option<String>,
}

/// Why a hook event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HookEventError {
    /// The input is not JSON.
    #[error("the hook event is not JSON: {reason}")]
    NotJson {
        /// The JSON parser's message.
        reason: String,
    },
    /// The event is not one symbi answers, and no host was named.
    #[error("`hook_event_name` is `{name}`; symbi answers Claude Code `PreToolUse` and Gemini CLI `BeforeTool`")]
    UnknownEvent {
        /// The event's `hook_event_name`, empty when it has none.
        name: String,
    },
    /// The event names no tool.
    #[error("the hook event has no `tool_name`")]
    NoTool,
}

impl HookEvent {
    /// Reads a host's event; `host` overrides detection by `hook_event_name`.
    ///
    /// Fails when the input is not a JSON object naming a tool, or (with no `host`) when its
    /// `hook_event_name` is neither `PreToolUse` nor `BeforeTool`.
    pub fn parse(input: &[u8], host: Option<HookHost>) -> Result<Self, HookEventError> {
        let event: Value =
            serde_json::from_slice(input).map_err(|e| HookEventError::NotJson { reason: e.to_string() })?;
        let name = event.get("hook_event_name").and_then(Value::as_str).unwrap_or_default();
        let host = match (host, name) {
            (Some(host), _) => host,
            (None, "PreToolUse") => HookHost::Claude,
            (None, "BeforeTool") => HookHost::Gemini,
            (None, other) => return Err(HookEventError::UnknownEvent { name: other.to_owned() }),
        };
        let tool = event.get("tool_name").and_then(Value::as_str).filter(|t| !t.is_empty());
        let tool = tool.ok_or(HookEventError::NoTool)?.to_owned();
        let input = event.get("tool_input");
        let path = ["file_path", "notebook_path", "path"]
            .iter()
            .find_map(|k| input.and_then(|i| i.get(k)).and_then(Value::as_str))
            .map(str::to_owned);
        Ok(Self { host, tool, path })
    }

    /// The host that sent it.
    pub fn host(&self) -> HookHost {
        self.host
    }

    /// The tool's name as the host gives it (`Bash`, `Read`, `mcp__server__tool`).
    pub fn tool(&self) -> &str {
        &self.tool
    }

    /// The file a file tool reads or writes, absolute as hosts send it.
    pub fn path(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// The policy request this tool call makes for `agent` on the `hook` surface: file tools
    /// read or write `Resource::"<path>"`; every other tool (shell, web, MCP) is `invoke_tool` on
    /// `Tool::"<name>"`.
    pub fn request(&self, agent: &str) -> PolicyRequest {
        let lower = self.tool.to_ascii_lowercase();
        let file_action = match lower.as_str() {
            "read"
            | "read_file"
            | "read_many_files"
            | "grep"
            | "glob"
            | "ls"
            | "list_directory"
            | "search_file_content" => Some(Action::Read),
            "write" | "edit" | "multiedit" | "notebookedit" | "write_file" | "replace" => Some(Action::Write),
            _ => None,
        };
        let (action, resource) = match (file_action, &self.path) {
            (Some(action), Some(path)) => (action, EntityRef::Resource(path.clone())),
            _ => (Action::InvokeTool, EntityRef::Tool(self.tool.clone())),
        };
        PolicyRequest {
            principal: EntityRef::Agent(agent.to_owned()),
            action,
            resource,
            surface: Surface::Hook,
            delegation_depth: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn events_map_to_requests_by_tool_kind() {
        let claude = br#"{"session_id":"s","hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"/p/a.txt","content":"x"},"tool_use_id":"t"}"#;
        let event = HookEvent::parse(claude, None).unwrap();
        assert_eq!((event.host(), event.tool(), event.path()), (HookHost::Claude, "Write", Some("/p/a.txt")));
        let r = event.request("dev");
        assert_eq!((r.action, r.resource), (Action::Write, EntityRef::Resource("/p/a.txt".into())));
        let gemini =
            br#"{"hook_event_name":"BeforeTool","tool_name":"run_shell_command","tool_input":{"command":"ls"}}"#;
        let event = HookEvent::parse(gemini, None).unwrap();
        let r = event.request("dev");
        assert_eq!(
            (event.host(), r.action, r.resource),
            (HookHost::Gemini, Action::InvokeTool, EntityRef::Tool("run_shell_command".into()))
        );
        assert!(matches!(HookEvent::parse(b"{", None), Err(HookEventError::NotJson { .. })));
        assert!(matches!(
            HookEvent::parse(br#"{"hook_event_name":"PostToolUse","tool_name":"x"}"#, None),
            Err(HookEventError::UnknownEvent { .. })
        ));
        assert_eq!(HookEvent::parse(br#"{"hook_event_name":"PreToolUse"}"#, None), Err(HookEventError::NoTool));
    }

    /// Any JSON value, leaning towards the names and keys events use.
    fn field() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            prop_oneof![
                Just("PreToolUse".to_owned()),
                Just("BeforeTool".to_owned()),
                Just("Read".to_owned()),
                Just("Bash".to_owned()),
                ".{0,12}"
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![Just("file_path".to_owned()), Just("path".to_owned()), "[a-z_]{1,8}"],
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON value in any field: the parser answers (an event or an error), and an event
        /// it accepts always becomes a request on the hook surface for the named agent, whose
        /// resource is the tool or the file the event names.
        #[test]
        fn any_event_is_read_or_refused(
            name in prop::option::of(field()),
            tool in prop::option::of(field()),
            input in prop::option::of(field()),
            host in prop::option::of(prop_oneof![Just(HookHost::Claude), Just(HookHost::Gemini)]),
            agent in "[a-z][a-z0-9-]{0,12}",
        ) {
            let mut event = serde_json::Map::new();
            for (key, value) in [("hook_event_name", name), ("tool_name", tool), ("tool_input", input)] {
                if let Some(value) = value {
                    event.insert(key.to_owned(), value);
                }
            }
            let bytes = Value::Object(event).to_string();
            let Ok(parsed) = HookEvent::parse(bytes.as_bytes(), host) else { return Ok(()) };
            prop_assert!(!parsed.tool().is_empty());
            let request = parsed.request(&agent);
            prop_assert_eq!(request.surface, Surface::Hook);
            prop_assert_eq!(&request.principal, &EntityRef::Agent(agent));
            match &request.resource {
                EntityRef::Tool(t) => prop_assert_eq!(t, parsed.tool()),
                EntityRef::Resource(p) => prop_assert_eq!(Some(p.as_str()), parsed.path()),
                other => prop_assert!(false, "unexpected resource {other}"),
            }
        }

        #[test]
        fn any_bytes_are_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            let first = HookEvent::parse(&bytes, None);
            prop_assert_eq!(first, HookEvent::parse(&bytes, None));
        }
    }
}
