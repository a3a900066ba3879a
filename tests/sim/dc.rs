//! The simulator's Data Center face, seen through plain reqwest (never the crate's client):
//! shapes, identity, paging, the limit cap and the permission rules.

use std::collections::HashSet;

use bbconnect::sim::{self, SimConfig, SimHandle};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

use crate::common::http::{self, Auth};
use crate::common::sim::{default as normal, start as sim_with};

fn api(sim: &SimHandle, path: &str) -> String {
    format!("{}/rest/api/1.0{path}", sim.server_url())
}

async fn get(sim: &SimHandle, path: &str, auth: Auth) -> Response {
    http::get(&api(sim, path), auth).await
}

const ALICE: Auth = Auth::Bearer("test-token-alice");
const BOB: Auth = Auth::Bearer("test-token-bob");

fn ausername(r: &Response) -> Option<String> {
    r.headers()
        .get("x-ausername")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn json(r: Response) -> Value {
    r.json().await.expect("a JSON body")
}

/// Follows `nextPageStart` until `isLastPage`, returning every repository and the pages seen.
async fn all_repos(sim: &SimHandle, query: &str, auth: Auth) -> (Vec<Value>, usize) {
    let mut start = 0u64;
    let mut out = Vec::new();
    let mut pages = 0;
    loop {
        let r = get(sim, &format!("/repos?start={start}&{query}"), auth).await;
        assert_eq!(r.status(), StatusCode::OK);
        let page = json(r).await;
        pages += 1;
        let values = page["values"].as_array().expect("values is an array");
        assert_eq!(page["size"].as_u64(), Some(values.len() as u64));
        assert_eq!(page["start"].as_u64(), Some(start));
        out.extend(values.iter().cloned());
        if page["isLastPage"] == Value::Bool(true) {
            assert!(
                page.get("nextPageStart").is_none(),
                "the last page has no nextPageStart"
            );
            return (out, pages);
        }
        start = page["nextPageStart"]
            .as_u64()
            .expect("nextPageStart on a non-last page");
        assert!(pages < 10_000, "paging must end");
    }
}

#[tokio::test]
async fn application_properties_need_no_auth_and_headers_tell_who() {
    let sim = normal().await;
    let r = get(&sim, "/application-properties", Auth::None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        ausername(&r),
        None,
        "anonymous answers carry no X-AUSERNAME"
    );
    let v = json(r).await;
    assert_eq!(v["version"], "8.19.1");
    assert_eq!(v["displayName"], "Bitbucket");
    assert!(v["buildNumber"].is_string() && v["buildDate"].is_string());

    let r = get(&sim, "/application-properties", ALICE).await;
    assert_eq!(ausername(&r).as_deref(), Some("alice"));
    let r = get(
        &sim,
        "/application-properties",
        Auth::Basic("bob", "test-token-bob"),
    )
    .await;
    assert_eq!(
        ausername(&r).as_deref(),
        Some("bob"),
        "Basic username:token works for user tokens"
    );
    let r = get(
        &sim,
        "/application-properties",
        Auth::Bearer("test-token-wrong"),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "still 200: only the header tells"
    );
    assert_eq!(ausername(&r), None);
}

#[tokio::test]
async fn users_endpoint_has_the_vendor_fields() {
    let sim = normal().await;
    let r = get(&sim, "/users/alice", ALICE).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(ausername(&r).as_deref(), Some("alice"));
    let v = json(r).await;
    for field in [
        "name",
        "emailAddress",
        "displayName",
        "slug",
        "id",
        "active",
        "type",
    ] {
        assert!(v.get(field).is_some(), "missing {field} in {v}");
    }
    assert_eq!(v["emailAddress"], "alice@example.com");
    assert_eq!(v["type"], "NORMAL");
    assert_eq!(
        get(&sim, "/users/nobody", ALICE).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bad_credentials_get_the_incorrect_password_body() {
    let sim = normal().await;
    for auth in [
        Auth::Bearer("test-token-nope"),
        Auth::Basic("alice", "test-token-nope"),
        Auth::Basic("bob", "test-token-alice"),
    ] {
        let r = get(&sim, "/repos", auth).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(ausername(&r), None);
        let v = json(r).await;
        assert_eq!(
            v["errors"][0]["exceptionName"],
            "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
        );
        assert!(v["errors"][0]["context"].is_null());
        assert!(
            v["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

#[tokio::test]
async fn repository_objects_have_the_vendor_shape() {
    let sim = normal().await;
    let v = json(get(&sim, "/repos?limit=5", ALICE).await).await;
    let repo = &v["values"][0];
    for field in [
        "slug",
        "id",
        "name",
        "state",
        "statusMessage",
        "forkable",
        "public",
        "archived",
        "project",
        "links",
    ] {
        assert!(repo.get(field).is_some(), "missing {field} in {repo}");
    }
    for field in ["key", "id", "name", "type", "public"] {
        assert!(
            repo["project"].get(field).is_some(),
            "missing project.{field}"
        );
    }
    let clone = repo["links"]["clone"]
        .as_array()
        .expect("links.clone is an array on DC");
    let names: HashSet<&str> = clone.iter().filter_map(|c| c["name"].as_str()).collect();
    assert_eq!(names, HashSet::from(["http", "ssh"]));
    assert!(
        clone
            .iter()
            .all(|c| c["href"].as_str().is_some_and(|h| h.ends_with(".git")))
    );
    let self_href = repo["links"]["self"][0]["href"]
        .as_str()
        .expect("links.self[0].href");
    assert!(self_href.starts_with(&sim.server_url()), "{self_href}");
    assert_eq!(v["limit"], 5);
    assert_eq!(v["isLastPage"], false);
    assert_eq!(v["nextPageStart"], 5);
}

#[tokio::test]
async fn alice_pages_through_every_repository_exactly_once() {
    let sim = normal().await;
    let (all, pages) = all_repos(&sim, "limit=1000&archived=ALL", ALICE).await;
    assert_eq!(all.len(), 2000);
    assert_eq!(pages, 2);
    let ids: HashSet<u64> = all.iter().filter_map(|r| r["id"].as_u64()).collect();
    assert_eq!(ids.len(), 2000, "every repository exactly once");
    let projects: HashSet<&str> = all
        .iter()
        .filter_map(|r| r["project"]["key"].as_str())
        .collect();
    assert!(
        projects.len() >= 5 && projects.contains("~ALICE"),
        "{projects:?}"
    );
    assert!(all.iter().any(|r| r["project"]["type"] == "PERSONAL"));
    assert!(
        all.iter()
            .any(|r| r["name"].as_str().is_some_and(|n| n.contains('\u{1b}'))),
        "the hostile name is served"
    );

    // Default: archived repositories are left out, as on DC 8+.
    let (active, _) = all_repos(&sim, "limit=1000", ALICE).await;
    let (archived, _) = all_repos(&sim, "limit=1000&archived=ARCHIVED", ALICE).await;
    assert!(!archived.is_empty());
    assert!(archived.iter().all(|r| r["archived"] == true));
    assert_eq!(active.len() + archived.len(), 2000);
}

#[tokio::test]
async fn limit_is_capped_and_echoed_and_defaults_to_25() {
    let sim = sim_with(SimConfig {
        dc_limit_cap: 100,
        ..SimConfig::default()
    })
    .await;
    let v = json(get(&sim, "/repos?limit=5000", ALICE).await).await;
    assert_eq!(v["limit"], 100, "the applied limit is echoed back");
    assert_eq!(v["values"].as_array().map(Vec::len), Some(100));
    let v = json(get(&sim, "/repos", ALICE).await).await;
    assert_eq!(v["limit"], 25);
    assert_eq!(v["values"].as_array().map(Vec::len), Some(25));
    let (all, pages) = all_repos(&sim, "limit=5000&archived=ALL", ALICE).await;
    assert_eq!(all.len(), 2000);
    assert_eq!(pages, 20);
}

#[tokio::test]
async fn repos_option_scales_the_data_set() {
    let sim = sim_with(SimConfig {
        repos: Some(10_000),
        ..SimConfig::default()
    })
    .await;
    let (all, _) = all_repos(&sim, "limit=1000&archived=ALL", ALICE).await;
    assert_eq!(all.len(), 10_000);
    let ids: HashSet<u64> = all.iter().filter_map(|r| r["id"].as_u64()).collect();
    assert_eq!(ids.len(), 10_000);
}

#[tokio::test]
async fn bob_reads_a_subset_and_is_refused_admin_things() {
    let sim = normal().await;
    let (bobs, _) = all_repos(&sim, "limit=1000&archived=ALL", BOB).await;
    assert!(
        !bobs.is_empty() && bobs.len() < 2000,
        "bob sees a subset: {}",
        bobs.len()
    );
    assert!(
        !bobs.iter().any(|r| r["project"]["key"] == "~ALICE"),
        "a personal project stays private"
    );
    let keys: HashSet<&str> = bobs
        .iter()
        .filter_map(|r| r["project"]["key"].as_str())
        .collect();
    assert!(keys.contains("WEB"));

    // The real server filters rather than refusing: REPO_ADMIN asked by a reader lists nothing.
    let r = get(&sim, "/repos?permission=REPO_ADMIN", BOB).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(ausername(&r).as_deref(), Some("bob"));
    let v = json(r).await;
    assert_eq!(v["size"], 0);
    assert_eq!(v["isLastPage"], true);
    let v = json(get(&sim, "/repos?permission=REPO_ADMIN&limit=1", ALICE).await).await;
    assert_eq!(v["size"], 1);

    // An admin-only endpoint: 401 AuthorisationException, not 403.
    let r = get(&sim, "/admin/users", BOB).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let v = json(r).await;
    assert_eq!(
        v["errors"][0]["exceptionName"],
        "com.atlassian.bitbucket.AuthorisationException"
    );
    assert_eq!(
        v["errors"][0]["message"],
        "You are not permitted to access this resource"
    );

    // A private repository outside bob's projects.
    let plat = json(
        get(
            &sim,
            "/repos?projectkey=PLAT&visibility=private&limit=1",
            ALICE,
        )
        .await,
    )
    .await;
    let slug = plat["values"][0]["slug"]
        .as_str()
        .expect("a PLAT repository")
        .to_string();
    let r = get(&sim, &format!("/projects/PLAT/repos/{slug}"), BOB).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        json(r).await["errors"][0]["exceptionName"],
        "com.atlassian.bitbucket.AuthorisationException"
    );
}

#[tokio::test]
async fn filters_name_and_projectname_match_case_insensitively() {
    let sim = normal().await;
    let (hits, _) = all_repos(&sim, "limit=1000&name=SERVICE", ALICE).await;
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|r| {
        r["name"]
            .as_str()
            .is_some_and(|n| n.to_lowercase().contains("service"))
    }));
    let (web, _) = all_repos(&sim, "limit=1000&projectname=web%20front", ALICE).await;
    assert!(!web.is_empty());
    assert!(web.iter().all(|r| r["project"]["key"] == "WEB"));
    assert_eq!(
        get(&sim, "/repos?permission=SUPERUSER", ALICE)
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn repository_token_is_bearer_only_and_bound_to_its_repository() {
    let sim = normal().await;
    let cred = sim::demo_credentials()
        .into_iter()
        .find(|c| c.auth == "http-token-repo")
        .expect("a DC repo token");
    let repo = cred.repo.expect("bound to a repository");
    let (key, slug) = repo.split_once('/').expect("KEY/SLUG");
    let r = get(
        &sim,
        &format!("/projects/{key}/repos/{slug}"),
        Auth::Bearer("test-token-repo"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(ausername(&r).is_some(), "a token's service user is named");
    assert_eq!(json(r).await["slug"], slug);

    let r = get(
        &sim,
        &format!("/projects/{key}/repos/{slug}"),
        Auth::Basic("alice", "test-token-repo"),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "Basic fails for repository tokens"
    );

    let (seen, _) = all_repos(&sim, "limit=1000", Auth::Bearer("test-token-repo")).await;
    let private: Vec<&Value> = seen
        .iter()
        .filter(|r| r["public"] == false && r["project"]["public"] == false)
        .collect();
    assert_eq!(private.len(), 1, "only its own private repository");
    assert_eq!(private[0]["slug"], slug);

    let r = get(
        &sim,
        &format!("/projects/{key}/repos/{slug}/default-branch"),
        Auth::Bearer("test-token-repo"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = json(r).await;
    assert!(
        v["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("refs/heads/"))
    );
    assert_eq!(v["type"], "BRANCH");
    assert_eq!(v["isDefault"], true);
    assert!(v["displayId"].as_str().is_some_and(|d| !d.is_empty()));
}

#[tokio::test]
async fn anonymous_sees_only_public_repositories() {
    let sim = normal().await;
    let (seen, _) = all_repos(&sim, "limit=1000", Auth::None).await;
    assert!(!seen.is_empty());
    assert!(
        seen.iter()
            .all(|r| r["public"] == true || r["project"]["public"] == true)
    );
    let r = get(&sim, "/users/alice", Auth::None).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn request_count_counts_every_request() {
    let sim = normal().await;
    assert_eq!(sim.request_count(), 0);
    get(&sim, "/application-properties", Auth::None).await;
    get(&sim, "/repos", Auth::Bearer("test-token-bad")).await;
    assert_eq!(sim.request_count(), 2);
}

#[tokio::test]
async fn a_hundred_thousand_repositories_are_served_for_both_products() {
    let sim = sim_with(SimConfig {
        repos: Some(100_000),
        ..SimConfig::default()
    })
    .await;
    let v = json(get(&sim, "/repos?start=99000&limit=1000&archived=ALL", ALICE).await).await;
    assert_eq!(v["values"].as_array().map(Vec::len), Some(1000));
    assert_eq!(v["isLastPage"], true);
    let mut cloud_total = 0;
    for ws in ["acme-platform", "acme-mobile", "open-source-lab"] {
        let r = Client::new()
            .get(format!(
                "{}/repositories/{ws}?pagelen=1",
                sim.cloud_api_url()
            ))
            .basic_auth("alice@example.com", Some("test-token-alice"))
            .send()
            .await
            .expect("request reaches the simulator");
        cloud_total += json(r).await["size"].as_u64().expect("size");
    }
    assert_eq!(cloud_total, 100_000);
}

#[tokio::test]
async fn shutdown_frees_the_port() {
    let sim = normal().await;
    let url = api(&sim, "/application-properties");
    sim.shutdown().await;
    assert!(
        Client::new().get(url).send().await.is_err(),
        "nothing answers after shutdown"
    );
}

#[tokio::test]
async fn project_token_reads_its_project_only() {
    let sim = normal().await;
    let (seen, _) = all_repos(&sim, "limit=1000", Auth::Bearer("test-token-project")).await;
    let private: Vec<&Value> = seen.iter().filter(|r| r["public"] == false).collect();
    assert!(!private.is_empty());
    assert!(private.iter().all(|r| r["project"]["key"] == "DATA"));
    let r = get(
        &sim,
        "/repos?permission=REPO_WRITE",
        Auth::Bearer("test-token-project"),
    )
    .await;
    assert_eq!(json(r).await["size"], 0, "PROJECT_READ grants no write");
}

#[tokio::test]
async fn projects_list_what_the_caller_can_reach() {
    let sim = normal().await;
    let keys = |v: &Value| -> Vec<String> {
        v["values"]
            .as_array()
            .expect("values")
            .iter()
            .filter_map(|p| p["key"].as_str().map(str::to_string))
            .collect()
    };
    let alice = keys(&json(get(&sim, "/projects?limit=100", ALICE).await).await);
    assert_eq!(alice.len(), 7, "{alice:?}");
    let bob = keys(&json(get(&sim, "/projects?limit=100", BOB).await).await);
    assert!(
        bob.contains(&"WEB".to_string()) && bob.contains(&"DOCS".to_string()),
        "{bob:?}"
    );
    assert!(!bob.contains(&"~ALICE".to_string()));
    // The `latest` alias serves the same API.
    let r = Client::new()
        .get(format!(
            "{}/rest/api/latest/projects?limit=100",
            sim.server_url()
        ))
        .bearer_auth("test-token-bob")
        .send()
        .await
        .expect("send");
    assert_eq!(keys(&json(r).await), bob);
}

#[tokio::test]
async fn pages_served_again_are_identical_json() {
    let sim = normal().await;
    let body = |r: Response| async move {
        assert_eq!(
            r.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        r.text().await.expect("body")
    };
    let first = body(get(&sim, "/repos?start=10&limit=30", ALICE).await).await;
    let again = body(get(&sim, "/repos?start=10&limit=30", ALICE).await).await;
    assert_eq!(first, again);
    let page: Value = serde_json::from_str(&first).expect("valid JSON");
    assert_eq!(page["values"].as_array().map(Vec::len), Some(30));
    assert_eq!(page["nextPageStart"], 40);
}

#[tokio::test]
async fn short_pages_break_linear_offsets_but_chain_without_gaps() {
    let (want, _) = all_repos(&normal().await, "limit=100", ALICE).await;
    let sim = sim_with(SimConfig {
        dc_short_pages_from: Some(200),
        ..SimConfig::default()
    })
    .await;
    let third = json(get(&sim, "/repos?start=200&limit=100", ALICE).await).await;
    assert_eq!(third["limit"], 100);
    assert_eq!(third["values"].as_array().map(Vec::len), Some(50));
    assert_eq!(third["nextPageStart"], 250, "not start + limit");
    let second = json(get(&sim, "/repos?start=100&limit=100", ALICE).await).await;
    assert_eq!(second["nextPageStart"], 200, "linear before the offset");
    let (got, _) = all_repos(&sim, "limit=100", ALICE).await;
    let key = |v: &Value| format!("{}/{}", v["project"]["key"], v["slug"]);
    assert_eq!(
        got.iter().map(key).collect::<Vec<_>>(),
        want.iter().map(key).collect::<Vec<_>>()
    );
}

/// The vendor checks credentials before it looks anything up: a bad password on an unknown
/// project is a 401, not a 404 that would confirm which projects exist.
#[tokio::test]
async fn bad_credentials_on_an_unknown_project_answer_401() {
    let sim = normal().await;
    let r = get(
        &sim,
        "/projects/NOSUCH/repos",
        Auth::Bearer("test-token-wrong"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body = json(r).await;
    assert_eq!(
        body["errors"][0]["exceptionName"],
        "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
    );
    let r = get(&sim, "/projects/NOSUCH/repos", ALICE).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn project_branches_and_default_branch_are_served() {
    let sim = normal().await;
    let (repos, _) = all_repos(&sim, "", ALICE).await;
    let key = repos[0]["project"]["key"]
        .as_str()
        .expect("key")
        .to_string();
    let slug = repos[0]["slug"].as_str().expect("slug").to_string();

    let p = json(get(&sim, &format!("/projects/{key}"), ALICE).await).await;
    assert_eq!(p["key"], key.as_str());
    assert!(p["id"].is_number() && p["name"].is_string(), "{p}");
    let r = get(&sim, "/projects/NOSUCH", ALICE).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let default = json(
        get(
            &sim,
            &format!("/projects/{key}/repos/{slug}/branches/default"),
            ALICE,
        )
        .await,
    )
    .await;
    assert_eq!(default["type"], "BRANCH");
    assert_eq!(default["isDefault"], true);
    let old = json(
        get(
            &sim,
            &format!("/projects/{key}/repos/{slug}/default-branch"),
            ALICE,
        )
        .await,
    )
    .await;
    assert_eq!(old, default);
    let page = json(
        get(
            &sim,
            &format!("/projects/{key}/repos/{slug}/branches"),
            ALICE,
        )
        .await,
    )
    .await;
    assert_eq!(page["isLastPage"], true);
    assert_eq!(page["values"][0], default);
}

#[tokio::test]
async fn a_user_lists_their_own_access_tokens_without_secrets() {
    let sim = normal().await;
    let url = format!("{}/rest/access-tokens/1.0/users/alice", sim.server_url());
    let r = Client::new()
        .get(&url)
        .bearer_auth("test-token-alice")
        .send()
        .await
        .expect("reaches the simulator");
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.expect("body");
    assert!(
        !text.contains("test-token-"),
        "a token list never holds a secret: {text}"
    );
    let page: Value = serde_json::from_str(&text).expect("JSON");
    let t = &page["values"][0];
    assert!(t["id"].is_string() && t["name"].is_string(), "{t}");
    assert!(
        t["createdDate"].is_number() && t["expiryDays"].is_number(),
        "{t}"
    );
    assert_eq!(t["permissions"][0], "REPO_ADMIN");
    // Someone else's tokens are not Bob's to read (DC answers 401 for missing permission).
    let r = Client::new()
        .get(&url)
        .bearer_auth("test-token-bob")
        .send()
        .await
        .expect("reaches the simulator");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
