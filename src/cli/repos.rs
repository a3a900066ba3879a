//! `bbconnect repos`: the repositories a saved connection can see.

use super::{Failure, credentials_of, fresh_credentials, listing, the_one_name};
use crate::bitbucket::{Client, ClientOptions, Endpoints, ListLimits};
use crate::engine;
use crate::errln;
use crate::sanitize::clean;
use crate::store::Store;

/// `bbconnect repos`.
pub async fn repos(
    store: &Store,
    endpoints: &Endpoints,
    name: Option<&str>,
    filter: Option<&str>,
    as_json: bool,
    concurrency: usize,
    limits: ListLimits,
) -> Result<(), Failure> {
    let name = the_one_name(store, name, "repos")?;
    let (conn, creds) = credentials_of(store, &name)?;
    let options = ClientOptions {
        max_concurrency: concurrency,
        limits,
        ..engine::options_for(&conn)
    };
    let creds = fresh_credentials(store, conn, creds, &options).await?;
    let client = Client::new(creds, endpoints, options)?;
    // Each page becomes its output rows as it arrives and is dropped (see `listing`); the
    // sort (by name, or the screen's fuzzy filter best match first) needs every row, so
    // nothing prints before the listing is complete and a failed listing prints nothing.
    let mut rows = listing::rows(filter, as_json);
    client.for_each_page(|page| rows.add(&page.repos)).await?;
    if let Some(f) = filter
        && rows.is_empty()
    {
        // An empty stdout alone looks like a connection that sees nothing.
        errln!("bbconnect: no repository matches `{}`.", clean(f));
    }
    rows.print();
    Ok(())
}
