//! The generator API's corners and the chaining primitives (SEMANTICS-ADDENDUM §10, §12): how a
//! `drive` ends and what it throws, the statements that handle caught exceptions as objects, and
//! the openings of the `GenApi` and `Chaining` focuses.

use arbitrary::Result;
use oracle::capability::Capability;
use oracle::ir::{
    Action, AttrValue, AwOp, BadThrow, Cause, CmGen, Drive, ExcAttr, ExcClass, GenFn, Handler, ItemExpr, Manager,
    Method, NewExc, Parens, RaiseNew, StackOp, Stmt, Target, Then, Thrown, Try, Value, WithItem, Yielded,
};

use super::{Cx, Gen, RAISED};

/// `@contextmanager def c<n>(): try: yield None` with `handler`.
fn handling_cm(handler: Handler) -> CmGen {
    CmGen {
        params: Vec::new(),
        is_async: false,
        pre: Vec::new(),
        yields: Some(Value::None),
        handler: Some(handler),
        finally: None,
        post: Vec::new(),
    }
}

fn try_except(body: Vec<Stmt>, handler: Handler) -> Stmt {
    Stmt::Try(Box::new(Try { body, handlers: vec![handler], orelse: Vec::new(), finally: None }))
}

impl Gen<'_, '_> {
    /// How a `drive` of a generator (`is_async`: an async one) runs it: mostly the plain forms;
    /// with the `gen_api` weight the corners (a generator that never started, a second
    /// operation, `throw()`'s other argument forms, `send(1)`).
    pub(super) fn drive_how(&mut self, cx: &Cx, is_async: bool) -> Result<(Drive, Option<Then>)> {
        if !self.chance(self.config.weights.gen_api, 12)? {
            let how = match self.weighted(&[2, 3, 3])? {
                0 => Drive::Exhaust,
                1 => Drive::Close(self.u.int_in_range(1..=2)?),
                _ => {
                    let k = self.u.int_in_range(1..=2)?;
                    Drive::Throw(k, self.thrown(cx.scope.caught())?)
                }
            };
            return Ok((how, None));
        }
        let k = self.u.int_in_range(0..=2)?;
        let how = match self.weighted(&[2, 3, 3, 2])? {
            0 => Drive::Exhaust,
            1 => Drive::Close(k),
            2 => Drive::Throw(k, self.thrown_corner(cx.scope.caught())?),
            _ => Drive::Send(k),
        };
        let throws = matches!(how, Drive::Throw(..));
        let then = match self.weighted(&[2, 3, if throws { 0 } else { 2 }, if is_async { 2 } else { 0 }])? {
            0 => None,
            1 => Some(Then::Close),
            2 => Some(Then::Throw(self.thrown_corner(cx.scope.caught())?)),
            _ => Some(Then::Again),
        };
        Ok((how, then))
    }

    /// `yield 'y1'`, or with the `gen_api` weight a value: a tuple, an int, a StopIteration
    /// instance (SEMANTICS-ADDENDUM §10.6).
    pub(super) fn yield_stmt(&mut self) -> Result<Stmt> {
        if !self.chance(self.config.weights.gen_api, 8)? {
            return Ok(Stmt::Yield(self.labels.next('y')));
        }
        Ok(Stmt::YieldValue(match self.u.int_in_range(0..=3)? {
            0 => Yielded::Value(Value::Tuple(vec![Value::Int(self.u.int_in_range(0..=9)?)])),
            1 => Yielded::Value(Value::Int(self.u.int_in_range(0..=9)?)),
            2 => Yielded::Value(Value::None),
            _ => Yielded::Exc(NewExc { class: ExcClass::StopIteration, label: self.labels.next('y') }),
        }))
    }

    /// What `throw()` is given in a plain drive: a new exception, or with the `chaining` weight
    /// and a handler around, the one it caught.
    fn thrown(&mut self, caught: &[String]) -> Result<Thrown> {
        if !caught.is_empty() && self.chance(self.config.weights.chaining, 4)? {
            return Ok(Thrown::Caught(self.u.choose(caught)?.clone()));
        }
        Ok(Thrown::New(self.new_exc('r')?))
    }

    /// What `throw()` is given among the corners: every argument form.
    fn thrown_corner(&mut self, caught: &[String]) -> Result<Thrown> {
        Ok(match self.weighted(&[3, 2, 2, 2])? {
            0 => return self.thrown(caught),
            1 => Thrown::Class(self.pick(RAISED)?),
            2 => Thrown::Triple(self.new_exc('r')?),
            _ => {
                Thrown::Bad(self.pick(&[BadThrow::NotAnException, BadThrow::SeparateValue, BadThrow::BadTraceback])?)
            }
        })
    }

    /// A raise in a handler: with the `chaining` weight, `from` what a handler caught.
    pub(super) fn raise_in(&mut self, cx: &Cx) -> Result<RaiseNew> {
        let mut r = self.raise_new()?;
        if !cx.scope.caught().is_empty() && self.chance(self.config.weights.chaining, 6)? {
            r.cause = Some(Cause::Caught(self.u.choose(cx.scope.caught())?.clone()));
        }
        Ok(r)
    }

    /// A chaining primitive on what a handler around caught: an assigned attribute, then often
    /// a bare `raise` (which keeps what was assigned).
    pub(super) fn chaining_stmt(&mut self, cx: &Cx) -> Result<Vec<Stmt>> {
        let label = self.u.choose(cx.scope.caught())?.clone();
        let attrs = self.settable(&[ExcAttr::Context, ExcAttr::Context, ExcAttr::Cause, ExcAttr::SuppressContext]);
        if attrs.is_empty() {
            return Ok(Vec::new());
        }
        let attr = self.pick(&attrs)?;
        let value = match attr {
            ExcAttr::SuppressContext => AttrValue::Bool(self.u.ratio(1, 2)?),
            _ if self.u.ratio(1, 2)? => AttrValue::None,
            _ => AttrValue::Caught(self.u.choose(cx.scope.caught())?.clone()),
        };
        let mut res = vec![Stmt::SetAttr { label, attr, value }];
        if self.u.ratio(1, 2)? {
            res.push(Stmt::BareRaise);
        }
        Ok(res)
    }

    /// Those of `attrs` the interpreter has: assigning one it lacks raises AttributeError, which
    /// is no finding (`oracle::capability::required` names them).
    fn settable(&self, attrs: &[ExcAttr]) -> Vec<ExcAttr> {
        attrs.iter().copied().filter(|a| self.has(Capability::of_attr(*a))).collect()
    }

    /// `k1 = None`, a `try` whose handler keeps what it caught in `k1`, then `raise k1`: alone
    /// (nothing handled, so it keeps its context), or while another exception is handled
    /// (which becomes its context).
    pub(super) fn keep_idiom(&mut self) -> Result<Vec<Stmt>> {
        let name = self.labels.next('k');
        let raised = self.new_exc('r')?;
        let label = self.labels.next('h');
        let class = if self.u.ratio(1, 2)? { raised.class } else { ExcClass::BaseException };
        let mut body = vec![Stmt::Keep { name: name.clone(), label: label.clone() }];
        if self.u.ratio(1, 3)? {
            // Raised again inside its own handler, as `raise k1`: the same object, no new context.
            body.push(Stmt::RaiseVar(name.clone()));
        }
        let handler = Handler { label, class: Some(class), bind: true, body };
        let inner = if self.u.ratio(1, 3)? {
            // The exception raised in the try already has a context: a handled one around it.
            let outer = Handler {
                label: self.labels.next('h'),
                class: None,
                bind: false,
                body: vec![Stmt::Raise(RaiseNew { exc: raised, cause: None })],
            };
            try_except(vec![Stmt::Raise(self.raise_new()?)], outer)
        } else {
            Stmt::Raise(RaiseNew { exc: raised, cause: None })
        };
        let kept = try_except(vec![inner], handler);
        let again = if self.u.ratio(1, 2)? {
            Stmt::RaiseVar(name.clone())
        } else {
            let h = Handler {
                label: self.labels.next('h'),
                class: None,
                bind: false,
                body: vec![Stmt::RaiseVar(name.clone())],
            };
            try_except(vec![Stmt::Raise(self.raise_new()?)], h)
        };
        Ok(vec![Stmt::Assign { name, expr: ItemExpr::Literal(Value::None) }, kept, again])
    }

    // ---- openings ----

    /// A generator function for an opening: suspended in a manager's `with` (which suppresses,
    /// raises or re-raises what comes in), or in a `try` whose handler catches everything and
    /// maybe yields again or returns a value.
    fn corner_gen(&mut self, managers: &mut Vec<Manager>, is_async: bool) -> Result<GenFn> {
        let body = match self.u.int_in_range(0..=2)? {
            0 => {
                let exit = self.opening_exit()?;
                let m = if is_async {
                    // An __aexit__ that suspends: an athrow() awaitable passes that on, and is
                    // left usable after its result (§10.5).
                    let suspend = if self.u.ratio(1, 2)? { Some(self.labels.next('s')) } else { None };
                    let aexit = Method::AsyncDef { suspend, action: exit };
                    let aenter = Method::AsyncDef { suspend: None, action: Action::ReturnSelf };
                    Self::async_manager(managers, aenter, aexit)
                } else {
                    Self::sync_manager(managers, Action::ReturnSelf, Method::Defined(exit))
                };
                let inner = vec![Stmt::Yield(self.labels.next('y')), Stmt::Yield(self.labels.next('y'))];
                let item = WithItem { expr: ItemExpr::New(m), target: Target::None };
                vec![Stmt::With { parens: Parens::No, is_async, items: vec![item], body: inner }]
            }
            _ => {
                let class = self.pick(&[None, Some(ExcClass::GeneratorExit), Some(ExcClass::BaseException)])?;
                let body = match self.u.int_in_range(0..=2)? {
                    0 if is_async && self.u.ratio(1, 2)? => {
                        vec![Stmt::Await(self.labels.next('s')), Stmt::Yield(self.labels.next('y'))]
                    }
                    0 => vec![Stmt::Yield(self.labels.next('y'))],
                    1 if !is_async => {
                        vec![Stmt::Return {
                            label: self.labels.next('v'),
                            value: Value::Int(self.u.int_in_range(0..=9)?),
                        }]
                    }
                    _ => Vec::new(),
                };
                let h = Handler { label: self.labels.next('h'), class, bind: false, body };
                vec![try_except(vec![Stmt::Yield(self.labels.next('y'))], h), Stmt::Yield(self.labels.next('y'))]
            }
        };
        Ok(GenFn { is_async, body })
    }

    /// §10: a drive at a corner of the generator API, of a generator made for it.
    pub(super) fn open_gen_api(
        &mut self,
        managers: &mut Vec<Manager>,
        gens: &mut Vec<GenFn>,
        is_async: bool,
    ) -> Result<Vec<Stmt>> {
        let gen_async = is_async && self.u.ratio(3, 4)? && self.has(Capability::AsyncGenerators);
        let g = self.corner_gen(managers, gen_async)?;
        gens.push(g);
        self.gen_async.push(gen_async);
        let gen = gens.len() - 1;
        let (how, then) = match self.u.int_in_range(0..=10)? {
            // close() of a generator that catches GeneratorExit and returns: its value (3.13).
            0 if !gen_async => {
                let h = Handler {
                    label: self.labels.next('h'),
                    class: Some(ExcClass::GeneratorExit),
                    bind: false,
                    body: vec![Stmt::Return {
                        label: self.labels.next('v'),
                        value: Value::Int(self.u.int_in_range(1..=9)?),
                    }],
                };
                gens[gen].body = vec![try_except(vec![Stmt::Yield(self.labels.next('y'))], h)];
                (Drive::Close(1), None)
            }
            // A generator that never started: closed, thrown into (StopIteration included), sent 1.
            0 | 1 => {
                let how = match self.u.int_in_range(0..=2)? {
                    0 => Drive::Close(0),
                    1 => {
                        let class =
                            self.pick(&[ExcClass::StopIteration, ExcClass::StopAsyncIteration, ExcClass::E1])?;
                        let t = if self.u.ratio(1, 3)? {
                            Thrown::Class(class)
                        } else {
                            Thrown::New(NewExc { class, label: self.labels.next('r') })
                        };
                        Drive::Throw(0, t)
                    }
                    _ => Drive::Send(0),
                };
                let then = match self.u.int_in_range(0..=3)? {
                    0 => Some(Then::Close),
                    1 if !matches!(how, Drive::Throw(..)) => Some(Then::Throw(Thrown::New(self.new_exc('r')?))),
                    2 if gen_async => Some(Then::Again),
                    _ => None,
                };
                (how, then)
            }
            // Finished generators: closed and thrown into.
            2 => {
                let how = if self.u.ratio(1, 2)? { Drive::Exhaust } else { Drive::Close(1) };
                let then = match self.u.int_in_range(0..=2)? {
                    0 => Then::Close,
                    1 => Then::Throw(self.thrown_corner(&[])?),
                    // __anext__() once more on the exhausted generator: StopAsyncIteration again.
                    _ if gen_async && how == Drive::Exhaust && self.u.ratio(1, 2)? => Then::Next,
                    _ if gen_async => Then::Again,
                    _ => Then::Close,
                };
                (how, Some(then))
            }
            // throw()'s argument forms.
            3 => (Drive::Throw(1, self.thrown_corner(&[])?), None),
            // send(1) to a started generator, then something more.
            4 => (Drive::Send(1), if self.u.ratio(1, 2)? { Some(Then::Close) } else { None }),
            // throw() into an awaitable by hand, maybe twice (§10.8).
            6..=9 if gen_async => return self.aw_throw(gens, gen),
            // An awaitable awaited again.
            _ if gen_async => {
                let how = match self.u.int_in_range(0..=4)? {
                    0 => Drive::Exhaust,
                    1 => Drive::Close(1),
                    _ => Drive::Throw(1, Thrown::New(self.new_exc('r')?)),
                };
                if matches!(how, Drive::Throw(..)) && self.u.ratio(3, 4)? {
                    // The handler awaits before it yields: the athrow() awaitable passes that
                    // suspension on and is left usable, so awaiting it again resumes the
                    // generator (§10.5), to a yield, its end or a raise.
                    let after = match self.u.int_in_range(0..=2)? {
                        0 => vec![Stmt::Yield(self.labels.next('y'))],
                        1 => vec![Stmt::Raise(self.raise_new()?)],
                        _ => vec![],
                    };
                    let h = Handler {
                        label: self.labels.next('h'),
                        class: None,
                        bind: false,
                        body: vec![Stmt::Await(self.labels.next('s')), Stmt::Yield(self.labels.next('y'))],
                    };
                    let mut body = vec![try_except(vec![Stmt::Yield(self.labels.next('y'))], h)];
                    body.extend(after);
                    gens[gen].body = body;
                }
                (how, Some(Then::Again))
            }
            _ => (Drive::Throw(1, Thrown::Class(self.pick(RAISED)?)), Some(Then::Close)),
        };
        Ok(vec![Stmt::Drive { label: self.labels.next('d'), gen, how, then }])
    }

    /// §10.8: `__anext__()`, `aclose()` or `athrow()` thrown into by hand, of a generator that never
    /// started or is suspended at a yield whose handler may await and yield a value, then maybe
    /// the same awaitable thrown into again, or `__anext__()` awaited until the end.
    fn aw_throw(&mut self, gens: &mut [GenFn], gen: usize) -> Result<Vec<Stmt>> {
        let op = self.pick(&[AwOp::Next, AwOp::Close, AwOp::Throw])?;
        let k = self.u.int_in_range(0..=1)?;
        let class = self.pick(&[
            ExcClass::E1,
            ExcClass::E1,
            ExcClass::GeneratorExit,
            ExcClass::StopIteration,
            ExcClass::StopAsyncIteration,
        ])?;
        let thrown = match self.weighted(&[4, 4, 1, 1])? {
            0 => Thrown::Class(class),
            1 => Thrown::New(NewExc { class, label: self.labels.next('r') }),
            2 => Thrown::Triple(NewExc { class, label: self.labels.next('r') }),
            _ => {
                Thrown::Bad(self.pick(&[BadThrow::NotAnException, BadThrow::SeparateValue, BadThrow::BadTraceback])?)
            }
        };
        if k == 1 && self.u.ratio(2, 3)? {
            // The handler yields a value (it comes out of throw() in StopIteration), after an
            // await that may suspend (passed on to main's driver).
            let mut body = Vec::new();
            if self.u.ratio(1, 4)? {
                body.push(Stmt::Await(self.labels.next('s')));
            }
            body.push(self.yield_stmt()?);
            let caught = self.pick(&[None, Some(class), Some(ExcClass::BaseException)])?;
            let h = Handler { label: self.labels.next('h'), class: caught, bind: false, body };
            gens[gen].body =
                vec![try_except(vec![Stmt::Yield(self.labels.next('y'))], h), Stmt::Yield(self.labels.next('y'))];
        }
        if !gens[gen].is_async_gen() {
            return Ok(Vec::new());
        }
        let how = Drive::AwThrow(k, op, thrown);
        // Maybe the same awaitable thrown into again, or __anext__() until the end after it.
        let then = match self.weighted(&[1, 2, 2])? {
            0 => None,
            1 => Some(Then::Again),
            _ => Some(Then::Next),
        };
        Ok(vec![Stmt::Drive { label: self.labels.next('d'), gen, how, then }])
    }

    /// §12: a chaining primitive in a plain shape.
    pub(super) fn open_chaining(
        &mut self,
        gens: &mut Vec<GenFn>,
        cms: &mut Vec<CmGen>,
        is_async: bool,
    ) -> Result<Vec<Stmt>> {
        let outer = self.labels.next('h');
        let raise_outer = Stmt::Raise(self.raise_new()?);
        let handled = |body: Vec<Stmt>, g: &mut Self| -> Stmt {
            let class =
                Some(if g.u.ratio(1, 2).unwrap_or(false) { ExcClass::BaseException } else { ExcClass::Exception });
            try_except(vec![raise_outer.clone()], Handler { label: outer.clone(), class, bind: true, body })
        };
        // The assigned attributes (2) are three rules: drawn twice as often.
        let mut variant = self.weighted(&[1, 1, 2, 1, 1, 1])?;
        // The last two need generator managers (and an exit stack), the assigned attributes an
        // implementation that has them: not where they are missing.
        let cm = self.has(Capability::Contextmanager);
        let attrs = self.settable(&[ExcAttr::Context, ExcAttr::Cause, ExcAttr::SuppressContext]);
        let context = self.has(Capability::Context);
        if (variant == 2 && (attrs.is_empty() || !context))
            || (variant == 4 && !cm)
            || (variant == 5 && !(cm && self.has(Capability::ExitStack) && context))
        {
            variant = 0;
        }
        Ok(match variant {
            // raise X from e (test_contextmanager_do_not_unchain..., bpo-27122).
            0 => {
                let exc = self.new_exc('r')?;
                vec![handled(vec![Stmt::Raise(RaiseNew { exc, cause: Some(Cause::Caught(outer.clone())) })], self)]
            }
            // A kept exception raised again.
            1 => self.keep_idiom()?,
            // Assigned chaining attributes, then a bare raise or a raise from.
            2 => {
                let inner = self.labels.next('h');
                let attr = self.pick(&attrs)?;
                let value = match attr {
                    ExcAttr::SuppressContext => AttrValue::Bool(self.u.ratio(1, 2)?),
                    _ if self.u.ratio(1, 2)? => AttrValue::None,
                    _ => AttrValue::Caught(outer.clone()),
                };
                let mut body = vec![Stmt::SetAttr { label: inner.clone(), attr, value }, Stmt::BareRaise];
                if self.u.ratio(1, 4)? {
                    body.insert(
                        0,
                        Stmt::SetAttr {
                            label: inner.clone(),
                            attr: ExcAttr::Context,
                            value: AttrValue::Caught(inner.clone()),
                        },
                    );
                }
                let exc = self.new_exc('r')?;
                let h = Handler { label: inner, class: Some(exc.class), bind: true, body };
                vec![handled(vec![try_except(vec![Stmt::Raise(RaiseNew { exc, cause: None })], h)], self)]
            }
            // The handled exception thrown into a generator (test_except_throw, bpo-40696).
            3 => {
                let gen_async = is_async && self.u.ratio(1, 2)? && self.has(Capability::AsyncGenerators);
                let body = match self.u.int_in_range(0..=1)? {
                    0 => {
                        let h = Handler {
                            label: self.labels.next('h'),
                            class: None,
                            bind: false,
                            body: vec![Stmt::Yield(self.labels.next('y')), Stmt::BareRaise],
                        };
                        vec![try_except(vec![Stmt::Yield(self.labels.next('y'))], h)]
                    }
                    _ => {
                        let h = Handler {
                            label: self.labels.next('h'),
                            class: None,
                            bind: false,
                            body: vec![Stmt::Yield(self.labels.next('y'))],
                        };
                        vec![try_except(vec![Stmt::Raise(self.raise_new()?)], h)]
                    }
                };
                gens.push(GenFn { is_async: gen_async, body });
                self.gen_async.push(gen_async);
                let drive = Stmt::Drive {
                    label: self.labels.next('d'),
                    gen: gens.len() - 1,
                    how: Drive::Throw(1, Thrown::Caught(outer.clone())),
                    then: None,
                };
                vec![handled(vec![drive], self)]
            }
            // A generator manager that raises RuntimeError from the thrown StopIteration, which
            // contextlib unwraps (test_contextmanager_wrap_runtimeerror).
            4 => {
                let label = self.labels.next('h');
                let class = self.pick(&[ExcClass::StopIteration, ExcClass::Exception, ExcClass::BaseException])?;
                let wrap = RaiseNew {
                    exc: NewExc { class: ExcClass::RuntimeError, label: self.labels.next('r') },
                    cause: Some(Cause::Caught(label.clone())),
                };
                let handler = Handler { label, class: Some(class), bind: true, body: vec![Stmt::Raise(wrap)] };
                let c = self.push_cm(cms, handling_cm(handler))?;
                let stop = self.pick(&[ExcClass::StopIteration, ExcClass::S1, ExcClass::E1])?;
                let body = vec![Stmt::Raise(RaiseNew {
                    exc: NewExc { class: stop, label: self.labels.next('r') },
                    cause: None,
                })];
                vec![Stmt::With {
                    parens: Parens::No,
                    is_async: false,
                    items: vec![WithItem { expr: self.cm_call(c, 0)?, target: Target::None }],
                    body,
                }]
            }
            // An exception whose context was set to None, through an exit stack
            // (test_exit_exception_explicit_none_context; 3.8 re-chains it).
            _ => {
                let inner = self.labels.next('h');
                let exc = self.new_exc('r')?;
                let fix = vec![
                    Stmt::SetAttr { label: inner.clone(), attr: ExcAttr::Context, value: AttrValue::None },
                    Stmt::BareRaise,
                ];
                let raise_fixed = try_except(
                    vec![Stmt::Raise(RaiseNew { exc, cause: None })],
                    Handler { label: inner, class: Some(ExcClass::BaseException), bind: true, body: fix },
                );
                let handler = Handler {
                    label: self.labels.next('h'),
                    class: Some(ExcClass::BaseException),
                    bind: false,
                    body: vec![raise_fixed],
                };
                let c = self.push_cm(cms, handling_cm(handler))?;
                let stack = self.labels.next('s');
                let enter = Stmt::Stack {
                    stack: stack.clone(),
                    op: StackOp::Enter { expr: self.cm_call(c, 0)?, is_async: false, target: None },
                };
                let body = vec![enter, Stmt::Raise(self.raise_new()?)];
                let item = WithItem { expr: ItemExpr::ExitStack { is_async: false }, target: Target::Name(stack) };
                vec![Stmt::With { parens: Parens::No, is_async: false, items: vec![item], body }]
            }
        })
    }
}
