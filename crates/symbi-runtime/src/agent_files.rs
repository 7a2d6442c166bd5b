//! `agents/*.symbi`: the agents a project defines in files. `symbi up` registers every agent
//! they define under its name, keeps the registrations in step when the files change, and removes
//! agents whose file no longer defines them. A file with any error — syntax, semantics, or a
//! policy rule with no faithful Cedar form — is reported with its position and nothing is
//! registered from any file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use symbi_dsl::model::Value;

use crate::agent::{AgentDefinition, AgentId};

/// The metadata key that marks an agent as registered from a file; its value is the file's path
/// relative to the project.
pub(crate) const SOURCE_KEY: &str = "source_file";

/// One agent a file defines, ready to register.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FileAgent {
    /// Its id: the agent's name.
    pub(crate) id: AgentId,
    /// Its definition; `dsl` holds the whole file, so top-level policies and types come along.
    pub(crate) definition: AgentDefinition,
}

/// Why the agent files cannot be loaded; every problem of every file is in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{count} problem(s) in the agent definitions; no agent was loaded from files:\n{report}")]
pub struct AgentFileError {
    count: usize,
    report: String,
}

/// Reads, checks and compiles every `*.symbi` file directly in `dir` (a missing directory holds
/// no agents). Paths in errors and in each agent's `source_file` are relative to `base`.
///
/// # Errors
///
/// Every unreadable file, every diagnostic of every file, agent names that are not valid ids, and
/// names defined by two files.
pub(crate) fn read(dir: &Path, base: &Path) -> Result<Vec<FileAgent>, AgentFileError> {
    let mut problems = Vec::new();
    let mut agents: Vec<FileAgent> = Vec::new();
    let mut defined_in: BTreeMap<String, String> = BTreeMap::new();
    for path in symbi_files(dir, &mut problems) {
        let label = path.strip_prefix(base).unwrap_or(&path).display().to_string();
        let source = match std::fs::read_to_string(&path) {
            Ok(source) => source,
            Err(e) => {
                problems.push(format!("{label}: cannot read: {e}"));
                continue;
            }
        };
        // Compiling checks the whole file: syntax, semantics and every policy rule.
        if let Err(errors) = symbi_policy::compile_agent_policies(&label, &source) {
            problems.push(symbi_dsl::render(&label, &source, &errors));
            continue;
        }
        let Ok(file) = symbi_dsl::parse(&source) else { continue };
        let Ok(model) = symbi_dsl::check(&file) else { continue };
        let description = match model.metadata_value("description") {
            Some(Value::Str(text)) => text.clone(),
            _ => String::new(),
        };
        for agent in model.agents() {
            let at = agent.span().location(&source);
            let id = match AgentId::parse(agent.name()) {
                Ok(id) => id,
                Err(e) => {
                    problems.push(format!(
                        "{label}:{}:{}: agent `{}` cannot be registered under its name: {e}",
                        at.line,
                        at.column,
                        agent.name()
                    ));
                    continue;
                }
            };
            if let Some(first) = defined_in.insert(agent.name().to_owned(), label.clone()) {
                problems.push(format!(
                    "{label}:{}:{}: agent `{}` is also defined in `{first}`; agent names are unique in a project",
                    at.line,
                    at.column,
                    agent.name()
                ));
                continue;
            }
            let definition = AgentDefinition {
                name: agent.name().to_owned(),
                description: description.clone(),
                dsl: Some(source.clone()),
                model: None,
                capabilities: agent.capabilities().to_vec(),
                metadata: BTreeMap::from([(SOURCE_KEY.to_owned(), label.clone())]),
            };
            agents.push(FileAgent { id, definition });
        }
    }
    if problems.is_empty() {
        Ok(agents)
    } else {
        Err(AgentFileError { count: problems.len(), report: problems.join("\n") })
    }
}

/// The `*.symbi` files directly in `dir`, sorted by name.
fn symbi_files(dir: &Path, problems: &mut Vec<String>) -> Vec<PathBuf> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            problems.push(format!("{}: cannot list: {e}", dir.display()));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "symbi") && p.is_file())
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_agent_of_every_file_is_read_under_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let agents = dir.path().join("agents");
        std::fs::create_dir(&agents).unwrap();
        std::fs::write(agents.join("pair.symbi"), "metadata { description = \"two\" }\nagent a() {}\nagent b() {}\n")
            .unwrap();
        std::fs::write(agents.join("notes.txt"), "not an agent").unwrap();
        let found = read(&agents, dir.path()).unwrap();
        let ids: Vec<&str> = found.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(found[0].definition.description, "two");
        assert_eq!(found[0].definition.metadata[SOURCE_KEY], "agents/pair.symbi");
        assert!(read(&dir.path().join("missing"), dir.path()).unwrap().is_empty());
    }

    #[test]
    fn errors_of_every_file_are_reported_with_positions() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("one.symbi"), "agent a() {}\n").unwrap();
        std::fs::write(dir.path().join("two.symbi"), "agent a() {}\nagent {\n").unwrap();
        std::fs::write(dir.path().join("three.symbi"), "agent a() {}\n").unwrap();
        let error = read(dir.path(), dir.path()).unwrap_err().to_string();
        assert!(error.contains("two.symbi:2:"), "{error}");
        assert!(error.contains("`a` is also defined in `one.symbi`"), "{error}");
    }
}
