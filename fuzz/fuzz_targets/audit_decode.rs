//! Any bytes as an audit record or proof: the first byte picks the decoder (canonical entry,
//! JSON record line, inclusion or consistency proof); decoding never panics, and whatever
//! decodes re-encodes to the same bytes (or, for JSON, to a line that decodes to the same record).

#![no_main]

use libfuzzer_sys::fuzz_target;
use symbi_audit::fuzzing;

/// Records are capped at 1 MiB by the log; a few KiB exercise every field.
const MAX_INPUT: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_INPUT {
        return;
    }
    let Some((&selector, input)) = data.split_first() else { return };
    match selector % 3 {
        0 => assert!(fuzzing::entry_round_trips(input), "a decoded entry re-encodes to other bytes"),
        1 => assert!(fuzzing::proofs_round_trip(input), "a decoded proof re-encodes to other bytes"),
        _ => {
            let line = String::from_utf8_lossy(input);
            assert!(fuzzing::json_line_round_trips(&line), "a decoded JSON record prints to another record");
        }
    }
});
