//! Openings: the short, plain shapes a focused program starts with, one time in two, so that
//! the rules of its area are reached often even when the rest of `main` raises early. Each
//! builds what it needs (a manager class, a generator function) with the behaviour the rule is
//! about, and leaves the rest of the program random.

use arbitrary::Result;
use oracle::ir::{
    Action, BoolResult, CmGen, Drive, Elem, ExcClass, ExitFn, ExitFnResult, GenFn, Handler, ItemExpr, Manager, Method,
    NewExc, Parens, RaiseNew, StackOp, Stmt, Target, Thrown, Try, Value, WithItem,
};

use oracle::capability::Capability;

use super::{Gen, RAISED};
use crate::config::Focus;

/// The definitions an opening may add to, and the body of `main` it goes in front of.
pub(super) struct Parts<'a> {
    pub(super) managers: &'a mut Vec<Manager>,
    pub(super) cms: &'a mut Vec<CmGen>,
    pub(super) gens: &'a mut Vec<GenFn>,
    pub(super) main: &'a mut Vec<Stmt>,
    pub(super) is_async: bool,
}

pub(super) fn item(expr: ItemExpr) -> WithItem {
    WithItem { expr, target: Target::None }
}

pub(super) fn with(is_async: bool, expr: ItemExpr, body: Vec<Stmt>) -> Stmt {
    Stmt::With { parens: Parens::No, is_async, items: vec![item(expr)], body }
}

impl Gen<'_, '_> {
    /// Puts the opening of the program's focus in front of `main`; one time in two, two of them,
    /// the first inside `try: ... except BaseException:` so that the second runs whatever the
    /// first raised (an area's rarer rules each hang on one arm of its openings).
    pub(super) fn open(&mut self, parts: Parts<'_>) -> Result<()> {
        let Parts { managers, cms, gens, main, is_async } = parts;
        let Some(first) = self.opening(Parts { managers, cms, gens, main, is_async })? else { return Ok(()) };
        let twice = self.config.focus != Focus::CompileTime && self.u.ratio(1, 2)?;
        let second = if twice { self.opening(Parts { managers, cms, gens, main, is_async })? } else { None };
        let opening = match second {
            Some(second) => {
                let h = Handler {
                    label: self.labels.next('h'),
                    class: Some(ExcClass::BaseException),
                    bind: false,
                    body: Vec::new(),
                };
                let mut both = vec![Stmt::Try(Box::new(Try {
                    body: first,
                    handlers: vec![h],
                    orelse: Vec::new(),
                    finally: None,
                }))];
                both.extend(second);
                both
            }
            None => first,
        };
        main.splice(0..0, opening);
        Ok(())
    }

    /// The statements of one opening of the program's focus, if it has openings.
    fn opening(&mut self, parts: Parts<'_>) -> Result<Option<Vec<Stmt>>> {
        let opening = match self.config.focus {
            Focus::Mix => return Ok(None),
            Focus::With => self.open_with(parts.managers)?,
            Focus::AsyncWith if parts.is_async => self.open_async_with(parts.managers)?,
            Focus::Generators | Focus::AsyncGenerators => {
                let is_async = parts.is_async
                    && self.config.focus == Focus::AsyncGenerators
                    && self.has(Capability::AsyncGenerators);
                self.open_generator(parts.managers, parts.gens, is_async)?
            }
            Focus::Contextlib | Focus::AsyncContextlib => {
                let is_async = parts.is_async && self.config.focus == Focus::AsyncContextlib;
                self.open_cm(parts.cms, is_async)?
            }
            Focus::ExitStacks => self.open_stack(parts.managers, parts.cms, parts.is_async)?,
            Focus::GenApi => self.open_gen_api(parts.managers, parts.gens, parts.is_async)?,
            Focus::Chaining => self.open_chaining(parts.gens, parts.cms, parts.is_async)?,
            Focus::Delegation => self.open_delegation(parts.managers, parts.gens)?,
            Focus::Groups => self.open_groups(parts.managers)?,
            Focus::Targets => self.open_targets(parts.managers)?,
            Focus::Protocol => self.open_protocol(parts.managers, parts.is_async)?,
            Focus::CompileTime => self.open_compile(parts.managers, parts.gens, parts.cms, parts.is_async)?,
            Focus::Direct => self.open_direct(parts.managers, parts.cms, parts.is_async)?,
            Focus::AsyncWith => return Ok(None),
            // The decorated functions and their calls come after the opening (decorators.rs).
            Focus::Decorators => return Ok(None),
        };
        Ok(Some(opening))
    }

    /// A new manager class with `__enter__` and `__exit__` only.
    pub(super) fn sync_manager(managers: &mut Vec<Manager>, enter: Action, exit: Method) -> usize {
        let m = Manager {
            init_raises: None,
            enter: Method::Defined(enter),
            exit,
            aenter: Method::Missing,
            aexit: Method::Missing,
            base: None,
        };
        managers.push(m);
        managers.len() - 1
    }

    /// A new manager class with `__aenter__` and `__aexit__` only.
    pub(super) fn async_manager(managers: &mut Vec<Manager>, aenter: Method, aexit: Method) -> usize {
        managers.push(Manager {
            init_raises: None,
            enter: Method::Missing,
            exit: Method::Missing,
            aenter,
            aexit,
            base: None,
        });
        managers.len() - 1
    }

    pub(super) fn raise_stmt(&mut self) -> Result<Stmt> {
        Ok(Stmt::Raise(self.raise_new()?))
    }

    /// What an exit does in an opening: suppress, raise something new, re-raise what it got,
    /// or let it through.
    pub(super) fn opening_exit(&mut self) -> Result<Action> {
        Ok(match self.u.int_in_range(0..=4)? {
            0 | 1 => Action::Return(Value::Bool(true)),
            2 => Action::Raise(self.raise_new()?),
            3 => Action::RaiseArg,
            _ => Action::Return(Value::None),
        })
    }

    /// §1.2.4, §1.4, §1.5, §1.6: unpacking, break and continue, a `return` in a `finally`,
    /// truth tests that fail, and a re-raise that would make a context cycle.
    fn open_with(&mut self, managers: &mut Vec<Manager>) -> Result<Vec<Stmt>> {
        Ok(match self.u.int_in_range(0..=4)? {
            0 => {
                let n = self.u.int_in_range(1..=3)?;
                let value = Value::Tuple((0..n).map(Value::Int).collect());
                let exit = Method::Defined(self.opening_exit()?);
                let m = Self::sync_manager(managers, Action::Return(value), exit);
                let target = Target::Tuple(vec![Elem::Name("a".to_string()), Elem::Name("b".to_string())]);
                let body = vec![Stmt::Show("b".to_string())];
                vec![Stmt::With {
                    parens: Parens::No,
                    is_async: false,
                    items: vec![WithItem { expr: ItemExpr::New(m), target }],
                    body,
                }]
            }
            1 => {
                let exit = Method::Defined(self.opening_exit()?);
                let m = Self::sync_manager(managers, Action::ReturnSelf, exit);
                let jump = if self.u.ratio(1, 2)? { Stmt::Break } else { Stmt::Continue };
                let body = vec![Stmt::Log(self.labels.next('L')), jump];
                vec![Stmt::Loop { times: 2, body: vec![with(false, ItemExpr::New(m), body)] }]
            }
            2 => {
                let exit = Method::Defined(self.opening_exit()?);
                let m = Self::sync_manager(managers, Action::ReturnSelf, exit);
                let ret = Stmt::Return { label: self.labels.next('v'), value: Value::Int(1) };
                let t = Try {
                    body: vec![self.raise_stmt()?],
                    handlers: Vec::new(),
                    orelse: Vec::new(),
                    finally: Some((self.labels.next('f'), vec![ret])),
                };
                vec![with(false, ItemExpr::New(m), vec![Stmt::Try(Box::new(t))])]
            }
            3 => {
                let result = match self.u.int_in_range(0..=3)? {
                    0 => Value::LenObj { label: self.labels.next('n'), len: -1 },
                    1 => Value::LenObj { label: self.labels.next('n'), len: self.u.int_in_range(0..=1)? },
                    2 => Value::BoolObj { label: self.labels.next('b'), result: BoolResult::NonBool(1) },
                    _ => Value::BoolObj { label: self.labels.next('b'), result: BoolResult::Raise(self.pick(RAISED)?) },
                };
                let m = Self::sync_manager(managers, Action::ReturnSelf, Method::Defined(Action::Return(result)));
                vec![with(false, ItemExpr::New(m), vec![self.raise_stmt()?])]
            }
            _ => {
                // Raising the outer exception again while an inner one, whose context it is,
                // is handled: CPython cuts the cycle.
                let outer = self.labels.next('h');
                let inner = Handler {
                    label: self.labels.next('h'),
                    class: None,
                    bind: false,
                    body: vec![Stmt::RaiseCaught(outer.clone())],
                };
                let t_inner =
                    Try { body: vec![self.raise_stmt()?], handlers: vec![inner], orelse: Vec::new(), finally: None };
                let body = vec![Stmt::Try(Box::new(t_inner))];
                let handler = Handler { label: outer, class: Some(ExcClass::BaseException), bind: true, body };
                let t =
                    Try { body: vec![self.raise_stmt()?], handlers: vec![handler], orelse: Vec::new(), finally: None };
                let exit = Method::Defined(self.opening_exit()?);
                let m = Self::sync_manager(managers, Action::ReturnSelf, exit);
                vec![with(false, ItemExpr::New(m), vec![Stmt::Try(Box::new(t))])]
            }
        })
    }

    /// §2.3, §3: the plainest `async with`, or methods that are plain `def`s returning a
    /// coroutine object, a hand-made awaitable, or a non-awaitable.
    fn open_async_with(&mut self, managers: &mut Vec<Manager>) -> Result<Vec<Stmt>> {
        if self.u.ratio(1, 2)? {
            let body = if self.u.ratio(1, 2)? { Stmt::Log(self.labels.next('L')) } else { self.raise_stmt()? };
            return Ok(vec![with(true, ItemExpr::New(0), vec![body])]);
        }
        let returned = |g: &mut Self, inner: Value| -> Result<Value> {
            Ok(match g.u.int_in_range(0..=3)? {
                0 | 1 => Value::Awaitable {
                    label: g.labels.next('a'),
                    suspend: g.u.ratio(1, 2)?,
                    then: Box::new(oracle::ir::AwaitThen::Return(inner)),
                    coroutine: g.u.ratio(1, 2)?,
                },
                2 => Value::Awaitable {
                    label: g.labels.next('a'),
                    suspend: g.u.ratio(1, 2)?,
                    then: Box::new(oracle::ir::AwaitThen::Raise(ExcClass::StopIteration)),
                    coroutine: g.u.ratio(1, 2)?,
                },
                3 if g.u.ratio(1, 2)? => Value::BadAwaitable,
                _ => inner,
            })
        };
        let aenter = Method::Defined(Action::Return(returned(self, Value::Int(5))?));
        let truth = Value::Bool(self.u.ratio(1, 2)?);
        let aexit = Method::Defined(Action::Return(returned(self, truth)?));
        let m = Self::async_manager(managers, aenter, aexit);
        let body = if self.u.ratio(1, 2)? { Stmt::Log(self.labels.next('L')) } else { self.raise_stmt()? };
        Ok(vec![with(true, ItemExpr::New(m), vec![body])])
    }

    /// §1.8, §3: a generator suspended in a manager (which suppresses, raises or re-raises
    /// what the driver throws in), or in a `try` that swallows it, driven to its end, closed or
    /// thrown into.
    fn open_generator(
        &mut self,
        managers: &mut Vec<Manager>,
        gens: &mut Vec<GenFn>,
        is_async: bool,
    ) -> Result<Vec<Stmt>> {
        let body = if self.u.ratio(2, 3)? {
            // An exit that raises, often: the cleanup of close() raising (gen-close-raises and its
            // async form) is otherwise among the rarest rules.
            let exit = if self.u.ratio(1, 3)? { Action::Raise(self.raise_new()?) } else { self.opening_exit()? };
            let m = if is_async {
                let suspend = if self.u.ratio(1, 2)? { Some(self.labels.next('s')) } else { None };
                let aexit = Method::AsyncDef { suspend, action: exit };
                let aenter = Method::AsyncDef { suspend: None, action: Action::ReturnSelf };
                Self::async_manager(managers, aenter, aexit)
            } else {
                Self::sync_manager(managers, Action::ReturnSelf, Method::Defined(exit))
            };
            let inner = vec![Stmt::Yield(self.labels.next('y')), Stmt::Yield(self.labels.next('y'))];
            vec![with(is_async, ItemExpr::New(m), inner), Stmt::Yield(self.labels.next('y'))]
        } else {
            let handler = Handler { label: self.labels.next('h'), class: None, bind: false, body: Vec::new() };
            let t = Try {
                body: vec![Stmt::Yield(self.labels.next('y'))],
                handlers: vec![handler],
                orelse: Vec::new(),
                finally: None,
            };
            vec![Stmt::Try(Box::new(t))]
        };
        gens.push(GenFn { is_async, body });
        self.gen_async.push(is_async);
        let gen = gens.len() - 1;
        // Stepped in `with closing(g0()) as it:` (`async with aclosing(...)`), which closes it.
        if self.u.ratio(1, 4)? && self.has(if is_async { Capability::Aclosing } else { Capability::Closing }) {
            let var = self.labels.next('i');
            let item = WithItem { expr: ItemExpr::ClosingGen { gen, is_async }, target: Target::Name(var.clone()) };
            let k = self.u.int_in_range(1..=2)?;
            let step = Stmt::Step { label: self.labels.next('d'), var, k, is_async };
            return Ok(vec![Stmt::With { parens: Parens::No, is_async, items: vec![item], body: vec![step] }]);
        }
        let how = match self.u.int_in_range(0..=4)? {
            0 => Drive::Exhaust,
            1 | 2 => Drive::Close(1),
            _ => Drive::Throw(1, Thrown::New(self.new_exc('r')?)),
        };
        let drive = Stmt::Drive { label: self.labels.next('d'), gen, how, then: None };
        if self.u.ratio(1, 3)? {
            // Driven while the caller handles an exception: what close() chains to it, and
            // what aclose() does not.
            let handler = Handler { label: self.labels.next('h'), class: None, bind: false, body: vec![drive] };
            let t = Try { body: vec![self.raise_stmt()?], handlers: vec![handler], orelse: Vec::new(), finally: None };
            return Ok(vec![Stmt::Try(Box::new(t))]);
        }
        Ok(vec![drive])
    }

    /// §4.1, §4.2: a generator manager that catches what the body raises (and may yield
    /// again), never yields, or is entered twice.
    fn open_cm(&mut self, cms: &mut Vec<CmGen>, is_async: bool) -> Result<Vec<Stmt>> {
        if self.u.ratio(1, 6)? && self.has(Capability::Closing) {
            // §4: closing() whose close() raises, after a body that raised or not.
            let raises = if self.u.ratio(2, 3)? { Some(self.pick(RAISED)?) } else { None };
            let body = if self.u.ratio(1, 2)? { self.raise_stmt()? } else { Stmt::Log(self.labels.next('L')) };
            return Ok(vec![with(false, ItemExpr::Closing { label: self.labels.next('k'), raises }, vec![body])]);
        }
        let suppress = self.u.ratio(1, 5)?;
        if suppress && self.has(Capability::Suppress) {
            // §4.4: suppress, with no class, the raised class, or another.
            let n = self.u.int_in_range(0..=2)?;
            let mut classes = Vec::new();
            for _ in 0..n {
                classes.push(self.pick(RAISED)?);
            }
            return Ok(vec![with(false, ItemExpr::Suppress(classes), vec![self.raise_stmt()?])]);
        }
        // Of a kind the implementation has, or no opening.
        let Some(is_async) = self.cm_kind(is_async, is_async) else { return Ok(Vec::new()) };
        let yields = if self.u.ratio(1, 6)? { None } else { Some(Value::Int(self.u.int_in_range(0..=3)?)) };
        let shape = if yields.is_none() {
            CmGen {
                is_async,
                params: Vec::new(),
                pre: Vec::new(),
                yields,
                handler: None,
                finally: None,
                post: Vec::new(),
            }
        } else {
            let class = match self.u.int_in_range(0..=3)? {
                0 => None,
                1 => Some(ExcClass::BaseException),
                2 => Some(ExcClass::Exception),
                _ => Some(self.pick(RAISED)?),
            };
            // The generator catches the exception (and suppresses it, or raises another), or
            // lets it through (re-raising it, or PEP 479 wrapping a StopIteration).
            let handler = if self.u.ratio(1, 3)? {
                None
            } else {
                let body = if self.u.ratio(1, 3)? { vec![self.raise_stmt()?] } else { Vec::new() };
                Some(Handler { label: self.labels.next('h'), class, bind: false, body })
            };
            let finally = if self.u.ratio(1, 3)? { Some((self.labels.next('f'), Vec::new())) } else { None };
            let post = if self.u.ratio(1, 2)? { vec![Stmt::Yield(self.labels.next('y'))] } else { Vec::new() };
            CmGen { is_async, params: Vec::new(), pre: Vec::new(), yields, handler, finally, post }
        };
        let c = self.push_cm(cms, shape)?;
        let body = match self.u.int_in_range(0..=2)? {
            0 => Stmt::Log(self.labels.next('L')),
            1 => {
                let stops: &[ExcClass] = if is_async {
                    &[ExcClass::StopIteration, ExcClass::StopAsyncIteration, ExcClass::S2]
                } else {
                    &[ExcClass::StopIteration, ExcClass::S1]
                };
                let class = self.pick(stops)?;
                Stmt::Raise(RaiseNew { exc: NewExc { class, label: self.labels.next('r') }, cause: None })
            }
            _ => self.raise_stmt()?,
        };
        if self.u.ratio(1, 4)? {
            // Entered twice: the second entry fails at `del self.args`.
            let name = self.labels.next('m');
            let again = with(is_async, ItemExpr::Var(name.clone()), vec![body]);
            let first = with(is_async, ItemExpr::Var(name.clone()), vec![again]);
            return Ok(vec![Stmt::Assign { name, expr: self.cm_call(c, 0)? }, first]);
        }
        let mut res = Vec::new();
        if !self.u.ratio(7, 8)? {
            // §16.2 first: a call whose arguments do not bind, its TypeError caught, so that
            // the opening itself still runs.
            let log = Stmt::Log(self.labels.next('L'));
            let handler = Handler {
                label: self.labels.next('h'),
                class: Some(ExcClass::TypeError),
                bind: false,
                body: Vec::new(),
            };
            let body = vec![with(is_async, self.cm_call(c, 1)?, vec![log])];
            res.push(Stmt::Try(Box::new(Try { body, handlers: vec![handler], orelse: Vec::new(), finally: None })));
        }
        res.push(with(is_async, self.cm_call(c, 0)?, vec![body]));
        Ok(res)
    }

    /// §4.3: a generator manager pushed without being entered, an exit that is None, a stack
    /// in an `except` block, and async callbacks that are not awaitable.
    fn open_stack(&mut self, managers: &mut Vec<Manager>, cms: &mut Vec<CmGen>, is_async: bool) -> Result<Vec<Stmt>> {
        let name = self.labels.next('s');
        let op = |stack: &str, op: StackOp| Stmt::Stack { stack: stack.to_string(), op };
        let shape = self.u.int_in_range(0..=4)?;
        // Every shape but the async one (4) uses ExitStack, the first a @contextmanager too.
        let needs: &[Capability] = match shape {
            0 => &[Capability::ExitStack, Capability::Contextmanager],
            1..=3 => &[Capability::ExitStack],
            _ => &[Capability::AsyncExitStack],
        };
        if !needs.iter().all(|c| self.has(*c)) {
            return Ok(Vec::new());
        }
        let (stack_async, body) = match shape {
            0 => {
                let handler = Handler { label: self.labels.next('h'), class: None, bind: false, body: Vec::new() };
                let yields = Some(Value::None);
                let post = if self.u.ratio(1, 2)? { vec![Stmt::Yield(self.labels.next('y'))] } else { Vec::new() };
                let cm = CmGen {
                    is_async: false,
                    params: Vec::new(),
                    pre: Vec::new(),
                    yields,
                    handler: Some(handler),
                    finally: None,
                    post,
                };
                let c = self.push_cm(cms, cm)?;
                let push = op(&name, StackOp::Push { expr: self.cm_call(c, 0)?, is_async: false });
                let end = if self.u.ratio(1, 2)? { self.raise_stmt()? } else { Stmt::Log(self.labels.next('L')) };
                (false, vec![push, end])
            }
            1 => {
                let m = Self::sync_manager(managers, Action::ReturnSelf, Method::NoneAttr);
                (false, vec![op(&name, StackOp::Enter { expr: ItemExpr::New(m), is_async: false, target: None })])
            }
            2 => {
                // Inside an `except` block, a callback's exception loses the handled one.
                let raises = Some(self.pick(RAISED)?);
                let cb = op(&name, StackOp::Callback { label: self.labels.next('k'), raises, is_async: false });
                // Half the time the exit function suppresses it (stack-callback-suppresses).
                let fn_result = ExitFnResult::Return(if self.u.ratio(1, 2)? { Value::Bool(true) } else { Value::None });
                let xf = op(
                    &name,
                    StackOp::PushFn(ExitFn {
                        label: self.labels.next('x'),
                        is_async: false,
                        suspend: false,
                        result: fn_result,
                    }),
                );
                let stack = Stmt::With {
                    parens: Parens::No,
                    is_async: false,
                    items: vec![WithItem { expr: ItemExpr::ExitStack { is_async: false }, target: Target::Name(name) }],
                    body: vec![xf, cb],
                };
                let handler = Handler { label: self.labels.next('h'), class: None, bind: false, body: vec![stack] };
                let t =
                    Try { body: vec![self.raise_stmt()?], handlers: vec![handler], orelse: Vec::new(), finally: None };
                return Ok(vec![Stmt::Try(Box::new(t))]);
            }
            3 => {
                // Callbacks raising in turn: each one's exception gets the previous as context.
                let mut body = Vec::new();
                for _ in 0..2 {
                    let raises = Some(self.pick(RAISED)?);
                    body.push(op(&name, StackOp::Callback { label: self.labels.next('k'), raises, is_async: false }));
                }
                body.push(self.raise_stmt()?);
                (false, body)
            }
            _ if is_async => {
                // What contextlib awaits is not awaitable.
                let bad = Value::Int(3);
                let (aenter, aexit) = if self.u.ratio(1, 2)? {
                    (
                        Method::Defined(Action::Return(bad)),
                        Method::AsyncDef { suspend: None, action: Action::Return(Value::None) },
                    )
                } else {
                    (
                        Method::AsyncDef { suspend: None, action: Action::ReturnSelf },
                        Method::Defined(Action::Return(bad)),
                    )
                };
                let m = Self::async_manager(managers, aenter, aexit);
                let enter = op(&name, StackOp::Enter { expr: ItemExpr::New(m), is_async: true, target: None });
                let end = if self.u.ratio(1, 2)? { self.raise_stmt()? } else { Stmt::Log(self.labels.next('L')) };
                (true, vec![enter, end])
            }
            _ => return Ok(Vec::new()),
        };
        let stack = ItemExpr::ExitStack { is_async: stack_async };
        Ok(vec![Stmt::With {
            parens: Parens::No,
            is_async: stack_async,
            items: vec![WithItem { expr: stack, target: Target::Name(name) }],
            body,
        }])
    }
}
