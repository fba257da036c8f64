//! The on-disk corpus format, version [`FORMAT_VERSION`]: the header of a `.case` file, and
//! the headers of the files generated beside it.
//!
//! A `.case` file is a header of comment lines, then the program in the parser's language
//! (`oracle::parse`):
//!
//! ```text
//! # withstand case, format 1
//! # description: a truthy __exit__ result suppresses the exception
//! # rule: exit-suppresses (§1.5)
//! # origin: hand-written
//!
//! class M0:
//!     ...
//! ```
//!
//! The first line names the format version. Then come `# key: value` fields, in any order:
//! `description`, `rule` and `origin` are required; `signature`, `profile`, `see` and
//! `known-divergence` are optional; each appears at most once. Any other comment line (one that
//! does not look like `# key: value`) is a free-text note, for a root-cause paragraph. The header
//! ends at the first line that is not a comment.
//!
//! These types are the format, not the model's: a new field is a change here and, if old files
//! would be read differently, a new format version.

use std::fmt;

use crate::model::Rule;

/// The version this code reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The first line of every `.case` file, without the version number.
pub const FORMAT_LINE_PREFIX: &str = "# withstand case, format ";

/// The marker of generated files (`.py`, `.trace`).
pub const GENERATED: &str = "@generated";

/// The header of a `.case` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// One line saying what the case shows.
    pub description: String,
    /// The rules of SEMANTICS.md the case is about (empty for a regression that fits none,
    /// written `# rule: -`).
    pub rules: Vec<Rule>,
    /// Where the case came from.
    pub origin: Origin,
    /// The divergence signature the case was found with, for promoted findings.
    pub signature: Option<String>,
    /// The profile the case was found against, e.g. `pypy-3.10`.
    pub profile: Option<String>,
    /// A link or issue reference (`issue 17`, a URL).
    pub see: Option<String>,
    /// The model is known to disagree with the recording, for this reason; the case then
    /// expects a divergence and fails when it disappears.
    pub known_divergence: Option<String>,
    /// Free-text comment lines, without the leading `# `.
    pub notes: Vec<String>,
}

/// Where a case came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `hand-written`.
    HandWritten,
    /// `seed 0x1f, withstand 0.0.0, cpython 3.11.7 (python3), 2026-11-23`: found by a campaign.
    Seed {
        /// The case seed (`withstand show SEED` regenerates the unshrunk program).
        seed: u64,
        /// The withstand version that found it.
        withstand: String,
        /// The interpreter it was found against.
        interpreter: String,
        /// The date, YYYY-MM-DD.
        date: String,
    },
    /// `libFuzzer artifact crash-0123..., ...`: imported from a fuzzer artifact; kept as text.
    Artifact(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::HandWritten => f.write_str("hand-written"),
            Origin::Seed { seed, withstand, interpreter, date } => {
                write!(f, "seed {seed:#x}, withstand {withstand}, {interpreter}, {date}")
            }
            Origin::Artifact(text) => write!(f, "libFuzzer artifact {text}"),
        }
    }
}

/// `exit-suppresses (§1.5)`.
pub fn rule_text(rule: Rule) -> String {
    format!("{} (§{})", rule.name(), rule.section())
}

/// A rule by its [`Rule::name`].
pub fn rule_from_name(name: &str) -> Option<Rule> {
    Rule::ALL.iter().copied().find(|r| r.name() == name)
}

impl Header {
    /// The header as it is written: the format line, the fields, the notes, one per line.
    pub fn render(&self) -> String {
        let line = |text: &str| one_line(text, MAX_FIELD_BYTES);
        let mut res = format!("{FORMAT_LINE_PREFIX}{FORMAT_VERSION}\n");
        res.push_str(&format!("# description: {}\n", line(&self.description)));
        let rules = if self.rules.is_empty() {
            "-".to_string()
        } else {
            self.rules.iter().map(|r| rule_text(*r)).collect::<Vec<_>>().join(", ")
        };
        res.push_str(&format!("# rule: {rules}\n"));
        res.push_str(&format!("# origin: {}\n", line(&self.origin.to_string())));
        for (key, value) in [
            ("signature", &self.signature),
            ("profile", &self.profile),
            ("see", &self.see),
            ("known-divergence", &self.known_divergence),
        ] {
            if let Some(v) = value {
                res.push_str(&format!("# {key}: {}\n", line(v)));
            }
        }
        for note in &self.notes {
            if note.is_empty() {
                res.push_str("#\n");
            } else {
                res.push_str(&format!("# {}\n", line(note)));
            }
        }
        res
    }
}

/// A problem in a header, at a line (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderProblem {
    /// The line, or `None` for the file as a whole (a missing field).
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

const FIELDS: &[&str] = &["description", "rule", "origin", "signature", "profile", "see", "known-divergence"];

/// Reads the header at the top of `text`; reports every problem, never stops at the first.
/// On success also returns the number of header lines.
pub fn parse_header(text: &str) -> Result<Header, Vec<HeaderProblem>> {
    // A byte order mark is accepted, as the program parser accepts it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut problems = Vec::new();
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r')).enumerate().map(|(i, l)| (i + 1, l)).peekable();
    let problem = |line: usize, message: String| HeaderProblem { line: Some(line), message };
    match lines.peek().copied() {
        Some((no, first)) => match first.strip_prefix(FORMAT_LINE_PREFIX) {
            Some(v) => {
                lines.next();
                match v.trim().parse::<u32>() {
                    Ok(FORMAT_VERSION) => {}
                    Ok(n) => problems.push(problem(
                        no,
                        format!("format {n} is not supported: this withstand reads format {FORMAT_VERSION}"),
                    )),
                    Err(_) => problems.push(problem(no, format!("bad format version {:?}", v.trim()))),
                }
            }
            None => problems.push(problem(
                no,
                format!("the first line must be `{FORMAT_LINE_PREFIX}{FORMAT_VERSION}`, found {:?}", clip(first)),
            )),
        },
        None => problems.push(HeaderProblem { line: None, message: "empty file".to_string() }),
    }
    let mut fields: Vec<(usize, &str, &str)> = Vec::new();
    let mut notes = Vec::new();
    for (no, line) in lines {
        let Some(comment) = line.strip_prefix('#') else { break };
        let comment = comment.strip_prefix(' ').unwrap_or(comment);
        match field(comment) {
            Some((key, value)) => {
                if !FIELDS.contains(&key) {
                    problems.push(problem(no, format!("unknown field `{key}`; the fields are {}", FIELDS.join(", "))));
                } else if let Some((first, _, _)) = fields.iter().find(|(_, k, _)| *k == key) {
                    problems.push(problem(no, format!("a second `{key}` field (the first is on line {first})")));
                } else {
                    fields.push((no, key, value));
                }
            }
            None => notes.push(comment.to_string()),
        }
    }
    let get = |key: &str| fields.iter().find(|(_, k, _)| *k == key).map(|(no, _, v)| (*no, *v));
    let mut required = |key: &str, example: &str| match get(key) {
        Some((no, v)) if v.trim().is_empty() => {
            problems.push(problem(no, format!("the `{key}` field is empty; write e.g. `# {key}: {example}`")));
            None
        }
        Some(it) => Some(it),
        None => {
            problems.push(HeaderProblem {
                line: None,
                message: format!("no `{key}` field in the header; add e.g. `# {key}: {example}`"),
            });
            None
        }
    };
    let description = required("description", "a truthy __exit__ result suppresses the exception");
    let rule = required("rule", "exit-suppresses (§1.5)");
    let origin = required("origin", "hand-written");
    let rules = rule.map(|(no, v)| {
        parse_rules(v).unwrap_or_else(|ms| {
            problems.extend(ms.into_iter().map(|m| problem(no, m)));
            Vec::new()
        })
    });
    let origin = origin.and_then(|(no, v)| match parse_origin(v) {
        Ok(o) => Some(o),
        Err(m) => {
            problems.push(problem(no, m));
            None
        }
    });
    if !problems.is_empty() {
        // In line order, problems of the file as a whole last; stable, so a line keeps its order.
        problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        return Err(problems);
    }
    let optional = |key: &str| get(key).map(|(_, v)| v.trim().to_string());
    Ok(Header {
        description: description.expect("checked above").1.trim().to_string(),
        rules: rules.expect("checked above"),
        origin: origin.expect("checked above"),
        signature: optional("signature"),
        profile: optional("profile"),
        see: optional("see"),
        known_divergence: optional("known-divergence"),
        notes,
    })
}

/// `key: value` where the key is a lowercase word (letters and `-`): what a field looks like.
fn field(comment: &str) -> Option<(&str, &str)> {
    let (key, value) = comment.split_once(':')?;
    let is_key = !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '-');
    if !is_key {
        return None;
    }
    Some((key, value.strip_prefix(' ').unwrap_or(value)))
}

/// `exit-suppresses (§1.5), exit-result-bool (§1.5)`, or `-` for none.
fn parse_rules(text: &str) -> Result<Vec<Rule>, Vec<String>> {
    let text = text.trim();
    if text == "-" {
        return Ok(Vec::new());
    }
    let mut res = Vec::new();
    let mut problems = Vec::new();
    for item in text.split(',') {
        let item = item.trim();
        let (name, section) = match item.split_once(" (§") {
            Some((name, rest)) => (name.trim(), rest.strip_suffix(')').map(str::trim)),
            None => (item, None),
        };
        let Some(rule) = rule_from_name(name) else {
            problems.push(format!("unknown rule `{name}`; `withstand stats` lists the rules (write `-` for none)"));
            continue;
        };
        match section {
            Some(s) if s == rule.section() => res.push(rule),
            Some(s) => problems.push(format!("rule {name} is in §{}, not §{s}", rule.section())),
            None => problems.push(format!("write the rule with its section: `{}`", rule_text(rule))),
        }
    }
    if problems.is_empty() {
        Ok(res)
    } else {
        Err(problems)
    }
}

fn parse_origin(text: &str) -> Result<Origin, String> {
    const FORMS: &str = "`hand-written`, `seed 0x…, withstand V, INTERPRETER, YYYY-MM-DD` or `libFuzzer artifact …`";
    let text = text.trim();
    if text == "hand-written" {
        return Ok(Origin::HandWritten);
    }
    if let Some(rest) = text.strip_prefix("libFuzzer artifact ") {
        return Ok(Origin::Artifact(rest.to_string()));
    }
    let Some(rest) = text.strip_prefix("seed ") else {
        return Err(format!("bad origin {:?}: expected {FORMS}", clip(text)));
    };
    let bad = || format!("bad origin {:?}: expected {FORMS}", clip(text));
    let (seed, rest) = rest.split_once(", ").ok_or_else(bad)?;
    let (withstand, rest) = rest.split_once(", ").ok_or_else(bad)?;
    let (interpreter, date) = rest.rsplit_once(", ").ok_or_else(bad)?;
    let seed = seed.strip_prefix("0x").and_then(|h| u64::from_str_radix(h, 16).ok()).ok_or_else(bad)?;
    let withstand = withstand.strip_prefix("withstand ").ok_or_else(bad)?;
    let is_date = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !is_date || interpreter.is_empty() {
        return Err(bad());
    }
    Ok(Origin::Seed {
        seed,
        withstand: withstand.to_string(),
        interpreter: interpreter.to_string(),
        date: date.to_string(),
    })
}

/// The header lines of a generated file (`.py` or `.trace`): the `@generated` marker with the
/// case it comes from and the command that regenerates it, then `extra` lines.
pub fn generated_header(case_file: &str, command: &str, extra: &[String]) -> String {
    let line = |text: &str| one_line(text, MAX_FIELD_BYTES);
    let mut res = format!("# {GENERATED} from {} by `withstand record`; do not edit.\n", line(case_file));
    res.push_str(&format!("# Regenerate: {}\n", line(command)));
    for e in extra {
        res.push_str(&format!("# {}\n", line(e)));
    }
    res
}

/// The trace lines of a `.trace` file: every line after the leading comment lines.
pub fn trace_lines(text: &str) -> Result<Vec<String>, String> {
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r')).peekable();
    if !lines.peek().is_some_and(|l| l.starts_with('#') && l.contains(GENERATED)) {
        return Err(format!("the first line must be the `# {GENERATED} ...` header"));
    }
    let mut res: Vec<String> = lines.skip_while(|l| l.starts_with('#')).map(str::to_string).collect();
    if res.last().is_some_and(String::is_empty) {
        res.pop();
    }
    if res.is_empty() {
        return Err("no trace lines after the header".to_string());
    }
    if !res.iter().any(|l| l.starts_with("=> ")) {
        return Err("no outcome line (`=> return ...` or `=> raise ...`)".to_string());
    }
    Ok(res)
}

/// `text` as one line of a comment, safe to write into a header: every control character
/// (line breaks included) and every other line or paragraph separator is escaped as `\u{..}`
/// (so that escaping twice changes nothing more), and the whole is cut to at most `max` bytes
/// (with `…`). Every externally supplied string (a file name, what an interpreter reports about
/// itself, a description from the command line) goes through this before it reaches a
/// generated Python file, a trace header or a case header.
pub fn one_line(text: &str, max: usize) -> String {
    let mut res = String::with_capacity(text.len().min(max) + 8);
    for c in text.chars() {
        if res.len() >= max {
            res.push('…');
            break;
        }
        match c {
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}' | '\u{feff}') => {
                res.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => res.push(c),
        }
    }
    res
}

/// Header values are cut to this many bytes.
pub const MAX_FIELD_BYTES: usize = 1000;

/// The first 60 characters of a line, for messages.
fn clip(text: &str) -> String {
    let mut res: String = text.chars().take(60).collect();
    if res.len() < text.len() {
        res.push('…');
    }
    res
}
