//! The runtime's one outbound HTTP client: hyper's HTTP/1.1 client connection, over rustls (the
//! aws-lc-rs provider) for `https://`. It trusts the Web PKI roots of `webpki-roots` plus the
//! certificate authorities `[network] extra_ca_files` names, and connects hosts that
//! `[network.resolve]` pins to their fixed address.
//!
//! The client resolves the host itself and hands every address to the caller's admission check
//! before a socket is opened (the SSRF guard for `[http]` tools, the address policy for
//! discovery fetches), never follows redirects, and bounds the time of the whole exchange and the
//! size of the answer it reads. [`ToolTransport`] is the ToolClad `[http]` transport on it; the
//! fetches of SchemaPin and AgentPin documents go through it in [`crate::trust_fetch`].

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use symbi_toolclad::{HttpRequest, HttpResponse, HttpTransport, SsrfGuard, TransportError};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::NetworkSettings;

/// Why the outbound client could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// A file of `[network] extra_ca_files` is unreadable or holds no usable certificate.
    #[error("certificate authority file `{path}`: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The TLS library refused the configuration.
    #[error("cannot set up TLS: {reason}")]
    Tls {
        /// Its message.
        reason: String,
    },
}

/// Sends one request at a time to other machines. Cheap to share behind an [`Arc`].
pub(crate) struct HttpClient {
    tls: tokio_rustls::TlsConnector,
    resolve: BTreeMap<String, SocketAddr>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient").field("resolve", &self.resolve).finish_non_exhaustive()
    }
}

/// One request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    pub(crate) headers: &'a [(String, String)],
    pub(crate) body: Option<&'a str>,
    /// Read at most this many body bytes; the rest is not read.
    pub(crate) max_body: usize,
    /// The time limit of the whole exchange, name lookup included.
    pub(crate) timeout: Duration,
}

/// What came back.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    /// The `Location` header, for redirects (which are never followed here).
    pub(crate) location: Option<String>,
    /// At most `max_body` bytes of the body.
    pub(crate) body: Vec<u8>,
}

/// Why no response came back; `E` is the admission check's refusal.
#[derive(Debug)]
pub(crate) enum SendError<E> {
    /// The admission check refused an address the host resolved to; nothing was sent.
    Refused(E),
    /// The time limit passed.
    Timeout,
    /// Anything else: URL, lookup, connection, TLS (certificate) or protocol failure.
    Failed(String),
}

impl HttpClient {
    /// A client trusting the Web PKI roots and `settings.extra_ca_files`.
    ///
    /// # Errors
    ///
    /// A CA file cannot be read or holds no certificate rustls accepts.
    pub(crate) fn new(settings: &NetworkSettings) -> Result<Self, NetworkError> {
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        for path in &settings.extra_ca_files {
            let ca_error = |reason: String| NetworkError::CaFile { path: path.clone(), reason };
            let mut added = 0_usize;
            for cert in CertificateDer::pem_file_iter(path).map_err(|e| ca_error(e.to_string()))? {
                let cert = cert.map_err(|e| ca_error(e.to_string()))?;
                roots.add(cert).map_err(|e| ca_error(e.to_string()))?;
                added += 1;
            }
            if added == 0 {
                return Err(ca_error("the file holds no PEM certificate".to_owned()));
            }
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| NetworkError::Tls { reason: e.to_string() })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self { tls: tokio_rustls::TlsConnector::from(Arc::new(config)), resolve: settings.resolve.clone() })
    }

    /// Sends `request` from a blocking thread, driving the exchange on `handle`.
    pub(crate) fn send_blocking<E>(
        &self,
        handle: &tokio::runtime::Handle,
        request: &Request<'_>,
        admit: &(dyn Fn(IpAddr) -> Result<(), E> + Sync),
    ) -> Result<Response, SendError<E>> {
        handle.block_on(async {
            tokio::time::timeout(request.timeout, self.send(request, admit)).await.unwrap_or(Err(SendError::Timeout))
        })
    }

    async fn send<E>(
        &self,
        request: &Request<'_>,
        admit: &(dyn Fn(IpAddr) -> Result<(), E> + Sync),
    ) -> Result<Response, SendError<E>> {
        let failed = |what: String| SendError::Failed(what);
        let uri: hyper::Uri = request.url.parse().map_err(|_| failed("the URL does not parse".to_owned()))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(failed("only http and https URLs can be sent".to_owned())),
        };
        let authority = uri.authority().ok_or_else(|| failed("the URL has no host".to_owned()))?.clone();
        let host = authority.host().trim_start_matches('[').trim_end_matches(']');
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let addresses = self.lookup(host, port).await.map_err(failed)?;
        // Every address is checked before any is tried: a name that resolves to one public and one
        // internal address is refused, so a rebinding resolver cannot pick the internal one later.
        for address in &addresses {
            admit(address.ip()).map_err(SendError::Refused)?;
        }
        let stream = connect(&addresses).await.map_err(failed)?;
        let path = uri.path_and_query().map_or("/", hyper::http::uri::PathAndQuery::as_str);
        if !https {
            return exchange(stream, authority.as_str(), path, request).await.map_err(failed);
        }
        let name = ServerName::try_from(host.to_owned()).map_err(|_| failed(format!("`{host}` is not a TLS name")))?;
        let tls = self
            .tls
            .connect(name, stream)
            .await
            .map_err(|e| failed(format!("TLS handshake with `{host}` failed: {e}")))?;
        exchange(tls, authority.as_str(), path, request).await.map_err(failed)
    }

    /// The addresses of `host`: its `[network.resolve]` pin, the address itself, or the system
    /// resolver's answer.
    async fn lookup(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        if let Some(pinned) = self.resolve.get(&name) {
            return Ok(vec![*pinned]);
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        let found: Vec<SocketAddr> =
            tokio::net::lookup_host((host, port)).await.map_err(|e| format!("cannot resolve `{host}`: {e}"))?.collect();
        if found.is_empty() {
            return Err(format!("`{host}` resolved to no address"));
        }
        Ok(found)
    }
}

/// One request and its answer on an open connection (plain or TLS).
async fn exchange<S>(stream: S, authority: &str, path: &str, request: &Request<'_>) -> Result<Response, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let driver = tokio::spawn(connection);
    let mut builder = hyper::Request::builder()
        .method(request.method)
        .uri(path)
        .header(hyper::header::HOST, authority)
        .header(hyper::header::USER_AGENT, concat!("symbi/", env!("CARGO_PKG_VERSION")));
    for (name, value) in request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = Full::new(Bytes::from(request.body.unwrap_or_default().to_owned()));
    let outgoing = builder.body(body).map_err(|e| format!("invalid request: {e}"))?;
    // hyper's client connection never follows redirects: a 3xx is the answer.
    let response = sender.send_request(outgoing).await.map_err(|e| format!("request failed: {e}"))?;
    let status = response.status().as_u16();
    let location = response.headers().get(hyper::header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let mut incoming = response.into_body();
    let mut body = Vec::new();
    while body.len() < request.max_body {
        let Some(frame) = incoming.frame().await else { break };
        let frame = frame.map_err(|e| format!("reading the answer failed: {e}"))?;
        if let Ok(data) = frame.into_data() {
            let room = request.max_body.saturating_sub(body.len());
            body.extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
        }
    }
    driver.abort();
    Ok(Response { status, location, body })
}

/// Connects to the first address that answers; the caller's time limit bounds the attempts.
async fn connect(addresses: &[SocketAddr]) -> Result<tokio::net::TcpStream, String> {
    let mut last = String::from("the host resolved to no address");
    for address in addresses {
        match tokio::net::TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(e) => last = format!("cannot connect to {address}: {e}"),
        }
    }
    Err(last)
}

/// Sends `[http]` tool requests on the runtime's client. Runs on the executor's blocking thread
/// and drives the client on the runtime it was made on.
#[derive(Debug)]
pub(crate) struct ToolTransport {
    client: Arc<HttpClient>,
    handle: tokio::runtime::Handle,
    /// The most body bytes kept (the executor's output cap); the rest is not read.
    max_body: usize,
}

impl ToolTransport {
    /// A transport on `client`, driving requests on `handle`, keeping at most `max_body` bytes
    /// of each answer.
    pub(crate) fn new(client: Arc<HttpClient>, handle: tokio::runtime::Handle, max_body: usize) -> Self {
        Self { client, handle, max_body }
    }
}

impl HttpTransport for ToolTransport {
    fn send(&self, request: &HttpRequest, guard: &SsrfGuard) -> Result<HttpResponse, TransportError> {
        let outgoing = Request {
            method: &request.method,
            url: &request.url,
            headers: &request.headers,
            body: request.body.as_deref(),
            max_body: self.max_body,
            timeout: request.timeout,
        };
        // The executor calls this from a blocking thread, never from an async task.
        match self.client.send_blocking(&self.handle, &outgoing, &|ip| guard.check_addr(ip)) {
            Ok(response) => Ok(HttpResponse { status: response.status, body: response.body }),
            Err(SendError::Refused(refused)) => Err(TransportError::Refused(refused)),
            Err(SendError::Timeout) => Err(TransportError::Timeout),
            Err(SendError::Failed(reason)) => Err(TransportError::Failed(reason)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_ca_files_are_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let no_certificate = dir.path().join("notes.pem");
        std::fs::write(&no_certificate, "no certificate here\n").unwrap();
        let bad_base64 = dir.path().join("bad.pem");
        std::fs::write(&bad_base64, "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n").unwrap();
        for path in [dir.path().join("missing.pem"), no_certificate, bad_base64] {
            let settings = NetworkSettings { extra_ca_files: vec![path.clone()], ..NetworkSettings::default() };
            match HttpClient::new(&settings) {
                Err(NetworkError::CaFile { path: named, .. }) => assert_eq!(named, path),
                other => panic!("{} was not refused as a CA file: {other:?}", path.display()),
            }
        }
    }
}
