//! Any bytes as `.symbi` source: the parser ends in a tree or a list of errors, and a source
//! that parses formats to text that parses back to the same tree and formats to itself.
//!
//! Seeds: `fuzz/seeds/dsl_parse/`, copied from the crate's valid and invalid corpora.

#![no_main]

use libfuzzer_sys::fuzz_target;

/// Agent files are small; a cap keeps each run inside the fuzzer's time bound.
const MAX_INPUT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let source = String::from_utf8_lossy(data);
    let (tolerant, errors) = symbi_dsl::parse_tolerant(&source);
    match symbi_dsl::parse(&source) {
        Err(strict) => {
            // The strict and tolerant paths agree on the errors, and the list is never empty.
            assert!(!strict.as_slice().is_empty());
            assert_eq!(strict.as_slice(), errors.as_slice());
            assert!(strict.as_slice().len() <= symbi_dsl::MAX_ERRORS + 1);
            // A source with errors is never formatted.
            assert!(symbi_dsl::format(&source).is_err());
        }
        Ok(file) => {
            assert!(errors.is_empty());
            assert_eq!(file, tolerant);
            // The semantic check ends in a model or errors; it must not panic.
            let _ = symbi_dsl::check(&file);
            let formatted = match symbi_dsl::format(&source) {
                Ok(formatted) => formatted,
                Err(error) => panic!("valid source failed to format: {error:?}"),
            };
            let reparsed = symbi_dsl::parse(&formatted).expect("formatted source parses");
            assert_eq!(reparsed.without_spans(), file.without_spans(), "formatting changed the tree");
            assert_eq!(symbi_dsl::format(&formatted).expect("formatted source formats"), formatted, "not idempotent");
            // Printing the tree without comments also round-trips.
            let printed = symbi_dsl::print(&file);
            let reprinted = symbi_dsl::parse(&printed).expect("printed tree parses");
            assert_eq!(reprinted.without_spans(), file.without_spans(), "printing changed the tree");
        }
    }
});
