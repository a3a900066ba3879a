//! Answers in each product's own envelope: Cloud `{"type":"error","error":{...}}`, DC
//! `{"errors":[...]}`, and DC's `X-AUSERNAME` identity header.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub(crate) const DC_BAD_CREDENTIALS: &str =
    "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException";
pub(crate) const DC_NOT_PERMITTED: &str = "com.atlassian.bitbucket.AuthorisationException";
pub(crate) const DC_NOT_PERMITTED_MESSAGE: &str = "You are not permitted to access this resource";

pub(crate) fn json_reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A JSON answer whose text is already rendered (listing pages built from cached fragments).
pub(crate) fn json_text_reply(status: StatusCode, text: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        text,
    )
        .into_response()
}

pub(crate) fn cloud_error(status: StatusCode, message: &str) -> Response {
    let mut r = json_reply(
        status,
        json!({"type": "error", "error": {"message": message}}),
    );
    // Bitbucket Cloud names its realm on every 401, which is what makes git ask its
    // credential helpers (and browsers prompt).
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(CLOUD_REALM),
        );
    }
    r
}

pub(crate) const CLOUD_REALM: &str = "Basic realm=\"Bitbucket.org HTTP\"";

/// The 403 of a credential lacking scopes; `detail` is an object here, as Bitbucket sends it.
pub(crate) fn cloud_scope_error(required: &[&str], granted: &[String]) -> Response {
    let mut r = json_reply(
        StatusCode::FORBIDDEN,
        json!({"type": "error", "error": {
            "message": "Your credentials lack one or more required privilege scopes.",
            "detail": {"required": required, "granted": granted}
        }}),
    );
    if let Ok(v) = HeaderValue::from_str(&required.join(", ")) {
        r.headers_mut().insert("x-accepted-oauth-scopes", v);
    }
    r
}

pub(crate) fn dc_error(status: StatusCode, message: &str, exception: &str) -> Response {
    json_reply(
        status,
        json!({"errors": [{"context": null, "message": message, "exceptionName": exception}]}),
    )
}

/// DC's refusal of a request whose input does not validate.
pub(crate) fn dc_invalid(message: &str) -> Response {
    dc_error(
        StatusCode::BAD_REQUEST,
        message,
        "com.atlassian.bitbucket.validation.ArgumentValidationException",
    )
}

pub(crate) fn dc_bad_credentials() -> Response {
    dc_error(
        StatusCode::UNAUTHORIZED,
        "Authentication failed. Please check your credentials and try again.",
        DC_BAD_CREDENTIALS,
    )
}

pub(crate) fn dc_not_permitted() -> Response {
    dc_error(
        StatusCode::UNAUTHORIZED,
        DC_NOT_PERMITTED_MESSAGE,
        DC_NOT_PERMITTED,
    )
}

/// Adds `X-AUSERNAME` for an authenticated caller; anonymous answers carry none.
pub(crate) fn with_user(mut r: Response, username: Option<&str>) -> Response {
    if let Some(v) = username.and_then(|u| HeaderValue::from_str(u).ok()) {
        r.headers_mut().insert("x-ausername", v);
    }
    r
}

pub(crate) fn html(status: StatusCode, body: &'static str) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html;charset=UTF-8"),
    );
    r
}
