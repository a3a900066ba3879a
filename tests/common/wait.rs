//! Waiting, with a limit: a test that waits for ever hides the failure it was waiting for.

use std::time::Duration;

use tokio::sync::mpsc;

/// A loopback port nobody listens on right now (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a loopback port")
        .local_addr()
        .expect("local address")
        .port()
}

/// The next message on `rx` within `limit`.
pub async fn next<T>(rx: &mut mpsc::UnboundedReceiver<T>, limit: Duration) -> T {
    tokio::time::timeout(limit, rx.recv())
        .await
        .expect("an answer in time")
        .expect("channel open")
}
