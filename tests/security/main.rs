//! What bbconnect promises about secrets and hostile input: a canary secret through every
//! face, `Debug` output, the panic report, properties of every parser, and the command line
//! as a Unix tool (closed pipes, control bytes, endless listings).

#[path = "../common/mod.rs"]
mod common;

mod bounds;
mod canary;
mod child_env;
mod debug;
mod git_verify;
mod panics;
mod prop_parsers;
mod redirect;
