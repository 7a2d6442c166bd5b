//! Any text as a policy file: compiling ends in a validated set or a list of positioned problems,
//! never a panic; every policy accepted prints back to text that compiles to the same ids.

#![no_main]

use libfuzzer_sys::fuzz_target;
use symbi_policy::{Policies, PolicySource};

/// Policy files past this are not worth the fuzzer's time; the parser is linear.
const MAX_INPUT: usize = 16 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let text = String::from_utf8_lossy(data).into_owned();
    let source = PolicySource { origin: "fuzz.cedar".into(), surface: None, text };
    let Ok(policies) = Policies::compile(&[source]) else { return };
    let printed: Vec<PolicySource> = policies
        .policies()
        .map(|p| PolicySource { origin: p.id.clone(), surface: p.surface, text: p.text.clone() })
        .collect();
    let again = Policies::compile(&printed).expect("printed policies compile again");
    assert_eq!(again.len(), policies.len());
});
