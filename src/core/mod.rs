//! Plain data and rules, no IO: the domain types, the input rules and the fuzzy filter that
//! every room uses. core imports no other room of the crate and no IO crate (docs/architecture.md).

pub mod browser;
pub mod cert;
pub mod check_id;
pub mod expiry;
pub mod fields;
pub mod fuzzy;
pub mod hook_rules;
pub mod model;
pub mod name;
pub mod repo_row;
pub mod sanitize;
pub mod ssh;
pub mod urls;
pub mod validate;
