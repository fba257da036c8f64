//! Exception objects, the class hierarchy, the "currently handled" stack, and CPython's
//! implicit-chaining rule.

use super::provenance::ExcRules;
use super::rules::Rule;
use crate::ir::ExcClass;
use crate::trace::{ExcDetail, ExcRef};

/// An exception object; objects are never freed during a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExcId(u32);

impl ExcId {
    /// The object an [`ExcRef`] of the run names, before `predict` renumbers the trace.
    pub(crate) fn of_ref(id: u32) -> ExcId {
        ExcId(id)
    }

    /// The number an [`ExcRef`] of the run gives it, before `predict` renumbers the trace.
    pub(crate) fn as_ref_id(self) -> u32 {
        self.0
    }
}

/// A generator frame's own part of the handled-exception stack (its `gi_exc_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExcFrame(u32);

/// An exception object as the model tracks it.
#[derive(Clone, Debug)]
pub(crate) struct ExcObj {
    pub(crate) class: ExcClass,
    pub(crate) msg: String,
    pub(crate) context: Option<ExcId>,
    pub(crate) cause: Option<ExcId>,
    pub(crate) suppress_context: bool,
    /// Bumped when the exception's `__traceback__` changes under a caller that keeps the old
    /// one (a generator manager re-raising it through `throw()` on 3.8-3.10).
    pub(crate) tb: u32,
    /// The rules behind it, for triage.
    pub(crate) rules: ExcRules,
    /// Every `__context__` it was given and the rule that gave it, in order: what an event shows
    /// of it was set by the last rule that gave it that context then, not by the rule that set
    /// the context last (an exception thrown into a generator, chained there, raised again from
    /// a handler later).
    pub(crate) context_history: Vec<(Option<ExcId>, Rule)>,
    /// For an exception group: its message and what it holds.
    pub(crate) group: Option<GroupData>,
    /// Whose traceback it has: its own, or (a copy `split()` made) the original's, until it is
    /// raised again. `except*` tells what was re-raised by that (§13.4).
    pub(crate) tb_of: ExcId,
    /// Raised (or thrown into a generator) since it got `tb_of`'s traceback, which gives it a
    /// traceback of its own.
    pub(crate) raised_again: bool,
}

/// What an exception group holds (`message`, `exceptions`).
#[derive(Clone, Debug)]
pub(crate) struct GroupData {
    pub(crate) message: String,
    pub(crate) members: Vec<ExcId>,
}

/// The direct base of each class; `None` for `BaseException`.
pub(crate) fn base(c: ExcClass) -> Option<ExcClass> {
    use ExcClass::*;
    Some(match c {
        BaseException => return None,
        Exception | B1 | KeyboardInterrupt | SystemExit | GeneratorExit => BaseException,
        E1 | E3 | ValueError | LookupError | TypeError | RuntimeError | AttributeError | StopIteration => Exception,
        StopAsyncIteration | NameError => Exception,
        E2 => E1,
        KeyError => LookupError,
        UnboundLocalError => NameError,
        S1 => StopIteration,
        S2 => StopAsyncIteration,
        // Its first base; it is an Exception too (see `is_subclass`).
        ExceptionGroup => BaseExceptionGroup,
        BaseExceptionGroup => BaseException,
    })
}

/// `issubclass(c, of)`.
pub(crate) fn is_subclass(c: ExcClass, of: ExcClass) -> bool {
    if c == ExcClass::ExceptionGroup && is_subclass(ExcClass::Exception, of) {
        // class ExceptionGroup(BaseExceptionGroup, Exception)
        return true;
    }
    let mut it = Some(c);
    while let Some(x) = it {
        if x == of {
            return true;
        }
        it = base(x);
    }
    false
}

/// All exception objects of a run, the handled-exception stack, and the observation numbering.
#[derive(Default)]
pub(crate) struct Excs {
    objs: Vec<ExcObj>,
    /// `sys.exc_info()` is the top of this stack: pushed on entering an `except` block, a
    /// `finally` on the exceptional path, and the exceptional exit of a `with`. Generator
    /// frames keep their own part, from `frames[i]` on; the caller's part is below.
    handled: Vec<ExcId>,
    /// Where each generator frame's part of `handled` starts.
    frames: Vec<usize>,
    /// Per frame: set aside from the stack below the frames above it (a generator that
    /// `throw()` or `close()` resumed through `yield from` runs with its delegating generators'
    /// parts not on the thread's stack); how many are.
    unlinked: Vec<bool>,
    n_unlinked: usize,
}

impl Excs {
    /// An exception the interpreter makes, whose type and message `rule` gives.
    pub(crate) fn new_exc(&mut self, class: ExcClass, msg: String, rule: Rule) -> ExcId {
        self.push(class, msg, Some(rule))
    }

    /// An exception the program makes itself (`E1('r1')`, or what the prelude's helpers raise
    /// as they are told): no rule made it.
    pub(crate) fn new_user_exc(&mut self, class: ExcClass, msg: String) -> ExcId {
        self.push(class, msg, None)
    }

    fn push(&mut self, class: ExcClass, msg: String, created: Option<Rule>) -> ExcId {
        let rules = ExcRules { created, context: None, cause: None };
        let id = ExcId(self.objs.len() as u32);
        let o = ExcObj {
            class,
            msg,
            context: None,
            cause: None,
            suppress_context: false,
            tb: 0,
            rules,
            context_history: Vec::new(),
            group: None,
            tb_of: id,
            raised_again: false,
        };
        self.objs.push(o);
        id
    }

    /// An exception group of `class` (`ExceptionGroup` or `BaseExceptionGroup`) holding
    /// `members`, whose `str()` is `msg`; `rule` made it (`None`: the program did).
    pub(crate) fn new_group(
        &mut self,
        class: ExcClass,
        message: String,
        msg: String,
        members: Vec<ExcId>,
        rule: Option<Rule>,
    ) -> ExcId {
        let id = self.push(class, msg, rule);
        self.obj_mut(id).group = Some(GroupData { message, members });
        id
    }

    /// What `id` holds, if it is an exception group.
    pub(crate) fn group(&self, id: ExcId) -> Option<&GroupData> {
        self.get(id).group.as_ref()
    }

    /// Gives `id` the metadata of `from` as `split()`/`derive()` copies it: its context, its cause
    /// (which sets `__suppress_context__`) and traceback.
    pub(crate) fn copy_metadata(&mut self, id: ExcId, from: ExcId, rule: Rule) {
        let (context, cause, tb, tb_of) = {
            let o = self.get(from);
            (o.context, o.cause, o.tb, if o.raised_again { from } else { o.tb_of })
        };
        let o = self.obj_mut(id);
        o.context = context;
        o.cause = cause;
        o.suppress_context = true;
        o.tb = tb;
        o.tb_of = tb_of;
        o.rules.context = Some(rule);
        o.rules.cause = Some(rule);
        o.context_history.push((context, rule));
    }

    /// The rules behind an exception.
    pub(crate) fn rules(&self, id: ExcId) -> ExcRules {
        self.get(id).rules
    }

    /// Records that `rule` set the context of `id`.
    pub(crate) fn stamp_context(&mut self, id: ExcId, rule: Rule) {
        let o = self.obj_mut(id);
        o.rules.context = Some(rule);
        o.context_history.push((o.context, rule));
    }

    /// Every context `id` was given, with the rule that gave it (see [`ExcObj::context_history`]).
    pub(crate) fn context_history(&self, id: ExcId) -> &[(Option<ExcId>, Rule)] {
        &self.get(id).context_history
    }

    pub(crate) fn get(&self, id: ExcId) -> &ExcObj {
        &self.objs[id.0 as usize]
    }

    fn obj_mut(&mut self, id: ExcId) -> &mut ExcObj {
        &mut self.objs[id.0 as usize]
    }

    /// `raise ... from cause` under `rule`: sets `__cause__` and `__suppress_context__`.
    pub(crate) fn set_cause(&mut self, id: ExcId, cause: Option<ExcId>, rule: Rule) {
        let o = self.obj_mut(id);
        o.rules.cause = Some(rule);
        o.cause = cause;
        o.suppress_context = true;
    }

    /// `e.__suppress_context__ = b` under `rule`.
    pub(crate) fn set_suppress_context(&mut self, id: ExcId, b: bool, rule: Rule) {
        let o = self.obj_mut(id);
        o.suppress_context = b;
        o.rules.cause = Some(rule);
    }

    /// Whether following `__context__` from `id` comes back around.
    pub(crate) fn context_cycle(&self, id: ExcId) -> bool {
        let mut seen = vec![id];
        let mut o = id;
        while let Some(c) = self.get(o).context {
            if seen.contains(&c) {
                return true;
            }
            seen.push(c);
            o = c;
        }
        false
    }

    /// `id` is raised again, or thrown into a generator: a traceback of its own from now on.
    pub(crate) fn raised_again(&mut self, id: ExcId) {
        self.obj_mut(id).raised_again = true;
    }

    /// `is_same_exception_metadata`: the same traceback, cause and context (§13.4).
    pub(crate) fn same_metadata(&self, a: ExcId, b: ExcId) -> bool {
        let (x, y) = (self.get(a), self.get(b));
        let tb = |id: ExcId, o: &ExcObj| if o.raised_again { id } else { o.tb_of };
        a == b || (tb(a, x) == tb(b, y) && x.context == y.context && x.cause == y.cause)
    }

    pub(crate) fn bump_tb(&mut self, id: ExcId) {
        self.obj_mut(id).tb += 1;
    }

    /// Sets `__context__` under `rule`.
    pub(crate) fn set_context(&mut self, id: ExcId, context: Option<ExcId>, rule: Rule) {
        self.restore_context(id, (context, Some(rule)));
    }

    /// The context of `id` and the rule that set it, for [`Excs::restore_context`].
    pub(crate) fn context(&self, id: ExcId) -> (Option<ExcId>, Option<Rule>) {
        let o = self.get(id);
        (o.context, o.rules.context)
    }

    /// Puts back a context taken with [`Excs::context`].
    pub(crate) fn restore_context(&mut self, id: ExcId, (context, rule): (Option<ExcId>, Option<Rule>)) {
        let o = self.obj_mut(id);
        o.context = context;
        o.rules.context = rule;
        if let Some(rule) = rule {
            o.context_history.push((context, rule));
        }
    }

    pub(crate) fn handled(&self) -> Option<ExcId> {
        if self.n_unlinked == 0 {
            return self.handled.last().copied();
        }
        self.top_linked(self.frames.len(), self.handled.len())
    }

    /// Whether frames set aside hide what `sys.exc_info()` would be with every frame linked: what
    /// the running generator sees (and chains to) is then [`Rule::YieldFromUnlinked`]'s doing.
    pub(crate) fn unlinking_hides(&self) -> bool {
        self.n_unlinked > 0 && self.handled() != self.handled.last().copied()
    }

    /// The top of the stack made of the parts of the linked frames below frame number `below`
    /// (whose part ends at `end`) and the caller's part.
    fn top_linked(&self, below: usize, mut end: usize) -> Option<ExcId> {
        for i in (0..below).rev() {
            let start = self.frames[i];
            if !self.unlinked[i] && start < end {
                return Some(self.handled[end - 1]);
            }
            end = start;
        }
        self.handled[..end].last().copied()
    }

    /// Whether the part of generator frame `frame` is on the stack for the frames above it: a
    /// generator resumed by `throw()` or `close()` through `yield from` runs with the parts of
    /// the generators delegating to it set aside (SEMANTICS-ADDENDUM §11.4).
    pub(crate) fn set_linked(&mut self, frame: ExcFrame, linked: bool) {
        let i = frame.0 as usize;
        if self.unlinked[i] == linked {
            self.unlinked[i] = !linked;
            if linked {
                self.n_unlinked -= 1;
            } else {
                self.n_unlinked += 1;
            }
        }
    }

    pub(crate) fn push_handled(&mut self, id: ExcId) {
        self.handled.push(id);
    }

    /// Starts a generator frame, for `handled_below` and `pop_frame`.
    pub(crate) fn push_frame(&mut self) -> ExcFrame {
        self.frames.push(self.handled.len());
        self.unlinked.push(false);
        ExcFrame(self.frames.len() as u32 - 1)
    }

    fn start(&self, frame: ExcFrame) -> usize {
        self.frames[frame.0 as usize]
    }

    fn is_top(&self, frame: ExcFrame) -> bool {
        self.frames.len() == frame.0 as usize + 1
    }

    pub(crate) fn pop_frame(&mut self, frame: ExcFrame) {
        assert!(self.is_top(frame), "generator frames end in order");
        self.set_linked(frame, true);
        self.unlinked.pop();
        let start = self.frames.pop().expect("a frame was pushed");
        assert_eq!(self.handled.len(), start, "a generator frame ends with its handlers closed");
    }

    /// The generator of the topmost frame suspends while its caller runs: its part of the
    /// stack is set aside (a generator's `gi_exc_state` is not on the thread's stack while it
    /// is suspended). Gives it back for [`Excs::resume_frame`].
    pub(crate) fn suspend_frame(&mut self, frame: ExcFrame) -> Vec<ExcId> {
        assert!(self.is_top(frame), "only the topmost frame suspends");
        self.set_linked(frame, true);
        self.unlinked.pop();
        let start = self.frames.pop().expect("a frame was pushed");
        self.handled.split_off(start)
    }

    /// The generator suspended by [`Excs::suspend_frame`] resumes, as the topmost frame again.
    pub(crate) fn resume_frame(&mut self, own: Vec<ExcId>) -> ExcFrame {
        let frame = self.push_frame();
        self.handled.extend(own);
        frame
    }

    /// Runs what happens after main has finished: nothing is handled below the topmost frame
    /// until [`Excs::restore_below`].
    pub(crate) fn clear_below(&mut self, frame: ExcFrame) -> SetAside {
        assert!(self.is_top(frame), "only the topmost frame outlives main");
        let start = self.start(frame);
        let below: Vec<ExcId> = self.handled.drain(..start).collect();
        let frames = self.frames.clone();
        for f in &mut self.frames {
            *f = f.saturating_sub(start);
        }
        SetAside { below, frames }
    }

    /// Undoes [`Excs::clear_below`].
    pub(crate) fn restore_below(&mut self, saved: SetAside) {
        let SetAside { below, frames } = saved;
        let own = std::mem::replace(&mut self.handled, below);
        self.handled.extend(own);
        self.frames = frames;
    }

    /// Whether what is handled now comes from below the generator frame running: it handles
    /// none of its own, and its caller (or a generator delegating to it) does.
    pub(crate) fn handled_from_caller(&self) -> bool {
        match self.frames.len().checked_sub(1) {
            Some(top) => self.handled.len() == self.frames[top] && self.handled().is_some(),
            None => false,
        }
    }

    /// The generator frame's own handled exception (its `gi_exc_state`), if any.
    pub(crate) fn own_handled(&self, frame: ExcFrame) -> Option<ExcId> {
        self.handled[self.start(frame)..].last().copied()
    }

    /// The caller of the generator frame starts handling `id` (the `finally` of `drive`).
    pub(crate) fn push_handled_below(&mut self, frame: ExcFrame, id: ExcId) {
        self.handled.insert(self.start(frame), id);
        for f in &mut self.frames[frame.0 as usize..] {
            *f += 1;
        }
    }

    /// A new exception raised by C code in the caller of generator frame `frame` (as
    /// `PyErr_SetNone` in `close()`, `next()`, contextlib's frames), whose type and message
    /// `rule` gives: implicit chaining makes its context what the caller is handling, not what
    /// the generator is.
    pub(crate) fn new_in_caller(&mut self, frame: ExcFrame, class: ExcClass, msg: &str, rule: Rule) -> ExcId {
        let id = self.new_exc(class, msg.to_string(), rule);
        if let Some(top) = self.handled_below(frame) {
            self.set_context(id, Some(top), Rule::ImplicitChaining);
        }
        id
    }

    /// What the generator frame's caller sees as `sys.exc_info()`.
    pub(crate) fn handled_below(&self, frame: ExcFrame) -> Option<ExcId> {
        if self.n_unlinked == 0 {
            return self.handled[..self.start(frame)].last().copied();
        }
        self.top_linked(frame.0 as usize, self.start(frame))
    }

    pub(crate) fn pop_handled(&mut self) {
        self.handled.pop().expect("pop_handled matches a push_handled");
    }

    /// What `raise value` (not a bare re-raise) does to `value.__context__`: it becomes the
    /// exception being handled, unless that is `value` itself; a link back to `value` in the
    /// handled exception's chain is cut first so that no cycle forms.
    pub(crate) fn chain_on_raise(&mut self, value: ExcId) -> ChainEffect {
        let Some(top) = self.handled() else { return ChainEffect::None };
        if top == value {
            return ChainEffect::None;
        }
        let mut effect = ChainEffect::Chained;
        let mut o = top;
        let mut visited = vec![o];
        while let Some(c) = self.get(o).context {
            if c == value {
                self.set_context(o, None, Rule::ContextCycleBroken);
                effect = ChainEffect::CycleCut;
                break;
            }
            if visited.contains(&c) {
                // A cycle already there: 3.9+ stop (Floyd's algorithm), 3.8 walks it forever.
                effect = ChainEffect::InCycle;
                break;
            }
            visited.push(c);
            o = c;
        }
        self.obj_mut(value).context = Some(top);
        effect
    }

    /// A reference to the exception for an event. Its number is the object's own until
    /// `predict` renumbers the whole trace in the order the program observed them, which is the
    /// order they are printed in (cleanup run at the very end included, after the outcome).
    pub(crate) fn observe(&mut self, id: Option<ExcId>) -> Option<ExcRef> {
        let id = id?;
        let o = self.get(id);
        Some(ExcRef { ty: o.class.name().to_string(), msg: Some(o.msg.clone()), id: id.0 })
    }

    pub(crate) fn detail(&mut self, id: ExcId) -> ExcDetail {
        let exc = self.observe(Some(id)).expect("observing an exception yields a ref");
        let (context, cause, suppress_context) = {
            let o = self.get(id);
            (o.context, o.cause, o.suppress_context)
        };
        let context = self.observe(context);
        let cause = self.observe(cause);
        let members = self.get(id).group.as_ref().map(|g| g.members.clone()).unwrap_or_default();
        let leaves = members.into_iter().filter_map(|m| self.observe(Some(m))).collect();
        ExcDetail { exc, context, cause, suppress_context, leaves }
    }

    /// The exception and everything reachable through context and cause, depth first.
    pub(crate) fn chain(&mut self, id: ExcId) -> Vec<ExcDetail> {
        let mut out = Vec::new();
        let mut visited = Vec::new();
        self.visit(Some(id), &mut visited, &mut out);
        out
    }

    fn visit(&mut self, id: Option<ExcId>, visited: &mut Vec<ExcId>, out: &mut Vec<ExcDetail>) {
        let Some(id) = id else { return };
        if visited.contains(&id) {
            return;
        }
        visited.push(id);
        out.push(self.detail(id));
        let (context, cause) = (self.get(id).context, self.get(id).cause);
        self.visit(context, visited, out);
        self.visit(cause, visited, out);
        let members = self.get(id).group.as_ref().map(|g| g.members.clone()).unwrap_or_default();
        for m in members {
            self.visit(Some(m), visited, out);
        }
    }
}

/// What [`Excs::clear_below`] set aside while `_finish` runs a generator after main.
#[derive(Clone, Debug)]
pub(crate) struct SetAside {
    below: Vec<ExcId>,
    frames: Vec<usize>,
}

/// What implicit chaining did on a raise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ChainEffect {
    /// Nothing was being handled, or the raised object is the one being handled.
    None,
    /// The context was set.
    Chained,
    /// The context was set after cutting a link that would have made a cycle (whose context is
    /// now None, set by [`Rule::ContextCycleBroken`]).
    CycleCut,
    /// The context was set; the handled exception's chain is a cycle (which 3.8 loops on).
    InCycle,
}
