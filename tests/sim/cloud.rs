//! The simulator's Cloud face through plain reqwest: identity, scopes, the 401/403/410 bodies,
//! paging (every repository exactly once, with and without `size`), partial responses.

use std::collections::HashSet;

use bbconnect::sim::{self, SimConfig, SimHandle};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::common::http::{Auth, get as get_url};
use crate::common::sim::start as sim_with;

const ALICE: Auth = Auth::Basic("alice@example.com", "test-token-alice");
const CAROL: Auth = Auth::Basic("carol@example.com", "test-token-noscope");
const APP_PASSWORD: Auth = Auth::Basic("alice", "test-token-app-password");
const REPO_TOKEN: Auth = Auth::Bearer("test-token-cloud-repo");
const INVALID: &str = "Token is invalid, expired, or not supported for this endpoint.";

async fn get(sim: &SimHandle, path: &str, auth: Auth) -> Response {
    get_url(&format!("{}{path}", sim.cloud_api_url()), auth).await
}

async fn json(r: Response) -> Value {
    r.json().await.expect("a JSON body")
}

fn error_message(v: &Value) -> &str {
    assert_eq!(v["type"], "error", "Cloud error envelope: {v}");
    v["error"]["message"].as_str().expect("error.message")
}

/// Follows `next` until absent.
async fn follow(sim: &SimHandle, path: &str, auth: Auth) -> (Vec<Value>, Vec<Value>) {
    let mut url = format!("{}{path}", sim.cloud_api_url());
    let mut values = Vec::new();
    let mut pages = Vec::new();
    loop {
        let r = get_url(&url, auth).await;
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let page = json(r).await;
        values.extend(page["values"].as_array().expect("values").iter().cloned());
        let next = page["next"].as_str().map(str::to_string);
        pages.push(page);
        match next {
            Some(n) => url = n,
            None => return (values, pages),
        }
        assert!(pages.len() < 10_000, "paging must end");
    }
}

async fn workspaces(sim: &SimHandle, auth: Auth) -> Vec<Value> {
    let r = get(sim, "/user/workspaces?pagelen=100", auth).await;
    assert_eq!(r.status(), StatusCode::OK);
    json(r).await["values"].as_array().expect("values").clone()
}

#[tokio::test]
async fn user_has_the_vendor_fields() {
    let sim = crate::common::sim::old_mirror().await;
    for auth in [ALICE, APP_PASSWORD] {
        let r = get(&sim, "/user", auth).await;
        assert_eq!(r.status(), StatusCode::OK);
        let v = json(r).await;
        for field in [
            "type",
            "uuid",
            "account_id",
            "display_name",
            "nickname",
            "account_status",
            "links",
        ] {
            assert!(v.get(field).is_some(), "missing {field} in {v}");
        }
        assert_eq!(v["type"], "user");
        assert_eq!(v["nickname"], "alice");
        assert!(
            v["links"]["html"]["href"].is_string(),
            "Cloud links are objects"
        );
    }
}

#[tokio::test]
async fn api_token_rules_email_only_and_basic_only() {
    let sim = sim_with(SimConfig::default()).await;
    // A known API token in the wrong shape (the username instead of the email, Bearer
    // instead of Basic): the JSON envelope naming the token.
    for auth in [
        Auth::Basic("alice", "test-token-alice"),
        Auth::Bearer("test-token-alice"),
    ] {
        let r = get(&sim, "/user", auth).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_message(&json(r).await), INVALID);
    }
    // Basic credentials that match nothing (a wrong secret, an app password sent with the
    // email): Bitbucket's plain-text login failure, still with the realm.
    for auth in [
        Auth::Basic("alice@example.com", "test-token-wrong"),
        Auth::Basic("alice@example.com", "test-token-app-password"),
    ] {
        let r = get(&sim, "/user", auth).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.headers()["www-authenticate"],
            "Basic realm=\"Bitbucket.org HTTP\""
        );
        assert!(
            r.headers()["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with("text/plain")),
            "{:?}",
            r.headers()
        );
        let text = r.text().await.expect("a body");
        assert!(text.starts_with("Login failed"), "{text}");
        assert!(
            serde_json::from_str::<Value>(&text).is_err(),
            "not JSON: {text}"
        );
    }
}

#[tokio::test]
async fn missing_scope_answers_403_with_required_and_granted() {
    let sim = sim_with(SimConfig::default()).await;
    let r = get(&sim, "/user", CAROL).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v = json(r).await;
    assert_eq!(
        error_message(&v),
        "Your credentials lack one or more required privilege scopes."
    );
    let required: Vec<&str> = v["error"]["detail"]["required"]
        .as_array()
        .expect("detail.required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(required, ["read:user:bitbucket"]);
    let granted: Vec<&str> = v["error"]["detail"]["granted"]
        .as_array()
        .expect("detail.granted")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        granted.contains(&"read:repository:bitbucket") && !granted.contains(&"read:user:bitbucket")
    );

    // Listing workspaces also needs read:user:bitbucket; listing repositories does not.
    assert_eq!(
        get(&sim, "/user/workspaces", CAROL).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = get(&sim, "/repositories/acme-platform?pagelen=1", CAROL).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn workspaces_have_the_access_shape() {
    let sim = sim_with(SimConfig::default()).await;
    let list = workspaces(&sim, ALICE).await;
    assert_eq!(list.len(), 3);
    for w in &list {
        assert_eq!(w["type"], "workspace_access");
        assert!(w["administrator"].is_boolean());
        assert_eq!(w["workspace"]["type"], "workspace");
        for field in ["slug", "uuid", "name", "links"] {
            assert!(
                w["workspace"].get(field).is_some(),
                "missing workspace.{field}"
            );
        }
    }
    assert!(
        list.iter().any(|w| w["administrator"] == true)
            && list.iter().any(|w| w["administrator"] == false)
    );
}

#[tokio::test]
async fn every_repository_exactly_once_with_size() {
    let sim = sim_with(SimConfig::default()).await;
    let mut total = 0;
    for w in workspaces(&sim, ALICE).await {
        let slug = w["workspace"]["slug"].as_str().expect("slug").to_string();
        let (values, pages) = follow(
            &sim,
            &format!("/repositories/{slug}?role=member&pagelen=100"),
            ALICE,
        )
        .await;
        let size = pages[0]["size"].as_u64().expect("size on the first page") as usize;
        assert_eq!(values.len(), size);
        let uuids: HashSet<&str> = values.iter().filter_map(|r| r["uuid"].as_str()).collect();
        assert_eq!(uuids.len(), size, "no repository twice");
        assert!(values.iter().all(|r| {
            r["full_name"]
                .as_str()
                .is_some_and(|f| f.starts_with(&format!("{slug}/")))
        }));
        for (i, p) in pages.iter().enumerate() {
            assert_eq!(p["page"], (i + 1) as u64);
            assert_eq!(p["pagelen"], 100);
        }
        if pages.len() > 1 {
            let next = pages[0]["next"].as_str().expect("next");
            assert!(
                next.starts_with("http://127.0.0.1:")
                    && next.contains("page=2")
                    && next.contains("role=member"),
                "{next}"
            );
        }
        total += size;
    }
    assert_eq!(total, 2000);
    let v = json(get(&sim, "/repositories/acme-platform?pagelen=10", ALICE).await).await;
    let names: Vec<&str> = v["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(
        names.iter().any(|n| n.contains('\u{1b}')),
        "the hostile name is on the first page: {names:?}"
    );
}

#[tokio::test]
async fn every_repository_exactly_once_without_size() {
    let sim = sim_with(SimConfig {
        cloud_omit_size: true,
        ..SimConfig::default()
    })
    .await;
    let (values, pages) = follow(&sim, "/repositories/acme-mobile?pagelen=100", ALICE).await;
    assert!(
        pages
            .iter()
            .all(|p| p.get("size").is_none() && p.get("page").is_none())
    );
    assert!(pages.len() > 1);
    let uuids: HashSet<&str> = values.iter().filter_map(|r| r["uuid"].as_str()).collect();
    assert_eq!(uuids.len(), values.len());
    assert_eq!(values.len(), 600);
}

#[tokio::test]
async fn pagelen_is_capped_at_100() {
    let sim = sim_with(SimConfig::default()).await;
    let v = json(get(&sim, "/repositories/acme-platform?pagelen=500", ALICE).await).await;
    assert_eq!(v["pagelen"], 100);
    assert_eq!(v["values"].as_array().map(Vec::len), Some(100));
    let v = json(get(&sim, "/repositories/acme-platform", ALICE).await).await;
    assert_eq!(v["pagelen"], 10, "Cloud's default page length");
}

#[tokio::test]
async fn repository_object_has_the_fields_bbconnect_reads() {
    let sim = sim_with(SimConfig::default()).await;
    let v = json(get(&sim, "/repositories/acme-platform?pagelen=5", ALICE).await).await;
    let r = &v["values"][0];
    for field in [
        "type",
        "uuid",
        "full_name",
        "name",
        "slug",
        "is_private",
        "updated_on",
        "created_on",
        "description",
        "mainbranch",
        "project",
        "workspace",
        "links",
    ] {
        assert!(r.get(field).is_some(), "missing {field} in {r}");
    }
    assert_eq!(r["mainbranch"]["type"], "branch");
    assert!(r["project"]["key"].is_string() && r["project"]["name"].is_string());
    assert_eq!(r["workspace"]["slug"], "acme-platform");
    assert!(r["links"]["html"]["href"].is_string());
    let clone = r["links"]["clone"]
        .as_array()
        .expect("clone is the one array among links");
    let https = clone
        .iter()
        .find(|c| c["name"] == "https")
        .expect("https clone link");
    assert!(
        https["href"]
            .as_str()
            .is_some_and(|h| h.contains("alice@") && h.ends_with(".git")),
        "{https}"
    );
    assert!(clone.iter().any(|c| c["name"] == "ssh"));
    assert!(
        r["updated_on"]
            .as_str()
            .is_some_and(|t| t.len() >= 20 && t.contains('T'))
    );

    let slug = r["slug"].as_str().expect("slug");
    let one = json(get(&sim, &format!("/repositories/acme-platform/{slug}"), ALICE).await).await;
    assert_eq!(one["uuid"], r["uuid"]);
    assert_eq!(
        get(&sim, "/repositories/acme-platform/no-such-repo", ALICE)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn retired_listings_answer_410() {
    let sim = sim_with(SimConfig::default()).await;
    for path in [
        "/repositories",
        "/repositories?role=member",
        "/workspaces",
        "/user/permissions/workspaces",
        "/user/permissions/repositories",
    ] {
        let r = get(&sim, path, ALICE).await;
        assert_eq!(r.status(), StatusCode::GONE, "{path}");
        assert_eq!(
            error_message(&json(r).await),
            "CHANGE-2770 - Functionality has been deprecated"
        );
    }
}

#[tokio::test]
async fn repository_access_token_is_bound_and_announces_itself() {
    let sim = sim_with(SimConfig::default()).await;
    let cred = sim::demo_credentials()
        .into_iter()
        .find(|c| c.auth == "repo-token")
        .expect("a Cloud repo token");
    let full = cred.repo.expect("bound to a repository");
    let r = get(&sim, &format!("/repositories/{full}"), REPO_TOKEN).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("x-credential-type")
            .and_then(|v| v.to_str().ok()),
        Some("repo_access_token")
    );
    let scopes = r
        .headers()
        .get("x-oauth-scopes")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(scopes.contains("repository"), "{scopes}");
    assert_eq!(json(r).await["full_name"], full.as_str());

    let (ws, _) = full.split_once('/').expect("ws/slug");
    let v = json(get(&sim, &format!("/repositories/{ws}?pagelen=100"), REPO_TOKEN).await).await;
    assert_eq!(v["size"], 1, "a repository token sees its repository only");
    assert_eq!(
        get(&sim, "/repositories/acme-mobile/anything", REPO_TOKEN)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // No user behind it.
    assert_eq!(
        get(&sim, "/user", REPO_TOKEN).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn role_query_sort_and_fields() {
    let sim = sim_with(SimConfig::default()).await;
    // alice is a member, not an admin, of open-source-lab.
    let v = json(get(&sim, "/repositories/open-source-lab?role=admin", ALICE).await).await;
    assert_eq!(v["size"], 0);
    let v = json(get(&sim, "/repositories/acme-platform?role=admin", ALICE).await).await;
    assert_eq!(v["size"], 1000);

    let v = json(
        get(
            &sim,
            "/repositories/acme-platform?pagelen=100&q=name~%22service%22",
            ALICE,
        )
        .await,
    )
    .await;
    let values = v["values"].as_array().expect("values");
    assert!(!values.is_empty());
    assert!(values.iter().all(|r| {
        r["name"]
            .as_str()
            .is_some_and(|n| n.to_lowercase().contains("service"))
    }));
    assert_eq!(
        get(
            &sim,
            "/repositories/acme-platform?q=owner.x%3D%22y%22",
            ALICE
        )
        .await
        .status(),
        StatusCode::BAD_REQUEST
    );

    let v = json(
        get(
            &sim,
            "/repositories/acme-platform?pagelen=50&sort=-updated_on",
            ALICE,
        )
        .await,
    )
    .await;
    let dates: Vec<&str> = v["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|r| r["updated_on"].as_str())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");

    let v = json(
        get(
            &sim,
            "/repositories/acme-platform?pagelen=2&fields=values.full_name,values.links.clone,next",
            ALICE,
        )
        .await,
    )
    .await;
    let keys: HashSet<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, HashSet::from(["values", "next"]));
    let r = &v["values"][0];
    assert_eq!(r.as_object().map(|o| o.len()), Some(2), "{r}");
    assert!(r["full_name"].is_string() && r["links"]["clone"].is_array());
    // The next page keeps the fields.
    let next = v["next"].as_str().expect("next");
    let v2 = json(get_url(next, ALICE).await).await;
    assert!(v2["values"][0].get("uuid").is_none());
}

#[tokio::test]
async fn outsiders_see_public_repositories_only() {
    let sim = sim_with(SimConfig::default()).await;
    let (values, _) = follow(&sim, "/repositories/acme-mobile?pagelen=100", Auth::None).await;
    assert!(!values.is_empty());
    assert!(values.iter().all(|r| r["is_private"] == false));
    // carol is no member of acme-mobile either.
    let (carols, _) = follow(&sim, "/repositories/acme-mobile?pagelen=100", CAROL).await;
    assert_eq!(carols.len(), values.len());
    assert_eq!(
        get(&sim, "/user", Auth::None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn hook_events_are_public() {
    let sim = sim_with(SimConfig::default()).await;
    let v = json(get(&sim, "/hook_events/repository?pagelen=100", Auth::None).await).await;
    let events: Vec<&str> = v["values"]
        .as_array()
        .expect("values")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    for e in [
        "repo:push",
        "pullrequest:created",
        "pullrequest:updated",
        "pullrequest:fulfilled",
    ] {
        assert!(events.contains(&e), "{e}");
    }
}

#[tokio::test]
async fn unknown_paths_answer_in_the_product_envelope() {
    let sim = sim_with(SimConfig::default()).await;
    let r = get(&sim, "/no/such/thing", ALICE).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(error_message(&json(r).await).contains("/2.0/no/such/thing"));
    let r = get_url(
        &format!("{}/rest/api/1.0/nothing-here", sim.server_url()),
        Auth::None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(json(r).await["errors"][0]["message"].is_string());
}

/// Repository JSON is rendered once and reused: the cache must still tell callers (the https
/// clone link names the caller) and `fields=` values apart.
#[tokio::test]
async fn cached_repositories_keep_each_callers_link_and_each_fields_value() {
    let sim = sim_with(SimConfig::default()).await;
    let path = "/repositories/acme-platform?pagelen=100";
    let https = |v: &Value| -> String {
        v["links"]["clone"]
            .as_array()
            .and_then(|c| c.iter().find(|l| l["name"] == "https"))
            .and_then(|l| l["href"].as_str())
            .expect("https clone link")
            .to_string()
    };
    for _ in 0..2 {
        let token = json(get(&sim, path, REPO_TOKEN).await).await;
        let mine = token["values"].as_array().expect("values");
        assert_eq!(mine.len(), 1, "a repository token sees its repository");
        assert!(!https(&mine[0]).contains('@'), "{}", https(&mine[0]));
        let full_name = mine[0]["full_name"].clone();
        let alice = json(get(&sim, path, ALICE).await).await;
        let same = alice["values"]
            .as_array()
            .and_then(|v| v.iter().find(|r| r["full_name"] == full_name))
            .expect("alice sees it too");
        assert!(https(same).contains("alice@"), "{}", https(same));
    }
    let trimmed =
        json(get(&sim, &format!("{path}&fields=values.full_name,size"), ALICE).await).await;
    let first = &trimmed["values"][0];
    assert_eq!(first.as_object().map(|o| o.len()), Some(1), "{first}");
    assert!(trimmed.get("size").is_some() && trimmed.get("pagelen").is_none());
    let full = json(get(&sim, path, ALICE).await).await;
    assert!(full["values"][0].get("links").is_some(), "untrimmed again");
}

/// Every `href` under `links` of `v`, at any depth (Cloud `links.*` are objects, `clone` an array).
fn hrefs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, inner) in map {
                if k == "href"
                    && let Some(h) = inner.as_str()
                {
                    out.push(h.to_string());
                }
                hrefs(inner, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| hrefs(i, out)),
        _ => {}
    }
}

/// atlassian-python-api follows `links.self` of workspaces; a link to a path the simulator
/// does not serve made its `workspaces.get/each` fail. Walk every API link from the caller,
/// their workspaces and a repository, three levels deep: each answers 200, or a 403 that
/// says why (a missing scope, no admin rights); none is a 404 or 405.
#[tokio::test]
async fn every_api_link_it_serves_answers() {
    let sim = sim_with(SimConfig {
        repos: Some(30),
        ..SimConfig::default()
    })
    .await;
    let api = sim.cloud_api_url();
    let ws = workspaces(&sim, ALICE).await;
    let first_ws = ws[0]["workspace"]["slug"]
        .as_str()
        .expect("slug")
        .to_string();
    let mut frontier = vec![
        format!("{api}/user"),
        format!("{api}/user/workspaces"),
        format!("{api}/repositories/{first_ws}?pagelen=2"),
    ];
    let mut seen = HashSet::new();
    let mut checked = 0;
    for _depth in 0..3 {
        let mut next = Vec::new();
        for url in frontier.drain(..) {
            if !url.starts_with(&api) || !seen.insert(url.clone()) {
                continue;
            }
            let r = get_url(&url, ALICE).await;
            let status = r.status();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            assert!(
                status == StatusCode::OK
                    || (status == StatusCode::FORBIDDEN && body["type"] == "error"),
                "{url} answered {status}: {body}"
            );
            checked += 1;
            hrefs(&body, &mut next);
        }
        frontier = next;
    }
    // The user, workspaces, workspace, projects, members, a member, repositories, a
    // repository, its hooks, commits, pull requests, project, and more.
    assert!(checked >= 12, "only {checked} links were followed");
    for must in [
        format!("{api}/workspaces/{first_ws}"),
        format!("{api}/workspaces/{first_ws}/members"),
        format!("{api}/workspaces/{first_ws}/projects"),
    ] {
        assert!(seen.contains(&must), "{must} was never linked: {seen:?}");
    }
}

#[tokio::test]
async fn workspace_projects_members_and_branches_have_the_vendor_shapes() {
    let sim = sim_with(SimConfig::default()).await;
    let ws = workspaces(&sim, ALICE).await;
    let slug = ws[0]["workspace"]["slug"]
        .as_str()
        .expect("slug")
        .to_string();

    let w = json(get(&sim, &format!("/workspaces/{slug}"), ALICE).await).await;
    assert_eq!(w["type"], "workspace");
    assert_eq!(w["slug"], slug.as_str());
    for link in ["self", "html", "repositories", "projects", "members"] {
        assert!(w["links"][link]["href"].is_string(), "links.{link}: {w}");
    }

    let members = json(get(&sim, &format!("/workspaces/{slug}/members"), ALICE).await).await;
    let values = members["values"].as_array().expect("values");
    assert!(!values.is_empty());
    assert!(values.iter().all(|m| m["type"] == "workspace_membership"
        && m["user"]["type"] == "user"
        && m["workspace"]["slug"] == slug.as_str()));

    // Alice's API token has no read:project:bitbucket: the projects list says so, as Bitbucket.
    let r = get(&sim, &format!("/workspaces/{slug}/projects"), ALICE).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body = json(r).await;
    assert_eq!(
        body["error"]["detail"]["required"][0],
        "read:project:bitbucket"
    );
    // The app password's `project`-free scopes fail the same way; an outsider gets a 404.
    let r = get(&sim, "/workspaces/no-such-workspace", ALICE).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // One repository is enough, and the first page holds it: following every page of one
    // would walk the whole workspace.
    let page = json(get(&sim, &format!("/repositories/{slug}?pagelen=1"), ALICE).await).await;
    let repos = page["values"].as_array().expect("values");
    let full = repos[0]["full_name"]
        .as_str()
        .expect("full_name")
        .to_string();
    let main = repos[0]["mainbranch"]["name"]
        .as_str()
        .expect("main")
        .to_string();
    let branches =
        json(get(&sim, &format!("/repositories/{full}/refs/branches"), ALICE).await).await;
    assert_eq!(branches["values"][0]["type"], "branch");
    assert_eq!(branches["values"][0]["name"], main.as_str());
    assert_eq!(
        branches["values"][0]["target"]["hash"]
            .as_str()
            .map(str::len),
        Some(40)
    );
    let r = get(
        &sim,
        &format!("/repositories/{full}/refs/branches/no-such"),
        ALICE,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for part in ["commits", "pullrequests"] {
        let page = json(get(&sim, &format!("/repositories/{full}/{part}"), ALICE).await).await;
        assert_eq!(page["values"], serde_json::json!([]), "{part}: {page}");
        assert!(page["pagelen"].is_number(), "{part}: {page}");
    }
}

#[tokio::test]
async fn a_401_names_the_realm_and_successes_name_the_accepted_scopes() {
    let sim = crate::common::sim::old_mirror().await;
    let r = get(
        &sim,
        "/user",
        Auth::Basic("alice@example.com", "test-token-wrong"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Basic realm=\"Bitbucket.org HTTP\"")
    );
    let r = get(&sim, "/user", ALICE).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("x-accepted-oauth-scopes")
            .and_then(|v| v.to_str().ok()),
        Some("read:user:bitbucket")
    );
    let r = get(&sim, "/user", APP_PASSWORD).await;
    assert_eq!(
        r.headers()
            .get("x-accepted-oauth-scopes")
            .and_then(|v| v.to_str().ok()),
        Some("account")
    );
}

#[tokio::test]
async fn hook_events_root_lists_the_subject_types() {
    let sim = sim_with(SimConfig::default()).await;
    let root = json(get(&sim, "/hook_events", Auth::None).await).await;
    let events = root["repository"]["links"]["events"]["href"]
        .as_str()
        .expect("repository events link");
    let r = get_url(events, Auth::None).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn app_passwords_are_refused_unless_the_simulator_plays_an_old_mirror() {
    let sim = sim_with(SimConfig::default()).await;
    let r = get(&sim, "/user", APP_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    drop(sim);
    let sim = crate::common::sim::old_mirror().await;
    let r = get(&sim, "/user", APP_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_revoked_token_is_refused_and_a_renamed_or_deleted_repository_answers_404() {
    let sim = sim_with(SimConfig::default()).await;
    let repos = get(&sim, "/repositories/acme-platform?pagelen=2", ALICE).await;
    let v = json(repos).await;
    let first = v["values"][0]["full_name"]
        .as_str()
        .expect("a repository")
        .to_string();
    let second = v["values"][1]["full_name"]
        .as_str()
        .expect("two")
        .to_string();
    let path = |full: &str| format!("/repositories/{full}");
    assert_eq!(
        get(&sim, &path(&first), ALICE).await.status(),
        StatusCode::OK
    );

    sim.rename_repo(&first, "renamed-one");
    assert_eq!(
        get(&sim, &path(&first), ALICE).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&sim, "/repositories/acme-platform/renamed-one", ALICE)
            .await
            .status(),
        StatusCode::OK
    );
    sim.delete_repo(&second);
    assert_eq!(
        get(&sim, &path(&second), ALICE).await.status(),
        StatusCode::NOT_FOUND
    );

    sim.revoke_token("test-token-alice");
    assert_eq!(
        get(&sim, "/user", ALICE).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
