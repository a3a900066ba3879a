//! The credential type step: its cursor, and the form values it keeps or clears.

use secrecy::ExposeSecret;

use super::msg::{Effect, Msg};
use super::{Step, Wizard, back, cursor_move, go};

pub(super) fn step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    let kinds = w.provider.auth_kinds();
    match msg {
        Msg::Up | Msg::Down | Msg::Home | Msg::End | Msg::PageUp | Msg::PageDown => {
            cursor_move(&mut w.auth_cursor, kinds.len(), &msg);
            Vec::new()
        }
        Msg::Confirm => {
            let Some(&kind) = kinds.get(w.auth_cursor) else {
                return Vec::new();
            };
            if !kind.available() {
                w.notice = Some(format!(
                    "{} is coming soon: choose another type for now.",
                    kind.label()
                ));
                return Vec::new();
            }
            w.auth = kind;
            let pair = (w.provider, kind);
            if w.form_for != Some(pair) {
                // Typed for another host or another kind of credential: never offered here.
                let url = w.default_url(w.provider);
                w.form.reset_credentials(
                    &url,
                    w.config.oauth_key.as_deref(),
                    w.config.oauth_secret.as_ref().map(|s| s.expose_secret()),
                );
                w.allow_http = false;
                w.form_for = Some(pair);
            }
            go(w, Step::Form)
        }
        Msg::Back => back(w),
        _ => Vec::new(),
    }
}
