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
//!
//! Half, not all: a bug's findings also show other bugs of the same interpreter on the way. Known
//! differences are not joined: an entry already is one documented difference.

use std::collections::{BTreeMap, BTreeSet};

use super::Culprit;
use crate::verdict::Signature;

/// One root cause as joining reads it.
#[derive(Debug)]
pub struct Part<'a> {
    /// Its culprit; `None` for what is never joined (a known difference, an interpreter failure).
    pub culprit: Option<Culprit>,
    /// Its findings' signatures (one per finding).
    pub signatures: Vec<&'a Signature>,
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
    let keys: Vec<Vec<String>> = parts.iter().map(keys).collect();
    let mut parent: Vec<usize> = (0..parts.len()).collect();
    let mut first_with: BTreeMap<&str, usize> = BTreeMap::new();
    let mut linking: BTreeSet<&str> = BTreeSet::new();
    for (i, ks) in keys.iter().enumerate() {
        for k in ks {
            match first_with.get(k.as_str()) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a.max(b)] = a.min(b);
                    linking.insert(k);
                }
                None => {
                    first_with.insert(k, i);
                }
            }
        }
    }
    let mut components: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..parts.len() {
        components.entry(root(&mut parent, i)).or_default().push(i);
    }
    components
        .into_values()
        .map(|members| {
            let size = |i: usize| parts[i].signatures.len();
            let total = |i: usize| -> usize {
                members.iter().filter(|&&j| parts[j].culprit == parts[i].culprit).map(|&j| size(j)).sum()
            };
            let mut ranked = members.clone();
            ranked.sort_by_key(|&i| (std::cmp::Reverse(total(i)), parts[i].culprit, std::cmp::Reverse(size(i)), i));
            let mut shared: Vec<String> = if ranked.len() > 1 {
                ranked.iter().flat_map(|&i| keys[i].iter()).filter(|k| linking.contains(k.as_str())).cloned().collect()
            } else {
                Vec::new()
            };
            shared.sort();
            shared.dedup();
            Joint { parts: ranked, shared }
        })
        .collect()
}

/// What a part can be joined by.
fn keys(part: &Part<'_>) -> Vec<String> {
    let Some(culprit) = part.culprit else { return Vec::new() };
    let n = part.signatures.len();
    let raised = dominant(part.signatures.iter().filter_map(|s| s.raised.as_deref()), n);
    let detail = dominant(part.signatures.iter().map(|s| s.detail.as_str()), n);
    let missing: Vec<String> = part
        .signatures
        .iter()
        .filter_map(|s| s.missing.as_ref())
        .map(|(rule, what)| format!("the interpreter does not show {what} of {}", Culprit::of(Some(*rule)).name()))
        .collect();
    let missing = dominant(missing.iter().map(String::as_str), n);
    raised
        .map(|r| format!("the interpreter raises {r}"))
        .into_iter()
        .chain(detail.map(|d| format!("{}: first difference {d}", culprit.name())))
        .chain(missing.map(str::to_string))
        .collect()
}

fn root(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while parent[r] != r {
        r = parent[r];
    }
    parent[i] = r;
    r
}

/// The value at least half of `n` findings have, if one does (the more common of two; of equals,
/// the smaller).
fn dominant<'a>(values: impl Iterator<Item = &'a str>, n: usize) -> Option<&'a str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    counts.into_iter().filter(|&(_, c)| 2 * c >= n).max_by_key(|&(v, c)| (c, std::cmp::Reverse(v))).map(|(v, _)| v)
}
