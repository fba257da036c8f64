//! `ExitStack` and `AsyncExitStack` (SEMANTICS.md §4.3), from contextlib's documented
//! algorithm: what `enter_context`, `push`, `callback` and their async forms register, and
//! how `__exit__` runs the callbacks LIFO, lets one suppress, and fixes up the context of what
//! they raise so that the chain looks like nested `with` statements, except for what the
//! frame itself was handling.

use crate::ir::{ExcClass, ExitFn, ExitFnResult, Slot, StackOp};
use crate::trace::Event;

use super::call::{ExcDetails, Site};
use super::exc::ExcId;
use super::heap::{Entry, StackId};
use super::message;
use super::protocol::{Found, Proto};
use super::{Builtin, Flow, Machine, Rule, Val};

impl<'p> Machine<'p> {
    /// `st.<op>(...)` on the stack held by `stack`.
    pub(crate) fn stack_op(&mut self, stack: &str, op: &StackOp) -> Flow {
        let Val::Builtin(Builtin::Stack { is_async: stack_async, obj }) = self.var(stack) else {
            panic!("validate checks that `{stack}` holds an exit stack")
        };
        match op {
            StackOp::Enter { expr, is_async, target } => {
                let cm = match self.eval_item(expr) {
                    Ok(v) => v,
                    Err(flow) => return flow,
                };
                let res = if *is_async { self.enter_async_context(obj, cm) } else { self.enter_context(obj, cm) };
                match res {
                    Ok(v) => {
                        if let Some(t) = target {
                            self.vars().insert(t.clone(), v);
                        }
                        Flow::Normal
                    }
                    Err(x) => Flow::Raise(x),
                }
            }
            StackOp::Push { expr, is_async } => {
                let x = match self.eval_item(expr) {
                    Ok(v) => v,
                    Err(flow) => return flow,
                };
                match self.push(obj, x, *is_async) {
                    Ok(()) => Flow::Normal,
                    Err(x) => Flow::Raise(x),
                }
            }
            StackOp::PushFn(f) => {
                self.hit(Rule::StackPushCallable);
                self.push_entry(obj, Entry::Callable { obj: Val::Xf(Box::new(f.clone())), is_async: f.is_async });
                Flow::Normal
            }
            StackOp::Callback { label, raises, is_async } => {
                self.hit(Rule::StackCallback);
                let entry = Entry::Callback { label: label.clone(), raises: *raises, is_async: *is_async };
                self.push_entry(obj, entry);
                Flow::Normal
            }
            StackOp::Close { .. } => {
                self.hit(Rule::StackClose);
                match self.stack_exit(obj, None, stack_async) {
                    Ok(_) => Flow::Normal,
                    // aclose() is a coroutine too.
                    Err(x) => Flow::Raise(self.coroutine_boundary(x, stack_async)),
                }
            }
        }
    }

    fn push_entry(&mut self, obj: StackId, entry: Entry) {
        self.heap.stack(obj).push(entry);
    }

    /// `st.pop_all()`: a new stack of the same type takes every callback.
    pub(crate) fn pop_all(&mut self, stack: &str) -> Result<Val, Flow> {
        let Val::Builtin(Builtin::Stack { is_async, obj }) = self.var(stack) else {
            panic!("validate checks that `{stack}` holds an exit stack")
        };
        self.hit(Rule::StackPopAll);
        let entries = std::mem::take(self.heap.stack(obj));
        Ok(Val::Builtin(Builtin::Stack { is_async, obj: self.heap.new_stack(entries) }))
    }

    /// What `type(v)` has of the protocol, as contextlib's plain attribute access on the class
    /// sees it (the same as the `with` statement's lookup: instance attributes are ignored).
    fn attrs(&mut self, v: &Val, is_async: bool) -> (Option<Found<'p>>, Option<Found<'p>>) {
        let proto = Proto::of(is_async);
        if let Val::Mgr(m) = v {
            if self.has_descriptor_method(*m, proto) {
                // `type(cm).__enter__` gives the property itself, the function of a static
                // method, a class method bound to the class...: not modelled.
                self.give_up("contextlib's class-level lookup of a protocol method given by a descriptor");
            }
        }
        (self.type_method(v, proto.enter()), self.type_method(v, proto.exit()))
    }

    /// The lookups of `enter_context` / `enter_async_context`: 3.11+ look up enter then exit
    /// and turn a missing one into a TypeError from None; before, exit is looked up first and
    /// its AttributeError propagates, then enter's.
    fn enter_lookup(&mut self, cm: &Val, is_async: bool) -> Result<Found<'p>, ExcId> {
        let (enter, exit) = self.attrs(cm, is_async);
        let ty = self.type_name(cm);
        if let (Some(_), Some(exit)) = (enter, exit) {
            return Ok(exit);
        }
        self.hit(Rule::StackEnterUnsupported);
        let proto = Proto::of(is_async);
        let exit_missing = if self.quirks.enter_context_raises_type_error { enter.is_some() } else { exit.is_none() };
        let missing = if exit_missing { proto.exit() } else { proto.enter() };
        let attr_msg = message::type_has_no_attribute(&ty, missing.name());
        let attr_err = self.raise_builtin(Rule::StackEnterUnsupported, ExcClass::AttributeError, attr_msg);
        if !self.quirks.enter_context_raises_type_error {
            return Err(attr_err);
        }
        // `raise TypeError(...) from None` in the `except AttributeError:` block.
        self.excs.push_handled(attr_err);
        let msg = message::enter_context_unsupported(self.type_module(cm), &ty, is_async);
        let err = self.excs.new_exc(ExcClass::TypeError, msg, Rule::StackEnterUnsupported);
        self.excs.set_cause(err, None, Rule::StackEnterUnsupported);
        let err = self.raise_obj(err);
        self.excs.pop_handled();
        Err(err)
    }

    /// `st.enter_context(cm)`: enter, then push the exit (only once entering succeeded).
    fn enter_context(&mut self, obj: StackId, cm: Val) -> Result<Val, ExcId> {
        self.hit(Rule::StackEnterContext);
        let exit = self.enter_lookup(&cm, false)?;
        let v = self.call_found(&cm, Slot::Enter, ExcDetails::of(None))?;
        self.push_cm_exit(obj, cm, exit, false)?;
        Ok(v)
    }

    /// `await st.enter_async_context(cm)`, a coroutine.
    fn enter_async_context(&mut self, obj: StackId, cm: Val) -> Result<Val, ExcId> {
        self.hit(Rule::StackEnterAsyncContext);
        let res = (|| {
            let exit = self.enter_lookup(&cm, true)?;
            let v = self.call_found(&cm, Slot::AEnter, ExcDetails::of(None))?;
            let v = self.await_value(v, Site::Await)?;
            self.push_cm_exit(obj, cm, exit, true)?;
            Ok(v)
        })();
        res.map_err(|x| self.coroutine_boundary(x, true))
    }

    /// `_push_cm_exit`: `MethodType(exit, cm)` refuses an exit attribute that is `None`.
    fn push_cm_exit(&mut self, obj: StackId, cm: Val, exit: Found<'p>, is_async: bool) -> Result<(), ExcId> {
        if matches!(exit, Found::None) {
            self.hit(Rule::StackExitIsNone);
            let msg = message::method_type_not_callable();
            return Err(self.raise_builtin(Rule::StackExitIsNone, ExcClass::TypeError, msg));
        }
        self.push_entry(obj, Entry::CmExit { mgr: cm, is_async });
        Ok(())
    }

    /// `st.push(x)` / `st.push_async_exit(x)`: the exit method of `type(x)` bound to `x`, or
    /// `x` itself as a callable.
    fn push(&mut self, obj: StackId, x: Val, is_async: bool) -> Result<(), ExcId> {
        let (_, exit) = self.attrs(&x, is_async);
        let Some(exit) = exit else {
            self.hit(Rule::StackPushCallable);
            self.push_entry(obj, Entry::Callable { obj: x, is_async });
            return Ok(());
        };
        self.hit(Rule::StackPushExit);
        self.push_cm_exit(obj, x, exit, is_async)
    }

    /// `ExitStack.__exit__(*exc_details)` / `AsyncExitStack.__aexit__`: the callbacks LIFO, as
    /// contextlib runs them (§4.3).
    pub(crate) fn stack_exit(&mut self, obj: StackId, exc: Option<ExcId>, is_async: bool) -> Result<Val, ExcId> {
        let received = exc.is_some();
        // `sys.exc_info()[1]` in the frame of __exit__: what its caller is handling.
        let frame_exc = self.excs.handled();
        let mut current = exc;
        // The traceback the details carry: ≤3.12 pass the tuple as received (or as sys.exc_info()
        // gave it), which goes stale if the exception's traceback changes meanwhile.
        let mut details_tb = current.map(|e| self.excs.get(e).tb);
        let mut suppressed = false;
        let mut pending = false;
        let mut n = 0;
        while let Some(entry) = self.heap.stack(obj).pop() {
            n += 1;
            if n == 2 {
                self.hit(Rule::StackLifo);
            }
            let stale = !self.quirks.stack_recomputes_exc_details
                && current.is_some_and(|e| Some(self.excs.get(e).tb) != details_tb);
            let res = match self.call_entry(entry, ExcDetails { exc: current, fresh: !stale, only_type: None }) {
                Ok(v) => self.truthy(&v),
                Err(x) => Err(x),
            };
            match res {
                Ok(true) => {
                    if current.is_some() {
                        self.hit(Rule::StackCallbackSuppresses);
                    }
                    suppressed = true;
                    pending = false;
                    current = None;
                    details_tb = None;
                }
                Ok(false) => {}
                Err(new) => {
                    self.hit(Rule::StackCallbackRaises);
                    self.fix_exception_context(new, current, frame_exc);
                    pending = true;
                    current = Some(new);
                    details_tb = Some(self.excs.get(new).tb);
                }
            }
        }
        if pending {
            let x = current.expect("a pending raise has an exception");
            // `fixed_ctx = exc.__context__; raise exc` then restore: the raise's chaining is undone.
            let fixed = self.excs.context(x);
            self.raise_obj(x);
            self.excs.restore_context(x, fixed);
            return Err(x);
        }
        let res = Val::Bool(received && suppressed);
        Ok(if is_async { Val::Ready(Box::new(res)) } else { res })
    }

    /// `_fix_exception_context(new, old)`: walk the context chain of `new` to the link that is
    /// `frame_exc` and point it at `old` instead; a chain that already reaches `old` (or, 3.9+,
    /// ends in None) is left alone. 3.8 also patches a chain that ends in None.
    fn fix_exception_context(&mut self, new: ExcId, old: Option<ExcId>, frame_exc: Option<ExcId>) {
        let mut node = new;
        let mut seen = vec![node];
        loop {
            let ctx = self.excs.get(node).context;
            if ctx.is_none() && self.excs.context(node).1 == Some(Rule::SetContext) {
                // A context the program set to None: 3.9+ leave it, 3.8 patches it below.
                self.hit(Rule::StackKeepsExplicitNoneContext);
            }
            if self.quirks.stack_keeps_explicit_none_context {
                if ctx.is_none() || ctx == old {
                    return;
                }
            } else if ctx == old {
                return;
            } else if ctx.is_none() {
                break;
            }
            if ctx == frame_exc {
                break;
            }
            let next = ctx.expect("checked");
            if seen.contains(&next) {
                // contextlib walks this cycle forever. A callback that re-raises the exception
                // it was given, in a stack whose frame handles another, makes an exception its
                // own context; an outer stack then never finds the end of its chain.
                self.give_up("ExitStack's _fix_exception_context walks a __context__ cycle forever");
                return;
            }
            seen.push(next);
            node = next;
        }
        // The walk stopped at a link that is not `old` already.
        let rule = if old.is_none() { Rule::StackInExceptContextLost } else { Rule::StackContextFixed };
        self.hit(rule);
        self.excs.set_context(node, old, rule);
        if !self.quirks.chaining_stops_at_context_cycles && self.excs.context_cycle(node) {
            // 3.8 walks such a chain forever the next time anything is raised while it is
            // handled, which the prelude itself does.
            self.give_up("3.8 walks a __context__ cycle forever when it chains a new exception");
        }
    }

    /// Calls one callback with the exception details (awaiting it when it is async).
    fn call_entry(&mut self, entry: Entry, details: ExcDetails) -> Result<Val, ExcId> {
        match entry {
            Entry::CmExit { mgr, is_async } => {
                let v = self.call_found(&mgr, Proto::of(is_async).exit(), details)?;
                if is_async {
                    self.await_value(v, Site::Await)
                } else {
                    Ok(v)
                }
            }
            Entry::Callable { obj: Val::Xf(f), is_async } => {
                debug_assert_eq!(f.is_async, is_async, "validate pairs Xf with push and AXf with push_async_exit");
                self.call_exit_fn(&f, details)
            }
            Entry::Callable { obj, .. } => {
                let ty = self.type_name(&obj);
                let msg = match &obj {
                    // A generator manager is a (Async)ContextDecorator: callable with one argument.
                    Val::Builtin(Builtin::Cm { cm, .. }) => {
                        message::decorator_called_with_exc_details(&self.quirks, &ty, self.program.cms[*cm].is_async)
                    }
                    // So is an instance of a class that derives from ContextDecorator (§14), here or
                    // in a base class.
                    Val::Mgr(m) if self.program.derives_context_decorator(*m) => {
                        message::decorator_called_with_exc_details(&self.quirks, &ty, false)
                    }
                    _ => message::not_callable(&ty),
                };
                // Pushed as a callable because its type has no exit method: calling it fails.
                Err(self.raise_builtin(Rule::StackPushCallable, ExcClass::TypeError, msg))
            }
            Entry::Callback { label, raises, is_async } => {
                let info = self.exc_info();
                self.emit(Event::Callback { label: label.clone(), is_async, info });
                let Some(c) = raises else { return Ok(Val::None) };
                let id = self.excs.new_user_exc(c, message::raised_by_program(c, &label));
                let x = self.raise_obj(id);
                // acb and contextlib's wrapper are coroutines.
                Err(self.coroutine_boundary(x, is_async))
            }
        }
    }

    /// `Xf('x1', r)(t, v, tb)`, or `await AXf('x1', suspend, r)(t, v, tb)`.
    fn call_exit_fn(&mut self, f: &ExitFn, details: ExcDetails) -> Result<Val, ExcId> {
        let exc_ref = self.excs.observe(details.exc);
        let info = self.exc_info();
        let consistent = details.fresh;
        self.emit(Event::Call { label: f.label.clone(), is_async: f.is_async, exc: exc_ref, consistent, info });
        if f.suspend {
            self.suspend_at(&f.label)?;
        }
        match &f.result {
            ExitFnResult::Return(v) => Ok(self.eval(v)),
            ExitFnResult::Raise(c) => {
                let id = self.excs.new_user_exc(*c, message::raised_by_program(*c, &f.label));
                let x = self.raise_obj(id);
                Err(self.coroutine_boundary(x, f.is_async))
            }
        }
    }
}
