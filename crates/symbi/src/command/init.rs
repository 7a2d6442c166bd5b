//! `symbi init`: scaffold a project. Writes nothing if any file it would write already exists,
//! unless `--force`; the data directory and `.gitignore` are created or extended, never replaced.

use std::fs;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use symbi_runtime::DataDir;
use symbi_runtime::config::{self, Config};

use crate::Outcome;
use crate::cli::{InitArgs, Profile};
use crate::exit::{Exit, Failure};

/// Lines `init` makes sure `.gitignore` has: the data directory holds keys and state.
const GITIGNORE_LINES: &[&str] = &["/.symbi/"];

pub(crate) fn run(args: &InitArgs) -> Outcome {
    let profile = match args.profile {
        Some(profile) => profile,
        None if !args.no_interact && std::io::stdin().is_terminal() => ask_profile()?,
        None => Profile::Minimal,
    };
    let files = files(profile);
    let existing: Vec<&str> =
        files.iter().filter(|(path, _)| args.dir.join(path).exists()).map(|(path, _)| *path).collect();
    if !existing.is_empty() && !args.force {
        return Err(Failure::invalid(anyhow::anyhow!(
            "refusing to overwrite {} in `{}`; pass --force to replace them",
            existing.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
            args.dir.display()
        )));
    }
    for dir in ["agents", "policies", "tools"] {
        let path = args.dir.join(dir);
        fs::create_dir_all(&path).with_context(|| format!("cannot create `{}`", path.display()))?;
    }
    for (path, contents) in &files {
        let target = args.dir.join(path);
        fs::write(&target, contents).with_context(|| format!("cannot write `{}`", target.display()))?;
    }
    extend_gitignore(&args.dir.join(".gitignore"))?;
    // The data directory follows the configuration just written (and any SYMBIONT_DATA_DIR).
    let config = Config::load(&args.dir).map_err(Failure::invalid)?;
    let data_dir = DataDir::prepare(&config.data_dir)?;

    eprintln!("symbi: created a {} project in {}", profile_name(profile), args.dir.display());
    for (path, _) in &files {
        eprintln!("  {path}");
    }
    eprintln!("  {}/ (data directory, mode 0700)", display_relative(data_dir.path(), &args.dir).display());
    eprintln!();
    eprintln!("next: symbi up --dir {}", args.dir.display());
    Ok(Exit::Success)
}

/// The files of a profile, as (path relative to the project, contents).
fn files(profile: Profile) -> Vec<(&'static str, &'static str)> {
    let mut files = vec![
        (config::FILE_NAME, config::TEMPLATE),
        ("policies/default.cedar", include_str!("init/default.cedar")),
        ("tools/README.md", include_str!("init/tools-README.md")),
        // Offline examples that work on any machine with coreutils and grep.
        ("tools/file_hash.clad.toml", include_str!("../../../symbi-toolclad/examples/tools/file_hash.clad.toml")),
        ("tools/count_lines.clad.toml", include_str!("../../../symbi-toolclad/examples/tools/count_lines.clad.toml")),
        ("tools/search_text.clad.toml", include_str!("../../../symbi-toolclad/examples/tools/search_text.clad.toml")),
    ];
    match profile {
        Profile::Minimal => files.push(("agents/hello.symbi", include_str!("init/hello.symbi"))),
        Profile::Assistant => files.push(("agents/assistant.symbi", include_str!("init/assistant.symbi"))),
        Profile::DevAgent => files.push(("agents/dev.symbi", include_str!("init/dev.symbi"))),
        Profile::MultiAgent => files.extend([
            ("agents/planner.symbi", include_str!("init/planner.symbi")),
            ("agents/worker.symbi", include_str!("init/worker.symbi")),
            ("policies/multi-agent.cedar", include_str!("init/multi-agent.cedar")),
        ]),
    }
    files
}

fn profile_name(profile: Profile) -> &'static str {
    match profile {
        Profile::Minimal => "minimal",
        Profile::Assistant => "assistant",
        Profile::DevAgent => "dev-agent",
        Profile::MultiAgent => "multi-agent",
    }
}

fn ask_profile() -> Result<Profile, Failure> {
    let choices = [Profile::Minimal, Profile::Assistant, Profile::DevAgent, Profile::MultiAgent];
    let mut stderr = std::io::stderr();
    writeln!(stderr, "Which project should symbi create?")?;
    for (i, p) in choices.iter().enumerate() {
        writeln!(stderr, "  {}) {}", i + 1, profile_name(*p))?;
    }
    write!(stderr, "profile [1]: ")?;
    stderr.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    let answer = answer.trim();
    if answer.is_empty() {
        return Ok(Profile::Minimal);
    }
    choices
        .iter()
        .enumerate()
        .find(|(i, p)| answer == (i + 1).to_string() || answer == profile_name(**p))
        .map(|(_, p)| *p)
        .ok_or_else(|| Failure::invalid(anyhow::anyhow!("unknown profile `{answer}`; choose 1-4 or a name")))
}

/// Appends the lines `.gitignore` lacks; an existing file keeps everything it had.
fn extend_gitignore(path: &Path) -> Result<(), Failure> {
    let current = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read `{}`", path.display())).into()),
    };
    let missing: Vec<&str> =
        GITIGNORE_LINES.iter().copied().filter(|line| !current.lines().any(|l| l.trim() == *line)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut text = current;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("# symbi: runtime state and API keys\n");
    for line in missing {
        text.push_str(line);
        text.push('\n');
    }
    fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
}

fn display_relative(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base).map_or_else(|_| path.to_owned(), Path::to_owned)
}
