//! A strict JSON reader for untrusted SchemaPin documents.
//!
//! serde_json silently keeps the last of two duplicate keys and turns integers past 64 bits into
//! floats; either lets two parties see different documents behind one signature. This reader
//! refuses both, bounds size and nesting, and hands the rest of the crate a `serde_json::Value`.

use serde_json::{Map, Number, Value};
use thiserror::Error;

/// Largest document [`parse`] accepts by default: discovery documents and tool schemas are a few
/// kilobytes, so 1 MiB leaves room while bounding memory per fetch.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Deepest nesting [`parse`] accepts; real schemas stay under ten levels.
pub const MAX_DEPTH: usize = 64;

/// Why a document is not acceptable JSON.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The document is larger than the reader accepts.
    #[error("document is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The limit it exceeded.
        limit: usize,
    },
    /// Arrays and objects nest deeper than the reader accepts.
    #[error("document nests deeper than {limit} levels at byte {offset}")]
    TooDeep {
        /// The nesting limit.
        limit: usize,
        /// Byte offset where the limit was crossed.
        offset: usize,
    },
    /// The bytes are not UTF-8.
    #[error("document is not UTF-8 at byte {offset}")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The text is not JSON.
    #[error("invalid JSON at byte {offset}: expected {expected}")]
    Syntax {
        /// Byte offset of the problem.
        offset: usize,
        /// What the reader expected there.
        expected: &'static str,
    },
    /// An object names the same key twice.
    #[error("duplicate key `{key}` at byte {offset}")]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// Byte offset of the second occurrence.
        offset: usize,
    },
    /// A string escape encodes a lone UTF-16 surrogate, which has no UTF-8 form.
    #[error("string escape at byte {offset} is a lone surrogate")]
    LoneSurrogate {
        /// Byte offset of the escape.
        offset: usize,
    },
    /// A number cannot be represented exactly (an integer past 64 bits) or is infinite.
    #[error("number at byte {offset} is out of range")]
    NumberOutOfRange {
        /// Byte offset of the number.
        offset: usize,
    },
}

/// Parses `bytes` as one JSON value with the default limits.
///
/// # Errors
///
/// Any [`JsonError`]: oversize, too deep, not UTF-8, bad syntax, duplicate keys, lone surrogates,
/// numbers out of range, or anything but whitespace after the value.
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    parse_with_limit(bytes, MAX_DOCUMENT_BYTES)
}

/// Parses `bytes` as one JSON value, refusing inputs larger than `limit` bytes.
///
/// # Errors
///
/// As [`parse`].
pub fn parse_with_limit(bytes: &[u8], limit: usize) -> Result<Value, JsonError> {
    if bytes.len() > limit {
        return Err(JsonError::TooLarge { size: bytes.len(), limit });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| JsonError::NotUtf8 { offset: e.valid_up_to() })?;
    let mut reader = Reader { text, pos: 0, depth: 0 };
    reader.skip_whitespace();
    let value = reader.value()?;
    reader.skip_whitespace();
    if reader.pos != text.len() {
        return Err(reader.syntax("end of document"));
    }
    Ok(value)
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl Reader<'_> {
    fn value(&mut self) -> Result<Value, JsonError> {
        match self.peek() {
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.syntax("a value")),
        }
    }

    fn nested(&mut self, inner: fn(&mut Self) -> Result<Value, JsonError>) -> Result<Value, JsonError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(JsonError::TooDeep { limit: MAX_DEPTH, offset: self.pos });
        }
        let value = inner(self)?;
        self.depth -= 1;
        Ok(value)
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut map = Map::new();
        self.skip_whitespace();
        if self.eat(b'}') {
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_whitespace();
            let key_offset = self.pos;
            if self.peek() != Some(b'"') {
                return Err(self.syntax("a string key"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if !self.eat(b':') {
                return Err(self.syntax("`:`"));
            }
            self.skip_whitespace();
            let value = self.value()?;
            if map.contains_key(&key) {
                return Err(JsonError::DuplicateKey { key, offset: key_offset });
            }
            map.insert(key, value);
            self.skip_whitespace();
            if self.eat(b'}') {
                return Ok(Value::Object(map));
            }
            if !self.eat(b',') {
                return Err(self.syntax("`,` or `}`"));
            }
        }
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value()?);
            self.skip_whitespace();
            if self.eat(b']') {
                return Ok(Value::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.syntax("`,` or `]`"));
            }
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = self.rest();
            let plain = rest.bytes().position(|b| b == b'"' || b == b'\\' || b < 0x20).unwrap_or(rest.len());
            out.push_str(rest.get(..plain).unwrap_or_default());
            self.pos += plain;
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => out.push(self.escape()?),
                Some(_) => return Err(self.syntax("an escaped control character")),
                None => return Err(self.syntax("closing `\"`")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, JsonError> {
        let start = self.pos;
        self.pos += 1;
        let Some(kind) = self.peek() else {
            return Err(self.syntax("an escape"));
        };
        self.pos += 1;
        let simple = match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => return self.unicode_escape(start),
            _ => return Err(JsonError::Syntax { offset: start, expected: "a valid escape" }),
        };
        Ok(simple)
    }

    fn unicode_escape(&mut self, start: usize) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.rest().starts_with("\\u") {
                return Err(JsonError::LoneSurrogate { offset: start });
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(JsonError::LoneSurrogate { offset: start });
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or(JsonError::LoneSurrogate { offset: start })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self.rest().get(..4).filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
        let value =
            digits.and_then(|d| u32::from_str_radix(d, 16).ok()).ok_or_else(|| self.syntax("four hex digits"))?;
        self.pos += 4;
        Ok(value)
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.syntax("a digit")),
        }
        let mut integer = true;
        if self.eat(b'.') {
            integer = false;
            self.require_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.require_digits()?;
        }
        let text = self.text.get(start..self.pos).unwrap_or_default();
        let out_of_range = JsonError::NumberOutOfRange { offset: start };
        let number = if integer {
            // Integers stay integers, as in Python, so `1` and `1.0` canonicalize differently.
            match text.parse::<u64>() {
                Ok(n) => Number::from(n),
                Err(_) => Number::from(text.parse::<i64>().map_err(|_| out_of_range.clone())?),
            }
        } else {
            let float = text.parse::<f64>().map_err(|_| out_of_range.clone())?;
            Number::from_f64(float).ok_or(out_of_range)?
        };
        Ok(Value::Number(number))
    }

    fn require_digits(&mut self) -> Result<(), JsonError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.syntax("a digit"));
        }
        self.digits();
        Ok(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &'static str, value: Value) -> Result<Value, JsonError> {
        if !self.rest().starts_with(word) {
            return Err(self.syntax(word));
        }
        self.pos += word.len();
        Ok(value)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn rest(&self) -> &str {
        self.text.get(self.pos..).unwrap_or_default()
    }

    fn syntax(&self, expected: &'static str) -> JsonError {
        JsonError::Syntax { offset: self.pos, expected }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ordinary_documents() {
        let value = parse(br#" {"a": [1, -2, 1.5, true, null, "x\u00e9\ud83d\ude00"]} "#).unwrap();
        assert_eq!(value, serde_json::json!({"a": [1, -2, 1.5, true, null, "xé😀"]}));
    }

    #[test]
    fn refuses_duplicate_keys() {
        let err = parse(br#"{"name":"a","name":"b"}"#).unwrap_err();
        assert_eq!(err, JsonError::DuplicateKey { key: "name".into(), offset: 12 });
    }

    #[test]
    fn refuses_what_would_change_meaning() {
        assert!(matches!(parse(b"123456789012345678901234"), Err(JsonError::NumberOutOfRange { .. })));
        assert!(matches!(parse(b"1e400"), Err(JsonError::NumberOutOfRange { .. })));
        assert!(matches!(parse(br#""\ud800""#), Err(JsonError::LoneSurrogate { .. })));
        assert!(matches!(parse(b"\"a\x01\""), Err(JsonError::Syntax { .. })));
        assert!(matches!(parse(b"01"), Err(JsonError::Syntax { .. })));
        assert!(matches!(parse(b"{} {}"), Err(JsonError::Syntax { .. })));
        assert!(matches!(parse(b"\xef\xbb\xbf{}"), Err(JsonError::Syntax { .. })));
        assert!(matches!(parse(b"NaN"), Err(JsonError::Syntax { .. })));
    }

    #[test]
    fn bounds_size_and_depth() {
        assert_eq!(parse_with_limit(b"[1]", 2), Err(JsonError::TooLarge { size: 3, limit: 2 }));
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(matches!(parse(deep.as_bytes()), Err(JsonError::TooDeep { .. })));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(ok.as_bytes()).is_ok());
    }

    #[test]
    fn keeps_integers_and_floats_apart() {
        assert!(parse(b"1").unwrap().is_u64());
        assert!(parse(b"-1").unwrap().is_i64());
        assert!(parse(b"1.0").unwrap().is_f64());
        assert!(parse(b"1e2").unwrap().is_f64());
    }
}
