//! The built-in simulator, started in-process on a loopback port chosen by the OS.

use bbconnect::sim::{self, Scenario, SimConfig, SimHandle};

/// The simulator with `config` (its default port 0 lets the OS pick a free one).
pub async fn start(config: SimConfig) -> SimHandle {
    sim::start(config)
        .await
        .expect("simulator starts on loopback")
}

/// The default data set: the demo credentials' repositories are named from it.
pub async fn default() -> SimHandle {
    start(SimConfig::default()).await
}

/// The default data set behaving as `scenario`.
pub async fn with_scenario(scenario: Scenario) -> SimHandle {
    start(SimConfig {
        scenario,
        ..SimConfig::default()
    })
    .await
}

/// An old mirror that still takes Cloud app passwords (bitbucket.org turned them off).
pub async fn old_mirror() -> SimHandle {
    start(SimConfig {
        app_passwords_accepted: true,
        ..SimConfig::default()
    })
    .await
}

/// A small data set of `repos` repositories per owner: quick to list in full.
pub async fn with_repos(repos: usize) -> SimHandle {
    start(SimConfig {
        repos: Some(repos),
        ..SimConfig::default()
    })
    .await
}

/// The repository the data set's demo credential of `product` (`cloud`, `server`) and `auth`
/// is limited to or listed with.
pub fn demo_repo(product: &str, auth: &str) -> String {
    sim::demo_credentials()
        .into_iter()
        .find(|c| c.product == product && c.auth == auth)
        .and_then(|c| c.repo)
        .unwrap_or_else(|| panic!("the data set has a {product} {auth} credential"))
}

/// `KEY/slug` of the first repository of DC project `project` alice reads, from the
/// simulator's REST API.
pub async fn dc_project_repo(sim: &SimHandle, project: &str) -> String {
    let v: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/rest/api/1.0/projects/{project}/repos?limit=1",
            sim.server_url()
        ))
        .bearer_auth("test-token-alice")
        .send()
        .await
        .expect("the simulator answers")
        .json()
        .await
        .expect("json");
    let slug = v["values"][0]["slug"].as_str().expect("a repository");
    format!("{project}/{slug}")
}
