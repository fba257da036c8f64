//! Which implementation and version the model speaks for.
//!
//! Every version-dependent rule of SEMANTICS.md asks the profile, never a hard-coded version, so
//! that a new version is a new arm in a few `match`es and not a rewrite.

use std::fmt;
use std::str::FromStr;

/// A Python implementation whose documented behaviour the model can predict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Implementation {
    /// CPython, the reference.
    CPython,
    /// PyPy: judged against the CPython version it implements.
    PyPy,
}

/// Implementation and language version, e.g. `cpython-3.11`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Profile {
    /// The implementation.
    pub implementation: Implementation,
    /// `(major, minor)`, e.g. `(3, 11)`.
    pub version: (u32, u32),
}

impl Profile {
    /// The profile the model is complete and exact for.
    pub const CPYTHON_3_11: Profile = Profile { implementation: Implementation::CPython, version: (3, 11) };

    /// Oldest and newest minor versions of Python 3 the model knows rules for.
    pub const MINORS: std::ops::RangeInclusive<u32> = 8..=14;

    /// The profile for an interpreter that reported `sys.implementation.name` and `sys.version_info`.
    pub fn for_interpreter(implementation: &str, version: (u32, u32)) -> Result<Profile, String> {
        let implementation = match implementation {
            "cpython" => Implementation::CPython,
            "pypy" => Implementation::PyPy,
            other => {
                return Err(format!(
                    "no profile for implementation {other:?}; pass --target cpython-3.X to judge it as CPython"
                ))
            }
        };
        let profile = Profile { implementation, version };
        profile.check()?;
        Ok(profile)
    }

    fn check(self) -> Result<(), String> {
        if self.version.0 != 3 || !Profile::MINORS.contains(&self.version.1) {
            return Err(format!(
                "no profile for Python {}.{}: the model knows 3.8 to 3.14",
                self.version.0, self.version.1
            ));
        }
        Ok(())
    }

    /// True from Python `3.minor` on.
    pub fn at_least(self, minor: u32) -> bool {
        self.version >= (3, minor)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.implementation {
            Implementation::CPython => "cpython",
            Implementation::PyPy => "pypy",
        };
        write!(f, "{name}-{}.{}", self.version.0, self.version.1)
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Profile, String> {
        let bad = || format!("bad profile {s:?}: expected e.g. cpython-3.11");
        let (name, ver) = s.split_once('-').ok_or_else(bad)?;
        let (major, minor) = ver.split_once('.').ok_or_else(bad)?;
        let major = major.parse().map_err(|_| bad())?;
        let minor = minor.parse().map_err(|_| bad())?;
        Profile::for_interpreter(name, (major, minor))
    }
}
