//! Host names, IP literals and URLs as argument values see them. Everything here is lexical: the
//! engine never resolves names (the runtime's transport does, behind [`crate::SsrfGuard`]), so the
//! rules refuse spellings that resolvers read as something other than what a reviewer reads.

use std::net::{IpAddr, Ipv4Addr};

use crate::argtype::ArgProblem;

/// RFC 1035 §2.3.4: a fully qualified name is at most 253 octets.
pub(crate) const MAX_HOST_LEN: usize = 253;

/// A host as written in a target or URL, already refused if its spelling is ambiguous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Host {
    /// A canonical IP literal.
    Ip(IpAddr),
    /// A lower-cased DNS name without a trailing dot.
    Name(String),
}

/// Parses a host name or canonical IP literal.
///
/// Refuses (strictest of the published rules, plus numeric spellings): labels outside
/// `[A-Za-z0-9-]`, labels that are empty, longer than 63 or start or end with `-`, names over
/// 253 characters, a trailing dot, punycode labels, and names whose last label is numeric or whose
/// labels are all numeric or hex (`127.1`, `2130706433`, `0x7f.1`, `0177.0.0.1`): C resolvers
/// read those as IPv4 addresses, which would let a target dodge the scope file.
pub(crate) fn parse_host(value: &str) -> Result<Host, ArgProblem> {
    if let Ok(ip) = value.parse::<IpAddr>() {
        return Ok(Host::Ip(ip));
    }
    if !value.is_ascii() {
        return Err(ArgProblem::NonAscii);
    }
    if value.len() > MAX_HOST_LEN {
        return Err(ArgProblem::TooLong { max: MAX_HOST_LEN });
    }
    if value.ends_with('.') && value.len() > 1 {
        return Err(ArgProblem::TrailingDot);
    }
    let labels: Vec<&str> = value.split('.').collect();
    if labels.iter().any(|l| l.len() >= 4 && l.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--"))) {
        return Err(ArgProblem::Punycode);
    }
    if !labels.iter().all(|l| is_label(l)) {
        return Err(ArgProblem::InvalidTarget);
    }
    let last_numeric = labels.last().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if last_numeric || labels.iter().all(|l| is_numeric_label(l)) {
        return Err(ArgProblem::NumericHost);
    }
    Ok(Host::Name(value.to_ascii_lowercase()))
}

fn is_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Decimal, octal (leading zero) or `0x` hex: what `inet_aton` accepts as an address part.
fn is_numeric_label(label: &str) -> bool {
    let hex = label.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x"));
    if hex {
        label.get(2..).is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_hexdigit()))
    } else {
        label.bytes().all(|b| b.is_ascii_digit())
    }
}

/// Maps an IPv4-mapped IPv6 address to its IPv4 address, so `::ffff:10.0.0.1` is judged as
/// `10.0.0.1` by the scope and the SSRF guard.
pub(crate) fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        IpAddr::V4(v4) => IpAddr::V4(v4),
    }
}

/// The parts of a URL argument that the scope, the SSRF guard and the scheme list look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    /// Lower-cased scheme.
    pub(crate) scheme: String,
    /// The host, parsed by [`parse_host`].
    pub(crate) host: Host,
}

/// Parses `scheme://host[:port][/path][?query]`.
///
/// Refuses non-ASCII text, whitespace, user info (`user@host`, a classic way to make a URL read
/// as one host and connect to another), IPv6 literals, ports outside 1–65535 and hosts
/// [`parse_host`] refuses. The caller has already refused shell metacharacters.
pub(crate) fn parse_url(value: &str) -> Result<Url, ArgProblem> {
    if !value.is_ascii() {
        return Err(ArgProblem::NonAscii);
    }
    if value.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(ArgProblem::InvalidUrl { why: "whitespace is not allowed" });
    }
    let (scheme, rest) = value.split_once("://").ok_or(ArgProblem::InvalidUrl { why: "expected `scheme://host`" })?;
    let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err(ArgProblem::InvalidUrl { why: "invalid scheme" });
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(ArgProblem::InvalidUrl { why: "user info (`user@host`) is not allowed" });
    }
    let host_text = match authority.rsplit_once(':') {
        Some((host, port)) => {
            let port_ok = !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && port.parse::<u16>().is_ok_and(|p| p > 0);
            if !port_ok {
                return Err(ArgProblem::InvalidUrl { why: "invalid port" });
            }
            host
        }
        None => authority,
    };
    if host_text.is_empty() {
        return Err(ArgProblem::InvalidUrl { why: "missing host" });
    }
    let host = match parse_host(host_text)? {
        Host::Ip(IpAddr::V6(_)) => return Err(ArgProblem::InvalidUrl { why: "IPv6 hosts are not supported" }),
        host => host,
    };
    Ok(Url { scheme: scheme.to_ascii_lowercase(), host })
}

/// Whether an address is one a tool must not reach without an explicit allowance: loopback,
/// private, link-local, shared (CGNAT), unspecified, broadcast, multicast, documentation, or an
/// IPv6 unique-local or site-local address.
pub(crate) fn is_internal(ip: IpAddr) -> bool {
    match canonical_ip(ip) {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => {
            let first = v6.segments().first().copied().unwrap_or_default();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first & 0xffc0) == 0xfec0
                || v6.to_ipv4().is_some_and(is_internal_v4)
        }
    }
}

fn is_internal_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_broadcast()
        || v4.is_multicast()
        || v4.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_numeric_spellings_of_addresses() {
        for bad in ["127.1", "2130706433", "0x7f000001", "0x7f.0.0.1", "0177.0.0.1", "999.1.1.1", "10.0.0.010"] {
            assert_eq!(parse_host(bad), Err(ArgProblem::NumericHost), "{bad}");
        }
    }

    #[test]
    fn accepts_names_and_canonical_addresses() {
        assert_eq!(parse_host("Scan.Example.com"), Ok(Host::Name("scan.example.com".into())));
        assert_eq!(parse_host("10.0.0.1"), Ok(Host::Ip("10.0.0.1".parse().unwrap())));
        assert!(parse_host("db-01.internal").is_ok());
        assert!(parse_host("a1b2").is_ok());
    }

    #[test]
    fn refuses_bad_labels() {
        assert_eq!(parse_host("example.com."), Err(ArgProblem::TrailingDot));
        assert_eq!(parse_host("xn--80ak6aa92e.com"), Err(ArgProblem::Punycode));
        assert_eq!(parse_host("-a.com"), Err(ArgProblem::InvalidTarget));
        assert_eq!(parse_host("a..com"), Err(ArgProblem::InvalidTarget));
        assert_eq!(parse_host("exаmple.com"), Err(ArgProblem::NonAscii));
    }

    #[test]
    fn parses_urls_strictly() {
        let url = parse_url("HTTPS://api.example.com:8443/v1?q=1").unwrap();
        assert_eq!(url.scheme, "https");
        assert_eq!(url.host, Host::Name("api.example.com".into()));
        for bad in [
            "http://user@evil.com",
            "http://",
            "example.com",
            "http://a.com:0/",
            "http://a.com:99999",
            "http://2130706433/",
            "http://a b.com",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn maps_ipv4_in_ipv6_and_classifies_internal_addresses() {
        assert_eq!(canonical_ip("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1".parse::<IpAddr>().unwrap());
        for internal in
            ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "fd00::1", "::ffff:127.0.0.1", "100.64.0.1", "0.0.0.0"]
        {
            assert!(is_internal(internal.parse().unwrap()), "{internal}");
        }
        for public in ["93.184.216.34", "2606:4700::1111"] {
            assert!(!is_internal(public.parse().unwrap()), "{public}");
        }
    }
}
