//! The interactive face: the terminal loop (`app`), key tables (`keys`), the pure wizard
//! state machine (`wizard`), its views (`ui`) and the worker that runs its effects.

pub mod app;
pub mod keys;
pub mod launch;
pub mod ui;
pub mod wizard;
pub mod worker;
