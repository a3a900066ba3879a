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
