//! The Bitbucket API client: both products, the check engine, the listing engine.
//! Knows nothing of the wizard or the terminal.

pub mod model;
