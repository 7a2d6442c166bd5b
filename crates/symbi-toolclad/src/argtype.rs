//! Argument types and their exact rules. A manifest's `[args.*]` tables (with custom types from
//! `toolclad.toml` already merged in) compile to an [`ArgKind`]; [`ArgKind::validate`] turns one
//! raw value into the canonical text the command builder interpolates, or says why not.

use std::path::Path;

use ipnet::IpNet;
use regex::Regex;

use crate::charset::{describe, forbidden_char};
use crate::net::{MAX_HOST_LEN, parse_host, parse_url};
use crate::scope::{Scope, ScopeMiss, Target, parse_net};

/// The built-in type names, as manifests spell them.
pub(crate) const BUILTIN_TYPES: [&str; 15] = [
    "string",
    "integer",
    "number",
    "port",
    "boolean",
    "enum",
    "scope_target",
    "url",
    "path",
    "ip_address",
    "cidr",
    "msf_options",
    "credential_file",
    "duration",
    "regex_match",
];

/// Why one argument value was refused. Messages never repeat the value, which may hold the very
/// characters being refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgProblem {
    /// A required argument without a default was not given.
    #[error("required argument is missing")]
    Missing,
    /// The call names an argument the manifest does not declare.
    #[error("the tool declares no such argument")]
    Unknown,
    /// A JSON array, object or null was given where a scalar belongs.
    #[error("must be a string, number or boolean")]
    NotScalar,
    /// The value is empty where it may not be.
    #[error("must not be empty")]
    Empty,
    /// The value starts or ends with whitespace.
    #[error("must not contain leading or trailing whitespace")]
    Whitespace,
    /// The value is longer than the type allows.
    #[error("exceeds the {max}-character limit (RFC 1035 §2.3.4)")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// A shell metacharacter, control, invisible or look-alike character.
    #[error("contains the forbidden character {shown}")]
    ForbiddenChar {
        /// The character, printed safely (backticks or `U+XXXX`).
        shown: String,
    },
    /// `*` or `?` in a target.
    #[error("wildcard targets are not allowed")]
    Wildcard,
    /// A `..` path segment or traversal sequence.
    #[error("path traversal is not allowed")]
    Traversal,
    /// A `/` in a target that is not CIDR notation.
    #[error("must not contain '/' (use CIDR notation for ranges)")]
    Slash,
    /// A backslash in a target.
    #[error("must not contain backslash escape sequences")]
    Backslash,
    /// Non-ASCII text where only ASCII is allowed.
    #[error("must be ASCII (IDN homoglyphs are refused)")]
    NonAscii,
    /// An `xn--` label.
    #[error("must not contain punycode (xn--) labels")]
    Punycode,
    /// A host name that resolvers would read as an IPv4 address.
    #[error("looks like a numeric IP address spelling; write the address in dotted decimal")]
    NumericHost,
    /// A host name ending in a dot.
    #[error("must not end with a dot")]
    TrailingDot,
    /// Not an IP address, CIDR range or host name.
    #[error("is not a valid IP address, CIDR range or host name")]
    InvalidTarget,
    /// Not a decimal integer in the 64-bit range.
    #[error("must be a decimal integer")]
    NotInteger,
    /// Not a finite decimal number.
    #[error("must be a finite decimal number")]
    NotNumber,
    /// Below `min` (or 1 for a port) without `clamp`.
    #[error("is below the minimum {min}")]
    BelowMin {
        /// The bound.
        min: String,
    },
    /// Above `max` (or 65535 for a port) without `clamp`.
    #[error("is above the maximum {max}")]
    AboveMax {
        /// The bound.
        max: String,
    },
    /// Not exactly `true` or `false`.
    #[error("must be `true` or `false`")]
    NotBoolean,
    /// Not one of an enum's `allowed` values.
    #[error("must be one of: {allowed}")]
    NotAllowed {
        /// The allowed values, comma-separated.
        allowed: String,
    },
    /// A malformed URL.
    #[error("is not a valid URL: {why}")]
    InvalidUrl {
        /// What is wrong with it.
        why: &'static str,
    },
    /// A URL scheme outside `schemes` (default `http`, `https`).
    #[error("URL scheme `{scheme}` is not allowed (allowed: {allowed})")]
    SchemeNotAllowed {
        /// The scheme given.
        scheme: String,
        /// The allowed schemes, comma-separated.
        allowed: String,
    },
    /// An absolute path.
    #[error("must be a relative path")]
    Absolute,
    /// Not an IPv4 or IPv6 address.
    #[error("is not a valid IP address")]
    NotIp,
    /// Not `address/prefix`.
    #[error("is not a valid CIDR range (`address/prefix`)")]
    NotCidr,
    /// The value does not match the whole `pattern`.
    #[error("does not match the pattern `{pattern}`")]
    PatternMismatch {
        /// The manifest's pattern.
        pattern: String,
    },
    /// Not `30`, `5m`, `1h30m`, `500ms` and the like.
    #[error("is not a valid duration (e.g. `30`, `5m`, `2h`, `1h30m`, `500ms`)")]
    InvalidDuration,
    /// A credential file that is not a regular file inside the project.
    #[error("is not an existing regular file in the project (symbolic links are refused)")]
    NotFile,
    /// A malformed `msf_options` list.
    #[error("is not a valid option list: {why}")]
    MsfOptions {
        /// What is wrong with it.
        why: &'static str,
    },
    /// The target is outside `scope/scope.toml`.
    #[error("is out of scope: {why}")]
    OutOfScope {
        /// Which rule refused it.
        why: ScopeMiss,
    },
}

/// A compiled argument type with its constraints.
#[derive(Debug, Clone)]
pub(crate) enum ArgKind {
    String(Option<Pattern>),
    Integer(Bounds<i64>),
    Number(Bounds<f64>),
    Port(Bounds<i64>),
    Boolean,
    Enum(Vec<String>),
    ScopeTarget,
    Url { schemes: Vec<String>, scope_check: bool },
    Path,
    IpAddress,
    Cidr,
    MsfOptions,
    CredentialFile,
    Duration,
    RegexMatch(Pattern),
}

/// `min`/`max` and whether out-of-range values clamp instead of failing.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bounds<T> {
    pub(crate) min: Option<T>,
    pub(crate) max: Option<T>,
    pub(crate) clamp: bool,
}

/// A manifest regex, matched against the *whole* value: published implementations match at the
/// start only (Python) or anywhere (Rust, JS), which lets `^[a-z]+` admit `abc; rm -rf`.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    source: String,
    whole: Regex,
}

impl Pattern {
    /// Compiles `source` anchored at both ends.
    pub(crate) fn new(source: &str) -> Result<Self, regex::Error> {
        let whole = regex::RegexBuilder::new(&format!("^(?:{source})$")).size_limit(1 << 20).build()?;
        Ok(Self { source: source.to_owned(), whole })
    }

    pub(crate) fn source(&self) -> &str {
        &self.source
    }

    fn check(&self, value: &str) -> Result<(), ArgProblem> {
        if self.whole.is_match(value) {
            Ok(())
        } else {
            Err(ArgProblem::PatternMismatch { pattern: self.source.clone() })
        }
    }
}

/// What validation consults besides the value: the scope file and the project directory that
/// `credential_file` paths are relative to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checks<'a> {
    pub(crate) scope: &'a Scope,
    pub(crate) project_dir: &'a Path,
}

impl ArgKind {
    /// Validates `value` and returns its canonical form.
    pub(crate) fn validate(&self, value: &str, checks: Checks<'_>) -> Result<String, ArgProblem> {
        match self {
            Self::String(pattern) => {
                refuse_forbidden(value)?;
                pattern.as_ref().map_or(Ok(()), |p| p.check(value))?;
                Ok(value.to_owned())
            }
            Self::Integer(bounds) => bounded_integer(value, *bounds).map(|n| n.to_string()),
            Self::Port(bounds) => {
                let port = Bounds {
                    min: Some(bounds.min.unwrap_or(1).max(1)),
                    max: Some(bounds.max.unwrap_or(65535).min(65535)),
                    clamp: false,
                };
                bounded_integer(value, port).map(|n| n.to_string())
            }
            Self::Number(bounds) => number(value, *bounds),
            Self::Boolean => match value {
                "true" | "false" => Ok(value.to_owned()),
                _ => Err(ArgProblem::NotBoolean),
            },
            Self::Enum(allowed) => {
                if allowed.iter().any(|a| a == value) {
                    Ok(value.to_owned())
                } else {
                    Err(ArgProblem::NotAllowed { allowed: allowed.join(", ") })
                }
            }
            Self::ScopeTarget => scope_target(value, checks.scope),
            Self::Url { schemes, scope_check } => url(value, schemes, *scope_check, checks.scope),
            Self::Path => relative_path(value),
            Self::IpAddress => {
                let host = value.parse().map_err(|_| ArgProblem::NotIp)?;
                admit(checks.scope, Target::Host(&crate::net::Host::Ip(host)))?;
                Ok(value.to_owned())
            }
            Self::Cidr => {
                admit(checks.scope, Target::Net(cidr(value)?))?;
                Ok(value.to_owned())
            }
            Self::MsfOptions => msf_options(value),
            Self::CredentialFile => {
                relative_path(value)?;
                let meta =
                    std::fs::symlink_metadata(checks.project_dir.join(value)).map_err(|_| ArgProblem::NotFile)?;
                if meta.file_type().is_file() { Ok(value.to_owned()) } else { Err(ArgProblem::NotFile) }
            }
            Self::Duration => duration(value),
            Self::RegexMatch(pattern) => {
                refuse_forbidden(value)?;
                pattern.check(value)?;
                Ok(value.to_owned())
            }
        }
    }

    /// Whether the type takes a `pattern` key (so the loader can refuse a pattern it would
    /// silently ignore).
    pub(crate) fn pattern(&self) -> Option<&Pattern> {
        match self {
            Self::String(p) => p.as_ref(),
            Self::RegexMatch(p) => Some(p),
            _ => None,
        }
    }
}

fn refuse_forbidden(value: &str) -> Result<(), ArgProblem> {
    match forbidden_char(value) {
        Some(c) => Err(ArgProblem::ForbiddenChar { shown: describe(c) }),
        None => Ok(()),
    }
}

fn admit(scope: &Scope, target: Target<'_>) -> Result<(), ArgProblem> {
    scope.admit(target).map_err(|why| ArgProblem::OutOfScope { why })
}

/// ASCII decimal with an optional sign; Python's `int()` also takes `1_000`, Unicode digits and
/// surrounding spaces, which we refuse.
fn bounded_integer(value: &str, bounds: Bounds<i64>) -> Result<i64, ArgProblem> {
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ArgProblem::NotInteger);
    }
    let n: i64 = value.parse().map_err(|_| ArgProblem::NotInteger)?;
    match (bounds.min, bounds.max) {
        (Some(min), _) if n < min && bounds.clamp => Ok(min),
        (_, Some(max)) if n > max && bounds.clamp => Ok(max),
        (Some(min), _) if n < min => Err(ArgProblem::BelowMin { min: min.to_string() }),
        (_, Some(max)) if n > max => Err(ArgProblem::AboveMax { max: max.to_string() }),
        _ => Ok(n),
    }
}

fn number(value: &str, bounds: Bounds<f64>) -> Result<String, ArgProblem> {
    let body = value.strip_prefix(['+', '-']).unwrap_or(value);
    let (mantissa, exponent) = body.split_once(['e', 'E']).unwrap_or((body, "0"));
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !digits(int) || !digits(frac) || exponent.is_empty() || !digits(exponent) {
        return Err(ArgProblem::NotNumber);
    }
    let n: f64 = value.parse().map_err(|_| ArgProblem::NotNumber)?;
    if !n.is_finite() {
        return Err(ArgProblem::NotNumber);
    }
    let n = match (bounds.min, bounds.max) {
        (Some(min), _) if n < min && bounds.clamp => min,
        (_, Some(max)) if n > max && bounds.clamp => max,
        (Some(min), _) if n < min => return Err(ArgProblem::BelowMin { min: python_float(min) }),
        (_, Some(max)) if n > max => return Err(ArgProblem::AboveMax { max: python_float(max) }),
        _ => n,
    };
    Ok(python_float(n))
}

/// Formats a float the way Python's `str(float)` does (`1000.0`, `1e-05`, `1.5e+16`), so built
/// argv matches the published implementation byte for byte.
pub(crate) fn python_float(n: f64) -> String {
    let sci = format!("{n:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or_default();
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        let point = usize::try_from(exp + 1).unwrap_or(0);
        if exp < 0 {
            let zeros = "0".repeat(usize::try_from(-exp - 1).unwrap_or(0));
            format!("{sign}0.{zeros}{digits}")
        } else if digits.len() <= point {
            format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point);
            format!("{sign}{int}.{frac}")
        }
    } else {
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.unsigned_abs())
    }
}

/// Checks in the published order (so the first message matches theirs), then host rules and scope.
fn scope_target(value: &str, scope: &Scope) -> Result<String, ArgProblem> {
    if value.is_empty() {
        return Err(ArgProblem::Empty);
    }
    if value.trim() != value {
        return Err(ArgProblem::Whitespace);
    }
    if value.chars().count() > MAX_HOST_LEN {
        return Err(ArgProblem::TooLong { max: MAX_HOST_LEN });
    }
    if value.contains('\\') {
        return Err(ArgProblem::Backslash);
    }
    refuse_forbidden(value)?;
    if value.contains(['*', '?']) {
        return Err(ArgProblem::Wildcard);
    }
    if value.contains("../") || value.contains("/..") {
        return Err(ArgProblem::Traversal);
    }
    if !value.is_ascii() {
        return Err(ArgProblem::NonAscii);
    }
    if value.contains('/') {
        let net = parse_net(value).filter(|_| cidr(value).is_ok()).ok_or(ArgProblem::Slash)?;
        admit(scope, Target::Net(net))?;
    } else {
        admit(scope, Target::Host(&parse_host(value)?))?;
    }
    Ok(value.to_owned())
}

fn url(value: &str, schemes: &[String], scope_check: bool, scope: &Scope) -> Result<String, ArgProblem> {
    refuse_forbidden(value)?;
    let parsed = parse_url(value)?;
    let allowed = |s: &str| {
        if schemes.is_empty() {
            matches!(s, "http" | "https")
        } else {
            schemes.iter().any(|x| x.eq_ignore_ascii_case(s))
        }
    };
    if !allowed(&parsed.scheme) {
        let list = if schemes.is_empty() { "http, https".to_owned() } else { schemes.join(", ") };
        return Err(ArgProblem::SchemeNotAllowed { scheme: parsed.scheme, allowed: list });
    }
    if scope_check {
        admit(scope, Target::Host(&parsed.host))?;
    }
    Ok(value.to_owned())
}

/// Relative, with no `..` segment and no traversal sequence (the union of the Python segment
/// rule and the Rust/JS substring rule).
fn relative_path(value: &str) -> Result<String, ArgProblem> {
    refuse_forbidden(value)?;
    let drive = value.as_bytes().get(1) == Some(&b':');
    if value.starts_with(['/', '\\']) || drive {
        return Err(ArgProblem::Absolute);
    }
    if value.split(['/', '\\']).any(|seg| seg == "..") || value.contains("../") || value.contains("..\\") {
        return Err(ArgProblem::Traversal);
    }
    Ok(value.to_owned())
}

/// `address/prefix`, IPv4 or IPv6, prefix in range; host bits may be set.
fn cidr(value: &str) -> Result<IpNet, ArgProblem> {
    let (_, prefix) = value.split_once('/').ok_or(ArgProblem::NotCidr)?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ArgProblem::NotCidr);
    }
    value.parse().map_err(|_| ArgProblem::NotCidr)
}

fn msf_options(value: &str) -> Result<String, ArgProblem> {
    for pair in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, _) = pair.split_once(' ').ok_or(ArgProblem::MsfOptions { why: "expected `KEY VALUE` pairs" })?;
        let mut key_bytes = key.bytes();
        let key_ok = key_bytes.next().is_some_and(|b| b.is_ascii_uppercase())
            && key_bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !key_ok {
            return Err(ArgProblem::MsfOptions { why: "keys are upper-case letters, digits and `_`" });
        }
    }
    // `;` separates pairs; every other forbidden character is refused anywhere in the list.
    refuse_forbidden(&value.replace(';', ""))?;
    Ok(value.to_owned())
}

/// Plain seconds, or `h`, `m`, `s`, `ms` parts in that order.
fn duration(value: &str) -> Result<String, ArgProblem> {
    let mut rest = value;
    let mut seen = 0;
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(value.to_owned());
    }
    for unit in ["h", "m", "s", "ms"] {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        let after = rest.get(n..).unwrap_or_default();
        let is_unit = after.starts_with(unit) && !(unit == "m" && after.starts_with("ms"));
        if n > 0 && is_unit {
            rest = after.get(unit.len()..).unwrap_or_default();
            seen += 1;
        }
    }
    if seen > 0 && rest.is_empty() { Ok(value.to_owned()) } else { Err(ArgProblem::InvalidDuration) }
}

#[cfg(test)]
mod tests;
