//! What a failed request was: the kind of network failure, read from types, never from text.

use reqwest::header::HeaderMap;

use super::{Http, HttpError, NetKind, shown_url};
use crate::bitbucket::errors::quote;
use crate::bitbucket::proxy::{ProxyAnswer, probe_connect};
use crate::bitbucket::tls::describe_tls;
use crate::core::cert::PeerChain;

impl Http {
    pub(super) async fn net_error(
        &self,
        url: &url::Url,
        host: &str,
        e: &reqwest::Error,
    ) -> HttpError {
        if e.is_builder() {
            // Nothing was sent: retrying cannot help and "unreachable" would send the user
            // looking at the network. reqwest's text names the problem, not the value.
            let mut cause = e.to_string();
            if let Some(src) = std::error::Error::source(e) {
                cause = format!("{cause}: {src}");
            }
            return HttpError::BadRequest {
                host: host.into(),
                cause: quote(&cause),
            };
        }
        let proxy = self.proxies.proxy_for(url);
        let shown = proxy.as_deref().map(shown_url);
        let unreachable = |kind, cause: String, peer| HttpError::Unreachable {
            host: host.into(),
            kind,
            cause,
            proxy: shown.clone(),
            peer,
        };
        if let Some(rustls) = crate::bitbucket::tls::find_rustls(e) {
            let failure = crate::bitbucket::tls::tls_failure(rustls);
            let chain = url
                .host_str()
                .and_then(|h| self.seen.get(h))
                .map(|ders| PeerChain {
                    chain: ders
                        .iter()
                        .map(|d| crate::bitbucket::tls::summarize(d))
                        .collect(),
                    trusted: None,
                    ders,
                });
            let (kind, cause, peer) =
                describe_tls(&failure, chain, self.pinned.as_deref(), url, host);
            return unreachable(kind, cause, peer.map(Box::new));
        }
        let (mut kind, cause) = classify_reqwest(e);
        // The resolver's failure has no error type of its own in the chain: look the name
        // up once more, ourselves (a proxy resolves for us, so only without one).
        if proxy.is_none()
            && kind == NetKind::Tcp
            && let Some(h) = url.host_str()
            && tokio::net::lookup_host((h.trim_matches(['[', ']']), 443))
                .await
                .is_err()
        {
            kind = NetKind::Dns;
        }
        // A refused tunnel reaches us only as text; ask the proxy ourselves for its status.
        if let Some(p) = &proxy
            && url.scheme() == "https"
            && e.is_connect()
            && kind != NetKind::Timeout
        {
            let target = format!(
                "{}:{}",
                url.host_str().unwrap_or_default(),
                url.port_or_known_default().unwrap_or(443)
            );
            match probe_connect(p, &target).await {
                Some(ProxyAnswer::Status(407)) => {
                    let sent = url::Url::parse(p).is_ok_and(|u| !u.username().is_empty());
                    let cause = if sent {
                        "the proxy refused the credentials in the proxy URL (407)".to_string()
                    } else {
                        "the proxy wants credentials (407 Proxy Authentication Required)"
                            .to_string()
                    };
                    return unreachable(NetKind::ProxyAuth, cause, None);
                }
                Some(ProxyAnswer::Status(code)) if !(200..300).contains(&code) => {
                    return unreachable(
                        NetKind::ProxyRefused,
                        format!("the proxy refused the tunnel to {target} ({code})"),
                        None,
                    );
                }
                Some(ProxyAnswer::Down) => {
                    return unreachable(
                        NetKind::ProxyDown,
                        "the proxy does not answer".into(),
                        None,
                    );
                }
                _ => {}
            }
        }
        unreachable(kind, cause, None)
    }
}

pub(super) fn classify_reqwest(e: &reqwest::Error) -> (NetKind, String) {
    // The deepest text is kept for the detail; the kind comes from types, never from text.
    let mut chain = Vec::new();
    let mut src: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = src {
        chain.push(s.to_string());
        src = s.source();
    }
    let deepest = chain.last().cloned().unwrap_or_default();
    let kind = if e.is_timeout() || has_io_kind(e, std::io::ErrorKind::TimedOut) {
        NetKind::Timeout
    } else if e.is_connect() || has_io_kind(e, std::io::ErrorKind::ConnectionReset) {
        NetKind::Tcp
    } else {
        NetKind::Other
    };
    (kind, quote(&deepest))
}

/// Any `io::Error` of the chain with this kind.
pub(super) fn has_io_kind(e: &reqwest::Error, kind: std::io::ErrorKind) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == kind)
        {
            return true;
        }
        cur = err.source();
    }
    false
}

pub(super) fn looks_like_html(headers: &HeaderMap, body: &[u8]) -> bool {
    let ct_html = headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().contains("html"));
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    ct_html || first == Some(&b'<')
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn html_is_detected_by_type_or_by_content() {
        let mut h = HeaderMap::new();
        assert!(looks_like_html(&h, b"  <!DOCTYPE html><form>"));
        assert!(!looks_like_html(&h, b"{\"a\":1}"));
        h.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        assert!(looks_like_html(&h, b"login"));
    }
}
