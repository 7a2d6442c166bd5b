//! Span erasure, so two trees can be compared by what they say rather than where they were
//! written (round-trip tests, the formatter's self-check, editors diffing two versions).

use super::{
    AgentMember, Arg, ArmBody, Block, Cond, Else, Expr, ExprKind, FieldInit, File, Ident, IfExpr, Item, Member, Param,
    Pattern, PatternKind, Policy, Rule, Stmt, StmtKind, TypeBody, TypeExpr,
};
use crate::span::Span;

impl File {
    /// A copy of this tree with every span set to the empty span at offset 0.
    pub fn without_spans(&self) -> File {
        let mut file = self.clone();
        file.erase();
        file
    }
}

trait Erase {
    fn erase(&mut self);
}

impl<T: Erase> Erase for Vec<T> {
    fn erase(&mut self) {
        self.iter_mut().for_each(Erase::erase);
    }
}

impl<T: Erase> Erase for Option<T> {
    fn erase(&mut self) {
        if let Some(inner) = self {
            inner.erase();
        }
    }
}

impl<T: Erase> Erase for Box<T> {
    fn erase(&mut self) {
        self.as_mut().erase();
    }
}

impl Erase for File {
    fn erase(&mut self) {
        self.span = Span::default();
        self.items.erase();
    }
}

impl Erase for Ident {
    fn erase(&mut self) {
        self.span = Span::default();
    }
}

impl Erase for Item {
    fn erase(&mut self) {
        match self {
            Item::Metadata(metadata) => {
                metadata.span = Span::default();
                metadata.members.erase();
            }
            Item::Agent(agent) => {
                agent.span = Span::default();
                agent.name.erase();
                agent.params.erase();
                agent.returns.erase();
                agent.members.erase();
            }
            Item::Policy(policy) => policy.erase(),
            Item::Type(def) => {
                def.span = Span::default();
                def.name.erase();
                match &mut def.body {
                    TypeBody::Record(fields) => {
                        for field in fields {
                            field.span = Span::default();
                            field.name.erase();
                            field.ty.erase();
                        }
                    }
                    TypeBody::Alias(ty) => ty.erase(),
                }
            }
            Item::Function(function) => erase_function(function),
            Item::Section(section) => {
                section.span = Span::default();
                section.name.erase();
                section.members.erase();
            }
        }
    }
}

fn erase_function(function: &mut super::Function) {
    function.span = Span::default();
    function.name.erase();
    function.params.erase();
    function.returns.erase();
    function.body.erase();
}

impl Erase for Member {
    fn erase(&mut self) {
        match self {
            Member::Entry(entry) => {
                entry.span = Span::default();
                entry.key.erase();
                entry.value.erase();
            }
            Member::Nested(nested) => {
                nested.span = Span::default();
                nested.key.erase();
                nested.members.erase();
            }
            Member::Policy(policy) => policy.erase(),
        }
    }
}

impl Erase for AgentMember {
    fn erase(&mut self) {
        match self {
            AgentMember::Capabilities(caps) => {
                caps.span = Span::default();
                caps.items.erase();
            }
            AgentMember::Policy(policy) => policy.erase(),
            AgentMember::Function(function) => erase_function(function),
            AgentMember::With(with) => {
                with.span = Span::default();
                for attr in &mut with.attrs {
                    attr.span = Span::default();
                    attr.key.erase();
                    attr.value.erase();
                }
                with.body.erase();
            }
        }
    }
}

impl Erase for Param {
    fn erase(&mut self) {
        self.span = Span::default();
        self.name.erase();
        self.ty.erase();
    }
}

impl Erase for TypeExpr {
    fn erase(&mut self) {
        self.span = Span::default();
        self.name.erase();
        self.args.erase();
    }
}

impl Erase for Policy {
    fn erase(&mut self) {
        self.span = Span::default();
        self.name.erase();
        self.rules.erase();
    }
}

impl Erase for Rule {
    fn erase(&mut self) {
        self.span = Span::default();
        self.action.erase();
        self.condition.erase();
    }
}

impl Erase for Block {
    fn erase(&mut self) {
        self.span = Span::default();
        self.stmts.erase();
    }
}

impl Erase for Stmt {
    fn erase(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            StmtKind::Let { name, ty, value } => {
                name.erase();
                ty.erase();
                value.erase();
            }
            StmtKind::Assign { target, value, .. } => {
                target.erase();
                value.erase();
            }
            StmtKind::Return(value) => value.erase(),
            StmtKind::Expr { expr, .. } => expr.erase(),
            StmtKind::For { var, iter, body } => {
                var.erase();
                iter.erase();
                body.erase();
            }
            StmtKind::Try { body, var, ty, handler } => {
                body.erase();
                var.erase();
                ty.erase();
                handler.erase();
            }
        }
    }
}

impl Erase for Expr {
    fn erase(&mut self) {
        self.span = Span::default();
        match &mut self.kind {
            ExprKind::Literal(_) | ExprKind::Name(_) => {}
            ExprKind::Array(items) => items.erase(),
            ExprKind::Record(fields) => fields.erase(),
            ExprKind::Struct { name, fields } => {
                name.erase();
                fields.erase();
            }
            ExprKind::Unary { operand, .. } => operand.erase(),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.erase();
                rhs.erase();
            }
            ExprKind::Member { object, field } => {
                object.erase();
                field.erase();
            }
            ExprKind::Index { object, index } => {
                object.erase();
                index.erase();
            }
            ExprKind::Call { callee, args } => {
                callee.erase();
                args.erase();
            }
            ExprKind::Lambda { param, body } => {
                param.erase();
                body.erase();
            }
            ExprKind::If(if_expr) => if_expr.erase(),
            ExprKind::Match { scrutinee, arms } => {
                scrutinee.erase();
                for arm in arms {
                    arm.span = Span::default();
                    arm.pattern.erase();
                    match &mut arm.body {
                        ArmBody::Expr(expr) => expr.erase(),
                        ArmBody::Block(block) => block.erase(),
                    }
                }
            }
        }
    }
}

impl Erase for FieldInit {
    fn erase(&mut self) {
        self.span = Span::default();
        self.key.erase();
        self.value.erase();
    }
}

impl Erase for Arg {
    fn erase(&mut self) {
        self.span = Span::default();
        self.name.erase();
        self.value.erase();
    }
}

impl Erase for IfExpr {
    fn erase(&mut self) {
        self.span = Span::default();
        match &mut self.cond {
            Cond::Expr(expr) => expr.erase(),
            Cond::Let { pattern, value } => {
                pattern.erase();
                value.erase();
            }
        }
        self.then.erase();
        match &mut self.otherwise {
            Some(Else::Block(block)) => block.erase(),
            Some(Else::If(nested)) => nested.erase(),
            None => {}
        }
    }
}

impl Erase for Pattern {
    fn erase(&mut self) {
        self.span = Span::default();
        if let PatternKind::Constructor { name, args } = &mut self.kind {
            name.erase();
            args.erase();
        }
    }
}
