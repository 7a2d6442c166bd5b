//! Property tests: canonical form, signatures over arbitrary schemas, strict signature decoding,
//! and the pin store against a `BTreeMap` model.

use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{Map, Number, Value};
use symbi_schemapin::{
    DiscoveryDocument, Domain, Fingerprint, MemoryPinStore, Pin, PinStore, PinStoreError, Signature, SigningKey,
    ToolName, Verifier, VerifierConfig, VerifyError, WellKnownBuilder, canonical_bytes, parse_json, sign_schema,
};

use crate::common::verify_with;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", Number::from_f64).prop_map(Value::Number),
        "\\PC{0,12}".prop_map(Value::String),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,8}", inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn canonical_bytes_parse_back_to_the_same_value(value in json_value()) {
        let canonical = canonical_bytes(&value);
        let again = parse_json(&canonical).unwrap();
        prop_assert_eq!(&again, &value);
        prop_assert_eq!(canonical_bytes(&again), canonical);
    }

    #[test]
    fn insertion_order_does_not_change_canonical_bytes(entries in prop::collection::vec(("[a-z]{1,4}", any::<i32>()), 0..8)) {
        let forward: Map<String, Value> = entries.iter().map(|(k, v)| (k.clone(), Value::from(*v))).collect();
        let backward: Map<String, Value> = entries.iter().rev().map(|(k, v)| (k.clone(), Value::from(*v))).collect();
        // Later duplicates win in `forward` and earlier ones in `backward`; compare only when unique.
        prop_assume!(forward.len() == entries.len());
        prop_assert_eq!(canonical_bytes(&Value::Object(forward)), canonical_bytes(&Value::Object(backward)));
    }

    #[test]
    fn signature_decoding_never_panics_and_round_trips(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        if let Ok(sig) = Signature::from_der(bytes) {
            prop_assert_eq!(Signature::from_base64(&sig.to_base64()).unwrap(), sig);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_signed_schema_verifies_and_any_edit_is_caught(value in json_value(), edit in "\\PC{1,8}") {
        let key = SigningKey::generate().unwrap();
        let mut schema = Map::new();
        schema.insert("name".into(), Value::from("prop_tool"));
        schema.insert("inputSchema".into(), value);
        let schema = Value::Object(schema);
        let signature = sign_schema(&key, &schema).unwrap().to_base64();
        let discovery = DiscoveryDocument::from_value(&WellKnownBuilder::new(key.public_key()).build()).unwrap();
        let verifier = Verifier::new(Arc::new(MemoryPinStore::new()), VerifierConfig::default());
        prop_assert!(verify_with(&verifier, "prop_tool", "example.com", &schema, &signature, &discovery).is_ok());
        let mut edited = schema;
        edited["x-edit"] = Value::from(edit);
        let refused = verify_with(&verifier, "prop_tool", "example.com", &edited, &signature, &discovery);
        let is_signature_error = matches!(refused, Err(VerifyError::Signature { .. }));
        prop_assert!(is_signature_error);
    }
}

#[derive(Debug, Clone)]
enum Op {
    Get(usize, usize),
    InsertNew(usize, usize, usize),
    Replace(usize, usize, usize),
    Remove(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 0..2usize).prop_map(|(t, d)| Op::Get(t, d)),
        (0..3usize, 0..2usize, 0..3usize).prop_map(|(t, d, k)| Op::InsertNew(t, d, k)),
        (0..3usize, 0..2usize, 0..3usize).prop_map(|(t, d, k)| Op::Replace(t, d, k)),
        (0..3usize, 0..2usize).prop_map(|(t, d)| Op::Remove(t, d)),
    ]
}

proptest! {
    #[test]
    fn memory_pin_store_behaves_like_a_map(ops in prop::collection::vec(op(), 0..40)) {
        let tools: Vec<ToolName> = ["a", "b", "c"].iter().map(|t| ToolName::new(t).unwrap()).collect();
        let domains: Vec<Domain> = ["x.example", "y.example"].iter().map(|d| Domain::new(d).unwrap()).collect();
        let keys: Vec<Fingerprint> =
            ["0", "1", "2"].iter().map(|k| Fingerprint::parse(&format!("sha256:{}", k.repeat(64))).unwrap()).collect();
        let store = MemoryPinStore::new();
        let mut model: BTreeMap<(Domain, ToolName), Fingerprint> = BTreeMap::new();
        let pin = |t: usize, d: usize, k: usize| Pin {
            tool: tools[t].clone(),
            domain: domains[d].clone(),
            fingerprint: keys[k].clone(),
            pinned_at: 0,
        };
        for op in ops {
            match op {
                Op::Get(t, d) => {
                    let got = store.get(&tools[t], &domains[d]).unwrap().map(|p| p.fingerprint);
                    prop_assert_eq!(got.as_ref(), model.get(&(domains[d].clone(), tools[t].clone())));
                }
                Op::InsertNew(t, d, k) => {
                    let result = store.insert_new(pin(t, d, k));
                    match model.entry((domains[d].clone(), tools[t].clone())) {
                        std::collections::btree_map::Entry::Occupied(_) => {
                            let is_already_pinned = matches!(result, Err(PinStoreError::AlreadyPinned { .. }));
                            prop_assert!(is_already_pinned);
                        }
                        std::collections::btree_map::Entry::Vacant(slot) => {
                            prop_assert!(result.is_ok());
                            slot.insert(keys[k].clone());
                        }
                    }
                }
                Op::Replace(t, d, k) => {
                    store.replace(pin(t, d, k)).unwrap();
                    model.insert((domains[d].clone(), tools[t].clone()), keys[k].clone());
                }
                Op::Remove(t, d) => {
                    let existed = model.remove(&(domains[d].clone(), tools[t].clone())).is_some();
                    prop_assert_eq!(store.remove(&tools[t], &domains[d]).unwrap(), existed);
                }
            }
        }
        let listed: Vec<_> = store.list().unwrap().into_iter().map(|p| ((p.domain, p.tool), p.fingerprint)).collect();
        prop_assert_eq!(listed, model.into_iter().collect::<Vec<_>>());
    }
}
