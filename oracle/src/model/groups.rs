//! Exception groups (PEP 654, 3.11+; SEMANTICS-ADDENDUM §13): raising `ExceptionGroup` and
//! `BaseExceptionGroup`, `split()` and `derive()`, `except*`, and `suppress` splitting a group
//! (3.12+).
//!
//! A group is an exception object that holds others ([`GroupData`](super::exc::GroupData)).
//! `split()` and the machinery of `except*` make new groups that copy the original's message and
//! metadata (context, cause, traceback; and so `__suppress_context__` is True, as setting the
//! cause sets it), holding a part of its exceptions; a part that matches whole is kept as it is.

use crate::ir::{ExcClass, Group, Handler, Member, Stmt, Try};
use crate::trace::Event;

use super::exc::{self, ExcId};
use super::message;
use super::{Flow, Machine, Rule, Val};

/// What `split()` keeps: exceptions of these classes, or these very objects (the leaves `except*`
/// re-raises).
enum Matcher<'a> {
    Classes(&'a [ExcClass]),
    Leaves(&'a [ExcId]),
}

impl<'p> Machine<'p> {
    /// Whether `x` is an exception group.
    pub(crate) fn is_group(&self, x: ExcId) -> bool {
        self.excs.group(x).is_some()
    }

    /// `raise ExceptionGroup('g1', [...])`: the exceptions it holds are made first, then the
    /// group, which is raised.
    pub(crate) fn raise_group(&mut self, g: &Group) -> ExcId {
        if !self.quirks.exception_groups {
            self.give_up(message::group_names_missing());
            let msg = message::name_not_defined("ExceptionGroup");
            return self.raise_builtin(Rule::GroupRaised, ExcClass::NameError, msg);
        }
        self.hit(Rule::GroupRaised);
        match self.make_group(g) {
            Ok(id) => self.raise_obj(id),
            Err(err) => err,
        }
    }

    /// `ExceptionGroup(label, [...])` / `BaseExceptionGroup(...)`, or the TypeError its
    /// constructor raises (`Err`, raised already).
    fn make_group(&mut self, g: &Group) -> Result<ExcId, ExcId> {
        let mut members = Vec::with_capacity(g.members.len());
        for m in &g.members {
            members.push(match m {
                Member::Exc(e) => self.instantiate(e),
                Member::Group(inner) => self.make_group(inner)?,
            });
        }
        let all_exceptions = members.iter().all(|m| self.is_exception(*m));
        let class = match (g.base, all_exceptions) {
            (true, true) => {
                // BaseExceptionGroup.__new__ makes an ExceptionGroup of Exceptions only.
                self.hit(Rule::GroupBaseBecomesException);
                ExcClass::ExceptionGroup
            }
            (true, false) => ExcClass::BaseExceptionGroup,
            (false, true) => ExcClass::ExceptionGroup,
            (false, false) => {
                self.hit(Rule::GroupCannotNestBase);
                let msg = message::cannot_nest_base();
                return Err(self.raise_builtin(Rule::GroupCannotNestBase, ExcClass::TypeError, msg));
            }
        };
        let msg = message::group_str(&g.label, members.len());
        Ok(self.excs.new_group(class, g.label.clone(), msg, members, None))
    }

    /// `isinstance(x, Exception)`.
    fn is_exception(&self, x: ExcId) -> bool {
        exc::is_subclass(self.excs.get(x).class, ExcClass::Exception)
    }

    /// `BaseExceptionGroup(message, members)`: an `ExceptionGroup` when they are all Exceptions.
    fn new_group(&mut self, message: String, members: Vec<ExcId>, rule: Rule) -> ExcId {
        let class = if members.iter().all(|m| self.is_exception(*m)) {
            ExcClass::ExceptionGroup
        } else {
            ExcClass::BaseExceptionGroup
        };
        let msg = message::group_str(&message, members.len());
        self.excs.new_group(class, message, msg, members, Some(rule))
    }

    /// `eg.derive(members)` with `eg`'s metadata copied, as `split()` does.
    fn derive(&mut self, eg: ExcId, members: Vec<ExcId>, rule: Rule) -> ExcId {
        let message = self.excs.group(eg).expect("a group").message.clone();
        let id = self.new_group(message, members, rule);
        self.excs.copy_metadata(id, eg, rule);
        id
    }

    /// Whether `x` matches whole.
    fn matches(&self, x: ExcId, m: &Matcher<'_>) -> bool {
        match m {
            Matcher::Classes(classes) => {
                let class = self.excs.get(x).class;
                classes.iter().any(|of| exc::is_subclass(class, *of))
            }
            Matcher::Leaves(leaves) => leaves.contains(&x),
        }
    }

    /// `x.split(...)`: the part that matches and the rest, `None` where empty; a part that is all
    /// of a group is a new group all the same, unless the group itself matches.
    fn split(&mut self, x: ExcId, m: &Matcher<'_>, rule: Rule) -> (Option<ExcId>, Option<ExcId>) {
        if self.matches(x, m) {
            return (Some(x), None);
        }
        let Some(g) = self.excs.group(x) else { return (None, Some(x)) };
        let (mut matched, mut rest) = (Vec::new(), Vec::new());
        for member in g.members.clone() {
            let (a, b) = self.split(member, m, rule);
            matched.extend(a);
            rest.extend(b);
        }
        let matched = (!matched.is_empty()).then(|| self.derive(x, matched, rule));
        let rest = (!rest.is_empty()).then(|| self.derive(x, rest, rule));
        (matched, rest)
    }

    /// The exceptions a group holds that are not groups, at any depth (`x` itself for one that
    /// is not a group).
    fn leaves(&self, x: ExcId) -> Vec<ExcId> {
        match self.excs.group(x) {
            None => vec![x],
            Some(g) => g.members.iter().flat_map(|m| self.leaves(*m)).collect(),
        }
    }

    // ---- suppress (3.12+) ----

    /// `suppress(*classes).__exit__` given group `x` that its classes do not match as a class
    /// (§4.4, gh-103791): 3.12+ split it; the rest, if any, is raised (a new group, whose context
    /// is then `x`). `None` where the version matches it as a class only.
    pub(crate) fn suppress_group(&mut self, x: ExcId, classes: &[ExcClass]) -> Option<Result<bool, ExcId>> {
        let class = self.excs.get(x).class;
        let splits = match class {
            ExcClass::ExceptionGroup => self.quirks.suppress_splits_groups,
            ExcClass::BaseExceptionGroup => self.quirks.suppress_splits_base_groups,
            _ => return None,
        };
        self.hit(Rule::SuppressSplitsGroup);
        if !splits {
            return None;
        }
        match self.split(x, &Matcher::Classes(classes), Rule::SuppressSplitsGroup) {
            (_, None) => Some(Ok(true)),
            (_, Some(rest)) => Some(Err(self.raise_chained_by(rest, Rule::SuppressSplitsGroup))),
        }
    }

    // ---- except* ----

    /// `try: ... except* ...: ... else: ... finally: ...` (§13.4).
    pub(crate) fn try_star(&mut self, t: &'p Try) -> Flow {
        let body = self.block(&t.body);
        let normal = matches!(body, Flow::Normal);
        let flow = match body {
            Flow::Raise(orig) if self.quirks.exception_groups => self.except_star(orig, &t.handlers),
            Flow::Raise(orig) => {
                self.give_up(message::group_names_missing());
                Flow::Raise(orig)
            }
            Flow::Normal => Flow::Normal,
            other => other,
        };
        let orelse: &'p [Stmt] = if normal { &t.orelse } else { &[] };
        self.try_rest(flow, &[], orelse, t.finally.as_ref())
    }

    /// The `except*` clauses given `orig`: each handler runs on the part of what is left that
    /// matches its class; what they raise and what none handled propagate together.
    fn except_star(&mut self, orig: ExcId, handlers: &'p [Handler]) -> Flow {
        self.hit(Rule::ExceptStarSplits);
        self.excs.push_handled(orig);
        let mut rest = Some(orig);
        let mut raised = Vec::new();
        for h in handlers {
            let Some(cur) = rest else { break };
            let class = h.class.expect("validate gives every except* clause a class");
            let (matched, left) = if exc::is_subclass(self.excs.get(cur).class, class) {
                if self.is_group(cur) {
                    (Some(cur), None)
                } else {
                    // A naked exception: the handler gets it in a group of its own.
                    self.hit(Rule::ExceptStarWrapsNaked);
                    (Some(self.new_group(String::new(), vec![cur], Rule::ExceptStarWrapsNaked)), None)
                }
            } else if self.is_group(cur) {
                match self.split(cur, &Matcher::Classes(&[class]), Rule::ExceptStarSplits) {
                    (None, copy) => {
                        // 3.12+: what is left is split's rest all the same, a copy; 3.11 goes on
                        // with the group itself.
                        self.hit(Rule::ExceptStarUnmatchedCopied);
                        if self.quirks.except_star_unmatched_group_is_copied {
                            (None, copy)
                        } else {
                            (None, Some(cur))
                        }
                    }
                    split => split,
                }
            } else {
                (None, Some(cur))
            };
            rest = left;
            let Some(matched) = matched else { continue };
            match self.star_handler(h, matched) {
                Flow::Normal => {}
                Flow::Raise(y) => raised.push(y),
                other => unreachable!("validate keeps return, break and continue out of except*: {other:?}"),
            }
        }
        self.excs.pop_handled();
        raised.extend(rest);
        match self.prep_reraise_star(orig, raised) {
            None => Flow::Normal,
            Some(x) => Flow::Raise(x),
        }
    }

    /// One `except*` handler, run with `matched` as the exception being handled.
    fn star_handler(&mut self, h: &'p Handler, matched: ExcId) -> Flow {
        self.excs.push_handled(matched);
        let detail = self.excs.detail(matched);
        self.emit(Event::Handler { label: h.label.clone(), exc: detail });
        let var = format!("e_{}", h.label);
        if h.bind {
            self.vars().insert(var.clone(), Val::Exc(matched));
        }
        let flow = self.block(&h.body);
        if h.bind {
            self.vars().remove(&var);
        }
        self.excs.pop_handled();
        flow
    }

    /// `_PyExc_PrepReraiseStar`: what propagates from an `except*` given what its handlers
    /// raised and the rest none handled. For a naked exception, that one; else the parts of the
    /// original that were re-raised (or left) as one new group of its shape, and what handlers
    /// raised anew (or raised again with `raise e`: a traceback of its own) in a new
    /// `ExceptionGroup('', [...])` with it.
    fn prep_reraise_star(&mut self, orig: ExcId, excs: Vec<ExcId>) -> Option<ExcId> {
        if excs.is_empty() {
            return None;
        }
        if !self.is_group(orig) {
            return Some(excs[0]);
        }
        // Re-raised: what still has the original's metadata (a part split from it, bare-raised or
        // left); anything raised anew, or raised again with `raise e`, has its own traceback.
        let (reraised, mut raised): (Vec<ExcId>, Vec<ExcId>) =
            excs.into_iter().partition(|e| self.excs.same_metadata(*e, orig));
        let kept = if reraised.is_empty() {
            None
        } else {
            self.hit(Rule::ExceptStarReraises);
            let leaves: Vec<ExcId> = reraised.iter().flat_map(|e| self.leaves(*e)).collect();
            self.split(orig, &Matcher::Leaves(&leaves), Rule::ExceptStarReraises).0
        };
        if raised.is_empty() {
            return kept;
        }
        self.hit(Rule::ExceptStarRaisesNew);
        raised.extend(kept);
        if raised.len() == 1 {
            return Some(raised[0]);
        }
        Some(self.new_group(String::new(), raised, Rule::ExceptStarRaisesNew))
    }
}
