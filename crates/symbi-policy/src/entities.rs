//! The entity data decisions read: agents, tools, groups, resources, built from runtime state by
//! typed methods that give each entity exactly the schema's attributes and parent types.
//!
//! Cedar evaluates attribute conditions (`principal.sandbox_tier >= 2`) against these entities; a
//! request about an entity that is missing here can still be decided, but no condition on its
//! attributes can hold, so permits that need them do not apply (default deny).

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::OnceLock;

use cedar_policy::{Entity, EntityId, EntityTypeName, EntityUid, RestrictedExpression};

use crate::vocabulary::{ACTION_GROUPS, Action};

/// A reference to one entity, by type and id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EntityRef {
    /// `Agent::"<id>"`.
    Agent(String),
    /// `AgentGroup::"<id>"`.
    AgentGroup(String),
    /// `ApiKey::"<id>"`.
    ApiKey(String),
    /// `Tool::"<id>"`.
    Tool(String),
    /// `ToolSet::"<id>"`.
    ToolSet(String),
    /// `Resource::"<id>"`.
    Resource(String),
    /// `Secret::"<id>"`.
    Secret(String),
    /// `Schedule::"<id>"`.
    Schedule(String),
}

impl EntityRef {
    /// The Cedar type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Agent(_) => "Agent",
            Self::AgentGroup(_) => "AgentGroup",
            Self::ApiKey(_) => "ApiKey",
            Self::Tool(_) => "Tool",
            Self::ToolSet(_) => "ToolSet",
            Self::Resource(_) => "Resource",
            Self::Secret(_) => "Secret",
            Self::Schedule(_) => "Schedule",
        }
    }

    /// The entity id.
    pub fn id(&self) -> &str {
        match self {
            Self::Agent(id)
            | Self::AgentGroup(id)
            | Self::ApiKey(id)
            | Self::Tool(id)
            | Self::ToolSet(id)
            | Self::Resource(id)
            | Self::Secret(id)
            | Self::Schedule(id) => id,
        }
    }

    /// Parses `Type::"id"`, the form policies and the evaluate API use and [`EntityRef`]'s
    /// `Display` prints: the id is a Cedar string literal, so `\n`, `\t`, `\r`, `\0`, `\\`,
    /// `\"`, `\'` and `\u{…}` stand for the characters they escape, and any other backslash or an
    /// unescaped quote makes it no reference at all.
    pub fn parse(text: &str) -> Option<Self> {
        let (ty, rest) = text.split_once("::")?;
        let id = unescape(rest.strip_prefix('"')?.strip_suffix('"')?)?;
        Some(match ty {
            "Agent" => Self::Agent(id),
            "AgentGroup" => Self::AgentGroup(id),
            "ApiKey" => Self::ApiKey(id),
            "Tool" => Self::Tool(id),
            "ToolSet" => Self::ToolSet(id),
            "Resource" => Self::Resource(id),
            "Secret" => Self::Secret(id),
            "Schedule" => Self::Schedule(id),
            _ => return None,
        })
    }

    pub(crate) fn uid(&self) -> EntityUid {
        uid(self.type_name(), self.id())
    }
}

/// The characters a Cedar string literal's body stands for; `None` for an unknown escape or an
/// unescaped quote.
fn unescape(body: &str) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return None,
            '\\' => out.push(match chars.next()? {
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                '0' => '\0',
                '\\' => '\\',
                '"' => '"',
                '\'' => '\'',
                'u' => {
                    let rest = chars.as_str().strip_prefix('{')?;
                    let (hex, after) = rest.split_once('}')?;
                    if hex.is_empty() || hex.len() > 6 {
                        return None;
                    }
                    chars = after.chars();
                    char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
                }
                _ => return None,
            }),
            c => out.push(c),
        }
    }
    Some(out)
}

impl std::fmt::Display for EntityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}::{:?}", self.type_name(), self.id())
    }
}

/// An agent as policy sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentFacts {
    /// Its id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Sandbox tier 0–3.
    pub sandbox_tier: u8,
    /// Declared or credential-verified capabilities.
    pub capabilities: Vec<String>,
    /// AgentPin domain, or empty.
    pub domain: String,
    /// Whether an AgentPin credential was verified.
    pub verified: bool,
    /// Agents whose role it has (`principal in Agent::"planner"`).
    pub roles: Vec<String>,
    /// Agent groups it belongs to.
    pub groups: Vec<String>,
}

/// A tool as policy sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ToolFacts {
    /// Its name.
    pub id: String,
    /// `low`, `medium` or `high`.
    pub risk_tier: String,
    /// Whether its definition verified.
    pub verified: bool,
    /// `toolclad`, `mcp` or `builtin`.
    pub source: String,
    /// Tool sets it belongs to.
    pub tool_sets: Vec<String>,
}

/// Data an agent reads or writes, as policy sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceFacts {
    /// Its id.
    pub id: String,
    /// What kind of data: `file`, `document`, `memory`, `url`, ...
    pub kind: String,
    /// Sensitivity label: `public`, `internal`, `secret`, ...
    pub classification: String,
    /// Whether its content was checked; `None` when the runtime does not know, and then no
    /// condition on it holds.
    pub verified: Option<bool>,
    /// Its path or URL, if it has one.
    pub path: Option<String>,
}

/// Builds an [`EntitySet`] whose entities fit the schema by construction.
#[derive(Debug, Default)]
pub struct EntitySetBuilder {
    entities: Vec<(EntityUid, HashMap<String, RestrictedExpression>, HashSet<EntityUid>)>,
}

/// Entity data that fits the schema, ready for decisions.
#[derive(Debug, Clone)]
pub struct EntitySet(pub(crate) cedar_policy::Entities);

/// Why entity data does not fit the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("entity data does not fit the policy schema: {reason}")]
pub struct EntityError {
    pub(crate) reason: String,
}

impl EntitySetBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an agent.
    pub fn agent(&mut self, agent: &AgentFacts) -> &mut Self {
        let attrs = HashMap::from([
            ("name".to_owned(), RestrictedExpression::new_string(agent.name.clone())),
            ("sandbox_tier".to_owned(), RestrictedExpression::new_long(i64::from(agent.sandbox_tier))),
            (
                "capabilities".to_owned(),
                RestrictedExpression::new_set(agent.capabilities.iter().cloned().map(RestrictedExpression::new_string)),
            ),
            ("domain".to_owned(), RestrictedExpression::new_string(agent.domain.clone())),
            ("verified".to_owned(), RestrictedExpression::new_bool(agent.verified)),
        ]);
        let parents = agent
            .roles
            .iter()
            .map(|r| uid("Agent", r))
            .chain(agent.groups.iter().map(|g| uid("AgentGroup", g)))
            .collect();
        self.entities.push((uid("Agent", &agent.id), attrs, parents));
        self
    }

    /// Adds a tool.
    pub fn tool(&mut self, tool: &ToolFacts) -> &mut Self {
        let attrs = HashMap::from([
            ("risk_tier".to_owned(), RestrictedExpression::new_string(tool.risk_tier.clone())),
            ("verified".to_owned(), RestrictedExpression::new_bool(tool.verified)),
            ("source".to_owned(), RestrictedExpression::new_string(tool.source.clone())),
        ]);
        let parents = tool.tool_sets.iter().map(|s| uid("ToolSet", s)).collect();
        self.entities.push((uid("Tool", &tool.id), attrs, parents));
        self
    }

    /// Adds an agent group inside `parents`.
    pub fn agent_group(&mut self, id: &str, parents: &[String]) -> &mut Self {
        let parents = parents.iter().map(|p| uid("AgentGroup", p)).collect();
        self.entities.push((uid("AgentGroup", id), HashMap::new(), parents));
        self
    }

    /// Adds a tool set inside `parents`.
    pub fn tool_set(&mut self, id: &str, parents: &[String]) -> &mut Self {
        let parents = parents.iter().map(|p| uid("ToolSet", p)).collect();
        self.entities.push((uid("ToolSet", id), HashMap::new(), parents));
        self
    }

    /// Adds a data resource.
    pub fn resource(&mut self, id: &str, kind: &str, classification: &str) -> &mut Self {
        let attrs = HashMap::from([
            ("kind".to_owned(), RestrictedExpression::new_string(kind.to_owned())),
            ("classification".to_owned(), RestrictedExpression::new_string(classification.to_owned())),
        ]);
        self.entities.push((uid("Resource", id), attrs, HashSet::new()));
        self
    }

    /// Adds a data resource with its optional facts.
    pub fn resource_facts(&mut self, resource: &ResourceFacts) -> &mut Self {
        let mut attrs = HashMap::from([
            ("kind".to_owned(), RestrictedExpression::new_string(resource.kind.clone())),
            ("classification".to_owned(), RestrictedExpression::new_string(resource.classification.clone())),
        ]);
        if let Some(verified) = resource.verified {
            attrs.insert("verified".to_owned(), RestrictedExpression::new_bool(verified));
        }
        if let Some(path) = &resource.path {
            attrs.insert("path".to_owned(), RestrictedExpression::new_string(path.clone()));
        }
        self.entities.push((uid("Resource", &resource.id), attrs, HashSet::new()));
        self
    }

    /// Adds an API-key principal.
    pub fn api_key(&mut self, id: &str, admin: bool) -> &mut Self {
        let attrs = HashMap::from([("admin".to_owned(), RestrictedExpression::new_bool(admin))]);
        self.entities.push((uid("ApiKey", id), attrs, HashSet::new()));
        self
    }

    /// Builds the entity data, with the schema's action hierarchy.
    ///
    /// Nothing is checked against the schema here: every entity comes from one of this
    /// builder's typed methods, so each has exactly the schema's attributes and parent types
    /// (a test builds every method's output against the schema), and skipping Cedar's per-entity
    /// check and the schema itself keeps a hook's one decision from parsing the schema at all.
    ///
    /// Fails when an entity is added twice.
    pub fn build(self) -> Result<EntitySet, EntityError> {
        let mut seen = HashSet::new();
        if let Some((uid, _, _)) = self.entities.iter().find(|(uid, _, _)| !seen.insert(uid.clone())) {
            return Err(EntityError { reason: format!("entity `{uid}` is added twice") });
        }
        let entities = self
            .entities
            .into_iter()
            .map(|(uid, attrs, parents)| {
                Entity::new(uid, attrs, parents).map_err(|e| EntityError { reason: e.to_string() })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Adding to the action entities re-closes the hierarchy only around what was added,
        // which costs less than closing it for the whole set.
        action_entities()?
            .clone()
            .add_entities(entities, None)
            .map(EntitySet)
            .map_err(|e| EntityError { reason: e.to_string() })
    }
}

/// The schema's action entities, each in its group (`Action::group`), with their hierarchy
/// closed; made once per process.
fn action_entities() -> Result<&'static cedar_policy::Entities, EntityError> {
    static ACTIONS: OnceLock<Result<cedar_policy::Entities, String>> = OnceLock::new();
    ACTIONS
        .get_or_init(|| {
            let groups = ACTION_GROUPS.iter().map(|g| Entity::new_no_attrs(uid("Action", g), HashSet::new()));
            let actions = Action::ALL.iter().map(|a| {
                let parents = a.group().map(|g| uid("Action", g)).into_iter().collect();
                Entity::new_no_attrs(uid("Action", a.as_str()), parents)
            });
            cedar_policy::Entities::from_entities(groups.chain(actions), None).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|reason| EntityError { reason: reason.clone() })
}

impl EntitySet {
    /// No entities at all: every attribute condition fails, so only unconditional policies apply.
    pub fn empty() -> Self {
        Self(cedar_policy::Entities::empty())
    }
}

pub(crate) fn uid(type_name: &'static str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(type_name_of(type_name), EntityId::new(id))
}

/// The schema's type names, whose parsed forms are kept once per process.
const TYPE_NAMES: [&str; 9] =
    ["Agent", "AgentGroup", "ApiKey", "Tool", "ToolSet", "Resource", "Secret", "Schedule", "Action"];

/// The parsed type name. Each of the schema's names is parsed once per process: Cedar's name
/// parser costs more than the rest of building a uid.
#[expect(clippy::expect_used, reason = "INVARIANT (known-type-names): only the schema's type names reach here")]
fn type_name_of(type_name: &'static str) -> EntityTypeName {
    // INVARIANT (known-type-names): every caller passes a literal type name from the schema, and
    // those are plain identifiers, which always parse.
    known_type_name(type_name)
        .unwrap_or_else(|| EntityTypeName::from_str(type_name).expect("schema type names are identifiers"))
}

/// The parsed form of `name` if it is one of the schema's type names.
#[expect(clippy::expect_used, reason = "INVARIANT (known-type-names): the table holds plain identifiers")]
pub(crate) fn known_type_name(name: &str) -> Option<EntityTypeName> {
    static PARSED: [OnceLock<EntityTypeName>; TYPE_NAMES.len()] = [const { OnceLock::new() }; TYPE_NAMES.len()];
    let i = TYPE_NAMES.iter().position(|n| *n == name)?;
    // INVARIANT (known-type-names): the schema's type names are plain identifiers, which always
    // parse.
    let parse = || EntityTypeName::from_str(name).expect("schema type names are identifiers");
    PARSED.get(i).map(|slot| slot.get_or_init(parse).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_refs_parse_and_print() {
        let r = EntityRef::parse(r#"Tool::"shell_exec""#).unwrap();
        assert_eq!(r, EntityRef::Tool("shell_exec".into()));
        assert_eq!(r.to_string(), r#"Tool::"shell_exec""#);
        for bad in ["Tool", r#"Nope::"x""#, r#"Tool::x"#, r#"Tool::"a"b""#, r#"Tool::"a\qb""#, r#"Tool::"\u{110000}""#]
        {
            assert_eq!(EntityRef::parse(bad), None, "{bad}");
        }
        assert_eq!(EntityRef::parse(r#"Resource::"a\nb\u{1F600}""#), Some(EntityRef::Resource("a\nb\u{1F600}".into())));
    }

    proptest::proptest! {
        /// Any id survives print-then-parse, control characters, quotes and backslashes included
        /// (a hook decision on a file whose name has a newline must replay).
        #[test]
        fn every_id_prints_and_parses_back(id in "(?s).*") {
            for r in [EntityRef::Agent(id.clone()), EntityRef::Resource(id)] {
                proptest::prop_assert_eq!(EntityRef::parse(&r.to_string()), Some(r));
            }
        }
    }

    #[test]
    fn well_typed_entities_build_and_duplicates_do_not() {
        let mut b = EntitySetBuilder::new();
        b.agent(&AgentFacts { id: "planner-01".into(), sandbox_tier: 2, ..AgentFacts::default() });
        b.tool(&ToolFacts {
            id: "search".into(),
            risk_tier: "low".into(),
            tool_sets: vec!["approved".into()],
            ..ToolFacts::default()
        });
        b.tool_set("approved", &[]);
        assert!(b.build().is_ok());

        let mut dup = EntitySetBuilder::new();
        dup.tool_set("a", &[]).tool_set("a", &[]);
        assert!(dup.build().is_err());
    }

    /// `build` trusts the builder's methods to fit the schema: every method, with every optional
    /// fact set and unset, passes Cedar's own schema check.
    #[test]
    fn every_builder_method_fits_the_schema() {
        let mut b = EntitySetBuilder::new();
        b.agent(&AgentFacts {
            id: "planner-01".into(),
            name: "Planner".into(),
            sandbox_tier: 3,
            capabilities: vec!["read".into(), "write".into()],
            domain: "example.com".into(),
            verified: true,
            roles: vec!["planner".into()],
            groups: vec!["engineering".into()],
        });
        b.agent(&AgentFacts { id: "bare".into(), ..AgentFacts::default() });
        b.tool(&ToolFacts {
            id: "search".into(),
            risk_tier: "high".into(),
            verified: true,
            source: "toolclad".into(),
            tool_sets: vec!["approved".into()],
        });
        b.tool_set("approved", &["all".into()]);
        b.agent_group("engineering", &["company".into()]);
        b.resource("doc", "document", "public");
        b.resource_facts(&ResourceFacts {
            id: "file".into(),
            kind: "file".into(),
            classification: "secret".into(),
            verified: Some(true),
            path: Some("/srv/file".into()),
        });
        b.resource_facts(&ResourceFacts { id: "unknown".into(), ..ResourceFacts::default() });
        b.api_key("key-1", true);
        let entities = b
            .entities
            .into_iter()
            .map(|(uid, attrs, parents)| Entity::new(uid, attrs, parents).unwrap())
            .collect::<Vec<_>>();
        let schema = crate::schema::schema().unwrap();
        if let Err(e) = cedar_policy::Entities::from_entities(entities, Some(schema)) {
            panic!("the builder made entity data the schema refuses: {e}");
        }
    }

    /// The action hierarchy `build` adds is what Cedar's `in` reads: an action is in its group.
    #[test]
    fn built_data_carries_the_action_hierarchy() {
        let set = EntitySetBuilder::new().build().unwrap();
        let ancestors = |action: &str| -> Vec<String> {
            set.0.ancestors(&uid("Action", action)).unwrap().map(|a| a.id().unescaped().to_owned()).collect()
        };
        assert_eq!(ancestors("invoke_tool"), ["tool_use"]);
        assert_eq!(ancestors("access_secret"), Vec::<String>::new());
    }
}
