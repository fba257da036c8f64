//! Generation of withstand programs, valid by construction.
//!
//! - [`config`]: [`GenConfig`], the sizes and weights both paths share.
//! - [`unstructured`]: programs from bytes (`arbitrary`): libFuzzer inputs and seeded campaigns.
//! - [`strategy`]: proptest strategies over the same constructor, so the two cannot drift apart.
#![deny(missing_docs)]

pub mod config;
pub mod unstructured;
pub mod strategy;
pub mod fuzz_input;

pub use config::GenConfig;
pub use unstructured::{case_seed, from_seed, generate};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod agreement;
