//! The process's edges: the children bbconnect starts (git, ssh, the browser), each with a
//! clean environment, and the browser opener. Everything here does IO; the decisions it acts
//! on are in `core`.

pub mod browser;
pub mod child;
