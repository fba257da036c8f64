//! One module per subcommand; each has an `Args` (its flags, as help text) and a `run`.

pub mod run;
pub mod gen;
pub mod show;
pub mod stats;
pub mod import;
pub mod shrink;
pub mod record;
pub mod corpus;
pub mod replay;
pub mod bench;
pub mod merge;
pub mod impls;
