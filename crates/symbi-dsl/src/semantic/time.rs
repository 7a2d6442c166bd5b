//! Reading time values: duration text (`"1h 30m"`), cron expressions, RFC 3339 instants and
//! timezone names. Each returns the reason in the error's words when the value is wrong.

use std::time::Duration;

/// Parses `"30s"`, `"5 minutes"`, `"1h30m"`, `"90d"`; a bare number is seconds.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("it is empty".to_owned());
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (digits, after) = rest.split_at_checked(digits_len).ok_or_else(|| "not a duration".to_owned())?;
        if digits.is_empty() {
            return Err(format!("expected a number before `{after}`"));
        }
        let after = after.trim_start();
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at_checked(unit_len).ok_or_else(|| "not a duration".to_owned())?;
        let scale = unit_seconds(unit).ok_or_else(|| {
            if unit.is_empty() { format!("`{digits}` has no unit") } else { format!("unknown unit `{unit}`") }
        })?;
        let value: u64 = digits.parse().map_err(|_| "number too large".to_owned())?;
        total = value
            .checked_mul(scale)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or_else(|| "too long".to_owned())?;
        rest = after.trim_start();
    }
    Ok(Duration::from_secs(total))
}

fn unit_seconds(unit: &str) -> Option<u64> {
    Some(match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 7 * 86_400,
        "month" | "months" => 30 * 86_400,
        "y" | "year" | "years" => 365 * 86_400,
        _ => return None,
    })
}

const MACROS: &[&str] = &["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
const MONTHS: &[&str] = &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// The value of `names[0]`.
    names_base: u32,
    question: bool,
}

const SECOND: Field = Field { name: "second", min: 0, max: 59, names: &[], names_base: 0, question: false };
const MINUTE: Field = Field { name: "minute", min: 0, max: 59, names: &[], names_base: 0, question: false };
const HOUR: Field = Field { name: "hour", min: 0, max: 23, names: &[], names_base: 0, question: false };
const DAY: Field = Field { name: "day of month", min: 1, max: 31, names: &[], names_base: 0, question: true };
const MONTH: Field = Field { name: "month", min: 1, max: 12, names: MONTHS, names_base: 1, question: false };
const WEEKDAY: Field = Field { name: "day of week", min: 0, max: 7, names: DAYS, names_base: 0, question: true };

/// Checks a cron expression: 5 fields, 6 with seconds first, or a macro such as `@daily`.
pub(crate) fn check_cron(expression: &str) -> Result<(), String> {
    let expression = expression.trim();
    if expression.starts_with('@') {
        return if MACROS.contains(&expression) { Ok(()) } else { Err(format!("unknown macro `{expression}`")) };
    }
    let parts: Vec<&str> = expression.split_whitespace().collect();
    let fields: &[Field] = match parts.len() {
        5 => &[MINUTE, HOUR, DAY, MONTH, WEEKDAY],
        6 => &[SECOND, MINUTE, HOUR, DAY, MONTH, WEEKDAY],
        n => return Err(format!("it has `{n}` fields, not 5 or 6")),
    };
    for (part, field) in parts.iter().zip(fields) {
        check_field(part, field)?;
    }
    Ok(())
}

fn check_field(text: &str, field: &Field) -> Result<(), String> {
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(n) if n > 0 => {}
                _ => return Err(format!("{} step `{step}` is not a positive number", field.name)),
            }
        }
        if range == "*" || (range == "?" && field.question) {
            continue;
        }
        let (low, high) = match range.split_once('-') {
            Some((low, high)) => (value(low, field)?, value(high, field)?),
            None => {
                let single = value(range, field)?;
                (single, single)
            }
        };
        if low > high {
            return Err(format!("{} range `{range}` runs backwards", field.name));
        }
    }
    Ok(())
}

fn value(text: &str, field: &Field) -> Result<u32, String> {
    let upper = text.to_ascii_uppercase();
    if let Some(index) = field.names.iter().position(|name| *name == upper) {
        return u32::try_from(index).map(|i| i + field.names_base).map_err(|_| "too many names".to_owned());
    }
    match text.parse::<u32>() {
        Ok(n) if (field.min..=field.max).contains(&n) => Ok(n),
        Ok(_) => Err(format!("{} `{text}` is outside {}-{}", field.name, field.min, field.max)),
        Err(_) => Err(format!("{} `{text}` is not a number", field.name)),
    }
}

/// Checks an RFC 3339 timestamp such as `2026-01-31T09:00:00Z` or `…+02:00`.
pub(crate) fn check_instant(text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    let number = |from: usize, len: usize| -> Option<u32> {
        let part = text.get(from..from + len)?;
        if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let at = |index: usize| bytes.get(index).copied();
    let shape = "it is not shaped like `YYYY-MM-DDTHH:MM:SSZ`".to_owned();
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) =
        (number(0, 4), number(5, 2), number(8, 2), number(11, 2), number(14, 2), number(17, 2))
    else {
        return Err(shape);
    };
    if at(4) != Some(b'-') || at(7) != Some(b'-') || !matches!(at(10), Some(b'T' | b't' | b' ')) {
        return Err(shape);
    }
    if at(13) != Some(b':') || at(16) != Some(b':') {
        return Err(shape);
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month `{month:02}` is outside 01-12"));
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days {
        return Err(format!("day `{day:02}` is outside 01-{days}"));
    }
    if hour > 23 || minute > 59 || second > 60 {
        return Err(format!("time `{hour:02}:{minute:02}:{second:02}` is not a time of day"));
    }
    let mut index = 19;
    if at(index) == Some(b'.') {
        index += 1;
        let digits = bytes.get(index..).map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count());
        if digits == 0 {
            return Err(shape);
        }
        index += digits;
    }
    match at(index) {
        Some(b'Z' | b'z') if index + 1 == bytes.len() => Ok(()),
        Some(b'+' | b'-') if index + 6 == bytes.len() => {
            match (number(index + 1, 2), at(index + 3), number(index + 4, 2)) {
                (Some(h), Some(b':'), Some(m)) if h <= 23 && m <= 59 => Ok(()),
                _ => Err("its offset is not `+HH:MM`".to_owned()),
            }
        }
        _ => Err("it needs a `Z` or `+HH:MM` offset at the end".to_owned()),
    }
}

/// Whether `text` looks like a timezone: `UTC`, `+HH:MM`, or an IANA name such as
/// `Europe/Berlin`. Names are checked for shape only; the runtime resolves them.
pub(crate) fn is_timezone(text: &str) -> bool {
    if let Some(offset) = text.strip_prefix('+').or_else(|| text.strip_prefix('-')) {
        let bytes = offset.as_bytes();
        return bytes.len() == 5
            && bytes.get(2) == Some(&b':')
            && offset.get(0..2).and_then(|h| h.parse::<u32>().ok()).is_some_and(|h| h <= 23)
            && offset.get(3..5).and_then(|m| m.parse::<u32>().ok()).is_some_and(|m| m <= 59);
    }
    !text.is_empty()
        && text.split('/').all(|segment| {
            segment.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && segment.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("2 days"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("90d"), Ok(Duration::from_secs(90 * 86_400)));
        assert_eq!(parse_duration("5 fortnights"), Err("unknown unit `fortnights`".to_owned()));
        assert_eq!(parse_duration(""), Err("it is empty".to_owned()));
        assert!(parse_duration("99999999999999999999y").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn cron() {
        for good in ["0 9 * * 1-5", "*/15 * * * *", "0 0 1 JAN,jul ?", "30 0 9 * * MON-FRI", "@daily", "0 0 * * 7"] {
            assert_eq!(check_cron(good), Ok(()), "{good}");
        }
        assert_eq!(check_cron("61 * * * *"), Err("minute `61` is outside 0-59".to_owned()));
        assert_eq!(check_cron("* * *"), Err("it has `3` fields, not 5 or 6".to_owned()));
        assert_eq!(check_cron("@sometimes"), Err("unknown macro `@sometimes`".to_owned()));
        assert!(check_cron("*/0 * * * *").is_err());
        assert!(check_cron("5-1 * * * *").is_err());
        assert!(check_cron("? * * * *").is_err());
    }

    #[test]
    fn instants() {
        assert_eq!(check_instant("2026-01-31T09:00:00Z"), Ok(()));
        assert_eq!(check_instant("2024-02-29T23:59:59.123+02:00"), Ok(()));
        assert!(check_instant("2023-02-29T00:00:00Z").is_err());
        assert!(check_instant("2026-13-01T00:00:00Z").is_err());
        assert!(check_instant("2026-01-01 00:00:00").is_err());
        assert!(check_instant("tomorrow").is_err());
    }

    #[test]
    fn timezones() {
        for good in ["UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "+05:30"] {
            assert!(is_timezone(good), "{good}");
        }
        for bad in ["", "Europe//Berlin", "+5", "Mars Time", "/UTC"] {
            assert!(!is_timezone(bad), "{bad}");
        }
    }
}
