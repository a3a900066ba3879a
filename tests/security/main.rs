//! What bbconnect promises about secrets and hostile input: a canary secret through every
//! face, `Debug` output, the panic report, properties of every parser, and the command line
//! as a Unix tool (closed pipes, control bytes, endless listings).

#[path = "../common/mod.rs"]
mod common;

mod bounds;
mod child_env;
mod git_verify;
mod prop_parsers;
mod security_canary;
mod security_debug;
mod security_panic;
