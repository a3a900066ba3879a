//! The repository list: rows as they arrive, a fuzzy filter, a sort order and the selection.
//!
//! Sized for 100,000 rows: rows are packed (`repo_row`), both sort orders are kept as pages
//! arrive, a query that extends the previous one only re-scores the rows that still match,
//! and a new query is scored a slice at a time so that typing never waits for the whole list.

use std::cmp::Ordering;
use std::time::Duration;

use nucleo_matcher::pattern::Pattern;
use nucleo_matcher::{Config, Matcher};
use tui_input::Input;

use super::form::edit_input;
use super::msg::{EditKey, RequestId};
use crate::core::fuzzy::{blank, score};
use crate::core::repo_row::{PackedRepo, cmp_names, cmp_recent};
// The filter is core's (the CLI ranks with it too); named here as before.
use crate::core::fuzzy::pattern;
use crate::core::model::{Problem, Repo};

/// Rows moved by PgUp/PgDn until the app reports the list's height (`Msg::Viewport`).
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
    rows: Vec<PackedRepo>,
    /// Every row in name order and in recently-updated order, kept as pages arrive, so that
    /// neither clearing the filter nor switching the order sorts 100,000 rows.
    by_name: Vec<u32>,
    by_recent: Vec<u32>,
    /// Sort keys per row, side by side in memory: inserting a page binary-searches the
    /// orders, and reading keys here instead of in scattered rows saves a cache miss or two
    /// per comparison (pages of 1,000 took 13 ms without them).
    name_keys: Vec<u128>,
    recent_keys: Vec<u64>,
    /// Score of each row for `applied_query`; `NO_MATCH` for rows it filters out.
    scores: Vec<u32>,
    /// Rows that pass the filter, in display order: best match first, ties in sort order.
    pub visible: Vec<u32>,
    /// Index into `visible`.
    pub cursor: usize,
    pub filter: Input,
    pub filter_focused: bool,
    pub sort: SortOrder,
    pub load: LoadState,
    pub total_hint: Option<usize>,
    /// The query `visible` was computed for.
    applied_query: String,
    /// The filtering in progress for the query as typed, done a slice per loop turn.
    job: Option<FilterJob>,
    matcher: Matcher,
    /// Scratch for haystacks that are not ASCII (nucleo matches those as `char`s).
    chars: Vec<char>,
    /// Rows scored per slice. The app sizes it from measured turns (`SliceBudget`, sent with
    /// `Msg::Work`) so that a slice takes about `SLICE_TIME`; the wizard itself never reads
    /// the clock. Tests make it small.
    pub slice_rows: usize,
    /// Rows the list shows on screen: what PgUp/PgDn move.
    pub page_rows: usize,
}

/// Filtering for a new query, done in slices so that no keystroke holds the loop for more
/// than one slice: the previous result stays on screen until the new one is complete.
struct FilterJob {
    query: String,
    pattern: Pattern,
    /// The rows to score, in row order: rows were packed in that order, so scoring walks
    /// memory forwards instead of jumping about as the sort order would (cache misses
    /// dominated the cost when it did).
    candidates: Vec<u32>,
    next: usize,
    /// `(score, row)` in row order.
    hits: Vec<(u32, u32)>,
    /// Rows that arrived while the job ran: scored when it completes.
    late: Vec<u32>,
}

const NO_MATCH: u32 = u32::MAX;

/// Rows scored per slice of filtering at most.
pub const SLICE_ROWS: usize = 20_000;
/// Rows per slice at least, however slow the turns measured.
pub const MIN_SLICE_ROWS: usize = 256;
/// Time a slice may take in the app before the budget shrinks. Scoring costs 0.05 to 0.5 µs
/// a row, so a slice of 100,000 rows could take 50 ms; the loop must answer the next key
/// within 5 ms, and a frame may still have to be drawn in the same turn.
pub const SLICE_TIME: Duration = Duration::from_millis(2);

/// How many rows a slice may score, learnt from how long slices took. Pure: the caller
/// (the app, or a bench mirroring it) measures the time and reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SliceBudget {
    rows: usize,
}

/// The app's slice at most: about 1 ms at 0.5 µs a row, the slow end of scoring (a
/// two-letter query over long haystacks). Not more, even when cheap one-letter queries
/// taught the budget that more would fit: the next query may cost ten times as much a row.
pub const APP_SLICE_ROWS: usize = 2_048;

impl Default for SliceBudget {
    fn default() -> Self {
        SliceBudget {
            rows: APP_SLICE_ROWS,
        }
    }
}

impl SliceBudget {
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// A slice of `rows` took `took`. A slice that used its whole budget tells the cost of a
    /// row; one that finished early only matters when it was still too slow.
    pub fn observe(&mut self, rows: usize, took: Duration, finished: bool) {
        let took_ns = took.as_nanos().max(1);
        if finished && took <= SLICE_TIME {
            return;
        }
        let fitting = (rows as u128 * SLICE_TIME.as_nanos() / took_ns) as usize;
        // Halfway towards what would have fitted: one preempted turn does not collapse it.
        let next = (self.rows + fitting) / 2;
        self.rows = next.clamp(MIN_SLICE_ROWS, APP_SLICE_ROWS);
    }
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
            by_name: Vec::new(),
            by_recent: Vec::new(),
            name_keys: Vec::new(),
            recent_keys: Vec::new(),
            scores: Vec::new(),
            visible: Vec::new(),
            cursor: 0,
            filter: Input::default(),
            filter_focused: false,
            sort: SortOrder::Name,
            load: LoadState::Idle,
            total_hint: None,
            applied_query: String::new(),
            job: None,
            matcher: Matcher::new(Config::DEFAULT),
            chars: Vec::new(),
            slice_rows: SLICE_ROWS,
            page_rows: PAGE,
        }
    }
}

fn index(i: usize) -> u32 {
    // The list is bounded far below 4 billion rows by memory long before this matters.
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl RepoList {
    /// A fresh list for a new load; the filter text and sort order are kept.
    pub fn restart(&mut self, id: RequestId) {
        self.rows.clear();
        self.by_name.clear();
        self.by_recent.clear();
        self.name_keys.clear();
        self.recent_keys.clear();
        self.scores.clear();
        self.visible.clear();
        self.cursor = 0;
        self.total_hint = None;
        self.job = None;
        self.load = LoadState::Loading { id };
        // Rows of the new load are filtered by the query as typed.
        self.applied_query = self.filter.value().to_string();
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

    /// Repositories loaded so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A row by its id (an entry of `visible`).
    pub fn row(&self, id: u32) -> Option<&PackedRepo> {
        self.rows.get(id as usize)
    }

    pub fn selected_row(&self) -> Option<&PackedRepo> {
        self.visible.get(self.cursor).and_then(|&i| self.row(i))
    }

    pub fn selected(&self) -> Option<Repo> {
        self.selected_row().map(PackedRepo::to_repo)
    }

    /// Whether a filter is still being computed (the screen shows the previous result).
    pub fn filtering(&self) -> bool {
        self.job.is_some()
    }

    fn order_vec(&self, sort: SortOrder) -> &Vec<u32> {
        match sort {
            SortOrder::Name => &self.by_name,
            SortOrder::RecentlyUpdated => &self.by_recent,
        }
    }

    fn order_mut(&mut self, sort: SortOrder) -> &mut Vec<u32> {
        match sort {
            SortOrder::Name => &mut self.by_name,
            SortOrder::RecentlyUpdated => &mut self.by_recent,
        }
    }

    fn cmp_rows(&self, sort: SortOrder, a: u32, b: u32) -> Ordering {
        let (a, b) = (a as usize, b as usize);
        let (ra, rb) = (&self.rows[a], &self.rows[b]);
        match sort {
            SortOrder::Name => self.name_keys[a]
                .cmp(&self.name_keys[b])
                .then_with(|| cmp_names(ra, rb)),
            SortOrder::RecentlyUpdated => self.recent_keys[a]
                .cmp(&self.recent_keys[b])
                .then_with(|| self.name_keys[a].cmp(&self.name_keys[b]))
                .then_with(|| cmp_recent(ra, rb)),
        }
    }

    /// Display order: best match first, ties in the chosen sort order.
    fn cmp_visible(&self, a: u32, b: u32) -> Ordering {
        self.scores[b as usize]
            .cmp(&self.scores[a as usize])
            .then_with(|| self.cmp_rows(self.sort, a, b))
    }

    pub fn push(&mut self, repos: Vec<Repo>) {
        let start = self.rows.len();
        self.rows.extend(repos.iter().map(PackedRepo::new));
        drop(repos);
        for row in &self.rows[start..] {
            self.name_keys.push(row.name_key());
            self.recent_keys.push(row.recent_key());
        }
        let fresh: Vec<u32> = (start..self.rows.len()).map(index).collect();
        for sort in [SortOrder::Name, SortOrder::RecentlyUpdated] {
            let mut page = fresh.clone();
            page.sort_by(|&a, &b| self.cmp_rows(sort, a, b));
            // Out of `self` while inserting: the comparisons read the rows and keys.
            let mut order = std::mem::take(self.order_mut(sort));
            insert_sorted(&mut order, &page, |a, b| self.cmp_rows(sort, a, b));
            *self.order_mut(sort) = order;
        }
        self.scores.resize(self.rows.len(), NO_MATCH);
        match &mut self.job {
            // The screen shows the previous query's result until the job is done; these rows
            // join the new one.
            Some(job) => job.late.extend_from_slice(&fresh),
            None => self.merge_applied(&fresh),
        }
    }

    /// Scores `rows` for the applied query and merges the matching ones into `visible`.
    fn merge_applied(&mut self, rows: &[u32]) {
        // A cursor on the first row stays on the first row (the user has not moved yet);
        // elsewhere it stays on the repository it was on.
        let selected = (self.cursor > 0)
            .then(|| self.visible.get(self.cursor).copied())
            .flatten();
        if blank(&self.applied_query) {
            // Everything shows, in sort order: the kept order is the answer.
            for &i in rows {
                self.scores[i as usize] = 0;
            }
            self.visible = self.order_vec(self.sort).clone();
            self.reselect(selected);
            return;
        }
        let pattern = pattern(&self.applied_query);
        let mut hits = Vec::with_capacity(rows.len());
        for &i in rows {
            let s = score(
                &pattern,
                &self.rows[i as usize],
                &mut self.matcher,
                &mut self.chars,
            );
            self.scores[i as usize] = s.unwrap_or(NO_MATCH);
            if s.is_some() {
                hits.push(i);
            }
        }
        hits.sort_by(|&a, &b| self.cmp_visible(a, b));
        let mut visible = std::mem::take(&mut self.visible);
        insert_sorted(&mut visible, &hits, |a, b| self.cmp_visible(a, b));
        self.visible = visible;
        self.reselect(selected);
    }

    pub fn edit_filter(&mut self, key: EditKey) {
        edit_input(&mut self.filter, key);
        self.refilter();
    }

    pub fn clear_filter(&mut self) {
        self.edit_filter(EditKey::End);
        self.edit_filter(EditKey::ClearLine);
    }

    pub fn toggle_sort(&mut self) {
        self.sort = match self.sort {
            SortOrder::Name => SortOrder::RecentlyUpdated,
            SortOrder::RecentlyUpdated => SortOrder::Name,
        };
        let selected = self.visible.get(self.cursor).copied();
        self.visible = self.ordered_matches();
        self.reselect(selected);
    }

    /// The rows `scores` keeps, in display order: walking the sort order yields them in
    /// sort order, and a stable sort by score alone then gives best match first.
    fn ordered_matches(&self) -> Vec<u32> {
        let hits: Vec<(u32, u32)> = self
            .order_vec(self.sort)
            .iter()
            .filter(|&&i| self.scores[i as usize] != NO_MATCH)
            .map(|&i| (self.scores[i as usize], i))
            .collect();
        by_score(hits)
    }

    fn refilter(&mut self) {
        let query = self.filter.value().to_string();
        let pending = self.job.as_ref().map(|j| j.query.as_str());
        if pending == Some(query.as_str()) || (pending.is_none() && query == self.applied_query) {
            return;
        }
        self.abandon_job();
        if query == self.applied_query {
            // Typed and taken back before its job finished: `visible` is still this query's.
            return;
        }
        // A new query puts the best match under the cursor, so Enter picks what was typed.
        if blank(&query) {
            self.visible = self.order_vec(self.sort).clone();
            self.scores.iter_mut().for_each(|s| *s = 0);
            self.applied_query = query;
            self.cursor = 0;
            return;
        }
        // A backslash escapes the next character, so appending to a query with one in it
        // can change an earlier atom: then the old matches are no superset, start over.
        let narrowing = !blank(&self.applied_query)
            && query.starts_with(&self.applied_query)
            && !query.contains('\\');
        let candidates: Vec<u32> = if narrowing {
            (0..self.rows.len())
                .filter(|&i| self.scores[i] != NO_MATCH)
                .map(index)
                .collect()
        } else {
            (0..self.rows.len()).map(index).collect()
        };
        self.job = Some(FilterJob {
            pattern: pattern(&query),
            query,
            hits: Vec::with_capacity(candidates.len().min(4096)),
            candidates,
            next: 0,
            late: Vec::new(),
        });
        self.work_slice();
    }

    /// One slice of the filter in progress; true when nothing is left.
    pub fn work_slice(&mut self) -> bool {
        self.work(self.slice_rows.max(1))
    }

    /// Drops the filter in progress; rows that arrived meanwhile join the applied result.
    fn abandon_job(&mut self) {
        if let Some(job) = self.job.take() {
            self.merge_applied(&job.late);
        }
    }

    /// Scores up to `budget` rows of the filter in progress; true when nothing is left.
    pub fn work(&mut self, budget: usize) -> bool {
        let Some(job) = &mut self.job else {
            return true;
        };
        let end = job.next.saturating_add(budget).min(job.candidates.len());
        for &i in &job.candidates[job.next..end] {
            if let Some(s) = score(
                &job.pattern,
                &self.rows[i as usize],
                &mut self.matcher,
                &mut self.chars,
            ) {
                job.hits.push((s, i));
            }
        }
        job.next = end;
        if end < job.candidates.len() {
            return false;
        }
        self.complete();
        true
    }

    /// Runs the filter in progress to its end (sort toggles, headless use, tests).
    pub fn finish_filter(&mut self) {
        while !self.work(usize::MAX) {}
    }

    fn complete(&mut self) {
        let Some(job) = self.job.take() else { return };
        self.scores.clear();
        self.scores.resize(self.rows.len(), NO_MATCH);
        for &(s, i) in &job.hits {
            self.scores[i as usize] = s;
        }
        for i in job.late {
            if let Some(s) = score(
                &job.pattern,
                &self.rows[i as usize],
                &mut self.matcher,
                &mut self.chars,
            ) {
                self.scores[i as usize] = s;
            }
        }
        self.visible = self.ordered_matches();
        self.applied_query = job.query;
        self.cursor = 0;
    }

    /// Keep the highlighted row under the cursor when the view changes under it.
    fn reselect(&mut self, selected: Option<u32>) {
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

/// `(score, row)` pairs already in sort order, best score first and stable within a score:
/// a counting sort when the scores span a small range (they do: nucleo scores are small
/// integers), a stable comparison sort otherwise.
fn by_score(mut hits: Vec<(u32, u32)>) -> Vec<u32> {
    let (Some(lo), Some(hi)) = (
        hits.iter().map(|h| h.0).min(),
        hits.iter().map(|h| h.0).max(),
    ) else {
        return Vec::new();
    };
    let span = (hi - lo) as usize + 1;
    if span > 1 << 16 {
        hits.sort_by_key(|h| std::cmp::Reverse(h.0));
        return hits.into_iter().map(|h| h.1).collect();
    }
    // Bucket k holds score hi - k, so buckets come out best first.
    let mut starts = vec![0usize; span + 1];
    for h in &hits {
        starts[(hi - h.0) as usize + 1] += 1;
    }
    for k in 1..=span {
        starts[k] += starts[k - 1];
    }
    let mut out = vec![0u32; hits.len()];
    for h in &hits {
        let slot = &mut starts[(hi - h.0) as usize];
        out[*slot] = h.1;
        *slot += 1;
    }
    out
}

/// Inserts `new` (sorted by `cmp`) into `into` (sorted by `cmp`), after equal elements:
/// binary searches and one pass of moves, instead of comparing every element as a merge does.
fn insert_sorted(into: &mut Vec<u32>, new: &[u32], cmp: impl Fn(u32, u32) -> Ordering) {
    if new.is_empty() {
        return;
    }
    let mut positions = Vec::with_capacity(new.len());
    let mut lo = 0;
    for &n in new {
        let p = lo + into[lo..].partition_point(|&e| cmp(e, n) != Ordering::Greater);
        positions.push(p);
        lo = p;
    }
    let old_len = into.len();
    into.resize(old_len + new.len(), 0);
    let (mut src, mut dst) = (old_len, into.len());
    for (k, &p) in positions.iter().enumerate().rev() {
        let moved = src - p;
        into.copy_within(p..src, dst - moved);
        dst -= moved + 1;
        src = p;
        into[dst] = new[k];
    }
}

// --- The repository step's transitions. Imported here, apart from the fuzzy filter above,
// which is to move to `core`.

use super::msg::{Effect, Msg};
use super::{CheckState, Step, Wizard, back, go};
use crate::core::model::{Provider, RepoPage};

pub(super) fn step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    let list = &mut w.repos;
    if list.filter_focused {
        match msg {
            Msg::Edit(key) => list.edit_filter(key),
            // Enter keeps the filter and returns to the list; Esc clears it in one press.
            Msg::Confirm => list.filter_focused = false,
            Msg::Back => {
                list.clear_filter();
                list.filter_focused = false;
            }
            Msg::Up => list.move_by(-1),
            Msg::Down => list.move_by(1),
            Msg::PageUp => list.move_by(-(list.page_rows as isize)),
            Msg::PageDown => list.move_by(list.page_rows as isize),
            _ => {}
        }
        return Vec::new();
    }
    match msg {
        Msg::Up => list.move_by(-1),
        Msg::Down => list.move_by(1),
        Msg::PageUp => list.move_by(-(list.page_rows as isize)),
        Msg::PageDown => list.move_by(list.page_rows as isize),
        Msg::Home => list.home(),
        Msg::End => list.end(),
        Msg::FocusFilter => list.filter_focused = true,
        // A letter typed on the list is the start of a filter (it used to be a command).
        Msg::Edit(key) => {
            list.filter_focused = true;
            list.edit_filter(key);
        }
        // Data Center gives no update time: sorting by it would change nothing.
        Msg::ToggleSort if w.provider == Provider::Cloud => list.toggle_sort(),
        Msg::Retry if matches!(list.load, LoadState::Failed(_)) => return start_repos(w),
        Msg::Confirm => {
            if let Some(repo) = list.selected() {
                w.chosen_repo = Some(repo);
                let mut effects = leave_repos(w);
                effects.extend(go(w, Step::GitAccess));
                return effects;
            }
            // A credential that sees no repository at all (a fresh bot user) is still worth
            // saving: the connection works, a repository can be granted later.
            if list.is_empty() && list.load == LoadState::Done {
                w.chosen_repo = None;
                return go(w, Step::Save);
            }
        }
        // Esc with a kept filter clears it first; with none it goes back.
        Msg::Back if !list.query().is_empty() => list.clear_filter(),
        Msg::Back => return back(w),
        _ => {}
    }
    Vec::new()
}

pub(super) fn leave_repos(w: &mut Wizard) -> Vec<Effect> {
    if w.repos.loading_id().is_some() {
        // Partially loaded: the next visit loads again from the start.
        w.repos.load = LoadState::Idle;
        vec![Effect::CancelRepos]
    } else {
        Vec::new()
    }
}

pub(super) fn start_repos(w: &mut Wizard) -> Vec<Effect> {
    let Some(creds) = w.checked.clone() else {
        return Vec::new();
    };
    let id = w.fresh_id();
    w.repos_for = match w.check {
        CheckState::Finished { id, .. } => Some(id),
        _ => None,
    };
    w.repos.restart(id);
    vec![Effect::LoadRepos {
        id,
        creds,
        allow_http: w.allow_http,
    }]
}

pub(super) fn on_page(w: &mut Wizard, id: RequestId, page: RepoPage) {
    if w.repos.loading_id() == Some(id) {
        if page.total_hint.is_some() {
            w.repos.total_hint = page.total_hint;
        }
        w.repos.push(page.repos);
    }
}

pub(super) fn on_done(w: &mut Wizard, id: RequestId, result: Result<(), Problem>) {
    if w.repos.loading_id() == Some(id) {
        w.repos.load = match result {
            Ok(()) => LoadState::Done,
            Err(problem) => LoadState::Failed(problem),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fuzzy::{filter_ranked, highlights};

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
            .filter_map(|&i| list.row(i))
            .map(PackedRepo::name)
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
        assert_eq!(list.selected_row().map(PackedRepo::name), Some("a"));
        list.move_by(1); // "m"
        list.push(vec![repo("ws", "b", "2026")]);
        assert_eq!(list.selected_row().map(PackedRepo::name), Some("m"));
    }

    #[test]
    fn sort_toggles_to_recent_and_keeps_selection() {
        let mut list = sample();
        list.move_by(1); // Mid-Api
        list.toggle_sort();
        assert_eq!(names(&list), ["zeta-api", "Mid-Api", "alpha-web"]);
        assert_eq!(list.selected_row().map(PackedRepo::name), Some("Mid-Api"));
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

    fn many(n: usize) -> Vec<Repo> {
        (0..n)
            .map(|i| {
                repo(
                    &format!("ws{}", i % 4),
                    &format!("svc-{i}-{}", ["api", "web", "etl"][i % 3]),
                    &format!("2026-01-{:02}T00:00:00Z", 1 + i % 28),
                )
            })
            .collect()
    }

    #[test]
    fn a_filter_is_computed_in_slices_and_shows_the_previous_result_meanwhile() {
        let mut list = RepoList {
            slice_rows: 100,
            ..RepoList::default()
        };
        list.push(many(450));
        typed(&mut list, "api");
        assert!(list.filtering(), "450 rows take five slices of 100");
        assert_eq!(
            list.visible.len(),
            450,
            "the unfiltered list stays meanwhile"
        );
        let mut slices = 1;
        loop {
            slices += 1;
            if list.work_slice() {
                break;
            }
        }
        assert_eq!(slices, 5);
        assert!(!list.filtering());
        assert_eq!(list.visible.len(), 150);
        let mut fresh = RepoList::default();
        fresh.push(many(450));
        typed(&mut fresh, "api");
        assert_eq!(list.visible, fresh.visible, "sliced equals in one go");
    }

    #[test]
    fn a_key_typed_mid_filter_replaces_the_job_and_rows_arriving_join_it() {
        let mut list = RepoList {
            slice_rows: 100,
            ..RepoList::default()
        };
        list.push(many(300));
        typed(&mut list, "w");
        assert!(list.filtering());
        typed(&mut list, "eb");
        list.push(vec![repo("late", "late-web", "2026-02-01T00:00:00Z")]);
        list.finish_filter();
        assert_eq!(list.query(), "web");
        assert_eq!(list.visible.len(), 101, "100 web rows and the late one");
        assert!(names(&list).contains(&"late-web"));
        // Taking a key back before its slices ran leaves the applied result as it was.
        list.edit_filter(EditKey::Char('x'));
        list.edit_filter(EditKey::Backspace);
        assert!(!list.filtering());
        assert_eq!(list.visible.len(), 101);
    }

    #[test]
    fn sorting_mid_filter_applies_to_its_result() {
        let mut list = RepoList {
            slice_rows: 50,
            ..RepoList::default()
        };
        list.push(many(200));
        typed(&mut list, "etl");
        list.toggle_sort();
        assert!(list.filtering(), "the filter goes on");
        assert_eq!(list.sort, SortOrder::RecentlyUpdated);
        list.finish_filter();
        let mut fresh = RepoList::default();
        fresh.push(many(200));
        fresh.toggle_sort();
        typed(&mut fresh, "etl");
        assert_eq!(list.visible, fresh.visible);
        assert_eq!(list.visible.len(), 66);
    }

    #[test]
    fn slice_budget_learns_the_rows_that_fit_the_slice_time() {
        let mut b = SliceBudget::default();
        let start = b.rows();
        // A full slice took twice the target: halfway towards half as many rows.
        b.observe(start, SLICE_TIME * 2, false);
        assert_eq!(b.rows(), (start + start / 2) / 2);
        // Fast full slices grow it back, up to the ceiling.
        for _ in 0..30 {
            b.observe(b.rows(), SLICE_TIME / 10, false);
        }
        assert_eq!(b.rows(), APP_SLICE_ROWS);
        // A slice that finished early and in time says nothing about the cost of a row.
        b.observe(10, Duration::from_micros(1), true);
        assert_eq!(b.rows(), APP_SLICE_ROWS);
        // A very slow one shrinks it, never below the floor.
        for _ in 0..30 {
            b.observe(b.rows(), Duration::from_secs(1), true);
        }
        assert_eq!(b.rows(), MIN_SLICE_ROWS);
    }

    #[test]
    fn insert_sorted_keeps_order_and_puts_new_after_equals() {
        let mut v = vec![10, 20, 20, 30];
        insert_sorted(&mut v, &[5, 20, 25, 40], |a, b| (a / 10).cmp(&(b / 10)));
        assert_eq!(v, [5, 10, 20, 20, 20, 25, 30, 40]);
        let mut empty = Vec::new();
        insert_sorted(&mut empty, &[1, 2], |a, b| a.cmp(&b));
        assert_eq!(empty, [1, 2]);
    }

    #[test]
    fn by_score_is_best_first_and_stable() {
        assert_eq!(
            by_score(vec![(1, 7), (3, 8), (1, 9), (3, 10)]),
            [8, 10, 7, 9]
        );
        assert_eq!(
            by_score(vec![(0, 1), (u32::MAX - 1, 2)]),
            [2, 1],
            "wide span"
        );
        assert!(by_score(Vec::new()).is_empty());
    }

    #[test]
    fn headless_filter_uses_the_same_matcher() {
        let repos = vec![
            repo("acme", "payments-api", "2026"),
            repo("acme", "ledger", "2026"),
            repo("other", "pay", "2026"),
        ];
        let got: Vec<String> = filter_ranked(repos, "pay")
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(got.len(), 2);
        assert!(got.contains(&"pay".to_string()) && got.contains(&"payments-api".to_string()));
        let ws = filter_ranked(vec![repo("acme", "x", "2026")], "acme");
        assert_eq!(ws.len(), 1, "the workspace is searched");
    }

    mod model {
        //! The list against a plain reference: after any mix of pages, keys and sort
        //! toggles, `visible` is every matching row ordered by score then sort order.
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Op {
            Page(Vec<(u8, u8, u8)>),
            Key(char),
            Backspace,
            Clear,
            Toggle,
            Slice,
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                prop::collection::vec((0u8..6, 0u8..6, 0u8..5), 0..12).prop_map(Op::Page),
                prop::sample::select(vec!['a', 'p', 'i', 'e', 'b', ' ', 'W', '1', '\\'])
                    .prop_map(Op::Key),
                Just(Op::Backspace),
                Just(Op::Clear),
                Just(Op::Toggle),
                Just(Op::Slice),
                Just(Op::Slice),
            ]
        }

        fn expected(list: &RepoList) -> Vec<String> {
            let query = list.query();
            let pat = pattern(query);
            let mut m = Matcher::new(Config::DEFAULT);
            let mut chars = Vec::new();
            let mut rows: Vec<(u32, &PackedRepo)> = (0..list.len())
                .filter_map(|i| list.row(index(i)))
                .filter_map(|r| {
                    if blank(query) {
                        Some((0, r))
                    } else {
                        score(&pat, r, &mut m, &mut chars).map(|s| (s, r))
                    }
                })
                .collect();
            rows.sort_by(|a, b| {
                b.0.cmp(&a.0).then_with(|| match list.sort {
                    SortOrder::Name => cmp_names(a.1, b.1),
                    SortOrder::RecentlyUpdated => cmp_recent(a.1, b.1),
                })
            });
            rows.iter()
                .map(|(_, r)| r.full_name().to_string())
                .collect()
        }

        proptest! {
            #[test]
            fn visible_matches_the_reference(ops in prop::collection::vec(op(), 1..40)) {
                let mut list = RepoList {
                    slice_rows: 7,
                    ..RepoList::default()
                };
                let mut n = 0;
                let words = ["api", "web", "Pay", "etl", "a b", "ünï"];
                for op in ops {
                    match op {
                        Op::Page(page) => list.push(page.into_iter().map(|(w, x, d)| {
                            n += 1;
                            let mut r = repo(
                                &format!("ws{x}"),
                                &format!("{}-{}", words[w as usize], n),
                                &format!("2026-01-0{}", d + 1),
                            );
                            if d == 4 {
                                r.updated_on = None;
                            }
                            r
                        }).collect()),
                        Op::Key(c) => list.edit_filter(EditKey::Char(c)),
                        Op::Backspace => list.edit_filter(EditKey::Backspace),
                        Op::Clear => list.edit_filter(EditKey::ClearLine),
                        Op::Toggle => list.toggle_sort(),
                        Op::Slice => { list.work_slice(); }
                    }
                }
                list.finish_filter();
                let got: Vec<String> = list.visible.iter()
                    .filter_map(|&i| list.row(i))
                    .map(|r| r.full_name().to_string())
                    .collect();
                prop_assert_eq!(got, expected(&list));
                prop_assert!(list.cursor <= list.visible.len().saturating_sub(1));
            }
        }
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
        for q in ["s", "se", "ser", "serv", "service-99", "x", "s"] {
            let t = Instant::now();
            list.filter = Input::from(q);
            list.refilter();
            let first = t.elapsed();
            list.finish_filter();
            println!(
                "query {q:?}: {} rows in {:?} (first slice {first:?})",
                list.visible.len(),
                t.elapsed()
            );
        }
        let pat = pattern("s");
        let mut m = Matcher::new(Config::DEFAULT);
        let mut chars = Vec::new();
        let t = Instant::now();
        let n = list
            .rows
            .iter()
            .filter(|r| score(&pat, r, &mut m, &mut chars).is_some())
            .count();
        println!("raw scoring of {n} rows: {:?}", t.elapsed());
        let t = Instant::now();
        let n = list
            .rows
            .iter()
            .filter(|r| r.haystack().contains('s'))
            .count();
        println!("substring scan of {n} rows: {:?}", t.elapsed());
        let t = Instant::now();
        list.toggle_sort();
        println!("sort toggle: {:?}", t.elapsed());
    }
}
