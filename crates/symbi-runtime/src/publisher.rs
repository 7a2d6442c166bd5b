//! The runtime as a SchemaPin publisher: the key it signs its tools' schemas with, kept in
//! `<data_dir>/schemapin/` (`signing.pem`, mode 0600, and `publisher.json` with the developer name
//! and fingerprint), and the `/.well-known/schemapin.json` document it serves for the tools its
//! ToolClad manifests define. `symbi schemapin keygen` makes the key; without one the runtime
//! publishes nothing.

use std::path::{Path, PathBuf};

use serde_json::Value;
use symbi_schemapin::{SigningKey, WellKnownBuilder};
use symbi_toolclad::Catalog;

/// The folder of the publisher key inside a data directory.
pub fn publisher_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("schemapin")
}

/// The runtime's SchemaPin signing identity.
#[derive(Debug)]
pub struct Publisher {
    /// The signing key.
    pub key: SigningKey,
    /// `developer_name` in the discovery document, when one was given.
    pub developer_name: Option<String>,
}

/// Why the publisher key could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublisherError {
    /// A file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The key file does not hold a P-256 private key.
    #[error("`{path}` is not a P-256 private key: {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

impl Publisher {
    /// Reads the publisher key of `data_dir`; `Ok(None)` when none was made.
    ///
    /// # Errors
    /// The files exist but cannot be read or parsed.
    pub fn load(data_dir: &Path) -> Result<Option<Self>, PublisherError> {
        let dir = publisher_dir(data_dir);
        let key_path = dir.join("signing.pem");
        let pem = match std::fs::read_to_string(&key_path) {
            Ok(pem) => pem,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(PublisherError::Io { path: key_path, source }),
        };
        let key =
            SigningKey::from_pem(&pem).map_err(|e| PublisherError::Key { path: key_path, reason: e.to_string() })?;
        let meta_path = dir.join("publisher.json");
        let developer_name = match std::fs::read(&meta_path) {
            Ok(bytes) => serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v.get("developer_name").and_then(Value::as_str).map(str::to_owned)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(PublisherError::Io { path: meta_path, source }),
        };
        Ok(Some(Self { key, developer_name }))
    }

    /// The discovery document for every tool in `catalog`: the key, the developer name and a
    /// tool pin (schema and description hashes) per tool's MCP schema.
    pub fn well_known(&self, catalog: &Catalog) -> Value {
        let mut builder = WellKnownBuilder::new(self.key.public_key());
        if let Some(name) = &self.developer_name {
            builder = builder.developer_name(name.clone());
        }
        for tool in catalog.tools() {
            // Manifest names are valid SchemaPin tool names (both `A-Za-z0-9_-`, 1-64); a tool
            // that somehow is not is left out rather than published under another name.
            if let Ok(next) = builder.clone().tool(&symbi_toolclad::mcp_schema(tool)) {
                builder = next;
            }
        }
        builder.build()
    }
}
