//! Property tests: random trees (bounded in size) print to source that parses back to the same
//! tree, and formatting that source changes nothing.

use proptest::prelude::*;
use symbi_dsl::Span;
use symbi_dsl::ast::*;

const KEYWORDS: &[&str] = &[
    "true",
    "false",
    "not",
    "in",
    "if",
    "else",
    "let",
    "return",
    "for",
    "match",
    "try",
    "catch",
    "without",
    "metadata",
    "agent",
    "policy",
    "type",
    "function",
    "schedule",
    "webhook",
    "memory",
    "channel",
    "with",
    "capabilities",
    "allow",
    "deny",
    "require",
    "audit",
    "approval",
    "vault",
];

fn ident_text() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,6}".prop_filter("keyword", |name| !KEYWORDS.contains(&name.as_str()))
}

fn ident() -> impl Strategy<Value = Ident> {
    ident_text().prop_map(|name| Ident { name, span: Span::default() })
}

fn type_name() -> impl Strategy<Value = Ident> {
    "[A-Z][A-Za-z0-9]{0,5}".prop_map(|name| Ident { name, span: Span::default() })
}

fn type_expr() -> impl Strategy<Value = TypeExpr> {
    let leaf = type_name().prop_map(|name| TypeExpr { name, args: Vec::new(), span: Span::default() });
    leaf.prop_recursive(2, 6, 3, |inner| {
        (type_name(), prop::collection::vec(inner, 1..3)).prop_map(|(name, args)| TypeExpr {
            name,
            args,
            span: Span::default(),
        })
    })
}

fn unit() -> impl Strategy<Value = DurationUnit> {
    prop_oneof![
        Just(DurationUnit::DotSeconds),
        Just(DurationUnit::DotMinutes),
        Just(DurationUnit::DotHours),
        Just(DurationUnit::Seconds),
        Just(DurationUnit::Minutes),
        Just(DurationUnit::Hours),
        Just(DurationUnit::Days),
        Just(DurationUnit::Weeks),
        Just(DurationUnit::Months),
        Just(DurationUnit::Years),
    ]
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<u64>().prop_map(Literal::Int),
        (0.0f64..1e25).prop_map(Literal::Float),
        any::<String>().prop_map(Literal::Str),
        any::<bool>().prop_map(Literal::Bool),
        (any::<u64>(), unit()).prop_map(|(value, unit)| Literal::Duration { value, unit }),
        "[a-z0-9_./-]{1,12}".prop_map(Literal::Vault),
    ]
}

fn expr_of(kind: ExprKind) -> Expr {
    Expr { kind, span: Span::default() }
}

fn binary_op() -> impl Strategy<Value = BinaryOp> {
    prop::sample::select(vec![
        BinaryOp::Or,
        BinaryOp::And,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::In,
        BinaryOp::Lt,
        BinaryOp::Gt,
        BinaryOp::Le,
        BinaryOp::Ge,
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Rem,
    ])
}

fn pattern() -> impl Strategy<Value = Pattern> {
    let leaf = prop_oneof![
        Just(PatternKind::Wildcard),
        ident_text().prop_map(PatternKind::Binding),
        literal()
            .prop_filter("no vault patterns", |literal| !matches!(literal, Literal::Vault(_)))
            .prop_map(PatternKind::Literal),
    ]
    .prop_map(|kind| Pattern { kind, span: Span::default() });
    leaf.prop_recursive(2, 6, 3, |inner| {
        (type_name(), prop::collection::vec(inner, 0..3))
            .prop_map(|(name, args)| Pattern { kind: PatternKind::Constructor { name, args }, span: Span::default() })
    })
}

fn field(value: BoxedStrategy<Expr>) -> impl Strategy<Value = FieldInit> {
    (ident(), value).prop_map(|(key, value)| FieldInit { key, value, span: Span::default() })
}

fn block(expr: BoxedStrategy<Expr>) -> impl Strategy<Value = Block> {
    (prop::collection::vec(stmt(expr), 0..3), any::<bool>()).prop_map(|(mut stmts, tail)| {
        let last = stmts.len().saturating_sub(1);
        for (index, stmt) in stmts.iter_mut().enumerate() {
            if let StmtKind::Expr { expr, semi } = &mut stmt.kind {
                let block_like = matches!(expr.kind, ExprKind::If(_) | ExprKind::Match { .. });
                if !(block_like || (index == last && tail)) {
                    *semi = true;
                }
            }
        }
        Block { stmts, span: Span::default() }
    })
}

fn stmt(expr: BoxedStrategy<Expr>) -> impl Strategy<Value = Stmt> {
    let op = prop::sample::select(vec![
        AssignOp::Set,
        AssignOp::Add,
        AssignOp::Sub,
        AssignOp::Mul,
        AssignOp::Div,
        AssignOp::Rem,
    ]);
    let leaf_block = Just(Block { stmts: Vec::new(), span: Span::default() });
    prop_oneof![
        (ident(), prop::option::of(type_expr()), expr.clone()).prop_map(|(name, ty, value)| StmtKind::Let {
            name,
            ty,
            value
        }),
        (expr.clone(), op, expr.clone()).prop_map(|(target, op, value)| StmtKind::Assign { target, op, value }),
        prop::option::of(expr.clone()).prop_map(StmtKind::Return),
        (expr.clone(), any::<bool>()).prop_map(|(expr, semi)| StmtKind::Expr { expr, semi }),
        (ident(), expr, leaf_block.clone()).prop_map(|(var, iter, body)| StmtKind::For { var, iter, body }),
        (ident(), prop::option::of(type_expr()), leaf_block.clone(), leaf_block)
            .prop_map(|(var, ty, body, handler)| StmtKind::Try { body, var, ty, handler }),
    ]
    .prop_map(|kind| Stmt { kind, span: Span::default() })
}

fn expr() -> BoxedStrategy<Expr> {
    let leaf =
        prop_oneof![literal().prop_map(ExprKind::Literal), ident_text().prop_map(ExprKind::Name)].prop_map(expr_of);
    leaf.prop_recursive(4, 24, 4, |inner| {
        let boxed = || inner.clone().prop_map(Box::new);
        let arg = (prop::option::of(ident()), inner.clone()).prop_map(|(name, value)| Arg {
            name,
            value,
            span: Span::default(),
        });
        let cond = prop_oneof![
            inner.clone().prop_map(Cond::Expr),
            (pattern(), inner.clone()).prop_map(|(pattern, value)| Cond::Let { pattern, value }),
        ];
        let if_expr = (cond, block(inner.clone()), prop::option::of(block(inner.clone())))
            .prop_map(|(cond, then, otherwise)| IfExpr {
                cond,
                then,
                otherwise: otherwise.map(Else::Block),
                span: Span::default(),
            })
            .boxed();
        let else_if = (if_expr.clone(), if_expr.clone()).prop_map(|(mut outer, nested)| {
            outer.otherwise = Some(Else::If(Box::new(nested)));
            outer
        });
        let arm_body =
            prop_oneof![inner.clone().prop_map(ArmBody::Expr), block(inner.clone()).prop_map(ArmBody::Block)];
        let arm = (pattern(), arm_body).prop_map(|(pattern, body)| MatchArm { pattern, body, span: Span::default() });
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(ExprKind::Array),
            prop::collection::vec(field(inner.clone()), 0..3).prop_map(ExprKind::Record),
            (type_name(), prop::collection::vec(field(inner.clone()), 0..3))
                .prop_map(|(name, fields)| ExprKind::Struct { name, fields }),
            (prop::sample::select(vec![UnaryOp::Not, UnaryOp::Neg]), boxed())
                .prop_map(|(op, operand)| ExprKind::Unary { op, operand }),
            (binary_op(), boxed(), boxed()).prop_map(|(op, lhs, rhs)| ExprKind::Binary { op, lhs, rhs }),
            (boxed(), ident()).prop_map(|(object, field)| ExprKind::Member { object, field }),
            (boxed(), boxed()).prop_map(|(object, index)| ExprKind::Index { object, index }),
            (boxed(), prop::collection::vec(arg, 0..3)).prop_map(|(callee, args)| ExprKind::Call { callee, args }),
            (ident(), boxed()).prop_map(|(param, body)| ExprKind::Lambda { param, body }),
            prop_oneof![if_expr, else_if].prop_map(|if_expr| ExprKind::If(Box::new(if_expr))),
            (boxed(), prop::collection::vec(arm, 0..3))
                .prop_map(|(scrutinee, arms)| ExprKind::Match { scrutinee, arms }),
        ]
        .prop_map(expr_of)
    })
    .boxed()
}

fn rule() -> impl Strategy<Value = Rule> {
    let kind = prop::sample::select(vec![RuleKind::Allow, RuleKind::Deny, RuleKind::Require, RuleKind::Audit]);
    (kind, expr(), any::<bool>(), prop::option::of(expr())).prop_map(|(kind, action, without_approval, condition)| {
        Rule { kind, action, without_approval, condition, span: Span::default() }
    })
}

fn policy() -> impl Strategy<Value = Policy> {
    (ident(), prop::collection::vec(rule(), 0..3)).prop_map(|(name, rules)| Policy {
        name,
        rules,
        span: Span::default(),
    })
}

fn params() -> impl Strategy<Value = Vec<Param>> {
    prop::collection::vec((ident(), type_expr()).prop_map(|(name, ty)| Param { name, ty, span: Span::default() }), 0..3)
}

fn function() -> impl Strategy<Value = Function> {
    (ident(), params(), prop::option::of(type_expr()), block(expr()))
        .prop_map(|(name, params, returns, body)| Function { name, params, returns, body, span: Span::default() })
}

fn entry() -> impl Strategy<Value = Entry> {
    (ident(), expr()).prop_map(|(key, value)| Entry { key, value, span: Span::default() })
}

fn members() -> impl Strategy<Value = Vec<Member>> {
    let leaf = prop_oneof![entry().prop_map(Member::Entry), policy().prop_map(Member::Policy)];
    let member = leaf.prop_recursive(2, 8, 3, |inner| {
        (ident(), prop::collection::vec(inner, 0..3))
            .prop_map(|(key, members)| Member::Nested(Nested { key, members, span: Span::default() }))
    });
    prop::collection::vec(member, 0..4)
}

fn agent_member() -> impl Strategy<Value = AgentMember> {
    prop_oneof![
        prop::collection::vec(expr(), 0..3)
            .prop_map(|items| AgentMember::Capabilities(Capabilities { items, span: Span::default() })),
        policy().prop_map(AgentMember::Policy),
        function().prop_map(AgentMember::Function),
        (prop::collection::vec(entry(), 0..3), block(expr())).prop_map(|(attrs, body)| AgentMember::With(With {
            attrs,
            body,
            span: Span::default()
        })),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    let kind = prop::sample::select(vec![
        SectionKind::Schedule,
        SectionKind::Webhook,
        SectionKind::Memory,
        SectionKind::Channel,
    ]);
    let type_body = prop_oneof![
        prop::collection::vec(
            (ident(), type_expr()).prop_map(|(name, ty)| FieldType { name, ty, span: Span::default() }),
            0..3
        )
        .prop_map(TypeBody::Record),
        type_expr().prop_map(TypeBody::Alias),
    ];
    prop_oneof![
        members().prop_map(|members| Item::Metadata(Metadata { members, span: Span::default() })),
        (ident(), params(), prop::option::of(type_expr()), prop::collection::vec(agent_member(), 0..3)).prop_map(
            |(name, params, returns, members)| Item::Agent(Agent {
                name,
                params,
                returns,
                members,
                span: Span::default()
            })
        ),
        policy().prop_map(Item::Policy),
        (type_name(), type_body).prop_map(|(name, body)| Item::Type(TypeDef { name, body, span: Span::default() })),
        function().prop_map(Item::Function),
        (kind, ident(), members()).prop_map(|(kind, name, members)| Item::Section(Section {
            kind,
            name,
            members,
            span: Span::default()
        })),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn printed_trees_parse_back_to_the_same_tree(items in prop::collection::vec(item(), 0..4)) {
        let file = File { items, span: Span::default() };
        let printed = symbi_dsl::print(&file);
        let parsed = match symbi_dsl::parse(&printed) {
            Ok(parsed) => parsed,
            Err(errors) => panic!("{}\n--- source ---\n{printed}", symbi_dsl::render("printed.symbi", &printed, &errors)),
        };
        prop_assert_eq!(parsed.without_spans(), file.without_spans(), "source:\n{}", printed);
        let formatted = symbi_dsl::format(&printed).unwrap();
        prop_assert_eq!(formatted, printed);
    }

    #[test]
    fn any_text_ends_in_a_tree_or_errors(source in "[a-z{}()\\[\\];:=,.\"#/ \n0-9<>!&|+*-]{0,200}") {
        let (file, errors) = symbi_dsl::parse_tolerant(&source);
        match symbi_dsl::parse(&source) {
            Ok(strict) => {
                prop_assert!(errors.is_empty());
                prop_assert_eq!(&strict, &file);
                let formatted = symbi_dsl::format(&source).unwrap();
                prop_assert_eq!(symbi_dsl::parse(&formatted).unwrap().without_spans(), strict.without_spans());
                prop_assert_eq!(symbi_dsl::format(&formatted).unwrap(), formatted);
            }
            Err(strict) => prop_assert_eq!(strict.as_slice(), errors.as_slice()),
        }
    }
}
