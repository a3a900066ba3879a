//! One repository of the list, packed for 100,000 of them: every text in one allocation.
//!
//! A `Repo` holds up to eleven `String`s: eleven allocations and 24 bytes of header each.
//! A list row keeps the texts in one `Box<str>` with end offsets, and the searchable fields
//! come first, so the filter's haystack is a slice of that text rather than a second copy.

use crate::bitbucket::model::Repo;

/// The fields, in their order in the packed text. The searchable ones come first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
enum Field {
    Name,
    FullName,
    ProjectKey,
    ProjectName,
    Workspace,
    Slug,
    DefaultBranch,
    CloneHttps,
    CloneSsh,
    UpdatedOn,
    Description,
}

const FIELDS: usize = 11;
/// Longest field kept, in bytes: eleven of them and their separators fit `u16` offsets.
/// Nothing real comes near (names, paths and clone URLs are short); a hostile server's
/// megabyte "name" is cut instead of bloating every comparison and frame.
pub const MAX_FIELD: usize = 4096;
/// `Name..=Workspace` make the haystack: name, full path, project and workspace.
const SEARCHED: usize = Field::Workspace as usize + 1;
/// Separates fields in the packed text; a space so that the haystack reads as words.
const SEP: char = ' ';

/// Fields stored as empty because `full_name` or the slug already holds them: a shorter
/// haystack scores faster and the row is smaller.
const NAME_IS_SLUG: u16 = 1 << 11;
const KEY_IN_PATH: u16 = 1 << 12;
const WORKSPACE_IN_PATH: u16 = 1 << 13;
const PRIVATE: u16 = 1 << 14;
const ARCHIVED: u16 = 1 << 15;

/// A repository as the list holds it. `Repo` goes in and comes back out unchanged, minus
/// the web link, which no screen shows.
pub struct PackedRepo {
    text: Box<str>,
    /// End of each field in `text` (exclusive); a field starts one separator after the
    /// previous one ends. `u16` is enough: fields are cut at `MAX_FIELD` bytes.
    ends: [u16; FIELDS],
    /// Bit k: optional field k is present; plus `PRIVATE` and `ARCHIVED`.
    flags: u16,
    /// The first 8 bytes of the lower-cased name, big-endian: most name comparisons of the
    /// sort end here without touching the text.
    name_prefix: u64,
}

impl std::fmt::Debug for PackedRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackedRepo")
            .field("full_name", &self.full_name())
            .finish_non_exhaustive()
    }
}

impl PackedRepo {
    pub fn new(repo: &Repo) -> PackedRepo {
        let mut flags = 0u16;
        let in_path = |part: Option<&str>| {
            part.is_some_and(|p| {
                repo.full_name
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/'))
            })
        };
        if repo.name == repo.slug {
            flags |= NAME_IS_SLUG;
        }
        if in_path(repo.project_key.as_deref()) {
            flags |= KEY_IN_PATH;
        }
        if in_path(repo.workspace.as_deref()) {
            flags |= WORKSPACE_IN_PATH;
        }
        fn stored(value: Option<&str>, flags: u16, derived: u16) -> Option<&str> {
            value.map(|v| if flags & derived != 0 { "" } else { v })
        }
        let fields: [Option<&str>; FIELDS] = [
            stored(Some(&repo.name), flags, NAME_IS_SLUG),
            Some(&repo.full_name),
            stored(repo.project_key.as_deref(), flags, KEY_IN_PATH),
            repo.project_name.as_deref(),
            stored(repo.workspace.as_deref(), flags, WORKSPACE_IN_PATH),
            Some(&repo.slug),
            repo.default_branch.as_deref(),
            repo.clone_https.as_deref(),
            repo.clone_ssh.as_deref(),
            repo.updated_on.as_deref(),
            repo.description.as_deref(),
        ];
        let fields = fields.map(|f| f.map(cut));
        let len: usize = fields.iter().map(|f| f.map_or(0, str::len) + 1).sum();
        let mut text = String::with_capacity(len);
        let mut ends = [0u16; FIELDS];
        for (k, field) in fields.iter().enumerate() {
            if k > 0 {
                text.push(SEP);
            }
            if let Some(s) = field {
                text.push_str(s);
                flags |= 1 << k;
            }
            // At most 11 * (MAX_FIELD + 1) bytes: always fits.
            ends[k] = u16::try_from(text.len()).unwrap_or(u16::MAX);
        }
        if repo.private {
            flags |= PRIVATE;
        }
        if repo.archived {
            flags |= ARCHIVED;
        }
        PackedRepo {
            name_prefix: prefix_key(&repo.name),
            text: text.into_boxed_str(),
            ends,
            flags,
        }
    }

    fn get(&self, field: Field) -> &str {
        let from_path = |flag: u16| {
            (self.flags & flag != 0).then(|| {
                let path = self.get(Field::FullName);
                path.split_once('/').map_or(path, |(first, _)| first)
            })
        };
        let derived = match field {
            Field::Name if self.flags & NAME_IS_SLUG != 0 => Some(self.get(Field::Slug)),
            Field::ProjectKey => from_path(KEY_IN_PATH),
            Field::Workspace => from_path(WORKSPACE_IN_PATH),
            _ => None,
        };
        if let Some(value) = derived {
            return value;
        }
        let k = field as usize;
        let start = if k == 0 {
            0
        } else {
            self.ends[k - 1] as usize + 1
        };
        self.text
            .get(start..self.ends[k] as usize)
            .unwrap_or_default()
    }

    fn opt(&self, field: Field) -> Option<&str> {
        (self.flags & (1 << field as usize) != 0).then(|| self.get(field))
    }

    /// What the fuzzy filter searches: name, full path, project key and name, workspace
    /// (each once: a part already in the full path is not repeated).
    pub fn haystack(&self) -> &str {
        self.text
            .get(..self.ends[SEARCHED - 1] as usize)
            .unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.get(Field::Name)
    }

    pub fn full_name(&self) -> &str {
        self.get(Field::FullName)
    }

    pub fn project_key(&self) -> Option<&str> {
        self.opt(Field::ProjectKey)
    }

    pub fn workspace(&self) -> Option<&str> {
        self.opt(Field::Workspace)
    }

    pub fn updated_on(&self) -> Option<&str> {
        self.opt(Field::UpdatedOn)
    }

    pub fn archived(&self) -> bool {
        self.flags & ARCHIVED != 0
    }

    pub fn name_prefix(&self) -> u64 {
        self.name_prefix
    }

    /// The repository back as the rest of the program knows it (for the details pane and the
    /// chosen repository).
    pub fn to_repo(&self) -> Repo {
        let own = |f: Field| self.opt(f).map(str::to_string);
        Repo {
            full_name: self.full_name().to_string(),
            name: self.name().to_string(),
            slug: self.get(Field::Slug).to_string(),
            project_key: own(Field::ProjectKey),
            project_name: own(Field::ProjectName),
            workspace: own(Field::Workspace),
            private: self.flags & PRIVATE != 0,
            archived: self.archived(),
            default_branch: own(Field::DefaultBranch),
            clone_https: own(Field::CloneHttps),
            clone_ssh: own(Field::CloneSsh),
            updated_on: own(Field::UpdatedOn),
            description: own(Field::Description),
            web_url: None,
        }
    }
}

/// `text` cut to at most `MAX_FIELD` bytes, at a character boundary.
fn cut(text: &str) -> &str {
    if text.len() <= MAX_FIELD {
        return text;
    }
    let mut end = MAX_FIELD;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The first 8 bytes of `name` lower-cased, big-endian, zero-padded. Comparing these orders
/// names as comparing the lower-cased strings does, up to the eighth byte (control bytes,
/// which would sort before the padding, never reach the list: names are sanitised).
pub fn prefix_key(name: &str) -> u64 {
    let mut key = [0u8; 8];
    let mut n = 0;
    'outer: for c in name.chars().flat_map(char::to_lowercase) {
        let mut buf = [0u8; 4];
        for &b in c.encode_utf8(&mut buf).as_bytes() {
            if n == key.len() {
                break 'outer;
            }
            key[n] = b;
            n += 1;
        }
    }
    u64::from_be_bytes(key)
}

/// Names compared case-insensitively (Unicode lower case), then by full path so that the
/// order is total.
pub fn cmp_names(a: &PackedRepo, b: &PackedRepo) -> std::cmp::Ordering {
    a.name_prefix
        .cmp(&b.name_prefix)
        .then_with(|| {
            fn lower(r: &PackedRepo) -> impl Iterator<Item = char> + '_ {
                r.name().chars().flat_map(char::to_lowercase)
            }
            lower(a).cmp(lower(b))
        })
        .then_with(|| a.full_name().cmp(b.full_name()))
}

/// Most recently updated first (RFC 3339 times from one server sort as text); rows without
/// a time go last; ties by name.
pub fn cmp_recent(a: &PackedRepo, b: &PackedRepo) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.updated_on(), b.updated_on()) {
        (Some(x), Some(y)) => y.cmp(x).then_with(|| cmp_names(a, b)),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => cmp_names(a, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Repo {
        Repo {
            full_name: "acme/api".into(),
            name: "API service".into(),
            slug: "api".into(),
            project_key: Some("PRJ".into()),
            project_name: Some("Project".into()),
            workspace: Some("acme".into()),
            private: true,
            archived: true,
            default_branch: Some("main".into()),
            clone_https: Some("https://bitbucket.org/acme/api.git".into()),
            clone_ssh: Some("git@bitbucket.org:acme/api.git".into()),
            updated_on: Some("2026-01-02T03:04:05Z".into()),
            description: Some("The API".into()),
            web_url: Some("https://bitbucket.org/acme/api".into()),
        }
    }

    #[test]
    fn a_repo_round_trips_without_its_web_link() {
        let repo = full();
        let back = PackedRepo::new(&repo).to_repo();
        assert_eq!(
            back,
            Repo {
                web_url: None,
                ..repo.clone()
            }
        );
        // Parts that the path holds are stored once and still come back.
        let derived = Repo {
            full_name: "acme/api".into(),
            name: "api".into(),
            slug: "api".into(),
            project_key: Some("acme".into()),
            workspace: Some("acme".into()),
            web_url: None,
            ..repo
        };
        assert_eq!(PackedRepo::new(&derived).to_repo(), derived);
        let slashless = Repo {
            full_name: "odd".into(),
            workspace: Some("odd".into()),
            ..Repo::default()
        };
        assert_eq!(
            PackedRepo::new(&slashless).to_repo(),
            slashless,
            "no `/`: kept as is"
        );
        let bare = Repo {
            full_name: "K/x".into(),
            name: "x".into(),
            slug: "x".into(),
            project_name: Some(String::new()),
            ..Repo::default()
        };
        assert_eq!(
            PackedRepo::new(&bare).to_repo(),
            bare,
            "empty is not absent"
        );
    }

    #[test]
    fn haystack_is_the_searched_fields() {
        let p = PackedRepo::new(&full());
        assert_eq!(p.haystack(), "API service acme/api PRJ Project ");
        assert_eq!(p.name(), "API service");
        assert_eq!(p.workspace(), Some("acme"));
        assert!(p.archived());
        let dc = PackedRepo::new(&Repo {
            full_name: "PRJ/api".into(),
            name: "api".into(),
            slug: "api".into(),
            project_key: Some("PRJ".into()),
            project_name: Some("Payments".into()),
            ..Repo::default()
        });
        assert_eq!(
            dc.haystack(),
            " PRJ/api  Payments ",
            "name and key are in the path"
        );
        assert_eq!(dc.name(), "api");
        assert_eq!(dc.project_key(), Some("PRJ"));
        assert_eq!(dc.workspace(), None);
    }

    #[test]
    fn huge_fields_are_cut_and_the_rest_stays_readable() {
        let huge = "é".repeat(40_000);
        let repo = Repo {
            full_name: format!("acme/{huge}"),
            name: huge.clone(),
            description: Some(huge.clone()),
            clone_https: Some("https://bitbucket.org/acme/x.git".into()),
            ..full()
        };
        let p = PackedRepo::new(&repo);
        assert!(p.name().len() <= MAX_FIELD && p.name().starts_with("éé"));
        let back = p.to_repo();
        assert_eq!(back.clone_https, repo.clone_https, "later fields intact");
        assert_eq!(back.updated_on, repo.updated_on);
        assert!(back.description.is_some_and(|d| d.len() <= MAX_FIELD));
    }

    #[test]
    fn name_order_is_case_insensitive_then_by_path() {
        let r = |name: &str, full: &str| {
            PackedRepo::new(&Repo {
                name: name.into(),
                full_name: full.into(),
                ..Repo::default()
            })
        };
        use std::cmp::Ordering::*;
        assert_eq!(cmp_names(&r("Beta", "a/b"), &r("alpha", "a/a")), Greater);
        assert_eq!(cmp_names(&r("same", "a/x"), &r("SAME", "b/x")), Less);
        assert_eq!(
            cmp_names(&r("payments-long-a", "w/1"), &r("payments-long-b", "w/2")),
            Less,
            "beyond the 8-byte prefix"
        );
        assert_eq!(cmp_names(&r("ab", "w/1"), &r("abc", "w/2")), Less);
        assert_eq!(cmp_names(&r("Ärger", "w/1"), &r("ärger", "w/2")), Less);
        assert!(prefix_key("ab") < prefix_key("abc"));
    }
}
