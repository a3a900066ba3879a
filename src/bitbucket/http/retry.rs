//! How many times a request is tried again, and how long to wait in between.

use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::{HttpError, NetKind};

/// Total time for one request with its retries, after which no new try starts.
pub(super) const MAX_TOTAL_WAIT: Duration = Duration::from_secs(30);

/// A refused connection rarely heals in seconds: one retry covers a restarting server
/// without making "nothing listens there" slow to report.
pub(super) fn retry_limit(err: &HttpError, configured: u32) -> u32 {
    match err {
        HttpError::Unreachable {
            kind: NetKind::Tcp | NetKind::ProxyDown,
            ..
        } => configured.min(1),
        _ => configured,
    }
}

impl HttpError {
    pub(super) fn retry_hint(&self) -> Option<Option<u64>> {
        match self {
            HttpError::Unreachable { kind, .. } if kind.transient() => Some(None),
            HttpError::Status {
                status,
                retry_after,
                ..
            } if *status == 429 || matches!(status, 500 | 502 | 503 | 504) => Some(*retry_after),
            _ => None,
        }
    }
}

/// `Retry-After` in seconds; the HTTP-date form is rare for APIs and treated as absent.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
}

/// Exponential backoff with "equal jitter": half the step fixed, half random, so that
/// clients failing together do not retry together.
pub fn backoff(base: Duration, attempt: u32, jitter: f64) -> Duration {
    let step = base.saturating_mul(2u32.saturating_pow(attempt.min(16)));
    let half = step / 2;
    half + half.mul_f64(jitter.clamp(0.0, 1.0))
}

pub(super) fn jitter_fraction() -> f64 {
    getrandom::u32()
        .map(|r| f64::from(r) / f64::from(u32::MAX))
        .unwrap_or(0.5)
}

pub(super) fn retry_line(err: &HttpError, wait: Duration, attempt: u32, max: u32) -> String {
    let why = match err {
        HttpError::Status { status: 429, .. } => "rate limited".to_string(),
        HttpError::Status { status, .. } => format!("server error {status}"),
        HttpError::Unreachable { kind, .. } => kind.label().to_string(),
        other => other.to_string(),
    };
    let secs = wait.as_secs_f64();
    let shown = if secs >= 1.0 {
        format!("{} s", secs.round() as u64)
    } else {
        format!("{} ms", wait.as_millis())
    };
    format!("{why}: retrying in {shown}… (retry {attempt} of {max})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_doubles_and_jitter_stays_within_half() {
        let base = Duration::from_millis(500);
        assert_eq!(backoff(base, 0, 0.0), Duration::from_millis(250));
        assert_eq!(backoff(base, 0, 1.0), Duration::from_millis(500));
        assert_eq!(backoff(base, 2, 1.0), Duration::from_millis(2000));
        assert_eq!(backoff(base, 2, 0.0), Duration::from_millis(1000));
        assert!(backoff(base, 40, 1.0) > Duration::from_secs(1000));
    }

    #[test]
    fn retry_after_seconds_are_read() {
        let mut h = HeaderMap::new();
        assert_eq!(parse_retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static(" 7 "));
        assert_eq!(parse_retry_after(&h), Some(7));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&h), None);
    }

    #[test]
    fn retryable_errors_are_transport_and_server_side_only() {
        let status = |s: u16, ra: Option<u64>| HttpError::Status {
            host: "h".into(),
            path: "/".into(),
            status: s,
            body: Box::default(),
            headers: Box::default(),
            retry_after: ra,
        };
        assert_eq!(status(503, None).retry_hint(), Some(None));
        assert_eq!(status(429, Some(3)).retry_hint(), Some(Some(3)));
        assert_eq!(status(401, None).retry_hint(), None);
        assert_eq!(status(404, None).retry_hint(), None);
        let net = |kind| HttpError::Unreachable {
            host: "h".into(),
            kind,
            cause: "x".into(),
            proxy: Some("http://proxy:1".into()),
            peer: None,
        };
        assert!(net(NetKind::Timeout).retry_hint().is_some());
        assert!(net(NetKind::Tls).retry_hint().is_none());
        assert!(net(NetKind::Dns).retry_hint().is_none());
        assert!(
            net(NetKind::Dns)
                .to_string()
                .contains("via proxy http://proxy:1")
        );
    }

    #[test]
    fn refused_connections_retry_once_at_most() {
        let refused = HttpError::Unreachable {
            host: "h".into(),
            kind: NetKind::Tcp,
            cause: "refused".into(),
            proxy: None,
            peer: None,
        };
        assert_eq!(retry_limit(&refused, 4), 1);
        assert_eq!(retry_limit(&refused, 0), 0);
        let timeout = HttpError::Unreachable {
            host: "h".into(),
            kind: NetKind::Timeout,
            cause: "t".into(),
            proxy: None,
            peer: None,
        };
        assert_eq!(retry_limit(&timeout, 4), 4);
    }

    #[test]
    fn retry_line_says_how_long() {
        let e = HttpError::Status {
            host: "h".into(),
            path: "/".into(),
            status: 429,
            body: Box::default(),
            headers: Box::default(),
            retry_after: Some(2),
        };
        assert_eq!(
            retry_line(&e, Duration::from_secs(2), 1, 4),
            "rate limited: retrying in 2 s… (retry 1 of 4)"
        );
    }
}
