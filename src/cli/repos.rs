//! `bbconnect repos`: the repositories a saved connection can see.

use super::{Failure, Io, credentials_of, listing, the_one_name};
use crate::bitbucket::{Client, ClientOptions, Endpoints, ListLimits};
use crate::core::sanitize::clean;
use crate::engine;
use crate::errln;
use crate::store::Store;

/// What `repos` was asked for (its flags).
#[derive(Debug, Clone, Copy)]
pub struct ReposOptions<'a> {
    pub name: Option<&'a str>,
    pub filter: Option<&'a str>,
    pub json: bool,
    pub concurrency: usize,
    pub limits: ListLimits,
}

/// `bbconnect repos`.
pub async fn repos(
    io: &mut Io,
    store: &Store,
    endpoints: &Endpoints,
    opts: ReposOptions<'_>,
) -> Result<(), Failure> {
    let ReposOptions {
        name,
        filter,
        json: as_json,
        concurrency,
        limits,
    } = opts;
    let name = the_one_name(store, name, "repos")?;
    let (conn, _) = credentials_of(store, &name)?;
    let options = ClientOptions {
        max_concurrency: concurrency,
        limits,
        ..engine::options_for(&conn)
    };
    let creds =
        engine::oauth::fresh_credentials(store, &name, &options, engine::oauth::now_secs()).await?;
    let options = engine::oauth::renewing(options, store, &name);
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
        errln!(io, "bbconnect: no repository matches `{}`.", clean(f));
    }
    rows.print(&mut *io.out);
    Ok(())
}
