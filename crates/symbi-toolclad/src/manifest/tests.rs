use std::path::Path;

use super::*;
use crate::scope::Scope;

fn compile_text(text: &str) -> Result<Tool, Vec<LoadError>> {
    let scope = Scope::default();
    let checks = Checks { scope: &scope, project_dir: Path::new(".") };
    compile(Path::new("tools/t.clad.toml"), text, &CustomTypes::default(), checks)
}

const HEAD: &str = "[tool]\nname = \"t\"\nversion = \"1\"\nbinary = \"t\"\ndescription = \"d\"\n";

fn errors(body: &str) -> Vec<String> {
    match compile_text(&format!("{HEAD}{body}")) {
        Ok(_) => vec![],
        Err(errs) => errs.iter().map(ToString::to_string).collect(),
    }
}

fn assert_error(body: &str, line: usize, needle: &str) {
    let errs = errors(body);
    assert!(
        errs.iter().any(|e| e.starts_with(&format!("tools/t.clad.toml:{line}:")) && e.contains(needle)),
        "expected line {line} `{needle}` in {errs:?}"
    );
}

#[test]
fn compiles_the_seed_nmap_manifest() {
    let tool = compile_text(
        r#"[tool]
name = "nmap_scan"
version = "7.94"
binary = "nmap"
description = "Network scan"
risk_tier = "low"
timeout_seconds = 300
[tool.cedar]
resource = "PenTest::ScanTarget"
action = "execute_tool"
[args.scan_type]
type = "enum"
allowed = ["ping", "service", "syn"]
[command]
template = "nmap {_scan_flags} -oX {_output_file}"
[command.mappings.scan_type]
ping = "-sn -PE"
service = "-sT -sV"
syn = "-sS"
[output]
format = "xml"
"#,
    )
    .unwrap();
    assert_eq!(tool.name(), "nmap_scan");
    assert_eq!(tool.timeout(), Duration::from_secs(300));
    assert_eq!(tool.cedar().unwrap().resource, "PenTest::ScanTarget");
    assert!(tool.manifest_hash().starts_with("sha256:"));
}

#[test]
fn reports_problems_at_their_line() {
    let base = "[args.x]\ntype = \"string\"\n[command]\nexec = [\"t\", \"{x}\"]\n[output]\nformat = \"text\"\n";
    assert!(errors(base).is_empty(), "{:?}", errors(base));
    assert_error("[args.x]\ntype = \"strnig\"\n[command]\nexec = [\"t\"]\n[output]\n", 6, "unknown type `strnig`");
    assert_error("[args.x]\ntype = \"string\"\nrequierd = true\n[command]\nexec = [\"t\"]\n[output]\n", 8, "requierd");
    assert_error("[args.x]\ntype = \"enum\"\n[command]\nexec = [\"t\"]\n[output]\n", 6, "non-empty `allowed`");
    assert_error("[args.x]\ntype = \"regex_match\"\n[command]\nexec = [\"t\"]\n[output]\n", 6, "needs a `pattern`");
    assert_error(
        "[args.x]\ntype = \"string\"\npattern = \"(?<=a)b\"\n[command]\nexec = [\"t\"]\n[output]\n",
        6,
        "invalid `pattern`",
    );
    assert_error(
        "[args.x]\ntype = \"integer\"\nmax = 5\ndefault = 9\n[command]\nexec = [\"t\"]\n[output]\n",
        6,
        "`default` is above the maximum 5",
    );
    assert_error("[command]\nexec = [\"t\", \"{targte}\"]\n[output]\n", 6, "`{targte}`");
    assert_error("[command]\nexec = [\"{x}\"]\n[output]\n[args.x]\ntype = \"string\"\n", 6, "first word");
    assert_error("[command]\ntemplate = \"t 'a\"\n[output]\n", 6, "unbalanced quote");
    assert_error("[command]\nexec = [\"t\"]\n", 1, "missing the `[output]`");
    assert_error("[output]\n", 1, "execution backend");
    assert_error("[command]\nexecutor = \"./x.sh\"\n[output]\n", 6, "custom executor");
    assert_error("[session]\nstartup_command = \"msf\"\n[output]\n", 6, "not supported");
    assert_error(
        "[command]\nexec = [\"t\"]\n[command.conditionals.c]\nwhen = \"x\"\ntemplate = \"-x\"\n[output]\n",
        6,
        "expected `==` or `!=`",
    );
    assert_error(
        "[command]\nexec = [\"t\"]\n[command.mappings.nope]\na = \"-a\"\n[output]\n",
        6,
        "names no declared argument",
    );
    assert_error("[command]\nexec = [\"t\"]\n[output]\nformat = \"yaml\"\n", 8, "invalid output format");
    assert_error("[command]\nexec = [\"t\"]\n[output]\nparser = \"./parse.py\"\n", 8, "not supported");
}

#[test]
fn checks_tool_keys() {
    let errs = match compile_text(
        "[tool]\nname = \"a b\"\nrisk_tier = \"extreme\"\ndispatch = \"shell\"\ntimeout_seconds = 0\n",
    ) {
        Ok(_) => panic!("accepted"),
        Err(errs) => errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
    };
    for needle in [
        "`[tool].version` is required",
        "tool name `a b`",
        "invalid risk_tier `extreme`",
        "invalid dispatch `shell`",
        "timeout_seconds",
    ] {
        assert!(errs.contains(needle), "{needle} not in {errs}");
    }
}

#[test]
fn callback_tools_need_no_backend() {
    let tool = compile_text(&format!("{HEAD}dispatch = \"callback\"\n[args.q]\ntype = \"string\"\n")).unwrap();
    assert!(tool.is_callback());
}

#[test]
fn http_plans_fix_the_scheme_and_method() {
    let ok = "[args.q]\ntype = \"string\"\n[http]\nmethod = \"post\"\nurl = \"https://api.example.com/search?q={q}\"\nheaders = { Authorization = \"Bearer {_secret:API_TOKEN}\" }\nbody_template = '{\"q\": \"{q}\"}'\n[output]\nformat = \"json\"\n";
    assert!(errors(ok).is_empty(), "{:?}", errors(ok));
    assert_error("[args.q]\ntype = \"string\"\n[http]\nurl = \"{q}\"\n[output]\n", 8, "must start with `http://`");
    assert_error("[http]\nmethod = \"TRACE\"\nurl = \"https://a.example\"\n[output]\n", 6, "invalid HTTP method");
}
