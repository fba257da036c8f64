//! What `validate` and `parse` report: a problem, and where it is, as a typed location.

use std::fmt;

use super::visit::Path;

/// A problem with a program, and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Where.
    pub loc: Loc,
    /// What is wrong.
    pub kind: DiagnosticKind,
}

/// Where a problem is: in the IR, in the text it was read from, or both.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Loc {
    /// The part of the program, when the problem is about one (always, for `validate`).
    pub path: Option<Path>,
    /// The place in the text, when the program was read from text.
    pub text: Option<TextPos>,
}

/// A place in program text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TextPos {
    /// Line `line`, column `column` (both from 1): where the line's code starts.
    At {
        /// The line, from 1.
        line: usize,
        /// The column, from 1.
        column: usize,
    },
    /// After the last line.
    End,
}

/// What is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiagnosticKind {
    /// Text that is not one of the shapes the renderer prints.
    Syntax(String),
    /// A program the renderer or the model cannot take as it is.
    Invalid(String),
    /// Blocks nested deeper than CPython compiles in one function.
    TooDeep {
        /// How many blocks CPython would count at the deepest point of the statement.
        blocks: usize,
        /// The most it compiles.
        limit: usize,
    },
}

impl Diagnostic {
    /// A problem `validate` finds in the part of the program at `path`.
    pub fn invalid(path: Path, message: impl Into<String>) -> Diagnostic {
        Diagnostic { loc: Loc { path: Some(path), text: None }, kind: DiagnosticKind::Invalid(message.into()) }
    }

    /// A line of text that `parse` cannot read.
    pub fn syntax(text: TextPos, message: impl Into<String>) -> Diagnostic {
        Diagnostic { loc: Loc { path: None, text: Some(text) }, kind: DiagnosticKind::Syntax(message.into()) }
    }
}

impl Loc {
    /// The line in the text, when it is known.
    pub fn line(&self) -> Option<usize> {
        match self.text {
            Some(TextPos::At { line, .. }) => Some(line),
            Some(TextPos::End) | None => None,
        }
    }
}

/// Where in the text when known (`line 12`, `end of input`), else the IR path (`main[1].with[0]`).
impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.text, &self.path) {
            (Some(TextPos::At { line, .. }), _) => write!(f, "line {line}"),
            (Some(TextPos::End), _) => write!(f, "end of input"),
            (None, Some(path)) => write!(f, "{path}"),
            (None, None) => write!(f, "the program"),
        }
    }
}

impl fmt::Display for DiagnosticKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiagnosticKind::Syntax(m) | DiagnosticKind::Invalid(m) => f.write_str(m),
            DiagnosticKind::TooDeep { blocks, limit } => write!(
                f,
                "blocks nest {blocks} deep here, and CPython compiles at most {limit} in one function (\"too many \
                 statically nested blocks\")"
            ),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.kind)
    }
}
