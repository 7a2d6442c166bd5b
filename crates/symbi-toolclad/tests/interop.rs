//! Interop with the published `toolclad` 0.6.1 Python package: on one corpus of manifests and
//! argument vectors, validation verdicts and built argv agree, except the cases marked
//! `Stricter` (we refuse what Python accepts) or `ArgvDiffers` (both accept; we keep a value as
//! one word where Python re-splits it). Each exception is listed in docs/toolclad.md.
//!
//! The interpreter is `$SYMBI_TEST_PYTHON` (set by scripts/test.sh to the interop venv), else
//! `python3` on `PATH`; a missing package fails the test rather than skipping it.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use symbi_toolclad::ToolCall;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Agree,
    Stricter,
    ArgvDiffers,
}
use Expect::{Agree, ArgvDiffers, Stricter};

/// Tool, arguments, expected relation to Python.
type Case = (&'static str, &'static [(&'static str, &'static str)], Expect);

/// One tool per type (`t_<name>`), each with one required argument `v` and `exec = ["echo", "{v}"]`.
const TYPED: &[(&str, &str)] = &[
    ("string", "type = \"string\""),
    ("anchored", "type = \"string\"\npattern = \"^[a-z]+$\""),
    ("unanchored", "type = \"string\"\npattern = \"[a-z]+\""),
    ("integer", "type = \"integer\"\nmin = 1\nmax = 100"),
    ("clamped", "type = \"integer\"\nmin = 1\nmax = 100\nclamp = true"),
    ("number", "type = \"number\""),
    ("port", "type = \"port\""),
    ("boolean", "type = \"boolean\""),
    ("enum", "type = \"enum\"\nallowed = [\"ping\", \"syn\"]"),
    ("scope_target", "type = \"scope_target\""),
    ("url", "type = \"url\""),
    ("https_url", "type = \"url\"\nschemes = [\"https\"]"),
    ("path", "type = \"path\""),
    ("ip_address", "type = \"ip_address\""),
    ("cidr", "type = \"cidr\""),
    ("duration", "type = \"duration\""),
    ("regex_match", "type = \"regex_match\"\npattern = \"^[a-z]{3}$\""),
    ("msf_options", "type = \"msf_options\""),
    ("credential_file", "type = \"credential_file\""),
];

const NMAP: &str = r#"[args.target]
type = "string"
required = true
[args.scan_type]
type = "enum"
allowed = ["ping", "service"]
default = "ping"
[args.port]
type = "string"
[args.rate]
type = "integer"
[command]
template = "nmap {_scan_flags} {_port_flag} {_rate_flag} {target}"
[command.mappings.scan_type]
ping = "-sn -PE"
service = "-sT -sV --version-intensity 5"
[command.conditionals.port_flag]
when = "port != ''"
template = "-p {port}"
[command.conditionals.rate_flag]
when = "rate != '' and rate != 0"
template = "--max-rate {rate}"
"#;

const GREP: &str = r#"[args.text]
type = "string"
required = true
[args.count]
type = "integer"
default = 5
[args.mode]
type = "enum"
allowed = ["fixed", "regex"]
default = "fixed"
[command]
exec = ["grep", "{_mode_flags}", "-m", "{count}", "--", "{text}", "{_either}"]
[command.defaults]
_dir = "."
[command.mappings.mode]
fixed = "-F"
regex = "-E"
[command.conditionals.either]
when = "mode == 'regex' or count == 1"
template = "{_dir}"
"#;

#[rustfmt::skip]
const CASES: &[Case] = &[
    ("t_string", &[("v", "hello")], Agree),
    ("t_string", &[("v", "hello world")], Agree),
    ("t_string", &[("v", "café 50% ~user *.txt")], Agree),
    ("t_string", &[("v", "a;b")], Agree),
    ("t_string", &[("v", "a|b")], Agree),
    ("t_string", &[("v", "$(id)")], Agree),
    ("t_string", &[("v", "`id`")], Agree),
    ("t_string", &[("v", "a&b")], Agree),
    ("t_string", &[("v", "a>b")], Agree),
    ("t_string", &[("v", "a<b")], Agree),
    ("t_string", &[("v", "!x")], Agree),
    ("t_string", &[("v", "{x}")], Agree),
    ("t_string", &[("v", "[x]")], Agree),
    ("t_string", &[("v", "a\nb")], Agree),
    ("t_string", &[("v", "a\rb")], Agree),
    ("t_string", &[("v", "a#b")], Stricter),
    ("t_string", &[("v", "a'b")], Stricter),
    ("t_string", &[("v", "a\"b")], Stricter),
    ("t_string", &[("v", "a\\b")], Stricter),
    ("t_string", &[("v", "a\tb")], Stricter),
    ("t_string", &[("v", "a\u{0}b")], Stricter),
    ("t_string", &[("v", "abc\u{202e}txt.exe")], Stricter),
    ("t_string", &[("v", "a\u{200b}b")], Stricter),
    ("t_string", &[("v", "a\u{ff1b}b")], Stricter),
    ("t_string", &[("v", "a\u{37e}b")], Stricter),
    ("t_anchored", &[("v", "abc")], Agree),
    ("t_anchored", &[("v", "abc1")], Agree),
    ("t_unanchored", &[("v", "abc")], Agree),
    ("t_unanchored", &[("v", "abc1")], Stricter),
    ("t_integer", &[("v", "5")], Agree),
    ("t_integer", &[("v", "+5")], Agree),
    ("t_integer", &[("v", "0")], Agree),
    ("t_integer", &[("v", "101")], Agree),
    ("t_integer", &[("v", "5.0")], Agree),
    ("t_integer", &[("v", "abc")], Agree),
    ("t_integer", &[("v", " 5")], Stricter),
    ("t_integer", &[("v", "1_0")], Stricter),
    ("t_clamped", &[("v", "500")], Agree),
    ("t_clamped", &[("v", "-3")], Agree),
    ("t_number", &[("v", "1e3")], Agree),
    ("t_number", &[("v", "0.5")], Agree),
    ("t_number", &[("v", "-2.50")], Agree),
    ("t_number", &[("v", "1e16")], Agree),
    ("t_number", &[("v", "0.00001")], Agree),
    ("t_number", &[("v", "nan")], Agree),
    ("t_number", &[("v", "inf")], Agree),
    ("t_number", &[("v", "1_0.5")], Stricter),
    ("t_port", &[("v", "443")], Agree),
    ("t_port", &[("v", "080")], Agree),
    ("t_port", &[("v", "0")], Agree),
    ("t_port", &[("v", "65536")], Agree),
    ("t_boolean", &[("v", "true")], Agree),
    ("t_boolean", &[("v", "false")], Agree),
    ("t_boolean", &[("v", "yes")], Agree),
    ("t_boolean", &[("v", "True")], Stricter),
    ("t_enum", &[("v", "syn")], Agree),
    ("t_enum", &[("v", "SYN")], Agree),
    ("t_scope_target", &[("v", "10.0.0.1")], Agree),
    ("t_scope_target", &[("v", "scan.example.com")], Agree),
    ("t_scope_target", &[("v", "10.0.0.0/24")], Agree),
    ("t_scope_target", &[("v", "2001:db8::1")], Agree),
    ("t_scope_target", &[("v", "")], Agree),
    ("t_scope_target", &[("v", " example.com")], Agree),
    ("t_scope_target", &[("v", "*.example.com")], Agree),
    ("t_scope_target", &[("v", "a/../b")], Agree),
    ("t_scope_target", &[("v", "example.com/x")], Agree),
    ("t_scope_target", &[("v", "xn--80ak6aa92e.com")], Agree),
    ("t_scope_target", &[("v", "exämple.com")], Agree),
    ("t_scope_target", &[("v", "a\\b")], Agree),
    ("t_scope_target", &[("v", "a..b")], Agree),
    ("t_scope_target", &[("v", "2130706433")], Stricter),
    ("t_scope_target", &[("v", "0x7f000001")], Stricter),
    ("t_scope_target", &[("v", "127.1")], Stricter),
    ("t_scope_target", &[("v", "999.1.1.1")], Stricter),
    ("t_scope_target", &[("v", "example.com.")], Stricter),
    ("t_url", &[("v", "https://example.com/x")], Agree),
    ("t_url", &[("v", "http://example.com:8080/a?b=c")], Agree),
    ("t_url", &[("v", "example.com")], Agree),
    ("t_url", &[("v", "javascript:alert(1)")], Agree),
    ("t_url", &[("v", "ftp://example.com/")], Stricter),
    ("t_url", &[("v", "http://user@example.com/")], Stricter),
    ("t_url", &[("v", "https://example.com/a b")], Stricter),
    ("t_url", &[("v", "http://2130706433/")], Stricter),
    ("t_https_url", &[("v", "https://example.com")], Agree),
    ("t_https_url", &[("v", "http://example.com")], Agree),
    ("t_path", &[("v", "a/b.txt")], Agree),
    ("t_path", &[("v", "/etc/passwd")], Agree),
    ("t_path", &[("v", "../x")], Agree),
    ("t_path", &[("v", "a/..")], Agree),
    ("t_path", &[("v", "C:x")], Agree),
    ("t_path", &[("v", "....//x")], Stricter),
    ("t_ip_address", &[("v", "10.0.0.1")], Agree),
    ("t_ip_address", &[("v", "::1")], Agree),
    ("t_ip_address", &[("v", "01.1.1.1")], Agree),
    ("t_ip_address", &[("v", "256.1.1.1")], Agree),
    ("t_ip_address", &[("v", "fe80::1%eth0")], Stricter),
    ("t_cidr", &[("v", "10.0.0.0/8")], Agree),
    ("t_cidr", &[("v", "10.0.0.1/24")], Agree),
    ("t_cidr", &[("v", "2001:db8::/32")], Agree),
    ("t_cidr", &[("v", "10.0.0.0")], Agree),
    ("t_cidr", &[("v", "10.0.0.0/255.0.0.0")], Stricter),
    ("t_duration", &[("v", "30")], Agree),
    ("t_duration", &[("v", "1h30m")], Agree),
    ("t_duration", &[("v", "500ms")], Agree),
    ("t_duration", &[("v", "")], Agree),
    ("t_duration", &[("v", "5x")], Agree),
    ("t_duration", &[("v", "-5")], Stricter),
    ("t_regex_match", &[("v", "abc")], Agree),
    ("t_regex_match", &[("v", "abcd")], Agree),
    ("t_msf_options", &[("v", "RHOSTS 10.0.0.1; RPORT 445")], Agree),
    ("t_msf_options", &[("v", "rhosts 10.0.0.1")], Agree),
    ("t_msf_options", &[("v", "CMD a|b")], Agree),
    ("t_credential_file", &[("v", "creds.txt")], Agree),
    ("t_credential_file", &[("v", "missing.txt")], Agree),
    ("t_credential_file", &[("v", "../creds.txt")], Agree),
    ("t_string", &[], Agree),
    ("t_string", &[("v", "x"), ("extra", "1")], Stricter),
    ("nmap", &[("target", "host")], Agree),
    ("nmap", &[("target", "host"), ("scan_type", "service"), ("port", "22,80")], Agree),
    ("nmap", &[("target", "host"), ("rate", "0")], Agree),
    ("nmap", &[("target", "host"), ("rate", "100"), ("port", "1-1000")], Agree),
    ("nmap", &[("target", "host"), ("scan_type", "udp")], Agree),
    ("nmap", &[("target", "a -oN /tmp/x")], ArgvDiffers),
    ("grep", &[("text", "needle")], Agree),
    ("grep", &[("text", "two words"), ("mode", "regex")], Agree),
    ("grep", &[("text", "x"), ("count", "1")], Agree),
];

#[test]
fn verdicts_and_argv_agree_with_python_toolclad() {
    let (dir, catalog) = corpus();
    let python = run_python(dir.path());
    assert_eq!(python.get("version"), Some(&json!("0.6.1")), "expected toolclad 0.6.1");
    let results = python.get("results").and_then(Value::as_array).cloned().unwrap_or_default();
    assert_eq!(results.len(), CASES.len());
    let mut problems = Vec::new();
    for ((tool, args, expect), theirs) in CASES.iter().zip(&results) {
        let call = args.iter().fold(ToolCall::new(*tool), |c, (k, v)| c.arg(*k, *v));
        let ours = catalog.validate(&call).map(|v| v.argv_preview());
        let their_argv: Option<Vec<String>> = theirs
            .get("ok")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            .then(|| serde_json::from_value(theirs.get("argv").cloned().unwrap_or_default()).unwrap_or_default());
        let verdict = match (&ours, &their_argv, expect) {
            (Ok(a), Some(b), Agree) if a == b => None,
            (Err(_), None, Agree) => None,
            (Err(_), Some(_), Stricter) => None,
            (Ok(a), Some(b), ArgvDiffers) if a != b => None,
            _ => Some(format!("{tool} {args:?} expected {expect:?}: ours {ours:?}, python {theirs}")),
        };
        problems.extend(verdict);
    }
    assert!(problems.is_empty(), "{} disagreements:\n{}", problems.len(), problems.join("\n"));
}

/// A project with every corpus manifest, a credential file and a scope admitting everything.
fn corpus() -> (tempfile::TempDir, symbi_toolclad::Catalog) {
    let mut manifests: Vec<(String, String)> = TYPED
        .iter()
        .map(|(name, arg)| {
            let head = support::tool_head(&format!("t_{name}"), 10);
            (format!("t_{name}"), format!("{head}[args.v]\nrequired = true\n{arg}\n[command]\nexec = [\"echo\", \"{{v}}\"]\n[output]\nformat = \"text\"\n"))
        })
        .collect();
    for (name, body) in [("nmap", NMAP), ("grep", GREP)] {
        manifests
            .push((name.to_owned(), format!("{}{body}[output]\nformat = \"text\"\n", support::tool_head(name, 10))));
    }
    let scope = "targets = [\"0.0.0.0/0\", \"::/0\"]\ndomains = [\"example.com\", \"*.example.com\", \"host\"]\n";
    let (dir, catalog) = support::project(&manifests, Some(scope));
    write_file(&dir.path().join("creds.txt"));
    (dir, catalog)
}

#[expect(clippy::unwrap_used, reason = "a corpus file that cannot be written fails the test")]
fn write_file(path: &Path) {
    std::fs::write(path, "user:secret\n").unwrap();
}

#[expect(
    clippy::disallowed_methods,
    reason = "the interop test runs the published Python package, chosen by SYMBI_TEST_PYTHON"
)]
#[expect(clippy::unwrap_used, clippy::panic, reason = "a Python that cannot run the driver fails the test")]
fn run_python(project: &Path) -> Value {
    let python = std::env::var("SYMBI_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/toolclad_driver.py");
    let cases: Vec<Value> = CASES
        .iter()
        .map(|(tool, args, _)| {
            let manifest = project.join("tools").join(format!("{tool}.clad.toml"));
            let args: serde_json::Map<String, Value> = args.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect();
            json!({"manifest": manifest, "args": args})
        })
        .collect();
    let mut child = Command::new(&python)
        .arg(&driver)
        .current_dir(project)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{python}` (set SYMBI_TEST_PYTHON to the interop venv): {e}"));
    child.stdin.take().unwrap().write_all(json!({"cases": cases}).to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "driver failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}
