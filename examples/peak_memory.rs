//! Peak resident memory with 100,000 repositories loaded.
//!
//! `cargo run --release --example peak_memory [-- COUNT]`
//!
//! The simulator runs in a child process (this same program, started with
//! `BBCONNECT_PEAK_MEMORY_SIM=1`), so its own 100,000 repositories do not count. This process
//! lists every repository through the real client (Data Center, pages of 1,000), loads them
//! into the wizard's repository list (rows, filter haystacks, sort keys), types a filter and
//! draws one 200x50 frame, then prints its VmHWM (peak resident set) from /proc/self/status.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

use bbconnect::bitbucket::{Client, ClientOptions, Endpoints};
use bbconnect::core::model::{AuthKind, ConnectionSpec, Credentials, Provider, RepoPage};
use bbconnect::sim::{self, SimConfig};
use bbconnect::tui::ui;
use bbconnect::tui::wizard::msg::EditKey;
use bbconnect::tui::wizard::{Step, Wizard, WizardConfig};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const SIM_ENV: &str = "BBCONNECT_PEAK_MEMORY_SIM";

/// `VmHWM` and `VmRSS` in MiB (Linux only).
fn memory() -> Res<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let field = |name: &str| -> Res<f64> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .ok_or_else(|| format!("no {name} in /proc/self/status"))?;
        let kib: f64 = line
            .split_whitespace()
            .nth(1)
            .ok_or("malformed /proc/self/status line")?
            .parse()?;
        Ok(kib / 1024.0)
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

/// The child: serve `count` repositories until the parent closes our stdin.
fn serve(count: usize) -> Res<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let handle = sim::start(SimConfig {
            repos: Some(count),
            ..SimConfig::default()
        })
        .await?;
        println!("{}", handle.server_url());
        std::io::stdout().flush()?;
        // Block (off the runtime) until the parent is done and closes the pipe.
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await?;
        handle.shutdown().await;
        Ok(())
    })
}

fn main() -> Res<()> {
    let count: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 100_000,
    };
    if std::env::var_os(SIM_ENV).is_some() {
        return serve(count);
    }
    let (start_hwm, _) = memory()?;
    let mut child = Command::new(std::env::current_exe()?)
        .arg(count.to_string())
        .env(SIM_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut url = String::new();
    BufReader::new(child.stdout.take().ok_or("no child stdout")?).read_line(&mut url)?;
    let url = url.trim().to_string();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut w = Wizard::new(WizardConfig::default());
    w.step = Step::Repos;
    w.repos.restart(1);
    let loaded = rt.block_on(async {
        let client = Client::new(
            Credentials {
                spec: ConnectionSpec {
                    name: "dc".into(),
                    provider: Provider::Server,
                    auth: AuthKind::HttpTokenUser,
                    url,
                    username: Some("alice".into()),
                    repo: None,
                },
                secret: SecretString::from("test-token-alice".to_string()),
            },
            &Endpoints::default(),
            ClientOptions::default(),
        )
        .map_err(|p| p.to_string())?;
        // As the worker does: pages stream over a channel into the list model.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<RepoPage>(16);
        let producer = tokio::spawn(async move { client.list_repos(tx).await });
        while let Some(page) = rx.recv().await {
            w.repos.push(page.repos);
        }
        producer.await?.map_err(|p| p.to_string())?;
        Res::Ok(w.repos.len())
    })?;
    for c in "pay".chars() {
        w.repos.edit_filter(EditKey::Char(c));
    }
    w.repos.finish_filter();
    let mut term = Terminal::new(TestBackend::new(200, 50))?;
    term.draw(|f| ui::draw(f, &w))?;
    let (hwm, rss) = memory()?;
    drop(child.stdin.take());
    let _ = child.wait();
    let mb = |mib: f64| mib * 1024.0 * 1024.0 / 1e6;
    println!(
        "{loaded} repositories loaded: peak resident (VmHWM) {hwm:.1} MiB = {:.1} MB, resident now {rss:.1} MiB, at start {start_hwm:.1} MiB (target <= 80 MB; simulator in a separate process)",
        mb(hwm)
    );
    // alice cannot read other users' personal projects, so a few percent are not hers.
    if loaded < count * 9 / 10 {
        return Err(format!("listed only {loaded} of {count} repositories").into());
    }
    Ok(())
}
