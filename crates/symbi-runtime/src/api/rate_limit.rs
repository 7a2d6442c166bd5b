//! Per-client-IP rate limiting (GCRA, via `governor`), applied before authentication so guessing
//! keys costs the guesser their own budget.

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
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

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
    let client = client_ip(peer, req.headers(), &limiter.trusted_proxies);
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
