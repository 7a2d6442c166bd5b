//! Built-in output parsers: a tool's stdout becomes the envelope's `results`. Parsers see bytes a
//! tool printed, which may be hostile (a scanner echoing a target's banner), so they are total:
//! malformed input is an error value, deep XML is refused, nothing panics.

mod xml;

use serde_json::{Map, Value};

/// `[output].format` (or `parser = "builtin:<format>"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    Text,
    Json,
    Jsonl,
    Csv,
    Xml,
}

/// Why stdout did not parse as the declared format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format} output did not parse: {reason}")]
pub(crate) struct ParseError {
    format: &'static str,
    reason: String,
}

impl OutputFormat {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "text" => Self::Text,
            "json" => Self::Json,
            "jsonl" => Self::Jsonl,
            "csv" => Self::Csv,
            "xml" => Self::Xml,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
            Self::Xml => "xml",
        }
    }

    /// The file extension of the raw output kept as evidence.
    pub(crate) fn extension(self) -> &'static str {
        match self {
            Self::Text => "txt",
            other => other.name(),
        }
    }

    /// Parses `stdout` into the envelope's `results`; arrays are wrapped as
    /// `{"parsed_output": [...]}` so `results` is always an object.
    pub(crate) fn parse_output(self, stdout: &str) -> Result<Value, ParseError> {
        let err = |reason: String| ParseError { format: self.name(), reason };
        let value = match self {
            Self::Text => return Ok(raw_output(stdout)),
            Self::Json => serde_json::from_str(stdout).map_err(|e| err(e.to_string()))?,
            Self::Jsonl => Value::Array(
                stdout
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(serde_json::from_str)
                    .collect::<Result<_, _>>()
                    .map_err(|e| err(e.to_string()))?,
            ),
            Self::Csv => Value::Array(csv(stdout)),
            Self::Xml => xml::parse(stdout).map_err(err)?,
        };
        Ok(if value.is_object() { value } else { serde_json::json!({ "parsed_output": value }) })
    }
}

/// `{"raw_output": text}`: the text parser's result, and the fallback shape elsewhere.
pub(crate) fn raw_output(text: &str) -> Value {
    serde_json::json!({ "raw_output": text })
}

/// Header row, then one object per row. The delimiter is a tab if the header has one, else `|`
/// if it has a pipe and no comma, else a comma. Cells are trimmed and typed (boolean, integer,
/// float, string, in that order); missing cells are `null`.
fn csv(text: &str) -> Vec<Value> {
    let header_line = text.split('\n').next().unwrap_or_default();
    let delimiter = if header_line.contains('\t') {
        '\t'
    } else if header_line.contains('|') && !header_line.contains(',') {
        '|'
    } else {
        ','
    };
    let mut rows = csv_records(text, delimiter).into_iter();
    let Some(header) = rows.next() else { return Vec::new() };
    rows.filter(|r| !(r.len() == 1 && r.first().is_some_and(String::is_empty)))
        .map(|row| {
            let mut object = Map::new();
            for (i, key) in header.iter().enumerate() {
                object.insert(key.clone(), row.get(i).map_or(Value::Null, |cell| typed_cell(cell.trim())));
            }
            Value::Object(object)
        })
        .collect()
}

fn csv_records(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => in_quotes = false,
            ('"', false) if field.is_empty() => in_quotes = true,
            (c, false) if c == delimiter => record.push(std::mem::take(&mut field)),
            ('\r', false) if chars.peek() == Some(&'\n') => {}
            ('\n', false) => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

fn typed_cell(cell: &str) -> Value {
    if cell.eq_ignore_ascii_case("true") || cell.eq_ignore_ascii_case("false") {
        return Value::Bool(cell.eq_ignore_ascii_case("true"));
    }
    if let Ok(i) = cell.parse::<i64>() {
        return Value::from(i);
    }
    match cell.parse::<f64>() {
        Ok(f) if f.is_finite() => Value::from(f),
        _ => Value::String(cell.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_each_format() {
        assert_eq!(OutputFormat::Text.parse_output("hi").unwrap(), json!({"raw_output": "hi"}));
        assert_eq!(OutputFormat::Json.parse_output("{\"a\":1}").unwrap(), json!({"a": 1}));
        assert_eq!(OutputFormat::Json.parse_output("[1]").unwrap(), json!({"parsed_output": [1]}));
        assert_eq!(
            OutputFormat::Jsonl.parse_output("{\"a\":1}\n\n{\"a\":2}\n").unwrap(),
            json!({"parsed_output": [{"a": 1}, {"a": 2}]})
        );
        assert!(OutputFormat::Json.parse_output("{").is_err());
    }

    #[test]
    fn csv_detects_delimiters_and_types_cells() {
        let out = OutputFormat::Csv.parse_output("host,port,open,rtt\nA, 22 ,TRUE,0.5\n\"b,\"\"c\",x\n").unwrap();
        assert_eq!(
            out,
            json!({"parsed_output": [
                {"host": "A", "port": 22, "open": true, "rtt": 0.5},
                {"host": "b,\"c", "port": "x", "open": null, "rtt": null}
            ]})
        );
        let pipes = OutputFormat::Csv.parse_output("a|b\n1|two\n").unwrap();
        assert_eq!(pipes, json!({"parsed_output": [{"a": 1, "b": "two"}]}));
        let tabs = OutputFormat::Csv.parse_output("a\tb\n1\t2").unwrap();
        assert_eq!(tabs, json!({"parsed_output": [{"a": 1, "b": 2}]}));
    }
}
