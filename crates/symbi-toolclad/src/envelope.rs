//! The evidence envelope: what one execution did and produced, returned to the caller and stored
//! as `envelope.json` beside the raw output in the evidence directory.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One execution's evidence (a wire type: field names are the published envelope's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// Outcome.
    pub status: Status,
    /// `<unix seconds>-<5 hex>`, unique per execution; also names the evidence directory.
    pub scan_id: String,
    /// `[tool].name`.
    pub tool: String,
    /// The argv joined by spaces, or `METHOD url`; secrets shown as `{_secret:NAME}`.
    pub command: String,
    /// Wall-clock duration of the execution.
    pub duration_ms: u64,
    /// RFC 3339 UTC start time.
    pub timestamp: String,
    /// `sha256:<hex>` of the raw output the results were parsed from.
    pub output_hash: String,
    /// Process exit code; -1 on timeout, output overflow or a signal; for HTTP 0 on success and 1
    /// otherwise.
    pub exit_code: i32,
    /// Captured standard error (secrets redacted).
    pub stderr: String,
    /// Parsed output, or `{error, …}` when the execution failed.
    pub results: Value,
    /// The raw output file in the evidence directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_file: Option<String>,
    /// HTTP backend only: the response status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
}

/// `status` of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Exit code 0 (or an HTTP success status) and the output parsed.
    Success,
    /// Non-zero exit, unparseable output, output over the cap, HTTP error status, spawn or
    /// transport failure; `results.error` says which.
    Error,
    /// The timeout passed and the tool was killed.
    Timeout,
}

/// A new scan id: unix seconds and 20 random bits.
pub(crate) fn scan_id(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut bytes = [0u8; 3];
    if rustix::rand::getrandom(&mut bytes, rustix::rand::GetRandomFlags::empty()).is_err() {
        // Uniqueness, not secrecy, is what the id needs; the directory is created exclusively.
        let nanos = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        bytes = [nanos as u8, (nanos >> 8) as u8, (nanos >> 16) as u8];
    }
    let hex = hex::encode(bytes);
    format!("{secs}-{}", hex.get(..5).unwrap_or(&hex))
}

/// `YYYY-MM-DDTHH:MM:SSZ` for `time`.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or_default();
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm), valid for the whole u64 range we can see.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn formats_timestamps_in_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(1_711_929_600)), "2024-04-01T00:00:00Z");
        assert_eq!(rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400 + 86_399)), "2000-02-29T23:59:59Z");
    }

    #[test]
    fn scan_ids_have_the_published_shape() {
        let id = scan_id(UNIX_EPOCH + Duration::from_secs(1_711_929_600));
        let (secs, hex) = id.split_once('-').unwrap();
        assert_eq!(secs, "1711929600");
        assert_eq!(hex.len(), 5);
        assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn serializes_with_published_field_names() {
        let e = Envelope {
            status: Status::Success,
            scan_id: "1-abcde".into(),
            tool: "t".into(),
            command: "t".into(),
            duration_ms: 1,
            timestamp: rfc3339(UNIX_EPOCH),
            output_hash: "sha256:00".into(),
            exit_code: 0,
            stderr: String::new(),
            results: serde_json::json!({}),
            output_file: None,
            http_status: None,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v.get("status"), Some(&serde_json::json!("success")));
        assert!(v.get("http_status").is_none());
    }
}
