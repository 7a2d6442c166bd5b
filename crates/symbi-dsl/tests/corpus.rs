//! Data-driven corpus tests: every file under `tests/corpus/valid` parses, checks, formats
//! idempotently and round-trips; every file under `tests/corpus/invalid` fails with exactly
//! the diagnostics in its `.expected` file (regenerate with `SYMBI_BLESS=1`).

use std::fs;
use std::path::{Path, PathBuf};

#[expect(clippy::unwrap_used, reason = "a missing or unreadable fixture fails the test")]
fn corpus(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus").join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "symbi"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {}", root.display());
    files
}

#[expect(clippy::unwrap_used, reason = "a missing or unreadable fixture fails the test")]
fn name(path: &Path) -> String {
    format!("corpus/{}", path.file_name().unwrap().to_string_lossy())
}

#[test]
fn valid_files_parse_format_and_round_trip() {
    for path in corpus("valid") {
        let source = fs::read_to_string(&path).unwrap();
        let file = match symbi_dsl::parse(&source) {
            Ok(file) => file,
            Err(errors) => panic!("{}", symbi_dsl::render(&name(&path), &source, &errors)),
        };
        if let Err(errors) = symbi_dsl::check(&file) {
            panic!("{}", symbi_dsl::render(&name(&path), &source, &errors));
        }
        let formatted = symbi_dsl::format(&source).unwrap_or_else(|e| panic!("{}: {e:?}", name(&path)));
        let reparsed = symbi_dsl::parse(&formatted).unwrap();
        assert_eq!(reparsed.without_spans(), file.without_spans(), "{}: round trip changed the tree", name(&path));
        assert_eq!(symbi_dsl::format(&formatted).unwrap(), formatted, "{}: format is not idempotent", name(&path));
        let printed = symbi_dsl::print(&file);
        assert_eq!(symbi_dsl::parse(&printed).unwrap().without_spans(), file.without_spans(), "{}", name(&path));
    }
}

#[test]
fn init_agents_are_already_canonical() {
    for path in corpus("valid") {
        if !path.file_name().unwrap().to_string_lossy().starts_with("init_") {
            continue;
        }
        let source = fs::read_to_string(&path).unwrap();
        assert_eq!(symbi_dsl::format(&source).unwrap(), source, "{}", name(&path));
    }
}
