//! The syntax tree of a `.symbi` file, as written: every node keeps the [`Span`] it came from.
//! The parser builds it, the formatter prints it back, and the semantic check turns it into the
//! [`model`](crate::model). Equality compares spans too; [`File::without_spans`] compares shape.

mod strip;

use crate::span::Span;

/// A whole `.symbi` file: its top-level items in source order.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct File {
    /// Top-level items.
    pub items: Vec<Item>,
    /// The whole source.
    pub span: Span,
}

/// A name as written, with its position.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// One top-level item.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum Item {
    /// `metadata { … }`.
    Metadata(Metadata),
    /// `agent name(…) -> T { … }`.
    Agent(Agent),
    /// A top-level `policy name { … }`.
    Policy(Policy),
    /// `type Name = …`.
    Type(TypeDef),
    /// A top-level `function name(…) { … }`.
    Function(Function),
    /// `schedule`, `webhook`, `memory` or `channel` blocks: keyed entries.
    Section(Section),
}

/// `metadata { key = value … }`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Metadata {
    /// Entries in source order.
    pub members: Vec<Member>,
    /// From `metadata` to `}`.
    pub span: Span,
}

/// The kinds of keyed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum SectionKind {
    /// `schedule name { … }`.
    Schedule,
    /// `webhook name { … }`.
    Webhook,
    /// `memory name { … }`.
    Memory,
    /// `channel name { … }`.
    Channel,
}

impl SectionKind {
    /// The keyword that opens the block.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Webhook => "webhook",
            Self::Memory => "memory",
            Self::Channel => "channel",
        }
    }
}

/// A named block of keyed entries: `schedule`, `webhook`, `memory` or `channel`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Section {
    /// Which block this is.
    pub kind: SectionKind,
    /// Its name.
    pub name: Ident,
    /// Entries, nested blocks and policies in source order.
    pub members: Vec<Member>,
    /// From the keyword to `}`.
    pub span: Span,
}

/// One line of a keyed block.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum Member {
    /// `key = value`, `key: value` or `key value`.
    Entry(Entry),
    /// `key { … }`, such as a webhook's `filter` or a memory's `search`.
    Nested(Nested),
    /// `policy name { … }` (meaningful in channels).
    Policy(Policy),
}

/// `key = value`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Entry {
    /// The key.
    pub key: Ident,
    /// The value.
    pub value: Expr,
    /// From the key to the end of the value.
    pub span: Span,
}

/// `key { … }`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Nested {
    /// The key.
    pub key: Ident,
    /// The block's members.
    pub members: Vec<Member>,
    /// From the key to `}`.
    pub span: Span,
}

/// `agent name(params) -> T { members }`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Agent {
    /// The agent's name.
    pub name: Ident,
    /// Parameters; empty when the header has none.
    pub params: Vec<Param>,
    /// The return type after `->`.
    pub returns: Option<TypeExpr>,
    /// Body members in source order.
    pub members: Vec<AgentMember>,
    /// From `agent` to `}`.
    pub span: Span,
}

/// One member of an agent body.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum AgentMember {
    /// `capabilities = [ … ]`.
    Capabilities(Capabilities),
    /// `policy name { … }`.
    Policy(Policy),
    /// `function name(…) { … }`.
    Function(Function),
    /// `with key = value, … { … }`.
    With(With),
}

/// `capabilities = [ … ]`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Capabilities {
    /// The listed capabilities.
    pub items: Vec<Expr>,
    /// From `capabilities` to `]`.
    pub span: Span,
}

/// `name: Type`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Param {
    /// Parameter name.
    pub name: Ident,
    /// Parameter type.
    pub ty: TypeExpr,
    /// From the name to the end of the type.
    pub span: Span,
}

/// A type such as `String` or `Map<String, int>`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct TypeExpr {
    /// The type's name.
    pub name: Ident,
    /// Arguments between `<` and `>`.
    pub args: Vec<TypeExpr>,
    /// The whole type.
    pub span: Span,
}

/// `policy name { rules }`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Policy {
    /// The policy's name.
    pub name: Ident,
    /// Rules in source order.
    pub rules: Vec<Rule>,
    /// From `policy` to `}`.
    pub span: Span,
}

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum RuleKind {
    /// `allow:`.
    Allow,
    /// `deny:`.
    Deny,
    /// `require:`.
    Require,
    /// `audit:`.
    Audit,
}

impl RuleKind {
    /// The keyword before `:`.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::Require => "require",
            Self::Audit => "audit",
        }
    }
}

/// `kind: action [without approval] [if condition]`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Rule {
    /// `allow`, `deny`, `require` or `audit`.
    pub kind: RuleKind,
    /// The action, such as `read(file)` or `send_email`.
    pub action: Expr,
    /// Whether `without approval` was written.
    pub without_approval: bool,
    /// The `if` condition.
    pub condition: Option<Expr>,
    /// The whole rule.
    pub span: Span,
}

/// `with key = value, … { body }`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct With {
    /// The attributes in the header.
    pub attrs: Vec<Entry>,
    /// The body.
    pub body: Block,
    /// From `with` to `}`.
    pub span: Span,
}

/// `type Name = …`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct TypeDef {
    /// The new type's name.
    pub name: Ident,
    /// What it stands for.
    pub body: TypeBody,
    /// From `type` to the end.
    pub span: Span,
}

/// The right-hand side of a type definition.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum TypeBody {
    /// `{ field: Type, … }`.
    Record(Vec<FieldType>),
    /// Another type.
    Alias(TypeExpr),
}

/// `field: Type` in a record type.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct FieldType {
    /// Field name.
    pub name: Ident,
    /// Field type.
    pub ty: TypeExpr,
    /// The whole field.
    pub span: Span,
}

/// `function name(params) -> T { body }`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Function {
    /// The function's name.
    pub name: Ident,
    /// Parameters.
    pub params: Vec<Param>,
    /// The return type after `->`.
    pub returns: Option<TypeExpr>,
    /// The body.
    pub body: Block,
    /// From `function` to `}`.
    pub span: Span,
}

/// `{ statements }`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Block {
    /// Statements in order.
    pub stmts: Vec<Stmt>,
    /// From `{` to `}`.
    pub span: Span,
}

/// A statement with its span.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Stmt {
    /// What kind of statement.
    pub kind: StmtKind,
    /// The whole statement, including its `;`.
    pub span: Span,
}

/// The statement forms.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum StmtKind {
    /// `let name [: Type] = value;`.
    Let {
        /// The new binding.
        name: Ident,
        /// Its declared type.
        ty: Option<TypeExpr>,
        /// Its value.
        value: Expr,
    },
    /// `target op value;`.
    Assign {
        /// What is assigned to.
        target: Expr,
        /// `=`, `+=`, …
        op: AssignOp,
        /// The assigned value.
        value: Expr,
    },
    /// `return [value];`.
    Return(Option<Expr>),
    /// `expr;`, or a final expression or `if`/`match` without `;`.
    Expr {
        /// The expression.
        expr: Expr,
        /// Whether a `;` followed.
        semi: bool,
    },
    /// `for var in iter { body }`.
    For {
        /// The loop variable.
        var: Ident,
        /// What is iterated.
        iter: Expr,
        /// The loop body.
        body: Block,
    },
    /// `try { body } catch (var [: Type]) { handler }`.
    Try {
        /// The guarded block.
        body: Block,
        /// The error binding.
        var: Ident,
        /// The error type.
        ty: Option<TypeExpr>,
        /// The handler block.
        handler: Block,
    },
}

/// Assignment operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum AssignOp {
    /// `=`.
    Set,
    /// `+=`.
    Add,
    /// `-=`.
    Sub,
    /// `*=`.
    Mul,
    /// `/=`.
    Div,
    /// `%=`.
    Rem,
}

impl AssignOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Set => "=",
            Self::Add => "+=",
            Self::Sub => "-=",
            Self::Mul => "*=",
            Self::Div => "/=",
            Self::Rem => "%=",
        }
    }
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// The whole expression.
    pub span: Span,
}

/// The expression forms.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum ExprKind {
    /// A literal value.
    Literal(Literal),
    /// A name.
    Name(String),
    /// `[a, b]`.
    Array(Vec<Expr>),
    /// `{ key: value, … }`.
    Record(Vec<FieldInit>),
    /// `TypeName { key: value, … }`.
    Struct {
        /// The type's name.
        name: Ident,
        /// Field values.
        fields: Vec<FieldInit>,
    },
    /// A prefix operator.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        operand: Box<Expr>,
    },
    /// An infix operator.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `object.field`.
    Member {
        /// The object.
        object: Box<Expr>,
        /// The field's name.
        field: Ident,
    },
    /// `object[index]`.
    Index {
        /// The indexed value.
        object: Box<Expr>,
        /// The index.
        index: Box<Expr>,
    },
    /// `callee(args)`.
    Call {
        /// What is called.
        callee: Box<Expr>,
        /// Positional and named arguments.
        args: Vec<Arg>,
    },
    /// `param => body`.
    Lambda {
        /// The parameter.
        param: Ident,
        /// The body.
        body: Box<Expr>,
    },
    /// `if cond { … } else …`.
    If(Box<IfExpr>),
    /// `match scrutinee { arms }`.
    Match {
        /// The matched value.
        scrutinee: Box<Expr>,
        /// The arms in order.
        arms: Vec<MatchArm>,
    },
}

/// Literal values.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum Literal {
    /// `42`, `1_000`.
    Int(u64),
    /// `3.14`.
    Float(f64),
    /// `"text"` (escapes decoded).
    Str(String),
    /// `true`, `false`.
    Bool(bool),
    /// `30.seconds`, `5m`, `90d`.
    Duration {
        /// The count.
        value: u64,
        /// The unit as written.
        unit: DurationUnit,
    },
    /// `vault://path`.
    Vault(String),
}

/// Duration units, kept as written so formatting does not change them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum DurationUnit {
    /// `.seconds`.
    DotSeconds,
    /// `.minutes`.
    DotMinutes,
    /// `.hours`.
    DotHours,
    /// `s`.
    Seconds,
    /// `m`.
    Minutes,
    /// `h`.
    Hours,
    /// `d`.
    Days,
    /// `w`.
    Weeks,
    /// `months` (30 days).
    Months,
    /// `y` (365 days).
    Years,
}

impl DurationUnit {
    /// The suffix as written after the number.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::DotSeconds => ".seconds",
            Self::DotMinutes => ".minutes",
            Self::DotHours => ".hours",
            Self::Seconds => "s",
            Self::Minutes => "m",
            Self::Hours => "h",
            Self::Days => "d",
            Self::Weeks => "w",
            Self::Months => "months",
            Self::Years => "y",
        }
    }

    /// Seconds in one unit.
    pub fn seconds(self) -> u64 {
        match self {
            Self::DotSeconds | Self::Seconds => 1,
            Self::DotMinutes | Self::Minutes => 60,
            Self::DotHours | Self::Hours => 3_600,
            Self::Days => 86_400,
            Self::Weeks => 7 * 86_400,
            Self::Months => 30 * 86_400,
            Self::Years => 365 * 86_400,
        }
    }

    pub(crate) fn from_suffix(text: &str) -> Option<Self> {
        Some(match text {
            "seconds" => Self::DotSeconds,
            "minutes" => Self::DotMinutes,
            "hours" => Self::DotHours,
            "s" => Self::Seconds,
            "m" => Self::Minutes,
            "h" => Self::Hours,
            "d" => Self::Days,
            "w" => Self::Weeks,
            "months" => Self::Months,
            "y" => Self::Years,
            _ => return None,
        })
    }
}

/// `key: value` in a record or struct literal.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct FieldInit {
    /// The field's name.
    pub key: Ident,
    /// Its value.
    pub value: Expr,
    /// The whole field.
    pub span: Span,
}

/// A call argument: `value` or `name = value`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Arg {
    /// The name of a named argument.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
    /// The whole argument.
    pub span: Span,
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum UnaryOp {
    /// `!x` or `not x` (printed as `!`).
    Not,
    /// `-x`.
    Neg,
}

/// Infix operators, lowest precedence first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum BinaryOp {
    /// `||`.
    Or,
    /// `&&`.
    And,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `in`.
    In,
    /// `<`.
    Lt,
    /// `>`.
    Gt,
    /// `<=`.
    Le,
    /// `>=`.
    Ge,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `%`.
    Rem,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Or => "||",
            Self::And => "&&",
            Self::Eq => "==",
            Self::Ne => "!=",
            Self::In => "in",
            Self::Lt => "<",
            Self::Gt => ">",
            Self::Le => "<=",
            Self::Ge => ">=",
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Rem => "%",
        }
    }

    /// Binding strength: higher binds tighter. All operators associate to the left.
    pub fn precedence(self) -> u8 {
        match self {
            Self::Or => 1,
            Self::And => 2,
            Self::Eq | Self::Ne | Self::In => 3,
            Self::Lt | Self::Gt | Self::Le | Self::Ge => 4,
            Self::Add | Self::Sub => 5,
            Self::Mul | Self::Div | Self::Rem => 6,
        }
    }
}

/// `if cond { then } [else …]`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct IfExpr {
    /// The condition.
    pub cond: Cond,
    /// The block run when it holds.
    pub then: Block,
    /// The `else` branch.
    pub otherwise: Option<Else>,
    /// From `if` to the last `}`.
    pub span: Span,
}

/// An `if` condition.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum Cond {
    /// A boolean expression.
    Expr(Expr),
    /// `let pattern = value`.
    Let {
        /// The pattern to match.
        pattern: Pattern,
        /// The matched value.
        value: Expr,
    },
}

/// What follows `else`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum Else {
    /// `else { … }`.
    Block(Block),
    /// `else if …`.
    If(Box<IfExpr>),
}

/// `pattern => body`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct MatchArm {
    /// The pattern.
    pub pattern: Pattern,
    /// The arm's body.
    pub body: ArmBody,
    /// The whole arm.
    pub span: Span,
}

/// The body of a match arm.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum ArmBody {
    /// `pattern => expr`.
    Expr(Expr),
    /// `pattern => { … }`.
    Block(Block),
}

/// A pattern with its span.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub struct Pattern {
    /// What kind of pattern.
    pub kind: PatternKind,
    /// The whole pattern.
    pub span: Span,
}

/// The pattern forms.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize), serde(rename_all = "snake_case"))]
pub enum PatternKind {
    /// `_`.
    Wildcard,
    /// A name that binds the value.
    Binding(String),
    /// A literal that must be equal.
    Literal(Literal),
    /// `Name(p, …)`.
    Constructor {
        /// The constructor's name.
        name: Ident,
        /// Sub-patterns.
        args: Vec<Pattern>,
    },
}

/// Words that cannot be used as names in expressions.
pub(crate) const RESERVED: &[&str] =
    &["true", "false", "not", "in", "if", "else", "let", "return", "for", "match", "try", "catch", "without"];

/// Whether `word` is reserved in expression position.
pub(crate) fn is_reserved(word: &str) -> bool {
    RESERVED.contains(&word)
}
