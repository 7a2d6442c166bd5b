//! What policy and MCP clients see of a tool: the facts the Governor puts on the Cedar `Tool`
//! entity, a starting Cedar policy (`symbi tools cedar NAME`), and the MCP tool schema. Nothing
//! here decides; the Governor evaluates Cedar.

use serde_json::{Map, Value, json};

use crate::manifest::{ArgSpec, RiskTier, Tool};

/// The Cedar `Tool` entity's data for one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyFacts {
    /// The entity id: the tool name.
    pub tool: String,
    /// `[tool].risk_tier`.
    pub risk_tier: RiskTier,
    /// `[tool.cedar].tool_sets`: the `ToolSet`s the entity is in.
    pub tool_sets: Vec<String>,
    /// Whether the manifest was verified (SchemaPin). Always `false` here: this crate only
    /// reports [`Tool::manifest_hash`]; the runtime sets it after verifying that hash.
    pub verified: bool,
    /// `[tool].human_approval`: the Governor holds every call for approval.
    pub human_approval: bool,
}

impl PolicyFacts {
    /// The facts of `tool`.
    pub fn of(tool: &Tool) -> Self {
        Self {
            tool: tool.name().to_owned(),
            risk_tier: tool.risk_tier(),
            tool_sets: tool.tool_sets().to_vec(),
            verified: false,
            human_approval: tool.human_approval(),
        }
    }

    /// Whether generated policy marks the permit `@approval`: `human_approval`, or a `high` or
    /// `critical` risk tier.
    pub fn needs_approval(&self) -> bool {
        self.human_approval || self.risk_tier >= RiskTier::High
    }
}

/// A starting Cedar policy permitting `execute_tool` on this tool, `@approval` when
/// [`PolicyFacts::needs_approval`]. Operators narrow the principal before using it.
pub fn cedar_template(tool: &Tool) -> String {
    let facts = PolicyFacts::of(tool);
    let approval = if facts.needs_approval() { "@approval\n" } else { "" };
    format!(
        "// Generated from {source} (risk_tier = \"{tier}\"). Narrow `principal` before use.\n\
         @id(\"toolclad-{name}\")\n{approval}permit(\n  principal,\n  action == Action::\"execute_tool\",\n  resource == Tool::\"{name}\"\n);\n",
        source = tool.source().display(),
        tier = tool.risk_tier().as_str(),
        name = tool.name(),
    )
}

/// The MCP tool description: `{name, description, inputSchema, outputSchema}` with the type
/// mapping of the published implementations (ports as bounded integers, enums, defaults as
/// native JSON, properties ordered by `position`).
pub fn mcp_schema(tool: &Tool) -> Value {
    let mut properties = Map::new();
    for arg in tool.args() {
        properties.insert(arg.name().to_owned(), Value::Object(property(arg)));
    }
    let required: Vec<&str> = tool.args().iter().filter(|a| a.required()).map(ArgSpec::name).collect();
    let mut schema = json!({
        "name": tool.name(),
        "description": tool.description(),
        "inputSchema": {"type": "object", "properties": properties, "required": required},
    });
    if let (Some(output), Some(object)) = (tool.output(), schema.as_object_mut()) {
        let output_schema = if output.envelope { envelope_schema(&output.schema) } else { output.schema.clone() };
        object.insert("outputSchema".into(), output_schema);
    }
    schema
}

fn property(arg: &ArgSpec) -> Map<String, Value> {
    let mut p = Map::new();
    let ty = match arg.base_type() {
        "integer" | "port" => "integer",
        "number" => "number",
        "boolean" => "boolean",
        _ => "string",
    };
    p.insert("type".into(), ty.into());
    if !arg.description().is_empty() {
        p.insert("description".into(), arg.description().into());
    }
    let (min, max) = arg.int_bounds();
    let (fmin, fmax) = arg.float_bounds();
    if let Some(min) = min {
        p.insert("minimum".into(), min.into());
    }
    if let Some(max) = max {
        p.insert("maximum".into(), max.into());
    }
    if let Some(min) = fmin {
        p.insert("minimum".into(), min.into());
    }
    if let Some(max) = fmax {
        p.insert("maximum".into(), max.into());
    }
    match arg.base_type() {
        "url" => {
            p.insert("format".into(), "uri".into());
        }
        "ip_address" => {
            p.insert("format".into(), "ipv4".into());
        }
        "duration" => {
            p.insert("pattern".into(), r"^(\d+|(\d+h)?(\d+m)?(\d+s)?(\d+ms)?)$".into());
        }
        _ => {}
    }
    if let Some(pattern) = arg.pattern() {
        p.insert("pattern".into(), format!("^(?:{pattern})$").into());
    }
    if let Some(allowed) = arg.allowed() {
        p.insert("enum".into(), allowed.into());
    }
    if let Some(default) = arg.default() {
        let native = match ty {
            "integer" => default.parse::<i64>().map_or_else(|_| Value::from(default), Value::from),
            "number" => default.parse::<f64>().map_or_else(|_| Value::from(default), Value::from),
            "boolean" => Value::Bool(default == "true"),
            _ => Value::from(default),
        };
        p.insert("default".into(), native);
    }
    p
}

fn envelope_schema(results: &Value) -> Value {
    json!({
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["success", "error", "timeout"]},
            "scan_id": {"type": "string"},
            "tool": {"type": "string"},
            "command": {"type": "string"},
            "duration_ms": {"type": "integer"},
            "timestamp": {"type": "string", "format": "date-time"},
            "output_hash": {"type": "string"},
            "exit_code": {"type": "integer"},
            "stderr": {"type": "string"},
            "results": results,
        },
    })
}
