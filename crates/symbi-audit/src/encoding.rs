//! The canonical binary encoding of a record (the bytes `entry_hash` covers, and the bytes
//! segment files store) and the frame that wraps each record in a segment. `docs/audit.md`
//! specifies both byte for byte; change neither without bumping [`ENTRY_VERSION`].

use crate::hash::{Sha256Hash, leaf_hash};
use crate::record::{Decision, Event, EventKind, Outcome, Record, ReplayInputs};

/// The first byte of every canonical entry.
pub(crate) const ENTRY_VERSION: u8 = 1;

/// The largest canonical entry we write or accept, so a corrupt length cannot make a reader
/// allocate without bound.
pub(crate) const MAX_ENTRY_BYTES: usize = 1 << 20;

/// Bytes a frame adds around its entry: the 4-byte length before and the 32-byte hash after.
pub(crate) const FRAME_OVERHEAD: usize = 4 + 32;

/// A canonical entry or a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside a field.
    #[error("record ends early, inside `{field}`")]
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// Bytes follow the last field.
    #[error("{count} unexpected bytes after the end of the record")]
    TrailingBytes {
        /// How many bytes were left over.
        count: usize,
    },
    /// The version byte is not one this build knows.
    #[error("unknown record version {version}")]
    UnknownVersion {
        /// The version byte found.
        version: u8,
    },
    /// A presence byte, kind, decision or outcome code is out of range.
    #[error("invalid code {code} in `{field}`")]
    InvalidCode {
        /// The field being read.
        field: &'static str,
        /// The byte found.
        code: u8,
    },
    /// A text field is not UTF-8.
    #[error("`{field}` is not valid UTF-8")]
    InvalidUtf8 {
        /// The field being read.
        field: &'static str,
    },
    /// The record is larger than the log accepts.
    #[error("record of {len} bytes exceeds the limit of {MAX_ENTRY_BYTES} bytes")]
    TooLarge {
        /// The length found.
        len: usize,
    },
    /// A frame's stored hash does not match the hash of its entry.
    #[error("stored entry hash does not match the record's content")]
    HashMismatch,
}

/// Appends the canonical encoding of a record's fields to `out`.
pub(crate) fn encode_entry(out: &mut Vec<u8>, seq: u64, timestamp_ms: u64, event: &Event, prev_hash: &Sha256Hash) {
    out.push(ENTRY_VERSION);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&timestamp_ms.to_be_bytes());
    out.push(event.kind.code());
    put_opt_str(out, event.surface.as_deref());
    put_opt_str(out, event.agent.as_deref());
    put_opt_str(out, event.principal.as_deref());
    put_opt_str(out, event.action.as_deref());
    put_opt_str(out, event.resource.as_deref());
    put_opt_u8(out, event.decision.map(Decision::code));
    put_opt_str(out, event.policy.as_deref());
    put_opt_u8(out, event.sandbox_tier);
    match event.duration_ms {
        None => out.push(0),
        Some(ms) => {
            out.push(1);
            out.extend_from_slice(&ms.to_be_bytes());
        }
    }
    put_opt_str(out, event.request_id.as_deref());
    put_opt_str(out, event.reason.as_deref());
    put_opt_u8(out, event.outcome.map(Outcome::code));
    put_opt_str(out, event.error.as_deref());
    match &event.replay {
        None => out.push(0),
        Some(replay) => {
            out.push(1);
            out.extend_from_slice(replay.policy_set.as_bytes());
            for text in [&replay.principal, &replay.action, &replay.resource, &replay.context, &replay.entities] {
                put_str(out, text);
            }
        }
    }
    out.extend_from_slice(prev_hash.as_bytes());
}

/// The exact length of the canonical encoding of `event`, so oversized events are refused
/// before they reach the writer.
pub(crate) fn entry_len(event: &Event) -> usize {
    let opt_str = |text: &Option<String>| text.as_ref().map_or(1, |text| 5 + text.len());
    let opt_u8 = |present: bool| if present { 2 } else { 1 };
    let strings = [
        &event.surface,
        &event.agent,
        &event.principal,
        &event.action,
        &event.resource,
        &event.policy,
        &event.request_id,
        &event.reason,
        &event.error,
    ];
    let replay = event.replay.as_ref().map_or(1, |r| {
        1 + 32
            + [&r.principal, &r.action, &r.resource, &r.context, &r.entities].iter().map(|t| 4 + t.len()).sum::<usize>()
    });
    18 + strings.into_iter().map(opt_str).sum::<usize>()
        + opt_u8(event.decision.is_some())
        + opt_u8(event.sandbox_tier.is_some())
        + opt_u8(event.outcome.is_some())
        + if event.duration_ms.is_some() { 9 } else { 1 }
        + replay
        + 32
}

/// Builds the record for `event` at `seq`, appending its canonical entry to `out`.
pub(crate) fn seal(out: &mut Vec<u8>, seq: u64, timestamp_ms: u64, event: Event, prev_hash: Sha256Hash) -> Record {
    let start = out.len();
    encode_entry(out, seq, timestamp_ms, &event, &prev_hash);
    let entry_hash = leaf_hash(out.get(start..).unwrap_or_default());
    // INVARIANT (entry-hash): the hash was just computed over this record's encoding.
    Record { seq, timestamp_ms, event, prev_hash, entry_hash }
}

/// The canonical encoding of `record`, as a fresh buffer.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn entry_bytes(record: &Record) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    encode_entry(&mut out, record.seq, record.timestamp_ms, &record.event, &record.prev_hash);
    out
}

/// Decodes a whole canonical entry; every byte must belong to a field.
pub(crate) fn decode_entry(bytes: &[u8]) -> Result<Record, DecodeError> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(DecodeError::TooLarge { len: bytes.len() });
    }
    let mut r = Reader { rest: bytes };
    let version = r.u8("version")?;
    if version != ENTRY_VERSION {
        return Err(DecodeError::UnknownVersion { version });
    }
    let seq = r.u64("seq")?;
    let timestamp_ms = r.u64("timestamp")?;
    let kind_code = r.u8("kind")?;
    let kind = EventKind::from_code(kind_code).ok_or(DecodeError::InvalidCode { field: "kind", code: kind_code })?;
    let mut event = Event::new(kind);
    event.surface = r.opt_str("surface")?;
    event.agent = r.opt_str("agent")?;
    event.principal = r.opt_str("principal")?;
    event.action = r.opt_str("action")?;
    event.resource = r.opt_str("resource")?;
    event.decision = r.opt_code("decision", Decision::from_code)?;
    event.policy = r.opt_str("policy")?;
    event.sandbox_tier = r.opt_code("sandbox_tier", Some)?;
    event.duration_ms = if r.present("duration_ms")? { Some(r.u64("duration_ms")?) } else { None };
    event.request_id = r.opt_str("request_id")?;
    event.reason = r.opt_str("reason")?;
    event.outcome = r.opt_code("outcome", Outcome::from_code)?;
    event.error = r.opt_str("error")?;
    event.replay = if r.present("replay")? {
        Some(ReplayInputs {
            policy_set: Sha256Hash::from_bytes(r.array("replay.policy_set")?),
            principal: r.str("replay.principal")?,
            action: r.str("replay.action")?,
            resource: r.str("replay.resource")?,
            context: r.str("replay.context")?,
            entities: r.str("replay.entities")?,
        })
    } else {
        None
    };
    let prev_hash = Sha256Hash::from_bytes(r.array("prev_hash")?);
    if !r.rest.is_empty() {
        return Err(DecodeError::TrailingBytes { count: r.rest.len() });
    }
    // INVARIANT (entry-hash): the hash is computed over exactly the bytes just decoded, which are
    // the canonical encoding because the decoder accepts one encoding per value.
    Ok(Record { seq, timestamp_ms, event, prev_hash, entry_hash: leaf_hash(bytes) })
}

/// Appends one frame: `u32` big-endian entry length, the entry, its 32-byte entry hash.
pub(crate) fn frame(out: &mut Vec<u8>, seq: u64, timestamp_ms: u64, event: Event, prev_hash: Sha256Hash) -> Record {
    let len_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let record = seal(out, seq, timestamp_ms, event, prev_hash);
    let len = u32::try_from(out.len() - len_at - 4).unwrap_or(u32::MAX);
    if let Some(slot) = out.get_mut(len_at..len_at + 4) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
    out.extend_from_slice(record.entry_hash.as_bytes());
    record
}

/// The outcome of reading one frame from the front of `bytes`.
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "a transient value returned once per record; boxing would add an allocation on the verify and scan hot path"
)]
pub(crate) enum FrameRead {
    /// A whole, intact frame of `len` bytes.
    Record { record: Record, len: usize },
    /// The bytes end inside a frame: a torn write if this is the end of the file.
    Incomplete,
    /// The frame is complete but does not decode or its hash is wrong.
    Corrupt(DecodeError),
}

/// Reads the frame at the front of `bytes`.
pub(crate) fn read_frame(bytes: &[u8]) -> FrameRead {
    match split_frame(bytes) {
        None => FrameRead::Incomplete,
        Some(Err(error)) => FrameRead::Corrupt(error),
        Some(Ok(frame)) => match decode_entry(frame.entry) {
            Ok(record) if record.entry_hash == frame.stored_hash => FrameRead::Record { record, len: frame.len },
            Ok(_) => FrameRead::Corrupt(DecodeError::HashMismatch),
            Err(error) => FrameRead::Corrupt(error),
        },
    }
}

/// The parts of one frame, not yet decoded.
#[derive(Debug)]
pub(crate) struct RawFrame<'a> {
    pub(crate) entry: &'a [u8],
    pub(crate) stored_hash: Sha256Hash,
    /// The whole frame's length.
    pub(crate) len: usize,
}

/// Splits the frame at the front of `bytes`; `None` if the bytes end inside it.
pub(crate) fn split_frame(bytes: &[u8]) -> Option<Result<RawFrame<'_>, DecodeError>> {
    let (len_bytes, rest) = bytes.split_first_chunk::<4>()?;
    let len = u32::from_be_bytes(*len_bytes) as usize;
    if len > MAX_ENTRY_BYTES {
        return Some(Err(DecodeError::TooLarge { len }));
    }
    let (entry, rest) = rest.split_at_checked(len)?;
    let (stored, _) = rest.split_first_chunk::<32>()?;
    Some(Ok(RawFrame { entry, stored_hash: Sha256Hash::from_bytes(*stored), len: len + FRAME_OVERHEAD }))
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    // Appends never exceed MAX_ENTRY_BYTES (checked before sealing), so the length fits in u32.
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn put_opt_str(out: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => out.push(0),
        Some(text) => {
            out.push(1);
            put_str(out, text);
        }
    }
}

fn put_opt_u8(out: &mut Vec<u8>, value: Option<u8>) {
    match value {
        None => out.push(0),
        Some(value) => out.extend_from_slice(&[1, value]),
    }
}

/// A cursor over untrusted bytes that never reads past the end.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(DecodeError::Truncated { field })?;
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let (head, tail) = self.rest.split_first_chunk::<N>().ok_or(DecodeError::Truncated { field })?;
        self.rest = tail;
        Ok(*head)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        self.array::<1>(field).map(|[b]| b)
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        self.array(field).map(u64::from_be_bytes)
    }

    fn present(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            code => Err(DecodeError::InvalidCode { field, code }),
        }
    }

    fn str(&mut self, field: &'static str) -> Result<String, DecodeError> {
        let len = u32::from_be_bytes(self.array(field)?) as usize;
        let bytes = self.take(len, field)?;
        std::str::from_utf8(bytes).map(str::to_owned).map_err(|_| DecodeError::InvalidUtf8 { field })
    }

    fn opt_str(&mut self, field: &'static str) -> Result<Option<String>, DecodeError> {
        if self.present(field)? { self.str(field).map(Some) } else { Ok(None) }
    }

    fn opt_code<T>(&mut self, field: &'static str, parse: impl Fn(u8) -> Option<T>) -> Result<Option<T>, DecodeError> {
        if !self.present(field)? {
            return Ok(None);
        }
        let code = self.u8(field)?;
        parse(code).map(Some).ok_or(DecodeError::InvalidCode { field, code })
    }
}

#[cfg(test)]
#[expect(clippy::indexing_slicing, reason = "tests index fixtures whose shape they assert")]
mod tests {
    use super::*;

    fn full_event() -> Event {
        let mut event = Event::decision(
            "planner-01",
            "invoke_tool",
            "get_weather",
            Decision::Allow,
            ReplayInputs::new(
                Sha256Hash::digest(b"policies"),
                "Agent::\"planner-01\"",
                "Action::\"invoke_tool\"",
                "Tool::\"get_weather\"",
                &serde_json::json!({"tier": 2}),
                &serde_json::json!([]),
            ),
        )
        .with_surface("api")
        .with_principal("key_1")
        .with_request_id("req-1")
        .with_reason("permit p1")
        .with_policy("policy://approved-tools/v3")
        .with_sandbox_tier(2)
        .with_error("boom");
        event.duration_ms = Some(142);
        event
    }

    #[test]
    fn every_field_round_trips_through_a_frame() {
        let mut buf = Vec::new();
        let record = frame(&mut buf, 7, 1_711_036_800_000, full_event(), Sha256Hash::digest(b"prev"));
        let FrameRead::Record { record: read, len } = read_frame(&buf) else { panic!("frame did not read") };
        assert_eq!(len, buf.len());
        assert_eq!(read, record);
        assert_eq!(entry_bytes(&read).len() + FRAME_OVERHEAD, buf.len());
        assert_eq!(entry_len(read.event()), entry_bytes(&read).len());
        let empty = Event::new(EventKind::AuthFailure);
        let mut bytes = Vec::new();
        encode_entry(&mut bytes, 0, 0, &empty, &Sha256Hash::ZERO);
        assert_eq!(entry_len(&empty), bytes.len());
    }

    #[test]
    fn torn_and_corrupt_frames_are_told_apart() {
        let mut buf = Vec::new();
        frame(&mut buf, 0, 1, Event::new(EventKind::LogRepair), Sha256Hash::ZERO);
        for cut in 0..buf.len() {
            assert!(matches!(read_frame(&buf[..cut]), FrameRead::Incomplete), "cut at {cut}");
        }
        let last = buf.len() - 1;
        buf[last] ^= 1;
        assert!(matches!(read_frame(&buf), FrameRead::Corrupt(DecodeError::HashMismatch)));
    }

    #[test]
    fn decoder_rejects_non_canonical_bytes() {
        let mut bytes = Vec::new();
        encode_entry(&mut bytes, 1, 2, &Event::new(EventKind::AuthFailure), &Sha256Hash::ZERO);
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert_eq!(decode_entry(&trailing), Err(DecodeError::TrailingBytes { count: 1 }));
        let mut bad_presence = bytes.clone();
        bad_presence[18] = 2; // The `surface` presence byte.
        assert_eq!(decode_entry(&bad_presence), Err(DecodeError::InvalidCode { field: "surface", code: 2 }));
        bytes[0] = 9;
        assert_eq!(decode_entry(&bytes), Err(DecodeError::UnknownVersion { version: 9 }));
    }
}
