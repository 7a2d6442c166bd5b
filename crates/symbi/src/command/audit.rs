//! `symbi audit`: read, prove, export, verify and replay the audit log. Reads go through a
//! lock-free reader, so they work while `symbi up` holds the log; only signing a checkpoint
//! needs the log itself.

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, anyhow};
use serde_json::{Value, json};
use symbi_audit::{
    AuditConfig, AuditLog, AuditReader, Checkpoint, CheckpointPublicKey, Cursor, EventId, EventKind, InclusionProof,
    OpenError, ProveError, QueryFilter, Record, VerifyError, VerifyProgress,
};
use symbi_runtime::audit_json::proof_json;

use crate::Outcome;
use crate::cli::{AuditAction, AuditArgs, DecisionArg};
use crate::exit::{Exit, Failure};

/// How often `tail -f` looks for new records.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(250);
/// Logs at least this large show verification progress on a terminal.
const PROGRESS_FROM_BYTES: u64 = 16 << 20;

pub(crate) fn run(args: AuditArgs) -> Outcome {
    let config = super::load_config(&args.dir)?;
    let dir = symbi_runtime::audit_dir(&config.data_dir);
    match args.action {
        AuditAction::Tail { follow, lines, agent, decision, kind, since, json } => {
            let filter = QueryFilter {
                agent,
                decision: decision.map(audit_decision),
                kind: kind.as_deref().map(parse_kind).transpose()?,
                since: since.as_deref().map(parse_since).transpose()?,
                ..QueryFilter::default()
            };
            tail(&dir, &filter, lines, follow, json)
        }
        AuditAction::Verify { from_checkpoint, export, public_key, json } => {
            verify(&dir, from_checkpoint.as_deref(), export.as_deref(), public_key.as_deref(), json)
        }
        AuditAction::Proof { event_id, verify, public_key, json } => match (event_id, verify) {
            (_, Some(file)) => check_proof(&file, public_key.as_deref(), json),
            (Some(id), None) => prove(&dir, &id, json),
            (None, None) => Err(Failure::invalid(anyhow!("give an event id, or --verify FILE"))),
        },
        AuditAction::Export { format: _, output } => export(&dir, output.as_deref()),
        AuditAction::Checkpoint { json } => checkpoint(&dir, json),
        AuditAction::Archive { json } => archive(&dir, json),
        AuditAction::Replay { from, to, json } => replay(&dir, from.as_deref(), to.as_deref(), json),
    }
}

fn open_reader(dir: &Path) -> Result<AuditReader, Failure> {
    AuditReader::open(dir).map_err(|e| match e {
        OpenError::NotFound { .. } => Failure::invalid(anyhow!(
            "no audit log in `{}`: the runtime creates it when it first starts (`symbi up`)",
            dir.display()
        )),
        other => Failure::from(
            anyhow::Error::new(other).context(format!("cannot read the audit log in `{}`", dir.display())),
        ),
    })
}

/// The newest `lines` matching records, then (with `follow`) every new one as it arrives.
fn tail(dir: &Path, filter: &QueryFilter, lines: usize, follow: bool, json: bool) -> Outcome {
    let mut reader = open_reader(dir)?;
    let mut newest = std::collections::VecDeque::with_capacity(lines.min(10_000));
    let mut last = scan(&reader, filter, None, |record| {
        if newest.len() == lines {
            newest.pop_front();
        }
        if lines > 0 {
            newest.push_back(record);
        }
    })?;
    let mut out = std::io::stdout().lock();
    for record in &newest {
        print_record(&mut out, record, json)?;
    }
    out.flush()?;
    if !follow {
        return Ok(Exit::Success);
    }
    loop {
        std::thread::sleep(FOLLOW_INTERVAL);
        reader.refresh().context("cannot read new audit records")?;
        let mut closed = false;
        last = scan(&reader, filter, last, |record| {
            closed = closed || print_record(&mut out, &record, json).and_then(|()| Ok(out.flush()?)).is_err();
        })?;
        // A reader on a closed pipe (`| head`) ends the follow quietly.
        if closed {
            return Ok(Exit::Success);
        }
    }
}

/// Calls `each` for every record after `after` matching `filter`; returns the last record id
/// scanned (matching or not), to continue from.
fn scan(
    reader: &AuditReader,
    filter: &QueryFilter,
    mut after: Option<EventId>,
    mut each: impl FnMut(Record),
) -> Result<Option<EventId>, Failure> {
    let len = reader.len();
    loop {
        let page_filter =
            QueryFilter { after: after.map(Cursor::from), limit: QueryFilter::MAX_LIMIT, ..filter.clone() };
        let page = reader.query(&page_filter).context("cannot read the audit log")?;
        if let Some(record) = page.records.last() {
            after = Some(record.event_id());
        }
        page.records.into_iter().for_each(&mut each);
        match page.next {
            Some(cursor) => after = Some(EventId::from_str(&cursor.to_string())?),
            None => {
                // The page ended at the log's end: everything up to it has been scanned.
                if len > 0 {
                    after = Some(EventId::from_seq(len - 1));
                }
                return Ok(after);
            }
        }
    }
}

fn print_record(out: &mut impl std::io::Write, record: &Record, json: bool) -> anyhow::Result<()> {
    if json {
        writeln!(out, "{}", record.to_json_line())?;
        return Ok(());
    }
    let event = record.event();
    let mut line = format!("{} {} {}", record.timestamp_rfc3339(), record.event_id(), event.kind.as_str());
    let mut field = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            line.push_str(&format!(" {name}={value}"));
        }
    };
    field("decision", event.decision.map(|d| d.as_str().to_owned()));
    field("outcome", event.outcome.map(|o| o.as_str().to_owned()));
    field("agent", event.agent.clone());
    field("principal", event.principal.clone());
    field("action", event.action.clone());
    field("resource", event.resource.clone());
    field("policy", event.policy.clone());
    field("tier", event.sandbox_tier.map(|t| t.to_string()));
    field("duration_ms", event.duration_ms.map(|d| d.to_string()));
    field("surface", event.surface.clone());
    field("reason", event.reason.as_ref().map(|r| format!("{r:?}")));
    field("error", event.error.as_ref().map(|e| format!("{e:?}")));
    writeln!(out, "{line}")?;
    Ok(())
}

fn verify(dir: &Path, saved: Option<&Path>, export: Option<&Path>, key: Option<&str>, json: bool) -> Outcome {
    let (report, source) = if let Some(file) = export {
        let key = parse_key(key.unwrap_or_default())?;
        let input = File::open(file).with_context(|| format!("cannot open `{}`", file.display()))?;
        (symbi_audit::verify_jsonl(BufReader::new(input), &key), file.display().to_string())
    } else {
        let key = match key {
            Some(text) => parse_key(text)?,
            None => CheckpointPublicKey::read(dir).map_err(|e| {
                Failure::invalid(anyhow!(
                    "cannot read the log's public key in `{}` ({e}); is this a data directory with an audit log?",
                    dir.display()
                ))
            })?,
        };
        let mut progress = progress_printer();
        let report = symbi_audit::verify_dir_with_progress(dir, &key, &mut progress);
        if std::io::stderr().is_terminal() {
            eprint!("\r\x1b[2K");
        }
        if let (Some(saved), Ok(_)) = (saved, &report) {
            check_saved_checkpoint(&open_reader(dir)?, saved, &key)?;
        }
        (report, dir.display().to_string())
    };
    match report {
        Ok(report) => {
            if json {
                println!(
                    "{}",
                    json!({"ok": true, "records": report.records, "checkpoints": report.checkpoints,
                        "root_hash": report.root_hash.to_string(), "saved_checkpoint": saved.is_some()})
                );
            } else {
                println!(
                    "ok: {} records and {} signed checkpoints verify in `{source}` (root {})",
                    report.records, report.checkpoints, report.root_hash
                );
                if saved.is_some() {
                    println!("ok: the log still contains the saved checkpoint");
                }
            }
            Ok(Exit::Success)
        }
        Err(VerifyError::Tampered(tampering)) => {
            if json {
                println!("{}", json!({"ok": false, "error": tampering.to_string()}));
            } else {
                println!("TAMPERED: {tampering}");
            }
            Ok(Exit::Problems)
        }
        Err(other) => Err(anyhow::Error::new(other).context("cannot verify the audit log").into()),
    }
}

/// Progress on stderr for large logs, when a person is watching.
fn progress_printer() -> impl FnMut(VerifyProgress) {
    let terminal = std::io::stderr().is_terminal();
    move |p: VerifyProgress| {
        if terminal && p.total_bytes >= PROGRESS_FROM_BYTES {
            let percent = p.bytes.saturating_mul(100) / p.total_bytes.max(1);
            eprint!("\rverifying: {percent:>3}% ({} records)", p.records);
        }
    }
}

/// Checks that the log still contains a checkpoint saved outside it: the saved checkpoint is
/// signed by `key`, and the newest checkpoint's tree extends it (a consistency proof).
fn check_saved_checkpoint(reader: &AuditReader, file: &Path, key: &CheckpointPublicKey) -> Result<(), Failure> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read `{}`", file.display()))?;
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let saved = Checkpoint::from_json_line(line).map_err(|e| Failure::invalid(anyhow!("`{}`: {e}", file.display())))?;
    saved.verify_signature(key).map_err(|e| anyhow!("the saved checkpoint does not verify: {e}"))?;
    let newest = reader.latest_checkpoint().filter(|c| c.tree_size() >= saved.tree_size()).ok_or_else(|| {
        anyhow!(
            "TAMPERED: the log has no checkpoint covering the saved one's {} records; it was truncated",
            saved.tree_size()
        )
    })?;
    if newest.tree_size() == saved.tree_size() {
        if newest.root_hash() != saved.root_hash() {
            return Err(anyhow!("TAMPERED: the log's checkpoint at {} records has another root than the saved one; history was rewritten", saved.tree_size()).into());
        }
        return Ok(());
    }
    let proof = reader
        .consistency_proof(saved.tree_size(), newest.tree_size())
        .ok_or_else(|| anyhow!("cannot build a consistency proof to the saved checkpoint"))?;
    saved
        .verify_consistency(&newest, &proof)
        .map_err(|e| anyhow!("TAMPERED: the log does not extend the saved checkpoint ({e}); history was rewritten"))?;
    Ok(())
}

fn prove(dir: &Path, id: &str, json: bool) -> Outcome {
    let event_id = EventId::from_str(id).map_err(Failure::invalid)?;
    let reader = open_reader(dir)?;
    let proof = match reader.proof(event_id) {
        Ok(proof) => proof,
        // Nobody else holds the log: sign a checkpoint that covers the record.
        Err(ProveError::NotCheckpointed { .. }) => match AuditLog::open(dir, &AuditConfig::default()) {
            Ok(log) => super::small_runtime()?.block_on(log.proof(event_id)).context("cannot prove the record")?,
            Err(OpenError::Locked { .. }) => {
                return Err(anyhow!(
                    "no signed checkpoint covers {event_id} yet; the running runtime signs one within its \
                     checkpoint interval (`[audit] checkpoint_interval_secs`)"
                )
                .into());
            }
            Err(e) => return Err(anyhow::Error::new(e).context("cannot open the audit log").into()),
        },
        Err(ProveError::NotFound { .. }) => {
            return Err(Failure::invalid(anyhow!("no audit record {event_id} (the log has {} records)", reader.len())));
        }
        Err(e) => return Err(anyhow::Error::new(e).context("cannot prove the record").into()),
    };
    let value = proof_json(&proof, reader.public_key());
    if json {
        println!("{value}");
    } else {
        let checkpoint = &proof.checkpoint;
        println!("record      {} ({})", proof.record.event_id(), proof.record.event().kind.as_str());
        println!("entry_hash  {}", proof.record.entry_hash());
        println!(
            "checkpoint  {} records, root {}, signed {}",
            checkpoint.tree_size(),
            checkpoint.root_hash(),
            humantime::format_rfc3339_millis(std::time::UNIX_EPOCH + Duration::from_millis(checkpoint.timestamp_ms()))
        );
        println!(
            "path        {} hashes ({} bytes encoded)",
            proof.inclusion.path().len(),
            proof.inclusion.to_bytes().len()
        );
        println!("public key  {}", reader.public_key());
        println!(
            "ok: the proof verifies; save it with --json and check it anywhere with `symbi audit proof --verify FILE`"
        );
    }
    Ok(Exit::Success)
}

/// Checks a proof saved as JSON, offline: the record's content hashes to its entry hash, the
/// checkpoint is signed by the key, and the audit path leads from the record to the root.
fn check_proof(file: &Path, key: Option<&str>, json: bool) -> Outcome {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read `{}`", file.display()))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| Failure::invalid(anyhow!("`{}` is not JSON: {e}", file.display())))?;
    let field = |name: &str| value.get(name).ok_or_else(|| Failure::invalid(anyhow!("the proof has no `{name}`")));
    let record = Record::from_json_line(&field("record")?.to_string()).map_err(Failure::invalid)?;
    let checkpoint = Checkpoint::from_json_line(&json!({"checkpoint": field("checkpoint")?}).to_string())
        .map_err(Failure::invalid)?;
    let encoded = field("inclusion")?.get("encoded").and_then(Value::as_str).unwrap_or_default();
    let inclusion = hex::decode(encoded)
        .map_err(|e| anyhow!("{e}"))
        .and_then(|bytes| InclusionProof::from_bytes(&bytes).map_err(|e| anyhow!("{e}")))
        .map_err(|e| Failure::invalid(anyhow!("the inclusion proof does not decode: {e}")))?;
    let key = parse_key(key.or_else(|| value.get("public_key").and_then(Value::as_str)).unwrap_or_default())?;
    let outcome = checkpoint
        .verify_signature(&key)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            if inclusion.leaf_index() == record.event_id().seq() {
                Ok(())
            } else {
                Err(format!(
                    "the proof is for record {} of the tree, not {}",
                    inclusion.leaf_index(),
                    record.event_id()
                ))
            }
        })
        .and_then(|()| checkpoint.verify_inclusion(&inclusion, &record.entry_hash()).map_err(|e| e.to_string()));
    match outcome {
        Ok(()) => {
            if json {
                println!(
                    "{}",
                    json!({"ok": true, "event_id": record.event_id().to_string(), "tree_size": checkpoint.tree_size()})
                );
            } else {
                println!(
                    "ok: {} is record {} of the {} records signed by {key}",
                    record.event_id(),
                    record.event_id().seq(),
                    checkpoint.tree_size()
                );
            }
            Ok(Exit::Success)
        }
        Err(reason) => {
            if json {
                println!("{}", json!({"ok": false, "error": reason}));
            } else {
                println!("INVALID: {reason}");
            }
            Ok(Exit::Problems)
        }
    }
}

fn export(dir: &Path, output: Option<&Path>) -> Outcome {
    let reader = open_reader(dir)?;
    let count = match output {
        Some(path) => {
            let mut file =
                BufWriter::new(File::create(path).with_context(|| format!("cannot create `{}`", path.display()))?);
            let count = reader.export_jsonl(&mut file).context("cannot export the audit log")?;
            file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            count
        }
        None => reader.export_jsonl(&mut std::io::stdout().lock()).context("cannot export the audit log")?,
    };
    if let Some(path) = output {
        eprintln!("symbi: exported {count} records to `{}`", path.display());
    }
    Ok(Exit::Success)
}

fn checkpoint(dir: &Path, json: bool) -> Outcome {
    let (checkpoint, signed_now) = match AuditLog::open(dir, &AuditConfig::default()) {
        Ok(log) => (super::small_runtime()?.block_on(log.checkpoint()).context("cannot sign a checkpoint")?, true),
        Err(OpenError::Locked { .. }) => {
            let newest = open_reader(dir)?.latest_checkpoint().ok_or_else(|| {
                anyhow!("the running runtime holds the log and has signed no checkpoint yet; it signs one within its checkpoint interval")
            })?;
            (newest, false)
        }
        Err(e) => return Err(anyhow::Error::new(e).context("cannot open the audit log").into()),
    };
    if json {
        println!("{}", checkpoint.to_json_line());
    } else {
        let verb = if signed_now { "signed" } else { "newest (the running runtime signs them)" };
        println!("checkpoint {verb}: {} records, root {}", checkpoint.tree_size(), checkpoint.root_hash());
        println!(
            "save it off this host (`--json`) and check the log against it with `symbi audit verify --from-checkpoint FILE`"
        );
    }
    Ok(Exit::Success)
}

fn archive(dir: &Path, json: bool) -> Outcome {
    let log = match AuditLog::open(dir, &AuditConfig::default()) {
        Ok(log) => log,
        Err(OpenError::Locked { .. }) => {
            return Err(anyhow!(
                "the running runtime holds the log; ask it to archive with `POST /api/v1/audit/archive` (admin key)"
            )
            .into());
        }
        Err(e) => return Err(anyhow::Error::new(e).context("cannot open the audit log").into()),
    };
    let moved = super::small_runtime()?.block_on(log.archive_segments()).context("cannot archive segments")?;
    if json {
        println!("{}", json!({"archived_segments": moved}));
    } else {
        println!("moved {moved} finished segment(s) into `{}`; nothing was deleted", dir.join("archive").display());
    }
    Ok(Exit::Success)
}

fn replay(dir: &Path, from: Option<&str>, to: Option<&str>, json: bool) -> Outcome {
    let reader = open_reader(dir)?;
    let (from, to) = (from.map(parse_bound).transpose()?, to.map(parse_bound).transpose()?);
    let mut replayer = symbi_runtime::Replayer::new(reader.policy_archive());
    let filter = QueryFilter { kind: Some(EventKind::Decision), ..QueryFilter::default() };
    scan(&reader, &filter, None, |record| {
        if from.as_ref().is_none_or(|b| b.after_start(&record)) && to.as_ref().is_none_or(|b| b.before_end(&record)) {
            replayer.check(&record);
        }
    })?;
    let report = replayer.finish();
    if json {
        let differences: Vec<Value> = report
            .differences
            .iter()
            .map(|d| json!({"event_id": d.event_id.to_string(), "recorded": d.recorded, "replayed": d.replayed, "detail": d.detail}))
            .collect();
        println!("{}", json!({"replayed": report.replayed, "differences": differences}));
    } else {
        for d in &report.differences {
            println!("DIFFERS {}: {}", d.event_id, d.detail);
        }
        println!(
            "{} decisions replayed against their own policy sets; {} differ",
            report.replayed,
            report.differences.len()
        );
    }
    Ok(if report.differences.is_empty() { Exit::Success } else { Exit::Problems })
}

/// One end of a replay range: a record id or a time.
enum Bound {
    Event(EventId),
    Time(SystemTime),
}

impl Bound {
    fn after_start(&self, record: &Record) -> bool {
        match self {
            Self::Event(id) => record.event_id() >= *id,
            Self::Time(time) => record.timestamp() >= *time,
        }
    }

    fn before_end(&self, record: &Record) -> bool {
        match self {
            Self::Event(id) => record.event_id() <= *id,
            Self::Time(time) => record.timestamp() <= *time,
        }
    }
}

fn parse_bound(text: &str) -> Result<Bound, Failure> {
    if let Ok(id) = EventId::from_str(text) {
        return Ok(Bound::Event(id));
    }
    humantime::parse_rfc3339_weak(text)
        .map(Bound::Time)
        .map_err(|_| Failure::invalid(anyhow!("`{text}` is neither an event id (`evt_…`) nor an RFC 3339 time")))
}

fn parse_since(text: &str) -> Result<SystemTime, Failure> {
    if let Ok(time) = humantime::parse_rfc3339_weak(text) {
        return Ok(time);
    }
    let age = humantime::parse_duration(text)
        .map_err(|_| Failure::invalid(anyhow!("`--since {text}`: give an RFC 3339 time or an age such as `15m`")))?;
    Ok(SystemTime::now().checked_sub(age).unwrap_or(std::time::UNIX_EPOCH))
}

fn parse_kind(text: &str) -> Result<EventKind, Failure> {
    EventKind::parse(text).ok_or_else(|| {
        let kinds: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        Failure::invalid(anyhow!("`--kind {text}`: use one of {}", kinds.join(", ")))
    })
}

/// A key given as `ed25519:…` or as a file holding it.
fn parse_key(text: &str) -> Result<CheckpointPublicKey, Failure> {
    let from_file;
    let key_text = if text.starts_with("ed25519:") {
        text
    } else {
        let path = PathBuf::from(text);
        from_file = std::fs::read_to_string(&path).map_err(|e| {
            Failure::invalid(anyhow!("`{text}` is neither a key (`ed25519:…`) nor a readable file: {e}"))
        })?;
        from_file.trim()
    };
    key_text.trim().parse().map_err(Failure::invalid)
}

fn audit_decision(decision: DecisionArg) -> symbi_audit::Decision {
    match decision {
        DecisionArg::Allow => symbi_audit::Decision::Allow,
        DecisionArg::Deny => symbi_audit::Decision::Deny,
        DecisionArg::RequireApproval => symbi_audit::Decision::RequireApproval,
    }
}
