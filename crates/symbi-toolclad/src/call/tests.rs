use std::path::Path;

use super::*;
use crate::manifest::compile;
use crate::scope::Scope;

fn tool(body: &str) -> Arc<Tool> {
    let text = format!(
        "[tool]\nname = \"t\"\nversion = \"1\"\nbinary = \"t\"\ndescription = \"d\"\n{body}\n[output]\nformat = \"text\"\n"
    );
    let scope = Scope::default();
    let checks = Checks { scope: &scope, project_dir: Path::new(".") };
    Arc::new(compile(Path::new("t.clad.toml"), &text, &Default::default(), checks).unwrap())
}

fn argv(tool: &Arc<Tool>, args: &[(&str, &str)]) -> Result<Vec<String>, CallError> {
    let scope = Scope::default();
    let checks = Checks { scope: &scope, project_dir: Path::new(".") };
    let call = args.iter().fold(ToolCall::new("t"), |c, (k, v)| c.arg(*k, *v));
    validate(tool, &call, checks).map(|v| v.argv_preview())
}

const NMAP: &str = r#"[args.target]
type = "string"
required = true
[args.scan_type]
type = "enum"
allowed = ["ping", "service"]
default = "ping"
[args.port]
type = "string"
[command]
template = "nmap {_scan_flags} {_port_flag} -oX {_output_file} {target}"
[command.mappings.scan_type]
ping = "-sn -PE"
service = "-sT -sV --version-intensity 5"
[command.conditionals.port_flag]
when = "port != ''"
template = "-p {port}"
"#;

#[test]
fn template_commands_expand_mappings_and_conditionals() {
    let t = tool(NMAP);
    assert_eq!(argv(&t, &[("target", "host")]).unwrap(), ["nmap", "-sn", "-PE", "-oX", "{_output_file}", "host"]);
    assert_eq!(
        argv(&t, &[("target", "host"), ("scan_type", "service"), ("port", "22")]).unwrap(),
        ["nmap", "-sT", "-sV", "--version-intensity", "5", "-p", "22", "-oX", "{_output_file}", "host"]
    );
}

#[test]
fn values_stay_one_word_even_with_spaces() {
    let t = tool(NMAP);
    let out = argv(&t, &[("target", "a -oN /tmp/x")]).unwrap();
    assert_eq!(out.last().map(String::as_str), Some("a -oN /tmp/x"));
}

#[test]
fn exec_commands_keep_elements_whole() {
    let t = tool(
        "[args.q]\ntype = \"string\"\n[args.n]\ntype = \"integer\"\ndefault = 3\n[command]\nexec = [\"grep\", \"-m\", \"{n}\", \"--\", \"{q}\", \"{_secret:TOKEN}\"]\n",
    );
    assert_eq!(argv(&t, &[("q", "two words")]).unwrap(), ["grep", "-m", "3", "--", "two words", "{_secret:TOKEN}"]);
    assert_eq!(argv(&t, &[]).unwrap(), ["grep", "-m", "3", "--", "", "{_secret:TOKEN}"]);
}

#[test]
fn collects_every_argument_error() {
    let t = tool(NMAP);
    let err = argv(&t, &[("scan_type", "udp"), ("bogus", "1"), ("port", "1;2")]).unwrap_err();
    let CallError::InvalidArgs { errors, .. } = err else { panic!("{err}") };
    let mut names: Vec<_> = errors.iter().map(|e| (e.arg().to_owned(), e.problem().clone())).collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let allowed = ArgProblem::NotAllowed { allowed: "ping, service".into() };
    let expected = [
        ("bogus".to_owned(), ArgProblem::Unknown),
        ("port".to_owned(), ArgProblem::ForbiddenChar { shown: "`;`".into() }),
        ("scan_type".to_owned(), allowed),
        ("target".to_owned(), ArgProblem::Missing),
    ];
    assert_eq!(names, expected);
}

#[test]
fn json_arguments_convert_scalars_and_refuse_structures() {
    let t = tool(
        "[args.n]\ntype = \"integer\"\n[args.b]\ntype = \"boolean\"\n[args.o]\ntype = \"string\"\n[command]\nexec = [\"t\", \"{n}\", \"{b}\"]\n",
    );
    let args = serde_json::json!({"n": 5, "b": true}).as_object().cloned().unwrap();
    let scope = Scope::default();
    let checks = Checks { scope: &scope, project_dir: Path::new(".") };
    assert_eq!(validate(&t, &ToolCall::from_json("t", &args), checks).unwrap().argv_preview(), ["t", "5", "true"]);
    let bad = serde_json::json!({"o": ["x"]}).as_object().cloned().unwrap();
    assert!(validate(&t, &ToolCall::from_json("t", &bad), checks).is_err());
}

#[test]
fn http_values_are_encoded_for_their_place() {
    let t = tool(
        "[args.q]\ntype = \"string\"\n[http]\nmethod = \"POST\"\nurl = \"https://api.example.com/s/{q}\"\nbody_template = '{\"q\": \"{q}\"}'\n",
    );
    let scope = Scope::default();
    let checks = Checks { scope: &scope, project_dir: Path::new(".") };
    let call = validate(&t, &ToolCall::new("t").arg("q", "a/../admin?x=1 2"), checks).unwrap();
    assert_eq!(call.command_preview(), "POST https://api.example.com/s/a%2F..%2Fadmin%3Fx%3D1%202");
    let Rendered::Http(http) = &call.rendered else { panic!() };
    assert_eq!(render::preview(http.body.as_ref().unwrap()), r#"{"q": "a/../admin?x=1 2"}"#);
}
