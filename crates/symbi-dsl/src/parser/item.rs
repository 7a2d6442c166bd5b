//! Top-level items and the members of their blocks: metadata, agents, policies and rules,
//! `with` blocks, keyed sections (schedule, webhook, memory, channel), types and functions.

use super::Parser;
use crate::ast::{
    Agent, AgentMember, Capabilities, Entry, FieldType, Function, Item, Member, Metadata, Nested, Param, Policy, Rule,
    RuleKind, Section, SectionKind, TypeBody, TypeDef, With,
};
use crate::diagnostic::ParseError;
use crate::lexer::TokenKind;
use crate::span::Span;

const ITEM_HELP: &str = "a file holds `metadata`, `agent`, `policy`, `type`, `function`, `schedule`, `webhook`, `memory` and `channel` blocks";
const AGENT_MEMBER_HELP: &str = "an agent body holds `capabilities = [...]`, `policy`, `function` and `with` blocks";
const RULE_HELP: &str = "rules look like `allow: read(file) if file.public` or `deny: send_email without approval`";
const KEY_HELP: &str = "entries look like `key = value`, one per line";

impl Parser<'_> {
    pub(super) fn item(&mut self) -> Option<Item> {
        let start = self.start();
        match self.word() {
            Some("metadata") => {
                self.bump();
                let members = self.members("metadata")?;
                Some(Item::Metadata(Metadata { members, span: self.span_from(start) }))
            }
            Some("agent") => self.agent().map(Item::Agent),
            Some("policy") => self.policy().map(Item::Policy),
            Some("type") => self.type_def().map(Item::Type),
            Some("function") => self.function().map(Item::Function),
            Some("schedule") => self.section(SectionKind::Schedule).map(Item::Section),
            Some("webhook") => self.section(SectionKind::Webhook).map(Item::Section),
            Some("memory") => self.section(SectionKind::Memory).map(Item::Section),
            Some("channel") => self.section(SectionKind::Channel).map(Item::Section),
            _ => self.unexpected("an item such as `agent` or `metadata`", ITEM_HELP),
        }
    }

    fn agent(&mut self) -> Option<Agent> {
        let start = self.start();
        self.bump();
        let name = self.name("an agent name")?;
        let params = if self.at(&TokenKind::LParen) { self.params()? } else { Vec::new() };
        let returns = if self.eat(&TokenKind::Arrow) { Some(self.type_expr()?) } else { None };
        let open = self.expect(&TokenKind::LBrace, "`{` to open the agent body", AGENT_MEMBER_HELP)?;
        let mut members = Vec::new();
        while !self.block_done() {
            let before = self.consumed;
            match self.agent_member() {
                Some(member) => members.push(member),
                None => self.recover(before),
            }
            if self.consumed == before {
                self.bump();
            }
        }
        self.close(open, &TokenKind::RBrace);
        Some(Agent { name, params, returns, members, span: self.span_from(start) })
    }

    fn agent_member(&mut self) -> Option<AgentMember> {
        match self.word() {
            Some("capabilities") => self.capabilities().map(AgentMember::Capabilities),
            Some("policy") => self.policy().map(AgentMember::Policy),
            Some("function") => self.function().map(AgentMember::Function),
            Some("with") => self.with().map(AgentMember::With),
            _ => self.unexpected("`capabilities`, `policy`, `function` or `with`", AGENT_MEMBER_HELP),
        }
    }

    fn capabilities(&mut self) -> Option<Capabilities> {
        let start = self.start();
        self.bump();
        if !self.eat(&TokenKind::Eq) && !self.eat(&TokenKind::Colon) {
            return self.unexpected("`=` after `capabilities`", "write `capabilities = [\"read\", \"search\"]`");
        }
        if !self.at(&TokenKind::LBracket) {
            return self.unexpected("`[` to start the list", "write `capabilities = [\"read\", \"search\"]`");
        }
        let items = self.list(&TokenKind::LBracket, "capabilities", Self::expr)?;
        self.eat(&TokenKind::Comma);
        Some(Capabilities { items, span: self.span_from(start) })
    }

    pub(super) fn policy(&mut self) -> Option<Policy> {
        let start = self.start();
        self.bump();
        let name = self.name("a policy name")?;
        let open = self.expect(&TokenKind::LBrace, "`{` to open the policy", RULE_HELP)?;
        let mut rules = Vec::new();
        while !self.block_done() {
            let before = self.consumed;
            match self.rule() {
                Some(rule) => rules.push(rule),
                None => self.recover(before),
            }
            if self.consumed == before {
                self.bump();
            }
        }
        self.close(open, &TokenKind::RBrace);
        Some(Policy { name, rules, span: self.span_from(start) })
    }

    fn rule(&mut self) -> Option<Rule> {
        let start = self.start();
        let kind = match self.word() {
            Some("allow") => RuleKind::Allow,
            Some("deny") => RuleKind::Deny,
            Some("require") => RuleKind::Require,
            Some("audit") => RuleKind::Audit,
            _ => return self.unexpected("`allow`, `deny`, `require` or `audit`", RULE_HELP),
        };
        self.bump();
        self.expect(&TokenKind::Colon, "`:` after the rule kind", RULE_HELP)?;
        let action = self.expr()?;
        let mut without_approval = false;
        let mut condition = None;
        loop {
            if !without_approval && self.at_word("without") {
                self.bump();
                if !self.eat_word("approval") {
                    return self.missing("`approval` after `without`", "write `without approval`");
                }
                without_approval = true;
            } else if condition.is_none() && self.at_word("if") {
                self.bump();
                condition = Some(self.expr()?);
            } else {
                break;
            }
        }
        if !self.peek().line_start && !self.block_done() {
            return self.unexpected("the end of the rule", "put each rule on its own line");
        }
        Some(Rule { kind, action, without_approval, condition, span: self.span_from(start) })
    }

    fn with(&mut self) -> Option<With> {
        let start = self.start();
        self.bump();
        let mut attrs = Vec::new();
        while !self.at(&TokenKind::LBrace) {
            let attr_start = self.start();
            let key =
                self.key("an attribute name or `{`", "write `with sandbox = \"tier1\", timeout = 30.seconds { ... }`")?;
            self.expect(&TokenKind::Eq, "`=` after the attribute name", "write `key = value`")?;
            let value = self.expr_no_struct()?;
            attrs.push(Entry { key, value, span: self.span_from(attr_start) });
            if !self.eat(&TokenKind::Comma) && !self.at(&TokenKind::LBrace) {
                return self.unexpected("`,` or `{`", "separate attributes with `,` and open the body with `{`");
            }
        }
        let body = self.block()?;
        Some(With { attrs, body, span: self.span_from(start) })
    }

    fn section(&mut self, kind: SectionKind) -> Option<Section> {
        let start = self.start();
        self.bump();
        let name = self.name(&format!("a {} name", kind.keyword()))?;
        let members = self.members(kind.keyword())?;
        Some(Section { kind, name, members, span: self.span_from(start) })
    }

    /// `{ member* }` of a keyed block.
    fn members(&mut self, what: &str) -> Option<Vec<Member>> {
        let open = self.expect(&TokenKind::LBrace, &format!("`{{` to open the {what} block"), KEY_HELP)?;
        self.enter()?;
        let mut members = Vec::new();
        while !self.block_done() {
            let before = self.consumed;
            match self.member() {
                Some(member) => members.push(member),
                None => self.recover(before),
            }
            if self.consumed == before {
                self.bump();
            }
        }
        self.leave();
        self.close(open, &TokenKind::RBrace);
        Some(members)
    }

    fn member(&mut self) -> Option<Member> {
        let start = self.start();
        if self.at_word("policy") && self.nth(1).kind == TokenKind::Word && self.nth_is(2, &TokenKind::LBrace) {
            return self.policy().map(Member::Policy);
        }
        let key = self.key("a key", KEY_HELP)?;
        if self.at(&TokenKind::LBrace) {
            let members = self.members(&format!("`{}`", key.name))?;
            return Some(Member::Nested(Nested { key, members, span: self.span_from(start) }));
        }
        let separated = self.eat(&TokenKind::Eq) || self.eat(&TokenKind::Colon);
        if separated && (self.peek().line_start || self.block_done()) {
            let found = self.describe(self.peek());
            let at = self.last_end;
            let help = format!("write a value after `{}`, like `{} = \"text\"`", key.name, key.name);
            self.error(ParseError::Unexpected { expected: "a value".to_owned(), found, span: Span::new(at, at), help });
            return None;
        }
        let value = self.expr()?;
        let comma = self.eat(&TokenKind::Comma);
        if !comma && !self.peek().line_start && !self.block_done() {
            return self.unexpected("the end of the entry", "put each entry on its own line or separate with `,`");
        }
        Some(Member::Entry(Entry { key, value, span: self.span_from(start) }))
    }

    fn type_def(&mut self) -> Option<TypeDef> {
        let start = self.start();
        self.bump();
        let name = self.name("a type name")?;
        self.expect(&TokenKind::Eq, "`=` after the type name", "write `type Name = { field: Type }`")?;
        let body = if self.at(&TokenKind::LBrace) {
            let open = self.bump().span;
            let mut fields = Vec::new();
            while !self.block_done() {
                let field_start = self.start();
                let name = self.key("a field name", "write `field: Type`")?;
                self.expect(&TokenKind::Colon, "`:` after the field name", "write `field: Type`")?;
                let ty = self.type_expr()?;
                fields.push(FieldType { name, ty, span: self.span_from(field_start) });
                if !self.eat(&TokenKind::Comma) && !self.peek().line_start && !self.block_done() {
                    return self.unexpected("`,` or `}`", "separate fields with `,`");
                }
            }
            self.close(open, &TokenKind::RBrace);
            TypeBody::Record(fields)
        } else {
            TypeBody::Alias(self.type_expr()?)
        };
        Some(TypeDef { name, body, span: self.span_from(start) })
    }

    fn function(&mut self) -> Option<Function> {
        let start = self.start();
        self.bump();
        let name = self.name("a function name")?;
        if !self.at(&TokenKind::LParen) {
            return self.unexpected("`(` after the function name", "write `function name(arg: Type) -> Type { ... }`");
        }
        let params = self.params()?;
        let returns = if self.eat(&TokenKind::Arrow) { Some(self.type_expr()?) } else { None };
        let body = self.block()?;
        Some(Function { name, params, returns, body, span: self.span_from(start) })
    }

    /// `( name: Type [,] … )`; commas between parameters are optional.
    fn params(&mut self) -> Option<Vec<Param>> {
        let open = self.bump().span;
        let mut params = Vec::new();
        while !self.at(&TokenKind::RParen) && !self.block_done() {
            let start = self.start();
            let name = self.name("a parameter name")?;
            self.expect(&TokenKind::Colon, "`:` after the parameter name", "write `name: Type`")?;
            let ty = self.type_expr()?;
            params.push(Param { name, ty, span: self.span_from(start) });
            self.eat(&TokenKind::Comma);
        }
        self.close(open, &TokenKind::RParen);
        Some(params)
    }
}
