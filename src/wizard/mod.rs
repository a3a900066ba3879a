//! The wizard's state machine. Pure: no IO, no clock, no tokio, no terminal.

pub mod msg;
