//! Which implementation and version the model speaks for, and what that version does
//! differently from the others: its [`Quirks`].
//!
//! Every version-dependent behaviour of the model is a named field of [`Quirks`], and the
//! fields are set in two tables and nowhere else: `quirks!`'s table, which is SEMANTICS.md §6
//! (one row per behaviour, one column per minor version, a cell may name the patch release a
//! behaviour starts at), and `IMPLEMENTATIONS`, which says how an implementation differs from
//! the CPython version it claims to be.
//!
//! §6 rows the model has no field for, because the IR cannot express what they are about: 11 (the same on every version), 16 (`gen.throw`'s form: no event
//! differs), 18 (a non-generator decorated with `@asynccontextmanager`), 20 (`callback(callback=)`),
//! 23 (ExceptionGroup), 24 (`suppress.__exit__` called directly: False and None are both falsy
//! for an exit stack), 25 (`chdir`), 26 (`issubclass` with a bad argument).

use std::fmt;
use std::str::FromStr;

/// One cell of the version table: whether a behaviour holds on a minor version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    /// Not on any patch release of the minor version.
    No,
    /// On every patch release.
    Yes,
    /// From this patch release on (`3.11.7`: `FromPatch(7)`), and on a profile without a patch.
    FromPatch(u32),
}

impl Cell {
    fn holds(self, patch: Option<u32>) -> bool {
        match self {
            Cell::No => false,
            Cell::Yes => true,
            Cell::FromPatch(from) => patch.is_none_or(|p| from <= p),
        }
    }
}

/// The first minor version of Python 3 the table has a column for.
const FIRST_MINOR: u32 = 8;

/// Declares [`Quirks`] from the version table: per field its doc comment, which names the §6
/// row, then one cell per minor version from 3.8 on.
macro_rules! quirks {
    ($($(#[doc = $doc:literal])+ $field:ident: [$($cell:expr),+ $(,)?],)+) => {
        /// What one profile does where versions differ (SEMANTICS.md §6): every version-dependent
        /// rule of the model reads a field of this, never a version number.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct Quirks {
            $($(#[doc = $doc])+ pub $field: bool,)+
        }

        impl Quirks {
            /// The table's columns are 3.8 to 3.14.
            const MINORS: std::ops::RangeInclusive<u32> = 8..=14;

            /// CPython `3.minor.patch` (`None`: its newest patch release), from the table.
            fn cpython(minor: u32, patch: Option<u32>) -> Quirks {
                let column = (minor - FIRST_MINOR) as usize;
                Quirks { $($field: [$($cell),+][column].holds(patch),)+ }
            }

            /// Every cell of the column of `3.minor`.
            fn column(minor: u32) -> impl Iterator<Item = Cell> {
                let column = (minor - FIRST_MINOR) as usize;
                [$([$($cell),+][column]),+].into_iter()
            }
        }
    };
}

use Cell::{FromPatch as P, No as N, Yes as Y};

quirks! {
    //                                                         3.8 3.9 3.10 3.11  3.12  3.13 3.14
    /// §6 rows 1 and 2 (SEMANTICS-ADDENDUM §8.5, §8.6): 3.9's PEG parser reads parenthesized
    /// `with` items as items (3.8 refuses a target inside them and reads the rest as one tuple),
    /// and words its compile errors its own way ("starred assignment target must be in a list or
    /// tuple", "multiple starred expressions in assignment"; 3.8: "invalid syntax", "two starred
    /// expressions in assignment").
    peg_parser:                                                [N,  Y,  Y,   Y,    Y,    Y,   Y],
    /// §6 row 3: `with` looks up `__exit__` before `__enter__`.
    sync_exit_looked_up_first:                                 [N,  N,  N,   N,    N,    N,   Y],
    /// §6 row 4: `async with` looks up `__aexit__` before `__aenter__`.
    async_exit_looked_up_first:                                [Y,  N,  N,   N,    N,    N,   Y],
    /// §6 rows 5 to 7: a missing protocol method is a TypeError naming the type ("'X' object does
    /// not support the context manager protocol"), not an AttributeError naming the method.
    protocol_error_is_type_error:                              [N,  N,  N,   Y,    Y,    Y,   Y],
    /// §6 row 6: that TypeError names a missing `__enter__` too ("(missed __enter__ method)").
    protocol_error_names_missing_enter:                        [N,  N,  N,   N,    N,    N,   Y],
    /// §6 row 8: the protocol error of a manager of the other protocol suggests the other
    /// statement ("Did you mean to use 'async with'?").
    protocol_error_suggests_other_statement:                   [N,  N,  N,   N,    N,    N,   Y],
    /// §6 row 9: protocol errors name a type by its module and qualified name (`%T`), which
    /// leaves out only `builtins` and `__main__`.
    protocol_error_qualifies_type_name:                        [N,  N,  N,   N,    N,    N,   Y],
    /// §6 row 10: call errors name the function by its qualname (`M0.__exit__()`, bpo-40679).
    call_error_names_qualname:                                 [N,  N,  Y,   Y,    Y,    Y,   Y],
    /// §6 row 12: `@contextmanager`'s "generator didn't stop" closes the generator first, in a
    /// `finally` (gh-110378: 3.11.7 and 3.12.1); before, the generator is left suspended.
    cm_closes_generator_that_did_not_stop:                     [N,  N,  N,   P(7), P(1), Y,   Y],
    /// §6 row 13: re-entering a generator manager gives the long AttributeError
    /// ("'_GeneratorContextManager' object has no attribute 'args'", bpo-43857), not `args`.
    cm_reentry_error_is_long:                                  [N,  N,  N,   Y,    Y,    Y,   Y],
    /// §6 row 14: `@asynccontextmanager`'s `__aenter__` deletes its arguments, so entering it again
    /// fails; 3.8 resumes the generator instead.
    acm_enter_deletes_args:                                    [N,  Y,  Y,   Y,    Y,    Y,   Y],
    /// §6 row 15: `@contextmanager` lets a StopIteration *subclass* from the body through
    /// (`isinstance`); 3.8 tests the exact type and raises the RuntimeError.
    cm_unwraps_stop_iteration_subclass:                        [N,  Y,  Y,   Y,    Y,    Y,   Y],
    /// §6 row 17: `aclosing`, an async `nullcontext`, and generator managers usable as async
    /// decorators (`AsyncContextDecorator`).
    contextlib_async_helpers:                                  [N,  N,  Y,   Y,    Y,    Y,   Y],
    /// §6 row 19: `ExitStack.enter_context` looks up enter before exit and turns a missing one into
    /// a TypeError from None; before, exit is looked up first and its AttributeError propagates.
    enter_context_raises_type_error:                           [N,  N,  N,   Y,    Y,    Y,   Y],
    /// §6 row 21: `_fix_exception_context` leaves a context explicitly set to None alone; 3.8
    /// patches the end of such a chain too.
    stack_keeps_explicit_none_context:                         [N,  Y,  Y,   Y,    Y,    Y,   Y],
    /// §6 row 22: an exit stack passes each callback `(type(e), e, e.__traceback__)` afresh;
    /// before, it passes the details as it received them, which go stale when the traceback
    /// changes meanwhile.
    stack_recomputes_exc_details:                              [N,  N,  N,   N,    N,    Y,   Y],
    /// §6 row 27: "too many values to unpack" names the count for exact tuples and strings
    /// ("(expected 2, got 3)", gh-122239).
    unpack_error_names_count:                                  [N,  N,  N,   N,    N,    N,   Y],
    /// Not in §6 (§8.1, probed on 3.8-3.13 and 3.14.2): reading a local never bound says
    /// "cannot access local variable 'x' where it is not associated with a value", not "local
    /// variable 'x' referenced before assignment".
    unbound_local_error_is_reworded:                           [N,  N,  N,   Y,    Y,    Y,   Y],
    /// §6 row 28 (§8.2): storing an attribute on an object without `__dict__` says "... and no
    /// __dict__ for setting new attributes".
    attribute_error_names_missing_dict:                        [N,  N,  N,   N,    N,    Y,   Y],
    /// Not in §6 (seen on 3.14's WebAssembly build): an `await` on a non-awaitable says
    /// "'X' object can't be awaited", not "object X can't be used in 'await' expression".
    await_error_is_reworded:                                   [N,  N,  N,   N,    N,    N,   Y],
    /// Not in §6 (§1.6, observed on 3.8.18): implicit chaining stops at a `__context__` cycle it
    /// finds (Floyd's algorithm); 3.8 walks it forever.
    chaining_stops_at_context_cycles:                          [N,  Y,  Y,   Y,    Y,    Y,   Y],
    /// Not in §6 (§1.8, observed: 3.8.18 does not, 3.9.18 does): `throw()` and `close()` chain
    /// the exception thrown in to the one the generator is handling (`_PyErr_ChainStackItem`).
    generator_throw_chains_to_handled:                         [N,  Y,  Y,   Y,    Y,    Y,   Y],
    /// SEMANTICS-ADDENDUM §13: exception groups (`ExceptionGroup`, `BaseExceptionGroup`,
    /// `except*`, PEP 654).
    exception_groups:                                          [N,  N,  N,   Y,    Y,    Y,   Y],
    /// SEMANTICS-ADDENDUM §13.4: an `except*` clause that matches nothing of a group replaces it
    /// with `split()`'s rest, a copy (3.12's `CHECK_EG_MATCH`); 3.11 keeps the group itself.
    except_star_unmatched_group_is_copied:                     [N,  N,  N,   N,    Y,    Y,   Y],
    /// SEMANTICS-ADDENDUM §13.5 (§4.4, §6 row 23): `suppress` splits an `ExceptionGroup` and
    /// raises the rest (gh-103791); before, it matches a group by its class only.
    suppress_splits_groups:                                    [N,  N,  N,   N,    Y,    Y,   Y],
    /// SEMANTICS-ADDENDUM §13.5: `suppress` splits a `BaseExceptionGroup` too (gh-111910:
    /// 3.12.1); 3.12.0 tests `issubclass(exctype, ExceptionGroup)`.
    suppress_splits_base_groups:                               [N,  N,  N,   N,    P(1), Y,   Y],
    /// SEMANTICS-ADDENDUM §10.1: `throw()` / `athrow()` into a generator that never started raises
    /// the exception as it is, without running its frame (so no PEP 479); before 3.12 the frame
    /// starts with it.
    throw_into_unstarted_skips_frame:                          [N,  N,  N,   N,    Y,    Y,   Y],
    /// SEMANTICS-ADDENDUM §10.8: `throw()` by hand into an `aclose()` / `athrow()` awaitable
    /// marks it started and closes it when it ends (gh-117881, probed on 3.13.0; 3.12.1 does not):
    /// a second throw is "cannot reuse"; before, it goes to the generator again.
    awaitable_closed_by_throw:                                 [N,  N,  N,   N,    N,    Y,   Y],
    /// SEMANTICS-ADDENDUM §10.2: `close()` returns the value the generator returns after catching
    /// GeneratorExit (gh-104770); before 3.13 it returns None.
    close_returns_generator_value:                             [N,  N,  N,   N,    N,    Y,   Y],
    /// Not in §6 (§1.8, observed on 3.14.2, Pyodide): the StopIteration `next()`, `send()` or
    /// `throw()` raise for a generator that returned a value other than None is not chained to
    /// the exception the caller handles (`_PyGen_SetStopIterationValue` raises it with
    /// `PyErr_SetRaisedException`); one for `return` or `return None` still is.
    stop_iteration_value_unchained:                            [N,  N,  N,   N,    N,    N,   Y],
    /// Not in §6 (§4.1): `@contextmanager` restores the traceback of an exception `throw()`
    /// re-raised (`value.__traceback__ = tb`), so the details an exit stack holds stay valid.
    cm_restores_traceback:                                     [N,  N,  N,   Y,    Y,    Y,   Y],
    /// Not in §6 (SEMANTICS-ADDENDUM §15.2, probed on 3.8-3.13): `_AsyncGeneratorContextManager.__aexit__`
    /// returns False on the normal path and for the very exception let through; 3.8 returns None
    /// there (but for a RuntimeError), which only a direct call shows.
    acm_aexit_returns_false:                                   [N,  Y,  Y,   Y,    Y,    Y,   Y],
    /// Not in §6 (SEMANTICS-ADDENDUM §16.2, probed on 3.8-3.13 and 3.14.2): "got an unexpected
    /// keyword argument 'funk'" goes on ". Did you mean 'func'?" for a parameter close to it.
    unexpected_keyword_suggests:                               [N,  N,  N,   N,    N,    Y,   Y],
}

/// One implementation the model has profiles for.
struct ImplementationRow {
    /// `sys.implementation.name`, and the first part of the profile's name (`pypy-3.10`).
    name: &'static str,
    /// What it does differently from the CPython version it claims (its `sys.version_info`),
    /// applied to that version's quirks; `None` for none. A difference belongs here once it is
    /// documented as the implementation's own; until then it is a finding. An implementation
    /// without differences behaves as CPython's profiles do, so [`Profile::known`] leaves it out.
    differences: Option<fn(&mut Quirks)>,
    /// What a claimed version older than the model knows (3.8) means.
    older: Older,
}

/// How an implementation that claims a version older than the model's oldest is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Older {
    /// Refused: CPython 3.7 and older, and implementations that follow CPython releases, are
    /// judged against a version the model knows only with `--target`.
    Refused,
    /// Judged as the oldest profile the model knows. MicroPython claims 3.4 (the language level
    /// its core follows) but implements `with` and `async with` as 3.5+ does; the older the
    /// profile, the fewer of the later additions the model expects (no qualified names in
    /// messages, no 3.11 TypeError for a missing protocol, no `aclosing`). What it lacks
    /// altogether (contextlib, `__context__`, `sys.exc_info`) is a capability, probed at start.
    Oldest,
}

/// Every implementation with profiles. Adding one is adding its row. Each is judged as the
/// CPython version it claims (`rustpython-3.14 as cpython-3.14`), with its differences applied.
const IMPLEMENTATIONS: &[ImplementationRow] = &[
    // The reference.
    ImplementationRow { name: "cpython", differences: None, older: Older::Refused },
    ImplementationRow { name: "pypy", differences: None, older: Older::Refused },
    ImplementationRow { name: "rustpython", differences: None, older: Older::Refused },
    ImplementationRow { name: "graalpy", differences: None, older: Older::Refused },
    // Claims 3.4; see `Older::Oldest`.
    ImplementationRow { name: "micropython", differences: None, older: Older::Oldest },
    ImplementationRow { name: "circuitpython", differences: None, older: Older::Oldest },
];

/// A Python implementation the model has profiles for (a row of `IMPLEMENTATIONS`), named by
/// its `sys.implementation.name`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Implementation {
    row: usize,
}

impl Implementation {
    /// CPython, the reference.
    pub const CPYTHON: Implementation = Implementation { row: 0 };

    /// The implementation named `name` (`sys.implementation.name`), if the model has profiles
    /// for it.
    pub fn named(name: &str) -> Option<Implementation> {
        IMPLEMENTATIONS.iter().position(|it| it.name == name).map(|row| Implementation { row })
    }

    /// Every implementation the model has profiles for.
    pub fn all() -> impl Iterator<Item = Implementation> {
        (0..IMPLEMENTATIONS.len()).map(|row| Implementation { row })
    }

    /// `sys.implementation.name`.
    pub fn name(self) -> &'static str {
        IMPLEMENTATIONS[self.row].name
    }
}

/// Implementation and language version, e.g. `cpython-3.11`, or `cpython-3.11.6` where the patch
/// release matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Profile {
    /// The implementation.
    pub implementation: Implementation,
    /// `(major, minor)` of the CPython rules the model applies, e.g. `(3, 11)`: the version the
    /// implementation claims, or the oldest the model knows for one that claims an older one.
    pub version: (u32, u32),
    /// The patch release, e.g. `Some(7)` for 3.11.7. `None`, a profile named without one
    /// (`cpython-3.11`), is the newest patch release the table knows of: it behaves as that
    /// release and every later one (so `cpython-3.11` is 3.11.7 and later).
    pub patch: Option<u32>,
    /// `(major, minor)` the implementation claims (its `sys.version_info`), which names the
    /// profile: `micropython-3.4` applies 3.8's rules. The same as `version` but for an
    /// implementation judged as the oldest profile.
    pub claimed: (u32, u32),
}

impl Profile {
    /// The profile the model is complete and exact for.
    pub const CPYTHON_3_11: Profile =
        Profile { implementation: Implementation::CPYTHON, version: (3, 11), patch: None, claimed: (3, 11) };

    /// Oldest and newest minor versions of Python 3 the model knows rules for.
    pub const MINORS: std::ops::RangeInclusive<u32> = Quirks::MINORS;

    /// The profile for an interpreter that reported `sys.implementation.name` and
    /// `sys.version_info` (major, minor, micro).
    pub fn for_interpreter(implementation: &str, version: (u32, u32, u32)) -> Result<Profile, String> {
        let Some(it) = Implementation::named(implementation) else {
            return Err(format!(
                "no profile for implementation {implementation:?} (the model knows {}); pass --target cpython-3.X to judge it as CPython",
                known_names()
            ));
        };
        Profile::new(it, (version.0, version.1), Some(version.2))
    }

    fn new(implementation: Implementation, claimed: (u32, u32), patch: Option<u32>) -> Result<Profile, String> {
        let oldest = *Profile::MINORS.start();
        let older = claimed.0 == 3 && claimed.1 < oldest || claimed.0 < 3;
        if older && IMPLEMENTATIONS[implementation.row].older == Older::Oldest {
            // Judged by the oldest rules the model has; a patch release of the claimed version
            // says nothing about those.
            return Ok(Profile { implementation, version: (3, oldest), patch: None, claimed });
        }
        if claimed.0 != 3 || !Profile::MINORS.contains(&claimed.1) {
            return Err(format!("no profile for Python {}.{}: the model knows 3.8 to 3.14", claimed.0, claimed.1));
        }
        Ok(Profile { implementation, version: claimed, patch, claimed })
    }

    /// Every profile that behaves differently from the others of its implementation and minor
    /// version: per implementation and minor version, the one named without a patch, and one per
    /// patch range before the table's last change in that minor (`cpython-3.11.0` for 3.11.0 to
    /// 3.11.6). Implementations without differences of their own behave as CPython's profiles
    /// and are left out.
    pub fn known() -> impl Iterator<Item = Profile> {
        let distinct = Implementation::all()
            .filter(|it| *it == Implementation::CPYTHON || IMPLEMENTATIONS[it.row].differences.is_some());
        distinct.flat_map(|implementation| {
            Profile::MINORS.flat_map(move |minor| {
                let mut changes: Vec<u32> = Quirks::column(minor)
                    .filter_map(|cell| match cell {
                        Cell::FromPatch(p) => Some(p),
                        Cell::No | Cell::Yes => None,
                    })
                    .collect();
                changes.sort_unstable();
                changes.dedup();
                // Where each range of patch releases starts, but the last one's (no patch).
                let starts = match changes.split_last() {
                    None => Vec::new(),
                    Some((_, before)) => [0].iter().chain(before).copied().collect(),
                };
                let patches = starts.into_iter().map(Some).chain([None]);
                patches.map(move |patch| Profile { implementation, version: (3, minor), patch, claimed: (3, minor) })
            })
        })
    }

    /// What this profile does where versions differ.
    pub fn quirks(self) -> Quirks {
        let mut quirks = Quirks::cpython(self.version.1, self.patch);
        if let Some(differences) = IMPLEMENTATIONS[self.implementation.row].differences {
            differences(&mut quirks);
        }
        quirks
    }

    /// The CPython profile whose rules this one applies (itself, for CPython).
    pub fn judged_as(self) -> Profile {
        Profile { implementation: Implementation::CPYTHON, claimed: self.version, ..self }
    }

    /// How reports name the profile: `cpython-3.11`, or for another implementation the CPython
    /// profile it is judged as, `rustpython-3.14 as cpython-3.14`, `micropython-3.4 as
    /// cpython-3.8`.
    pub fn describe(self) -> String {
        if self.implementation == Implementation::CPYTHON {
            return self.to_string();
        }
        format!("{self} as {}", self.judged_as())
    }

    /// Whether the patch release changes anything: it does when the profile behaves unlike the
    /// newest patch release of its minor version.
    fn patch_matters(self) -> bool {
        self.patch.is_some() && self.quirks() != Profile { patch: None, ..self }.quirks()
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}.{}", self.implementation.name(), self.claimed.0, self.claimed.1)?;
        match self.patch {
            Some(patch) if self.patch_matters() => write!(f, ".{patch}"),
            _ => Ok(()),
        }
    }
}

impl FromStr for Profile {
    type Err = String;

    /// `cpython-3.11` (the newest patch release) or `cpython-3.11.6`.
    fn from_str(s: &str) -> Result<Profile, String> {
        let bad = || format!("bad profile {s:?}: expected e.g. cpython-3.11 or cpython-3.11.6");
        let (name, version) = s.split_once('-').ok_or_else(bad)?;
        let mut numbers = version.split('.').map(|n| n.parse::<u32>().map_err(|_| bad()));
        let major = numbers.next().ok_or_else(bad)??;
        let minor = numbers.next().ok_or_else(bad)??;
        let patch = numbers.next().transpose()?;
        if numbers.next().is_some() {
            return Err(bad());
        }
        let Some(implementation) = Implementation::named(name) else {
            return Err(format!("no profile for implementation {name:?}: the model knows {}", known_names()));
        };
        Profile::new(implementation, (major, minor), patch)
    }
}

fn known_names() -> String {
    IMPLEMENTATIONS.iter().map(|it| it.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::Profile;

    fn profile(s: &str) -> Profile {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_profile_without_a_patch_is_the_newest_patch_release() {
        assert_eq!(profile("cpython-3.11").quirks(), profile("cpython-3.11.7").quirks());
        assert_eq!(profile("cpython-3.11").quirks(), profile("cpython-3.11.9").quirks());
        assert_ne!(profile("cpython-3.11").quirks(), profile("cpython-3.11.6").quirks());
        assert!(!profile("cpython-3.12.0").quirks().cm_closes_generator_that_did_not_stop);
        assert!(profile("cpython-3.12.1").quirks().cm_closes_generator_that_did_not_stop);
        assert!(!profile("cpython-3.10.13").quirks().cm_closes_generator_that_did_not_stop);
    }

    #[test]
    fn profiles_print_the_patch_only_where_it_matters() {
        let shown = |s: &str| profile(s).to_string();
        assert_eq!(shown("cpython-3.11"), "cpython-3.11");
        assert_eq!(shown("cpython-3.11.7"), "cpython-3.11");
        assert_eq!(shown("cpython-3.11.3"), "cpython-3.11.3");
        assert_eq!(shown("cpython-3.10.13"), "cpython-3.10");
        assert_eq!(shown("pypy-3.12.0"), "pypy-3.12.0");
        let reported = Profile::for_interpreter("cpython", (3, 12, 0)).expect("a known version");
        assert_eq!(reported.to_string(), "cpython-3.12.0");
        assert_eq!(Profile::for_interpreter("cpython", (3, 13, 0)).map(|p| p.to_string()), Ok("cpython-3.13".into()));
    }

    #[test]
    fn unknown_implementations_and_versions_are_refused() {
        assert!("jython-3.12".parse::<Profile>().is_err());
        assert!("cpython-3.7".parse::<Profile>().is_err());
        assert!("cpython-3.15".parse::<Profile>().is_err());
        assert!("cpython-3.11.7.1".parse::<Profile>().is_err());
        assert!("cpython-3".parse::<Profile>().is_err());
        assert!(Profile::for_interpreter("pypy", (3, 7, 13)).is_err());
        assert!(Profile::for_interpreter("ironpython", (3, 4, 0)).is_err());
    }

    #[test]
    fn known_profiles_are_every_distinct_behaviour() {
        let known: Vec<String> = Profile::known().map(|p| p.to_string()).collect();
        let cpython: Vec<&str> = known.iter().map(String::as_str).filter(|p| p.starts_with("cpython")).collect();
        assert_eq!(
            cpython,
            [
                "cpython-3.8",
                "cpython-3.9",
                "cpython-3.10",
                "cpython-3.11.0",
                "cpython-3.11",
                "cpython-3.12.0",
                "cpython-3.12",
                "cpython-3.13",
                "cpython-3.14"
            ]
        );
        // Implementations without differences of their own behave as CPython's profiles.
        assert!(!known.iter().any(|p| p.starts_with("pypy") || p.starts_with("rustpython")));
        // Within a minor version, each behaves differently from the others.
        for p in Profile::known() {
            let same_minor =
                Profile::known().filter(|q| q.implementation == p.implementation && q.version == p.version);
            assert_eq!(same_minor.filter(|q| q.quirks() == p.quirks()).count(), 1, "{p}");
        }
    }

    #[test]
    fn implementations_are_judged_as_the_cpython_version_they_claim() {
        let rustpython = Profile::for_interpreter("rustpython", (3, 14, 0)).expect("a known implementation");
        assert_eq!(rustpython.describe(), "rustpython-3.14 as cpython-3.14");
        assert_eq!(rustpython.quirks(), profile("cpython-3.14").quirks());
        let pypy = Profile::for_interpreter("pypy", (3, 9, 16)).expect("a known implementation");
        assert_eq!(pypy.describe(), "pypy-3.9 as cpython-3.9");
        assert_eq!(profile("cpython-3.11").describe(), "cpython-3.11");
        assert_eq!(profile("graalpy-3.11.6").describe(), "graalpy-3.11.6 as cpython-3.11.6");
    }

    #[test]
    fn micropython_claims_3_4_and_is_judged_as_the_oldest_profile() {
        let mp = Profile::for_interpreter("micropython", (3, 4, 0)).expect("judged as the oldest");
        assert_eq!(mp.to_string(), "micropython-3.4");
        assert_eq!(mp.describe(), "micropython-3.4 as cpython-3.8");
        assert_eq!(mp.quirks(), profile("cpython-3.8").quirks());
        // The name round-trips, as corpus headers and --target need.
        assert_eq!(profile("micropython-3.4"), mp);
        // A MicroPython that claims a version the model knows is judged as that one.
        assert_eq!(profile("micropython-3.10").describe(), "micropython-3.10 as cpython-3.10");
    }
}
