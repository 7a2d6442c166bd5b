//! Per-client rate limiting (GCRA, via `governor`), applied before authentication so guessing keys
//! costs the guesser their own budget. A client is an IPv4 address or an IPv6 /64: one host gets a
//! whole /64, so keying by full IPv6 address would hand an attacker 2^64 buckets.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use ipnet::IpNet;

use super::client_ip::client_ip;
use super::error::ApiError;
use crate::config::RateLimitConfig;

/// How often idle client entries are dropped so the table stays bounded by recent clients.
const SWEEP_INTERVAL: Duration = Duration::from_secs(10);

/// The limiter and the proxy list it needs to find the client.
#[derive(Debug, Clone)]
pub(crate) struct RateLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    trusted_proxies: Arc<[IpNet]>,
}

impl RateLimiter {
    pub(crate) fn new(config: RateLimitConfig, trusted_proxies: &[IpNet]) -> Self {
        let quota = Quota::per_second(config.per_second).allow_burst(config.burst);
        Self { limiter: Arc::new(governor::RateLimiter::keyed(quota)), trusted_proxies: trusted_proxies.into() }
    }

    /// Drops entries of clients that are back to a full bucket; runs until the runtime stops.
    pub(crate) async fn sweep_forever(self) {
        let mut tick = tokio::time::interval(SWEEP_INTERVAL);
        loop {
            tick.tick().await;
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
    }
}

/// Answers 429 `RATE_LIMITED` with `Retry-After` when the client is over its quota.
pub(crate) async fn limit(State(limiter): State<RateLimiter>, req: Request, next: Next) -> Response {
    // Without the socket address (only in unit tests that call the router directly) every caller
    // shares one bucket, which fails towards limiting rather than towards letting through.
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
    let client = bucket(client_ip(peer, req.headers(), &limiter.trusted_proxies));
    match limiter.limiter.check_key(&client) {
        Ok(()) => next.run(req).await,
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Round up: a client that waits the advertised time must then succeed.
            let retry_after_secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            ApiError::RateLimited { retry_after_secs: retry_after_secs.max(1) }.into_response()
        }
    }
}

/// The rate-limit bucket of an address: IPv4 as is (IPv4-mapped IPv6 too), IPv6 by its /64.
fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let [a, b, c, d, ..] = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_ipv4_addresses_or_ipv6_slash_64s() {
        let check =
            |ip: &str, expected: &str| assert_eq!(bucket(ip.parse().unwrap()), expected.parse::<IpAddr>().unwrap());
        check("192.0.2.7", "192.0.2.7");
        check("::ffff:192.0.2.7", "192.0.2.7");
        check("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::");
        check("2001:db8:1:2::1", "2001:db8:1:2::");
        check("::1", "::");
    }
}
