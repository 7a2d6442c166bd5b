use super::{FormatError, format};

fn check(input: &str, expected: &str) {
    let out = format(input).unwrap_or_else(|e| panic!("format failed: {e:?}"));
    assert_eq!(out, expected, "\n--- got ---\n{out}");
    assert_eq!(format(&out).unwrap(), out, "not idempotent");
}

#[test]
fn seed_is_indented() {
    check(
        "agent a(input: DataSet) -> Result {\npolicy p {\nallow: read(input) if input.verified == true\n}\n}\n",
        "agent a(input: DataSet) -> Result {\n    policy p {\n        allow: read(input) if input.verified == true\n    }\n}\n",
    );
}

#[test]
fn refuses_source_with_errors() {
    assert!(matches!(format("agent {"), Err(FormatError::Parse { .. })));
}

#[test]
fn comments_and_blank_lines_are_kept() {
    check(
        "# header\nmetadata{version=\"1\" // trailing\n\n\n// own line\nauthor:\"x\",}\n// before agent\nagent a{ // after brace\nwith {x=1; # end\n}\n// last in agent\n}\n// end of file\n",
        "# header\nmetadata {\n    version = \"1\" // trailing\n\n    // own line\n    author = \"x\"\n}\n\n\
         // before agent\nagent a { // after brace\n    with {\n        x = 1; # end\n    }\n    // last in agent\n}\n\
         // end of file\n",
    );
}

#[test]
fn comments_inside_expressions_move_to_the_next_line_and_stay() {
    check(
        "agent a {\n    with {\n        x = [1, // one\n            2];\n        y = 2;\n    }\n}\n",
        "agent a {\n    with {\n        x = [1, 2];\n        // one\n        y = 2;\n    }\n}\n",
    );
}

#[test]
fn canonical_spelling() {
    check(
        "schedule s {\n    cron: \"@daily\", agent \"a\"\n}\nfunction f() {\n    x = not (a && b) || c;\n    y = (1_000 + 2) * 3;\n}\n",
        "schedule s {\n    cron = \"@daily\"\n    agent = \"a\"\n}\n\nfunction f() {\n    x = !(a && b) || c;\n    y = (1000 + 2) * 3;\n}\n",
    );
}

#[test]
fn empty_and_comment_only_sources() {
    check("", "");
    check("\n\n", "");
    check("// only\n\n# comments\n", "// only\n\n# comments\n");
}
