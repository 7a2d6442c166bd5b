//! Time as AgentPin uses it: whole Unix seconds in credentials, RFC 3339 text in documents.
//!
//! Python writes `2026-02-14T12:00:00.123456+00:00`, Rust writes `…Z`; both parse here, and we
//! write whole seconds with `Z`.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A point in time in whole seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(i64);

impl UnixTime {
    /// The current system time.
    pub fn now() -> Self {
        Self(OffsetDateTime::now_utc().unix_timestamp())
    }

    /// The time `secs` seconds after the epoch.
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// This time moved by `delta` seconds, saturating at the ends of `i64`.
    pub(crate) const fn offset(self, delta: i64) -> Self {
        Self(self.0.saturating_add(delta))
    }

    /// Parses RFC 3339 text with any offset and optional fractional seconds (dropped).
    pub(crate) fn parse_rfc3339(text: &str) -> Result<Self, time::error::Parse> {
        Ok(Self(OffsetDateTime::parse(text, &Rfc3339)?.unix_timestamp()))
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`. A time outside the years 0–9999 (reachable only through a forged
    /// clock or claim) prints as the epoch, `1970-01-01T00:00:00Z`, rather than failing.
    pub fn to_rfc3339(self) -> String {
        OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|t| t.format(&Rfc3339).ok())
            .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_ecosystem_spellings() {
        let python = UnixTime::parse_rfc3339("2026-02-14T12:00:00.123456+00:00").unwrap();
        let rust = UnixTime::parse_rfc3339("2026-02-14T12:00:00Z").unwrap();
        assert_eq!(python, rust);
        assert_eq!(UnixTime::parse_rfc3339("2026-02-14T13:00:00+01:00").unwrap(), rust);
        assert_eq!(rust.to_rfc3339(), "2026-02-14T12:00:00Z");
        assert!(UnixTime::parse_rfc3339("yesterday").is_err());
    }
}
