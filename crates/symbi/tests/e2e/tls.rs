//! A real HTTPS server on 127.0.0.1 for the fetch tests: a certificate authority made in the test,
//! a leaf certificate for a few `*.example.test` names signed by it, and canned answers per path.
//! Every request is counted, so a test can tell a cache hit from a fetch.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The names the server's certificate is valid for.
pub(crate) const NAMES: [&str; 2] = ["agents.example.test", "tools.example.test"];

/// What the server answers on a path.
#[derive(Clone)]
pub(crate) enum Answer {
    /// 200 with this JSON body.
    Json(Vec<u8>),
    /// A redirect to this location.
    Redirect(String),
    /// 200 after this long.
    Slow(Duration, Vec<u8>),
}

pub(crate) struct TlsServer {
    pub(crate) port: u16,
    answers: Arc<Mutex<HashMap<String, Answer>>>,
    /// `host path` of every request that reached the server.
    seen: Arc<Mutex<Vec<String>>>,
    ca_file: PathBuf,
}

impl TlsServer {
    /// Starts a server whose CA certificate is written to `dir/test-ca.pem`.
    pub(crate) fn start(dir: &Path) -> Self {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "symbi test CA");
        ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::DigitalSignature];
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf_params = rcgen::CertificateParams::new(NAMES.map(str::to_owned).to_vec()).unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &*ca).unwrap();
        let ca_file = dir.join("test-ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();

        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(leaf.der().to_vec())], key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let answers: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let (a, s) = (Arc::clone(&answers), Arc::clone(&seen));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (config, a, s) = (Arc::clone(&config), Arc::clone(&a), Arc::clone(&s));
                std::thread::spawn(move || serve(stream, config, &a, &s));
            }
        });
        Self { port, answers, seen, ca_file }
    }

    /// Answers `path` with `answer` from now on.
    pub(crate) fn answer(&self, path: &str, answer: Answer) {
        self.answers.lock().unwrap().insert(path.to_owned(), answer);
    }

    /// Every `host path` requested so far.
    pub(crate) fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    /// A `[network]` and `[trust]` configuration that trusts this server's CA and pins every
    /// name of its certificate (and `other.example.test`, which it does not name) to it.
    pub(crate) fn config(&self, trust_ca: bool, allow_loopback: bool) -> String {
        let ca = if trust_ca {
            format!("extra_ca_files = [{:?}]\n", self.ca_file.display().to_string())
        } else {
            String::new()
        };
        let mut out = format!("[network]\n{ca}[network.resolve]\n");
        for name in NAMES.into_iter().chain(["other.example.test"]) {
            out.push_str(&format!("\"{name}\" = \"127.0.0.1:{}\"\n", self.port));
        }
        out.push_str(&format!("[trust]\ndangerous_allow_loopback = {allow_loopback}\n"));
        out
    }
}

fn serve(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    answers: &Mutex<HashMap<String, Answer>>,
    seen: &Mutex<Vec<String>>,
) {
    let Ok(connection) = rustls::ServerConnection::new(config) else { return };
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        // A client that refuses the certificate ends the handshake here.
        match tls.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split(' ').nth(1).unwrap_or_default().to_owned();
    let host = head
        .lines()
        .find_map(|l| l.strip_prefix("host: ").or_else(|| l.strip_prefix("Host: ")))
        .unwrap_or_default()
        .to_owned();
    seen.lock().unwrap().push(format!("{host} {path}"));
    let answer = answers.lock().unwrap().get(&path).cloned();
    let (status, location, body) = match answer {
        Some(Answer::Json(body)) => ("200 OK", None, body),
        Some(Answer::Redirect(to)) => ("302 Found", Some(to), Vec::new()),
        Some(Answer::Slow(delay, body)) => {
            std::thread::sleep(delay);
            ("200 OK", None, body)
        }
        None => ("404 Not Found", None, b"{}".to_vec()),
    };
    let mut reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(location) = location {
        reply.push_str(&format!("location: {location}\r\n"));
    }
    reply.push_str("\r\n");
    let _ = tls.write_all(reply.as_bytes());
    let _ = tls.write_all(&body);
    let _ = tls.flush();
    tls.conn.send_close_notify();
    let _ = tls.flush();
}
