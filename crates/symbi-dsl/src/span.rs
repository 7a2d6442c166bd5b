//! Byte ranges into `.symbi` source and their line/column locations. Every AST node and every
//! diagnostic carries a [`Span`]; [`Location`] turns an offset into what an editor shows.

/// A byte range `start..end` in the source text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Span {
    // INVARIANT (ordered-span): `start <= end`; `new` swaps reversed bounds.
    start: usize,
    end: usize,
}

impl Span {
    /// A span from `start` to `end` (swapped if given in the wrong order).
    pub fn new(start: usize, end: usize) -> Self {
        if end < start { Self { start: end, end: start } } else { Self { start, end } }
    }

    /// Byte offset of the first byte.
    pub fn start(self) -> usize {
        self.start
    }

    /// Byte offset one past the last byte.
    pub fn end(self) -> usize {
        self.end
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        // INVARIANT (ordered-span): cannot underflow.
        self.end - self.start
    }

    /// Whether the span covers no bytes (an insertion point such as end of file).
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Line and column of the span's start in `source`.
    pub fn location(self, source: &str) -> Location {
        Location::of(source, self.start)
    }

    /// The smallest span covering both `self` and `other`.
    pub(crate) fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        (span.start, span.len()).into()
    }
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Location {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column in characters, starting at 1.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `source`; offsets past the end clamp to the end and
    /// offsets inside a multi-byte character count as that character.
    pub fn of(source: &str, offset: usize) -> Self {
        let mut line = 1;
        let mut column = 1;
        for (index, ch) in source.char_indices() {
            if index >= offset {
                break;
            }
            if ch == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        Self { line, column }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_characters() {
        let source = "ab\ncé\nx";
        assert_eq!(Location::of(source, 0), Location { line: 1, column: 1 });
        assert_eq!(Location::of(source, 3), Location { line: 2, column: 1 });
        // `é` is two bytes; `\n` after it is column 3.
        assert_eq!(Location::of(source, 6), Location { line: 2, column: 3 });
        assert_eq!(Location::of(source, 7), Location { line: 3, column: 1 });
        assert_eq!(Location::of(source, 100), Location { line: 3, column: 2 });
    }

    #[test]
    fn new_orders_bounds() {
        let span = Span::new(5, 2);
        assert_eq!((span.start(), span.end(), span.len()), (2, 5, 3));
        assert!(Span::new(4, 4).is_empty());
        assert_eq!(Span::new(1, 2).to(Span::new(5, 9)), Span::new(1, 9));
    }
}
