//! Tool names and domains: the two halves of every pin key.
//!
//! Both are plain ASCII by construction. A tool called `get_wеather` with a Cyrillic `е`, or a
//! domain spelled with look-alike letters, would otherwise get a pin of its own and pass as the
//! real thing to a human reading the list; internationalized domains must arrive as punycode.

use std::fmt;

use thiserror::Error;

/// Longest tool name accepted.
const MAX_TOOL_NAME: usize = 128;

/// Why a tool name or domain was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name contains non-ASCII characters, which may be look-alikes of ASCII ones.
    #[error("`{name}` contains non-ASCII character `{character}` (look-alike letters are refused)")]
    NonAscii {
        /// The name as given.
        name: String,
        /// The first non-ASCII character.
        character: char,
    },
    /// The tool name is empty, too long, or has a character outside `A-Z a-z 0-9 _ - .`.
    #[error("`{name}` is not a valid tool name (1 to 128 of `A-Z a-z 0-9 _ - .`)")]
    InvalidToolName {
        /// The name as given.
        name: String,
    },
    /// The domain is not a DNS host name, optionally with a port.
    #[error("`{name}` is not a valid domain")]
    InvalidDomain {
        /// The domain as given.
        name: String,
    },
}

/// A tool's name as it appears in a schema's `name` and in pins.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ToolName(String);

impl ToolName {
    /// Checks a tool name.
    ///
    /// # Errors
    ///
    /// [`NameError::NonAscii`] or [`NameError::InvalidToolName`].
    pub fn new(name: &str) -> Result<Self, NameError> {
        refuse_non_ascii(name)?;
        let valid = !name.is_empty()
            && name.len() <= MAX_TOOL_NAME
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !valid {
            return Err(NameError::InvalidToolName { name: name.to_owned() });
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ToolName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A DNS host name (lower-cased, one trailing dot removed), optionally with `:port`. Labels
/// may hold `_`, as service names such as `_schemapin.example.com` and the bundle-authority pin
/// namespace `_bundle_authority` do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Domain(String);

impl Domain {
    /// Checks and normalizes a domain.
    ///
    /// # Errors
    ///
    /// [`NameError::NonAscii`] or [`NameError::InvalidDomain`].
    pub fn new(name: &str) -> Result<Self, NameError> {
        refuse_non_ascii(name)?;
        let invalid = || NameError::InvalidDomain { name: name.to_owned() };
        let lower = name.to_ascii_lowercase();
        let (host, port) = match lower.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (lower.as_str(), None),
        };
        if port.is_some_and(|p| p.parse::<u16>().map_or(true, |p| p == 0)) {
            return Err(invalid());
        }
        let host = host.strip_suffix('.').unwrap_or(host);
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
            return Err(invalid());
        }
        Ok(Self(match port {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }))
    }

    /// The normalized domain.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host part, without any port.
    pub fn host(&self) -> &str {
        self.0.rsplit_once(':').map_or(self.0.as_str(), |(host, _)| host)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse_non_ascii(name: &str) -> Result<(), NameError> {
    match name.chars().find(|c| !c.is_ascii()) {
        Some(character) => Err(NameError::NonAscii { name: name.to_owned(), character }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_look_alikes() {
        // The `е` is U+0435 CYRILLIC SMALL LETTER IE.
        assert_eq!(
            ToolName::new("get_w\u{435}ather"),
            Err(NameError::NonAscii { name: "get_w\u{435}ather".into(), character: '\u{435}' })
        );
        assert!(matches!(Domain::new("\u{435}xample.com"), Err(NameError::NonAscii { .. })));
        assert!(Domain::new("xn--xample-2of.com").is_ok());
    }

    #[test]
    fn normalizes_domains() {
        assert_eq!(Domain::new("Example.COM.").unwrap().as_str(), "example.com");
        assert_eq!(Domain::new("localhost:8443").unwrap().host(), "localhost");
        for bad in ["", "a..b", "-a.com", "a.com:0", "a.com:x", "a b", "a/b"] {
            assert!(Domain::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn checks_tool_names() {
        assert!(ToolName::new("calculate_sum").is_ok());
        assert!(ToolName::new("").is_err());
        assert!(ToolName::new("a b").is_err());
        assert!(ToolName::new(&"a".repeat(129)).is_err());
    }
}
