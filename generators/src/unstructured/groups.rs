//! Exception groups (3.11+, SEMANTICS-ADDENDUM §13): groups raised, `except*`, group classes
//! where exceptions are matched, and the openings of the `Groups` focus. Nothing here is drawn
//! when the `groups` weight is 0, as [`GenConfig::for_profile`](crate::GenConfig::for_profile)
//! makes it for 3.8 to 3.10.

use arbitrary::Result;
use oracle::capability::Capability;
use oracle::ir::{
    Action, Clauses, ExcClass, Group, Handler, ItemExpr, Manager, Member, Method, NewExc, Parens, StackOp, Stmt,
    Target, Try, WithItem,
};

use super::{Cx, Gen, CAUGHT, RAISED};

impl Gen<'_, '_> {
    /// `ExceptionGroup('g1', [...])` or `BaseExceptionGroup(...)`: one to three exceptions,
    /// sometimes a group nested in it.
    pub(super) fn group(&mut self, depth: usize) -> Result<Group> {
        let base = self.u.ratio(1, 3)?;
        let label = self.labels.next('g');
        let n = self.u.int_in_range(1..=3)?;
        let mut members = Vec::with_capacity(n);
        for _ in 0..n {
            if depth < 1 && self.u.ratio(1, 5)? {
                members.push(Member::Group(self.group(depth + 1)?));
            } else {
                members.push(Member::Exc(self.new_exc('r')?));
            }
        }
        Ok(Group { base, label, members })
    }

    /// A class to catch: with the `groups` weight, now and then `ExceptionGroup` or
    /// `BaseExceptionGroup` (for a plain `except`, `suppress` and `suppress_if`).
    pub(super) fn caught_class(&mut self) -> Result<ExcClass> {
        if self.chance(self.config.weights.groups, 12)? {
            return self.pick(&[ExcClass::ExceptionGroup, ExcClass::BaseExceptionGroup]);
        }
        self.pick(CAUGHT)
    }

    /// `try: ... except* E1 as e_h1: ... [else: ...] [finally: ...]`, whose body often raises a
    /// group first.
    pub(super) fn try_star(&mut self, cx: &Cx, depth: usize) -> Result<Stmt> {
        let mut body = Vec::new();
        if self.u.ratio(1, 2)? {
            body.push(Stmt::RaiseGroup(self.group(0)?));
        } else {
            body = self.block(&cx.inside(cx.scope.nested_try_star_body()), depth + 1)?;
        }
        let n = self.u.int_in_range(1..=2)?;
        let mut handlers = Vec::with_capacity(n);
        for _ in 0..n {
            let label = self.labels.next('h');
            let class = Some(self.pick(CAUGHT)?);
            let bind = self.u.ratio(1, 2)?;
            let inner = cx.inside(cx.scope.star_handler_body(bind.then_some(label.as_str()), Clauses::ALL));
            let body = match self.u.int_in_range(0..=3)? {
                0 => Vec::new(),
                1 => vec![Stmt::BareRaise],
                2 => vec![Stmt::Raise(self.raise_new()?)],
                _ => self.block(&inner, depth + 1)?,
            };
            handlers.push(Handler { label, class, bind, body });
        }
        let orelse = if self.u.ratio(1, 6)? { vec![Stmt::Log(self.labels.next('L'))] } else { Vec::new() };
        let finally = if self.u.ratio(1, 4)? { Some((self.labels.next('f'), Vec::new())) } else { None };
        Ok(Stmt::TryStar(Box::new(Try { body, handlers, orelse, finally })))
    }

    /// A group in a plain shape of §13: raised through a manager's exit, split by `suppress` and
    /// `except*`, caught by a plain `except`, through an exit stack, or refused by its
    /// constructor.
    pub(super) fn open_groups(&mut self, managers: &mut Vec<Manager>) -> Result<Vec<Stmt>> {
        if self.config.weights.groups == 0 {
            return Ok(Vec::new());
        }
        let group = |g: &mut Self| -> Result<Stmt> { Ok(Stmt::RaiseGroup(g.group(0)?)) };
        let with = |expr: ItemExpr, body: Vec<Stmt>| Stmt::With {
            parens: Parens::No,
            is_async: false,
            items: vec![WithItem { expr, target: Target::None }],
            body,
        };
        // except* (2 and 3) gets a third draw (7): its rules are the area's rarest.
        let mut variant = match self.u.int_in_range(0..=7)? {
            7 => 2,
            v => v,
        };
        // suppress and exit stacks only where the implementation has them.
        let suppress = self.has(Capability::Suppress);
        if (variant == 1 && !suppress) || (variant == 5 && !(suppress && self.has(Capability::ExitStack))) {
            variant = 0;
        }
        Ok(match variant {
            // §13.2: a group reaches an exit, which suppresses it, lets it through, or replaces it.
            0 => {
                let exit = match self.u.int_in_range(0..=3)? {
                    0 => Action::SuppressIf(vec![self.pick(&[
                        ExcClass::ExceptionGroup,
                        ExcClass::E1,
                        ExcClass::Exception,
                    ])?]),
                    _ => self.opening_exit()?,
                };
                let m = Self::sync_manager(managers, Action::ReturnSelf, Method::Defined(exit));
                vec![with(ItemExpr::New(m), vec![group(self)?])]
            }
            // §13.5: suppress splits a group (3.12+).
            1 => {
                let n = self.u.int_in_range(1..=2)?;
                let mut classes = Vec::new();
                for _ in 0..n {
                    classes.push(self.pick(RAISED)?);
                }
                let mut g = self.group(0)?;
                // Often one of them matches, and a BaseException is in a BaseExceptionGroup.
                if let Some(Member::Exc(e)) = g.members.first_mut() {
                    e.class = classes[0];
                }
                if g.members.iter().any(|m| matches!(m, Member::Exc(e) if !is_exception(e.class))) {
                    g.base = true;
                }
                vec![with(ItemExpr::Suppress(classes), vec![Stmt::RaiseGroup(g)])]
            }
            // §13.4: except* around a with, or inside one.
            2 | 3 => {
                let m = Self::sync_manager(managers, Action::ReturnSelf, Method::Defined(self.opening_exit()?));
                let label = self.labels.next('h');
                // A handler that raises anew, and a naked exception wrapped, are the rarer rules
                // of §13.4 (except-star-raises-new, except-star-wraps-naked): drawn more often,
                // and the handler often catches the class of what is raised.
                let raise = if self.u.ratio(3, 5)? { group(self)? } else { Stmt::Raise(self.raise_new()?) };
                let first = match &raise {
                    Stmt::RaiseGroup(g) => g.members.iter().find_map(|m| match m {
                        Member::Exc(e) => Some(e.class),
                        Member::Group(_) => None,
                    }),
                    Stmt::Raise(r) => Some(r.exc.class),
                    _ => None,
                };
                let class = match first {
                    Some(c) if is_exception(c) && self.u.ratio(1, 2)? => c,
                    _ => self.pick(&[ExcClass::E1, ExcClass::ValueError, ExcClass::Exception, ExcClass::KeyError])?,
                };
                let body = match self.weighted(&[1, 1, 2])? {
                    0 => Vec::new(),
                    1 => vec![Stmt::BareRaise],
                    _ => vec![Stmt::Raise(self.raise_new()?)],
                };
                let handler = Handler { label, class: Some(class), bind: false, body };
                if self.u.ratio(1, 2)? {
                    let t = Try {
                        body: vec![with(ItemExpr::New(m), vec![raise])],
                        handlers: vec![handler],
                        orelse: Vec::new(),
                        finally: None,
                    };
                    vec![Stmt::TryStar(Box::new(t))]
                } else {
                    let t = Try { body: vec![raise], handlers: vec![handler], orelse: Vec::new(), finally: None };
                    vec![with(ItemExpr::New(m), vec![Stmt::TryStar(Box::new(t))])]
                }
            }
            // §13.3: a plain except catches a group by its class.
            4 => {
                let class = self.pick(&[
                    ExcClass::ExceptionGroup,
                    ExcClass::BaseExceptionGroup,
                    ExcClass::Exception,
                    ExcClass::E1,
                ])?;
                let h = Handler { label: self.labels.next('h'), class: Some(class), bind: true, body: Vec::new() };
                let t = Try { body: vec![group(self)?], handlers: vec![h], orelse: Vec::new(), finally: None };
                vec![Stmt::Try(Box::new(t))]
            }
            // An exit stack passes a group from callback to callback.
            5 => {
                let stack = self.labels.next('s');
                let op = |op: StackOp| Stmt::Stack { stack: stack.clone(), op };
                let enter = op(StackOp::Enter {
                    expr: ItemExpr::Suppress(vec![self.pick(RAISED)?]),
                    is_async: false,
                    target: None,
                });
                let callback = op(StackOp::Callback { label: self.labels.next('k'), raises: None, is_async: false });
                let item =
                    WithItem { expr: ItemExpr::ExitStack { is_async: false }, target: Target::Name(stack.clone()) };
                vec![Stmt::With {
                    parens: Parens::No,
                    is_async: false,
                    items: vec![item],
                    body: vec![callback, enter, group(self)?],
                }]
            }
            // §13.1: what the constructors make of BaseExceptions and Exceptions.
            _ => {
                let base = self.u.ratio(1, 2)?;
                let first = NewExc {
                    class: self.pick(&[ExcClass::KeyboardInterrupt, ExcClass::B1, ExcClass::E1])?,
                    label: self.labels.next('r'),
                };
                let g = Group {
                    base,
                    label: self.labels.next('g'),
                    members: vec![Member::Exc(first), Member::Exc(self.new_exc('r')?)],
                };
                let h = Handler {
                    label: self.labels.next('h'),
                    class: Some(ExcClass::BaseException),
                    bind: false,
                    body: vec![Stmt::Log(self.labels.next('L'))],
                };
                let t = Try { body: vec![Stmt::RaiseGroup(g)], handlers: vec![h], orelse: Vec::new(), finally: None };
                vec![Stmt::Try(Box::new(t))]
            }
        })
    }
}

/// `issubclass(c, Exception)` for the classes programs raise.
fn is_exception(c: ExcClass) -> bool {
    !matches!(
        c,
        ExcClass::B1
            | ExcClass::BaseException
            | ExcClass::KeyboardInterrupt
            | ExcClass::SystemExit
            | ExcClass::GeneratorExit
            | ExcClass::BaseExceptionGroup
    )
}
