//! Which address a request came from. The socket peer is the client unless the peer is a
//! configured proxy; then `X-Forwarded-For` is read from the right, skipping trusted proxies, and
//! the first untrusted hop is the client. (The left-most entry is whatever the client typed, so
//! trusting it would let anyone pick their own rate-limit bucket.)

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client address for `peer`, given the headers and the trusted proxies.
pub(crate) fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    // Several X-Forwarded-For headers are one list, in order.
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            // An unparseable hop ends what we can believe; the last trusted address stands.
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(peer: &str, xff: &[&str], trusted: &[&str], expected: &str) {
        let mut headers = HeaderMap::new();
        for v in xff {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        let trusted: Vec<IpNet> = trusted.iter().map(|t| t.parse().unwrap()).collect();
        assert_eq!(client_ip(peer.parse().unwrap(), &headers, &trusted), expected.parse::<IpAddr>().unwrap());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        check("203.0.113.9", &["1.2.3.4"], &[], "203.0.113.9");
        check("203.0.113.9", &["1.2.3.4"], &["10.0.0.0/8"], "203.0.113.9");
        check("10.0.0.2", &["1.2.3.4"], &["10.0.0.0/8"], "1.2.3.4");
        // A client-supplied left-most entry cannot override what the proxy appended.
        check("10.0.0.2", &["6.6.6.6, 1.2.3.4"], &["10.0.0.0/8"], "1.2.3.4");
        // Chains of trusted proxies are walked.
        check("10.0.0.2", &["1.2.3.4, 10.0.0.7"], &["10.0.0.0/8"], "1.2.3.4");
        check("10.0.0.2", &["1.2.3.4", "10.0.0.7"], &["10.0.0.0/8"], "1.2.3.4");
        check("10.0.0.2", &[], &["10.0.0.0/8"], "10.0.0.2");
        check("10.0.0.2", &["junk, 1.2.3.4"], &["10.0.0.0/8"], "1.2.3.4");
        check("10.0.0.2", &["1.2.3.4, junk"], &["10.0.0.0/8"], "10.0.0.2");
        check("::1", &["2001:db8::1"], &["::1/128"], "2001:db8::1");
    }
}
