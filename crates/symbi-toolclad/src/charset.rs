//! The characters an argument value may never carry. Every text-shaped argument type runs its
//! value through [`forbidden_char`] before any type-specific rule, so a new dangerous character
//! is refused everywhere by adding it here once.

/// Shell metacharacters: the 16 every published ToolClad implementation refuses, plus the four
/// the JavaScript implementation adds (`#`, `\`, `'`, `"`). We never run a shell, but tools
/// often do (wrapper scripts, `ssh host cmd`), so the strictest published set is the floor.
const SHELL_META: [char; 20] =
    [';', '|', '&', '$', '`', '(', ')', '{', '}', '[', ']', '<', '>', '!', '\n', '\r', '#', '\\', '\'', '"'];

/// Returns the first character of `value` that no argument may contain, if any.
///
/// Beyond the shell metacharacters this refuses every control character (NUL, tab, DEL, C1),
/// Unicode format characters (bidi overrides, zero-width joiners, BOM), unusual spaces, and
/// look-alikes of the metacharacters (fullwidth and small forms, the Greek question mark that
/// renders as `;`, smart quotes, division slash), so what a reviewer reads is what runs.
pub(crate) fn forbidden_char(value: &str) -> Option<char> {
    value.chars().find(|&c| SHELL_META.contains(&c) || c.is_control() || is_invisible_or_lookalike(c))
}

/// Format, separator and confusable code points; see [`forbidden_char`].
fn is_invisible_or_lookalike(c: char) -> bool {
    matches!(c,
        '\u{00A0}' | '\u{00AD}' | '\u{01C3}' | '\u{02BA}' | '\u{02BC}' | '\u{02C2}'..='\u{02C5}'
        | '\u{034F}' | '\u{037E}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{1680}'
        | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{2000}'..='\u{200F}'
        | '\u{2018}'..='\u{201F}' | '\u{2024}'..='\u{2026}' | '\u{2028}'..='\u{202F}'
        | '\u{2039}' | '\u{203A}' | '\u{2044}' | '\u{205F}'..='\u{206F}' | '\u{2215}' | '\u{2216}'
        | '\u{2223}' | '\u{2236}' | '\u{29F5}' | '\u{29F8}' | '\u{29F9}' | '\u{3000}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FE50}'..='\u{FE6F}' | '\u{FEFF}' | '\u{FF00}'..='\u{FFEF}'
        | '\u{FFF0}'..='\u{FFFF}' | '\u{E0000}'..='\u{E007F}'
    )
}

/// Describes a refused character for an error message: printable ones in backticks, the rest
/// as their code point, so the message itself carries no control or bidi character.
pub(crate) fn describe(c: char) -> String {
    if c.is_ascii_graphic() { format!("`{c}`") } else { format!("U+{:04X}", u32::from(c)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_metacharacters_controls_and_lookalikes() {
        for bad in [
            ";", "a|b", "$x", "`", "a\nb", "\0", "\t", "#", "'", "\"", "\\", "\u{202E}", "\u{200B}", "\u{FF1B}",
            "\u{037E}", "\u{FEFF}", "\u{2028}",
        ] {
            assert!(forbidden_char(bad).is_some(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn allows_plain_text_and_letters() {
        for ok in ["hello world", "a-b_c.d/e", "café", "日本語", "50%", "a=b,c", "~user", "*.txt?"] {
            assert_eq!(forbidden_char(ok), None, "{ok:?} should pass");
        }
    }

    #[test]
    fn describes_invisible_characters_by_code_point() {
        assert_eq!(describe(';'), "`;`");
        assert_eq!(describe('\u{202E}'), "U+202E");
        assert_eq!(describe('\0'), "U+0000");
    }
}
