//! Property tests: validation is total (never panics), refuses any value carrying a forbidden
//! character whatever surrounds it, keeps accepted values as exactly one argv word, and refuses
//! every spelling of an excluded address.

mod support;

use std::net::Ipv4Addr;
use std::sync::OnceLock;

use proptest::prelude::*;
use support::{project, tool_head};
use symbi_toolclad::{Catalog, ToolCall};

const TYPES: [&str; 15] = [
    "string",
    "integer",
    "number",
    "port",
    "boolean",
    "scope_target",
    "url",
    "path",
    "ip_address",
    "cidr",
    "msf_options",
    "credential_file",
    "duration",
    "regex_match",
    "enum",
];

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<(tempfile::TempDir, Catalog)> = OnceLock::new();
    &CATALOG
        .get_or_init(|| {
            let mut tools: Vec<(String, String)> = TYPES
                .iter()
                .map(|ty| {
                    let extra = match *ty {
                        "regex_match" => "pattern = \"[a-z0-9 ]+\"\n",
                        "enum" => "allowed = [\"a\", \"b c\"]\n",
                        _ => "",
                    };
                    let body = format!("[args.v]\ntype = \"{ty}\"\nrequired = true\n{extra}[command]\nexec = [\"echo\", \"{{v}}\", \"end\"]\n[output]\n");
                    (format!("t_{ty}"), format!("{}{body}", tool_head(&format!("t_{ty}"), 5)))
                })
                .collect();
            let template = "[args.v]\ntype = \"string\"\nrequired = true\n[command]\ntemplate = \"echo -x {v} end\"\n[output]\n";
            tools.push(("tpl".into(), format!("{}{template}", tool_head("tpl", 5))));
            let scope = "targets = [\"10.0.0.0/8\"]\ndomains = [\"*.example.com\"]\nexcludes = [\"10.9.9.0/28\"]\n";
            project(&tools, Some(scope))
        })
        .1
}

fn validate(tool: &str, value: &str) -> Result<Vec<String>, symbi_toolclad::CallError> {
    catalog().validate(&ToolCall::new(tool).arg("v", value)).map(|c| c.argv_preview())
}

fn forbidden() -> impl Strategy<Value = char> {
    prop::sample::select(vec![
        ';', '|', '&', '$', '`', '(', ')', '{', '}', '[', ']', '<', '>', '!', '\n', '\r', '#', '\\', '\'', '"', '\0',
        '\t', '\u{7f}', '\u{202e}', '\u{2066}', '\u{200b}', '\u{feff}', '\u{ff1b}', '\u{037e}', '\u{2028}',
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn validation_is_total(ty in prop::sample::select(TYPES.to_vec()), value in any::<String>()) {
        let _ = validate(&format!("t_{ty}"), &value);
    }

    #[test]
    fn a_forbidden_character_anywhere_is_refused(
        ty in prop::sample::select(vec!["string", "path", "url", "scope_target", "regex_match", "msf_options"]),
        prefix in "[a-z0-9 ./:-]{0,12}",
        c in forbidden(),
        suffix in "[a-z0-9 ./:-]{0,12}",
    ) {
        let (tool, value) = (format!("t_{ty}"), format!("{prefix}{c}{suffix}"));
        prop_assert!(validate(&tool, &value).is_err(), "{} accepted {:?}", tool, value);
    }

    #[test]
    fn accepted_values_are_one_argv_word(value in any::<String>()) {
        for tool in ["t_string", "tpl"] {
            if let Ok(argv) = validate(tool, &value) {
                // An empty value in a legacy template vanishes, as in the published shlex split.
                let dropped = tool == "tpl" && value.is_empty();
                prop_assert_eq!(argv.len(), if tool == "tpl" && !dropped { 4 } else { 3 });
                prop_assert!(dropped || argv.contains(&value));
            }
        }
    }

    #[test]
    fn excluded_addresses_are_refused_in_every_spelling(host in 0u8..16) {
        let ip = Ipv4Addr::new(10, 9, 9, host);
        let bits = u32::from(ip);
        for spelling in [ip.to_string(), format!("::ffff:{ip}"), format!("::ffff:{:x}:{:x}", bits >> 16, bits & 0xffff), bits.to_string(), format!("{bits:#x}"), format!("{ip}/32"), "10.9.9.0/24".to_owned()] {
            prop_assert!(validate("t_scope_target", &spelling).is_err(), "{} accepted", spelling);
        }
        prop_assert!(validate("t_ip_address", &ip.to_string()).is_err());
    }

    #[test]
    fn addresses_in_scope_pass_only_in_canonical_form(a in 0u8..=255, b in 0u8..=255, c in 0u8..=255) {
        prop_assume!((a, b) != (9, 9));
        let ip = Ipv4Addr::new(10, a, b, c);
        prop_assert_eq!(validate("t_scope_target", &ip.to_string()).ok(), Some(vec!["echo".to_owned(), ip.to_string(), "end".to_owned()]));
        prop_assert!(validate("t_scope_target", &u32::from(ip).to_string()).is_err());
    }
}
