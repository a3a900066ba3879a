//! Render snapshots of every screen through ratatui's TestBackend, plus checks on what the
//! buffer must never hold (secrets, control characters).

use bbconnect::core::model::{AuthKind, CheckId, Provider};
use bbconnect::core::model::{
    CheckItem, CheckReport, FailureClass, Identity, Problem, Repo, RepoPage, SavedInfo, Webhook,
    WebhookChange,
};
use bbconnect::tui::ui;
use bbconnect::tui::wizard::msg::{EditKey, Effect, Msg, RequestId};
use bbconnect::tui::wizard::saved::SavedRow;
use bbconnect::tui::wizard::{Step, Wizard, WizardConfig, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

use crate::common::screen::{buffer, text};

const SECRET: &str = "test-token-s3cr3t-value";

fn config(demo: bool) -> WizardConfig {
    WizardConfig {
        cloud_web_url: "https://bitbucket.org".into(),
        server_url: Some("http://127.0.0.1:7990".into()),
        existing_names: vec!["taken".into()],
        demo_notes: if demo {
            vec![
                "Simulator: http://127.0.0.1:7990".into(),
                "http-token-user: alice / test-token-demo-server".into(),
                "api-token: ana@example.com / test-token-demo-cloud".into(),
                "repo-token: test-token-demo-repo (acme/api)".into(),
            ]
        } else {
            vec![]
        },
        no_color: false,
        // A fixed day: expiry lines on screen do not move with the clock.
        today: "2026-12-07".parse().expect("date"),
        ..WizardConfig::default()
    }
}

fn screen(w: &Wizard) -> String {
    text(&buffer(w, 80, 24))
}

/// `screen` holds every one of `needles`.
fn shows(screen: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            screen.contains(needle),
            "{needle:?} not on screen:\n{screen}"
        );
    }
}

fn typed(w: &mut Wizard, s: &str) {
    for c in s.chars() {
        update(w, Msg::Edit(EditKey::Char(c)));
    }
}

/// The wizard (no demo) after `keys` from its first screen.
fn after<const N: usize>(keys: [Msg; N]) -> Wizard {
    let mut w = Wizard::new(config(false));
    for key in keys {
        update(&mut w, key);
    }
    w
}

fn cloud_form(demo: bool) -> Wizard {
    let mut w = Wizard::new(config(demo));
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Form);
    w
}

/// The form of a DC user token (the first type Data Center offers).
fn server_form(demo: bool) -> Wizard {
    let mut w = Wizard::new(config(demo));
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Form);
    w
}

fn filled_cloud(demo: bool) -> Wizard {
    let mut w = cloud_form(demo);
    typed(&mut w, "work");
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, "ana@example.com");
    update(&mut w, Msg::NextField);
    typed(&mut w, SECRET);
    w
}

fn check_done(w: &mut Wizard, id: RequestId, report: CheckReport) {
    update(w, Msg::CheckDone { id, report });
}

fn progress(w: &mut Wizard, id: RequestId, note: impl Into<String>) {
    let note = note.into();
    update(w, Msg::CheckProgress { id, note });
}

fn repos_page(w: &mut Wizard, id: RequestId, repos: Vec<Repo>, total_hint: Option<usize>) {
    let page = RepoPage { repos, total_hint };
    update(w, Msg::ReposPage { id, page });
}

fn saved(w: &mut Wizard, id: RequestId, result: Result<SavedInfo, Problem>) {
    update(w, Msg::Saved { id, result });
}

/// What saving `work` with its secret in a file under /config says.
fn saved_work() -> SavedInfo {
    SavedInfo {
        name: "work".into(),
        config_file: "/config/bbconnect/connections.toml".into(),
        secret_location: "file /config/bbconnect/secrets/work (mode 0600)".into(),
        keychain_fallback: None,
        clone_https: Some("https://bitbucket.org/acme/api-gateway.git".into()),
        expires_on: None,
    }
}

/// `work` saved for ana's DC user token, for WEB/api-adapter; never checked, expiry unknown.
fn work_on_dc() -> SavedRow {
    SavedRow {
        name: "work".into(),
        provider: Provider::Server,
        auth: AuthKind::HttpTokenUser,
        url: "https://bitbucket.example.com".into(),
        username: Some("ana".into()),
        user: Some("ana".into()),
        repo: Some("WEB/api-adapter".into()),
        last_check: None,
        expires_on: None,
    }
}

/// `work` saved for ana's Cloud API token, no repository; never checked, expiry unknown.
fn work_on_cloud() -> SavedRow {
    SavedRow {
        name: "work".into(),
        provider: Provider::Cloud,
        auth: AuthKind::ApiToken,
        url: "https://bitbucket.org".into(),
        username: Some("ana@example.com".into()),
        user: None,
        repo: None,
        last_check: None,
        expires_on: None,
    }
}

/// [`saved_work`] with the config in ana's home.
fn saved_in_home() -> SavedInfo {
    SavedInfo {
        config_file: "/home/ana/.config/bbconnect/connections.toml".into(),
        secret_location: "file /home/ana/.config/bbconnect/secrets/work (mode 0600)".into(),
        ..saved_work()
    }
}

fn checking() -> (Wizard, RequestId) {
    let mut w = filled_cloud(false);
    let effects = update(&mut w, Msg::Confirm);
    let Some(Effect::CheckCredentials { id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    (w, *id)
}

fn passed_report() -> CheckReport {
    CheckReport {
        items: vec![
            CheckItem::passed(
                CheckId::Reach,
                "https://api.bitbucket.org answered over TLS",
            ),
            CheckItem::passed(CheckId::Credential, "API token of ana@example.com"),
            CheckItem::passed(CheckId::Permissions, "all 8 scopes granted"),
            CheckItem {
                // A title of its own, as the snapshots were taken with it.
                title: "Token reach".into(),
                ..CheckItem::warning(
                    CheckId::ReachCount,
                    "this token can read 2,000 repositories in 3 workspaces",
                    "Prefer a bot user or a repository token for one repository.",
                )
            },
        ],
        identity: Some(Identity {
            username: "ana".into(),
            display_name: Some("Ana Lopez".into()),
            ..Identity::default()
        }),
        server_version: None,
    }
}

fn failed_report() -> CheckReport {
    CheckReport {
        items: vec![
            CheckItem::passed(
                CheckId::Reach,
                "https://api.bitbucket.org answered over TLS",
            ),
            CheckItem::failed(
                CheckId::Credential,
                FailureClass::Rejected,
                "401: Token is invalid, expired, or not supported for this endpoint.",
                "Sign in with the Atlassian email (not the username), or create a new token.",
            ),
        ],
        identity: None,
        server_version: None,
    }
}

fn repo(ws: &str, name: &str, updated: &str) -> Repo {
    let slug = name.to_lowercase();
    Repo {
        full_name: format!("{ws}/{slug}"),
        name: name.into(),
        slug: slug.clone(),
        project_key: Some("PLAT".into()),
        project_name: Some("Platform".into()),
        workspace: Some(ws.into()),
        private: true,
        archived: false,
        default_branch: Some("main".into()),
        clone_https: Some(format!("https://bitbucket.org/{ws}/{slug}.git")),
        clone_ssh: Some(format!("git@bitbucket.org:{ws}/{slug}.git")),
        updated_on: Some(updated.into()),
        description: Some("Service".into()),
        web_url: None,
    }
}

fn sample_repos() -> Vec<Repo> {
    let names = [
        "api-gateway",
        "billing-api",
        "web-shop",
        "mobile-app",
        "infra-terraform",
        "docs",
        "payments-core",
        "search-indexer",
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            repo(
                if i % 2 == 0 { "acme" } else { "globex" },
                n,
                &format!("2026-0{}-01T10:00:00Z", i + 1),
            )
        })
        .collect()
}

/// The check screen once the check ended with `report`.
fn checked(report: CheckReport) -> String {
    let (mut w, id) = checking();
    check_done(&mut w, id, report);
    screen(&w)
}

fn in_repos() -> (Wizard, RequestId) {
    let (mut w, id) = checking();
    check_done(&mut w, id, passed_report());
    let effects = update(&mut w, Msg::Confirm);
    let Some(Effect::LoadRepos { id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    (w, *id)
}

fn loaded_repos() -> Wizard {
    let (mut w, id) = in_repos();
    repos_page(&mut w, id, sample_repos(), Some(8));
    update(&mut w, Msg::ReposDone { id, result: Ok(()) });
    w
}

fn saving() -> (Wizard, RequestId) {
    let mut w = loaded_repos();
    update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Webhook);
    let effects = update(&mut w, Msg::Skip);
    let Some(Effect::Save { id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    (w, *id)
}

#[test]
fn provider() {
    insta::assert_snapshot!(screen(&Wizard::new(config(false))));
}

#[test]
fn provider_demo_shows_every_demo_line() {
    let s = screen(&Wizard::new(config(true)));
    assert!(s.contains("test-token-demo-server") && s.contains("test-token-demo-cloud"));
    insta::assert_snapshot!(s);
}

#[test]
fn auth_type_cloud() {
    let w = after([Msg::Confirm]);
    let s = screen(&w);
    assert!(!s.contains("coming soon"), "every type is available");
    insta::assert_snapshot!(s);
}

#[test]
fn auth_type_app_password_warning_and_coming_soon() {
    let w = after([Msg::Confirm, Msg::Down, Msg::Down]);
    let s = screen(&w);
    assert!(s.contains("2026-07-28"));
    insta::assert_snapshot!(s);
}

#[test]
fn auth_type_server() {
    let w = after([Msg::Down, Msg::Confirm]);
    insta::assert_snapshot!(screen(&w));
}

#[test]
fn form_empty_with_errors() {
    let mut w = cloud_form(false);
    for _ in 0..4 {
        update(&mut w, Msg::Confirm);
    }
    let s = screen(&w);
    assert!(s.contains("Required"));
    insta::assert_snapshot!(s);
}

#[test]
fn form_filled_secret_masked_demo_notes() {
    let w = filled_cloud(true);
    let s = screen(&w);
    assert!(
        !s.contains(SECRET) && !s.contains("s3cr3t"),
        "secret on screen"
    );
    assert!(s.contains(&"•".repeat(SECRET.len())));
    assert!(s.contains("test-token-demo-cloud"), "demo notes shown");
    assert!(
        !s.contains("test-token-demo-server") && !s.contains("test-token-demo-repo"),
        "lines for other auth types are left out"
    );
    assert!(
        s.contains("https://id.atlassian.com/manage-profile/security/api-tokens"),
        "{s}"
    );
    insta::assert_snapshot!(s);
}

/// The optional "Expires on" field after the secret: its placeholder, and a day that is not
/// one said as it is typed.
#[test]
fn form_expires_field() {
    let mut w = filled_cloud(false);
    w.form.focus = bbconnect::core::fields::fields(w.auth).len() - 1;
    let s = screen(&w);
    shows(&s, &["Expires on", "YYYY-MM-DD, optional"]);
    typed(&mut w, "2027-02-30");
    let s = screen(&w);
    assert!(s.contains("2027-02-30 is not a day of the calendar"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn form_server() {
    let mut w = server_form(false);
    typed(&mut w, "dc");
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, "bad:user");
    let s = screen(&w);
    assert!(s.contains("http://127.0.0.1:7990/plugins/servlet/access-tokens/manage"));
    assert!(s.contains("REPO_ADMIN"));
    insta::assert_snapshot!(s);
}

#[test]
fn check_in_flight() {
    let (mut w, id) = checking();
    progress(&mut w, id, "Resolving api.bitbucket.org");
    progress(&mut w, id, "Reading /2.0/user");
    update(&mut w, Msg::Tick);
    insta::assert_snapshot!(screen(&w));
}

#[test]
fn check_passed() {
    let s = checked(passed_report());
    assert!(s.contains("Signed in as ana (Ana Lopez)"));
    insta::assert_snapshot!(s);
}

#[test]
fn check_failed() {
    let s = checked(failed_report());
    assert!(s.contains("r retry") && s.contains("e edit"));
    insta::assert_snapshot!(s);
}

#[test]
fn repos_loading() {
    let (mut w, id) = in_repos();
    insta::assert_snapshot!("repos_first_page_pending", screen(&w));
    repos_page(&mut w, id, sample_repos()[..5].to_vec(), Some(2000));
    let s = screen(&w);
    assert!(s.contains("loading 5 of 2,000"));
    insta::assert_snapshot!(s);
}

#[test]
fn repos_filtered_with_highlights() {
    let mut w = loaded_repos();
    update(&mut w, Msg::FocusFilter);
    typed(&mut w, "api");
    let buf = buffer(&w, 80, 24);
    let s = text(&buf);
    assert!(s.contains("api-gateway") && s.contains("billing-api"));
    assert!(!s.contains("web-shop"));
    // The matched characters carry the highlight style: find "api" of "billing-api".
    let (x, y) = find(&buf, "billing-api").expect("row on screen");
    let bold = |dx: u16| buf[(x + dx, y)].modifier.contains(Modifier::BOLD);
    assert!(bold(8) && bold(9) && bold(10), "a, p, i highlighted");
    assert!(!bold(0), "b is not a match");
    insta::assert_snapshot!(s);
}

#[test]
fn repos_filter_in_progress_keeps_the_previous_rows_and_says_so() {
    let mut w = loaded_repos();
    w.repos.slice_rows = 3;
    update(&mut w, Msg::FocusFilter);
    typed(&mut w, "api");
    let s = screen(&w);
    assert!(s.contains("filtering…"), "{s}");
    assert!(
        s.contains("web-shop"),
        "the unfiltered rows until the result is complete"
    );
    while w.has_work() {
        update(&mut w, Msg::Work { rows: 3 });
    }
    let s = screen(&w);
    assert!(!s.contains("filtering…") && s.contains("2 shown"), "{s}");
    assert!(!s.contains("web-shop"));
}

#[test]
fn repos_no_match() {
    let mut w = loaded_repos();
    update(&mut w, Msg::FocusFilter);
    typed(&mut w, "zzzz");
    insta::assert_snapshot!(screen(&w));
}

#[test]
fn repos_load_failed() {
    let (mut w, id) = in_repos();
    update(
        &mut w,
        Msg::ReposDone {
            id,
            result: Err(Problem::new(
                FailureClass::Unreachable,
                "Connection reset.",
                "Check the network.",
            )),
        },
    );
    let s = screen(&w);
    assert!(s.contains("Ctrl-R retry"));
    insta::assert_snapshot!(s);
}

#[test]
fn saving_and_save_failed() {
    let (mut w, id) = saving();
    insta::assert_snapshot!("saving", screen(&w));
    saved(
        &mut w,
        id,
        Err(Problem::new(
            FailureClass::Other,
            "Permission denied writing the config file.",
            "Set BBCONNECT_CONFIG_DIR to a writable directory.",
        )),
    );
    insta::assert_snapshot!("save_failed", screen(&w));
}

#[test]
fn done() {
    let (mut w, id) = saving();
    saved(
        &mut w,
        id,
        Ok(SavedInfo {
            expires_on: Some("2027-01-10".parse().expect("date")),
            ..saved_work()
        }),
    );
    let s = screen(&w);
    for needle in [
        "bbconnect check work",
        "bbconnect repos work",
        "bbconnect list",
        "0600",
        "acme/api-gateway",
        "expires 2027-01-10 (34 days)",
    ] {
        assert!(s.contains(needle), "{needle}");
    }
    insta::assert_snapshot!(s);
}

#[test]
fn help_overlay() {
    let mut w = filled_cloud(false);
    update(&mut w, Msg::ToggleHelp);
    let s = screen(&w);
    assert!(s.contains("Shift-Tab"));
    insta::assert_snapshot!("help_form", s);
    let mut w = loaded_repos();
    update(&mut w, Msg::ToggleHelp);
    insta::assert_snapshot!("help_repos", screen(&w));
}

#[test]
fn large_terminal() {
    let w = loaded_repos();
    insta::assert_snapshot!("large_repos", text(&buffer(&w, 160, 48)));
    let w = filled_cloud(true);
    insta::assert_snapshot!("large_form", text(&buffer(&w, 160, 48)));
}

#[test]
fn tiny_terminal_does_not_panic_on_any_screen() {
    let w = loaded_repos();
    for (width, height) in [(1, 1), (10, 3), (20, 6), (40, 10)] {
        let _ = buffer(&w, width, height);
        let _ = buffer(&filled_cloud(true), width, height);
        let (c, _) = checking();
        let _ = buffer(&c, width, height);
        let mut wide = cloud_form(false);
        typed(&mut wide, "日本日本日本");
        let _ = buffer(&wide, width, height);
        let mut filter = loaded_repos();
        update(&mut filter, Msg::FocusFilter);
        typed(&mut filter, "日本日本");
        let _ = buffer(&filter, width, height);
    }
}

#[test]
fn server_text_never_reaches_the_terminal_raw() {
    let (mut w, id) = in_repos();
    let mut hostile = repo("acme", "evil\u{1b}]0;pwned\u{7}name", "2026-01-01");
    hostile.description = Some("\u{1b}[2J wipe".into());
    repos_page(&mut w, id, vec![hostile], None);
    let buf = buffer(&w, 80, 24);
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "{:?}",
            cell.symbol()
        );
    }
    assert!(text(&buf).contains("evil\u{241b}]0;pwned\u{2407}name"));
}

#[test]
fn no_color_uses_no_colours() {
    let mut cfg = config(false);
    cfg.no_color = true;
    let mut w = Wizard::new(cfg);
    update(&mut w, Msg::Confirm);
    let buf = buffer(&w, 80, 24);
    for cell in buf.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
}

fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let first = needle.chars().next()?;
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            if buf[(x, y)].symbol().starts_with(first) {
                let matches = needle.chars().enumerate().all(|(i, c)| {
                    x + (i as u16) < buf.area.width
                        && buf[(x + i as u16, y)].symbol() == c.to_string()
                });
                if matches {
                    return Some((x, y));
                }
            }
        }
    }
    None
}

fn cursor(w: &Wizard, width: u16, height: u16) -> (u16, u16) {
    use ratatui::backend::Backend;
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|f| ui::draw(f, w)).expect("draw");
    let p = terminal
        .backend_mut()
        .get_cursor_position()
        .expect("cursor");
    (p.x, p.y)
}

#[test]
fn cursor_follows_display_width() {
    let mut w = cloud_form(false);
    // Margin 1 + label column 18: the input starts at column 19, on row 2.
    assert_eq!(cursor(&w, 80, 24), (19, 2));
    typed(&mut w, "ab");
    assert_eq!(cursor(&w, 80, 24), (21, 2));
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(&mut w, "日本");
    assert_eq!(
        cursor(&w, 80, 24),
        (23, 6),
        "wide characters take two columns"
    );
    update(&mut w, Msg::NextField);
    typed(&mut w, "xyz");
    assert_eq!(
        cursor(&w, 80, 24),
        (22, 8),
        "one mask cell per secret character"
    );
}

#[test]
fn long_input_scrolls_to_keep_the_cursor_visible() {
    let mut w = cloud_form(false);
    update(&mut w, Msg::NextField);
    let long = format!("https://{}.example.com", "a".repeat(120));
    typed(&mut w, &long);
    let s = screen(&w);
    let row = s.lines().nth(4).expect("url row");
    assert!(row.ends_with("aaaa.example.com"), "{row}");
    let (x, _) = cursor(&w, 80, 24);
    assert!(x < 80, "cursor stays on screen");
}

/// Matched characters drawn as `[c]` (the no-colour theme underlines only matches).
fn marked(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            if cell.modifier.contains(Modifier::UNDERLINED) {
                line.push_str(&format!("[{}]", cell.symbol()));
            } else {
                line.push_str(cell.symbol());
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn repos_highlighted_matches_sorted_by_update() {
    let mut w = loaded_repos();
    w.config.no_color = true;
    update(&mut w, Msg::ToggleSort);
    update(&mut w, Msg::FocusFilter);
    typed(&mut w, "pay");
    update(&mut w, Msg::Confirm);
    let s = marked(&buffer(&w, 100, 20));
    assert!(s.contains("[p][a][y]ments-core"), "{s}");
    // Filtered: ranked by match, the chosen order breaking ties.
    assert!(s.contains("ranked by match, then recently updated"), "{s}");
    insta::assert_snapshot!(s);
}

/// The forms of the types not available yet, drawn as they will be once they are, so the
/// engineers who flip `available()` find their screens ready and reviewed.
#[test]
fn forms_of_every_auth_type() {
    for auth in [
        AuthKind::OAuth,
        AuthKind::RepoToken,
        AuthKind::AppPassword,
        AuthKind::HttpTokenRepo,
    ] {
        let mut w = Wizard::new(config(false));
        if auth.provider() == Provider::Server {
            update(&mut w, Msg::Down);
        }
        update(&mut w, Msg::Confirm);
        w.auth = auth;
        w.step = Step::Form;
        typed(&mut w, "conn");
        let s = screen(&w);
        insta::assert_snapshot!(format!("form_{}", auth.cli_name()), s);
    }
}

fn long_report() -> CheckReport {
    let mut report = failed_report();
    for i in 0..12 {
        report.items.push(CheckItem {
            title: format!("Extra check {i}"),
            ..CheckItem::warning(CheckId::Webhooks, "something to look at", "a fix for it")
        });
    }
    report
}

#[test]
fn long_check_report_scrolls_under_a_fixed_verdict() {
    let (mut w, id) = checking();
    check_done(&mut w, id, long_report());
    let top = screen(&w);
    assert!(
        top.contains("failed. r: retry"),
        "the verdict is always on screen"
    );
    assert!(top.contains(CheckId::Reach.title()));
    assert!(top.contains("more lines (↑↓ scroll)"));
    assert!(!top.contains("Extra check 11"));
    insta::assert_snapshot!("check_long_top", top.clone());
    for _ in 0..3 {
        update(&mut w, Msg::PageDown);
    }
    let bottom = screen(&w);
    assert!(bottom.contains("failed. r: retry"));
    assert!(bottom.contains("Extra check 11"), "{bottom}");
    assert!(!bottom.contains(CheckId::Reach.title()));
    assert!(!bottom.contains("more lines"));
    // Scrolling past the end stops at the last line.
    update(&mut w, Msg::PageDown);
    assert_eq!(screen(&w), bottom);
    update(&mut w, Msg::Home);
    assert_eq!(screen(&w), top);
}

#[test]
fn long_titles_get_their_own_line() {
    let (mut w, id) = checking();
    let mut report = passed_report();
    report.items.push(CheckItem {
        title: "Server links use its real address, really, every one".into(),
        ..CheckItem::passed(CheckId::LocalhostLinks, "No link points at localhost.")
    });
    check_done(&mut w, id, report);
    let s = screen(&w);
    let title_row = s
        .lines()
        .position(|l| l.contains("really, every one"))
        .expect("title shown");
    let next = s.lines().nth(title_row + 1).unwrap_or_default();
    assert!(next.trim_start().starts_with("No link points"), "{s}");
}

#[test]
fn newest_progress_notes_stay_on_screen() {
    let (mut w, id) = checking();
    for i in 0..40 {
        progress(&mut w, id, format!("note number {i}"));
    }
    let s = screen(&w);
    assert!(s.contains("note number 39"), "{s}");
    assert!(!s.contains("note number 0\n"));
}

#[test]
fn the_secret_is_on_no_screen() {
    let (mut w, id) = checking();
    let mut screens = vec![screen(&w)];
    check_done(&mut w, id, failed_report());
    screens.push(screen(&w));
    update(&mut w, Msg::ToggleHelp);
    screens.push(screen(&w));
    screens.push(screen(&loaded_repos()));
    let (mut s, id) = saving();
    screens.push(screen(&s));
    saved(&mut s, id, Err(Problem::new(FailureClass::Other, "x", "y")));
    screens.push(screen(&s));
    for (i, shown) in screens.iter().enumerate() {
        assert!(
            !shown.contains("s3cr3t"),
            "screen {i} shows the secret:\n{shown}"
        );
    }
}

// --- the webhook step

fn webhook_step() -> Wizard {
    let mut w = loaded_repos();
    update(&mut w, Msg::Confirm);
    assert_eq!(w.step, Step::Webhook);
    update(
        &mut w,
        Msg::WebhookSecret {
            secret: secrecy::SecretString::from("test-token-hook-secret-0123456789".to_string()),
        },
    );
    w
}

/// The CI URL typed on the webhook step, and the worker's answer that the hook was created.
fn hook_created(w: &mut Wizard) {
    typed(w, "https://ci.example.com/bitbucket/hook");
    webhook_reply(
        w,
        Ok((
            Webhook {
                id: "{4f9c1d2e-hook}".into(),
                url: "https://ci.example.com/bitbucket/hook".into(),
                events: vec!["repo:push".into()],
                active: true,
            },
            WebhookChange::Created,
        )),
    );
}

fn webhook_reply(w: &mut Wizard, result: Result<(Webhook, WebhookChange), Problem>) {
    let effects = update(w, Msg::Confirm);
    let Some(Effect::EnsureWebhook { id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    let id = *id;
    update(w, Msg::WebhookDone { id, result });
}

#[test]
fn webhook_empty() {
    let s = screen(&webhook_step());
    shows(&s, &["Step 6/7 · Webhook", "[x] repo:push"]);
    assert!(
        !s.contains("test-token-hook-secret"),
        "secret is masked: {s}"
    );
    insta::assert_snapshot!(s);
}

#[test]
fn webhook_invalid_url_and_events_focus() {
    let mut w = webhook_step();
    // Plain http is a warning now; another scheme is still an error.
    typed(&mut w, "ftp://ci.example.com/hook");
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::ToggleEvent);
    let s = screen(&w);
    shows(
        &s,
        &["Start with https://", "[ ] repo:push", "Space toggle"],
    );
    insta::assert_snapshot!(s);
}

#[test]
fn webhook_created() {
    let mut w = webhook_step();
    hook_created(&mut w);
    let s = screen(&w);
    shows(&s, &["created", "Enter continue"]);
    insta::assert_snapshot!(s);
}

#[test]
fn webhook_refused_without_admin() {
    let mut w = webhook_step();
    typed(&mut w, "https://ci.example.com/bitbucket/hook");
    webhook_reply(
        &mut w,
        Err(Problem::new(
            FailureClass::Permission,
            "Creating a webhook needs repository admin rights, which this credential lacks.",
            "Use a credential of a repository admin (or ask one to add the hook); the token can be lowered to read access once the hook exists.",
        )),
    );
    let s = screen(&w);
    shows(
        &s,
        &[
            "repository admin",
            "read access once the hook exists",
            "Enter retry",
            "Ctrl-S skip",
        ],
    );
    insta::assert_snapshot!(s);
}

#[test]
fn webhook_typed_secret_is_masked_and_footer_fits() {
    let mut w = webhook_step();
    update(&mut w, Msg::PrevField);
    typed(&mut w, "test-token-typed-hook");
    let s = screen(&w);
    assert!(!s.contains("test-token-typed-hook"), "{s}");
    assert!(
        s.contains("••••• (typed)") || s.contains("• (typed)"),
        "{s}"
    );
    assert!(s.contains("Ctrl-G new secret"), "{s}");
    assert!(
        s.contains("Ctrl-C quit"),
        "the footer fits in 80 columns: {s}"
    );
}

#[test]
fn repos_none_visible() {
    let (mut w, id) = in_repos();
    update(&mut w, Msg::ReposDone { id, result: Ok(()) });
    let s = screen(&w);
    shows(&s, &["sees no", "Enter: save the"]);
    insta::assert_snapshot!(s);
}

#[test]
fn page_keys_move_by_the_rows_the_list_shows() {
    let (mut w, id) = in_repos();
    let many: Vec<Repo> = (0..100)
        .map(|i| repo("acme", &format!("svc-{i:03}"), "2026-01-01T00:00:00Z"))
        .collect();
    repos_page(&mut w, id, many, None);
    for (width, height) in [(80u16, 24u16), (120, 40)] {
        let rows = ui::list_rows(height);
        update(&mut w, Msg::Viewport { list_rows: rows });
        update(&mut w, Msg::Home);
        let s = text(&buffer(&w, width, height));
        let shown = s.lines().filter(|l| l.contains("svc-")).count();
        assert_eq!(
            shown, rows,
            "list_rows matches the drawn list at {width}x{height}"
        );
        update(&mut w, Msg::PageDown);
        assert_eq!(w.repos.cursor, rows, "PgDn moves one screenful");
        let s = text(&buffer(&w, width, height));
        assert!(
            s.contains(&format!("▸ svc-{rows:03}")),
            "the next page starts with the cursor on top\n{s}"
        );
        update(&mut w, Msg::PageUp);
        assert_eq!(w.repos.cursor, 0);
    }
}

/// The Saved screen's git panel: the exact config lines before `g` applies them, then a clone
/// with git's progress line (hostile text from git is sanitised).
#[test]
fn done_git_setup_plan_and_clone_progress() {
    let (mut w, id) = saving();
    saved(&mut w, id, Ok(saved_work()));
    let effects = update(&mut w, Msg::GitSetup);
    let Some(Effect::PlanGitSetup { id, .. }) = effects.first().cloned() else {
        panic!("{effects:?}");
    };
    let lines = vec![
        "git config --global --add credential.https://bitbucket.org.helper ''".to_string(),
        "git config --global --add credential.https://bitbucket.org.helper '/usr/bin/bbconnect git-credential'".to_string(),
    ];
    update(
        &mut w,
        Msg::GitPlan {
            id,
            result: Ok(lines),
        },
    );
    let s = screen(&w);
    assert!(s.contains("Press g again"), "{s}");
    assert!(
        s.contains("credential.https://bitbucket.org.helper ''"),
        "{s}"
    );
    insta::assert_snapshot!("done_git_plan", s);

    w.chosen_repo = Some(bbconnect::core::model::Repo {
        clone_https: Some("https://bitbucket.org/acme/api-gateway.git".into()),
        ..Default::default()
    });
    w.git = bbconnect::tui::wizard::git::GitPanel::Idle;
    let effects = update(&mut w, Msg::GitClone);
    let Some(Effect::CloneRepo { id, dir, .. }) = effects.first().cloned() else {
        panic!("{effects:?}");
    };
    assert_eq!(dir, "api-gateway");
    update(
        &mut w,
        Msg::GitProgress {
            id,
            line: "Receiving objects:  42% (21/50)\u{1b}]0;pwned\u{7}".into(),
        },
    );
    let s = screen(&w);
    shows(
        &s,
        &["Cloning into ./api-gateway", "Receiving objects:  42%"],
    );
    assert!(!s.contains('\u{1b}'), "{s}");
    insta::assert_snapshot!("done_git_cloning", s);
}

/// `r` shows the secret, to hand to whoever configures the CI; `r` again hides it.
#[test]
fn webhook_secret_revealed_on_request() {
    let mut w = webhook_step();
    update(&mut w, Msg::NextField); // the event list, where `r` is a key
    let s = screen(&w);
    assert!(!s.contains("test-token-hook-secret"), "masked: {s}");
    update(&mut w, Msg::RevealSecret);
    let s = screen(&w);
    assert!(s.contains("test-token-hook-secret-0123456789"), "{s}");
    insta::assert_snapshot!(s);
    update(&mut w, Msg::RevealSecret);
    assert!(!screen(&w).contains("test-token-hook-secret"));
}

/// a plain http:// URL to an internal CI server: warned, then created on a second Enter.
#[test]
fn webhook_plain_http_is_warned_about() {
    let mut w = webhook_step();
    typed(&mut w, "http://ci.internal.example/hook");
    assert!(update(&mut w, Msg::Confirm).is_empty());
    let s = screen(&w);
    assert!(s.contains("unencrypted"), "{s}");
    assert!(!s.contains("✗"), "not an error: {s}");
    insta::assert_snapshot!(s);
}

/// counts read as English: "1 check failed", "1 warning", "1 repository".
#[test]
fn counts_are_proper_plurals() {
    let (mut w, id) = checking();
    let mut report = failed_report();
    report
        .items
        .retain(|i| i.status != bbconnect::core::model::CheckStatus::Failed);
    report.items.push(CheckItem::failed(
        CheckId::Credential,
        FailureClass::Rejected,
        "refused",
        "make a new one",
    ));
    check_done(&mut w, id, report);
    let s = screen(&w);
    assert!(s.contains("1 check failed"), "{s}");
    assert!(!s.contains("check(s)"), "{s}");
    let (mut w, id) = in_repos();
    repos_page(
        &mut w,
        id,
        vec![repo("acme", "only-one", "2024-01-01T00:00:00Z")],
        None,
    );
    update(&mut w, Msg::ReposDone { id, result: Ok(()) });
    let s = screen(&w);
    assert!(s.contains("1 repository"), "{s}");
    assert!(!s.contains("1 repositories"), "{s}");
}

/// End fills the pane (the last page is not a lone row), and a position
/// indicator says where the cursor is.
#[test]
fn repos_end_fills_the_pane_and_shows_the_position() {
    let mut w = loaded_repos();
    update(&mut w, Msg::End);
    let s = text(&buffer(&w, 80, 12));
    // Six rows fit: the last six repositories, not the last two.
    shows(&s, &["docs", "web-shop", "8/8"]);
    insta::assert_snapshot!(s);
}

/// a row that matched on its workspace shows which letters matched, and
/// a filtered list says it is ranked by match, not sorted by name.
#[test]
fn repos_matched_on_the_workspace_are_highlighted_and_ranked() {
    let mut w = loaded_repos();
    w.config.no_color = true;
    update(&mut w, Msg::FocusFilter);
    typed(&mut w, "glbx");
    update(&mut w, Msg::Confirm);
    let s = marked(&buffer(&w, 100, 20));
    shows(&s, &["[g][l]o[b]e[x]", "ranked by match"]);
    assert!(!s.contains("sorted by name"), "{s}");
}

/// on the Saved screen Esc exits, so the help must not say it goes back.
#[test]
fn help_on_the_last_step_does_not_say_esc_goes_back() {
    let (mut w, id) = saving();
    saved(
        &mut w,
        id,
        Ok(SavedInfo {
            secret_location: "OS keychain".into(),
            clone_https: None,
            ..saved_in_home()
        }),
    );
    assert_eq!(w.step, Step::Done);
    update(&mut w, Msg::ToggleHelp);
    let s = text(&buffer(&w, 80, 24));
    assert!(s.contains("Esc"), "{s}");
    assert!(!s.contains("goes back one step"), "{s}");
}

/// with connections saved, the wizard opens on their list.
#[test]
fn saved_connections_list() {
    use bbconnect::core::model::LastCheck;
    let mut c = config(false);
    c.saved = vec![
        SavedRow {
            last_check: Some(LastCheck {
                ok: true,
                at: "2026-12-01T21:00:05Z".into(),
                summary: "all checks passed".into(),
                accepted_at: None,
                webhook_seen_at: None,
            }),
            expires_on: Some("2027-01-10".parse().expect("date")),
            ..work_on_dc()
        },
        SavedRow {
            name: "cloud-ci".into(),
            last_check: Some(LastCheck {
                ok: false,
                at: "2026-11-30T08:15:00Z".into(),
                summary: "Credential accepted: Bitbucket refused the token (HTTP 401).".into(),
                accepted_at: None,
                webhook_seen_at: None,
            }),
            ..work_on_cloud()
        },
    ];
    let mut w = Wizard::new(c);
    let s = screen(&w);
    shows(
        &s,
        &[
            "Saved connections",
            "WEB/api-adapter",
            "expires 2027-01-10 (34 days)",
            "expiry unknown",
            "+ New connection",
            "r replace",
        ],
    );
    insta::assert_snapshot!(s);
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Remove);
    let s = screen(&w);
    assert!(s.contains("Remove `cloud-ci` and its secret?"), "{s}");
}

/// The list of saved connections is not a step of a new connection: its header has no number,
/// and neither has its help box (it said "step 0").
#[test]
fn help_on_the_saved_list_has_no_step_number() {
    let mut c = config(false);
    c.saved = vec![work_on_cloud()];
    let mut w = Wizard::new(c);
    assert_eq!(w.step, Step::Saved);
    update(&mut w, Msg::ToggleHelp);
    let s = screen(&w);
    shows(
        &s,
        &[
            " bbconnect  Saved connections\n",
            "Keys · Saved connections",
        ],
    );
    assert!(!s.contains("step 0"), "{s}");
    // A numbered step keeps its number in the help box, the header's number.
    update(&mut w, Msg::ToggleHelp);
    update(&mut w, Msg::NewConnection);
    assert_eq!(w.step, Step::Provider);
    update(&mut w, Msg::ToggleHelp);
    let s = screen(&w);
    shows(&s, &["Step 1/7 · Provider", "Keys · step 1: Provider"]);
}

/// at 80x24 nothing that carries meaning is cut: a long progress note
/// wraps, and the plain-http warning fits.
#[test]
fn long_lines_wrap_at_80_columns() {
    let (mut w, id) = checking();
    progress(
        &mut w,
        id,
        "bitbucket.example.com answered 503 Service Unavailable: retrying in 340 ms… (retry 1 of 4)",
    );
    let s = screen(&w);
    assert!(s.contains("(retry 1 of 4)"), "{s}");

    let mut w = cloud_form(false);
    typed(&mut w, "work");
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::Edit(EditKey::End));
    update(&mut w, Msg::Edit(EditKey::ClearLine));
    typed(&mut w, "http://bitbucket.example.com");
    update(&mut w, Msg::NextField);
    typed(&mut w, "ana@example.com");
    update(&mut w, Msg::NextField);
    typed(&mut w, "test-token-abc");
    update(&mut w, Msg::Confirm);
    let s = screen(&w);
    assert!(s.contains("unencrypted"), "{s}");
    assert!(s.contains("anyway"), "the warning ends on screen: {s}");
}

/// at 40x12 the help box says there is more than it shows.
#[test]
fn a_cut_help_box_says_there_is_more() {
    let mut w = loaded_repos();
    update(&mut w, Msg::ToggleHelp);
    let s = text(&buffer(&w, 40, 12));
    assert!(s.contains("more"), "{s}");
}

/// at 40x12 the Saved summary and the webhook step say there is more
/// than fits, instead of cutting it without a hint.
#[test]
fn cut_screens_at_40x12_say_there_is_more() {
    let (mut w, id) = saving();
    saved(&mut w, id, Ok(saved_in_home()));
    let s = text(&buffer(&w, 40, 12));
    assert!(s.contains("more"), "{s}");
    assert!(!s.contains("bbconnect list"), "{s}");
    // PgDn scrolls the summary until its end is in view; the mark goes with the last line.
    let m = bbconnect::tui::keys::map(&w, key(crossterm::event::KeyCode::PageDown));
    assert!(matches!(m, Some(Msg::PageDown)), "{m:?}");
    update(&mut w, Msg::PageDown);
    let scrolled = text(&buffer(&w, 40, 12));
    assert_ne!(scrolled, s);
    for _ in 0..10 {
        update(&mut w, Msg::PageDown);
        settle(&mut w, 40, 12);
    }
    let end = text(&buffer(&w, 40, 12));
    assert!(end.contains("bbconnect list"), "{end}");
    assert!(!end.contains("more lines"), "{end}");
    // Overscrolled, one press back already shows the mark again.
    update(&mut w, Msg::Up);
    let back = text(&buffer(&w, 40, 12));
    assert!(back.contains("more lines"), "{back} {}", w.text_scroll);
    let mut w = webhook_step();
    let s = text(&buffer(&w, 40, 12));
    shows(&s, &["more", "PgDn scroll"]);
    // The webhook step's arrows move between fields; PgDn scrolls it.
    let m = bbconnect::tui::keys::map(&w, key(crossterm::event::KeyCode::PageDown));
    assert!(matches!(m, Some(Msg::PageDown)), "{m:?}");
    let focus = w.webhook.focus;
    for _ in 0..10 {
        update(&mut w, Msg::PageDown);
    }
    assert_eq!(
        w.webhook.focus, focus,
        "scrolling leaves the focus where it was"
    );
    let end = text(&buffer(&w, 40, 12));
    assert_ne!(end, s, "{end}");
    assert!(!end.contains("more lines"), "{end}");
    for _ in 0..10 {
        update(&mut w, Msg::PageUp);
    }
    assert_eq!(text(&buffer(&w, 40, 12)), s, "PgUp comes back to the top");
}

/// at 40x12 the demo's first screen says where the credentials are.
#[test]
fn demo_credentials_too_big_for_the_screen_are_pointed_to() {
    let mut w = Wizard::new(config(true));
    let s = text(&buffer(&w, 40, 12));
    assert!(s.contains("more lines: PgDn scroll"), "{s}");
    let big = text(&buffer(&w, 100, 40));
    assert!(!big.contains("more lines"), "{big}");
    // The last credential's secret (its line wraps at 40 columns).
    let last = w
        .config
        .demo_notes
        .last()
        .and_then(|n| n.split_whitespace().find(|t| t.starts_with("test-")))
        .expect("a demo secret")
        .to_string();
    assert!(!s.contains(&last), "{s}");
    // PgDn scrolls down to the credentials; the cursor stays on its product.
    let m = bbconnect::tui::keys::map(&w, key(crossterm::event::KeyCode::PageDown));
    assert!(matches!(m, Some(Msg::PageDown)), "{m:?}");
    let cursor = w.provider_cursor;
    for _ in 0..10 {
        update(&mut w, Msg::PageDown);
    }
    assert_eq!(w.provider_cursor, cursor);
    let end = text(&buffer(&w, 40, 12));
    assert!(end.contains(&last), "{end}");
    assert!(!end.contains("more lines"), "{end}");
}

/// at 80x24 with the demo box beside it, the checklist's REPO_ADMIN line
/// wraps inside its box instead of losing "to create webhooks".
#[test]
fn form_checklist_lines_wrap_in_a_half_width_box() {
    let w = server_form(true);
    assert_eq!(w.auth, bbconnect::core::model::AuthKind::HttpTokenUser);
    let s = screen(&w);
    shows(&s, &["REPO_ADMIN", "create webhooks"]);
    assert!(
        s.contains("test-token-demo-server"),
        "demo box still there: {s}"
    );
}

/// a repository-token page longer than the line is shown whole, on lines
/// of its own with nothing inserted between its pieces, so it can still be copied.
#[test]
fn long_token_page_url_is_shown_whole() {
    let mut w = Wizard::new(config(true));
    update(&mut w, Msg::Confirm);
    update(&mut w, Msg::Down);
    update(&mut w, Msg::Confirm);
    assert_eq!(w.auth, bbconnect::core::model::AuthKind::RepoToken);
    typed(&mut w, "work");
    update(&mut w, Msg::NextField);
    update(&mut w, Msg::NextField);
    typed(
        &mut w,
        "acme-platform/reports-scheduler-proxy-with-a-long-name",
    );
    let url = w.token_page().expect("a token page");
    assert!(url.len() > 80, "{url}");
    let s = screen(&w);
    let joined: String = s.lines().map(str::trim).collect();
    assert!(joined.contains(&url), "{s}");
    // The URL starts a line of its own: a label before it would break a triple-click copy.
    assert!(
        s.lines()
            .any(|l| l.trim_start().starts_with("https://bitbucket.org/acme")),
        "{s}"
    );
    assert!(
        s.contains("Permissions the token needs"),
        "checklist still there: {s}"
    );
}

/// a notice longer than one line wraps instead of losing its end.
#[test]
fn long_form_notice_wraps() {
    let mut w = cloud_form(false);
    w.notice = Some(
        "The saved secret belongs to the saved address and type: type the secret for this \
         one, then press Enter to check it again."
            .into(),
    );
    let s = screen(&w);
    shows(&s, &["check it again.", "Token page:"]);
}

/// at 40x12 the help box scrolls to its last line with ↓/PgDn.
#[test]
fn help_box_scrolls_at_40x12() {
    let mut w = filled_cloud(false);
    update(&mut w, Msg::ToggleHelp);
    let top = text(&buffer(&w, 40, 12));
    assert!(top.contains("more lines: ↓/PgDn scroll"), "{top}");
    assert!(!top.contains("closes this help"), "{top}");
    let m = bbconnect::tui::keys::map(&w, key(crossterm::event::KeyCode::Down));
    assert!(matches!(m, Some(Msg::Down)), "{m:?}");
    for _ in 0..10 {
        update(&mut w, Msg::PageDown);
        settle(&mut w, 40, 12);
    }
    let end = text(&buffer(&w, 40, 12));
    assert!(end.contains("closes this help."), "{end}");
    assert!(!end.contains("more lines"), "{end}");
    assert!(w.show_help, "scrolling keeps the help open");
    update(&mut w, Msg::Up);
    assert!(text(&buffer(&w, 40, 12)).contains("more lines"));
}

/// What the app does before each frame: an offset past the end of a cut box comes back to it.
fn settle(w: &mut Wizard, width: u16, height: u16) {
    let area = ratatui::layout::Rect::new(0, 0, width, height);
    if let Some(max) = ui::text_scroll_limit(area, w) {
        update(w, Msg::TextScrollLimit { max });
    }
}

fn key(code: crossterm::event::KeyCode) -> crossterm::event::KeyEvent {
    crossterm::event::KeyEvent::new(code, crossterm::event::KeyModifiers::NONE)
}

/// "Rotate secret" on the saved list: a masked field, the request to the worker, and the
/// outcome inline with the page where the old secret is revoked.
#[test]
fn rotate_secret_on_the_saved_list() {
    use bbconnect::tui::wizard::saved::RotatedRow;
    use secrecy::ExposeSecret;
    let mut c = config(false);
    c.saved = vec![work_on_dc()];
    let mut w = Wizard::new(c);
    update(&mut w, Msg::Rotate);
    for ch in "test-token-new?q".chars() {
        update(&mut w, Msg::Edit(EditKey::Char(ch)));
    }
    let s = screen(&w);
    assert!(s.contains("New secret for `work`"), "{s}");
    assert!(!s.contains("test-token-new"), "the secret is masked: {s}");
    assert!(s.contains("••••"), "{s}");
    insta::assert_snapshot!(s);

    let effects = update(&mut w, Msg::Confirm);
    let id = match effects.as_slice() {
        [Effect::RotateSaved { id, name, secret }] => {
            assert_eq!(name, "work");
            assert_eq!(secret.expose_secret(), "test-token-new?q");
            *id
        }
        other => panic!("{other:?}"),
    };
    assert!(screen(&w).contains("Checking the new secret for `work`"));
    update(
        &mut w,
        Msg::SavedRotated {
            id,
            result: Ok(RotatedRow {
                auth: AuthKind::HttpTokenRepo,
                user: None,
                revoke_old: "https://bitbucket.example.com/plugins/servlet/access-tokens/manage"
                    .into(),
            }),
        },
    );
    let s = screen(&w);
    shows(
        &s,
        &["Rotated the secret of `work`", "access-tokens/manage"],
    );
    assert_eq!(w.saved.rows[0].auth, AuthKind::HttpTokenRepo);

    // Esc leaves the field without sending anything.
    update(&mut w, Msg::Rotate);
    update(&mut w, Msg::Edit(EditKey::Char('x')));
    assert!(update(&mut w, Msg::Back).is_empty());
    assert!(!w.saved.typing());
}

/// After the wizard made the webhook, the Saved screen says the credential can now be lowered
/// to read access, and how.
#[test]
fn done_after_a_webhook_says_the_credential_can_be_lowered() {
    let mut w = webhook_step();
    hook_created(&mut w);
    let effects = update(&mut w, Msg::Confirm);
    let Some(Effect::Save { id, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    let id = *id;
    saved(
        &mut w,
        id,
        Ok(SavedInfo {
            clone_https: None,
            ..saved_work()
        }),
    );
    let s = text(&buffer(&w, 120, 40));
    shows(&s, &["lowered to read access", "bbconnect rotate work"]);
}
