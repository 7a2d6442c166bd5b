//! Capabilities: `action:resource` strings, the coverage rule between a declared and a requested
//! capability, and the capabilities hash that delegation attestations sign.
//!
//! The seed's bare capabilities (`plan`, `delegate`) have no `:`; we accept them and let one cover
//! only an identical one. Python `agentpin` cannot parse them, so credentials that carry them
//! verify in symbi only.

use aws_lc_rs::digest;

use crate::key::hex;

/// Longest capability string accepted.
const MAX_CAPABILITY_LEN: usize = 256;

/// One capability, printable ASCII without spaces.
///
/// ASCII only because Python escapes non-ASCII when it hashes capability lists and serde_json
/// does not; a non-ASCII capability would hash differently on each side of a delegation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Capability(String);

/// Why a capability string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid capability `{text}`: use 1 to 256 printable ASCII characters without spaces")]
pub struct CapabilityError {
    text: String,
}

impl Capability {
    /// Parses a capability.
    ///
    /// Fails when the text is empty, longer than 256 bytes, or not printable ASCII without spaces.
    pub fn parse(text: &str) -> Result<Self, CapabilityError> {
        let ok = !text.is_empty() && text.len() <= MAX_CAPABILITY_LEN && text.bytes().all(|b| b.is_ascii_graphic());
        if ok { Ok(Self(text.to_owned())) } else { Err(CapabilityError { text: text.chars().take(64).collect() }) }
    }

    /// The capability text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The action before the first `:`, or the whole text for a bare capability.
    pub fn action(&self) -> &str {
        self.0.split_once(':').map_or(self.0.as_str(), |(action, _)| action)
    }

    /// The resource after the first `:`, if any.
    pub fn resource(&self) -> Option<&str> {
        self.0.split_once(':').map(|(_, resource)| resource)
    }

    /// Whether this (declared) capability covers `requested`: same action, and a resource that is
    /// `*`, equal, or a dot-separated parent (`read:codebase` covers `read:codebase.org/repo`).
    pub fn covers(&self, requested: &Capability) -> bool {
        match (self.0.split_once(':'), requested.0.split_once(':')) {
            (Some((action, resource)), Some((req_action, req_resource))) => {
                action == req_action
                    && (resource == "*"
                        || resource == req_resource
                        || req_resource.strip_prefix(resource).is_some_and(|rest| rest.starts_with('.')))
            }
            (None, None) => self.0 == requested.0,
            (Some(_), None) | (None, Some(_)) => false,
        }
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The first of `requested` that no capability in `declared` covers.
pub(crate) fn first_uncovered<'a>(declared: &[Capability], requested: &'a [Capability]) -> Option<&'a Capability> {
    requested.iter().find(|r| !declared.iter().any(|d| d.covers(r)))
}

/// Lowercase hex SHA-256 of the sorted capabilities as a compact JSON array.
pub fn capabilities_hash(capabilities: &[Capability]) -> String {
    let mut sorted: Vec<&str> = capabilities.iter().map(Capability::as_str).collect();
    sorted.sort_unstable();
    // INVARIANT (ascii-capabilities): capabilities are printable ASCII, so serde_json and Python's
    // `json.dumps` write the same bytes (only `"` and `\` are escaped, identically).
    let json = serde_json::to_string(&sorted).unwrap_or_default();
    hex(digest::digest(&digest::SHA256, json.as_bytes()).as_ref())
}

/// Parses a list of capability strings, reporting the first bad one.
pub(crate) fn parse_all(texts: &[String]) -> Result<Vec<Capability>, CapabilityError> {
    texts.iter().map(|t| Capability::parse(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(text: &str) -> Capability {
        Capability::parse(text).unwrap()
    }

    #[test]
    fn coverage() {
        let cases = [
            ("read:*", "read:anything", true),
            ("read:codebase", "read:codebase", true),
            ("read:codebase", "read:codebase.github.com/org", true),
            ("read:codebase", "read:codebasex", false),
            ("read:codebase", "write:codebase", false),
            ("plan", "plan", true),
            ("plan", "plan:x", false),
            ("read:*", "read", false),
        ];
        for (declared, requested, expected) in cases {
            assert_eq!(cap(declared).covers(&cap(requested)), expected, "{declared} covers {requested}");
        }
    }

    #[test]
    fn hash_vectors_from_the_protocol_reference() {
        assert_eq!(
            capabilities_hash(&[cap("read:data")]),
            "9600c3b780cb2327645b1286980378a95ca168e0662f42a630fcea2e12db7add"
        );
        assert_eq!(
            capabilities_hash(&[cap("write:report"), cap("read:data")]),
            "89241d744e1d2f3dccf458b1e05e6e7873e39b1c5a6f34e5d1af04769f9e1b1c"
        );
    }

    #[test]
    fn non_ascii_and_blank_are_refused() {
        for bad in ["", "read: x", "réad:x", "read:\u{0430}"] {
            assert!(Capability::parse(bad).is_err(), "{bad}");
        }
    }
}
