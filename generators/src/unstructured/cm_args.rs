//! Parameters of `@contextmanager` functions and the arguments of their calls
//! (SEMANTICS-ADDENDUM §16): names contextlib's own helper uses (`self`, `func`, `args`, `kwds`),
//! keyword-only ones after a `*`; calls that bind them positionally and by keyword, and now and
//! then calls that cannot bind (an argument dropped, one positional too many, a keyword no
//! parameter has), which raise TypeError at the factory.

use arbitrary::Result;
use oracle::ir::{Arg, ItemExpr, Param, BAD_KEYWORDS, PARAM_NAMES};

use super::Gen;

impl Gen<'_, '_> {
    /// The parameters of a new `@contextmanager` function: mostly none.
    pub(super) fn cm_params(&mut self) -> Result<Vec<Param>> {
        // Drawn so that exhausted input (where `ratio` is always true) gives none.
        if self.u.ratio(2, 3)? {
            return Ok(Vec::new());
        }
        let mut names: Vec<&str> = PARAM_NAMES.to_vec();
        // A random order, then a random non-empty prefix.
        for i in (1..names.len()).rev() {
            let j = self.u.int_in_range(0..=i)?;
            names.swap(i, j);
        }
        let n = self.u.int_in_range(1..=names.len())?;
        let star = if self.u.ratio(1, 3)? { self.u.int_in_range(0..=n - 1)? } else { n };
        Ok(names[..n]
            .iter()
            .enumerate()
            .map(|(i, name)| Param { name: name.to_string(), kw_only: i >= star })
            .collect())
    }

    /// `c0(...)`: a call of `@contextmanager` function `c`, its arguments bad one time in `bad`
    /// (never with 0).
    pub(super) fn cm_call(&mut self, c: usize, bad: u32) -> Result<ItemExpr> {
        Ok(ItemExpr::Cm(c, self.cm_args(c, bad)?))
    }

    fn arg_value(&mut self) -> Result<i64> {
        Ok(i64::from(self.u.int_in_range(1..=99u8)?))
    }

    /// The arguments of a call of `c`: each parameter bound, some positionally, the others by
    /// keyword in any order; one time in `1 / bad` spoilt.
    pub(super) fn cm_args(&mut self, c: usize, bad: u32) -> Result<Vec<Arg>> {
        let params = self.cm_params[c].clone();
        let takes = params.iter().filter(|p| !p.kw_only).count();
        let given = self.u.int_in_range(0..=takes)?;
        let mut positional = Vec::new();
        for _ in 0..given {
            positional.push(Arg { keyword: None, value: self.arg_value()? });
        }
        let mut keywords = Vec::new();
        for p in &params[given..] {
            keywords.push(Arg { keyword: Some(p.name.clone()), value: self.arg_value()? });
        }
        // Good where the input is exhausted (`ratio` is then always true).
        let spoilt = match bad {
            0 => false,
            1 => true,
            n => !self.u.ratio(n - 1, n)?,
        };
        if spoilt {
            match self.u.int_in_range(0..=2)? {
                // A parameter left without its argument.
                0 if !params.is_empty() => {
                    let k = self.u.int_in_range(0..=params.len() - 1)?;
                    if k < positional.len() {
                        positional.remove(k);
                    } else {
                        keywords.remove(k - positional.len());
                    }
                }
                // One positional argument too many (or one that a keyword fills too).
                1 => positional.push(Arg { keyword: None, value: self.arg_value()? }),
                // A keyword no parameter has.
                _ => {
                    let spare: Vec<&str> = PARAM_NAMES
                        .iter()
                        .copied()
                        .filter(|n| params.iter().all(|p| p.name != *n))
                        .chain(BAD_KEYWORDS.iter().map(|(b, _)| *b))
                        .collect();
                    let name = self.u.choose(&spare)?.to_string();
                    keywords.push(Arg { keyword: Some(name), value: self.arg_value()? });
                }
            }
        }
        for i in (1..keywords.len()).rev() {
            let j = self.u.int_in_range(0..=i)?;
            keywords.swap(i, j);
        }
        positional.extend(keywords);
        Ok(positional)
    }
}
