//! Saved connections and secrets: the files, each secret-store mode, the real OS keychain
//! (`cargo test --test store keychain::`, see .ci/run), permissions, and saves killed
//! mid-way.

#[path = "../common/mod.rs"]
mod common;

mod backends;
mod files;
mod keychain;
mod killed_save;
mod permissions;
