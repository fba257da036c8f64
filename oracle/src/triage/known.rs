//! Known differences: TOML files that list what an implementation is known to do differently
//! from the CPython version it follows, so that a campaign fails only for new ones.
//!
//! Each entry is documentation first, in the manner of MicroPython's `cpydiff`: a one-line
//! summary, what CPython does, what the implementation does, why, a link, and the corpus case
//! that shows it. Then how to recognise it in a finding: the rule (or family) behind the first
//! difference, what differs there, and optionally the event kind, a pattern of the interpreter's
//! message, of the model's message, or of the signature's detail. One difference can show in
//! more than one way (a missing chain seen through PEP 479's numbering, say): `[[known.also]]`
//! tables add other patterns to the entry, and the entry matches when any of them does.
//!
//! ```toml
//! implementation = "pypy"        # defaults for every entry: sys.implementation.name
//! versions = ">=3.9, <3.10"      # and a range of sys.version_info
//!
//! [[known]]
//! id = "pypy-missing-protocol-message"
//! summary = "the error for an object that lacks __enter__ or __exit__ has PyPy's own wording"
//! cpython = "AttributeError: __enter__"
//! actual = "AttributeError: 'M0' object is not a context manager (no __enter__/__exit__ method)"
//! reason = "PyPy words the failed lookup itself"
//! case = "../corpus/regressions/pypy-missing-protocol-message.case"
//! rule = "missing-protocol"
//! differs = "message"
//! message = "is not a context manager \\(no __a?enter__/__a?exit__ method\\)$"
//! ```
//!
//! Parsing is pure: [`parse`] takes the text and the name to report it by, and every problem
//! comes back at once, each with the file and line.

use std::fmt;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use toml::Spanned;

use super::{Culprit, Facts};
use crate::runner::InterpreterInfo;
use crate::verdict::{Differs, FailureKind, Kind};

/// A known-differences file, parsed.
#[derive(Clone, Debug)]
pub struct KnownFile {
    /// The file, as it was named to [`parse`].
    pub path: String,
    /// Its entries, in order.
    pub entries: Vec<Entry>,
}

/// One known difference.
#[derive(Clone, Debug)]
pub struct Entry {
    /// A unique id: `pypy-missing-protocol-message`.
    pub id: String,
    /// One line: what differs.
    pub summary: String,
    /// What CPython does, if the entry says.
    pub cpython: Option<String>,
    /// What the implementation does, if the entry says.
    pub actual: Option<String>,
    /// Why, if the entry says.
    pub reason: Option<String>,
    /// A link to the implementation's issue or documentation.
    pub link: Option<String>,
    /// The corpus case that shows it, as written (relative to the known file's directory).
    pub case: Option<String>,
    /// `sys.implementation.name` it applies to.
    pub implementation: String,
    /// The versions (`sys.version_info`) it applies to.
    pub versions: Versions,
    /// A pattern `sys.version` must match, to tell releases of an implementation apart.
    pub version_string: Option<Regex>,
    /// The kind of failure it describes (a divergence unless it says otherwise).
    pub failure: FailureKind,
    /// How to recognise it: it describes a failure that any of these matches (never empty).
    pub patterns: Vec<Pattern>,
    /// The file that defines it.
    pub file: String,
    /// The line where it starts.
    pub line: usize,
}

/// One way to recognise a known difference in a failure.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The rules or families behind the first difference (a divergence only; never empty then).
    pub culprits: Vec<Culprit>,
    /// What differs (a divergence only; never empty then).
    pub differs: Vec<Differs>,
    /// The kinds of the expected event, if the pattern narrows them.
    pub kinds: Vec<Kind>,
    /// A pattern of the interpreter's message at the first difference (of a divergence), or of
    /// what an interpreter failure left (status, answer, end of stderr).
    pub message: Option<Regex>,
    /// A pattern of the model's message at the first difference.
    pub expected_message: Option<Regex>,
    /// A pattern of the signature's detail (the masked, finer level).
    pub detail: Option<Regex>,
    /// A pattern of an exception the interpreter raised, anywhere in its trace, more often than
    /// the model's trace has it (mostly: never; `RuntimeError: can't do ...`): the
    /// implementation's own error, which names the bug wherever the first difference is. A
    /// pattern with it may leave out `rule` and `differs` (any then).
    pub raised: Option<Regex>,
    /// The other way round: a pattern of an exception the model raises, anywhere in its trace,
    /// more often than the interpreter's trace has it (CPython's `TypeError: first argument must
    /// be callable` where the implementation accepts what it refuses). The same evidence from
    /// afar as `raised`, with which `rule` and `differs` may be left out.
    pub expected_raised: Option<Regex>,
}

/// A problem in a known-differences file, at a line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct KnownError {
    /// The file.
    pub file: String,
    /// The line (1-based).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// A range of versions: every constraint must hold. `>=3.9, <3.11`; `3.9` means `==3.9`, which
/// holds for every 3.9.x.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versions {
    constraints: Vec<(Op, Vec<u32>)>,
    text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

impl Versions {
    /// Parses `>=3.9, <3.11`, `==3.9`, `3.9.16`, `*`.
    pub fn parse(text: &str) -> Result<Versions, String> {
        let mut constraints = Vec::new();
        for part in text.split(',').map(str::trim) {
            if part == "*" {
                continue;
            }
            let (op, rest) = [(">=", Op::Ge), ("<=", Op::Le), ("==", Op::Eq), (">", Op::Gt), ("<", Op::Lt)]
                .iter()
                .find_map(|(p, op)| part.strip_prefix(p).map(|rest| (*op, rest.trim())))
                .unwrap_or((Op::Eq, part));
            let numbers: Result<Vec<u32>, _> = rest.split('.').map(str::parse::<u32>).collect();
            match numbers {
                Ok(v) if (1..=3).contains(&v.len()) => constraints.push((op, v)),
                _ => {
                    return Err(format!(
                        "{part:?} is not a version constraint (e.g. \">=3.9, <3.11\", \"3.9\", \"==3.14.0\")"
                    ))
                }
            }
        }
        Ok(Versions { constraints, text: text.trim().to_string() })
    }

    /// Whether `version` is in the range. A constraint compares only the parts it names:
    /// `<3.11` holds for 3.10.13, `==3.9` for 3.9.16.
    pub fn contains(&self, version: (u32, u32, u32)) -> bool {
        let full = [version.0, version.1, version.2];
        self.constraints.iter().all(|(op, want)| {
            let have = &full[..want.len()];
            let ord = have.cmp(want.as_slice());
            match op {
                Op::Eq => ord.is_eq(),
                Op::Ge => ord.is_ge(),
                Op::Gt => ord.is_gt(),
                Op::Le => ord.is_le(),
                Op::Lt => ord.is_lt(),
            }
        })
    }
}

impl fmt::Display for Versions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.text.is_empty() { "*" } else { &self.text })
    }
}

impl Entry {
    /// Whether it applies to the interpreter that reported `info`.
    pub fn applies(&self, info: &InterpreterInfo) -> bool {
        self.implementation == info.implementation
            && self.versions.contains(info.version)
            && self.version_string.as_ref().is_none_or(|r| r.is_match(&info.version_string))
    }

    /// Whether it describes a failure with these facts, by a pattern that reads (`by_raised`) or
    /// does not read what either trace raised elsewhere: triage tries every entry's patterns at
    /// the first difference before any `raised` or `expected-raised` one, which is only evidence
    /// from farther away.
    pub fn matches_by(&self, facts: &Facts, by_raised: bool) -> bool {
        facts.failure == self.failure
            && self.patterns.iter().filter(|p| p.reads_whole_traces() == by_raised).any(|p| p.matches(facts))
    }

    /// Whether it can only match when messages are compared.
    pub fn needs_messages(&self) -> bool {
        self.failure == FailureKind::Divergence
            && self.patterns.iter().all(|p| p.reads_whole_traces() || p.differs.iter().all(|d| *d == Differs::Message))
    }

    /// How it recognises a finding, one line per pattern: `missing-protocol: message, message ~ /…/`.
    pub fn criteria(&self) -> Vec<String> {
        self.patterns.iter().map(|p| p.criteria(self.failure)).collect()
    }
}

impl Pattern {
    /// Whether it reads what the traces raise anywhere (`raised`, `expected-raised`), not only the
    /// first difference.
    fn reads_whole_traces(&self) -> bool {
        self.raised.is_some() || self.expected_raised.is_some()
    }

    fn matches(&self, facts: &Facts) -> bool {
        let Some(sig) = &facts.signature else {
            // An interpreter failure: the pattern, if any, against what it left.
            return self.message.as_ref().is_none_or(|r| r.is_match(&facts.text));
        };
        let culprit = Culprit::of_signature(sig);
        let pattern = |r: &Option<Regex>, text: Option<&str>| match (r, text) {
            (None, _) => true,
            (Some(r), Some(t)) => r.is_match(t),
            (Some(_), None) => false,
        };
        // Empty only in a pattern with `raised` or `expected-raised`: any rule, any difference.
        (self.culprits.is_empty() || self.culprits.contains(&culprit))
            && (self.differs.is_empty() || self.differs.contains(&sig.differs))
            && (self.kinds.is_empty() || self.kinds.contains(&sig.kind))
            && self.raised.as_ref().is_none_or(|r| facts.text.lines().any(|l| r.is_match(l)))
            && self.expected_raised.as_ref().is_none_or(|r| facts.unraised.lines().any(|l| r.is_match(l)))
            && pattern(&self.message, sig.messages.as_ref().map(|m| m.1.as_str()))
            && pattern(&self.expected_message, sig.messages.as_ref().map(|m| m.0.as_str()))
            && pattern(&self.detail, Some(&sig.detail))
    }

    fn criteria(&self, failure: FailureKind) -> String {
        let mut res = match failure {
            FailureKind::Divergence => {
                let names = |v: Vec<String>| if v.is_empty() { "any".to_string() } else { v.join("|") };
                format!(
                    "{}: {}",
                    names(self.culprits.iter().map(|c| c.name()).collect()),
                    names(self.differs.iter().map(|d| d.name().to_string()).collect())
                )
            }
            other => format!("interpreter {}", other.word()),
        };
        if !self.kinds.is_empty() {
            let kinds: Vec<&str> = self.kinds.iter().map(|k| k.name()).collect();
            res.push_str(&format!(" of {}", kinds.join("|")));
        }
        for (name, r) in [
            ("message", &self.message),
            ("expected message", &self.expected_message),
            ("detail", &self.detail),
            ("raised", &self.raised),
            ("expected raised", &self.expected_raised),
        ] {
            if let Some(r) = r {
                res.push_str(&format!(", {name} ~ /{}/", r.as_str()));
            }
        }
        res
    }
}

/// A field that takes one name or a list of names.
#[derive(Deserialize)]
#[serde(untagged)]
enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    fn list(&self) -> Vec<&str> {
        match self {
            Names::One(s) => vec![s.as_str()],
            Names::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawFile {
    implementation: Option<Spanned<String>>,
    versions: Option<Spanned<String>>,
    version_string: Option<Spanned<String>>,
    #[serde(default)]
    known: Vec<Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawEntry {
    id: Spanned<String>,
    summary: Spanned<String>,
    cpython: Option<String>,
    actual: Option<String>,
    reason: Option<String>,
    link: Option<String>,
    case: Option<String>,
    implementation: Option<Spanned<String>>,
    versions: Option<Spanned<String>>,
    version_string: Option<Spanned<String>>,
    failure: Option<Spanned<String>>,
    // The first pattern (serde's `flatten` would lose the spans and the unknown-field check).
    rule: Option<Spanned<Names>>,
    differs: Option<Spanned<Names>>,
    kind: Option<Spanned<Names>>,
    message: Option<Spanned<String>>,
    expected_message: Option<Spanned<String>>,
    detail: Option<Spanned<String>>,
    raised: Option<Spanned<String>>,
    expected_raised: Option<Spanned<String>>,
    #[serde(default)]
    also: Vec<Spanned<RawPattern>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPattern {
    rule: Option<Spanned<Names>>,
    differs: Option<Spanned<Names>>,
    kind: Option<Spanned<Names>>,
    message: Option<Spanned<String>>,
    expected_message: Option<Spanned<String>>,
    detail: Option<Spanned<String>>,
    raised: Option<Spanned<String>>,
    expected_raised: Option<Spanned<String>>,
}

/// The largest compiled pattern, so that a known file cannot ask for unbounded memory.
const MAX_REGEX_BYTES: usize = 1 << 20;

/// Parses a known-differences file. `file` is how errors name it. Every problem is reported, each
/// at its line; entry ids must be unique within the file (and, by the caller, across files).
pub fn parse(text: &str, file: &str) -> Result<KnownFile, Vec<KnownError>> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let err = |offset: usize, message: String| KnownError { file: file.to_string(), line: line_of(offset), message };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        vec![err(offset, e.message().trim().to_string())]
    })?;
    let mut errors = Vec::new();
    let regex = |s: &Option<Spanned<String>>, errors: &mut Vec<KnownError>| -> Option<Regex> {
        let s = s.as_ref()?;
        match RegexBuilder::new(s.get_ref()).size_limit(MAX_REGEX_BYTES).build() {
            Ok(r) => Some(r),
            Err(e) => {
                let shown = e.to_string().lines().last().unwrap_or("").trim().to_string();
                errors.push(err(s.span().start, format!("the pattern {:?} does not compile: {shown}", s.get_ref())));
                None
            }
        }
    };
    let versions = |s: &Spanned<String>, errors: &mut Vec<KnownError>| match Versions::parse(s.get_ref()) {
        Ok(v) => Some(v),
        Err(m) => {
            errors.push(err(s.span().start, m));
            None
        }
    };
    let file_versions = raw.versions.as_ref().and_then(|v| versions(v, &mut errors));
    let file_version_string = regex(&raw.version_string, &mut errors);
    let mut entries = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for spanned in raw.known {
        let at = spanned.span().start;
        let line = line_of(at);
        let e = spanned.into_inner();
        let before = errors.len();
        let id = e.id.get_ref().trim().to_string();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            errors.push(err(e.id.span().start, format!("the id {id:?} must be letters, digits, '-', '_' or '.'")));
        }
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == id) {
            errors.push(err(e.id.span().start, format!("the id {id:?} is used twice (first at line {first})")));
        }
        seen.push((id.clone(), line));
        if e.summary.get_ref().trim().is_empty() {
            errors.push(err(e.summary.span().start, "the summary is empty".to_string()));
        }
        if e.reason.is_none() && e.link.is_none() {
            errors.push(err(at, format!("entry {id:?} needs a `reason` or a `link`")));
        }
        let implementation = match (&e.implementation, &raw.implementation) {
            (Some(s), _) | (None, Some(s)) => s.get_ref().clone(),
            (None, None) => {
                errors.push(err(at, format!("entry {id:?} needs an `implementation` (or one at the top of the file)")));
                String::new()
            }
        };
        let entry_versions = match &e.versions {
            Some(v) => versions(v, &mut errors),
            None => Some(file_versions.clone().unwrap_or(Versions { constraints: Vec::new(), text: String::new() })),
        };
        let version_string = match &e.version_string {
            Some(_) => regex(&e.version_string, &mut errors),
            None => file_version_string.clone(),
        };
        let failure = match &e.failure {
            None => FailureKind::Divergence,
            Some(s) => match s.get_ref().as_str() {
                "divergence" => FailureKind::Divergence,
                "hang" => FailureKind::Hang,
                "crash" => FailureKind::Crash,
                "garbage" => FailureKind::Garbage,
                "compile" => FailureKind::Compile,
                other => {
                    errors.push(err(
                        s.span().start,
                        format!("unknown failure {other:?}; one of divergence, hang, crash, garbage"),
                    ));
                    FailureKind::Divergence
                }
            },
        };
        let mut patterns = Vec::new();
        let first = RawPattern {
            rule: e.rule,
            differs: e.differs,
            kind: e.kind,
            message: e.message,
            expected_message: e.expected_message,
            detail: e.detail,
            raised: e.raised,
            expected_raised: e.expected_raised,
        };
        let main = pattern(&first, failure, at, &id, &err, &regex, &mut errors);
        patterns.extend(main);
        for also in &e.also {
            let at = also.span().start;
            patterns.extend(pattern(also.get_ref(), failure, at, &id, &err, &regex, &mut errors));
        }
        if errors.len() > before {
            continue;
        }
        entries.push(Entry {
            id,
            summary: e.summary.get_ref().trim().to_string(),
            cpython: e.cpython.clone(),
            actual: e.actual.clone(),
            reason: e.reason.clone(),
            link: e.link.clone(),
            case: e.case.clone(),
            implementation,
            versions: entry_versions.expect("no error, so the versions parsed"),
            version_string,
            failure,
            patterns,
            file: file.to_string(),
            line,
        });
    }
    if errors.is_empty() {
        Ok(KnownFile { path: file.to_string(), entries })
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

/// Compiles an optional pattern, pushing an error at its line when it does not compile.
type CompileRegex<'a> = dyn Fn(&Option<Spanned<String>>, &mut Vec<KnownError>) -> Option<Regex> + 'a;

/// Reads one pattern of an entry (`at` is where it starts, for what it lacks).
#[allow(clippy::too_many_arguments)]
fn pattern(
    raw: &RawPattern,
    failure: FailureKind,
    at: usize,
    id: &str,
    err: &dyn Fn(usize, String) -> KnownError,
    regex: &CompileRegex<'_>,
    errors: &mut Vec<KnownError>,
) -> Option<Pattern> {
    let before = errors.len();
    let mut culprits = Vec::new();
    let mut differs = Vec::new();
    let mut kinds = Vec::new();
    if failure == FailureKind::Divergence {
        match &raw.rule {
            None if raw.raised.is_some() || raw.expected_raised.is_some() => {}
            None => errors
                .push(err(at, format!("entry {id:?} needs a `rule` (a rule or family name, \"no-rule\", or \"any\")"))),
            // A difference that shows wherever the program puts it (a wording of the interpreter's
            // own, as of KeyError's str): its message patterns say what it is, not a rule.
            Some(r) if r.get_ref().list() == ["any"] => {
                if raw.message.is_none() && raw.expected_message.is_none() && raw.detail.is_none() {
                    errors.push(err(
                        r.span().start,
                        format!("entry {id:?}: `rule = \"any\"` needs a `message`, `expected-message` or `detail`"),
                    ));
                }
            }
            Some(r) => {
                for name in r.get_ref().list() {
                    match Culprit::named(name) {
                        Some(c) if !culprits.contains(&c) => culprits.push(c),
                        Some(_) => {}
                        None => errors.push(err(
                            r.span().start,
                            format!(
                                "unknown rule {name:?} (`withstand stats` lists the rules; families: {}; also no-rule, {}, or any alone)",
                                family_names(),
                                super::LEAKED
                            ),
                        )),
                    }
                }
                if r.get_ref().list().is_empty() {
                    errors.push(err(r.span().start, format!("entry {id:?}: `rule` names no rule")));
                }
            }
        }
        match &raw.differs {
            None if raw.raised.is_some() || raw.expected_raised.is_some() => {}
            None => errors.push(err(at, format!("entry {id:?} needs `differs` (what differs: message, context, ...)"))),
            Some(d) => {
                for name in d.get_ref().list() {
                    match name.parse::<Differs>() {
                        Ok(x) => differs.push(x),
                        Err(m) => errors.push(err(d.span().start, m)),
                    }
                }
                if d.get_ref().list().is_empty() {
                    errors.push(err(d.span().start, format!("entry {id:?}: `differs` names nothing")));
                }
            }
        }
        if let Some(k) = &raw.kind {
            for name in k.get_ref().list() {
                match name.parse::<Kind>() {
                    Ok(x) => kinds.push(x),
                    Err(m) => errors.push(err(k.span().start, m)),
                }
            }
        }
    } else {
        let divergence_only = [
            ("rule", raw.rule.as_ref().map(|s| s.span())),
            ("differs", raw.differs.as_ref().map(|s| s.span())),
            ("kind", raw.kind.as_ref().map(|s| s.span())),
            ("expected-message", raw.expected_message.as_ref().map(|s| s.span())),
            ("detail", raw.detail.as_ref().map(|s| s.span())),
            ("raised", raw.raised.as_ref().map(|s| s.span())),
            ("expected-raised", raw.expected_raised.as_ref().map(|s| s.span())),
        ];
        for (name, span) in divergence_only {
            if let Some(span) = span {
                errors.push(err(
                    span.start,
                    format!("`{name}` is for divergences, and this entry is a {}", failure.word()),
                ));
            }
        }
    }
    let message = regex(&raw.message, errors);
    let expected_message = regex(&raw.expected_message, errors);
    let detail = regex(&raw.detail, errors);
    let raised = regex(&raw.raised, errors);
    let expected_raised = regex(&raw.expected_raised, errors);
    (errors.len() == before).then_some(Pattern {
        culprits,
        differs,
        kinds,
        message,
        expected_message,
        detail,
        raised,
        expected_raised,
    })
}

/// Ids used by more than one of `files`: an error at the second definition of each.
pub fn duplicate_ids(files: &[KnownFile]) -> Vec<KnownError> {
    let mut seen: Vec<&Entry> = Vec::new();
    let mut errors = Vec::new();
    for e in files.iter().flat_map(|f| &f.entries) {
        match seen.iter().find(|s| s.id == e.id) {
            Some(first) => errors.push(KnownError {
                file: e.file.clone(),
                line: e.line,
                message: format!("the id {:?} is also used at {}:{}", e.id, first.file, first.line),
            }),
            None => seen.push(e),
        }
    }
    errors
}

fn family_names() -> String {
    super::FAMILIES.iter().map(|f| f.name).collect::<Vec<_>>().join(", ")
}
