//! Adversarial arguments: every shell metacharacter, control and invisible character, Unicode
//! look-alike, traversal and scope-bypass spelling is refused with an error naming the argument,
//! and nothing reaches the launcher.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::{project, tool_head};
use symbi_toolclad::{
    ArgProblem, CallError, Catalog, ExecContext, Executor, LaunchError, LaunchOutput, LaunchSpec, Launcher, NoSecrets,
    ProcessEnd, ToolCall,
};

/// Counts launches; the tests assert it never moves.
#[derive(Debug, Default)]
struct CountingLauncher(AtomicUsize);

impl Launcher for CountingLauncher {
    fn launch(&self, _spec: &LaunchSpec<'_>) -> Result<LaunchOutput, LaunchError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(LaunchOutput { stdout: Vec::new(), stderr: Vec::new(), end: ProcessEnd::Exited(0) })
    }
}

const SCOPE: &str = r#"targets = ["10.0.0.0/24", "2001:db8::/32"]
domains = ["example.com", "*.example.com"]
excludes = ["10.0.0.1", "admin.example.com"]
"#;

fn catalog() -> (tempfile::TempDir, Catalog) {
    let tool = |name: &str, arg: &str| {
        let head = tool_head(name, 5);
        (
            name.to_owned(),
            format!(
                "{head}[args.v]\nrequired = true\n{arg}\n[command]\nexec = [\"echo\", \"{{v}}\"]\n[output]\nformat = \"text\"\n"
            ),
        )
    };
    let tools = [
        tool("text", "type = \"string\""),
        tool("file", "type = \"path\""),
        tool("fetch", "type = \"url\"\nscope_check = true"),
        tool("scan", "type = \"scope_target\""),
        tool("ip", "type = \"ip_address\""),
        tool("net", "type = \"cidr\""),
        tool("opts", "type = \"msf_options\""),
    ];
    project(&tools, Some(SCOPE))
}

/// Validates `tool(v = value)`, expecting a refusal that names `v`; if validation ever let it
/// through, executes it so the launch counter records the escape.
fn refused(catalog: &Catalog, launcher: &Arc<CountingLauncher>, tool: &str, value: &str) -> Option<String> {
    match catalog.validate(&ToolCall::new(tool).arg("v", value)) {
        Err(CallError::InvalidArgs { errors, .. }) if errors.iter().all(|e| e.arg() == "v") => None,
        Err(other) => Some(format!("{tool}({value:?}): unexpected error {other}")),
        Ok(call) => {
            let dir = tempfile::tempdir().ok()?;
            let ctx = ExecContext { evidence_dir: dir.path(), work_dir: dir.path(), secrets: &NoSecrets };
            let _ = Executor::new(Arc::clone(launcher) as Arc<dyn Launcher>).execute(&call, &ctx);
            Some(format!("{tool}({value:?}) was accepted: {:?}", call.argv_preview()))
        }
    }
}

fn assert_all_refused(tool_values: &[(&str, String)]) {
    let (_dir, catalog) = catalog();
    let launcher = Arc::new(CountingLauncher::default());
    let escapes: Vec<String> =
        tool_values.iter().filter_map(|(tool, value)| refused(&catalog, &launcher, tool, value)).collect();
    assert!(escapes.is_empty(), "{}", escapes.join("\n"));
    assert_eq!(launcher.0.load(Ordering::SeqCst), 0, "nothing may run");
}

const TEXT_TOOLS: [&str; 4] = ["text", "file", "fetch", "scan"];

#[test]
fn every_shell_metacharacter_is_refused() {
    let values: Vec<(&str, String)> = TEXT_TOOLS
        .iter()
        .flat_map(|tool| ";|&$`(){}[]<>!\n\r#\\'\"".chars().map(move |c| (*tool, format!("a{c}b"))))
        .chain(
            ["$(id)", "`id`", "a;rm -rf /", "a && b", "a || b", "a > /etc/x", "${IFS}", "a\nb"]
                .iter()
                .map(|v| ("text", (*v).to_owned())),
        )
        .collect();
    assert_all_refused(&values);
}

#[test]
fn controls_invisibles_and_lookalikes_are_refused() {
    let specials = [
        '\0',
        '\t',
        '\u{b}',
        '\u{c}',
        '\u{1b}',
        '\u{7f}',
        '\u{85}',
        '\u{a0}',
        '\u{ad}',
        '\u{200b}',
        '\u{200c}',
        '\u{200d}',
        '\u{200e}',
        '\u{200f}',
        '\u{2028}',
        '\u{2029}',
        '\u{202a}',
        '\u{202b}',
        '\u{202c}',
        '\u{202d}',
        '\u{202e}',
        '\u{2060}',
        '\u{2066}',
        '\u{2067}',
        '\u{2068}',
        '\u{2069}',
        '\u{feff}',
        '\u{ff1b}',
        '\u{ff5c}',
        '\u{ff04}',
        '\u{ff06}',
        '\u{ff1c}',
        '\u{ff1e}',
        '\u{fe54}',
        '\u{037e}',
        '\u{2018}',
        '\u{2019}',
        '\u{201c}',
        '\u{201d}',
        '\u{2215}',
        '\u{2044}',
        '\u{01c3}',
        '\u{02c2}',
        '\u{e0001}',
    ];
    let values: Vec<(&str, String)> =
        TEXT_TOOLS.iter().flat_map(|tool| specials.iter().map(move |c| (*tool, format!("a{c}b")))).collect();
    assert_all_refused(&values);
}

#[test]
fn path_traversal_is_refused() {
    let values =
        ["../etc/passwd", "a/../../b", "a/..", "..", "./../x", "....//x", "/etc/passwd", "C:x", "a\\..\\b", "..\\x"];
    assert_all_refused(&values.iter().map(|v| ("file", (*v).to_owned())).collect::<Vec<_>>());
}

#[test]
fn scope_bypass_spellings_are_refused() {
    let scan = [
        "10.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:a00:1",
        "0:0:0:0:0:ffff:10.0.0.1",
        "::ffff:10.0.0.0/120",
        "10.0.0.0/24",
        "10.0.0.0/16",
        "0.0.0.0/0",
        "::/0",
        "167772161",
        "0xa000001",
        "0x0a.0.0.1",
        "012.0.0.1",
        "10.1",
        "10.0.1",
        "10.0.0.01",
        "admin.example.com.",
        "ADMIN.EXAMPLE.COM",
        "admin.example.com..",
        "admin.example.com:80",
        "[::ffff:10.0.0.1]",
        "evil.com",
        "example.com.evil.com",
        "evil-example.com",
        "10.0.1.1",
        "xn--admin-9ua.example.com",
        "аdmin.example.com",
    ];
    let mut values: Vec<(&str, String)> = scan.iter().map(|v| ("scan", (*v).to_owned())).collect();
    for v in ["10.0.0.1", "::ffff:10.0.0.1", "10.0.1.1", "2001:db9::1"] {
        values.push(("ip", v.to_owned()));
    }
    for v in ["10.0.0.0/16", "10.0.0.0/31", "::ffff:10.0.0.0/120", "0.0.0.0/0"] {
        values.push(("net", v.to_owned()));
    }
    for v in [
        "http://admin.example.com/",
        "http://ADMIN.example.com./",
        "http://10.0.0.1/",
        "http://167772161/",
        "http://example.com@evil.com/",
        "http://evil.com/?x=example.com",
        "http://example.com.evil.com/",
        "file://example.com/etc/passwd",
        "gopher://example.com/",
    ] {
        values.push(("fetch", v.to_owned()));
    }
    assert_all_refused(&values);
}

#[test]
fn in_scope_values_still_pass() {
    let (_dir, catalog) = catalog();
    for (tool, v) in [
        ("scan", "10.0.0.2"),
        ("scan", "app.example.com"),
        ("scan", "10.0.0.128/25"),
        ("scan", "2001:db8::5"),
        ("fetch", "https://app.example.com/x"),
        ("ip", "10.0.0.9"),
        ("net", "10.0.0.64/26"),
    ] {
        assert!(catalog.validate(&ToolCall::new(tool).arg("v", v)).is_ok(), "{tool}({v})");
    }
}

#[test]
fn errors_name_the_argument_and_the_reason_without_echoing_it() {
    let (_dir, catalog) = catalog();
    let Err(err) = catalog.validate(&ToolCall::new("text").arg("v", "a\u{202e}b")) else { panic!("accepted") };
    let message = err.to_string();
    assert_eq!(message, "invalid arguments for tool `text`: argument `v` contains the forbidden character U+202E");
    let Err(CallError::InvalidArgs { errors, .. }) = catalog.validate(&ToolCall::new("scan").arg("v", "10.0.0.1"))
    else {
        panic!("accepted")
    };
    assert!(matches!(errors.first().map(|e| e.problem()), Some(ArgProblem::OutOfScope { .. })));
    assert!(errors.iter().all(|e| e.to_string().contains("listed in `excludes`")), "{errors:?}");
}
