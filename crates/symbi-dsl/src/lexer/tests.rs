use super::{TokenKind, lex};
use crate::ast::DurationUnit;

fn kinds(source: &str) -> Vec<TokenKind> {
    lex(source).tokens.into_iter().map(|token| token.kind).collect()
}

#[test]
fn punctuation_and_operators() {
    use TokenKind as T;
    assert_eq!(
        kinds("{ } ( ) [ ] , : ; . -> => = == != < > <= >= + - * / % += -= *= /= %= && || !"),
        [
            T::LBrace,
            T::RBrace,
            T::LParen,
            T::RParen,
            T::LBracket,
            T::RBracket,
            T::Comma,
            T::Colon,
            T::Semi,
            T::Dot,
            T::Arrow,
            T::FatArrow,
            T::Eq,
            T::EqEq,
            T::NotEq,
            T::Lt,
            T::Gt,
            T::Le,
            T::Ge,
            T::Plus,
            T::Minus,
            T::Star,
            T::Slash,
            T::Percent,
            T::PlusEq,
            T::MinusEq,
            T::StarEq,
            T::SlashEq,
            T::PercentEq,
            T::AndAnd,
            T::OrOr,
            T::Bang,
            T::Eof,
        ]
    );
}

#[test]
fn numbers_durations_and_member_access_on_numbers() {
    assert_eq!(
        kinds("1_000 2.5 30.seconds 5m 6months 3.foo"),
        [
            TokenKind::Int(1000),
            TokenKind::Float(2.5),
            TokenKind::Duration(30, DurationUnit::DotSeconds),
            TokenKind::Duration(5, DurationUnit::Minutes),
            TokenKind::Duration(6, DurationUnit::Months),
            TokenKind::Int(3),
            TokenKind::Dot,
            TokenKind::Word,
            TokenKind::Eof,
        ]
    );
    let lexed = lex("1.5h 5min");
    let found: Vec<String> = lexed.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        found,
        ["invalid number `1.5h`: durations take whole numbers", "invalid number `5min`: unknown unit `min`"]
    );
}

#[test]
fn strings_decode_escapes_and_stop_at_line_end() {
    assert_eq!(kinds(r#""a\"b\\c\n\u{e9}""#), [TokenKind::Str("a\"b\\c\n\u{e9}".into()), TokenKind::Eof]);
    let lexed = lex("\"open\nnext");
    assert_eq!(lexed.errors.len(), 1);
    assert_eq!(lexed.tokens.len(), 3);
    assert_eq!(lex(r#""\u{110000}" "\x""#).errors.len(), 2);
}

#[test]
fn comments_are_kept_apart_and_line_starts_are_marked() {
    let lexed = lex("a // one\n# two\n  b");
    let texts: Vec<&str> = lexed.comments.iter().map(|comment| comment.text.as_str()).collect();
    assert_eq!(texts, ["// one", "# two"]);
    let starts: Vec<bool> = lexed.tokens.iter().map(|token| token.line_start).collect();
    assert_eq!(starts, [true, true, true]);
}

#[test]
fn byte_order_mark_and_non_ascii_garbage() {
    assert_eq!(kinds("\u{feff}agent"), [TokenKind::Word, TokenKind::Eof]);
    let lexed = lex("é ü");
    assert_eq!(lexed.errors.len(), 2);
}
