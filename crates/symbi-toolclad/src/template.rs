//! Command text as written in manifests: `{name}` placeholders, `{_secret:NAME}` references and
//! the POSIX word splitting of legacy `template` strings. Splitting happens on the manifest text
//! at load time, never on argument values, so a value is always exactly one argv word.

/// One piece of a word, URL or header template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Text written in the manifest.
    Lit(String),
    /// `{name}`: an argument, default, mapping, conditional or generated variable.
    Var(String),
    /// `{_secret:NAME}`: resolved by the runtime at execution, never shown.
    Secret(String),
}

/// One word of a command, with whether the manifest quoted it (a quoted word survives being
/// empty, as in POSIX shells and Python's `shlex`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub(crate) pieces: Vec<Piece>,
    pub(crate) quoted: bool,
}

/// Why template text could not be split into words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SplitError {
    #[error("unbalanced quote in command template")]
    UnbalancedQuote,
    #[error("command template ends with a lone backslash")]
    TrailingBackslash,
}

/// Splits `text` into pieces. Only `{word}` with ASCII letters, digits and `_` is a placeholder;
/// `{{…}}` and any other braces stay literal (there is no escape syntax in ToolClad).
pub(crate) fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        lit.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        if let Some(stripped) = after.strip_prefix('{') {
            lit.push_str("{{");
            rest = stripped;
            continue;
        }
        let placeholder = after.find('}').and_then(|close| {
            let inner = after.get(..close)?;
            let piece = match inner.strip_prefix("_secret:") {
                Some(name) if is_name(name) => Piece::Secret(name.to_owned()),
                _ if is_name(inner) => Piece::Var(inner.to_owned()),
                _ => return None,
            };
            Some((piece, close))
        });
        match placeholder {
            Some((piece, close)) => {
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                out.push(piece);
                rest = after.get(close + 1..).unwrap_or_default();
            }
            None => {
                lit.push('{');
                rest = after;
            }
        }
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    out
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Splits a legacy `template` the way the published implementations do after interpolation:
/// whitespace runs collapse to one space, then POSIX `shlex` rules (single quotes literal,
/// double quotes with `\` escaping `\ " $ `` ` ``, backslash outside quotes escaping one char).
pub(crate) fn split_words(template: &str) -> Result<Vec<Word>, SplitError> {
    let collapsed = template.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut words = Vec::new();
    let mut current: Option<(String, bool)> = None;
    let mut chars = collapsed.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => {
                if let Some((text, quoted)) = current.take() {
                    words.push(Word { pieces: pieces(&text), quoted });
                }
            }
            '\'' => {
                let word = current.get_or_insert_with(Default::default);
                word.1 = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => word.0.push(ch),
                        None => return Err(SplitError::UnbalancedQuote),
                    }
                }
            }
            '"' => {
                let word = current.get_or_insert_with(Default::default);
                word.1 = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('\\' | '"' | '$' | '`')) => word.0.push(ch),
                            Some(ch) => {
                                word.0.push('\\');
                                word.0.push(ch);
                            }
                            None => return Err(SplitError::UnbalancedQuote),
                        },
                        Some(ch) => word.0.push(ch),
                        None => return Err(SplitError::UnbalancedQuote),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(ch) => current.get_or_insert_with(Default::default).0.push(ch),
                None => return Err(SplitError::TrailingBackslash),
            },
            ch => current.get_or_insert_with(Default::default).0.push(ch),
        }
    }
    if let Some((text, quoted)) = current {
        words.push(Word { pieces: pieces(&text), quoted });
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Piece {
        Piece::Lit(s.into())
    }

    #[test]
    fn finds_placeholders_and_secrets() {
        assert_eq!(
            pieces("--rate={rate}&key={_secret:API_KEY}"),
            vec![lit("--rate="), Piece::Var("rate".into()), lit("&key="), Piece::Secret("API_KEY".into())]
        );
        assert_eq!(pieces("%{{http_code}}"), vec![lit("%{{http_code}}")]);
        assert_eq!(pieces("{a b} {"), vec![lit("{a b} {")]);
    }

    #[test]
    fn splits_like_posix_shlex() {
        let words = split_words("nmap  {_scan_flags} -p '1-1000' \"a b\"  x\\ y {target}").unwrap();
        let texts: Vec<_> = words.iter().map(|w| (w.pieces.clone(), w.quoted)).collect();
        assert_eq!(
            texts,
            vec![
                (vec![lit("nmap")], false),
                (vec![Piece::Var("_scan_flags".into())], false),
                (vec![lit("-p")], false),
                (vec![lit("1-1000")], true),
                (vec![lit("a b")], true),
                (vec![lit("x y")], false),
                (vec![Piece::Var("target".into())], false),
            ]
        );
        assert_eq!(split_words("a 'b"), Err(SplitError::UnbalancedQuote));
        assert_eq!(split_words("a \\"), Err(SplitError::TrailingBackslash));
        assert_eq!(split_words("''").unwrap(), vec![Word { pieces: vec![], quoted: true }]);
    }
}
