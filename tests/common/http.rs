//! Plain reqwest against the simulator, never the crate's client: what a client nobody here
//! wrote would see.

use reqwest::{Client, RequestBuilder, Response};

/// How a plain request authenticates.
#[derive(Clone, Copy)]
pub enum Auth {
    None,
    Bearer(&'static str),
    Basic(&'static str, &'static str),
}

impl Auth {
    pub fn apply(self, req: RequestBuilder) -> RequestBuilder {
        match self {
            Auth::None => req,
            Auth::Bearer(t) => req.bearer_auth(t),
            Auth::Basic(u, p) => req.basic_auth(u, Some(p)),
        }
    }
}

/// alice's Cloud API token with her Atlassian email, as a plain request sends it.
pub const CLOUD_ALICE: Auth = Auth::Basic("alice@example.com", "test-token-alice");
/// alice's Data Center user token.
pub const DC_ALICE: Auth = Auth::Bearer("test-token-alice");

/// GET `url` with `auth`, its body read as JSON.
pub async fn get_json(url: &str, auth: Auth) -> serde_json::Value {
    auth.apply(Client::new().get(url)).json_body().await
}

/// GET `url` with `auth`.
pub async fn get(url: &str, auth: Auth) -> Response {
    auth.apply(Client::new().get(url))
        .send()
        .await
        .expect("request reaches the simulator")
}

/// A client that shows a redirect instead of following it.
pub fn no_redirects() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A request sent and its body read as JSON, for tests that only want the data: a failure to
/// send or a body that is not JSON panics with what went wrong.
pub trait JsonBody {
    fn json_body(self) -> impl std::future::Future<Output = serde_json::Value> + Send;
}

impl JsonBody for RequestBuilder {
    async fn json_body(self) -> serde_json::Value {
        self.send()
            .await
            .expect("request reaches the server")
            .json()
            .await
            .expect("a JSON body")
    }
}
