//! End to end: the real `bbconnect demo` in a pseudo-terminal, driven by key presses to a saved
//! connection, reading the screen the way a person would (through a VT100 emulator).

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::common::bin::{BIN, dc_connect_as};
use crate::common::opener::{path_with, stand_in_openers};
use crate::common::wait::free_port;

const ROWS: u16 = 30;
const COLS: u16 = 100;

struct Session {
    screen: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Session {
    /// From the first screen of `demo` to the form of a DC user token.
    fn open_the_dc_form(&mut self) {
        self.send(DOWN);
        self.send(ENTER);
        self.wait_for("HTTP Access Token – User");
        self.send(ENTER);
        self.wait_for("Connection name");
    }

    /// alice's DC user token typed into the form as `dc-demo` (the URL is prefilled with the
    /// simulator's address).
    fn type_alice_as_dc_demo(&mut self) {
        self.type_text("dc-demo");
        self.send(TAB);
        self.send(TAB);
        self.type_text("alice");
        self.send(TAB);
        self.type_text("test-token-alice");
    }

    /// From the first screen of `demo`: alice's DC user token typed in as `dc-demo`, checked,
    /// and on to the repository list.
    fn demo_dc_to_the_repositories(&mut self) {
        self.open_the_dc_form();
        self.type_alice_as_dc_demo();
        self.send(ENTER);
        self.wait_for("All checks passed");
        self.send(ENTER);
        self.wait_for("repositories");
    }

    /// On the repository list: WEB/api-adapter found with the filter and chosen, on to the
    /// webhook step.
    fn choose_api_adapter(&mut self) {
        self.send("/");
        self.type_text("api-adapter");
        self.wait_for("WEB/api-adapter");
        self.send(ENTER);
        self.send(ENTER);
        self.wait_for("Step 6/7");
    }

    fn start(args: &[&str], config_dir: &std::path::Path) -> Session {
        Session::start_with(args, config_dir, &[])
    }

    fn start_with(args: &[&str], config_dir: &std::path::Path, env: &[(&str, &str)]) -> Session {
        Session::start_in(args, config_dir, env, None)
    }

    fn start_in(
        args: &[&str],
        config_dir: &std::path::Path,
        env: &[(&str, &str)],
        cwd: Option<&std::path::Path>,
    ) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(BIN);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("BBCONNECT_CONFIG_DIR", config_dir);
        cmd.env("BBCONNECT_SECRET_STORE", "file");
        cmd.env_remove("RUST_LOG");
        // No real browser is ever started by a test; tests that want one set DISPLAY and put
        // a stand-in opener first on PATH.
        for k in [
            "DISPLAY",
            "WAYLAND_DISPLAY",
            "SSH_CONNECTION",
            "SSH_CLIENT",
            "SSH_TTY",
        ] {
            cmd.env_remove(k);
        }
        if let Some(dir) = cwd {
            cmd.cwd(dir);
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("bbconnect starts");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let screen = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        {
            let screen = screen.clone();
            let raw = raw.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = reader.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    screen.lock().unwrap().process(&buf[..n]);
                    raw.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
        // Keep the master alive for the whole session.
        std::mem::forget(pty.master);
        Session {
            screen,
            raw,
            writer,
            child,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `text`; panics with the screen when it does not.
    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.contents().contains(text) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "screen never showed {text:?}; it shows:\n{}",
            self.contents()
        );
    }

    fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(80));
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(&c.to_string());
        }
    }

    fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.exit_code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("bbconnect did not exit; screen:\n{}", self.contents());
    }

    fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned()
    }
}

const ENTER: &str = "\r";
const DOWN: &str = "\x1b[B";
const TAB: &str = "\t";
const ESC: &str = "\x1b";

/// Leaving the alternate screen: the terminal was handed back.
const LEAVE_ALT_SCREEN: &str = "\x1b[?1049l";

#[test]
fn demo_reaches_a_saved_connection_by_keyboard() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(&["demo"], home.path());
    s.wait_for("Where does your Bitbucket live?");
    s.wait_for("Bitbucket Server / Data Center");
    s.open_the_dc_form();
    s.wait_for("test-token-alice");
    s.type_alice_as_dc_demo();
    // The token is masked: typed characters never reach the screen as text.
    assert!(s.contents().contains("••••"), "{}", s.contents());
    s.send(ENTER);
    s.wait_for("All checks passed");
    assert!(
        s.contents().contains("Signed in as alice"),
        "{}",
        s.contents()
    );
    // Esc goes back to the form with the values kept, Enter checks again.
    s.send(ESC);
    s.wait_for("Connection name");
    assert!(
        s.contents().contains("dc-demo"),
        "values kept after Back: {}",
        s.contents()
    );
    s.send(ENTER);
    s.wait_for("All checks passed");
    s.send(ENTER);
    s.wait_for("repositories");
    // The optional webhook step: a loopback http URL is allowed, the secret is generated.
    s.choose_api_adapter();
    s.wait_for("(generated)");
    s.type_text("http://127.0.0.1:9/ci-hook");
    s.send(ENTER);
    s.wait_for("created");
    s.send(ENTER);
    s.wait_for("saved");
    // The Saved screen arrives in more than one write: wait for its last line, not its title.
    s.wait_for("mode 0600");
    assert!(s.contents().contains("/ci-hook"), "{}", s.contents());
    s.send(ENTER);
    let code = s.wait_exit();
    assert_eq!(code, 0);
    let raw = s.raw_text();
    assert!(raw.contains(LEAVE_ALT_SCREEN), "terminal restored on exit");
    assert!(
        raw.contains("Saved connection `dc-demo`"),
        "summary printed after the terminal is restored"
    );
}

/// Sends `signal` to the running demo and checks the terminal was handed back.
#[cfg(unix)]
fn signal_restores_the_terminal(signal: &str) {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(&["demo"], home.path());
    s.wait_for("Where does your Bitbucket live?");
    let pid = s.child.process_id().expect("child pid");
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    s.wait_exit();
    // The reader thread may still be copying the last bytes out of the pty under load.
    let deadline = Instant::now() + Duration::from_secs(3);
    while !s.raw_text().contains(LEAVE_ALT_SCREEN) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        s.raw_text().contains(LEAVE_ALT_SCREEN),
        "terminal restored after SIG{signal}"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_restores_the_terminal() {
    signal_restores_the_terminal("TERM");
}

#[cfg(unix)]
#[test]
fn sighup_restores_the_terminal() {
    signal_restores_the_terminal("HUP");
}

#[cfg(unix)]
#[test]
fn external_sigint_restores_the_terminal() {
    signal_restores_the_terminal("INT");
}

#[test]
fn quit_key_restores_the_terminal_from_the_form() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(&["demo"], home.path());
    s.wait_for("Where does your Bitbucket live?");
    s.send(ENTER);
    s.wait_for("API Token");
    s.send("\x03"); // Ctrl-C
    let code = s.wait_exit();
    assert_eq!(
        code, 130,
        "Ctrl-C ends as interrupted, the shell's 128 + SIGINT"
    );
    let raw = s.raw_text();
    assert!(raw.contains(LEAVE_ALT_SCREEN));
    assert!(raw.contains("nothing was saved"), "{raw}");
    // The demo kept nothing: it must not say it kept a connection.
    assert!(!raw.contains("demo connection was kept"), "{raw}");
}

#[test]
fn a_bad_concurrency_setting_is_refused_before_the_screen_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Session::start_with(&["demo"], dir.path(), &[("BBCONNECT_CONCURRENCY", "lots")]);
    assert_eq!(s.wait_exit(), 2);
    let raw = s.raw_text();
    assert!(raw.contains("BBCONNECT_CONCURRENCY"), "{raw}");
    assert!(raw.contains("from 1 to 32"), "{raw}");
    assert!(
        !raw.contains("\x1b[?1049h"),
        "the alternate screen was never entered"
    );
}

/// Done when: from an empty HOME, `bbconnect demo`, connect, `c` on the Saved screen clones
/// the repository through the helper and the simulator's git smart HTTP.
#[test]
fn demo_clones_the_chosen_repository_with_c() {
    let config = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let home_s = home.path().to_string_lossy().to_string();
    let env = [
        ("HOME", home_s.as_str()),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_TERMINAL_PROMPT", "0"),
    ];
    let mut s = Session::start_in(&["demo"], config.path(), &env, Some(cwd.path()));
    s.wait_for("Bitbucket Server / Data Center");
    s.demo_dc_to_the_repositories();
    s.choose_api_adapter();
    s.send("\x13"); // Ctrl-S: no webhook
    s.wait_for("saved");
    s.wait_for("c clone into ./api-adapter");
    s.send("c");
    s.wait_for("Cloned");
    assert!(
        cwd.path().join("api-adapter/README.md").exists(),
        "{}",
        s.contents()
    );
    let config_text = std::fs::read_to_string(cwd.path().join("api-adapter/.git/config")).unwrap();
    assert!(!config_text.contains("test-token-alice"), "{config_text}");
    // The user's git config was not touched by the demo.
    assert!(!home.path().join(".gitconfig").exists());
    s.send(ENTER);
    assert_eq!(s.wait_exit(), 0);
}

/// a token and URL typed for Server/DC must not be offered (masked) to Cloud.
#[test]
fn a_dc_token_and_url_are_not_carried_into_the_cloud_form() {
    let home = tempfile::tempdir().unwrap();
    // The wizard alone (not the demo): Cloud's default URL is bitbucket.org, nothing is sent
    // anywhere before a check.
    let mut s = Session::start(&[], home.path());
    s.wait_for("Where does your Bitbucket live?");
    s.send(DOWN);
    s.send(ENTER);
    s.wait_for("HTTP Access Token – User");
    s.send(ENTER);
    s.wait_for("Server URL");
    s.type_text("work");
    s.send(TAB);
    s.type_text("https://dc.example.com");
    s.send(TAB);
    s.type_text("alice");
    s.send(TAB);
    s.type_text("test-token-dc");
    assert!(s.contents().contains("••••"), "{}", s.contents());
    s.send(ESC);
    s.wait_for("HTTP Access Token – Repository");
    s.send(ESC);
    s.wait_for("Where does your Bitbucket live?");
    s.send("\x1b[A"); // Up: Cloud
    s.send(ENTER);
    s.wait_for("API Token – User");
    s.send(ENTER); // the recommended type: API token
    s.wait_for("Atlassian email");
    let screen = s.contents();
    assert!(screen.contains("https://bitbucket.org"), "{screen}");
    assert!(!screen.contains("dc.example.com"), "{screen}");
    assert!(
        !screen.contains('•'),
        "no masked secret carried over: {screen}"
    );
    assert!(
        screen.contains("work"),
        "the connection name stays: {screen}"
    );
    s.send("\x03");
    assert_eq!(s.wait_exit(), 130, "Ctrl-C before saving exits 130");
}

/// Waits for the stand-in opener to have run; its recorded environment.
fn recorded_env(dir: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(env) = std::fs::read_to_string(dir.join("env")) {
            return env;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no opener ran");
}

/// Ctrl-O opens the token page through an opener that never sees our
/// secret variables, while settings a child may need (the config dir) stay.
#[cfg(unix)]
#[test]
fn the_token_page_opener_gets_no_secret_from_our_environment() {
    let home = tempfile::tempdir().unwrap();
    let openers = stand_in_openers();
    let path = path_with(openers.path());
    let mut s = Session::start_with(
        &[],
        home.path(),
        &[
            ("PATH", &path),
            ("DISPLAY", ":99"),
            ("BBCONNECT_TOKEN", "test-token-env-value-1"),
            ("BBCONNECT_OAUTH_SECRET", "test-token-env-value-2"),
        ],
    );
    s.wait_for("Where does your Bitbucket live?");
    s.send(ENTER);
    s.wait_for("API Token – User");
    s.send(ENTER);
    s.wait_for("Ctrl-O");
    s.send("\x0f"); // Ctrl-O
    let env = recorded_env(openers.path());
    assert!(!env.contains("test-token-env-value"), "{env}");
    assert!(!env.contains("BBCONNECT_TOKEN"), "{env}");
    assert!(
        env.contains(&format!("BBCONNECT_CONFIG_DIR={}", home.path().display())),
        "{env}"
    );
    let ran = std::fs::read_to_string(openers.path().join("ran")).unwrap();
    assert_eq!(ran.trim(), "xdg-open", "the first opener succeeded: {ran}");
    let args = std::fs::read_to_string(openers.path().join("args")).unwrap();
    assert!(args.contains("id.atlassian.com"), "{args}");
    s.send("\x03");
    s.wait_exit();
}

/// A browser elsewhere signing in: GET the authorize URL from the simulator without
/// following the redirect; the address it would land on (the Location header).
fn sign_in_elsewhere(url: &str) -> String {
    let parsed = url::Url::parse(url).expect("the screen shows a URL");
    let host = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port_or_known_default().unwrap()
    );
    let target = &url[url.find(parsed.path()).unwrap()..];
    let mut stream = std::net::TcpStream::connect(&host).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .unwrap_or_else(|| panic!("no redirect: {response}"))
        .trim()
        .to_string()
}

/// The demo's OAuth form filled (consumer from the environment), the callback on `port`,
/// submitted: the sign-in screen.
fn start_oauth_sign_in(s: &mut Session, port: u16) {
    s.wait_for("Where does your Bitbucket live?");
    s.send(ENTER);
    s.wait_for("API Token – User");
    s.send("\x1b[A"); // Up: OAuth2, the first Cloud type
    s.send(ENTER);
    s.wait_for("Consumer key");
    s.type_text("oa");
    for _ in 0..4 {
        s.send(TAB);
    }
    s.send("\x1b[F"); // End
    s.send("\x15"); // Ctrl-U
    s.send(&format!("http://127.0.0.1:{port}/callback"));
    s.send(ENTER);
    s.wait_for("Sign in with OAuth2");
}

/// The authorize URL as the screen shows it, rows joined only where the terminal itself
/// wrapped them.
fn shown_authorize_url(s: &Session) -> String {
    s.wait_for("/site/oauth2/authorize");
    let screen = s.contents();
    let line = screen
        .lines()
        .find(|l| l.contains("/site/oauth2/authorize"))
        .unwrap();
    line[line.find("http").unwrap()..].trim_end().to_string()
}

/// over SSH no browser is claimed, the URL is one selectable line, `y` copies it
/// with OSC 52, and the address the browser lands on, pasted back, completes the sign-in.
#[test]
fn over_ssh_the_url_is_one_line_copied_with_y_and_the_pasted_redirect_signs_in() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start_with(
        &["demo"],
        home.path(),
        &[
            ("SSH_CONNECTION", "192.0.2.1 50000 192.0.2.2 22"),
            ("BBCONNECT_OAUTH_KEY", "test-oauth-key"),
            ("BBCONNECT_OAUTH_SECRET", "test-oauth-secret"),
        ],
    );
    let port = free_port();
    start_oauth_sign_in(&mut s, port);
    s.wait_for("this is an SSH session");
    assert!(
        !s.contents().contains("A browser was opened"),
        "{}",
        s.contents()
    );
    assert!(
        s.contents()
            .contains(&format!("ssh -L {port}:127.0.0.1:{port} HOST")),
        "{}",
        s.contents()
    );
    let url = shown_authorize_url(&s);
    // Longer than a row, yet one line: the terminal wrapped it, nothing broke it.
    assert!(url.len() > usize::from(COLS), "{url}");
    assert!(
        url.ends_with(&format!("127.0.0.1%3A{port}%2Fcallback")),
        "the URL is cut where a row ends: {url}\n{}",
        s.contents()
    );

    s.send("y");
    use base64::Engine;
    // crossterm's clipboard command: OSC 52 for the clipboard, ended by ST.
    let osc52 = format!(
        "\x1b]52;c;{}\x1b\\",
        base64::engine::general_purpose::STANDARD.encode(&url)
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !s.raw_text().contains(&osc52) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(s.raw_text().contains(&osc52), "no OSC 52 with the URL");

    let landed = sign_in_elsewhere(&url);
    assert!(
        landed.starts_with(&format!("http://127.0.0.1:{port}/callback?code=")),
        "{landed}"
    );
    // A paste arrives as typed keys; its letters never act as commands.
    s.send(&landed);
    s.send(ENTER);
    s.wait_for("All checks passed");
    assert!(s.contents().contains("alice"), "{}", s.contents());
    // After a passed check, quitting asks first; a second q confirms.
    s.send("q");
    s.wait_for("Quit without saving?");
    s.send("q");
    s.wait_exit();
}

/// On the sign-in path: the browser opened for OAuth gets neither our token
/// nor the consumer secret, and only then does the screen say a browser was opened.
#[cfg(unix)]
#[test]
fn the_sign_in_browser_gets_no_secret_and_is_reported_opened() {
    let home = tempfile::tempdir().unwrap();
    let openers = stand_in_openers();
    let path = path_with(openers.path());
    let mut s = Session::start_with(
        &["demo"],
        home.path(),
        &[
            ("PATH", &path),
            ("DISPLAY", ":99"),
            ("BBCONNECT_TOKEN", "test-token-env-value-1"),
            ("BBCONNECT_OAUTH_KEY", "test-oauth-key"),
            ("BBCONNECT_OAUTH_SECRET", "test-oauth-secret"),
        ],
    );
    start_oauth_sign_in(&mut s, free_port());
    let env = recorded_env(openers.path());
    assert!(!env.contains("test-token-env-value"), "{env}");
    assert!(!env.contains("test-oauth-secret"), "{env}");
    assert!(env.contains("BBCONNECT_CONFIG_DIR="), "{env}");
    let args = std::fs::read_to_string(openers.path().join("args")).unwrap();
    assert!(args.contains("/site/oauth2/authorize"), "{args}");
    s.wait_for("A browser was opened at this address");
    s.send(ESC);
    s.wait_for("Consumer key");
    s.send("\x03");
    s.wait_exit();
}

/// Ctrl-O where no browser can open says so on screen.
#[test]
fn ctrl_o_without_a_display_says_no_browser_opened() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(&[], home.path());
    s.wait_for("Where does your Bitbucket live?");
    s.send(ENTER);
    s.wait_for("API Token – User");
    s.send(ENTER);
    s.wait_for("Ctrl-O");
    s.send("\x0f");
    s.wait_for("No browser opened (no display here). Open the token page below yourself.");
    assert!(
        s.contents().contains("id.atlassian.com"),
        "{}",
        s.contents()
    );
    s.send("\x03");
    s.wait_exit();
}

#[test]
fn q_before_saving_says_nothing_was_saved() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(&["demo"], home.path());
    s.wait_for("Where does your Bitbucket live?");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    let raw = s.raw_text();
    assert!(raw.contains("nothing was saved"), "{raw}");
    assert!(!raw.contains("demo connection was kept"), "{raw}");
}

/// after a passed check, `q` on the repository list is the start of a
/// filter, and Ctrl-C asks before throwing the check away.
#[test]
fn letters_on_the_repository_list_filter_and_quitting_asks() {
    let home = tempfile::tempdir().unwrap();
    let mut s = Session::start(&["demo"], home.path());
    s.wait_for("Where does your Bitbucket live?");
    s.demo_dc_to_the_repositories();
    s.type_text("qzx");
    s.wait_for("qzx");
    assert!(s.child.try_wait().unwrap().is_none(), "q did not quit");
    s.send("\x03");
    s.wait_for("Quit without saving?");
    s.send("\x03");
    assert_eq!(s.wait_exit(), 130);
    assert!(s.raw_text().contains("nothing was saved"));
}

/// with a saved connection the wizard opens on the list; `d` then `y` removes it
/// through the worker and the store, for real.
#[test]
fn the_saved_list_removes_a_connection_after_asking() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("connections.toml"),
        "version = 1\n\n[[connection]]\nname = \"work\"\nprovider = \"server\"\nauth = \"http-token-user\"\nurl = \"https://bitbucket.example.com\"\nusername = \"ana\"\nsecret_store = \"file\"\nsaved_at = \"2026-12-01T21:00:05Z\"\n",
    )
    .unwrap();
    let mut s = Session::start(&[], home.path());
    s.wait_for("Your saved connections");
    s.wait_for("bitbucket.example.com");
    s.send("d");
    s.wait_for("Remove `work` and its secret?");
    s.send("y");
    s.wait_for("Removed `work`");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    let left = std::fs::read_to_string(home.path().join("connections.toml")).unwrap();
    assert!(!left.contains("work"), "{left}");
}

/// Enter on a saved connection checks it again through the worker against a
/// running simulator, and the result is shown on its row and kept with the connection.
#[test]
fn the_saved_list_checks_a_connection_again() {
    use std::io::BufRead;
    let home = tempfile::tempdir().unwrap();
    /// The simulator process ends with the test, even a failing one.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut sim = Killed(
        std::process::Command::new(BIN)
            .args(["sim", "--port", "0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut out = std::io::BufReader::new(sim.0.stdout.take().unwrap());
    let mut url = String::new();
    for _ in 0..10 {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        if let Some(u) = line.trim().strip_prefix("Server/DC:") {
            url = u.trim().to_string();
            break;
        }
    }
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let saved = std::process::Command::new(BIN)
        .args(dc_connect_as(&url, "work", "alice"))
        .env("BBCONNECT_CONFIG_DIR", home.path())
        .env("BBCONNECT_SECRET_STORE", "file")
        .env("BBCONNECT_TOKEN", "test-token-alice")
        .output()
        .unwrap();
    assert_eq!(saved.status.code(), Some(0), "{saved:?}");
    // Written on save already: clear it to see the re-check write it again.
    let file = home.path().join("connections.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let cut = text
        .find("[connection.last_check]")
        .expect("last check on save");
    std::fs::write(&file, &text[..cut]).unwrap();
    let mut s = Session::start(&[], home.path());
    s.wait_for("Your saved connections");
    s.wait_for("not checked yet");
    s.send(ENTER);
    s.wait_for("all checks passed");
    s.send("q");
    assert_eq!(s.wait_exit(), 0);
    drop(sim);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("[connection.last_check]"), "{text}");
    assert!(text.contains("ok = true"), "{text}");
}
