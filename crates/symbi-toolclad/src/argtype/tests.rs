use std::path::Path;

use super::*;
use crate::scope::RawScope;

fn scope() -> Scope {
    let raw: RawScope = toml::from_str(
        r#"targets = ["10.0.0.0/24", "2001:db8::/32"]
domains = ["example.com", "*.example.com"]
excludes = ["10.0.0.1"]"#,
    )
    .unwrap();
    Scope::from_raw(raw).unwrap()
}

fn check(kind: &ArgKind, value: &str) -> Result<String, ArgProblem> {
    let scope = scope();
    kind.validate(value, Checks { scope: &scope, project_dir: Path::new(env!("CARGO_MANIFEST_DIR")) })
}

#[test]
fn integers_are_strict_decimal_and_bounded() {
    let k = ArgKind::Integer(Bounds { min: Some(1), max: Some(10), clamp: false });
    assert_eq!(check(&k, "+5").unwrap(), "5");
    assert_eq!(check(&k, "11"), Err(ArgProblem::AboveMax { max: "10".into() }));
    assert_eq!(check(&k, "0"), Err(ArgProblem::BelowMin { min: "1".into() }));
    for bad in ["", " 5", "1_0", "5.0", "0x5", "٣", "99999999999999999999"] {
        assert_eq!(check(&k, bad), Err(ArgProblem::NotInteger), "{bad:?}");
    }
    let clamp = ArgKind::Integer(Bounds { min: Some(1), max: Some(10), clamp: true });
    assert_eq!(check(&clamp, "50").unwrap(), "10");
    assert_eq!(check(&clamp, "-3").unwrap(), "1");
}

#[test]
fn numbers_format_like_python() {
    let k = ArgKind::Number(Bounds::default());
    for (input, out) in [
        ("1e3", "1000.0"),
        ("0.5", "0.5"),
        ("100", "100.0"),
        ("1e16", "1e+16"),
        ("0.00001", "1e-05"),
        ("-2.50", "-2.5"),
        (".5", "0.5"),
    ] {
        assert_eq!(check(&k, input).unwrap(), out, "{input}");
    }
    for bad in ["nan", "inf", "1e999", "", "1.2.3", " 1"] {
        assert_eq!(check(&k, bad), Err(ArgProblem::NotNumber), "{bad:?}");
    }
}

#[test]
fn ports_booleans_enums() {
    let port = ArgKind::Port(Bounds::default());
    assert_eq!(check(&port, "443").unwrap(), "443");
    assert!(check(&port, "0").is_err());
    assert!(check(&port, "65536").is_err());
    assert_eq!(check(&ArgKind::Boolean, "true").unwrap(), "true");
    assert_eq!(check(&ArgKind::Boolean, "True"), Err(ArgProblem::NotBoolean));
    let e = ArgKind::Enum(vec!["ping".into(), "syn".into()]);
    assert_eq!(check(&e, "syn").unwrap(), "syn");
    assert!(check(&e, "SYN").is_err());
}

#[test]
fn scope_targets_follow_the_published_order_then_scope() {
    let k = ArgKind::ScopeTarget;
    let cases: [(&str, ArgProblem); 10] = [
        ("", ArgProblem::Empty),
        (" example.com", ArgProblem::Whitespace),
        ("a\\b", ArgProblem::Backslash),
        ("*.example.com", ArgProblem::Wildcard),
        ("a/../b", ArgProblem::Traversal),
        ("example.com/path", ArgProblem::Slash),
        ("exämple.com", ArgProblem::NonAscii),
        ("xn--exmple-cua.com", ArgProblem::Punycode),
        ("2130706433", ArgProblem::NumericHost),
        ("10.0.0.0/8", ArgProblem::OutOfScope { why: ScopeMiss::Excluded }),
    ];
    for (value, problem) in cases {
        assert_eq!(check(&k, value), Err(problem), "{value:?}");
    }
    assert_eq!(check(&k, &"a".repeat(254)), Err(ArgProblem::TooLong { max: 253 }));
    for ok in ["10.0.0.5", "10.0.0.128/25", "app.example.com", "2001:db8::5"] {
        assert_eq!(check(&k, ok).unwrap(), ok);
    }
}

#[test]
fn urls_default_to_http_and_honour_schemes_and_scope() {
    let k = ArgKind::Url { schemes: vec![], scope_check: true };
    assert!(check(&k, "https://app.example.com:8443/x?y=1").is_ok());
    assert!(matches!(check(&k, "file://example.com/etc"), Err(ArgProblem::SchemeNotAllowed { .. })));
    assert!(matches!(check(&k, "https://api.example.com.evil.com/"), Err(ArgProblem::OutOfScope { .. })));
    let ftp = ArgKind::Url { schemes: vec!["ftp".into()], scope_check: false };
    assert!(check(&ftp, "ftp://files.elsewhere.org/a").is_ok());
    assert!(check(&ftp, "https://files.elsewhere.org/a").is_err());
}

#[test]
fn paths_are_relative_without_traversal() {
    for ok in ["a/b.txt", "src", "...", "a..b/c", ""] {
        assert!(check(&ArgKind::Path, ok).is_ok(), "{ok:?}");
    }
    for bad in ["/etc/passwd", "C:x", "a/..", "../x", "....//x", "a\\..\\b", "a/../../b"] {
        assert!(check(&ArgKind::Path, bad).is_err(), "{bad:?}");
    }
}

#[test]
fn addresses_and_ranges() {
    assert!(check(&ArgKind::IpAddress, "10.0.0.9").is_ok());
    assert_eq!(check(&ArgKind::IpAddress, "fe80::1%eth0"), Err(ArgProblem::NotIp));
    assert!(matches!(check(&ArgKind::IpAddress, "8.8.8.8"), Err(ArgProblem::OutOfScope { .. })));
    assert!(check(&ArgKind::Cidr, "10.0.0.128/25").is_ok());
    for bad in ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/255.255.255.0"] {
        assert_eq!(check(&ArgKind::Cidr, bad), Err(ArgProblem::NotCidr), "{bad}");
    }
}

#[test]
fn durations_options_credentials_patterns() {
    for ok in ["30", "5m", "2h", "1h30m", "500ms", "1h2m3s4ms"] {
        assert!(check(&ArgKind::Duration, ok).is_ok(), "{ok}");
    }
    for bad in ["", "-5", "5x", "m", "30s5m", "1.5h", " 30"] {
        assert!(check(&ArgKind::Duration, bad).is_err(), "{bad:?}");
    }
    assert!(check(&ArgKind::MsfOptions, "RHOSTS 10.0.0.1; RPORT 445").is_ok());
    assert!(check(&ArgKind::MsfOptions, "rhosts 10.0.0.1").is_err());
    assert!(check(&ArgKind::MsfOptions, "CMD a|b").is_err());
    assert!(check(&ArgKind::CredentialFile, "Cargo.toml").is_ok());
    assert!(check(&ArgKind::CredentialFile, "src").is_err());
    assert!(check(&ArgKind::CredentialFile, "missing.txt").is_err());
    let p = ArgKind::RegexMatch(Pattern::new("[a-z]+").unwrap());
    assert!(check(&p, "abc").is_ok());
    assert!(check(&p, "abc1").is_err(), "patterns match the whole value");
    assert!(check(&ArgKind::String(None), "hello world").is_ok());
    assert!(check(&ArgKind::String(None), "a;b").is_err());
}
