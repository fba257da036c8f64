//! `validate`: everything the renderer and the model assume of a program, checked, with every
//! problem reported.

use super::compile;
use super::visit::{self, At, Flow, Path, Root, Step, Visitor};
use super::{
    delegates, has_yield, Action, Arg, AttrValue, AwaitThen, Cause, CmGen, Deco, Diagnostic, DiagnosticKind,
    DirectCall, Drive, Elem, ExcAttr, ExitFnResult, Getter, Group, ItemExpr, Key, Loc, Member, Method, NewExc, Program,
    RaiseNew, Scope, Slot, StackOp, Stmt, Store, StoreObj, Target, Then, Thrown, Triple, Value, Yielded, BAD_KEYWORDS,
    MAX_BLOCKS, PARAM_NAMES,
};

/// Checks everything the renderer and the model assume; reports every problem, never stops early.
/// The diagnostics are in the order of their paths: managers, `@contextmanager` functions,
/// generator functions, `main`.
pub fn validate(program: &Program) -> Vec<Diagnostic> {
    let mut v = Validator { diags: Vec::new(), program };
    for (i, m) in program.managers.iter().enumerate() {
        let at = Path::new(Root::Manager(i));
        if let Some(e) = &m.init_raises {
            v.new_exc(&at.join(Step::Init), e);
        }
        for (slot, method) in m.methods() {
            v.method(&at.join(Step::Method(slot)), method, slot);
        }
        match m.base {
            Some(b) if b >= i => v.err(&at, "a manager class derives only from one defined before it"),
            Some(b) => {
                for (slot, method) in m.methods() {
                    let inherited = program.resolve(b, slot).map(|(_, method)| method);
                    if *method == Method::InstanceOnly
                        && matches!(inherited, Some(Method::Property { custom: false, .. }))
                    {
                        // The base's property has no setter: `self.__exit__ = ...` in `__init__`
                        // raises AttributeError, with messages not modelled (§7.3).
                        v.err(
                            &at.join(Step::Method(slot)),
                            "a method set on the instance cannot hide a property of a base class",
                        );
                    }
                }
            }
            None => {}
        }
    }
    for (i, cm) in program.cms.iter().enumerate() {
        v.cm(&Path::new(Root::Cm(i)), cm);
    }
    for (i, d) in program.decos.iter().enumerate() {
        let at = Path::new(Root::Deco(i));
        match d.deco {
            Deco::Cm(c) if c >= program.cms.len() => v.err(&at, format!("c{c} is not a @contextmanager function")),
            Deco::Mgr(m) if m >= program.managers.len() => v.err(&at, format!("M{m} is not a manager class")),
            _ => {}
        }
        match d.deco {
            Deco::Cm(_) => v.call_args(&at, &d.args),
            Deco::Mgr(m) if !d.args.is_empty() => v.err(&at, format!("M{m}() takes no arguments here")),
            Deco::Mgr(_) => {}
        }
    }
    for (i, g) in program.gens.iter().enumerate() {
        if !g.is_async && !g.body.iter().any(has_yield) {
            let at = Path::new(Root::Gen(i));
            v.err(&at, "a generator function needs a yield (without one it is a plain function)");
        }
    }
    let _ = visit::walk(program, &mut v);
    // At most one construct some version refuses to compile, so that which error CPython
    // reports first never matters (SEMANTICS-ADDENDUM §8.5).
    for (path, _) in compile::refused(program).into_iter().skip(1) {
        v.err(&path, "a program holds at most one construct CPython refuses to compile");
    }
    for (path, blocks) in compile::nesting(program).unsure {
        let loc = Loc { path: Some(path), text: None };
        v.diags.push(Diagnostic { loc, kind: DiagnosticKind::TooDeep { blocks, limit: MAX_BLOCKS } });
    }
    let mut diags = v.diags;
    diags.sort_by(|a, b| a.loc.path.cmp(&b.loc.path));
    diags
}

impl<'p> Visitor<'p> for Validator<'p> {
    fn stmt(&mut self, s: &'p Stmt, at: At<'_>) -> Flow {
        self.stmt(at.path, s, at.scope);
        Flow::Continue
    }
}

struct Validator<'a> {
    diags: Vec<Diagnostic>,
    program: &'a Program,
}

impl Validator<'_> {
    fn err(&mut self, at: &Path, message: impl Into<String>) {
        self.diags.push(Diagnostic::invalid(at.clone(), message));
    }

    /// A name about to be bound: well formed, and not one the enclosing blocks pinned.
    fn binding(&mut self, at: &Path, name: &str, scope: &Scope) {
        self.name(at, name);
        if scope.is_pinned(name) {
            self.err(at, format!("`{name}` holds an exit stack or a stepped generator here and cannot be rebound"));
        }
    }

    fn label(&mut self, at: &Path, label: &str) {
        let ok = !label.is_empty() && label.len() <= 16 && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            self.err(at, format!("label {label:?} must be 1-16 ASCII letters, digits or '_'"));
        }
    }

    fn name(&mut self, at: &Path, name: &str) {
        let numbered =
            |p: char| name.strip_prefix(p).is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
        let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.len() <= 16
            && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !RESERVED.contains(&name)
            && !name.starts_with("e_")
            && !numbered('g')
            && !numbered('c');
        if !ok {
            self.err(
                at,
                format!("variable name {name:?} must be a short lowercase identifier not used by the prelude"),
            );
        }
    }

    /// `show('d1', m1.__exit__(...))` (SEMANTICS-ADDENDUM §15.1): `m1` is bound here, and only
    /// ever by `m1 = M0()` of a class whose method in the slot is a plain function (so that the
    /// attribute the call reads is the class's) or by `m1 = c0()` of the matching protocol.
    fn direct(&mut self, at: &Path, scope: &Scope, label: &str, var: &str, is_async: bool, call: &DirectCall) {
        self.label(at, label);
        if is_async && !scope.is_async() {
            self.err(at, "await outside an async function");
        }
        if !scope.is_bound(var) || var.starts_with("e_") {
            self.err(at, format!("`{var}` is not bound here"));
        }
        let slot = match (call, is_async) {
            (DirectCall::Enter, false) => Slot::Enter,
            (DirectCall::Enter, true) => Slot::AEnter,
            (DirectCall::Exit(_), false) => Slot::Exit,
            (DirectCall::Exit(_), true) => Slot::AExit,
        };
        match call {
            DirectCall::Exit(Triple::Exc(e)) => self.new_exc(at, e),
            DirectCall::Exit(Triple::TypeOnly(c)) if c.is_group() => {
                self.err(at, format!("{}() needs arguments: contextlib cannot instantiate it", c.name()))
            }
            _ => {}
        }
        for expr in direct_holders(self.program, var) {
            let ok = match expr {
                Some(ItemExpr::New(m)) => *m < self.program.managers.len() && self.direct_method(*m, slot),
                Some(ItemExpr::Cm(c, _)) => self.program.cms.get(*c).is_some_and(|cm| cm.is_async == is_async),
                _ => false,
            };
            if !ok {
                self.err(
                    at,
                    format!(
                        "`{var}` of a direct {} call is bound only by `{var} = M<n>()` of a class with a plain \
                         method there, or `{var} = c<n>()` of that protocol",
                        slot.name()
                    ),
                );
                return;
            }
        }
    }

    /// Whether `m1.<slot>` of an instance of `M<m>` is a plain function of its class: defined,
    /// inherited, static or a class method; `async def` only for the async slots.
    fn direct_method(&self, m: usize, slot: Slot) -> bool {
        if matches!(self.program.managers[m].method(slot), Method::InstanceOnly) {
            return false;
        }
        match self.program.resolve(m, slot) {
            Some((_, Method::Defined(_) | Method::Static(_) | Method::ClassMethod(_))) => true,
            Some((_, Method::AsyncDef { .. })) => slot.is_async(),
            _ => false,
        }
    }

    fn new_exc(&mut self, at: &Path, e: &NewExc) {
        self.label(at, &e.label);
        if e.class.is_group() {
            self.err(
                at,
                format!("{}(...) takes a message and a list: raise it with raise {0}('g1', [...])", e.class.name()),
            );
        }
    }

    /// `ExceptionGroup('g1', [...])`: a label, and at least one member.
    fn group(&mut self, at: &Path, g: &Group) {
        self.label(at, &g.label);
        if g.members.is_empty() {
            self.err(at, "an exception group holds at least one exception");
        }
        for m in &g.members {
            match m {
                Member::Exc(e) => self.new_exc(at, e),
                Member::Group(inner) => self.group(at, inner),
            }
        }
    }

    /// A raise; `scope` is where it stands, `None` in a method (which binds no handler's name).
    fn raise(&mut self, at: &Path, r: &RaiseNew, scope: Option<&Scope>) {
        self.new_exc(at, &r.exc);
        match &r.cause {
            Some(Cause::New(c)) => self.new_exc(at, c),
            Some(Cause::Caught(label)) => self.caught(at, label, scope),
            Some(Cause::None) | None => {}
        }
    }

    /// `e_<label>`, which an enclosing handler must bind (`scope` is `None` in a method).
    fn caught(&mut self, at: &Path, label: &str, scope: Option<&Scope>) {
        if !scope.is_some_and(|s| s.catches(label)) {
            self.err(at, format!("`e_{label}` is not bound here: only inside the handler that binds it"));
        }
    }

    /// What `throw()` is given.
    fn thrown(&mut self, at: &Path, t: &Thrown, scope: &Scope) {
        match t {
            Thrown::New(e) | Thrown::Triple(e) => self.new_exc(at, e),
            Thrown::Caught(label) => self.caught(at, label, Some(scope)),
            Thrown::Class(_) | Thrown::Bad(_) => {}
        }
    }

    fn value(&mut self, at: &Path, value: &Value) {
        match value {
            Value::None | Value::Bool(_) | Value::Int(_) => {}
            Value::Str(s) => {
                if !s.chars().all(|c| c.is_ascii_graphic() || c == ' ') || s.len() > 32 {
                    self.err(at, format!("string {s:?} must be at most 32 printable ASCII characters"));
                }
            }
            Value::Tuple(items) => {
                if items.len() > 8 {
                    self.err(at, "tuples hold at most 8 items");
                }
                for it in items {
                    self.value(at, it);
                }
            }
            Value::BoolObj { label, .. } => self.label(at, label),
            Value::Awaitable { label, then, .. } => {
                self.label(at, label);
                if let AwaitThen::Return(v) = &**then {
                    self.value(at, v);
                }
            }
            Value::BadAwaitable => {}
            Value::LenObj { label, .. } => self.label(at, label),
        }
    }

    fn method(&mut self, at: &Path, m: &Method, slot: Slot) {
        let action = match m {
            Method::Defined(action) => action,
            Method::AsyncDef { suspend, action } => {
                if !slot.is_async() {
                    self.err(at, "only __aenter__ and __aexit__ can be async def");
                }
                if let Some(l) = suspend {
                    self.label(at, l);
                }
                action
            }
            Method::Static(action) | Method::ClassMethod(action) => {
                if *action == Action::ReturnSelf {
                    self.err(at, "a static or class method has no self to return");
                }
                action
            }
            Method::Property { get: Getter::Function(action), .. } => action,
            Method::Property { get: Getter::Raise(r), .. } => {
                self.raise(at, r, None);
                return;
            }
            Method::Callable(r) => {
                if let ExitFnResult::Return(v) = r {
                    self.value(at, v);
                }
                return;
            }
            Method::Missing
            | Method::InstanceOnly
            | Method::NoneAttr
            | Method::WrongArity
            | Method::Property { get: Getter::None, .. } => return,
        };
        match action {
            Action::ReturnSelf | Action::BareRaise | Action::RaiseArg => {}
            Action::Return(value) => self.value(at, value),
            Action::Raise(r) => self.raise(at, r, None),
            Action::SuppressIf(classes) => {
                if !slot.is_exit() {
                    self.err(at, "suppress_if only makes sense in __exit__");
                }
                if classes.is_empty() {
                    self.err(at, "suppress_if needs at least one class");
                }
            }
        }
        if !slot.is_exit() && matches!(action, Action::RaiseArg) {
            self.err(at, "`raise v` needs the exception argument of __exit__");
        }
    }

    /// The arguments of a call of a `@contextmanager` function (SEMANTICS-ADDENDUM §16): what
    /// Python compiles (no positional argument after a keyword one, no keyword twice), keywords
    /// from the fixed vocabulary, small values.
    fn call_args(&mut self, at: &Path, args: &[Arg]) {
        let mut keywords: Vec<&str> = Vec::new();
        for a in args {
            if !(0..1000).contains(&a.value) {
                self.err(at, format!("argument {} is not in 0..1000", a.value));
            }
            match &a.keyword {
                None if !keywords.is_empty() => self.err(at, "a positional argument follows a keyword argument"),
                None => {}
                Some(k) if keywords.contains(&k.as_str()) => self.err(at, format!("keyword argument {k} repeated")),
                Some(k) => {
                    if !PARAM_NAMES.contains(&k.as_str()) && !BAD_KEYWORDS.iter().any(|(b, _)| b == k) {
                        self.err(at, format!("keyword {k} is neither a parameter name nor one of the bad keywords"));
                    }
                    keywords.push(k);
                }
            }
        }
    }

    /// A `@contextmanager` function, but for the statements of its blocks (the walk's).
    fn cm(&mut self, at: &Path, cm: &CmGen) {
        for (i, p) in cm.params.iter().enumerate() {
            if !PARAM_NAMES.contains(&p.name.as_str()) {
                self.err(at, format!("parameter {} is not one of {}", p.name, PARAM_NAMES.join(", ")));
            }
            if cm.params[..i].iter().any(|q| q.name == p.name) {
                self.err(at, format!("duplicate parameter {}", p.name));
            }
            if i > 0 && cm.params[i - 1].kw_only && !p.kw_only {
                self.err(at, format!("positional parameter {} after a keyword-only one", p.name));
            }
        }
        let yields_in = |b: &[Stmt]| b.iter().any(has_yield);
        if yields_in(&cm.pre)
            || cm.handler.as_ref().is_some_and(|h| yields_in(&h.body))
            || cm.finally.as_ref().is_some_and(|(_, b)| yields_in(b))
        {
            self.err(at, "only post may yield again");
        }
        if let Some(y) = &cm.yields {
            self.value(at, y);
        } else if cm.handler.is_some() || cm.finally.is_some() || !cm.post.is_empty() {
            self.err(at, "a generator that never yields has nothing after its pre statements");
        }
        if let Some(h) = &cm.handler {
            self.label(at, &h.label);
            if h.class.is_none() && h.bind {
                self.err(at, "a bare except cannot bind a name");
            }
        }
        if let Some((label, _)) = &cm.finally {
            self.label(at, label);
        }
        // One more yield is allowed at the top of post: the generator that does not stop.
        let nested = cm.post.iter().filter(|s| !matches!(s, Stmt::Yield(_))).any(has_yield);
        if nested || cm.post.iter().filter(|s| matches!(s, Stmt::Yield(_))).count() > 1 {
            self.err(at, "post holds at most one yield, at its top level");
        }
    }

    /// `Nested(M0(), c1())` as the item of a `with` (SEMANTICS-ADDENDUM §15.4): a plain `with`,
    /// at least one member, each a class whose `__enter__`/`__exit__` attribute access finds as
    /// the class's plain functions, or a sync generator manager.
    fn nested(&mut self, at: &Path, members: &[ItemExpr], is_async: bool) {
        if is_async {
            self.err(at, "Nested(...) has no __aenter__: it is an item of a plain with only");
        }
        if members.is_empty() {
            self.err(at, "Nested(...) holds at least one manager");
        }
        for m in members {
            let ok = match m {
                ItemExpr::New(k) => {
                    *k < self.program.managers.len()
                        && self.direct_method(*k, Slot::Enter)
                        && self.direct_method(*k, Slot::Exit)
                }
                ItemExpr::Cm(c, _) => self.program.cms.get(*c).is_some_and(|cm| !cm.is_async),
                _ => false,
            };
            if !ok {
                self.err(at, "Nested(...) holds M<n>() of classes with plain __enter__ and __exit__, or sync c<n>()");
                return;
            }
        }
    }

    /// A context expression, of a `with` item or a stack operation.
    fn item_expr(&mut self, at: &Path, expr: &ItemExpr, scope: &Scope) {
        if scope.in_coro()
            && matches!(
                expr,
                ItemExpr::Cm(..) | ItemExpr::ExitStack { .. } | ItemExpr::PopAll(_) | ItemExpr::ClosingGen { .. }
            )
        {
            self.err(
                at,
                "a coroutine function driven by hand enters manager classes and the small contextlib managers only",
            );
        }
        match expr {
            ItemExpr::Nested(_) => self.err(at, "Nested(...) is only an item of a with statement"),
            ItemExpr::New(m) => {
                if *m >= self.program.managers.len() {
                    self.err(at, format!("manager M{m} is not defined"));
                }
            }
            ItemExpr::Cm(c, args) => {
                if *c >= self.program.cms.len() {
                    self.err(at, format!("context manager function c{c} is not defined"));
                }
                self.call_args(at, args);
            }
            ItemExpr::Suppress(_) | ItemExpr::ExitStack { .. } => {}
            ItemExpr::Nullcontext(v) => self.value(at, v),
            ItemExpr::Closing { label, .. } => self.label(at, label),
            ItemExpr::Literal(v) => self.value(at, v),
            ItemExpr::Var(n) => {
                if !scope.is_bound(n) {
                    self.err(at, format!("`{n}` is not bound here"));
                }
            }
            ItemExpr::PopAll(n) => {
                if scope.stack(n).is_none() {
                    self.err(at, format!("`{n}` holds no exit stack here"));
                }
            }
            ItemExpr::ClosingGen { gen, is_async } => match self.program.gens.get(*gen) {
                None => self.err(at, format!("generator function g{gen} is not defined")),
                Some(g) if g.is_async != *is_async => {
                    self.err(at, "closing takes a generator, aclosing an async generator")
                }
                Some(g) if delegates(&g.body) => {
                    self.err(at, "a generator that delegates with yield from is driven, not stepped")
                }
                Some(g) if g.is_coroutine() => self.err(at, "a coroutine is driven, not stepped by closing"),
                Some(_) => {}
            },
        }
    }

    /// The target of a `with` item.
    fn target(&mut self, at: &Path, target: &Target, scope: &Scope) {
        match target {
            Target::None => {}
            Target::Name(n) | Target::Paren(n) => self.binding(at, n, scope),
            Target::Store(st) => self.store(at, st),
            Target::Star(n) => self.binding(at, n, scope),
            Target::Bad(_) | Target::BadComma(_) | Target::BadParen(_) => {}
            Target::Tuple(elems) => {
                if elems.is_empty() {
                    self.err(at, "a tuple target needs at least one element");
                }
                let mut names: Vec<&str> = Vec::new();
                for e in elems {
                    match e {
                        Elem::Name(n) | Elem::Star(n) => {
                            self.binding(at, n, scope);
                            if names.contains(&n.as_str()) {
                                self.err(at, format!("`{n}` is bound twice by one target"));
                            }
                            names.push(n);
                        }
                        Elem::Store(st) => self.store(at, st),
                        Elem::Bad(_) => {}
                    }
                }
            }
        }
    }

    /// An attribute or subscript target.
    fn store(&mut self, at: &Path, st: &Store) {
        if let StoreObj::Sink { label, .. } | StoreObj::Loaded { label, .. } = &st.obj {
            self.label(at, label);
        }
        let (Key::Attr(k) | Key::Item(k)) = &st.key;
        let loaded = match &st.obj {
            StoreObj::Loaded { key, .. } => Some(key),
            _ => None,
        };
        for k in std::iter::once(k).chain(loaded) {
            let ok = k.starts_with(|c: char| c.is_ascii_lowercase())
                && k.len() <= 8
                && k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && !RESERVED.contains(&k.as_str());
            if !ok {
                self.err(at, format!("key {k:?} must be a short lowercase word"));
            }
        }
    }

    fn stack_op(&mut self, at: &Path, stack: &str, op: &StackOp, scope: &Scope) {
        let Some(async_stack) = scope.stack(stack) else {
            self.err(at, format!("`{stack}` holds no exit stack here"));
            return;
        };
        let needs_async_stack = |v: &mut Self, what: &str| {
            if !async_stack {
                v.err(at, format!("{what} is a method of AsyncExitStack only"));
            }
        };
        match op {
            StackOp::Enter { expr, is_async, target } => {
                self.item_expr(at, expr, scope);
                if *is_async {
                    needs_async_stack(self, "enter_async_context");
                    if !scope.is_async() {
                        self.err(at, "await outside an async function");
                    }
                }
                if let Some(n) = target {
                    self.binding(at, n, scope);
                }
            }
            StackOp::Push { expr, is_async } => {
                self.item_expr(at, expr, scope);
                if *is_async {
                    needs_async_stack(self, "push_async_exit");
                }
            }
            StackOp::PushFn(f) => {
                self.label(at, &f.label);
                if f.is_async {
                    needs_async_stack(self, "push_async_exit");
                } else if f.suspend {
                    self.err(at, "only an async exit function can suspend");
                }
                if let ExitFnResult::Return(v) = &f.result {
                    let ok = matches!(
                        v,
                        Value::None | Value::Bool(_) | Value::Int(_) | Value::BoolObj { .. } | Value::LenObj { .. }
                    );
                    if !ok {
                        self.err(at, "an exit function returns None, a bool, an int, Bool(...) or Len(...)");
                    }
                    self.value(at, v);
                }
            }
            StackOp::Callback { label, is_async, .. } => {
                self.label(at, label);
                if *is_async {
                    needs_async_stack(self, "push_async_callback");
                }
            }
            StackOp::Close { is_async } => {
                if *is_async != async_stack {
                    self.err(at, "ExitStack has close(), AsyncExitStack aclose()");
                }
                if *is_async && !scope.is_async() {
                    self.err(at, "await outside an async function");
                }
            }
        }
    }

    /// One statement, but for the statements inside it (the walk's).
    fn stmt(&mut self, at: &Path, s: &Stmt, scope: &Scope) {
        if matches!(at.root, Root::Deco(_)) && !allowed_in_decorated(s) {
            self.err(at, "a decorated function's body has no yield, drive, exit stack, stepped generator, await g<n>() or call of a decorated function");
        }
        match s {
            Stmt::Log(l) => self.label(at, l),
            Stmt::Show(var) => {
                if !scope.can_read(var) {
                    self.err(at, format!("`{var}` is not bound here"));
                }
            }
            Stmt::YieldValue(y) => {
                if !matches!(at.root, Root::Gen(_)) || !scope.in_gen() {
                    self.err(at, "a yield of a value is only in generator functions g<n>");
                }
                match y {
                    Yielded::Value(v) => {
                        if !yieldable(v) {
                            self.err(
                                at,
                                "a generator yields None, a bool, an int or a tuple of them (a string is a label)",
                            );
                        }
                        self.value(at, v);
                    }
                    Yielded::Exc(e) => self.new_exc(at, e),
                }
            }
            Stmt::YieldFrom { gen, target } => {
                match at.root {
                    Root::Gen(own) if !scope.is_async() => {
                        if *gen <= own {
                            self.err(at, format!("g{own} delegates only to a later generator function, not g{gen}"));
                        }
                    }
                    _ => self.err(at, "yield from is only in (sync) generator functions g<n>"),
                }
                match self.program.gens.get(*gen) {
                    None => self.err(at, format!("generator function g{gen} is not defined")),
                    Some(g) if g.is_async => self.err(at, "yield from an async generator is not iterable"),
                    Some(_) => {}
                }
                if let Some(t) = target {
                    self.binding(at, t, scope);
                }
            }
            Stmt::Yield(label) => {
                self.label(at, label);
                if !scope.in_gen() {
                    self.err(at, "yield outside a generator function");
                }
            }
            Stmt::Drive { label, gen, how, then } => {
                self.label(at, label);
                if scope.in_gen() {
                    self.err(at, "drive inside a generator function");
                }
                match self.program.gens.get(*gen) {
                    None => self.err(at, format!("generator function g{gen} is not defined")),
                    Some(g) if g.is_async_gen() && !scope.is_async() => {
                        self.err(at, "an async generator is driven by `await adrive(...)`, in async code")
                    }
                    Some(g) if g.is_coroutine() && then.is_some() => {
                        self.err(at, "a coroutine is driven with one last operation, no '+...' after it")
                    }
                    Some(_) => {}
                }
                if how.k() > 5 {
                    self.err(at, "close/throw/send after 0 to 5 items");
                }
                if let Some(t) = how.thrown() {
                    self.thrown(at, t, scope);
                }
                if matches!(how, Drive::AwThrow(..)) && !self.program.gens.get(*gen).is_some_and(|g| g.is_async_gen()) {
                    self.err(at, "only an async generator's awaitables are thrown into by hand ('anext.throw', ...)");
                }
                if matches!(how, Drive::AwThrow(..)) && matches!(then, Some(Then::Close | Then::Throw(_))) {
                    self.err(at, "after a throw into an awaitable only '+again' or '+next' may follow");
                }
                if !matches!(how, Drive::AwThrow(..) | Drive::Exhaust) && matches!(then, Some(Then::Next)) {
                    self.err(at, "'+next' follows only a throw into an awaitable ('anext.throw+next', ...) or 'all'");
                }
                let is_async = self.program.gens.get(*gen).is_some_and(|g| g.is_async);
                match then {
                    None | Some(Then::Close) => {}
                    Some(Then::Next) => {
                        if !is_async {
                            self.err(at, "only adrive awaits __anext__() after its drive ('+next')");
                        }
                    }
                    Some(Then::Throw(t)) => {
                        if matches!(how, Drive::Throw(_, first) if first != t) {
                            self.err(at, "'throw+throw' throws the same argument twice");
                        }
                        self.thrown(at, t, scope);
                    }
                    Some(Then::Again) => {
                        if !is_async {
                            self.err(at, "only adrive awaits its last awaitable again ('+again')");
                        }
                    }
                }
            }
            Stmt::Await(label) => {
                self.label(at, label);
                if !scope.is_async() {
                    self.err(at, "await outside an async function");
                }
            }
            Stmt::Direct { label, var, is_async, call } => self.direct(at, scope, label, var, *is_async, call),
            Stmt::With { items, is_async, .. } => {
                if items.is_empty() {
                    self.err(at, "a with statement needs at least one item");
                }
                let mut inner = scope.items();
                for (j, it) in items.iter().enumerate() {
                    let at = at.join(Step::Item(j));
                    // `with (1, 2):` is two items on 3.9+, not a tuple manager.
                    if matches!(it.expr, ItemExpr::Literal(Value::Tuple(_))) && it.target == Target::None {
                        self.err(&at, "a tuple literal with no target cannot be a with item");
                    }
                    if let ItemExpr::Nested(members) = &it.expr {
                        self.nested(&at, members, *is_async);
                    } else {
                        self.item_expr(&at, &it.expr, &inner);
                    }
                    self.target(&at, &it.target, &inner);
                    inner.bind_item(it);
                }
            }
            Stmt::Raise(r) => self.raise(at, r, Some(scope)),
            Stmt::Keep { name, label } => {
                self.caught(at, label, Some(scope));
                if !scope.is_bound(name) || name.starts_with("e_") {
                    self.err(at, format!("`{name} = e_{label}` rebinds a name bound before, as by `{name} = None`"));
                }
                self.binding(at, name, scope);
            }
            Stmt::RaiseVar(name) => {
                if !scope.is_bound(name) || name.starts_with("e_") {
                    self.err(at, format!("`raise {name}` of a name not bound here"));
                }
            }
            Stmt::SetAttr { label, attr, value } => {
                self.caught(at, label, Some(scope));
                match (attr, value) {
                    (ExcAttr::SuppressContext, AttrValue::Bool(_)) => {}
                    (ExcAttr::Context | ExcAttr::Cause, AttrValue::None) => {}
                    (ExcAttr::Context | ExcAttr::Cause, AttrValue::Caught(other)) => {
                        self.caught(at, other, Some(scope))
                    }
                    _ => {
                        self.err(at, "__suppress_context__ is set to a bool, __context__ and __cause__ to None or e_h1")
                    }
                }
            }
            Stmt::RaiseCaught(label) => {
                let var = format!("e_{label}");
                if !scope.is_bound(&var) {
                    self.err(at, format!("`raise {var}` outside the handler that binds it"));
                }
            }
            Stmt::BareRaise => {}
            Stmt::Return { label, value } => {
                self.label(at, label);
                self.value(at, value);
                if scope.async_gen() {
                    self.err(at, "an async generator cannot return a value");
                }
                if scope.in_star() {
                    self.err(at, "'break', 'continue' and 'return' cannot appear in an except* block");
                }
            }
            Stmt::RaiseGroup(g) => self.group(at, g),
            Stmt::TryStar(t) => {
                if t.handlers.is_empty() {
                    self.err(at, "a try with except* needs at least one except* clause");
                }
                for (j, h) in t.handlers.iter().enumerate() {
                    let at = at.join(Step::Except(j));
                    self.label(&at, &h.label);
                    match h.class {
                        None => self.err(&at, "except* needs a class (there is no bare except*)"),
                        Some(c) if c.is_group() => self.err(&at, "catching ExceptionGroup with except* is not allowed"),
                        Some(_) => {}
                    }
                }
                if let Some((label, _)) = &t.finally {
                    self.label(&at.join(Step::Finally), label);
                }
            }
            Stmt::Loop { times, .. } => {
                if *times > 5 {
                    self.err(at, "loops run at most 5 times");
                }
            }
            Stmt::Break | Stmt::Continue => {
                if !scope.in_loop() {
                    self.err(at, "break/continue outside a loop");
                }
            }
            Stmt::Try(t) => {
                if t.handlers.is_empty() && t.finally.is_none() {
                    self.err(at, "a try needs an except or a finally clause");
                }
                if t.handlers.is_empty() && !t.orelse.is_empty() {
                    self.err(at, "else without except");
                }
                for (j, h) in t.handlers.iter().enumerate() {
                    let at = at.join(Step::Except(j));
                    self.label(&at, &h.label);
                    if h.class.is_none() && j + 1 != t.handlers.len() {
                        self.err(&at, "a bare except must be last");
                    }
                    if h.class.is_none() && h.bind {
                        self.err(&at, "a bare except cannot bind a name");
                    }
                }
                if let Some((label, _)) = &t.finally {
                    self.label(&at.join(Step::Finally), label);
                }
            }
            Stmt::Assign { name, expr } => {
                self.binding(at, name, scope);
                if matches!(expr, ItemExpr::ClosingGen { .. }) {
                    self.err(at, "a closing(g0()) is only stepped inside its own with");
                }
                self.item_expr(at, expr, scope);
            }
            Stmt::Stack { .. } if scope.in_coro() => {
                self.err(at, "a coroutine function driven by hand uses no exit stack")
            }
            Stmt::Stack { stack, op } => self.stack_op(at, stack, op, scope),
            Stmt::AwaitCall { gen, target } => {
                match at.root {
                    Root::Gen(own) if scope.in_coro() => {
                        if *gen <= own {
                            self.err(at, format!("g{own} awaits only a later coroutine function, not g{gen}"));
                        }
                    }
                    Root::Main if scope.is_async() => {}
                    _ => self.err(at, "await g<n>() is only in coroutine functions and an async main"),
                }
                if !self.program.gens.get(*gen).is_some_and(|g| g.is_coroutine()) {
                    self.err(at, format!("g{gen} is not a coroutine function (an async def without yield)"));
                }
                if let Some(t) = target {
                    self.binding(at, t, scope);
                }
            }
            Stmt::Call { fun, n, target } => {
                if at.root != Root::Main {
                    self.err(at, "a decorated function is called only from main, where it is defined");
                }
                match self.program.decos.get(*fun) {
                    None => self.err(at, format!("f{fun} is not a decorated function")),
                    Some(d) if d.is_async(self.program) && !scope.is_async() => {
                        self.err(at, "await outside an async function")
                    }
                    Some(_) => {}
                }
                if *n > 3 {
                    self.err(at, "a decorated function calls itself at most 3 times");
                }
                if let Some(t) = target {
                    self.binding(at, t, scope);
                }
            }
            Stmt::Step { label, var, k, is_async } => {
                self.label(at, label);
                if *k == 0 || *k > 5 {
                    self.err(at, "a step advances 1 to 5 items");
                }
                if scope.in_gen() {
                    self.err(at, "step inside a generator function");
                }
                if scope.step() != Some((var.as_str(), *is_async)) {
                    let which = if *is_async { "async with aclosing(g<n>()) as" } else { "with closing(g<n>()) as" };
                    self.err(at, format!("a step is a top-level statement of the body of `{which} {var}:`"));
                }
                if *is_async && !scope.is_async() {
                    self.err(at, "await outside an async function");
                }
            }
        }
    }
}

/// Whether `s` may stand in the body of a decorated function, which the model runs in a plain
/// frame of its own called from main: nothing that needs a generator's frame, a driver or a name of
/// main (SEMANTICS-ADDENDUM §14).
pub fn allowed_in_decorated(s: &Stmt) -> bool {
    let item =
        |e: &ItemExpr| !matches!(e, ItemExpr::ExitStack { .. } | ItemExpr::PopAll(_) | ItemExpr::ClosingGen { .. });
    match s {
        Stmt::Yield(_)
        | Stmt::YieldValue(_)
        | Stmt::YieldFrom { .. }
        | Stmt::AwaitCall { .. }
        | Stmt::Drive { .. }
        | Stmt::Stack { .. }
        | Stmt::Step { .. }
        | Stmt::Call { .. } => false,
        Stmt::With { items, .. } => items.iter().all(|it| item(&it.expr)),
        Stmt::Assign { expr, .. } => item(expr),
        _ => true,
    }
}

/// What [`Stmt::YieldValue`] may yield: what prints the same through `_show` on every side.
fn yieldable(v: &Value) -> bool {
    match v {
        Value::None | Value::Bool(_) | Value::Int(_) => true,
        Value::Tuple(items) => items.iter().all(yieldable),
        _ => false,
    }
}

/// Names the prelude or the renderer use, which targets must not shadow, and Python's keywords
/// (soft ones included), which no name can be.
const RESERVED: &[&str] = &[
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "case",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "match",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "type",
    "while",
    "with",
    "yield",
    "log",
    "drive",
    "adrive",
    "step",
    "astep",
    "co",
    "cb",
    "acb",
    "closing",
    "aclosing",
    "suppress",
    "nullcontext",
    "contextmanager",
    "asynccontextmanager",
    "show",
    "ret",
    "handler",
    "fin",
    "inst",
    "sys",
    "main",
    "on_init",
    "on_enter",
    "on_exit",
    "on_get",
    "descriptor",
    "suppress_if",
    "self",
    "t",
    "v",
    "tb",
    "print",
    "range",
    "len",
    "type",
    "str",
    "int",
];

/// What every binding of `var` in the program binds it to: the expression of each `var = ...`
/// assignment, `None` for any other kind of binding (a target, a handler's name, ...).
fn direct_holders<'a>(program: &'a Program, var: &str) -> Vec<Option<&'a ItemExpr>> {
    let mut res = Vec::new();
    for s in visit::all_stmts(program) {
        match s {
            Stmt::Assign { name, expr } if name == var => res.push(Some(expr)),
            Stmt::With { items, .. } => {
                res.extend(items.iter().filter(|it| it.target.names().contains(&var)).map(|_| None));
            }
            Stmt::Stack { op: StackOp::Enter { target: Some(n), .. }, .. }
            | Stmt::Keep { name: n, .. }
            | Stmt::YieldFrom { target: Some(n), .. }
            | Stmt::AwaitCall { target: Some(n), .. }
                if n == var =>
            {
                res.push(None)
            }
            _ => {}
        }
    }
    res
}
