//! The built-in simulator, started in-process on a loopback port chosen by the OS.

use bbconnect::sim::{self, Scenario, SimConfig, SimHandle};

use super::http::{CLOUD_ALICE, DC_ALICE, get_json};

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
    let url = format!(
        "{}/rest/api/1.0/projects/{project}/repos?limit=1",
        sim.server_url()
    );
    let v = get_json(&url, DC_ALICE).await;
    let slug = v["values"][0]["slug"].as_str().expect("a repository");
    format!("{project}/{slug}")
}

/// `KEY/slug` of the first repository alice's DC token reads, asked of the simulator itself.
pub async fn first_dc_repo(sim: &SimHandle) -> String {
    let url = format!("{}/rest/api/1.0/repos?limit=1", sim.server_url());
    let v = get_json(&url, DC_ALICE).await;
    let r = &v["values"][0];
    format!(
        "{}/{}",
        r["project"]["key"].as_str().expect("a project key"),
        r["slug"].as_str().expect("a slug")
    )
}

/// `WS/slug` of a repository in alice's last Cloud workspace (a client sees it only after
/// listing every workspace).
pub async fn last_cloud_repo(sim: &SimHandle) -> String {
    let api = sim.cloud_api_url();
    let spaces = get_json(&format!("{api}/user/workspaces?pagelen=100"), CLOUD_ALICE).await;
    let ws = spaces["values"]
        .as_array()
        .and_then(|v| v.last())
        .and_then(|w| w["workspace"]["slug"].as_str())
        .expect("a workspace");
    let url = format!("{api}/repositories/{ws}?role=member&pagelen=10");
    let repos = get_json(&url, CLOUD_ALICE).await;
    repos["values"][0]["full_name"]
        .as_str()
        .expect("a repository")
        .to_string()
}

/// A private Cloud repository in alice's workspace: git reads it only with a credential.
pub async fn private_cloud_repo(sim: &SimHandle) -> String {
    let url = format!(
        "{}/repositories/acme-platform?pagelen=100",
        sim.cloud_api_url()
    );
    let v = get_json(&url, CLOUD_ALICE).await;
    v["values"]
        .as_array()
        .expect("values")
        .iter()
        .find(|r| r["is_private"] == true && r["slug"] != "evil-repo")
        .and_then(|r| r["full_name"].as_str())
        .expect("a private repository")
        .to_string()
}

/// The simulator's loopback address.
pub fn addr(sim: &SimHandle) -> std::net::SocketAddr {
    sim.base_url()
        .trim_start_matches("http://")
        .parse()
        .expect("the simulator's address")
}

/// The simulator's address, and a base URL that names it `bitbucket.test` (a client resolves
/// that name to the address with its `resolve` option): a server not reached as loopback.
pub fn as_bitbucket_test(sim: &SimHandle) -> (std::net::SocketAddr, String) {
    let addr = addr(sim);
    (addr, format!("http://bitbucket.test:{}", addr.port()))
}

/// The first repository of Cloud workspace `ws` alice reads (in acme-platform, the Cloud
/// repository token's own).
pub async fn first_cloud_repo(sim: &SimHandle, ws: &str) -> String {
    let url = format!("{}/repositories/{ws}?pagelen=1", sim.cloud_api_url());
    let v = get_json(&url, CLOUD_ALICE).await;
    v["values"][0]["full_name"]
        .as_str()
        .expect("a repository")
        .to_string()
}
