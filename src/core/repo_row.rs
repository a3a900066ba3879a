//! One repository of the list, packed for 100,000 of them: every text in one allocation.
//!
//! A `Repo` holds up to twelve `String`s: as many allocations and 24 bytes of header each.
//! A list row keeps the texts in one `Box<str>` with end offsets, and the searchable fields
//! come first, so the filter's haystack is a slice of that text rather than a second copy.

use super::model::Repo;

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
    /// The name lower-cased, for sorting; empty when the name already is.
    LowerName,
}

const FIELDS: usize = 12;
/// Longest field kept, in bytes: twelve of them and their separators fit `u16` offsets.
/// Nothing real comes near (names, paths and clone URLs are short); a hostile server's
/// megabyte "name" is cut instead of bloating every comparison and frame.
pub const MAX_FIELD: usize = 4096;
/// `Name..=Workspace` make the haystack: name, full path, project and workspace.
const SEARCHED: usize = Field::Workspace as usize + 1;
/// Separates fields in the packed text; a space so that the haystack reads as words.
const SEP: char = ' ';

/// Fields stored as empty because `full_name` or the slug already holds them: a shorter
/// haystack scores faster and the row is smaller.
const NAME_IS_SLUG: u32 = 1 << 16;
const KEY_IN_PATH: u32 = 1 << 17;
const WORKSPACE_IN_PATH: u32 = 1 << 18;
const NAME_IS_LOWER: u32 = 1 << 19;
const PRIVATE: u32 = 1 << 20;
const ARCHIVED: u32 = 1 << 21;

/// A repository as the list holds it. `Repo` goes in and comes back out unchanged, minus
/// the web link, which no screen shows.
pub struct PackedRepo {
    text: Box<str>,
    /// End of each field in `text` (exclusive); a field starts one separator after the
    /// previous one ends. `u16` is enough: fields are cut at `MAX_FIELD` bytes.
    ends: [u16; FIELDS],
    /// Bit k: optional field k is present; plus `PRIVATE` and `ARCHIVED`.
    flags: u32,
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
        let mut flags = 0u32;
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
        let lower = repo.name.to_lowercase();
        if lower == repo.name {
            flags |= NAME_IS_LOWER;
        }
        fn stored(value: Option<&str>, flags: u32, derived: u32) -> Option<&str> {
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
            stored(Some(&lower), flags, NAME_IS_LOWER),
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
            // At most 12 * (MAX_FIELD + 1) bytes: always fits.
            ends[k] = u16::try_from(text.len()).unwrap_or(u16::MAX);
        }
        if repo.private {
            flags |= PRIVATE;
        }
        if repo.archived {
            flags |= ARCHIVED;
        }
        PackedRepo {
            text: text.into_boxed_str(),
            ends,
            flags,
        }
    }

    fn get(&self, field: Field) -> &str {
        let from_path = |flag: u32| {
            (self.flags & flag != 0).then(|| {
                let path = self.get(Field::FullName);
                path.split_once('/').map_or(path, |(first, _)| first)
            })
        };
        let derived = match field {
            Field::Name if self.flags & NAME_IS_SLUG != 0 => Some(self.get(Field::Slug)),
            Field::LowerName if self.flags & NAME_IS_LOWER != 0 => Some(self.get(Field::Name)),
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

    pub fn lower_name(&self) -> &str {
        self.get(Field::LowerName)
    }

    /// The name's sort key (see `prefix_key`).
    pub fn name_key(&self) -> u128 {
        prefix_key(self.lower_name())
    }

    /// The update time's sort key (see `recent_key`).
    pub fn recent_key(&self) -> u64 {
        recent_key(self.updated_on())
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

/// The first 16 bytes of an already lower-cased name, big-endian, zero-padded: comparing
/// these orders names as comparing the strings does, up to the sixteenth byte (control
/// bytes, which would sort before the padding, never reach the list: names are sanitised).
/// Sixteen, not eight: names of one organisation share long stems ("payments-").
pub fn prefix_key(lower: &str) -> u128 {
    let mut key = [0u8; 16];
    for (slot, b) in key.iter_mut().zip(lower.bytes()) {
        *slot = b;
    }
    u128::from_be_bytes(key)
}

/// A key that orders update times newest first and rows without one last: the digits of
/// `YYYY-MM-DDThh:mm:ss` as one number, subtracted from the maximum. Text order and key
/// order agree for well-formed times; times that are not get one key and fall back on
/// `cmp_recent`'s text comparison.
pub fn recent_key(updated: Option<&str>) -> u64 {
    let Some(t) = updated else {
        return u64::MAX;
    };
    let b = t.as_bytes();
    const DIGITS: [usize; 14] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    let mut n: u64 = 0;
    for &i in &DIGITS {
        match b.get(i) {
            Some(d) if d.is_ascii_digit() => n = n * 10 + u64::from(d - b'0'),
            _ => return u64::MAX - 1,
        }
    }
    // n < 10^14, far below the two sentinels.
    u64::MAX - 2 - n
}

/// Names compared case-insensitively (Unicode lower case), then by full path so that the
/// order is total.
pub fn cmp_names(a: &PackedRepo, b: &PackedRepo) -> std::cmp::Ordering {
    a.lower_name()
        .cmp(b.lower_name())
        .then_with(|| a.full_name().cmp(b.full_name()))
}

/// Most recently updated first, to the second (`recent_key`); rows without a time go last;
/// ties by name, then by the full time text (RFC 3339 times from one server sort as text).
pub fn cmp_recent(a: &PackedRepo, b: &PackedRepo) -> std::cmp::Ordering {
    a.recent_key()
        .cmp(&b.recent_key())
        .then_with(|| cmp_names(a, b))
        .then_with(|| b.updated_on().cmp(&a.updated_on()))
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
        assert_eq!(
            prefix_key("payments-service-a"),
            prefix_key("payments-service-b")
        );
    }

    #[test]
    fn recent_keys_agree_with_text_order() {
        let k = |t: &str| recent_key(Some(t));
        assert!(
            k("2026-01-02T03:04:05Z") < k("2026-01-02T03:04:04Z"),
            "newer first"
        );
        assert!(k("2027-01-01T00:00:00.000000+00:00") < k("2026-12-31T23:59:59Z"));
        assert_eq!(
            k("2026-01-02T03:04:05.9Z"),
            k("2026-01-02T03:04:05.1Z"),
            "same second: the text decides"
        );
        assert!(k("yesterday") < recent_key(None), "malformed before absent");
        assert!(k("2026-01-02T03:04:05Z") < k("yesterday"));
        let r = |t: &str| {
            PackedRepo::new(&Repo {
                name: "x".into(),
                updated_on: Some(t.into()),
                ..Repo::default()
            })
        };
        use std::cmp::Ordering::*;
        assert_eq!(
            cmp_recent(&r("2026-01-02T03:04:05.9Z"), &r("2026-01-02T03:04:05.1Z")),
            Less
        );
    }
}
