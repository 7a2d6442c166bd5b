//! Golden diagnostics: every file under `tests/corpus/invalid` fails, and its rendered
//! diagnostics match the committed snapshot in `tests/snapshots/` (review changes with
//! `cargo insta review`, or regenerate with `INSTA_UPDATE=always`).

use std::fs;
use std::path::{Path, PathBuf};

#[expect(clippy::unwrap_used, reason = "a missing or unreadable fixture fails the test")]
fn invalid_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/invalid");
    let mut files: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "symbi"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

/// Parse errors if there are any, otherwise semantic errors, rendered as the CLI shows them.
fn diagnostics(name: &str, source: &str) -> String {
    match symbi_dsl::parse(source) {
        Err(errors) => symbi_dsl::render(name, source, &errors),
        Ok(file) => match symbi_dsl::check(&file) {
            Err(errors) => symbi_dsl::render(name, source, &errors),
            Ok(_) => String::new(),
        },
    }
}

#[test]
fn invalid_files_match_their_golden_diagnostics() {
    for path in invalid_files() {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let source = fs::read_to_string(&path).unwrap();
        let rendered = diagnostics(&format!("{stem}.symbi"), &source);
        assert!(!rendered.is_empty(), "{stem}.symbi has no errors");
        insta::assert_snapshot!(stem, rendered);
    }
}

#[test]
fn invalid_files_are_refused_by_the_formatter_when_they_do_not_parse() {
    for path in invalid_files() {
        let source = fs::read_to_string(&path).unwrap();
        if symbi_dsl::parse(&source).is_err() {
            assert!(matches!(symbi_dsl::format(&source), Err(symbi_dsl::FormatError::Parse { .. })));
        }
    }
}
