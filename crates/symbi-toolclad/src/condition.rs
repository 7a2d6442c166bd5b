//! The closed grammar of `[command.conditionals.*].when`: `name == lit` / `name != lit` terms
//! joined by all-`and` or all-`or`. Parsed once at load time; evaluation is a lookup and a string
//! compare, never an `eval`.

/// A parsed `when` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Condition {
    any: bool,
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    var: String,
    equal: bool,
    literal: String,
}

impl Condition {
    /// Parses `text`, or says what is wrong with it.
    pub(crate) fn parse(text: &str) -> Result<Self, &'static str> {
        let mut rest = text.trim_start();
        let mut terms = Vec::new();
        let mut joiner: Option<&str> = None;
        loop {
            let (term, after) = parse_term(rest)?;
            terms.push(term);
            rest = after.trim_start();
            if rest.is_empty() {
                break;
            }
            let (word, after) = rest.split_once(char::is_whitespace).ok_or("expected `and` or `or` between terms")?;
            if word != "and" && word != "or" {
                return Err("expected `and` or `or` between terms");
            }
            if joiner.is_some_and(|j| j != word) {
                return Err("`and` and `or` cannot be mixed in one condition");
            }
            joiner = Some(word);
            rest = after.trim_start();
        }
        Ok(Self { any: joiner == Some("or"), terms })
    }

    /// The variable names the condition reads.
    pub(crate) fn vars(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().map(|t| t.var.as_str())
    }

    /// Evaluates against `lookup`, where a missing variable reads as the empty string.
    pub(crate) fn holds<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> bool {
        let term = |t: &Term| (lookup(&t.var).unwrap_or_default() == t.literal) == t.equal;
        if self.any { self.terms.iter().any(term) } else { self.terms.iter().all(term) }
    }
}

fn parse_term(text: &str) -> Result<(Term, &str), &'static str> {
    let end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
    let (var, rest) = text.split_at(end);
    if var.is_empty() {
        return Err("expected a variable name (`name == 'value'` or `name != 'value'`)");
    }
    let rest = rest.trim_start();
    let (equal, rest) = match (rest.strip_prefix("=="), rest.strip_prefix("!=")) {
        (Some(r), _) => (true, r),
        (_, Some(r)) => (false, r),
        _ => return Err("expected `==` or `!=` after the variable name"),
    };
    let rest = rest.trim_start();
    let (literal, rest) = match rest.chars().next() {
        Some(q @ ('\'' | '"')) => {
            let body = rest.get(1..).unwrap_or_default();
            let close = body.find(q).ok_or("unterminated quoted value")?;
            (body.get(..close).unwrap_or_default(), body.get(close + 1..).unwrap_or_default())
        }
        Some(_) => rest.split_at(rest.find(char::is_whitespace).unwrap_or(rest.len())),
        None => return Err("expected a value after the comparison"),
    };
    Ok((Term { var: var.to_owned(), equal, literal: literal.to_owned() }, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(when: &str, vars: &[(&'static str, &'static str)]) -> bool {
        let c = Condition::parse(when).unwrap();
        c.holds(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| *v))
    }

    #[test]
    fn evaluates_comparisons_and_joins() {
        assert!(eval("port != ''", &[("port", "80")]));
        assert!(!eval("port != ''", &[]));
        assert!(eval("rate == 0", &[("rate", "0")]));
        assert!(eval("a != '' and b == \"x y\"", &[("a", "1"), ("b", "x y")]));
        assert!(eval("a == 1 or b == 2", &[("b", "2")]));
        assert!(!eval("a == 1 or b == 2", &[]));
    }

    #[test]
    fn refuses_anything_outside_the_grammar() {
        for bad in
            ["port", "a == 1 and b == 2 or c == 3", "== 1", "a = 1", "a == 'x", "a == 1 xor b == 2", "__import__('os')"]
        {
            assert!(Condition::parse(bad).is_err(), "{bad}");
        }
    }
}
