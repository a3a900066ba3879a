//! The simulator's data set: a small description shipped in `assets/sim/dataset.json`, from
//! which the repositories are generated once at start with a seeded PRNG. Same seed, same
//! names on every run, so tests and the demo can rely on them.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

const DATASET: &str = include_str!("../../assets/sim/dataset.json");

#[derive(Debug, Deserialize)]
pub(crate) struct Dataset {
    pub seed: u64,
    pub repos_per_product: usize,
    pub users: Vec<User>,
    pub cloud: CloudSpec,
    pub dc: DcSpec,
    pub words: Words,
    pub hostile: Hostile,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct User {
    pub slug: String,
    pub display_name: String,
    pub email: String,
    pub id: u64,
    pub uuid: String,
    pub account_id: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CloudSpec {
    pub workspaces: Vec<WorkspaceSpec>,
    pub api_tokens: Vec<CloudApiToken>,
    pub app_passwords: Vec<AppPassword>,
    pub repo_tokens: Vec<CloudRepoToken>,
    pub oauth_consumers: Vec<OAuthConsumer>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct WorkspaceSpec {
    pub slug: String,
    pub name: String,
    pub uuid: String,
    pub weight: usize,
    /// `[key, name]` pairs.
    pub projects: Vec<(String, String)>,
    /// user slug -> administrator of the workspace.
    pub members: HashMap<String, bool>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CloudApiToken {
    pub email: String,
    pub secret: String,
    pub user: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AppPassword {
    pub username: String,
    pub secret: String,
    pub user: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CloudRepoToken {
    pub secret: String,
    pub workspace: String,
    pub repo_index: usize,
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OAuthConsumer {
    pub key: String,
    pub secret: String,
    pub user: String,
    pub callback: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DcSpec {
    pub projects: Vec<DcProjectSpec>,
    pub user_tokens: Vec<DcUserToken>,
    pub repo_tokens: Vec<DcRepoToken>,
    pub project_tokens: Vec<DcProjectToken>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DcProjectSpec {
    pub key: String,
    pub name: String,
    pub id: u64,
    pub weight: usize,
    pub public: bool,
    pub description: String,
    #[serde(default)]
    pub personal_owner: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DcUserToken {
    pub user: String,
    pub secret: String,
    pub permission: String,
    /// Project keys the token reaches; `"*"` means every project.
    pub projects: Vec<String>,
    /// Days from the simulator's start to the token's `expiryDate`; absent: it never expires.
    #[serde(default)]
    pub expiry_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DcRepoToken {
    pub secret: String,
    pub project: String,
    pub repo_index: usize,
    pub permission: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DcProjectToken {
    pub secret: String,
    pub project: String,
    pub permission: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Words {
    pub prefixes: Vec<String>,
    pub suffixes: Vec<String>,
    pub descriptions: Vec<String>,
    pub branches: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Hostile {
    pub name: String,
    pub slug: String,
}

/// A Cloud repository. Workspace and project are indexes into [`Data`] so 100,000 of them
/// stay small.
#[derive(Debug, Clone)]
pub(crate) struct CloudRepo {
    pub ws: usize,
    pub project: usize,
    pub slug: String,
    pub name: String,
    pub uuid: String,
    pub description: String,
    pub is_private: bool,
    pub created_on: i64,
    pub updated_on: i64,
    pub mainbranch: String,
}

#[derive(Debug, Clone)]
pub(crate) struct DcRepo {
    pub project: usize,
    pub slug: String,
    pub name: String,
    pub id: u64,
    pub description: String,
    pub public: bool,
    pub archived: bool,
    pub forkable: bool,
    pub default_branch: String,
}

pub(crate) struct Data {
    pub spec: Dataset,
    /// Project uuids per workspace, parallel to `spec.cloud.workspaces[i].projects`.
    pub cloud_project_uuids: Vec<Vec<String>>,
    pub cloud_repos: Vec<CloudRepo>,
    /// For each workspace, the range of `cloud_repos` it owns (repos are grouped by workspace).
    pub cloud_ranges: Vec<std::ops::Range<usize>>,
    pub dc_repos: Vec<DcRepo>,
}

/// splitmix64: tiny, seedable, good enough to pick names; no `rand` needed.
pub(crate) struct Prng(u64);

impl Prng {
    pub fn new(seed: u64) -> Self {
        Prng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a>(&mut self, items: &'a [String]) -> &'a str {
        items
            .get(self.below(items.len()))
            .map(String::as_str)
            .unwrap_or("repo")
    }
    pub fn uuid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{{{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}}}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }
}

/// Splits `total` by weight; the rounding remainder goes to the heaviest first entries.
fn split_by_weight(total: usize, weights: &[usize]) -> Vec<usize> {
    let sum: usize = weights.iter().sum::<usize>().max(1);
    let mut counts: Vec<usize> = weights.iter().map(|w| total * w / sum).collect();
    let mut rest = total - counts.iter().sum::<usize>();
    let mut i = 0;
    while rest > 0 && !counts.is_empty() {
        counts[i % weights.len()] += 1;
        rest -= 1;
        i += 1;
    }
    counts
}

/// Where the hostile repository sits in its owner's list: early enough to be on the first
/// page, not first so that "take the first repository" code paths stay ordinary.
const HOSTILE_INDEX: usize = 3;

/// 2022-01-01T00:00:00Z; repositories were updated between then and about 2026-10.
const EPOCH_2022: i64 = 1_640_995_200;
const SPAN: i64 = 4 * 365 * 24 * 3600 + 270 * 24 * 3600;

struct Namer<'a> {
    words: &'a Words,
    used: HashSet<String>,
}

impl Namer<'_> {
    /// A fresh (slug, name, description) unique within the owner.
    fn next(&mut self, rng: &mut Prng) -> (String, String, String) {
        let p = rng.pick(&self.words.prefixes).to_string();
        let s = rng.pick(&self.words.suffixes).to_string();
        let mut parts = vec![p.clone()];
        if rng.chance(40) {
            parts.push(rng.pick(&self.words.prefixes).to_string());
        }
        parts.push(s.clone());
        let mut slug = parts.join("-");
        let mut n = 2;
        while self.used.contains(&slug) {
            slug = format!("{}-{n}", parts.join("-"));
            n += 1;
        }
        self.used.insert(slug.clone());
        let name = if rng.chance(30) {
            title_case(&slug)
        } else {
            slug.clone()
        };
        let description = rng
            .pick(&self.words.descriptions)
            .replace("{p}", &p)
            .replace("{s}", &s);
        (slug, name, description)
    }
}

/// Exactly `n` workspaces (at least one) of equal weight.
fn widen_workspaces(spaces: &mut Vec<WorkspaceSpec>, n: usize) {
    let n = n.max(1);
    spaces.truncate(n);
    let Some(template) = spaces.first().cloned() else {
        return;
    };
    for i in spaces.len()..n {
        let mut w = template.clone();
        w.slug = format!("{}-{}", template.slug, i + 1);
        w.name = format!("{} {}", template.name, i + 1);
        // Uuids must stay distinct; the template's own differs in its last digits.
        w.uuid = format!("{{00000000-0000-4000-8000-{:012}}}", i + 1);
        spaces.push(w);
    }
    for w in spaces.iter_mut() {
        w.weight = 1;
    }
}

fn title_case(slug: &str) -> String {
    slug.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Data {
    /// Loads the shipped data set and generates `repos` repositories per product (default:
    /// the data set's own figure).
    pub fn load(repos: Option<usize>) -> Result<Data, serde_json::Error> {
        Self::load_with(repos, None)
    }

    /// Like [`Self::load`], with `workspaces` Cloud workspaces of equal size when given: the
    /// shipped ones plus copies of the first (same members, numbered slugs), to measure
    /// listings across many workspaces.
    pub fn load_with(
        repos: Option<usize>,
        workspaces: Option<usize>,
    ) -> Result<Data, serde_json::Error> {
        let mut spec: Dataset = serde_json::from_str(DATASET)?;
        if let Some(n) = workspaces {
            widen_workspaces(&mut spec.cloud.workspaces, n);
        }
        Ok(Self::generate(spec, repos))
    }

    fn generate(spec: Dataset, repos: Option<usize>) -> Data {
        let total = repos.unwrap_or(spec.repos_per_product);
        let mut rng = Prng::new(spec.seed);
        let cloud_project_uuids = spec
            .cloud
            .workspaces
            .iter()
            .map(|w| w.projects.iter().map(|_| rng.uuid()).collect())
            .collect();

        let weights: Vec<usize> = spec.cloud.workspaces.iter().map(|w| w.weight).collect();
        let counts = split_by_weight(total, &weights);
        let mut cloud_repos = Vec::with_capacity(total);
        let mut cloud_ranges = Vec::new();
        for (ws, (spec_ws, count)) in spec.cloud.workspaces.iter().zip(counts).enumerate() {
            let start = cloud_repos.len();
            let mut namer = Namer {
                words: &spec.words,
                used: HashSet::new(),
            };
            let public_workspace = spec_ws.slug.contains("open-source");
            for i in 0..count {
                let (mut slug, mut name, description) = namer.next(&mut rng);
                if ws == 0 && i == HOSTILE_INDEX {
                    slug = spec.hostile.slug.clone();
                    name = spec.hostile.name.clone();
                }
                let created_on = EPOCH_2022 - (rng.below(3 * 365) as i64) * 86_400;
                let updated_on = EPOCH_2022 + (rng.next() % SPAN as u64) as i64;
                cloud_repos.push(CloudRepo {
                    ws,
                    project: rng.below(spec_ws.projects.len()),
                    slug,
                    name,
                    uuid: rng.uuid(),
                    description,
                    is_private: !public_workspace && !rng.chance(20),
                    created_on,
                    updated_on,
                    mainbranch: rng.pick(&spec.words.branches).to_string(),
                });
            }
            cloud_ranges.push(start..cloud_repos.len());
        }

        let weights: Vec<usize> = spec.dc.projects.iter().map(|p| p.weight).collect();
        let counts = split_by_weight(total, &weights);
        let mut dc_repos = Vec::with_capacity(total);
        let mut id = 1;
        for (project, (spec_p, count)) in spec.dc.projects.iter().zip(counts).enumerate() {
            let mut namer = Namer {
                words: &spec.words,
                used: HashSet::new(),
            };
            for i in 0..count {
                let (mut slug, mut name, description) = namer.next(&mut rng);
                if project == 0 && i == HOSTILE_INDEX {
                    slug = spec.hostile.slug.clone();
                    name = spec.hostile.name.clone();
                }
                // The first repositories stay active: tokens and tests point at them.
                let archived = i > HOSTILE_INDEX && rng.chance(3);
                // Personal projects stay private to their owner so they show who sees what.
                let public = rng.chance(5) && spec_p.personal_owner.is_none();
                dc_repos.push(DcRepo {
                    project,
                    slug,
                    name,
                    id,
                    description,
                    public: spec_p.public || public,
                    archived,
                    forkable: rng.chance(90),
                    default_branch: rng.pick(&spec.words.branches).to_string(),
                });
                id += 1;
            }
        }
        Data {
            spec,
            cloud_project_uuids,
            cloud_repos,
            cloud_ranges,
            dc_repos,
        }
    }

    pub fn user(&self, slug: &str) -> Option<&User> {
        self.spec
            .users
            .iter()
            .find(|u| u.slug.eq_ignore_ascii_case(slug))
    }

    pub fn workspace_index(&self, slug: &str) -> Option<usize> {
        self.spec
            .cloud
            .workspaces
            .iter()
            .position(|w| w.slug.eq_ignore_ascii_case(slug))
    }

    pub fn cloud_repo_index(&self, ws: usize, slug: &str) -> Option<usize> {
        let range = self.cloud_ranges.get(ws)?.clone();
        range
            .clone()
            .find(|&i| self.cloud_repos[i].slug.eq_ignore_ascii_case(slug))
    }

    pub fn dc_project_index(&self, key: &str) -> Option<usize> {
        self.spec
            .dc
            .projects
            .iter()
            .position(|p| p.key.eq_ignore_ascii_case(key))
    }

    pub fn dc_repo_index(&self, project: usize, slug: &str) -> Option<usize> {
        self.dc_repos
            .iter()
            .position(|r| r.project == project && r.slug.eq_ignore_ascii_case(slug))
    }

    /// The `n`-th repository of a DC project, as the token table refers to them.
    pub fn dc_repo_nth(&self, project_key: &str, n: usize) -> Option<usize> {
        let p = self.dc_project_index(project_key)?;
        self.dc_repos
            .iter()
            .enumerate()
            .filter(|(_, r)| r.project == p)
            .nth(n)
            .map(|(i, _)| i)
    }

    pub fn cloud_repo_nth(&self, ws_slug: &str, n: usize) -> Option<usize> {
        let ws = self.workspace_index(ws_slug)?;
        let range = self.cloud_ranges.get(ws)?;
        (range.start + n < range.end).then_some(range.start + n)
    }
}

/// Seconds since the epoch now: when a key or hook was made or last changed.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `2024-05-14T09:21:07.000000+00:00`, Cloud's timestamp format, without a date crate.
pub(crate) fn cloud_time(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000000+00:00",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspaces_can_be_widened_to_equal_sizes() {
        let d = Data::load_with(Some(10_000), Some(10)).expect("data");
        assert_eq!(d.spec.cloud.workspaces.len(), 10);
        let slugs: HashSet<&str> = d
            .spec
            .cloud
            .workspaces
            .iter()
            .map(|w| w.slug.as_str())
            .collect();
        assert_eq!(slugs.len(), 10, "slugs are distinct");
        assert!(
            d.cloud_ranges.iter().all(|r| r.len() == 1_000),
            "{:?}",
            d.cloud_ranges
        );
        let fewer = Data::load_with(Some(100), Some(2)).expect("data");
        assert_eq!(fewer.spec.cloud.workspaces.len(), 2);
        assert_eq!(fewer.cloud_repos.len(), 100);
    }

    #[test]
    fn generation_is_deterministic_and_sized() {
        let a = Data::load(None).expect("shipped data set parses");
        let b = Data::load(None).expect("shipped data set parses");
        assert_eq!(a.cloud_repos.len(), 2000);
        assert_eq!(a.dc_repos.len(), 2000);
        let names = |d: &Data| {
            d.dc_repos
                .iter()
                .map(|r| r.slug.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert!(a.spec.cloud.workspaces.len() >= 3);
        assert!(a.spec.dc.projects.len() >= 5);
        assert!(a.spec.dc.projects.iter().any(|p| p.key == "~ALICE"));
        assert!(a.dc_repos.iter().any(|r| r.archived));
        assert!(
            a.cloud_repos.iter().any(|r| r.is_private)
                && a.cloud_repos.iter().any(|r| !r.is_private)
        );
    }

    #[test]
    fn slugs_are_unique_per_owner() {
        let d = Data::load(Some(10_000)).expect("data");
        let mut seen = HashSet::new();
        for r in &d.dc_repos {
            assert!(
                seen.insert((r.project, r.slug.clone())),
                "duplicate {}",
                r.slug
            );
        }
        let mut seen = HashSet::new();
        for r in &d.cloud_repos {
            assert!(seen.insert((r.ws, r.slug.clone())), "duplicate {}", r.slug);
        }
    }

    #[test]
    fn one_hostile_name_per_product() {
        let d = Data::load(None).expect("data");
        assert_eq!(
            d.cloud_repos
                .iter()
                .filter(|r| r.name.contains('\u{1b}'))
                .count(),
            1
        );
        assert_eq!(
            d.dc_repos
                .iter()
                .filter(|r| r.name.contains('\u{1b}'))
                .count(),
            1
        );
    }

    #[test]
    fn cloud_time_formats_known_dates() {
        assert_eq!(cloud_time(0), "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(
            cloud_time(1_709_210_096),
            "2024-02-29T12:34:56.000000+00:00"
        );
    }
}
