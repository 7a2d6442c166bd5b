//! The `http` backend's seam and guard. The engine does no network I/O: the runtime supplies an
//! [`HttpTransport`]; before the request leaves, the [`SsrfGuard`] refuses internal addresses in
//! the URL, and the transport must ask the guard about every address it resolves or connects to.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use crate::net::{Host, is_internal, parse_url};

/// A request ready to send; its `Debug` hides header values and the body (they may hold secrets).
pub struct HttpRequest {
    /// Upper-case method.
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body, if the manifest has a `body_template`.
    pub body: Option<String>,
    /// `[tool].timeout_seconds`.
    pub timeout: Duration,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// The body, already limited by the transport to the executor's output cap.
    pub body: Vec<u8>,
}

/// Why no response came back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The timeout passed.
    #[error("request timed out")]
    Timeout,
    /// The guard refused an address the name resolved to.
    #[error(transparent)]
    Refused(#[from] SsrfError),
    /// Connection, TLS or protocol failure.
    #[error("request failed: {0}")]
    Failed(String),
}

/// Sends HTTP requests for the `http` backend (implemented by the runtime).
pub trait HttpTransport: Send + Sync + fmt::Debug {
    /// Sends `request`. Implementations must call [`SsrfGuard::check_addr`] on each address
    /// before connecting, and must not follow redirects.
    ///
    /// # Errors
    ///
    /// [`TransportError`] when no response arrived.
    fn send(&self, request: &HttpRequest, guard: &SsrfGuard) -> Result<HttpResponse, TransportError>;
}

/// Refuses requests to loopback, private, link-local (cloud metadata), CGNAT, multicast and
/// other internal addresses, and to `localhost` names, unless explicitly allowed.
#[derive(Debug, Clone, Copy, Default)]
pub struct SsrfGuard {
    allow_internal: bool,
}

/// A request the guard refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused to reach `{target}`: {why}")]
pub struct SsrfError {
    target: String,
    why: &'static str,
}

impl SsrfGuard {
    /// The default guard: internal addresses refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// A guard that lets requests reach internal addresses (tests against a loopback server,
    /// tools meant for the local network). Loud by name so reviews catch it.
    pub fn dangerous_allow_internal() -> Self {
        Self { allow_internal: true }
    }

    /// Checks the URL's host before any lookup.
    ///
    /// # Errors
    ///
    /// When the URL does not parse, its host is an internal address or a `localhost` name.
    pub fn check_url(&self, url: &str) -> Result<(), SsrfError> {
        let refuse = |why| SsrfError { target: url.to_owned(), why };
        let parsed = parse_url(url).map_err(|_| refuse("not a valid http(s) URL"))?;
        if !matches!(parsed.scheme.as_str(), "http" | "https") {
            return Err(refuse("only http and https are allowed"));
        }
        match parsed.host {
            Host::Ip(ip) => self.check_addr(ip),
            Host::Name(name) if !self.allow_internal && (name == "localhost" || name.ends_with(".localhost")) => {
                Err(refuse("loopback names are refused"))
            }
            Host::Name(_) => Ok(()),
        }
    }

    /// Checks one resolved address.
    ///
    /// # Errors
    ///
    /// When the address is internal and internal addresses are not allowed.
    pub fn check_addr(&self, ip: IpAddr) -> Result<(), SsrfError> {
        if !self.allow_internal && is_internal(ip) {
            return Err(SsrfError { target: ip.to_string(), why: "internal addresses are refused" });
        }
        Ok(())
    }
}

impl SsrfError {
    /// The same refusal with each of `secrets` masked in the target it names.
    pub(crate) fn redacted(mut self, secrets: &[zeroize::Zeroizing<String>]) -> Self {
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            self.target = self.target.replace(secret.as_str(), "[REDACTED]");
        }
        self
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("header_names", &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("has_body", &self.body.is_some())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_internal_targets_unless_allowed() {
        let guard = SsrfGuard::new();
        for bad in [
            "http://127.0.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost:8080/",
            "http://10.0.0.1/",
            "http://2130706433/",
            "file://x.com/",
        ] {
            assert!(guard.check_url(bad).is_err(), "{bad}");
        }
        assert!(guard.check_url("https://api.example.com/v1").is_ok());
        assert!(guard.check_addr("::ffff:127.0.0.1".parse().unwrap()).is_err());
        assert!(SsrfGuard::dangerous_allow_internal().check_url("http://127.0.0.1:8080/").is_ok());
    }
}
