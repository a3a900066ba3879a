//! `bbconnect repos`: the repositories a saved connection can see.

use clap::Args;

use super::{
    CONCURRENCY_ENV, Ctx, DEFAULT_CONCURRENCY, MAX_CONCURRENCY, credentials_of, listing,
    the_one_name,
};
use crate::bitbucket::{
    Client, ClientOptions, DEFAULT_MAX_PAGES, DEFAULT_MAX_REPOS, ListLimits, MAX_PAGES_ENV,
    MAX_REPOS_ENV,
};
use crate::core::model::Problem;
use crate::core::sanitize::clean;
use crate::engine;
use crate::errln;

#[derive(Debug, Clone, Args)]
pub struct ReposArgs {
    /// May be left out when only one connection is saved.
    pub name: Option<String>,
    #[arg(long)]
    pub filter: Option<String>,
    #[arg(long)]
    pub json: bool,
    /// Requests in flight at once while listing (fewer after a 429).
    #[arg(long, env = CONCURRENCY_ENV, default_value_t = DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u16).range(1..=MAX_CONCURRENCY))]
    pub concurrency: u16,
    /// Stop with an error past this many repositories (a server whose pages never end).
    #[arg(long, env = MAX_REPOS_ENV, default_value_t = DEFAULT_MAX_REPOS,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_repos: usize,
    /// Stop with an error past this many pages.
    #[arg(long, env = MAX_PAGES_ENV, default_value_t = DEFAULT_MAX_PAGES,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_pages: usize,
}

/// `bbconnect repos`.
pub async fn run(ctx: &mut Ctx, args: ReposArgs) -> Result<(), Problem> {
    let store = ctx.store.get()?;
    let (io, endpoints) = (&mut ctx.io, &ctx.settings.endpoints);
    let filter = args.filter.as_deref();
    let as_json = args.json;
    let concurrency = usize::from(args.concurrency);
    let limits = ListLimits {
        max_repos: args.max_repos,
        max_pages: args.max_pages,
    };
    let name = the_one_name(store, args.name.as_deref(), "repos")?;
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
