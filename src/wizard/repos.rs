//! The repository list: rows as they arrive, a fuzzy filter, a sort order and the selection.
//!
//! Sized for 100,000 rows: haystacks are built once per row, a query that extends the
//! previous one only re-scores the rows that still match, and new pages are merged into the
//! already ordered view instead of re-sorting everything.

use std::cmp::Ordering;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str, Utf32String};
use tui_input::Input;

use super::form::edit_input;
use super::msg::{EditKey, RequestId};
use crate::bitbucket::model::{Problem, Repo};

/// Rows moved by PgUp/PgDn: the wizard does not know the screen height.
pub const PAGE: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Name,
    RecentlyUpdated,
}

impl SortOrder {
    pub fn label(self) -> &'static str {
        match self {
            SortOrder::Name => "name",
            SortOrder::RecentlyUpdated => "recently updated",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum LoadState {
    Idle,
    Loading { id: RequestId },
    Done,
    Failed(Problem),
}

pub struct RepoList {
    pub rows: Vec<Repo>,
    haystacks: Vec<Utf32String>,
    /// Lower-cased names, built once: comparing them is what sorting spends its time on.
    name_keys: Vec<Box<str>>,
    /// Score of each row for the current query (0 without a query).
    scores: Vec<u32>,
    /// Indices into `rows` that pass the filter, in display order.
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub cursor: usize,
    pub filter: Input,
    pub filter_focused: bool,
    pub sort: SortOrder,
    pub load: LoadState,
    pub total_hint: Option<usize>,
    /// The query `visible` was computed for.
    applied_query: String,
    matcher: Matcher,
}

impl std::fmt::Debug for RepoList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoList")
            .field("rows", &self.rows.len())
            .field("visible", &self.visible.len())
            .field("cursor", &self.cursor)
            .field("filter", &self.filter.value())
            .field("sort", &self.sort)
            .field("load", &self.load)
            .finish_non_exhaustive()
    }
}

impl Default for RepoList {
    fn default() -> Self {
        RepoList {
            rows: Vec::new(),
            haystacks: Vec::new(),
            name_keys: Vec::new(),
            scores: Vec::new(),
            visible: Vec::new(),
            cursor: 0,
            filter: Input::default(),
            filter_focused: false,
            sort: SortOrder::Name,
            load: LoadState::Idle,
            total_hint: None,
            applied_query: String::new(),
            matcher: Matcher::new(Config::DEFAULT),
        }
    }
}

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
    if query.trim().is_empty() {
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

fn haystack(repo: &Repo) -> Utf32String {
    let mut s = String::with_capacity(repo.name.len() + repo.full_name.len() + 32);
    for part in [
        Some(repo.name.as_str()),
        Some(repo.full_name.as_str()),
        repo.project_key.as_deref(),
        repo.project_name.as_deref(),
        repo.workspace.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        s.push_str(part);
        s.push(' ');
    }
    Utf32String::from(s)
}

impl RepoList {
    /// A fresh list for a new load; the filter text and sort order are kept.
    pub fn restart(&mut self, id: RequestId) {
        self.rows.clear();
        self.haystacks.clear();
        self.name_keys.clear();
        self.scores.clear();
        self.visible.clear();
        self.cursor = 0;
        self.total_hint = None;
        self.load = LoadState::Loading { id };
    }

    pub fn loading_id(&self) -> Option<RequestId> {
        match self.load {
            LoadState::Loading { id } => Some(id),
            _ => None,
        }
    }

    pub fn query(&self) -> &str {
        self.filter.value()
    }

    pub fn selected(&self) -> Option<&Repo> {
        self.visible.get(self.cursor).map(|&i| &self.rows[i])
    }

    pub fn push(&mut self, repos: Vec<Repo>) {
        let start = self.rows.len();
        let query = self.applied_query.clone();
        let pat = pattern(&query);
        let mut fresh = Vec::with_capacity(repos.len());
        for (k, repo) in repos.into_iter().enumerate() {
            let hay = haystack(&repo);
            let score = if query.is_empty() {
                Some(0)
            } else {
                pat.score(hay.slice(..), &mut self.matcher)
            };
            self.name_keys
                .push(repo.name.to_lowercase().into_boxed_str());
            self.rows.push(repo);
            self.haystacks.push(hay);
            self.scores.push(score.unwrap_or(0));
            if score.is_some() {
                fresh.push(start + k);
            }
        }
        // A cursor on the first row stays on the first row (the user has not moved yet);
        // elsewhere it stays on the repository it was on.
        let selected = (self.cursor > 0)
            .then(|| self.visible.get(self.cursor).copied())
            .flatten();
        fresh.sort_by(|&a, &b| self.order(a, b));
        self.visible = merge(&self.visible, &fresh, |a, b| self.order(a, b));
        self.reselect(selected);
    }

    pub fn edit_filter(&mut self, key: EditKey) {
        edit_input(&mut self.filter, key);
        self.refilter();
    }

    pub fn toggle_sort(&mut self) {
        self.sort = match self.sort {
            SortOrder::Name => SortOrder::RecentlyUpdated,
            SortOrder::RecentlyUpdated => SortOrder::Name,
        };
        let selected = self.visible.get(self.cursor).copied();
        let mut visible = std::mem::take(&mut self.visible);
        visible.sort_by(|&a, &b| self.order(a, b));
        self.visible = visible;
        self.reselect(selected);
    }

    fn refilter(&mut self) {
        let query = self.filter.value().to_string();
        if query == self.applied_query {
            return;
        }
        // A backslash escapes the next character, so appending to a query with one in it
        // can change an earlier atom: then the old matches are no superset, start over.
        let narrowing = !self.applied_query.is_empty()
            && query.starts_with(&self.applied_query)
            && !query.contains('\\');
        let candidates: Vec<usize> = if narrowing {
            std::mem::take(&mut self.visible)
        } else {
            (0..self.rows.len()).collect()
        };
        let pat = pattern(&query);
        let mut visible = Vec::with_capacity(candidates.len());
        for i in candidates {
            let score = if query.trim().is_empty() {
                Some(0)
            } else {
                pat.score(self.haystacks[i].slice(..), &mut self.matcher)
            };
            if let Some(s) = score {
                self.scores[i] = s;
                visible.push(i);
            }
        }
        visible.sort_by(|&a, &b| self.order(a, b));
        self.visible = visible;
        self.applied_query = query;
        // A new query puts the best match under the cursor, so Enter picks what was typed.
        self.cursor = 0;
    }

    /// Best match first; ties (and the unfiltered list) in the chosen sort order.
    fn order(&self, a: usize, b: usize) -> Ordering {
        self.scores[b]
            .cmp(&self.scores[a])
            .then_with(|| self.sort_order(a, b))
    }

    fn sort_order(&self, a: usize, b: usize) -> Ordering {
        let (ra, rb) = (&self.rows[a], &self.rows[b]);
        let by_name = || {
            self.name_keys[a]
                .cmp(&self.name_keys[b])
                .then_with(|| ra.full_name.cmp(&rb.full_name))
        };
        match self.sort {
            SortOrder::Name => by_name(),
            // RFC 3339 timestamps from one server sort as text; rows without one go last.
            SortOrder::RecentlyUpdated => match (&ra.updated_on, &rb.updated_on) {
                (Some(x), Some(y)) => y.cmp(x).then_with(by_name),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => by_name(),
            },
        }
    }

    /// Keep the highlighted row under the cursor when the view changes under it.
    fn reselect(&mut self, selected: Option<usize>) {
        self.cursor = selected
            .and_then(|row| self.visible.iter().position(|&v| v == row))
            .unwrap_or(0);
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            self.cursor = 0;
            return;
        }
        let last = self.visible.len() - 1;
        self.cursor = self.cursor.saturating_add_signed(delta).min(last);
    }

    pub fn home(&mut self) {
        self.cursor = 0;
    }

    pub fn end(&mut self) {
        self.cursor = self.visible.len().saturating_sub(1);
    }
}

fn merge(a: &[usize], b: &[usize], cmp: impl Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if cmp(b[j], a[i]) == Ordering::Less {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(ws: &str, name: &str, updated: &str) -> Repo {
        Repo {
            full_name: format!("{ws}/{}", name.to_lowercase()),
            name: name.into(),
            slug: name.to_lowercase(),
            workspace: Some(ws.into()),
            project_key: Some("PRJ".into()),
            updated_on: Some(updated.into()),
            ..Repo::default()
        }
    }

    fn names(list: &RepoList) -> Vec<&str> {
        list.visible
            .iter()
            .map(|&i| list.rows[i].name.as_str())
            .collect()
    }

    fn typed(list: &mut RepoList, s: &str) {
        for c in s.chars() {
            list.edit_filter(EditKey::Char(c));
        }
    }

    fn sample() -> RepoList {
        let mut list = RepoList::default();
        list.restart(1);
        list.push(vec![
            repo("acme", "zeta-api", "2026-01-03T00:00:00Z"),
            repo("acme", "alpha-web", "2026-01-01T00:00:00Z"),
        ]);
        list.push(vec![repo("beta", "Mid-Api", "2026-01-02T00:00:00Z")]);
        list
    }

    #[test]
    fn pages_merge_in_name_order() {
        let list = sample();
        assert_eq!(names(&list), ["alpha-web", "Mid-Api", "zeta-api"]);
    }

    #[test]
    fn cursor_on_top_stays_on_top_and_elsewhere_follows_its_row() {
        let mut list = RepoList::default();
        list.push(vec![repo("ws", "m", "2026"), repo("ws", "z", "2026")]);
        list.push(vec![repo("ws", "a", "2026")]);
        assert_eq!(list.cursor, 0);
        assert_eq!(list.selected().map(|r| r.name.as_str()), Some("a"));
        list.move_by(1); // "m"
        list.push(vec![repo("ws", "b", "2026")]);
        assert_eq!(list.selected().map(|r| r.name.as_str()), Some("m"));
    }

    #[test]
    fn sort_toggles_to_recent_and_keeps_selection() {
        let mut list = sample();
        list.move_by(1); // Mid-Api
        list.toggle_sort();
        assert_eq!(names(&list), ["zeta-api", "Mid-Api", "alpha-web"]);
        assert_eq!(list.selected().map(|r| r.name.as_str()), Some("Mid-Api"));
    }

    #[test]
    fn fuzzy_filter_smart_case_and_widening() {
        let mut list = sample();
        typed(&mut list, "api");
        assert_eq!(names(&list).len(), 2);
        assert!(!names(&list).contains(&"alpha-web"));
        list.edit_filter(EditKey::Char('M'));
        // An upper-case letter makes the match case-sensitive: "apiM" matches nothing.
        assert!(names(&list).is_empty());
        list.edit_filter(EditKey::Backspace);
        list.edit_filter(EditKey::ClearLine);
        assert_eq!(
            names(&list).len(),
            3,
            "clearing the query shows everything again"
        );
        list.end();
        typed(&mut list, "beta");
        assert_eq!(names(&list), ["Mid-Api"], "workspace is searched");
        assert_eq!(list.cursor, 0, "a new query selects the best match");
    }

    #[test]
    fn rows_arriving_while_filtered_are_filtered_too() {
        let mut list = sample();
        typed(&mut list, "web");
        list.push(vec![
            repo("acme", "web-two", "2026-01-05T00:00:00Z"),
            repo("acme", "other", "2026-01-05T00:00:00Z"),
        ]);
        assert_eq!(names(&list).len(), 2);
        assert!(names(&list).contains(&"web-two"));
    }

    #[test]
    fn incremental_narrowing_equals_fresh_filter() {
        let mut a = RepoList::default();
        let mut rows = Vec::new();
        for i in 0..500 {
            rows.push(repo(
                &format!("ws{}", i % 3),
                &format!("svc-{i}-api"),
                "2026",
            ));
        }
        a.push(rows.clone());
        typed(&mut a, "s1");
        typed(&mut a, "2");
        let mut b = RepoList::default();
        b.push(rows);
        b.filter = Input::from("s12");
        b.refilter();
        assert_eq!(a.visible, b.visible);
        assert!(!a.visible.is_empty());
    }

    #[test]
    fn escaped_queries_are_filtered_afresh() {
        let mut list = RepoList::default();
        list.push(vec![repo("ws", "a b", "2026"), repo("ws", "a\\x", "2026")]);
        typed(&mut list, "a\\");
        assert_eq!(names(&list), ["a\\x"], "only the row with a backslash");
        typed(&mut list, " ");
        // "a\ " is "a" then an escaped space: a row the previous query did not match
        // matches now, so narrowing the previous result would have lost it.
        assert!(names(&list).contains(&"a b"), "{:?}", names(&list));
    }

    #[test]
    fn highlight_positions() {
        let mut m = Matcher::new(Config::DEFAULT);
        assert_eq!(highlights("zapi", "zeta-api", &mut m), vec![0, 5, 6, 7]);
        assert!(highlights("qqq", "zeta-api", &mut m).is_empty());
        assert!(highlights("", "zeta-api", &mut m).is_empty());
    }

    #[test]
    fn cursor_moves_are_bounded() {
        let mut list = sample();
        list.move_by(-5);
        assert_eq!(list.cursor, 0);
        list.move_by(PAGE as isize);
        assert_eq!(list.cursor, 2);
        list.home();
        assert_eq!(list.cursor, 0);
        list.end();
        assert_eq!(list.cursor, 2);
    }
}

#[cfg(test)]
mod perf {
    use super::*;
    use std::time::Instant;

    /// Timing probe for 100,000 rows: `cargo test --release --lib perf -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn hundred_thousand_rows() {
        let mut list = RepoList::default();
        list.restart(1);
        let t = Instant::now();
        for p in 0..1000 {
            let page = (0..100)
                .map(|i| Repo {
                    full_name: format!("ws{}/service-{p}-{i}", p % 7),
                    name: format!("service-{p}-{i}"),
                    workspace: Some(format!("ws{}", p % 7)),
                    project_key: Some(format!("P{}", p % 13)),
                    updated_on: Some(format!("2026-01-{:02}", 1 + (i % 28))),
                    ..Repo::default()
                })
                .collect();
            list.push(page);
        }
        println!("load 100k in pages of 100: {:?}", t.elapsed());
        for q in ["s", "se", "ser", "serv", "service-99", "x"] {
            let t = Instant::now();
            list.filter = Input::from(q);
            list.refilter();
            println!(
                "query {q:?}: {} rows in {:?}",
                list.visible.len(),
                t.elapsed()
            );
        }
        let t = Instant::now();
        list.toggle_sort();
        println!("sort toggle: {:?}", t.elapsed());
    }
}
