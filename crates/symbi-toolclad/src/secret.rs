//! Secrets by reference: manifests write `{_secret:NAME}`, the runtime's [`SecretResolver`]
//! supplies the value at execution, and the value never reaches a preview, an envelope, an error
//! or a `Debug` string.

use std::fmt;

use zeroize::Zeroizing;

/// A resolved secret; zeroized on drop, printed as `SecretValue(***)`.
#[derive(Clone)]
pub struct SecretValue(Zeroizing<String>);

/// Supplies secret values by name (Vault/OpenBao or the encrypted file store, scoped to the
/// calling agent by the runtime).
pub trait SecretResolver: Send + Sync {
    /// The value of `name`, or `None` when it does not exist or the caller may not read it.
    fn resolve(&self, name: &str) -> Option<SecretValue>;
}

/// A resolver with no secrets: every reference fails, so nothing runs.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoSecrets;

impl SecretValue {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(***)")
    }
}

impl SecretResolver for NoSecrets {
    fn resolve(&self, _name: &str) -> Option<SecretValue> {
        None
    }
}
