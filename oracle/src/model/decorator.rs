//! Managers used as decorators (SEMANTICS-ADDENDUM §14): `ContextDecorator.__call__` wraps the
//! function in `inner(*args, **kwds)`, which runs `with self._recreate_cm(): return func(*args,
//! **kwds)` (`AsyncContextDecorator`: `async with` and `await`, in a coroutine of its own).
//! A `@contextmanager` object recreates itself for every call; a `ContextDecorator` subclass's
//! `_recreate_cm()` returns the instance itself.

use crate::ir::{Deco, ExcClass, ItemExpr, Stmt};
use crate::trace::Event;

use super::call::ExcDetails;
use super::exc::ExcId;
use super::message::{self, Code};
use super::protocol::Proto;
use super::{Builtin, Flow, Machine, Role, Rule, Val};

impl<'p> Machine<'p> {
    /// The decorated functions are defined at the start of main, in order: `@M0()` makes its
    /// instance then (its `__init__` may raise); an `@asynccontextmanager` object is no decorator
    /// before 3.10 (§14.3).
    pub(crate) fn define_decorated(&mut self) -> Flow {
        for d in &self.program.decos {
            let decorator = match d.deco {
                Deco::Mgr(m) => match self.eval_item(&ItemExpr::New(m)) {
                    Ok(v) => v,
                    Err(flow) => return flow,
                },
                Deco::Cm(c) => {
                    // `c0(11, kwds=22)` first: a manager that is never entered, as each call makes
                    // its own with the same arguments.
                    let made = match self.cm_factory(c, &d.args) {
                        Ok(v) => v,
                        Err(x) => return Flow::Raise(x),
                    };
                    if self.program.cms[c].is_async {
                        self.hit(Rule::DecoAsyncCallable);
                        if !self.quirks.contextlib_async_helpers {
                            let msg = message::not_callable("_AsyncGeneratorContextManager");
                            let x = self.raise_builtin(Rule::DecoAsyncCallable, ExcClass::TypeError, msg);
                            return Flow::Raise(x);
                        }
                    }
                    made
                }
            };
            self.decorators.push(decorator);
        }
        Flow::Normal
    }

    /// `x = f0(n, k=0)` (`await f0(...)`, `F0().f0(...)`): a call of decorated function `fun`.
    pub(crate) fn call_decorated(&mut self, fun: usize, n: u8, target: Option<&str>) -> Flow {
        match self.decorated_call(fun, i64::from(n), 0) {
            Ok(v) => {
                if let Some(t) = target {
                    self.vars().insert(t.to_string(), v);
                }
                Flow::Normal
            }
            Err(x) => Flow::Raise(x),
        }
    }

    /// `inner(n, k=k)`: the function's call inside the manager; gives what the call returns.
    fn decorated_call(&mut self, fun: usize, n: i64, k: i64) -> Result<Val, ExcId> {
        let d = &self.program.decos[fun];
        let is_async = d.is_async(self.program);
        let res = self.decorated_with(fun, n, k, is_async);
        // `inner` of AsyncContextDecorator is a coroutine: PEP 479 at its boundary too.
        res.map_err(|x| if is_async { self.pep479(x, Code::Coroutine) } else { x })
    }

    /// `with self._recreate_cm(): return func(*args, **kwds)` (`async with`, `await`).
    fn decorated_with(&mut self, fun: usize, n: i64, k: i64, is_async: bool) -> Result<Val, ExcId> {
        let proto = Proto::of(is_async);
        if is_async {
            self.hit(Rule::DecoAsync);
        }
        let mgr = match self.program.decos[fun].deco {
            Deco::Cm(cm) => {
                self.hit(Rule::DecoCmRecreated);
                // `_recreate_cm()`: a new manager of the same function and arguments.
                let args = match &self.decorators[fun] {
                    Val::Builtin(Builtin::Cm { obj, .. }) => self.heap.cm_args(*obj).to_vec(),
                    _ => unreachable!("define_decorated made a generator manager for @c<n>(...)"),
                };
                Val::Builtin(Builtin::Cm { cm, obj: self.heap.new_cm(args) })
            }
            Deco::Mgr(_) => {
                self.hit(Rule::DecoInstanceReused);
                self.decorators[fun].clone()
            }
        };
        let outer_handled = self.excs.handled();
        let (enter, exit) = self.lookup(&mgr, proto)?;
        let entered = match self.call_method(&mgr, enter, proto.enter(), ExcDetails::of(None)) {
            Ok(v) => self.awaited(v, proto.enter()),
            Err(x) => Err(x),
        };
        if let Err(x) = entered {
            self.hit(Rule::EnterRaises);
            return Err(x);
        }
        let (flow, _) = self.in_frame(Role::Call, |m| m.decorated_body(fun, n, k));
        let returned = matches!(flow, Flow::Return(_));
        let flow = match flow {
            Flow::Raise(x) if is_async => self.leave_frame(Flow::Raise(x), Code::Coroutine),
            Flow::Raise(x) => {
                // Into inner's frame, a plain function's: no PEP 479.
                self.excs.raised_again(x);
                Flow::Raise(x)
            }
            Flow::Return(v) => Flow::Return(v),
            _ => Flow::Return(Val::None),
        };
        match self.exit(&mgr, exit, flow, outer_handled, false, proto) {
            Flow::Return(v) => {
                if returned {
                    self.hit(Rule::DecoReturnsValue);
                }
                Ok(v)
            }
            Flow::Raise(x) => Err(x),
            _ => {
                // The exit suppressed: inner falls off its end.
                self.hit(Rule::DecoSuppressedReturnsNone);
                Ok(Val::None)
            }
        }
    }

    /// The decorated function's own frame: `show('n', n)`, `show('k', k)`, the recursive call
    /// while `n`, then the body.
    fn decorated_body(&mut self, fun: usize, n: i64, k: i64) -> Flow {
        for (name, v) in [("n", n), ("k", k)] {
            self.vars().insert(name.to_string(), Val::Int(v));
            self.emit(Event::Var { name: name.to_string(), value: v.to_string() });
        }
        if n > 0 {
            self.hit(Rule::DecoRecursionNests);
            if let Err(x) = self.decorated_call(fun, n - 1, k + 1) {
                return Flow::Raise(x);
            }
        }
        let body: &'p [Stmt] = &self.program.decos[fun].body;
        self.block(body)
    }
}
