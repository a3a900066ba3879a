//! Reading what the client returns: one row of a check report, repository names in order.

use bbconnect::core::model::{CheckId, CheckItem, CheckReport, Repo};

/// The report's `id` row, or a panic that shows every row.
pub fn row(report: &CheckReport, id: CheckId) -> &CheckItem {
    report
        .items
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("no `{id}` row in {:#?}", report.items))
}

/// The repositories' full names, sorted: two listings compare whatever their page order.
pub fn sorted_names(repos: &[Repo]) -> Vec<String> {
    let mut v: Vec<String> = repos.iter().map(|r| r.full_name.clone()).collect();
    v.sort();
    v
}

/// The data set's hostile repository is among `all`, its terminal escape shown as a visible
/// symbol.
pub fn assert_hostile_name_defused(all: &[Repo]) {
    let evil = all
        .iter()
        .find(|r| r.slug == "evil-repo")
        .expect("the data set's hostile repository is listed");
    assert!(
        evil.name.starts_with("evil\u{241b}]0;pwned"),
        "the escape is shown as a visible symbol: {:?}",
        evil.name
    );
}
