//! Which proxy a request goes through. One pure decision, used both to build the client
//! (reqwest asks it per URL) and to word a failure, so a message never names a proxy the
//! request did not use (a host excluded by `NO_PROXY`).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::http::shown_url;

/// The proxy variables, read once when a client is built. Its `Debug` shows the proxies
/// without their credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    pub https: Option<String>,
    pub http: Option<String>,
    pub all: Option<String>,
    pub no_proxy: Option<String>,
}

impl std::fmt::Debug for ProxyEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = |v: &Option<String>| v.as_deref().map(shown_url);
        f.debug_struct("ProxyEnv")
            .field("https", &shown(&self.https))
            .field("http", &shown(&self.http))
            .field("all", &shown(&self.all))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl ProxyEnv {
    /// Upper case first, then lower case, as curl and reqwest do.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> ProxyEnv {
        let pick = |upper: &str, lower: &str| {
            get(upper)
                .or_else(|| get(lower))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        ProxyEnv {
            https: pick("HTTPS_PROXY", "https_proxy"),
            http: pick("HTTP_PROXY", "http_proxy"),
            all: pick("ALL_PROXY", "all_proxy"),
            no_proxy: pick("NO_PROXY", "no_proxy"),
        }
    }

    /// The proxy URL (credentials included: reqwest sends them) for a request to `url`.
    pub fn proxy_for(&self, url: &url::Url) -> Option<String> {
        let host = url.host_str()?;
        if self.excluded(host) {
            return None;
        }
        let chosen = match url.scheme() {
            "https" => self.https.as_ref().or(self.all.as_ref()),
            "http" => self.http.as_ref().or(self.all.as_ref()),
            _ => None,
        }?;
        // `proxy.corp:3128` is how many people write it; reqwest needs a scheme.
        Some(if chosen.contains("://") {
            chosen.clone()
        } else {
            format!("http://{chosen}")
        })
    }

    /// The proxy as a message names it: without its credentials.
    pub fn shown_for(&self, url: &url::Url) -> Option<String> {
        self.proxy_for(url).map(|p| shown_url(&p))
    }

    /// `NO_PROXY`: `*`, exact hosts, domain suffixes (`.corp` or `corp`), IP addresses, and
    /// IPv4 CIDR ranges; an entry's `:port` is ignored.
    fn excluded(&self, host: &str) -> bool {
        let Some(list) = &self.no_proxy else {
            return false;
        };
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        list.split([',', ' '])
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .any(|entry| {
                if entry == "*" {
                    return true;
                }
                let entry = entry.to_ascii_lowercase();
                if let Some((net, bits)) = entry.split_once('/') {
                    return in_cidr(&host, net, bits);
                }
                let entry = strip_port(&entry);
                let bare = entry.trim_start_matches("*.").trim_start_matches('.');
                host == bare || host.ends_with(&format!(".{bare}"))
            })
    }
}

fn strip_port(entry: &str) -> &str {
    if entry.starts_with('[') {
        return entry
            .split_once(']')
            .map(|(h, _)| h.trim_start_matches('['))
            .unwrap_or(entry);
    }
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => entry,
    }
}

fn in_cidr(host: &str, net: &str, bits: &str) -> bool {
    let (Ok(h), Ok(n), Ok(bits)) = (
        host.parse::<std::net::Ipv4Addr>(),
        net.parse::<std::net::Ipv4Addr>(),
        bits.parse::<u32>(),
    ) else {
        return false;
    };
    if bits > 32 {
        return false;
    }
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    u32::from(h) & mask == u32::from(n) & mask
}

/// What a proxy answered to `CONNECT`, read by a probe of our own: reqwest reports a refused
/// tunnel only as text ("unsuccessful") without the status, and its tunnel error type is
/// private to hyper-util.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyAnswer {
    /// The proxy itself cannot be reached.
    Down,
    Status(u16),
}

/// Asks `proxy` for a tunnel to `target` (`host:port`), with the credentials of the proxy
/// URL, and returns the status of its answer. Used only after a request through the proxy
/// failed, to say why.
pub async fn probe_connect(proxy: &str, target: &str) -> Option<ProxyAnswer> {
    let u = url::Url::parse(proxy).ok()?;
    let host = u.host_str()?.to_string();
    let port = u.port_or_known_default().unwrap_or(80);
    let work = async {
        let mut s = match tokio::net::TcpStream::connect((host.as_str(), port)).await {
            Ok(s) => s,
            Err(_) => return Some(ProxyAnswer::Down),
        };
        let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        if !u.username().is_empty() {
            use base64::Engine;
            let user = percent_decode(u.username());
            let pass = percent_decode(u.password().unwrap_or(""));
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            req.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = vec![0u8; 512];
        let mut got = 0;
        while got < buf.len() {
            let n = s.read(&mut buf[got..]).await.ok()?;
            if n == 0 {
                break;
            }
            got += n;
            if buf[..got].windows(2).any(|w| w == b"\r\n") {
                break;
            }
        }
        let line = String::from_utf8_lossy(&buf[..got]);
        let code = line.split_whitespace().nth(1)?.parse::<u16>().ok()?;
        Some(ProxyAnswer::Status(code))
    };
    tokio::time::timeout(Duration::from_secs(5), work)
        .await
        .ok()
        .flatten()
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> ProxyEnv {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProxyEnv::from_lookup(move |k| {
            owned
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        })
    }

    fn url(s: &str) -> url::Url {
        url::Url::parse(s).unwrap()
    }

    #[test]
    fn https_proxy_is_used_for_https_and_named_without_credentials() {
        let e = env(&[("HTTPS_PROXY", "http://bob:test-token-pw@proxy.corp:3128")]);
        assert_eq!(
            e.proxy_for(&url("https://bb.corp/rest")),
            Some("http://bob:test-token-pw@proxy.corp:3128".into())
        );
        assert_eq!(
            e.shown_for(&url("https://bb.corp/rest")),
            Some("http://proxy.corp:3128".into())
        );
        assert_eq!(e.proxy_for(&url("http://bb.corp/rest")), None);
    }

    #[test]
    fn no_proxy_excludes_hosts_domains_ips_and_ranges() {
        let e = env(&[
            ("https_proxy", "proxy.corp:3128"),
            (
                "no_proxy",
                "localhost, .internal,example.org:8443,10.0.0.0/8,[::1]",
            ),
        ]);
        assert_eq!(
            e.proxy_for(&url("https://bb.corp")),
            Some("http://proxy.corp:3128".into())
        );
        for excluded in [
            "https://localhost:7990",
            "https://git.internal",
            "https://a.b.internal",
            "https://example.org",
            "https://www.example.org",
            "https://10.2.3.4",
            "https://[::1]:8443",
        ] {
            assert_eq!(e.proxy_for(&url(excluded)), None, "{excluded}");
        }
        assert!(e.proxy_for(&url("https://notexample.org")).is_some());
        assert!(e.proxy_for(&url("https://11.0.0.1")).is_some());
        let all = env(&[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "*")]);
        assert_eq!(all.proxy_for(&url("https://bb.corp")), None);
    }

    #[test]
    fn debug_never_shows_the_proxy_password() {
        let e = env(&[("HTTPS_PROXY", "http://bob:test-token-pw@proxy.corp:3128")]);
        let shown = format!("{e:?}");
        assert!(!shown.contains("test-token-pw"), "{shown}");
        assert!(shown.contains("proxy.corp:3128"), "{shown}");
    }

    #[test]
    fn all_proxy_is_the_fallback() {
        let e = env(&[("ALL_PROXY", "http://p:1")]);
        assert_eq!(e.proxy_for(&url("https://x")), Some("http://p:1".into()));
        assert_eq!(ProxyEnv::default().proxy_for(&url("https://x")), None);
    }
}
