use super::target::{AGENT, CONTEXT, Entity, RESOURCE, SCHEDULE, SECRET, TOOL, Ty};
use super::*;
use crate::policies::Policies;

/// A permit for `action` on `variable.attribute` compared with a value of its type.
fn reads(action: &str, variable: &str, attribute: &str, ty: Ty, guard: bool) -> PolicySource {
    let value = match ty {
        Ty::Bool => format!("{variable}.{attribute} == true"),
        Ty::Long => format!("{variable}.{attribute} > 1"),
        Ty::Str => format!("{variable}.{attribute} == \"x\""),
        Ty::StrSet => format!("{variable}.{attribute}.contains(\"x\")"),
    };
    let when = if guard { format!("{variable} has {attribute} && {value}") } else { value };
    let text =
        format!("permit(principal == Agent::\"a\", action == Action::\"{action}\", resource) when {{ {when} }};");
    PolicySource { origin: "test".into(), surface: None, text }
}

#[test]
fn attribute_tables_match_the_schema() {
    let tables: [(&Entity, &str, &str); 6] = [
        (&AGENT, "principal", "read"),
        (&AGENT, "resource", "delegate"),
        (&TOOL, "resource", "invoke_tool"),
        (&RESOURCE, "resource", "read"),
        (&CONTEXT, "context", "read"),
        (&SECRET, "resource", "access_secret"),
    ];
    for (entity, variable, action) in tables {
        for attr in entity.attrs {
            let guarded = reads(action, variable, attr.name, attr.ty, attr.optional);
            assert!(Policies::compile(&[guarded]).is_ok(), "{}.{} should be {:?}", entity.cedar, attr.name, attr.ty);
            // An attribute the table calls optional must really need its guard, or permits on it
            // would lapse for nothing.
            if attr.optional {
                let bare = reads(action, variable, attr.name, attr.ty, false);
                assert!(Policies::compile(&[bare]).is_err(), "{}.{} is not optional", entity.cedar, attr.name);
            }
        }
    }
    assert!(SECRET.attrs.is_empty() && SCHEDULE.attrs.is_empty());
    assert_eq!(RESOURCE.known(), "`kind`, `classification`, `verified`, `path`");
    assert_eq!(SECRET.known(), "none");
}

#[test]
fn strings_and_patterns_escape_what_cedar_reads_specially() {
    assert_eq!(string_literal("plain"), "\"plain\"");
    assert_eq!(string_literal("a\"b\\c*"), r#""a\"b\\c*""#);
    assert_eq!(string_literal("tab\tnl\nnul\0"), r#""tab\u{9}nl\u{a}nul\u{0}""#);
    assert_eq!(like_pattern("", "src/*", "*"), r#""src/\**""#);
    assert_eq!(like_pattern("*", ".rs", ""), r#""*.rs""#);
    // Cedar reads them back as the same text.
    let policy = format!(
        "permit(principal, action, resource) when {{ context.surface == {} && context.surface like {} }};",
        string_literal("q\"\\\t\u{7f}é"),
        like_pattern("", "x*y", "*")
    );
    let source = PolicySource { origin: "test".into(), surface: None, text: policy };
    assert!(Policies::compile(&[source]).is_ok());
}

#[test]
fn guards_are_conjunctive_for_permits_and_fail_closed_for_forbids() {
    let condition = Condition {
        text: "resource.path like \"a*\" || resource.verified".into(),
        is_or: true,
        guards: [("resource", "path"), ("resource", "verified")].into_iter().collect(),
    };
    assert_eq!(
        guarded(Effect::Permit, &condition),
        "resource has path && resource has verified && (resource.path like \"a*\" || resource.verified)"
    );
    assert_eq!(
        guarded(Effect::Forbid, &condition),
        "if resource has path && resource has verified then resource.path like \"a*\" || resource.verified else true"
    );
}

#[test]
fn operators_keep_their_meaning_through_precedence() {
    let text = "agent a {\n    policy p {\n        allow: read(f) if !(f.kind == \"x\" || f.kind == \"y\") && \
                (self.sandbox_tier + 1) * 2 >= 4 - -1\n    }\n}\n";
    let compiled = compile_agent_policies("a.symbi", text).unwrap();
    let cedar = compiled.agent("a").unwrap().cedar();
    assert!(
        cedar.contains(
            "when { !(resource.kind == \"x\" || resource.kind == \"y\") && (principal.sandbox_tier + 1) * 2 >= 4 - -1 };"
        ),
        "{cedar}"
    );
    assert!(Policies::compile(&[compiled.policy_source()]).is_ok());
}

#[test]
fn audit_only_agents_have_no_policies() {
    let text = "agent quiet {\n    policy p {\n        audit: all_operations\n        audit: all_operations\n    }\n}\n\
                agent bare {\n}\n";
    let compiled = compile_agent_policies("agents/quiet.symbi", text).unwrap();
    let quiet = compiled.agent("quiet").unwrap();
    assert_eq!((quiet.audit_level(), quiet.is_empty(), quiet.cedar()), (Some("all_operations"), true, ""));
    assert_eq!(compiled.agent("bare").unwrap().audit_level(), None);
    assert_eq!(compiled.origin(), "agents/quiet.symbi");
    let policies = Policies::compile(&[compiled.policy_source()]).unwrap();
    assert!(policies.is_empty());
}
