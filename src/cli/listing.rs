//! What `repos` prints, gathered page by page. Each repository is rendered to its output line
//! as its page arrives and only that line (and its sort key) is kept: the pages themselves,
//! the `Repo`s and any JSON tree go as soon as they are read, so 200,000 repositories fit in
//! a fraction of what holding them whole took.

use std::io::{BufWriter, Write};

use serde_json::json;

use crate::core::model::Repo;
use crate::core::sanitize::clean;

/// One repository as printed, with what it is ordered by.
struct Row {
    score: u32,
    key: Box<str>,
    line: Box<str>,
}

/// The rows of a `repos` run, in the order they will print: the fuzzy filter's best match
/// first when there is a query (the screen's matcher), else by full name.
pub struct Rows<S> {
    json: bool,
    score_of: Option<S>,
    rows: Vec<Row>,
}

/// Rows for `query` (`None` or blank: every repository), printed as JSON or as lines.
pub fn rows(query: Option<&str>, json: bool) -> Rows<impl FnMut(&Repo) -> Option<u32> + use<>> {
    Rows {
        json,
        score_of: query.and_then(crate::core::fuzzy::scorer),
        rows: Vec::new(),
    }
}

impl<S: FnMut(&Repo) -> Option<u32>> Rows<S> {
    /// Keeps the rows of one page (the matching ones, with a query).
    pub fn add(&mut self, repos: &[Repo]) {
        for r in repos {
            let score = match self.score_of.as_mut() {
                Some(score_of) => match score_of(r) {
                    Some(s) => s,
                    None => continue,
                },
                None => 0,
            };
            self.rows.push(Row {
                score,
                key: r.full_name.as_str().into(),
                line: line(r, self.json).into_boxed_str(),
            });
        }
    }

    /// Whether no repository made it in (none listed, or none matched the query).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Prints every row: one JSON array (the same document `Vec` of rows gave before), or one
    /// tab-separated line per repository.
    pub fn print(mut self, out: &mut dyn Write) {
        self.rows
            .sort_unstable_by(|a, b| b.score.cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
        let mut out = BufWriter::new(out);
        if let Err(e) = write_rows(&mut out, &self.rows, self.json).and_then(|()| out.flush()) {
            super::output::fail(&e);
        }
    }
}

fn write_rows(out: &mut impl Write, rows: &[Row], json: bool) -> std::io::Result<()> {
    if json {
        out.write_all(b"[")?;
    }
    for (i, row) in rows.iter().enumerate() {
        if json && i > 0 {
            out.write_all(b",")?;
        }
        out.write_all(row.line.as_bytes())?;
        if !json {
            out.write_all(b"\n")?;
        }
    }
    if json {
        out.write_all(b"]\n")?;
    }
    Ok(())
}

fn line(r: &Repo, as_json: bool) -> String {
    if as_json {
        json!({
            "full_name": r.full_name, "name": r.name, "slug": r.slug,
            "project": r.project_key, "workspace": r.workspace, "private": r.private,
            "archived": r.archived, "clone_https": r.clone_https, "clone_ssh": r.clone_ssh,
            "default_branch": r.default_branch, "updated_on": r.updated_on,
        })
        .to_string()
    } else {
        format!(
            "{}\t{}",
            clean(&r.full_name),
            clean(r.clone_https.as_deref().unwrap_or(""))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(full: &str) -> Repo {
        let (p, s) = full.split_once('/').unwrap_or(("P", full));
        Repo {
            full_name: full.into(),
            name: s.into(),
            slug: s.into(),
            project_key: Some(p.into()),
            clone_https: Some(format!("https://bb/scm/{p}/{s}.git")),
            ..Repo::default()
        }
    }

    fn printed(rows: &[Row], json: bool) -> String {
        let mut out = Vec::new();
        write_rows(&mut out, rows, json).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn pages_print_sorted_by_name_or_best_match_first() {
        let mut all = rows(None, false);
        all.add(&[repo("B/two"), repo("A/one")]);
        all.add(&[repo("A/zed")]);
        all.rows
            .sort_unstable_by(|a, b| b.score.cmp(&a.score).then_with(|| a.key.cmp(&b.key)));
        assert_eq!(
            printed(&all.rows, false),
            "A/one\thttps://bb/scm/A/one.git\nA/zed\thttps://bb/scm/A/zed.git\nB/two\thttps://bb/scm/B/two.git\n"
        );
        let mut some = rows(Some("zed"), true);
        some.add(&[repo("B/two"), repo("A/zed")]);
        assert_eq!(some.rows.len(), 1, "only the matches are kept");
        let v: serde_json::Value = serde_json::from_str(&printed(&some.rows, true)).unwrap();
        assert_eq!(v[0]["full_name"], "A/zed");
        assert_eq!(v[0]["project"], "A");
        let none = rows(Some("nothing-like-it"), true);
        assert_eq!(printed(&none.rows, true), "[]\n");
    }
}
