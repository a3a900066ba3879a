//! The webhook's input rules: its endpoint URL, its events and its name, for the wizard's
//! webhook step and `connect --webhook-url` alike.

use super::model::Provider;

/// The hook's endpoint: https, or plain http only to this machine (a tunnel, a local CI).
pub fn validate_url(text: &str) -> Result<(), String> {
    validate_url_allowing_http(text, false)
}

/// Whether `text` is a plain http:// address of another machine (allowed only when the user
/// says so: `--allow-http-webhook`, or a second Enter in the wizard).
pub fn is_plain_http_remote(text: &str) -> bool {
    validate_url(text).is_err() && validate_url_allowing_http(text, true).is_ok()
}

/// `validate_url`, with plain http to any host allowed when `allow_http`.
pub fn validate_url_allowing_http(text: &str, allow_http: bool) -> Result<(), String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Required: the address your CI receives webhooks on, \
                    e.g. https://ci.example.com/bitbucket/hook."
            .into());
    }
    let parsed = url::Url::parse(text)
        .map_err(|e| crate::core::validate::url_problem(e, "https://ci.example.com/hook"))?;
    let loopback = match parsed.host() {
        None => return Err("The URL has no host name: add one after https://.".into()),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
    };
    match parsed.scheme() {
        "https" => {}
        "http" if loopback || allow_http => {}
        "http" => {
            return Err(
                "Use https://: over plain http deliveries and their signature travel unencrypted \
                 (http is only allowed to localhost)."
                    .into(),
            );
        }
        _ => return Err("Start with https:// (or http:// to localhost).".into()),
    }
    if parsed.username() != "" || parsed.password().is_some() {
        return Err(
            "Remove the user name and password from the URL: the secret signs deliveries.".into(),
        );
    }
    Ok(())
}

/// Event names as the products spell them (`repo:push`, `pr:from_ref_updated`).
pub fn validate_events(events: &[String]) -> Result<(), String> {
    if events.is_empty() {
        return Err("Choose at least one event: without one the hook never fires.".into());
    }
    let well_formed = |e: &str| {
        e.contains(':')
            && e.chars()
                .all(|c| c.is_ascii_lowercase() || matches!(c, ':' | '_' | '-'))
    };
    match events.iter().find(|e| !well_formed(e)) {
        Some(bad) => Err(format!(
            "`{}` is not an event name: expected names like repo:push or pr:opened.",
            super::sanitize::clean(bad)
        )),
        None => Ok(()),
    }
}

/// `validate_events`, and each event one the product knows: a misspelt event is caught here,
/// with the valid ones listed, rather than reported by the server as its own fault.
pub fn validate_events_for(provider: Provider, events: &[String]) -> Result<(), String> {
    validate_events(events)?;
    let known = provider.webhook_events();
    match events.iter().find(|e| !known.contains(&e.as_str())) {
        Some(bad) => Err(format!(
            "`{}` is not a {} webhook event. Valid events: {}.",
            super::sanitize::clean(bad),
            provider.label(),
            known.join(", ")
        )),
        None => Ok(()),
    }
}

/// The name shown in the repository's webhook settings, so people know where it came from.
pub fn hook_name(connection_name: &str) -> String {
    format!("bbconnect {connection_name}")
}
