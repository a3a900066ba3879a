//! Saved connections and secrets: the files, each secret-store mode, the real OS keychain
//! (`cargo test --test store store_keychain`, see .ci/run), permissions, and saves killed
//! mid-way.

#[path = "../common/mod.rs"]
mod common;

mod store_backends;
mod store_files;
mod store_keychain;
mod store_killed_save;
mod store_permissions;
