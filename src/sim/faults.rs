//! The middleware in front of every route: counts requests, adds latency, and plays the
//! configured [`Scenario`]. Faults that happen "sometimes" are counted per path and query so
//! that a test knows exactly which request fails.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::reply::{cloud_error, dc_error, html};
use super::{RequestSpan, Scenario, SimState};

/// More than the 16 MiB a careful client accepts.
pub(crate) const HUGE_BODY_BYTES: usize = 17 * 1024 * 1024;
const DRIP_EVERY: Duration = Duration::from_millis(200);
pub(crate) const SLOW_DELAY: Duration = Duration::from_secs(3);

const LOGIN_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>Log in - Example Corp SSO</title></head>\
<body><form method=\"post\" action=\"/sso/login\"><h1>Sign in to continue</h1>\
<input name=\"username\"><input name=\"password\" type=\"password\"><button>Log in</button></form></body></html>\n";
const ERROR_PAGE: &str = "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>\
<body><h1>Internal Server Error</h1><p>The server encountered an internal error.</p></body></html>\n";
const BAD_GATEWAY_PAGE: &str = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n";

pub(crate) async fn layer(
    State(state): State<Arc<SimState>>,
    req: Request,
    next: Next,
) -> Response {
    let started = state.timeline.now();
    let method = req.method().to_string();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let response = answer(&state, req, next).await;
    // Recorded before the answer leaves: a request the client sends after reading it
    // always starts later than this end.
    state.timeline.record(RequestSpan {
        listing: is_listing(target.split('?').next().unwrap_or("")),
        method,
        target,
        start: started,
        end: state.timeline.now(),
    });
    response
}

async fn answer(state: &Arc<SimState>, req: Request, next: Next) -> Response {
    state.requests.fetch_add(1, Ordering::SeqCst);
    if let Some(value) = req.headers().get(header::AUTHORIZATION)
        && let Ok(mut seen) = state.authorizations.lock()
    {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        // Bounded: a long-running `bbconnect sim` must not grow with every new credential.
        if seen.len() < 1024 || seen.contains_key(&value) {
            *seen.entry(value).or_default() += 1;
        }
    }
    if state.config.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(state.config.latency_ms)).await;
    }
    let path = req.uri().path().to_string();
    let cloud = path == "/2.0" || path.starts_with("/2.0/");
    if !cloud && !path.starts_with("/rest/") {
        return next.run(req).await;
    }
    let key = format!("{path}?{}", req.uri().query().unwrap_or(""));
    match state.config.scenario {
        Scenario::Slow => {
            tokio::time::sleep(SLOW_DELAY).await;
            next.run(req).await
        }
        Scenario::Gone => gone(cloud),
        Scenario::HtmlLogin => html(StatusCode::OK, LOGIN_PAGE),
        Scenario::RateLimited if hits(state, &key) <= 1 => rate_limited(cloud),
        Scenario::ServerErrors => match hits(state, &key) {
            1 => html(StatusCode::BAD_GATEWAY, BAD_GATEWAY_PAGE),
            2 => unavailable(cloud),
            _ => next.run(req).await,
        },
        scenario if is_listing(&path) => hostile(scenario, req, next).await,
        _ => next.run(req).await,
    }
}

/// How many times this path+query was asked, this request included.
fn hits(state: &SimState, key: &str) -> u32 {
    let mut map = match state.fault_hits.lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    let n = map.entry(key.to_string()).or_insert(0);
    *n += 1;
    *n
}

/// Repository listings: the large, paged answers where hostile servers do the most harm.
/// Everything else answers normally so a client gets that far.
pub(crate) fn is_listing(path: &str) -> bool {
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    matches!(
        parts.as_slice(),
        ["", "2.0", "repositories", _]
            | ["", "rest", "api", _, "repos"]
            | ["", "rest", "api", _, "projects", _, "repos"]
    )
}

fn gone(cloud: bool) -> Response {
    if cloud {
        cloud_error(
            StatusCode::GONE,
            "CHANGE-2770 - Functionality has been deprecated",
        )
    } else {
        dc_error(
            StatusCode::GONE,
            "This resource is no longer available.",
            "com.atlassian.bitbucket.rest.GoneException",
        )
    }
}

fn rate_limited(cloud: bool) -> Response {
    let mut r = if cloud {
        cloud_error(
            StatusCode::TOO_MANY_REQUESTS,
            "Rate limit for this resource has been exceeded.",
        )
    } else {
        dc_error(
            StatusCode::TOO_MANY_REQUESTS,
            "You have been rate limited. Wait and try again.",
            "com.atlassian.bitbucket.throttle.RateLimitedException",
        )
    };
    let h = r.headers_mut();
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    if cloud {
        h.insert("x-ratelimit-limit", HeaderValue::from_static("1000"));
        h.insert(
            "x-ratelimit-resource",
            HeaderValue::from_static("api.repositories"),
        );
        h.insert("x-ratelimit-nearlimit", HeaderValue::from_static("true"));
    }
    r
}

fn unavailable(cloud: bool) -> Response {
    let mut r = if cloud {
        cloud_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service temporarily unavailable. Try again shortly.",
        )
    } else {
        dc_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "Bitbucket is starting up. Try again shortly.",
            "com.atlassian.bitbucket.ServiceUnavailableException",
        )
    };
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

async fn hostile(scenario: Scenario, req: Request, next: Next) -> Response {
    match scenario {
        Scenario::TruncatedJson => {
            let (parts, body) = next.run(req).await.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let cut = bytes.slice(..bytes.len() / 2);
            let mut r = Response::from_parts(parts, Body::from(cut));
            r.headers_mut().remove(header::CONTENT_LENGTH);
            r
        }
        Scenario::HugeBody => huge_body(),
        Scenario::RedirectLoop => {
            // Two URLs pointing at each other: a client must give up, not spin.
            let uri = req.uri();
            let query = uri.query().unwrap_or("");
            let pairs: Vec<&str> = query
                .split('&')
                .filter(|p| !p.is_empty() && *p != "loop=1")
                .collect();
            let toggled = if query.split('&').any(|p| p == "loop=1") {
                pairs.join("&")
            } else {
                pairs
                    .into_iter()
                    .chain(["loop=1"])
                    .collect::<Vec<_>>()
                    .join("&")
            };
            let location = if toggled.is_empty() {
                uri.path().to_string()
            } else {
                format!("{}?{toggled}", uri.path())
            };
            let mut r = StatusCode::FOUND.into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Scenario::SlowDrip => {
            let (parts, body) = next.run(req).await.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let mut r = Response::from_parts(parts, drip(bytes));
            r.headers_mut().remove(header::CONTENT_LENGTH);
            r
        }
        Scenario::HtmlError => html(StatusCode::INTERNAL_SERVER_ERROR, ERROR_PAGE),
        Scenario::Empty500 => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        _ => next.run(req).await,
    }
}

/// A valid start of a page, then a description longer than any sane cap, streamed in chunks
/// without a Content-Length so the client must count while reading.
fn huge_body() -> Response {
    const CHUNK: usize = 64 * 1024;
    let head = Bytes::from_static(br#"{"size":1,"limit":25,"isLastPage":true,"pagelen":10,"values":[{"name":"huge","description":""#);
    let tail = Bytes::from_static(br#""}]}"#);
    let filler = Bytes::from(vec![b'a'; CHUNK]);
    let chunks = std::iter::once(head)
        .chain(std::iter::repeat_n(filler, HUGE_BODY_BYTES / CHUNK + 1))
        .chain(std::iter::once(tail))
        .map(Ok::<Bytes, Infallible>);
    let mut r = Response::new(Body::from_stream(futures::stream::iter(chunks)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// The body one byte at a time; the stream ends early when the client hangs up.
fn drip(bytes: Bytes) -> Body {
    let stream = futures::stream::unfold((bytes, 0usize), |(bytes, at)| async move {
        if at >= bytes.len() {
            return None;
        }
        if at > 0 {
            tokio::time::sleep(DRIP_EVERY).await;
        }
        Some((
            Ok::<Bytes, Infallible>(bytes.slice(at..at + 1)),
            (bytes, at + 1),
        ))
    });
    Body::from_stream(stream)
}

#[cfg(test)]
mod tests {
    use super::is_listing;

    #[test]
    fn listing_paths_are_recognised() {
        assert!(is_listing("/2.0/repositories/acme"));
        assert!(is_listing("/rest/api/1.0/repos"));
        assert!(is_listing("/rest/api/latest/projects/PLAT/repos"));
        assert!(!is_listing("/2.0/repositories/acme/repo"));
        assert!(!is_listing("/2.0/repositories"));
        assert!(!is_listing("/rest/api/1.0/application-properties"));
    }
}
