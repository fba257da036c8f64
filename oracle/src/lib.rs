//! The withstand oracle: everything that decides what a correct Python must do with a program,
//! and everything that asks a real Python what it did.
//!
//! - [`ir`]: the program representation every stage shares, and its validation.
//! - [`trace`]: events and outcome, the contract between the model and the runner.
//! - [`profile`]: which implementation and version the model speaks for.
//! - [`capability`]: what an implementation has of what programs use; what is left out or masked without it.
//! - [`model`]: the reference semantics, an interpreter over the IR.
//! - [`render`]: IR to readable, runnable Python.
//! - [`parse`]: rendered (or hand-edited) program text back to the IR.
//! - [`runner`]: persistent interpreter workers (the only module that starts processes).
//! - [`verdict`]: a run judged against the prediction: agrees, or how it fails (typed signature), and the diff a person reads.
//! - [`triage`]: root causes (rule families, what differs), known differences of an implementation, stale entries.
//! - [`judge`]: an interpreter and the profile it is judged as: predict once, run, judge.
//! - [`reduce`]: shrinking a program on the IR to a small reproducer.
//! - [`corpus`]: the regression corpus on disk: `.case` files and the files generated beside them.
#![deny(missing_docs)]

pub mod ir;
pub mod trace;
pub mod profile;
pub mod capability;
pub mod model;
pub mod render;
pub mod parse;
pub mod runner;
pub mod verdict;
pub mod triage;
pub mod judge;
pub mod reduce;
pub mod corpus;

#[cfg(test)]
mod tidy;
