//! The scope file `scope/scope.toml`: which networks and names a tool may be pointed at.
//! [`crate::Catalog`] loads it; argument validation consults it for `scope_target`,
//! `ip_address`, `cidr` and `url` with `scope_check = true`, before anything runs.
//!
//! ```toml
//! targets  = ["10.0.0.0/24", "192.0.2.7", "2001:db8::/32"]  # IP addresses and CIDR ranges
//! domains  = ["example.com", "*.example.com"]             # exact names; `*.` = any subdomain
//! excludes = ["10.0.0.1", "admin.example.com"]           # any of the above; always wins
//! ```

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Deserialize;

use crate::net::{Host, canonical_ip};

/// The parsed scope file. An empty scope (no file) admits nothing: scope-checked arguments fail
/// closed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    nets: Vec<IpNet>,
    domains: Vec<DomainPattern>,
    excluded_nets: Vec<IpNet>,
    excluded_domains: Vec<DomainPattern>,
}

/// Why a target is outside the scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeMiss {
    /// No `targets` entry contains the address or the whole range.
    #[error("no `targets` entry in scope/scope.toml contains it")]
    NotInTargets,
    /// No `domains` entry matches the name.
    #[error("no `domains` entry in scope/scope.toml matches it")]
    NotInDomains,
    /// An `excludes` entry matches or overlaps it.
    #[error("it is listed in `excludes` of scope/scope.toml")]
    Excluded,
}

/// A scope file entry that is neither an IP, a CIDR range nor a domain pattern.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{entry}` in `{key}` is not an IP address, CIDR range or domain (`name` or `*.name`)")]
pub(crate) struct ScopeEntryError {
    pub(crate) key: &'static str,
    pub(crate) entry: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScope {
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    excludes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DomainPattern {
    Exact(String),
    /// `*.suffix`: any name ending in `.suffix`, never the apex itself.
    Subdomains(String),
}

/// A target after parsing, as the scope judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    Host(&'a Host),
    Net(IpNet),
}

impl Scope {
    /// Builds a scope from the file's keys; see the module docs for the format.
    pub(crate) fn from_raw(raw: RawScope) -> Result<Self, ScopeEntryError> {
        let mut scope = Self::default();
        for entry in raw.targets {
            scope.nets.push(parse_net(&entry).ok_or(ScopeEntryError { key: "targets", entry })?);
        }
        for entry in raw.domains {
            scope.domains.push(DomainPattern::parse(&entry).ok_or(ScopeEntryError { key: "domains", entry })?);
        }
        for entry in raw.excludes {
            if let Some(net) = parse_net(&entry) {
                scope.excluded_nets.push(net);
            } else {
                let pattern = DomainPattern::parse(&entry).ok_or(ScopeEntryError { key: "excludes", entry })?;
                scope.excluded_domains.push(pattern);
            }
        }
        Ok(scope)
    }

    /// Admits `target` or says why not.
    ///
    /// Addresses are compared after mapping IPv4-in-IPv6 to IPv4; a range is admitted only when a
    /// single `targets` entry contains all of it and no exclusion overlaps it; names compare
    /// case-insensitively without a trailing dot.
    pub(crate) fn admit(&self, target: Target<'_>) -> Result<(), ScopeMiss> {
        let net = match target {
            Target::Host(Host::Name(name)) => return self.admit_name(name),
            Target::Host(Host::Ip(ip)) => IpNet::from(canonical_ip(*ip)),
            Target::Net(net) => canonical_net(net),
        };
        if self.excluded_nets.iter().any(|ex| ex.contains(&net) || net.contains(ex)) {
            return Err(ScopeMiss::Excluded);
        }
        if self.nets.iter().any(|allowed| allowed.contains(&net)) { Ok(()) } else { Err(ScopeMiss::NotInTargets) }
    }

    fn admit_name(&self, name: &str) -> Result<(), ScopeMiss> {
        let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        if self.excluded_domains.iter().any(|p| p.matches(&name)) {
            return Err(ScopeMiss::Excluded);
        }
        if self.domains.iter().any(|p| p.matches(&name)) { Ok(()) } else { Err(ScopeMiss::NotInDomains) }
    }
}

impl DomainPattern {
    fn parse(entry: &str) -> Option<Self> {
        let lower = entry.strip_suffix('.').unwrap_or(entry).to_ascii_lowercase();
        let (wild, name) = match lower.strip_prefix("*.") {
            Some(rest) => (true, rest.to_owned()),
            None => (false, lower),
        };
        let valid = !name.is_empty()
            && name.len() <= crate::net::MAX_HOST_LEN
            && name.split('.').all(|l| {
                !l.is_empty() && !l.starts_with('-') && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        valid.then_some(if wild { Self::Subdomains(name) } else { Self::Exact(name) })
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Self::Exact(exact) => name == exact,
            Self::Subdomains(suffix) => {
                name.len() > suffix.len() + 1 && name.ends_with(suffix.as_str()) && {
                    let cut = name.len() - suffix.len() - 1;
                    name.as_bytes().get(cut) == Some(&b'.')
                }
            }
        }
    }
}

/// Parses `addr` or `addr/prefix` into a network, IPv4-mapped ranges folded to IPv4.
pub(crate) fn parse_net(entry: &str) -> Option<IpNet> {
    let net = match entry.parse::<IpNet>() {
        Ok(net) => net,
        Err(_) => IpNet::from(entry.parse::<IpAddr>().ok()?),
    };
    Some(canonical_net(net))
}

fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => {
            match (v6.network().to_ipv4_mapped(), v6.prefix_len().checked_sub(96)) {
                (Some(v4), Some(prefix)) => ipnet::Ipv4Net::new(v4, prefix).map_or(net, IpNet::V4),
                _ => net,
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::parse_host;

    fn scope() -> Scope {
        Scope::from_raw(RawScope {
            targets: vec!["10.0.0.0/24".into(), "192.0.2.7".into(), "2001:db8::/32".into()],
            domains: vec!["example.com".into(), "*.example.com".into()],
            excludes: vec!["10.0.0.1".into(), "admin.example.com".into()],
        })
        .unwrap()
    }

    fn host(scope: &Scope, value: &str) -> Result<(), ScopeMiss> {
        scope.admit(Target::Host(&parse_host(value).unwrap()))
    }

    #[test]
    fn admits_addresses_and_names_in_scope() {
        let s = scope();
        for ok in [
            "10.0.0.2",
            "10.0.0.255",
            "192.0.2.7",
            "2001:db8::1",
            "example.com",
            "app.example.com",
            "deep.sub.example.com",
            "::ffff:10.0.0.9",
        ] {
            assert_eq!(host(&s, ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn refuses_exclusions_in_every_spelling() {
        let s = scope();
        for bad in ["10.0.0.1", "::ffff:10.0.0.1", "::ffff:a00:1", "ADMIN.example.com"] {
            assert_eq!(host(&s, bad), Err(ScopeMiss::Excluded), "{bad}");
        }
        assert_eq!(s.admit_name("admin.example.com."), Err(ScopeMiss::Excluded));
    }

    #[test]
    fn refuses_supersets_and_lookalike_names() {
        let s = scope();
        assert_eq!(s.admit(Target::Net("10.0.0.0/16".parse().unwrap())), Err(ScopeMiss::Excluded));
        assert_eq!(s.admit(Target::Net("10.0.0.128/25".parse().unwrap())), Ok(()));
        assert_eq!(s.admit(Target::Net("10.0.0.0/25".parse().unwrap())), Err(ScopeMiss::Excluded));
        assert_eq!(s.admit(Target::Net("0.0.0.0/0".parse().unwrap())), Err(ScopeMiss::Excluded));
        assert_eq!(s.admit(Target::Net("2001:db8::/31".parse().unwrap())), Err(ScopeMiss::NotInTargets));
        assert_eq!(host(&s, "evil-example.com"), Err(ScopeMiss::NotInDomains));
        assert_eq!(host(&s, "example.com.evil.com"), Err(ScopeMiss::NotInDomains));
        assert_eq!(host(&s, "10.0.1.1"), Err(ScopeMiss::NotInTargets));
    }

    #[test]
    fn empty_scope_admits_nothing() {
        let s = Scope::default();
        assert!(host(&s, "example.com").is_err());
        assert!(host(&s, "10.0.0.2").is_err());
    }

    #[test]
    fn refuses_malformed_entries() {
        let raw = RawScope { targets: vec!["10.0.0.0/33".into()], domains: vec![], excludes: vec![] };
        assert!(Scope::from_raw(raw).is_err());
        let raw = RawScope { targets: vec![], domains: vec!["bad domain".into()], excludes: vec![] };
        assert!(Scope::from_raw(raw).is_err());
    }
}
