//! Canonical JSON `schemapin-v1`: the bytes every SchemaPin signature and hash is taken over.
//!
//! The reference is Python's `json.dumps(v, ensure_ascii=False, separators=(',', ':'),
//! sort_keys=True)`: keys sorted by code point at every depth, no whitespace, raw UTF-8, and
//! Python's `repr` spelling for floats (`1e+20`, `1.5e-07`, `1.0`). [`crate::verify`] and
//! [`crate::discovery`] hash these bytes; nothing else in the crate writes JSON for signing.

use std::fmt::Write as _;

use serde_json::{Number, Value};
use sha2::{Digest as _, Sha256};

/// The only canonicalization id this crate speaks; absent means the same.
pub const CANONICALIZATION_ID: &str = "schemapin-v1";

/// Returns the canonical `schemapin-v1` bytes of `value`.
///
/// Infallible: a `serde_json::Value` cannot hold NaN or infinities, and strict parsing
/// ([`crate::parse_json`]) has already refused what has no exact form.
pub fn canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value);
    out.into_bytes()
}

/// Returns SHA-256 of the canonical bytes of `value`: the ecosystem's "schema hash".
pub fn schema_hash(value: &Value) -> [u8; 32] {
    let mut out = String::with_capacity(256);
    write_value(&mut out, value);
    Sha256::digest(out.as_bytes()).into()
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted here rather than trusting the map's order: another crate in the build may
            // turn on serde_json's `preserve_order`, which would make `Map` iterate as inserted.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

fn write_number(out: &mut String, n: &Number) {
    if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(f) = n.as_f64() {
        write_python_float(out, f);
    }
}

/// Writes `f` as Python's `repr` does: the shortest round-trip digits, fixed notation when the
/// decimal exponent is in `-4..16`, otherwise `d.ddde±XX` with at least two exponent digits.
pub(crate) fn write_python_float(out: &mut String, f: f64) {
    // Rust's `{:e}` already yields the shortest round-trip digits; only the layout differs.
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    out.push_str(sign);
    if (-4..16).contains(&exponent) {
        let point = exponent + 1;
        let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
        if point <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', usize::try_from(-point).unwrap_or(0)));
            out.push_str(&digits);
        } else if point < len {
            let (whole, frac) = digits.split_at(usize::try_from(point).unwrap_or(0));
            out.push_str(whole);
            out.push('.');
            out.push_str(frac);
        } else {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', usize::try_from(point - len).unwrap_or(0)));
            out.push_str(".0");
        }
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let _ = write!(out, "e{}{:02}", if exponent < 0 { '-' } else { '+' }, exponent.unsigned_abs());
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, byte) in s.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..0x20 => "",
            _ => continue,
        };
        out.push_str(s.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn canon(value: &Value) -> String {
        String::from_utf8(canonical_bytes(value)).unwrap()
    }

    #[test]
    fn matches_the_spec_vectors() {
        let value = json!({"name":"calculate_sum","description":"Calculates the sum","parameters":{"b":"integer","a":"integer"}});
        assert_eq!(
            canon(&value),
            r#"{"description":"Calculates the sum","name":"calculate_sum","parameters":{"a":"integer","b":"integer"}}"#
        );
        assert_eq!(
            hex::encode(schema_hash(&value)),
            "19180f803e81700c41e85abb988df2565095344d2186ba93aabf400e7d37c6f8"
        );
    }

    #[test]
    fn spells_floats_like_python() {
        let cases = [
            (1.0, "1.0"),
            (100.5, "100.5"),
            (1e20, "1e+20"),
            (1.5e-7, "1.5e-07"),
            (-0.0, "-0.0"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (123456.789, "123456.789"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (0.1, "0.1"),
            (-2.5e-5, "-2.5e-05"),
        ];
        for (f, expected) in cases {
            let mut out = String::new();
            write_python_float(&mut out, f);
            assert_eq!(out, expected, "{f:e}");
        }
    }

    #[test]
    fn escapes_like_python_without_ascii_escaping() {
        let value = json!({"k": "é\u{2028}/\u{7f}\u{1}\"\\\n\u{8}\u{c}"});
        assert_eq!(canon(&value), "{\"k\":\"é\u{2028}/\u{7f}\\u0001\\\"\\\\\\n\\b\\f\"}");
    }

    #[test]
    fn sorts_keys_by_code_point() {
        let value = json!({"10": 1, "2": 2, "\u{1F600}": 3, "\u{FFFF}": 4, "B": 5, "a": 6});
        assert_eq!(canon(&value), "{\"10\":1,\"2\":2,\"B\":5,\"a\":6,\"\u{FFFF}\":4,\"\u{1F600}\":3}");
    }
}
