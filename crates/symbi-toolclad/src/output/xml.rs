//! XML to JSON in the published shape: `{ "<root>": { "@attr": v, "#text": text, "<child>":
//! obj | [obj, …] } }`. quick-xml never expands external or custom entities, and nesting is
//! capped so a hostile document cannot exhaust the stack or memory.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde_json::{Map, Value};

/// Deeper documents are refused.
const MAX_DEPTH: usize = 128;

/// Parses a whole document; empty input gives `{"raw_output": ""}`.
pub(super) fn parse(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(super::raw_output(""));
    }
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<(String, Map<String, Value>, String)> = Vec::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("nesting deeper than {MAX_DEPTH} elements"));
                }
                let (name, attrs) = element(&start)?;
                stack.push((name, attrs, String::new()));
            }
            Event::Empty(start) => {
                let (name, attrs) = element(&start)?;
                match stack.last_mut() {
                    Some((_, parent, _)) => add_child(parent, name, Value::Object(attrs)),
                    None => return Ok(Value::Object(Map::from_iter([(name, Value::Object(attrs))]))),
                }
            }
            Event::Text(t) => {
                if let Some((_, _, text)) = stack.last_mut() {
                    text.push_str(&t.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, _, text)) = stack.last_mut() {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                        .map(str::to_owned)
                        .or_else(|| r.resolve_char_ref().ok().flatten().map(String::from))
                        .ok_or_else(|| format!("unknown entity `&{name};`"))?;
                    text.push_str(&resolved);
                }
            }
            Event::CData(c) => {
                if let Some((_, _, text)) = stack.last_mut() {
                    text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::End(_) => {
                let (name, mut object, text) = stack.pop().ok_or("unbalanced end tag")?;
                if !text.trim().is_empty() {
                    object.insert("#text".into(), Value::String(text.trim().to_owned()));
                }
                match stack.last_mut() {
                    Some((_, parent, _)) => add_child(parent, name, Value::Object(object)),
                    None => return Ok(Value::Object(Map::from_iter([(name, Value::Object(object))]))),
                }
            }
            Event::Eof => return Err("document ended before the root element closed".into()),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
}

fn element(start: &BytesStart<'_>) -> Result<(String, Map<String, Value>), String> {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let mut attrs = Map::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let key = format!("@{}", String::from_utf8_lossy(attr.key.as_ref()));
        let value = attr.unescape_value().map_err(|e| e.to_string())?;
        attrs.insert(key, Value::String(value.into_owned()));
    }
    Ok((name, attrs))
}

/// Repeated children become arrays.
fn add_child(parent: &mut Map<String, Value>, name: String, child: Value) {
    match parent.get_mut(&name) {
        Some(Value::Array(items)) => items.push(child),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, child]);
        }
        None => {
            parent.insert(name, child);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn converts_the_nmap_shape() {
        let doc = r#"<?xml version="1.0"?><!-- c --><nmaprun scanner="nmap"><host><address addr="10.0.0.1"/><port id="22"/><port id="80">open &amp; ok</port></host></nmaprun>"#;
        assert_eq!(
            parse(doc).unwrap(),
            json!({"nmaprun": {"@scanner": "nmap", "host": {"address": {"@addr": "10.0.0.1"}, "port": [{"@id": "22"}, {"@id": "80", "#text": "open & ok"}]}}})
        );
    }

    #[test]
    fn refuses_hostile_documents() {
        assert!(parse(&"<a>".repeat(1000)).is_err());
        assert!(parse("<a>&xxe;</a>").is_err());
        assert!(parse("<a><b></a>").is_err());
        assert_eq!(parse("").unwrap(), json!({"raw_output": ""}));
    }
}
