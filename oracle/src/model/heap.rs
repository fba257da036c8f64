//! The objects of a run whose identity matters, because they are entered twice or shared by
//! name: generator managers, exit stacks and the generators `closing` holds. Each kind has its
//! own id type, so that an id can only name an object of its kind.

use super::exc::ExcId;
use super::Val;
use crate::ir::ExcClass;

/// A `_GeneratorContextManager` (or `_AsyncGeneratorContextManager`) object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CmId(u32);

/// An `ExitStack` or `AsyncExitStack` object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StackId(u32);

/// The generator object that `closing(g0())` (`aclosing`) holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GenId(u32);

/// Where the generator of a `@contextmanager` object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmState {
    /// Never run: `__enter__` was not called (an exit stack may `push` it unentered).
    Created,
    /// Suspended at its first yield: entered, not exited.
    Suspended,
    /// Done: ran to its end, raised, or was closed (or left suspended where nothing runs).
    Finished,
}

/// Where the generator held by a `closing` / `aclosing` stands, as its `__exit__` sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GenState {
    /// Never stepped: closing it runs none of its code.
    Created,
    /// Stepped to its end (or it raised): closing it does nothing.
    Finished,
    /// `stepped_body` closed it when the body ended; this is what `close()` gave.
    Closed(Option<ExcId>),
}

/// A callback registered on an exit stack.
#[derive(Clone, Debug)]
pub(crate) enum Entry {
    /// `MethodType(type(mgr).__exit__, mgr)` (`__aexit__`, awaited, with `is_async`): from
    /// `enter_context`, or `push` of an object whose type has the exit method.
    CmExit { mgr: Val, is_async: bool },
    /// An object pushed as a callable, because its type has no exit method; awaited with
    /// `is_async` (`push_async_exit`).
    Callable { obj: Val, is_async: bool },
    /// `callback(cb, label, raises)`, or `push_async_callback(acb, label, raises)`.
    Callback { label: String, raises: Option<ExcClass>, is_async: bool },
}

/// Every identity-bearing object of a run; objects are never freed during a run.
#[derive(Default)]
pub(crate) struct Heap {
    cms: Vec<CmState>,
    /// Per generator manager, the arguments its generator function's parameters are bound to.
    cm_args: Vec<Vec<i64>>,
    stacks: Vec<Vec<Entry>>,
    gens: Vec<GenState>,
}

impl Heap {
    /// A new generator manager, not entered yet, whose generator's parameters are bound to `args`.
    pub(crate) fn new_cm(&mut self, args: Vec<i64>) -> CmId {
        self.cms.push(CmState::Created);
        self.cm_args.push(args);
        CmId(self.cms.len() as u32 - 1)
    }

    /// The values the parameters of a generator manager's generator are bound to, in their order.
    pub(crate) fn cm_args(&self, id: CmId) -> &[i64] {
        &self.cm_args[id.0 as usize]
    }

    /// A new exit stack holding `entries`, oldest first.
    pub(crate) fn new_stack(&mut self, entries: Vec<Entry>) -> StackId {
        self.stacks.push(entries);
        StackId(self.stacks.len() as u32 - 1)
    }

    /// A new generator object, never stepped.
    pub(crate) fn new_gen(&mut self) -> GenId {
        self.gens.push(GenState::Created);
        GenId(self.gens.len() as u32 - 1)
    }

    pub(crate) fn cm(&self, id: CmId) -> CmState {
        self.cms[id.0 as usize]
    }

    pub(crate) fn set_cm(&mut self, id: CmId, state: CmState) {
        self.cms[id.0 as usize] = state;
    }

    /// The callbacks of a stack, oldest first.
    pub(crate) fn stack(&mut self, id: StackId) -> &mut Vec<Entry> {
        &mut self.stacks[id.0 as usize]
    }

    pub(crate) fn gen(&self, id: GenId) -> GenState {
        self.gens[id.0 as usize]
    }

    pub(crate) fn set_gen(&mut self, id: GenId, state: GenState) {
        self.gens[id.0 as usize] = state;
    }
}
