//! Strict JSON decoding for every untrusted AgentPin document: a size cap, a refusal of duplicate
//! object keys at any depth, then the typed serde decode.
//!
//! serde_json keeps the last of two equal keys, so `{"sub":"a","sub":"b"}` would mean different
//! things to us and to a JavaScript or Python peer that reads it differently; refusing duplicates
//! outright removes that parser-differential attack.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};

/// Why an untrusted JSON document was refused before any field was read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The document is larger than the cap for its kind.
    #[error("document is {len} bytes, more than the limit of {max}")]
    Oversized {
        /// The document's length in bytes.
        len: usize,
        /// The limit that applied.
        max: usize,
    },
    /// An object has the same key twice.
    #[error("duplicate JSON key `{key}`")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
    /// The bytes are not JSON of the expected shape.
    #[error("invalid JSON: {reason}")]
    Invalid {
        /// serde's description of the problem, with line and column.
        reason: String,
    },
    /// The JSON has the right shape but a field breaks a protocol rule.
    #[error("invalid `{field}`: {reason}")]
    Field {
        /// The offending field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl DocumentError {
    pub(crate) fn field(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Field { field, reason: reason.into() }
    }
}

/// Decodes `bytes` as `T` after the size and duplicate-key checks.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], max: usize) -> Result<T, DocumentError> {
    if bytes.len() > max {
        return Err(DocumentError::Oversized { len: bytes.len(), max });
    }
    refuse_duplicate_keys(bytes)?;
    serde_json::from_slice(bytes).map_err(|e| DocumentError::Invalid { reason: e.to_string() })
}

/// Walks the whole document once and fails on the first object with a repeated key.
fn refuse_duplicate_keys(bytes: &[u8]) -> Result<(), DocumentError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let outcome = de.deserialize_any(UniqueKeys).and_then(|()| de.end());
    match outcome {
        Ok(()) => Ok(()),
        Err(e) => match e.to_string().strip_prefix(DUPLICATE_MARKER) {
            Some(rest) => {
                // serde_json appends " at line L column C"; the key is everything before it.
                let key = rest.rsplit_once(" at line ").map_or(rest, |(key, _)| key);
                Err(DocumentError::DuplicateKey { key: key.to_owned() })
            }
            None => Err(DocumentError::Invalid { reason: e.to_string() }),
        },
    }
}

const DUPLICATE_MARKER: &str = "agentpin-duplicate-key:";

/// A visitor that accepts any JSON value and checks that each object's keys are distinct.
struct UniqueKeys;

impl<'de> Visitor<'de> for UniqueKeys {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(UniqueKeysSeed)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format_args!("{DUPLICATE_MARKER}{key}")));
            }
            map.next_value_seed(UniqueKeysSeed)?;
        }
        Ok(())
    }
}

struct UniqueKeysSeed;

impl<'de> de::DeserializeSeed<'de> for UniqueKeysSeed {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(UniqueKeys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str) -> Result<serde_json::Value, DocumentError> {
        decode(input.as_bytes(), 1024)
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        for input in [r#"{"a":1,"a":2}"#, r#"{"x":[{"b":1,"b":1}]}"#, r#"{"s\u0075b":1,"sub":2}"#] {
            assert!(matches!(check(input), Err(DocumentError::DuplicateKey { .. })), "{input}");
        }
        match check(r#"{"o":{"sub":1,"sub":2}}"#) {
            Err(DocumentError::DuplicateKey { key }) => assert_eq!(key, "sub"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn distinct_keys_and_trailing_garbage() {
        assert!(check(r#"{"a":{"a":1},"b":[1,"x",null,true,1.5]}"#).is_ok());
        assert!(matches!(check(r#"{"a":1} x"#), Err(DocumentError::Invalid { .. })));
    }

    #[test]
    fn oversized_is_refused_before_parsing() {
        let big = format!("\"{}\"", "a".repeat(2000));
        assert!(matches!(check(&big), Err(DocumentError::Oversized { len: 2002, max: 1024 })));
    }
}
