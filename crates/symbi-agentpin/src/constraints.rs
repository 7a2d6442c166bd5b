//! Constraints: the limits a credential or an agent declaration puts on an agent, and the one rule
//! verification applies to them — a credential may narrow its agent's declared defaults, never
//! widen them.
//!
//! Unknown constraint members are refused rather than ignored: a limit we cannot read is a limit
//! the runtime could not enforce, so accepting it would fail open.

use serde::{Deserialize, Serialize};

/// The limits carried by a credential (or declared as an agent's defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Constraints {
    /// Domains the agent may act on; `*.x.com` matches proper subdomains of `x.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_domains: Option<Vec<String>>,
    /// Domains the agent must not act on (enforced by the runtime, not by verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_domains: Option<Vec<String>>,
    /// How often the agent may act.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// The most sensitive data the agent may handle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_classification_max: Option<DataClassification>,
    /// Source networks the agent may act from, in CIDR form (enforced by the runtime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_allowlist: Option<Vec<String>>,
    /// Hours of the day the agent may act (enforced by the runtime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_hours: Option<ValidHours>,
}

/// Data sensitivity levels, least sensitive first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClassification {
    /// Public data.
    Public,
    /// Internal data.
    Internal,
    /// Confidential data.
    Confidential,
    /// Restricted data.
    Restricted,
}

/// A rate such as `100/hour`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RateLimit {
    count: u64,
    unit: RateUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RateUnit {
    Second,
    Minute,
    Hour,
}

impl RateLimit {
    /// Parses `<count>/second|minute|hour`.
    ///
    /// Fails on any other form.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (count, unit) = text.split_once('/').ok_or_else(|| format!("rate limit `{text}` is not `<n>/<unit>`"))?;
        let count = count.parse().map_err(|_| format!("rate limit `{text}` has no whole count"))?;
        let unit = match unit {
            "second" => RateUnit::Second,
            "minute" => RateUnit::Minute,
            "hour" => RateUnit::Hour,
            _ => return Err(format!("rate limit `{text}` unit must be second, minute or hour")),
        };
        Ok(Self { count, unit })
    }

    /// The rate normalized to events per hour (saturating).
    pub fn per_hour(self) -> u64 {
        let factor = match self.unit {
            RateUnit::Second => 3600,
            RateUnit::Minute => 60,
            RateUnit::Hour => 1,
        };
        self.count.saturating_mul(factor)
    }
}

impl TryFrom<String> for RateLimit {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<RateLimit> for String {
    fn from(rate: RateLimit) -> Self {
        let unit = match rate.unit {
            RateUnit::Second => "second",
            RateUnit::Minute => "minute",
            RateUnit::Hour => "hour",
        };
        format!("{}/{unit}", rate.count)
    }
}

/// A daily window, passed through for the runtime to enforce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ValidHours {
    /// Start time, `HH:MM`.
    pub start: String,
    /// End time, `HH:MM`.
    pub end: String,
    /// IANA time zone name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

impl Constraints {
    /// The first constraint in which `self` (a credential's) is looser than `declared` (its
    /// agent's defaults), or `None` when it narrows or equals them.
    ///
    /// Compared: data classification, rate (per hour) and allowed domains; the runtime-enforced
    /// members are carried, not compared, as in the ecosystem.
    pub fn first_widening(&self, declared: &Constraints) -> Option<&'static str> {
        if let (Some(mine), Some(limit)) = (self.data_classification_max, declared.data_classification_max)
            && mine > limit
        {
            return Some("data_classification_max");
        }
        if let (Some(mine), Some(limit)) = (self.rate_limit, declared.rate_limit)
            && mine.per_hour() > limit.per_hour()
        {
            return Some("rate_limit");
        }
        if let (Some(mine), Some(limit)) = (&self.allowed_domains, &declared.allowed_domains)
            && !limit.is_empty()
            && !mine.iter().all(|d| limit.iter().any(|p| domain_matches(p, d)))
        {
            return Some("allowed_domains");
        }
        None
    }
}

/// `pattern` equals `domain`, or is `*.suffix` and `domain` is a proper subdomain of `suffix`.
fn domain_matches(pattern: &str, domain: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => domain.strip_suffix(suffix).is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        None => pattern == domain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constraints(json: &str) -> Constraints {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn narrowing_passes_widening_names_the_constraint() {
        let declared = constraints(
            r#"{"data_classification_max":"confidential","rate_limit":"100/hour","allowed_domains":["*.example.com"]}"#,
        );
        let cases = [
            (r#"{"data_classification_max":"internal"}"#, None),
            (r#"{"data_classification_max":"restricted"}"#, Some("data_classification_max")),
            (r#"{"rate_limit":"1/minute"}"#, None),
            (r#"{"rate_limit":"1/second"}"#, Some("rate_limit")),
            (r#"{"allowed_domains":["api.example.com"]}"#, None),
            (r#"{"allowed_domains":["example.com"]}"#, Some("allowed_domains")),
            (r#"{"denied_domains":["x.com"],"ip_allowlist":["10.0.0.0/8"]}"#, None),
        ];
        for (credential, expected) in cases {
            assert_eq!(constraints(credential).first_widening(&declared), expected, "{credential}");
        }
    }

    #[test]
    fn unknown_members_and_bad_rates_are_refused() {
        assert!(serde_json::from_str::<Constraints>(r#"{"max_spend":"10"}"#).is_err());
        assert!(serde_json::from_str::<Constraints>(r#"{"rate_limit":"fast"}"#).is_err());
        assert!(serde_json::from_str::<Constraints>(r#"{"data_classification_max":"secret"}"#).is_err());
        let c = constraints(r#"{"rate_limit":"5/minute"}"#);
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"rate_limit":"5/minute"}"#);
    }
}
