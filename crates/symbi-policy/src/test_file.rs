//! Policy test files for users' CI (`symbi policy test FILE`): TOML `[[case]]` tables, each a
//! request and the decision it must get, decoded whole before any case runs.

use serde::Deserialize;

use crate::decision::{Decision, PolicyRequest};
use crate::request_fields::RequestFields;

/// One request and the decision it must get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyTestCase {
    /// `name`, or the principal, action and resource as written.
    pub name: String,
    /// The request.
    pub request: PolicyRequest,
    /// The decision it must get.
    pub expect: Decision,
}

/// Why a policy test file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TestFileError {
    /// The text is not TOML of the test file's shape.
    #[error("not a policy test file: {reason}")]
    Shape {
        /// The TOML decoder's message.
        reason: String,
    },
    /// One case names something that does not exist.
    #[error("case {case}: {reason}")]
    Case {
        /// 1-based.
        case: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Reads every case of a policy test file.
///
/// Fails when the text is not TOML with only `[[case]]` tables of the known fields, or when a
/// case names an entity, action, surface or expected decision that does not exist; the first
/// such case is reported.
pub fn parse_test_file(text: &str) -> Result<Vec<PolicyTestCase>, TestFileError> {
    let file: File = toml::from_str(text).map_err(|e| TestFileError::Shape { reason: e.to_string() })?;
    file.case
        .into_iter()
        .enumerate()
        .map(|(n, case)| case.check().map_err(|reason| TestFileError::Case { case: n.saturating_add(1), reason }))
        .collect()
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

/// One case as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: Option<String>,
    principal: String,
    action: String,
    resource: String,
    /// `api` unless given.
    surface: Option<String>,
    delegation_depth: Option<u32>,
    /// `allow`, `deny` or `require_approval`.
    expect: String,
}

impl Case {
    fn check(self) -> Result<PolicyTestCase, String> {
        let fields = RequestFields {
            principal: &self.principal,
            action: &self.action,
            resource: &self.resource,
            surface: self.surface.as_deref(),
            delegation_depth: self.delegation_depth,
        };
        let request = fields.parse().map_err(|e| e.to_string())?;
        let expect = [Decision::Allow, Decision::Deny, Decision::RequireApproval]
            .into_iter()
            .find(|d| d.as_str() == self.expect)
            .ok_or_else(|| format!("`expect = \"{}\"`: use allow, deny or require_approval", self.expect))?;
        let name = self.name.unwrap_or_else(|| format!("{} {} {}", self.principal, self.action, self.resource));
        Ok(PolicyTestCase { name, request, expect })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::entities::EntityRef;
    use crate::vocabulary::{Action, Surface};

    #[test]
    fn cases_decode_whole_or_not_at_all() {
        let text = r#"
[[case]]
name = "no shell"
expect = "deny"
resource = 'Tool::"bash"'
action = "tool_call"
principal = 'Agent::"planner"'

[[case]]
surface = "hook"
principal = 'Agent::"dev"'
expect = "require_approval"
resource = 'Resource::"/p/a"'
action = "write"
"#;
        let cases = parse_test_file(text).unwrap();
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[0].request.action, Action::InvokeTool);
        assert_eq!(cases[1].name, r#"Agent::"dev" write Resource::"/p/a""#);
        assert_eq!((cases[1].request.surface, cases[1].expect), (Surface::Hook, Decision::RequireApproval));

        let bad_expect = text.replace("\"deny\"", "\"nope\"");
        assert!(matches!(parse_test_file(&bad_expect), Err(TestFileError::Case { case: 1, .. })));
        assert!(matches!(parse_test_file("[[case]]\nprincipal = 1"), Err(TestFileError::Shape { .. })));
        assert!(matches!(parse_test_file(&format!("{text}\nextra = 1")), Err(TestFileError::Shape { .. })));
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(r#"'Agent::"a"'"#.to_owned()),
            Just(r#"'Tool::"t"'"#.to_owned()),
            Just(r#""invoke_tool""#.to_owned()),
            Just(r#""allow""#.to_owned()),
            Just(r#""hook""#.to_owned()),
            Just("3".to_owned()),
            Just("-1".to_owned()),
            "\"[ -~]{0,10}\"",
        ]
    }

    proptest! {
        /// Random cases with random fields: a file either decodes with every case's request
        /// printing back to the entities written, or is refused; never half.
        #[test]
        fn any_case_file_decodes_whole_or_is_refused(
            cases in prop::collection::vec(
                prop::collection::vec(
                    (prop_oneof![
                        Just("name"), Just("principal"), Just("action"), Just("resource"),
                        Just("surface"), Just("delegation_depth"), Just("expect"), Just("other")
                    ], value()),
                    0..8,
                ),
                0..4,
            )
        ) {
            let mut text = String::new();
            for fields in &cases {
                text.push_str("[[case]]\n");
                let mut seen = std::collections::HashSet::new();
                for (key, value) in fields {
                    if seen.insert(*key) {
                        text.push_str(&format!("{key} = {value}\n"));
                    }
                }
            }
            let Ok(parsed) = parse_test_file(&text) else { return Ok(()) };
            prop_assert_eq!(parsed.len(), cases.len());
            for case in &parsed {
                let written = |e: &EntityRef| format!("'{e}'");
                prop_assert!(text.contains(&written(&case.request.principal)));
                prop_assert!(text.contains(&written(&case.request.resource)));
            }
        }

        #[test]
        fn any_text_decodes_or_is_refused(text in "\\PC{0,200}") {
            let first = parse_test_file(&text);
            prop_assert_eq!(first, parse_test_file(&text));
        }
    }
}
