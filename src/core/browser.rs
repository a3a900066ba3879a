//! Whether a browser can be opened for the user, and what to tell them when it cannot.
//!
//! Our users are often on a remote machine over SSH: there a browser either cannot start (no
//! display) or would start on a screen nobody looks at. The decision is a pure function of a
//! few environment facts and of what the opener said, so every case is unit-tested. Reading
//! the environment and running the opener are `os::browser`'s.

/// What the environment says about opening a browser here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BrowserEnv {
    /// `DISPLAY` or `WAYLAND_DISPLAY` is set.
    pub display: bool,
    /// `SSH_CONNECTION`, `SSH_CLIENT` or `SSH_TTY` is set: the user sits at another machine.
    pub ssh: bool,
    /// The platform opens browsers through an X11/Wayland display (Linux and the BSDs; not
    /// macOS or Windows, which have a desktop whenever someone is logged in).
    pub needs_display: bool,
}

/// Why no browser was tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoBrowser {
    /// An SSH session without a forwarded display: a browser would open, if at all, on the
    /// remote machine's screen, not the user's.
    Ssh,
    /// No graphical display here.
    NoDisplay,
    /// The user asked for none (`--no-browser`).
    Declined,
}

/// What happened when bbconnect wanted a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserOutcome {
    Opened,
    NotTried(NoBrowser),
    /// An opener was tried and failed; what it said.
    Failed(String),
}

/// Whether trying to open a browser makes sense here. An SSH session with a display (X11
/// forwarding) opens one on the user's screen, so it is tried.
pub fn can_open(env: &BrowserEnv) -> Result<(), NoBrowser> {
    if env.display {
        return Ok(());
    }
    if env.ssh {
        return Err(NoBrowser::Ssh);
    }
    if env.needs_display {
        return Err(NoBrowser::NoDisplay);
    }
    Ok(())
}

/// The outcome from the environment and the opener's result (`None`: not tried).
pub fn verdict(env: &BrowserEnv, tried: Option<Result<(), String>>) -> BrowserOutcome {
    match tried {
        Some(Ok(())) => BrowserOutcome::Opened,
        Some(Err(e)) => BrowserOutcome::Failed(e),
        // Not tried though this place could have: the user asked for no browser.
        None => BrowserOutcome::NotTried(can_open(env).err().unwrap_or(NoBrowser::Declined)),
    }
}

impl BrowserOutcome {
    pub fn opened(&self) -> bool {
        matches!(self, BrowserOutcome::Opened)
    }

    /// A few words for a one-line notice (the form's), same rule.
    pub fn short(&self) -> &'static str {
        match self {
            BrowserOutcome::Opened => "A browser was opened.",
            BrowserOutcome::NotTried(NoBrowser::Ssh) => "No browser opened (SSH session).",
            BrowserOutcome::NotTried(NoBrowser::NoDisplay) => {
                "No browser opened (no display here)."
            }
            BrowserOutcome::NotTried(NoBrowser::Declined) => "No browser opened (--no-browser).",
            BrowserOutcome::Failed(_) => "No browser could be opened.",
        }
    }

    /// One sentence for the user, never claiming a browser opened when none did.
    pub fn message(&self) -> String {
        match self {
            BrowserOutcome::Opened => "A browser was opened at this address.".into(),
            BrowserOutcome::NotTried(NoBrowser::Ssh) => {
                "No browser was opened: this is an SSH session, so it would not be on your screen."
                    .into()
            }
            BrowserOutcome::NotTried(NoBrowser::NoDisplay) => {
                "No browser was opened: there is no display here (DISPLAY and WAYLAND_DISPLAY are unset)."
                    .into()
            }
            BrowserOutcome::NotTried(NoBrowser::Declined) => {
                "No browser was opened, as asked (--no-browser).".into()
            }
            BrowserOutcome::Failed(why) => {
                format!(
                    "No browser could be opened ({}).",
                    super::sanitize::clean(why)
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINUX: BrowserEnv = BrowserEnv {
        display: false,
        ssh: false,
        needs_display: true,
    };
    const MAC: BrowserEnv = BrowserEnv {
        display: false,
        ssh: false,
        needs_display: false,
    };

    #[test]
    fn linux_without_a_display_does_not_try() {
        assert_eq!(can_open(&LINUX), Err(NoBrowser::NoDisplay));
        let out = verdict(&LINUX, None);
        assert_eq!(out, BrowserOutcome::NotTried(NoBrowser::NoDisplay));
        assert!(!out.opened());
        assert!(out.message().starts_with("No browser was opened"));
        assert!(out.message().contains("DISPLAY"));
    }

    #[test]
    fn a_display_is_tried_and_its_result_is_what_is_said() {
        for env in [
            BrowserEnv {
                display: true,
                ..LINUX
            },
            MAC,
            // X11 forwarding: the browser shows on the user's screen.
            BrowserEnv {
                display: true,
                ssh: true,
                ..LINUX
            },
        ] {
            assert_eq!(can_open(&env), Ok(()), "{env:?}");
            assert!(verdict(&env, Some(Ok(()))).opened());
            let failed = verdict(&env, Some(Err("xdg-open exited with 3".into())));
            assert!(!failed.opened());
            assert!(
                failed.message().contains("No browser could be opened"),
                "{failed:?}"
            );
            assert!(failed.message().contains("xdg-open exited with 3"));
        }
    }

    #[test]
    fn ssh_without_a_display_does_not_try_even_on_a_mac() {
        for env in [
            BrowserEnv { ssh: true, ..LINUX },
            BrowserEnv { ssh: true, ..MAC },
        ] {
            assert_eq!(can_open(&env), Err(NoBrowser::Ssh));
            let out = verdict(&env, None);
            assert!(out.message().contains("SSH session"), "{out:?}");
            assert!(!out.message().contains("was opened at"));
        }
    }

    #[test]
    fn only_a_successful_open_claims_a_browser() {
        for env in [LINUX, MAC] {
            for tried in [None, Some(Err("gio could not start".to_string()))] {
                let out = verdict(&env, tried);
                assert!(!out.message().contains("A browser was opened"), "{out:?}");
                assert!(out.short().starts_with("No browser"), "{out:?}");
            }
        }
        assert_eq!(
            verdict(&LINUX, Some(Ok(()))).message(),
            "A browser was opened at this address."
        );
    }

    #[test]
    fn not_trying_where_a_browser_could_open_was_the_users_choice() {
        assert_eq!(
            verdict(&MAC, None),
            BrowserOutcome::NotTried(NoBrowser::Declined)
        );
    }

    #[test]
    fn an_openers_message_is_sanitised() {
        let out = verdict(&MAC, Some(Err("open \x1b]0;x\x07 failed".into())));
        assert!(!out.message().contains('\x1b'));
    }
}
