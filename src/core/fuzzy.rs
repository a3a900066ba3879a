//! The fuzzy filter of repository lists (nucleo): one matcher and one haystack for the
//! wizard's list and the headless `repos --filter`, so both rank the same way.

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::model::Repo;
use crate::core::repo_row::PackedRepo;

/// The pattern for a query. Plain fuzzy atoms (no `!`/`^` syntax) so that a longer query
/// always matches a subset of what the shorter one matched: incremental filtering relies on it.
pub fn pattern(query: &str) -> Pattern {
    Pattern::new(
        query,
        CaseMatching::Smart,
        Normalization::Smart,
        AtomKind::Fuzzy,
    )
}

/// Character positions of `text` matched by `query`, for highlighting (empty when the query
/// does not match this text on its own).
pub fn highlights(query: &str, text: &str, matcher: &mut Matcher) -> Vec<usize> {
    if blank(query) {
        return Vec::new();
    }
    let pat = pattern(query);
    let mut buf = Vec::new();
    let mut indices = Vec::new();
    if pat
        .indices(Utf32Str::new(text, &mut buf), matcher, &mut indices)
        .is_none()
    {
        return Vec::new();
    }
    indices.sort_unstable();
    indices.dedup();
    indices.into_iter().map(|i| i as usize).collect()
}

/// A query of spaces filters nothing.
pub fn blank(query: &str) -> bool {
    query.trim().is_empty()
}

/// The score of one row for `pattern`; `None` when it does not match.
pub fn score(
    pattern: &Pattern,
    row: &PackedRepo,
    matcher: &mut Matcher,
    chars: &mut Vec<char>,
) -> Option<u32> {
    pattern.score(Utf32Str::new(row.haystack(), chars), matcher)
}

/// The headless `repos --filter`: the screen's matcher over the screen's haystack (name,
/// full path, project, workspace), best match first, ties by full path.
pub fn filter_ranked(repos: Vec<Repo>, query: &str) -> Vec<Repo> {
    let Some(mut score_of) = scorer(query) else {
        return repos;
    };
    let mut hits: Vec<(u32, Repo)> = repos
        .into_iter()
        .filter_map(|r| Some((score_of(&r)?, r)))
        .collect();
    hits.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.full_name.cmp(&b.1.full_name))
    });
    hits.into_iter().map(|(_, r)| r).collect()
}

/// The score [`filter_ranked`] ranks by, one repository at a time, so that `repos` can keep
/// only the matches of each page as it arrives; `None` for a blank query (everything matches).
pub fn scorer(query: &str) -> Option<impl FnMut(&Repo) -> Option<u32> + use<>> {
    if blank(query) {
        return None;
    }
    let pattern = pattern(query);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut chars = Vec::new();
    Some(move |r: &Repo| score(&pattern, &PackedRepo::new(r), &mut matcher, &mut chars))
}
