//! Checking agents, their `with` settings and policies, and turning rules into actions.

use super::{Checker, Names};
use crate::ast::{self, AgentMember, ExprKind, Literal, RuleKind};
use crate::model::{self, Tier};
use crate::semantic::error::CheckError;

const TIERS: &str = "`native`/`tier0`, `docker`/`tier1`, `gvisor`/`tier2` or `firecracker`/`tier3`";

impl Checker {
    pub(super) fn agent(&mut self, agent: &ast::Agent) -> Option<model::Agent> {
        self.params(&agent.params);
        let mut out = model::Agent {
            name: agent.name.name.clone(),
            span: agent.span,
            params: agent.params.clone(),
            returns: agent.returns.clone(),
            capabilities: Vec::new(),
            policies: Vec::new(),
            functions: Vec::new(),
            tier: None,
            timeout: None,
            requires_approval: false,
            attributes: Vec::new(),
            body: None,
        };
        let mut policies = Names::default();
        let mut functions = Names::default();
        let mut capabilities = Names::default();
        let mut blocks = Names::default();
        for member in &agent.members {
            match member {
                AgentMember::Capabilities(caps) => {
                    if let Some(first) = blocks.insert("capabilities", caps.span) {
                        self.duplicate("capabilities list", "capabilities", caps.span, first);
                    }
                    for item in &caps.items {
                        let (ExprKind::Literal(Literal::Str(name)) | ExprKind::Name(name)) = &item.kind else {
                            let example = "`capabilities = [\"read\", \"search\"]`";
                            let _: Option<()> = self.invalid("capabilities", "a list of text", example, item.span);
                            continue;
                        };
                        if let Some(first) = capabilities.insert(name, item.span) {
                            self.duplicate("capability", name, item.span, first);
                        } else {
                            out.capabilities.push(name.clone());
                        }
                    }
                }
                AgentMember::Policy(policy) => {
                    if let Some(first) = policies.insert(&policy.name.name, policy.name.span) {
                        self.duplicate("policy", &policy.name.name, policy.name.span, first);
                    }
                    out.policies.push(self.policy(policy));
                }
                AgentMember::Function(function) => {
                    if let Some(first) = functions.insert(&function.name.name, function.name.span) {
                        self.duplicate("function", &function.name.name, function.name.span, first);
                    }
                    self.params(&function.params);
                    out.functions.push(function.clone());
                }
                AgentMember::With(with) => {
                    if let Some(first) = blocks.insert("with", with.span) {
                        self.duplicate("`with` block in agent", &agent.name.name, with.span, first);
                    } else {
                        self.with(with, &mut out);
                    }
                }
            }
        }
        Some(out)
    }

    fn with(&mut self, with: &ast::With, out: &mut model::Agent) {
        let mut keys = Names::default();
        for attr in &with.attrs {
            let key = attr.key.name.as_str();
            if let Some(first) = keys.insert(key, attr.key.span) {
                self.duplicate("attribute", key, attr.key.span, first);
                continue;
            }
            match key {
                "sandbox" => out.tier = self.tier(attr),
                "timeout" => out.timeout = self.duration(key, &attr.value),
                "requires" => match &attr.value.kind {
                    ExprKind::Literal(Literal::Str(text)) | ExprKind::Name(text) if text == "approval" => {
                        out.requires_approval = true;
                    }
                    ExprKind::Literal(Literal::Str(text)) | ExprKind::Name(text) => {
                        self.errors.push(CheckError::UnknownValue {
                            what: "requirement",
                            value: text.clone(),
                            known: "`\"approval\"`",
                            span: attr.value.span,
                        });
                    }
                    _ => {
                        let _: Option<()> = self.invalid(key, "text", "`requires = \"approval\"`", attr.value.span);
                    }
                },
                _ => out.attributes.push((key.to_owned(), attr.value.clone())),
            }
        }
        out.body = Some(with.body.clone());
    }

    fn tier(&mut self, attr: &ast::Entry) -> Option<Tier> {
        let text = self.text(attr, "`sandbox = \"gvisor\"`")?;
        let tier = match text.to_ascii_lowercase().as_str() {
            "native" | "tier0" => Tier::Native,
            "docker" | "tier1" => Tier::Container,
            "gvisor" | "tier2" => Tier::Gvisor,
            "firecracker" | "tier3" => Tier::Firecracker,
            _ => {
                let span = attr.value.span;
                self.errors.push(CheckError::UnknownValue { what: "sandbox tier", value: text, known: TIERS, span });
                return None;
            }
        };
        Some(tier)
    }

    pub(super) fn policy(&mut self, policy: &ast::Policy) -> model::Policy {
        let rules = policy.rules.iter().filter_map(|rule| self.rule(rule)).collect();
        model::Policy { name: policy.name.name.clone(), span: policy.span, rules }
    }

    fn rule(&mut self, rule: &ast::Rule) -> Option<model::Rule> {
        let (action, args) = match &rule.action.kind {
            ExprKind::Name(name) | ExprKind::Literal(Literal::Str(name)) => (name.clone(), Vec::new()),
            ExprKind::Call { callee, args } => match &callee.kind {
                ExprKind::Name(name) => (name.clone(), args.clone()),
                _ => return self.invalid_action(rule),
            },
            _ => return self.invalid_action(rule),
        };
        if rule.kind == RuleKind::Audit && rule.without_approval {
            let what = "`without approval`".to_owned();
            self.errors.push(CheckError::Misplaced { what, place: "an audit rule", span: rule.span });
        }
        Some(model::Rule {
            kind: rule.kind,
            action,
            args,
            requires_approval: rule.without_approval || rule.kind == RuleKind::Require,
            condition: rule.condition.clone(),
            span: rule.span,
        })
    }

    fn invalid_action<T>(&mut self, rule: &ast::Rule) -> Option<T> {
        self.errors.push(CheckError::InvalidAction { span: rule.action.span });
        None
    }
}
