//! The runtime's outbound HTTP for ToolClad `[http]` tools: the [`HttpTransport`] the engine
//! declares, on hyper's HTTP/1.1 client connection (already in the tree through axum). The
//! transport resolves the host itself so the [`SsrfGuard`] sees every address before a socket is
//! opened, never follows redirects, and bounds the time and the size of the answer. Plain `http://`
//! only: no TLS stack is linked yet, so `https://` is refused rather than sent in the clear.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use symbi_toolclad::{HttpRequest, HttpResponse, HttpTransport, SsrfGuard, TransportError};

/// Sends `[http]` tool requests. Runs on the executor's blocking thread and drives the async
/// client on the runtime it was made on.
#[derive(Debug)]
pub(crate) struct HyperTransport {
    handle: tokio::runtime::Handle,
    /// The most body bytes kept (the executor's output cap); the rest is not read.
    max_body: usize,
}

impl HyperTransport {
    /// A transport driving requests on `handle`, keeping at most `max_body` bytes of each answer.
    pub(crate) fn new(handle: tokio::runtime::Handle, max_body: usize) -> Self {
        Self { handle, max_body }
    }
}

impl HttpTransport for HyperTransport {
    fn send(&self, request: &HttpRequest, guard: &SsrfGuard) -> Result<HttpResponse, TransportError> {
        // The executor calls this from a blocking thread, never from an async task.
        self.handle
            .block_on(tokio::time::timeout(request.timeout, send(request, guard, self.max_body)))
            .map_err(|_| TransportError::Timeout)?
    }
}

async fn send(request: &HttpRequest, guard: &SsrfGuard, max_body: usize) -> Result<HttpResponse, TransportError> {
    let failed = |what: &str| TransportError::Failed(what.to_owned());
    let uri: hyper::Uri = request.url.parse().map_err(|_| failed("the URL does not parse"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => return Err(failed("https is not supported by this runtime yet")),
        _ => return Err(failed("only http URLs can be sent")),
    }
    let authority = uri.authority().ok_or_else(|| failed("the URL has no host"))?.clone();
    let host = authority.host().trim_start_matches('[').trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(80);
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| TransportError::Failed(format!("cannot resolve `{host}`: {e}")))?
        .collect();
    // Every address is checked before any is tried: a name that resolves to one public and one
    // internal address is refused, so a rebinding resolver cannot pick the internal one later.
    for address in &addresses {
        guard.check_addr(address.ip())?;
    }
    let stream = connect(&addresses).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|e| TransportError::Failed(format!("HTTP handshake failed: {e}")))?;
    let driver = tokio::spawn(connection);
    let path = uri.path_and_query().map_or("/", hyper::http::uri::PathAndQuery::as_str);
    let mut builder = hyper::Request::builder()
        .method(request.method.as_str())
        .uri(path)
        .header(hyper::header::HOST, authority.as_str());
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = Full::new(Bytes::from(request.body.clone().unwrap_or_default()));
    let outgoing = builder.body(body).map_err(|e| TransportError::Failed(format!("invalid request: {e}")))?;
    // hyper's client connection never follows redirects: a 3xx is the answer.
    let response =
        sender.send_request(outgoing).await.map_err(|e| TransportError::Failed(format!("request failed: {e}")))?;
    let status = response.status().as_u16();
    let mut incoming = response.into_body();
    let mut body = Vec::new();
    while body.len() < max_body {
        let Some(frame) = incoming.frame().await else { break };
        let frame = frame.map_err(|e| TransportError::Failed(format!("reading the answer failed: {e}")))?;
        if let Ok(data) = frame.into_data() {
            let room = max_body.saturating_sub(body.len());
            body.extend_from_slice(data.get(..room.min(data.len())).unwrap_or_default());
        }
    }
    driver.abort();
    Ok(HttpResponse { status, body })
}

/// Connects to the first address that answers within a few seconds.
async fn connect(addresses: &[SocketAddr]) -> Result<tokio::net::TcpStream, TransportError> {
    let mut last = String::from("the host resolved to no address");
    for address in addresses {
        match tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect(address)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => last = format!("cannot connect to {address}: {e}"),
            Err(_) => last = format!("connecting to {address} timed out"),
        }
    }
    Err(TransportError::Failed(last))
}
