//! The SSH route's REST side in the vendor's shapes: DC repository access keys and SSH
//! settings, Cloud deploy keys and published host keys, and clone links naming the
//! simulator's SSH port.

use base64::Engine;
use bbconnect::sim::SimHandle;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::common::http::{Auth, get};
use crate::common::sim::{default as sim_default, demo_repo};

const DC_ADMIN: Auth = Auth::Bearer("test-token-alice");
const DC_READER: Auth = Auth::Bearer("test-token-bob");
const CLOUD_ADMIN: Auth = Auth::Basic("alice@example.com", "test-token-alice");
const CLOUD_NO_SCOPE: Auth = Auth::Basic("carol@example.com", "test-token-noscope");

/// An Ed25519 public key line with `fill` as its 32 key bytes (the REST side never checks
/// the point, only the encoding).
fn ed25519(fill: u8, comment: &str) -> String {
    let mut blob = Vec::new();
    for part in [&b"ssh-ed25519"[..], &[fill; 32][..]] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(part);
    }
    format!(
        "ssh-ed25519 {} {comment}",
        base64::engine::general_purpose::STANDARD.encode(blob)
    )
}

fn dc_keys_url(sim: &SimHandle, repo: &str) -> String {
    let (key, slug) = repo.split_once('/').expect("KEY/slug");
    format!(
        "{}/rest/keys/latest/projects/{key}/repos/{slug}/ssh",
        sim.server_url()
    )
}

fn cloud_keys_url(sim: &SimHandle, repo: &str) -> String {
    format!("{}/repositories/{repo}/deploy-keys", sim.cloud_api_url())
}

async fn send(req: reqwest::RequestBuilder, auth: Auth) -> (StatusCode, Value) {
    let r = auth
        .apply(req)
        .send()
        .await
        .expect("request reaches the simulator");
    let status = r.status();
    let text = r.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn post(url: &str, auth: Auth, body: Value) -> (StatusCode, Value) {
    send(Client::new().post(url).json(&body), auth).await
}

async fn delete(url: &str, auth: Auth) -> StatusCode {
    send(Client::new().delete(url), auth).await.0
}

async fn get_json(url: &str, auth: Auth) -> (StatusCode, Value) {
    let r = get(url, auth).await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn dc_access_keys_are_added_listed_and_deleted() {
    let sim = sim_default().await;
    let repo = demo_repo("server", "http-token-repo");
    let url = dc_keys_url(&sim, &repo);
    let text = ed25519(1, "ci@host");
    let (status, body) = post(
        &url,
        DC_ADMIN,
        json!({"key": {"text": text, "label": "bbconnect ci"}, "permission": "REPO_READ"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["key"]["id"].as_u64().expect("numeric key.id");
    assert_eq!(body["key"]["text"], text);
    assert_eq!(body["key"]["label"], "bbconnect ci");
    assert_eq!(body["key"]["algorithmType"], "ED25519");
    let fp = body["key"]["fingerprint"].as_str().expect("fingerprint");
    assert_eq!(fp.len(), 43, "unpadded base64 of SHA-256: {fp}");
    assert_eq!(body["permission"], "REPO_READ");
    let (key, slug) = repo.split_once('/').expect("KEY/slug");
    assert_eq!(body["repository"]["slug"], slug);
    assert_eq!(body["repository"]["project"]["key"], key);

    let (status, page) = get_json(&url, DC_ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["size"], 1);
    assert_eq!(page["isLastPage"], true);
    assert_eq!(page["start"], 0);
    assert_eq!(page["values"][0]["key"]["id"], id);
    let (status, one) = get_json(&format!("{url}/{id}"), DC_ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["key"]["fingerprint"], fp);

    let listed = sim.dc_access_keys(&repo);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert_eq!(listed[0].permission, "REPO_READ");
    assert!(text.starts_with(&listed[0].text));

    // The same key twice on one repository is refused; a second key is listed next to it.
    let (status, _) = post(
        &url,
        DC_ADMIN,
        json!({"key": {"text": text}, "permission": "REPO_READ"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, second) = post(
        &url,
        DC_ADMIN,
        json!({"key": {"text": ed25519(2, "other")}, "permission": "REPO_WRITE"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        second["key"]["label"], "other",
        "label defaults to the comment"
    );
    assert_eq!(sim.access_keys(&repo).len(), 2);

    assert_eq!(
        delete(&format!("{url}/{id}"), DC_ADMIN).await,
        StatusCode::NO_CONTENT
    );
    let (_, page) = get_json(&url, DC_ADMIN).await;
    assert_eq!(page["size"], 1);
    assert_ne!(page["values"][0]["key"]["id"], id);
    // The vendor answers 204 for a key that is not there.
    assert_eq!(
        delete(&format!("{url}/{id}"), DC_ADMIN).await,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn dc_access_keys_need_repo_admin_and_a_valid_key() {
    let sim = sim_default().await;
    // bob reads WEB but does not administer it.
    let (status, page) = get_json(
        &format!(
            "{}/rest/api/1.0/projects/WEB/repos?limit=1",
            sim.server_url()
        ),
        DC_READER,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let slug = page["values"][0]["slug"]
        .as_str()
        .expect("a WEB repository");
    let url = dc_keys_url(&sim, &format!("WEB/{slug}"));
    let body = json!({"key": {"text": ed25519(3, "x")}, "permission": "REPO_READ"});
    let (status, err) = post(&url, DC_READER, body.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        err["errors"][0]["exceptionName"],
        "com.atlassian.bitbucket.AuthorisationException"
    );
    assert_eq!(get_json(&url, DC_READER).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        delete(&format!("{url}/1"), DC_READER).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(post(&url, DC_ADMIN, body).await.0, StatusCode::CREATED);

    for bad in [
        json!({"key": {"text": "ssh-ed25519 not-base64"}, "permission": "REPO_READ"}),
        json!({"key": {"text": "ssh-rsa AAAAC3NzaC1lZDI1NTE5"}, "permission": "REPO_READ"}),
        json!({"key": {"text": ed25519(4, "x")}, "permission": "REPO_ADMIN"}),
        json!({"key": {"text": ed25519(4, "x")}}),
        json!({"permission": "REPO_READ"}),
    ] {
        let (status, err) = post(&url, DC_ADMIN, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(err["errors"][0]["message"].is_string(), "{err}");
    }
    assert_eq!(sim.dc_access_keys(&format!("WEB/{slug}")).len(), 1);
}

#[tokio::test]
async fn dc_ssh_settings_name_the_port_and_host_key() {
    let sim = sim_default().await;
    let url = format!("{}/rest/ssh/latest/settings", sim.server_url());
    let (status, body) = get_json(&url, DC_READER).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["enabled"], true);
    assert_eq!(body["accessKeysEnabled"], true);
    assert_eq!(body["port"], sim.ssh_port());
    assert_eq!(
        body["baseUrl"],
        format!("ssh://127.0.0.1:{}", sim.ssh_port())
    );
    assert_eq!(body["fingerprint"]["algorithm"], "SHA256");
    let fp = sim.ssh_host_key_fingerprint();
    assert_eq!(
        body["fingerprint"]["value"].as_str(),
        fp.strip_prefix("SHA256:")
    );
    assert_eq!(get_json(&url, Auth::None).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cloud_deploy_keys_are_added_listed_and_deleted() {
    let sim = sim_default().await;
    let repo = demo_repo("cloud", "repo-token");
    let url = cloud_keys_url(&sim, &repo);
    let text = ed25519(5, "deploy@ci");
    let (status, body) = post(&url, CLOUD_ADMIN, json!({"key": text, "label": "ci"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["type"], "deploy_key");
    let id = body["id"].as_u64().expect("numeric id");
    assert!(text.starts_with(body["key"].as_str().expect("key")));
    assert_eq!(body["comment"], "deploy@ci");
    assert_eq!(body["label"], "ci");
    assert!(body["created_on"].is_string());
    assert!(body["last_used"].is_null());
    assert_eq!(body["repository"]["full_name"], repo);

    let (status, page) = get_json(&url, CLOUD_ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["size"], 1);
    assert_eq!(page["page"], 1);
    assert_eq!(page["values"][0]["id"], id);
    let (status, one) = get_json(&format!("{url}/{id}"), CLOUD_ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["label"], "ci");
    let listed = sim.cloud_deploy_keys(&repo);
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0].permission, "REPO_READ",
        "deploy keys are read-only"
    );

    assert_eq!(
        post(&url, CLOUD_ADMIN, json!({"key": text, "label": "again"}))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(
            &url,
            CLOUD_ADMIN,
            json!({"key": "ssh-ed25519 AAAA", "label": "bad"})
        )
        .await
        .0,
        StatusCode::BAD_REQUEST
    );

    assert_eq!(
        delete(&format!("{url}/{id}"), CLOUD_ADMIN).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(&format!("{url}/{id}"), CLOUD_ADMIN).await,
        StatusCode::NOT_FOUND
    );
    assert!(sim.cloud_deploy_keys(&repo).is_empty());
}

#[tokio::test]
async fn cloud_deploy_keys_need_repository_admin() {
    // An old mirror, so the app password (which holds repository:admin) is still taken.
    let sim = crate::common::sim::old_mirror().await;
    let repo = demo_repo("cloud", "repo-token");
    let url = cloud_keys_url(&sim, &repo);
    let body = json!({"key": ed25519(6, "x"), "label": "x"});
    let (status, err) = post(&url, CLOUD_NO_SCOPE, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        err["error"]["message"],
        "Your credentials lack one or more required privilege scopes."
    );
    assert_eq!(
        err["error"]["detail"]["required"],
        json!(["admin:repository:bitbucket"])
    );
    assert_eq!(
        get_json(&url, CLOUD_NO_SCOPE).await.0,
        StatusCode::FORBIDDEN
    );
    // OAuth-style credentials: the app password holds repository:admin, the repository
    // access token is bound to this repository with it.
    let app = Auth::Basic("alice", "test-token-app-password");
    assert_eq!(post(&url, app, body).await.0, StatusCode::OK);
    let token = Auth::Bearer("test-token-cloud-repo");
    assert_eq!(get_json(&url, token).await.0, StatusCode::OK);
    assert_eq!(sim.cloud_deploy_keys(&repo).len(), 1);
}

#[tokio::test]
async fn site_ssh_publishes_the_host_key_in_known_hosts_form() {
    let sim = sim_default().await;
    let r = get(&format!("{}/site/ssh", sim.cloud_web_url()), Auth::None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.expect("body");
    let want = format!("[127.0.0.1]:{} {}", sim.ssh_port(), sim.ssh_host_key_line());
    assert_eq!(text.trim_end(), want);
    assert_eq!(sim.ssh_known_hosts_line(), want);
    assert!(
        sim.ssh_host_key_line()
            .starts_with("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5")
    );
    assert!(sim.ssh_host_key_fingerprint().starts_with("SHA256:"));
}

#[tokio::test]
async fn clone_links_name_the_ssh_server() {
    let sim = sim_default().await;
    let port = sim.ssh_port();
    let ssh_link = |repo: &Value| {
        repo["links"]["clone"]
            .as_array()
            .and_then(|l| l.iter().find(|c| c["name"] == "ssh"))
            .and_then(|c| c["href"].as_str())
            .map(str::to_string)
            .expect("an ssh clone link")
    };
    let dc = demo_repo("server", "http-token-repo");
    let (key, slug) = dc.split_once('/').expect("KEY/slug");
    let (_, body) = get_json(
        &format!(
            "{}/rest/api/1.0/projects/{key}/repos/{slug}",
            sim.server_url()
        ),
        DC_ADMIN,
    )
    .await;
    assert_eq!(
        ssh_link(&body),
        format!(
            "ssh://git@127.0.0.1:{port}/{}/{slug}.git",
            key.to_lowercase()
        )
    );
    let cloud = demo_repo("cloud", "repo-token");
    let (_, body) = get_json(
        &format!("{}/repositories/{cloud}", sim.cloud_api_url()),
        CLOUD_ADMIN,
    )
    .await;
    assert_eq!(
        ssh_link(&body),
        format!("ssh://git@127.0.0.1:{port}/{cloud}.git")
    );
}

/// A body the key and webhook endpoints refuse still answers as the signed-in caller:
/// DC names them (`X-AUSERNAME`), Cloud says which scopes the endpoint accepts.
#[tokio::test]
async fn refused_bodies_on_key_and_webhook_routes_still_name_the_caller() {
    let sim = sim_default().await;
    let dc = demo_repo("server", "http-token-repo");
    let (key, slug) = dc.split_once('/').expect("KEY/slug");
    let dc_hooks = format!(
        "{}/rest/api/1.0/projects/{key}/repos/{slug}/webhooks",
        sim.server_url()
    );
    let cloud = demo_repo("cloud", "repo-token");
    let cloud_hooks = format!("{}/repositories/{cloud}/hooks", sim.cloud_api_url());
    let cases = [
        (dc_keys_url(&sim, &dc), DC_ADMIN, "x-ausername", "alice"),
        (dc_hooks, DC_ADMIN, "x-ausername", "alice"),
        (
            cloud_keys_url(&sim, &cloud),
            CLOUD_ADMIN,
            "x-accepted-oauth-scopes",
            "admin:repository:bitbucket",
        ),
        (
            cloud_hooks,
            CLOUD_ADMIN,
            "x-accepted-oauth-scopes",
            "read:webhook:bitbucket, write:webhook:bitbucket",
        ),
    ];
    for (url, auth, header, value) in cases {
        let r = auth
            .apply(Client::new().post(&url).json(&json!({})))
            .send()
            .await
            .expect("request reaches the simulator");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{url}");
        assert_eq!(
            r.headers().get(header).and_then(|v| v.to_str().ok()),
            Some(value),
            "{url}"
        );
    }
}

/// The vendor's DC OpenAPI spec (Data Center 9.4, as published), committed with the tests so a
/// fresh clone needs nothing beside it.
fn dc_spec() -> Value {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = ["tests/fixtures/specs", "../shared/specs"]
        .iter()
        .map(|d| root.join(d).join("bitbucket-dc-9.4-openapi.json"))
        .find(|p| p.is_file())
        .expect("the vendor DC spec in tests/fixtures/specs");
    let text = std::fs::read_to_string(found).expect("spec readable");
    serde_json::from_str(&text).expect("spec is JSON")
}

fn assert_declared(what: &str, got: &Value, schema: &Value) {
    let props = schema["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("{what}: schema without properties"));
    for field in got.as_object().expect("an object").keys() {
        assert!(
            props.contains_key(field),
            "{what}.{field} is not in the vendor's schema"
        );
    }
}

#[tokio::test]
async fn dc_answers_use_only_fields_the_vendor_spec_declares() {
    let spec = dc_spec();
    let paths = &spec["paths"];
    let keys = &paths["/keys/latest/projects/{projectKey}/repos/{repositorySlug}/ssh"];
    assert!(
        keys["post"]["responses"]["201"].is_object(),
        "created answers 201"
    );
    assert!(keys["get"].is_object());
    let one = &paths["/keys/latest/projects/{projectKey}/repos/{repositorySlug}/ssh/{keyId}"];
    assert!(one["delete"]["responses"]["204"].is_object());
    assert!(paths["/ssh/latest/settings"]["get"].is_object());
    let schemas = &spec["components"]["schemas"];

    let sim = sim_default().await;
    let repo = demo_repo("server", "http-token-repo");
    let (status, created) = post(
        &dc_keys_url(&sim, &repo),
        DC_ADMIN,
        json!({"key": {"text": ed25519(9, "c"), "label": "l", "expiryDays": 30}, "permission": "REPO_READ"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let access_key = &schemas["RestSshAccessKey"];
    assert_declared("RestSshAccessKey", &created, access_key);
    assert_declared(
        "RestSshAccessKey.key",
        &created["key"],
        &access_key["properties"]["key"],
    );
    let (_, settings) = get_json(
        &format!("{}/rest/ssh/latest/settings", sim.server_url()),
        DC_ADMIN,
    )
    .await;
    assert_declared("RestSshSettings", &settings, &schemas["RestSshSettings"]);
    assert_declared(
        "RestSshSettings.fingerprint",
        &settings["fingerprint"],
        &schemas["SimpleSshKeyFingerprint"],
    );
}

/// The simulator's deploy-key answers (the one made, the list, one by id) against the
/// vendor's Cloud spec: every field declared by `deploy_key` (or its page) with its type, save
/// `id` and `created_on`, which Atlassian's own documented answer carries beside the schema.
#[tokio::test]
async fn cloud_deploy_key_answers_conform_to_the_vendor_spec() {
    use crate::common::cloud_spec::{departures, deploy_key_post_doc, named, spec};
    let spec = spec();
    let doc = deploy_key_post_doc(&spec);
    let extra = ["id", "created_on"];
    for field in extra {
        assert!(
            doc.contains(&format!("\"{field}\":")),
            "{field} is in Atlassian's documented answer"
        );
    }
    let nullable = ["last_used"];
    assert!(doc.contains("\"last_used\": null"));
    let deploy_key = named(&spec, "deploy_key");
    let sim = sim_default().await;
    let repo = demo_repo("cloud", "repo-token");
    let url = cloud_keys_url(&sim, &repo);
    let (status, made) = post(
        &url,
        CLOUD_ADMIN,
        json!({"key": ed25519(8, "c"), "label": "bbconnect ci"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let (_, page) = get_json(&url, CLOUD_ADMIN).await;
    let (_, one) = get_json(&format!("{url}/{}", made["id"]), CLOUD_ADMIN).await;
    let page_schema = named(&spec, "paginated_deploy_keys");
    for (what, v, schema) in [
        ("created", &made, &deploy_key),
        ("one", &one, &deploy_key),
        ("page", &page, &page_schema),
    ] {
        assert_eq!(
            departures(&spec, v, schema, what, &extra, &nullable),
            Vec::<String>::new(),
            "{v}"
        );
    }
    // The check catches what it should: a field the schema lacks, a wrong type.
    let mut wrong = made.clone();
    wrong["permission"] = json!("REPO_READ");
    wrong["label"] = json!(7);
    let found = departures(&spec, &wrong, &deploy_key, "wrong", &extra, &nullable);
    assert_eq!(found.len(), 2, "{found:?}");
}
