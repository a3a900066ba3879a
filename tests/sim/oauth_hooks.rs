//! OAuth (authorize redirect, code and refresh grants, expiry) and webhooks on both products.

use bbconnect::sim::{SimConfig, SimHandle};
use reqwest::{Client, StatusCode, header};
use serde_json::{Value, json};

use crate::common::http::JsonBody;
use crate::common::http::no_redirects;
use crate::common::sim::start as sim_with;

/// Plays the browser: asks to authorize and reads the code off the redirect.
async fn authorize(sim: &SimHandle, redirect_uri: &str) -> (String, url::Url) {
    let r = no_redirects()
        .get(format!("{}/site/oauth2/authorize", sim.cloud_web_url()))
        .query(&[
            ("client_id", "test-oauth-key"),
            ("response_type", "code"),
            ("state", "st-123"),
            ("redirect_uri", redirect_uri),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::FOUND);
    let location = r
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("location");
    let url = url::Url::parse(location).expect("absolute callback URL");
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.to_string())
        .expect("code");
    (code, url)
}

async fn token(sim: &SimHandle, form: &[(&str, &str)]) -> reqwest::Response {
    Client::new()
        .post(format!("{}/site/oauth2/access_token", sim.cloud_web_url()))
        .basic_auth("test-oauth-key", Some("test-oauth-secret"))
        .form(form)
        .send()
        .await
        .expect("send")
}

async fn whoami(sim: &SimHandle, access: &str) -> reqwest::Response {
    Client::new()
        .get(format!("{}/user", sim.cloud_api_url()))
        .bearer_auth(access)
        .send()
        .await
        .expect("send")
}

#[tokio::test]
async fn authorization_code_flow_end_to_end() {
    let sim = sim_with(SimConfig::default()).await;
    let (code, callback) = authorize(&sim, "http://127.0.0.1:8976/callback").await;
    assert_eq!(callback.host_str(), Some("127.0.0.1"));
    assert_eq!(callback.path(), "/callback");
    assert!(
        callback
            .query_pairs()
            .any(|(k, v)| k == "state" && v == "st-123"),
        "state comes back"
    );

    let wrong = token(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:1/other"),
        ],
    )
    .await;
    assert_eq!(
        wrong.status(),
        StatusCode::BAD_REQUEST,
        "a redirect_uri must match the authorized one"
    );
    let r = token(
        &sim,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:8976/callback"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["token_type"], "bearer");
    assert_eq!(v["expires_in"], 7200);
    assert_eq!(v["scopes"], "account repository webhook");
    let access = v["access_token"].as_str().expect("access_token");
    assert!(v["refresh_token"].is_string());

    let r = whoami(&sim, access).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("x-oauth-scopes").is_some());
    let me: Value = r.json().await.expect("json");
    assert_eq!(me["nickname"], "alice");

    // A code works once.
    let again = token(
        &sim,
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json::<Value>().await.expect("json")["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn token_endpoint_wants_a_form_and_the_consumer_secret() {
    let sim = sim_with(SimConfig::default()).await;
    let (code, _) = authorize(&sim, "http://127.0.0.1:9999/cb").await;
    let r = Client::new()
        .post(format!("{}/site/oauth2/access_token", sim.cloud_web_url()))
        .basic_auth("test-oauth-key", Some("test-oauth-secret"))
        .json(&json!({"grant_type": "authorization_code", "code": code}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "JSON bodies are rejected"
    );
    let r = Client::new()
        .post(format!("{}/site/oauth2/access_token", sim.cloud_web_url()))
        .basic_auth("test-oauth-key", Some("test-oauth-wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.expect("json")["error"],
        "invalid_client"
    );
    // The code survived both failed attempts.
    assert_eq!(
        token(
            &sim,
            &[("grant_type", "authorization_code"), ("code", &code)]
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn authorize_refuses_unknown_consumers_and_foreign_callbacks() {
    let sim = sim_with(SimConfig::default()).await;
    let r = no_redirects()
        .get(format!(
            "{}/site/oauth2/authorize?client_id=nope&response_type=code",
            sim.cloud_web_url()
        ))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = no_redirects()
        .get(format!("{}/site/oauth2/authorize", sim.cloud_web_url()))
        .query(&[
            ("client_id", "test-oauth-key"),
            ("response_type", "code"),
            ("redirect_uri", "https://evil.example.net/cb"),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn expired_access_token_is_refused_and_refresh_rotates() {
    let sim = sim_with(SimConfig {
        oauth_expires_in: 0,
        ..SimConfig::default()
    })
    .await;
    let (code, _) = authorize(&sim, "http://127.0.0.1:8976/callback").await;
    let v: Value = token(
        &sim,
        &[("grant_type", "authorization_code"), ("code", &code)],
    )
    .await
    .json()
    .await
    .expect("json");
    let r = whoami(&sim, v["access_token"].as_str().expect("access")).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Access token expired. Use your refresh token"))
    );

    let refresh = v["refresh_token"].as_str().expect("refresh").to_string();
    let r = token(
        &sim,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let renewed: Value = r.json().await.expect("json");
    assert_ne!(renewed["access_token"], v["access_token"]);
    assert_ne!(renewed["refresh_token"].as_str(), Some(refresh.as_str()));
    // Only the newest refresh token works.
    let r = token(
        &sim,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

// ---------- webhooks ----------

const ALICE_EMAIL: (&str, &str) = ("alice@example.com", "test-token-alice");

async fn first_repo(sim: &SimHandle, ws: &str) -> String {
    let v: Value = Client::new()
        .get(format!(
            "{}/repositories/{ws}?pagelen=1",
            sim.cloud_api_url()
        ))
        .basic_auth(ALICE_EMAIL.0, Some(ALICE_EMAIL.1))
        .json_body()
        .await;
    v["values"][0]["slug"].as_str().expect("slug").to_string()
}

#[tokio::test]
async fn cloud_hooks_create_list_update_delete() {
    let sim = sim_with(SimConfig::default()).await;
    let slug = first_repo(&sim, "acme-platform").await;
    let hooks = format!(
        "{}/repositories/acme-platform/{slug}/hooks",
        sim.cloud_api_url()
    );
    let c = Client::new();
    let r = c
        .post(&hooks)
        .basic_auth(ALICE_EMAIL.0, Some(ALICE_EMAIL.1))
        .json(&json!({"description": "ci", "url": "https://ci.example.com/hook", "active": true, "secret": "test-secret-1", "events": ["repo:push", "pullrequest:created"]}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::CREATED);
    let hook: Value = r.json().await.expect("json");
    assert_eq!(hook["type"], "webhook_subscription");
    assert_eq!(hook["secret_set"], true);
    assert!(hook.get("secret").is_none(), "the secret is never returned");
    assert!(!hook.to_string().contains("test-secret-1"));
    let uuid = hook["uuid"].as_str().expect("uuid");
    assert!(uuid.starts_with('{') && uuid.ends_with('}'));

    let list: Value = c
        .get(&hooks)
        .basic_auth(ALICE_EMAIL.0, Some(ALICE_EMAIL.1))
        .json_body()
        .await;
    assert_eq!(list["values"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["values"][0]["url"], "https://ci.example.com/hook");

    let one = format!("{hooks}/{}", urlencode(uuid));
    let r = c
        .put(&one)
        .basic_auth(ALICE_EMAIL.0, Some(ALICE_EMAIL.1))
        .json(&json!({"active": false}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.expect("json")["active"], false);

    let r = c
        .post(&hooks)
        .basic_auth(ALICE_EMAIL.0, Some(ALICE_EMAIL.1))
        .json(&json!({"url": "https://x.example.com", "events": ["repo:nonsense"]}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let r = c
        .delete(&one)
        .basic_auth(ALICE_EMAIL.0, Some(ALICE_EMAIL.1))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c
        .get(&one)
        .basic_auth(ALICE_EMAIL.0, Some(ALICE_EMAIL.1))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn cloud_hooks_need_scopes_and_admin() {
    let sim = sim_with(SimConfig::default()).await;
    // alice is a member but not an admin of open-source-lab.
    let slug = first_repo(&sim, "open-source-lab").await;
    let r = Client::new()
        .get(format!(
            "{}/repositories/open-source-lab/{slug}/hooks",
            sim.cloud_api_url()
        ))
        .basic_auth(ALICE_EMAIL.0, Some(ALICE_EMAIL.1))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.json::<Value>().await.expect("json")["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("administrator"))
    );

    // carol's token has no webhook scope: the 403 names it.
    let slug = first_repo(&sim, "acme-platform").await;
    let r = Client::new()
        .get(format!(
            "{}/repositories/acme-platform/{slug}/hooks",
            sim.cloud_api_url()
        ))
        .basic_auth("carol@example.com", Some("test-token-noscope"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        v["error"]["detail"]["required"][0],
        "read:webhook:bitbucket"
    );
}

#[tokio::test]
async fn dc_hooks_need_repo_admin_and_never_return_the_secret() {
    let sim = sim_with(SimConfig::default()).await;
    let c = Client::new();
    let v: Value = c
        .get(format!(
            "{}/rest/api/1.0/repos?projectkey=WEB&limit=1",
            sim.server_url()
        ))
        .bearer_auth("test-token-alice")
        .json_body()
        .await;
    let slug = v["values"][0]["slug"].as_str().expect("slug");
    let hooks = format!(
        "{}/rest/api/1.0/projects/WEB/repos/{slug}/webhooks",
        sim.server_url()
    );
    let body = json!({"name": "ci", "url": "https://ci.example.com/hook", "active": true,
        "events": ["repo:refs_changed", "pr:opened"], "configuration": {"secret": "test-secret-2"}, "sslVerificationRequired": true});

    // bob reads WEB but is no admin: 401 AuthorisationException.
    let r = c
        .post(&hooks)
        .bearer_auth("test-token-bob")
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers().get("x-ausername").and_then(|v| v.to_str().ok()),
        Some("bob")
    );
    assert_eq!(
        r.json::<Value>().await.expect("json")["errors"][0]["exceptionName"],
        "com.atlassian.bitbucket.AuthorisationException"
    );

    let r = c
        .post(&hooks)
        .bearer_auth("test-token-alice")
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK, "DC answers 200 to a create");
    let hook: Value = r.json().await.expect("json");
    assert!(!hook.to_string().contains("test-secret-2"));
    assert_eq!(hook["name"], "ci");
    let id = hook["id"].as_u64().expect("numeric id");

    let list: Value = c
        .get(&hooks)
        .bearer_auth("test-token-alice")
        .json_body()
        .await;
    assert_eq!(list["values"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["isLastPage"], true);

    let one = format!("{hooks}/{id}");
    let r = c
        .put(&one)
        .bearer_auth("test-token-alice")
        .json(&json!({"events": ["pr:merged"]}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        r.json::<Value>().await.expect("json")["events"],
        json!(["pr:merged"])
    );
    assert_eq!(
        c.delete(&one)
            .bearer_auth("test-token-alice")
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        c.get(&one)
            .bearer_auth("test-token-alice")
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn hooks_are_kept_per_simulator() {
    let a = sim_with(SimConfig::default()).await;
    let b = sim_with(SimConfig::default()).await;
    let slug = first_repo(&a, "acme-platform").await;
    let path = format!("/repositories/acme-platform/{slug}/hooks");
    let r = Client::new()
        .post(format!("{}{path}", a.cloud_api_url()))
        .basic_auth(ALICE_EMAIL.0, Some(ALICE_EMAIL.1))
        .json(&json!({"url": "https://ci.example.com/hook", "events": ["repo:push"]}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = Client::new()
        .get(format!("{}{path}", b.cloud_api_url()))
        .basic_auth(ALICE_EMAIL.0, Some(ALICE_EMAIL.1))
        .json_body()
        .await;
    assert_eq!(v["values"].as_array().map(Vec::len), Some(0));
}
