//! Joining: new root causes that are one bug seen through several rules or differences.
//!
//! A root cause is what the first difference of one finding names. Some bugs put their first
//! difference in different places from program to program, so one bug can be several root causes;
//! a campaign's root causes are joined when at least half the findings of each show the same first
//! difference:
//!
//! - **the same exception of the interpreter's own** there ([`Signature::raised`]): PyPy's refusal
//!   of `athrow().throw()` shows under whichever rule the model was carrying out when it came;
//! - **under one culprit, the same differing events** (the same masked detail): a lookup done in
//!   the wrong order is `order` when the other lookup follows, `presence` when it raises first;
//! - **the same thing of the model's left out** ([`Signature::missing`]): the exception a rule
//!   makes, or the event a rule produces, not shown. PyPy's `athrow()` on a finished async
//!   generator raises where CPython's gives None: the missing `got None` is that rule's whatever
//!   the interpreter raises instead, even the TypeError of an argument check CPython skips there
//!   (which names the check's rule); PyPy's `throw()` with a bad argument closes the delegate of
//!   a `yield from` or `await`, so the TypeError CPython raises in the frames is not there, and
//!   the first difference is its type in an `__exit__` or a handler that never runs.
//! - **the same rule's exception shown otherwise**: another type, or another message, of the
//!   exception under one rule (the rule that made it, or for the program's own exception, the
//!   rule that raised it there). PyPy's `throw()` normalises its arguments as its `raise`
//!   statement does, before it delegates: where CPython's TypeError would reach a suspended
//!   coroutine's `await`, the coroutine is closed instead (a GeneratorExit where the TypeError
//!   was expected: `type`), and where it is raised, it has the `raise` statement's wording
//!   (`message`). One place in PyPy's source, one wrong exception of `gen-throw-bad-args`. Also
//!   where that exception is left out altogether (a presence difference whose
//!   [`Signature::missing`] names an exception, not an item): PyPy's exit stack binds a None
//!   `__exit__` (CPython: "first argument must be callable") and goes on, so the first
//!   difference is whatever comes next.
//! - **one decision of CPython's** that several rules stand for in one kind of difference
//!   (`DECISIONS`): the context of what `throw()` raises, whether the generator was suspended
//!   in a handler, never started or finished (PyPy chains it to the caller's exception instead);
//!   what a delegate resumed through `yield from` sees as handled, in `sys.exc_info()` and in
//!   chaining alike.
//!
//! Two differences of **one culprit** join by a third of each one's findings (a bug with two
//! shapes of findings under one rule can be less than half of each shape).
//!
//! Then **an after-effect goes to its bug**: a root cause every finding of which raises, anywhere
//! in the program, the exception of the interpreter's own a much larger root cause shows at its
//! first difference (PyPy's async generator that a cleanup reports "ignored GeneratorExit" after PyPy
//! refused its `athrow().throw()`).
//!
//! Half, not all: a bug's findings also show other bugs of the same interpreter on the way. Known
//! differences are not joined: an entry already is one documented difference.

use std::collections::{BTreeMap, BTreeSet};

use super::Culprit;
use crate::model::Rule;
use crate::verdict::{Differs, Signature};

/// One root cause as joining reads it.
#[derive(Debug)]
pub struct Part<'a> {
    /// Its culprit; `None` for what is never joined (a known difference, an interpreter failure).
    pub culprit: Option<Culprit>,
    /// Its findings' signatures (one per finding).
    pub signatures: Vec<&'a Signature>,
    /// Its findings' exceptions only the interpreter raised anywhere in the program, one
    /// `Type: message` a line ([`super::Facts::text`]), one per finding; empty where not read
    /// (then the part joins by its signatures only).
    pub shown: Vec<&'a str>,
}

/// Root causes joined into one: indices into the parts given to [`join`].
#[derive(Debug, PartialEq, Eq)]
pub struct Joint {
    /// The parts, the one that names the bug first: the largest root cause of the culprit with
    /// the most findings (PyPy's athrow() refusal is an `awaitable-throw` bug under three
    /// differences, whatever else it shows as); of equals, the first given.
    pub parts: Vec<usize>,
    /// What the parts share, one line each: `the interpreter raises RuntimeError: ...`,
    /// `descriptor-get: first difference expected get MN.__enter__ | observed get MN.__exit__`.
    /// Empty for a part joined to none.
    pub shared: Vec<String>,
}

/// Every part once, joined where they are one bug, in the order of their first parts.
pub fn join(parts: &[Part<'_>]) -> Vec<Joint> {
    let counts: Vec<BTreeMap<(Key, String), usize>> = parts.iter().map(keys).collect();
    let shown = |i: usize, share: usize| shown_by(&counts[i], parts[i].signatures.len(), share);
    let halves: Vec<Vec<String>> = (0..parts.len()).map(|i| shown(i, HALF)).collect();
    let mut parent: Vec<usize> = (0..parts.len()).collect();
    let mut first_with: BTreeMap<&str, usize> = BTreeMap::new();
    // By part, the keys it was joined by.
    let mut linked: Vec<BTreeSet<String>> = vec![BTreeSet::new(); parts.len()];
    let mut link = |parent: &mut Vec<usize>, i: usize, j: usize, k: &str| {
        let (a, b) = (root(parent, i), root(parent, j));
        parent[a.max(b)] = a.min(b);
        linked[i].insert(k.to_string());
        linked[j].insert(k.to_string());
    };
    for (i, ks) in halves.iter().enumerate() {
        for k in ks {
            match first_with.get(k.as_str()) {
                Some(&j) => link(&mut parent, i, j, k),
                None => {
                    first_with.insert(k, i);
                }
            }
        }
    }
    // Under one culprit, two differences of it are one bug where a third of each part's findings
    // show the same thing: PyPy's finished athrow() leaves out its `got None` in three of eight
    // findings of `presence` (contextlib's "didn't stop" RuntimeError in the other five) and gives
    // another value in the one finding of `value`. Across culprits a third is too little: PyPy's
    // refused athrow().throw() and its refused throw() arguments share a third of their findings
    // there, and are two bugs.
    let thirds: Vec<Vec<String>> = (0..parts.len()).map(|i| shown(i, THIRD)).collect();
    for i in 0..parts.len() {
        for j in i + 1..parts.len() {
            // Already one: a campaign can have thousands of single `no-rule` parts joined so.
            if parts[i].culprit.is_none()
                || parts[i].culprit != parts[j].culprit
                || root(&mut parent, i) == root(&mut parent, j)
            {
                continue;
            }
            if let Some(k) = thirds[i].iter().find(|k| thirds[j].contains(k)) {
                link(&mut parent, i, j, k);
            }
        }
    }
    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..parts.len() {
        components.entry(root(&mut parent, i)).or_default().push(i);
    }
    let later = after_effects(parts, &counts, &components);
    components
        .iter()
        .filter(|(r, _)| !later.contains_key(r))
        .map(|(&r, members)| {
            let size = |i: usize| parts[i].signatures.len();
            let total = |i: usize| -> usize {
                members.iter().filter(|&&j| parts[j].culprit == parts[i].culprit).map(|&j| size(j)).sum()
            };
            let mut ranked = members.clone();
            ranked.sort_by_key(|&i| (std::cmp::Reverse(total(i)), parts[i].culprit, std::cmp::Reverse(size(i)), i));
            let mut shared: Vec<String> = ranked.iter().flat_map(|&i| linked[i].iter()).cloned().collect();
            // After-effects come last, whatever their size: they never name the bug.
            for (from, (to, raised)) in &later {
                if *to == r {
                    ranked.extend(&components[from]);
                    shared.push(format!("the interpreter raises {raised} elsewhere in the program"));
                }
            }
            shared.sort();
            shared.dedup();
            Joint { parts: ranked, shared }
        })
        .collect()
}

/// Root causes (components of parts joined so far) joined to a larger one whose exception of the
/// interpreter's own (its `raised` key) every one of their findings raises somewhere else in the
/// program: by component, the component it goes to and that exception.
///
/// A difference no rule of the model names, or a rare one, can be an after-effect of a bug met
/// earlier or later in the same program: PyPy refuses `athrow().throw()` with a RuntimeError of
/// its own, and a program that meets the refusal can first differ where an async generator's
/// cleanup then reports it "ignored GeneratorExit". Every finding; a root cause with [`RARER`]
/// times its findings or more (an after-effect is much rarer than its bug: MicroPython's bugs
/// meet each other in the same programs all the time, and a 3-finding bug of its own would
/// otherwise go to a 4-finding one); and none of its rules with a root cause of its own
/// elsewhere. What a part raises elsewhere is never a key of its own: only a first difference
/// names an exception another part can go to.
fn after_effects<'c>(
    parts: &[Part<'_>],
    counts: &'c [BTreeMap<(Key, String), usize>],
    components: &BTreeMap<usize, Vec<usize>>,
) -> BTreeMap<usize, (usize, &'c str)> {
    let size = |members: &[usize]| -> usize { members.iter().map(|&i| parts[i].signatures.len()).sum() };
    // Of each component: its findings, and the exceptions of the interpreter's own its parts name
    // (their `raised` keys).
    let named: Vec<(usize, usize, Vec<&'c str>)> = components
        .iter()
        .map(|(&r, members)| {
            let raised = members
                .iter()
                .flat_map(|&i| {
                    let n = parts[i].signatures.len();
                    counts[i].iter().filter(move |&(&(kind, _), &c)| kind == Key::Raised && HALF * c >= n)
                })
                .map(|((_, x), _)| x.as_str())
                .collect();
            (r, size(members), raised)
        })
        .collect();
    let mut later = BTreeMap::new();
    for (&r, members) in components {
        let read = |i: &usize| {
            let part = &parts[*i];
            part.culprit.is_some() && !part.shown.is_empty() && part.shown.len() == part.signatures.len()
        };
        if !members.iter().all(read) {
            continue;
        }
        let everywhere =
            |raised: &str| members.iter().flat_map(|&i| &parts[i].shown).all(|text| text.lines().any(|l| l == raised));
        let own = size(members);
        // The largest root cause it can go to; of equals, the first.
        let mut best: Option<(usize, usize, &'c str)> = None;
        for &(to, findings, ref raised) in &named {
            if to == r || findings < RARER * own || best.is_some_and(|b| b.1 >= findings) {
                continue;
            }
            if let Some(&x) = raised.iter().find(|x| everywhere(x)) {
                best = Some((to, findings, x));
            }
        }
        // A rule with a root cause of its own elsewhere is a bug of its own: a program that shows
        // it first and another bug later is that rule's (PyPy's finished athrow() giving another
        // value, in a program whose throw('abc') PyPy refuses with its raise statement's words).
        let rules_elsewhere = |to: usize| {
            members.iter().filter_map(|&i| parts[i].culprit).filter(|&c| c != Culprit::NoRule).any(|c| {
                components.iter().any(|(&o, ms)| o != r && o != to && ms.iter().any(|&j| parts[j].culprit == Some(c)))
            })
        };
        if let Some((to, _, x)) = best.filter(|b| !rules_elsewhere(b.0)) {
            later.insert(r, (to, x));
        }
    }
    // A root cause that goes elsewhere takes its after-effects along (the findings grow along
    // the way, so this ends).
    let goes: BTreeMap<usize, usize> = later.iter().map(|(&r, &(to, _))| (r, to)).collect();
    for (to, _) in later.values_mut() {
        while let Some(&next) = goes.get(to) {
            *to = next;
        }
    }
    later
}

/// Rules that decide one thing between them, and what differs where that thing does: a part under
/// one of them, in one of those differences, is joined to the others by the thing. Unlike a
/// [`super::Family`], which joins its rules in every difference, these rules also decide other
/// things that are not one.
const DECISIONS: &[(&str, &[Differs], &[Rule])] = &[
    (
        // CPython resumes the generator with the exception set (`gen_send_ex` with `exc`), which
        // chains it to the generator's own handled exception (`_PyErr_ChainStackItem`): none
        // before the generator started or once it finished. PyPy chains it to the caller's.
        "the context of the exception throw() raises",
        &[Differs::Context],
        &[Rule::GenThrowChained, Rule::GenThrowUnstarted, Rule::GenThrowFinished],
    ),
    (
        // What the frames set aside hide shows in sys.exc_info() and in implicit chaining alike.
        "what a generator resumed through yield from sees as handled",
        &[Differs::Context, Differs::Value],
        &[Rule::YieldFromUnlinked],
    ),
];

/// A value is a key of a part when at least `1/share` of its findings show it.
const HALF: usize = 2;
const THIRD: usize = 3;

/// How many times the findings of an after-effect the root cause it goes to has, at least.
const RARER: usize = 4;

/// What a finding can be joined by, by kind, in the order joining reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// The interpreter's own exception at the first difference ([`Signature::raised`]).
    Raised,
    /// The first difference, under the culprit.
    Detail,
    /// What the model expected there and the interpreter does not show ([`Signature::missing`]).
    Missing,
    /// A rule's exception with another type or message, or left out.
    Otherwise,
    /// One decision of CPython's ([`DECISIONS`]).
    Decision,
}

/// What a part can be joined by, and how many of its findings show each: counted once, read at
/// half and at a third ([`shown_by`]).
fn keys(part: &Part<'_>) -> BTreeMap<(Key, String), usize> {
    let mut counts = BTreeMap::new();
    let Some(culprit) = part.culprit else { return counts };
    for s in &part.signatures {
        let decision = s.rule.and_then(|rule| {
            DECISIONS.iter().find(|(_, differs, rules)| differs.contains(&s.differs) && rules.contains(&rule))
        });
        let missing = s
            .missing
            .as_ref()
            .map(|(rule, what)| format!("the interpreter does not show {what} of {}", Culprit::of(Some(*rule)).name()));
        let otherwise = match (s.differs, &s.missing) {
            (Differs::Type | Differs::Message, _) => s.rule,
            // Left out altogether: the exception the rule makes, not an item it produces.
            (Differs::Presence, Some((rule, what))) if names_exception(what) => Some(*rule),
            _ => None,
        };
        let otherwise = otherwise
            .map(|rule| format!("the interpreter shows the exception of {} otherwise", Culprit::of(Some(rule)).name()));
        let found = [
            (Key::Raised, s.raised.clone()),
            (Key::Detail, Some(format!("{}: first difference {}", culprit.name(), s.detail))),
            (Key::Missing, missing),
            (Key::Otherwise, otherwise),
            (Key::Decision, decision.map(|d| d.0.to_string())),
        ];
        for (kind, value) in found {
            if let Some(value) = value {
                *counts.entry((kind, value)).or_default() += 1;
            }
        }
    }
    counts
}

/// The keys at least `1/share` of a part's `n` findings show, as joining names them: at half,
/// none, one, or two that share the findings equally (PyPy's finished `athrow()` leaves out the
/// `got None` in half of a root cause's findings and contextlib's "didn't stop" RuntimeError in
/// the other half: both are what it is).
fn shown_by(counts: &BTreeMap<(Key, String), usize>, n: usize, share: usize) -> Vec<String> {
    counts
        .iter()
        .filter(|&(_, &c)| share * c >= n)
        .map(|((kind, value), _)| match kind {
            Key::Raised => format!("the interpreter raises {value}"),
            _ => value.clone(),
        })
        .collect()
}

/// Whether what [`Signature::missing`] names is an exception (by its type, an identifier such as
/// `TypeError` or `EN`) rather than an item (by its subject: `got`, `MN.__exit__`, `=> return`).
fn names_exception(what: &str) -> bool {
    what.starts_with(|c: char| c.is_ascii_uppercase()) && what.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn root(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while parent[r] != r {
        r = parent[r];
    }
    parent[i] = r;
    r
}
