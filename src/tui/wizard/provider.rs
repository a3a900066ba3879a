//! The provider step: its cursor and what choosing one resets.

use super::msg::{Effect, Msg};
use super::{Step, Wizard, back, cursor_move, go, scroll_text};
use crate::core::model::{AuthKind, Provider};

pub(super) fn step(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        // Two choices need no paging: PgUp/PgDn scroll a screen too short for the demo
        // credentials instead.
        Msg::PageUp | Msg::PageDown => {
            scroll_text(w, &msg);
            Vec::new()
        }
        Msg::Up | Msg::Down | Msg::Home | Msg::End => {
            cursor_move(&mut w.provider_cursor, Provider::ALL.len(), &msg);
            Vec::new()
        }
        Msg::Confirm => {
            let chosen = Provider::ALL[w.provider_cursor.min(Provider::ALL.len() - 1)];
            if chosen != w.provider {
                // A default URL follows the product at once; anything typed is cleared (or
                // kept) only when a type is chosen, in `auth::step`.
                let url = w.form.url.value();
                if url.is_empty() || url == w.default_url(w.provider) {
                    w.form.url = w.default_url(chosen).as_str().into();
                }
                w.provider = chosen;
                w.auth_cursor = first_available(chosen);
            }
            go(w, Step::AuthType)
        }
        // Back to the list of saved connections, when the wizard started there.
        Msg::Back if !w.history.is_empty() => back(w),
        _ => Vec::new(),
    }
}

/// The cursor starts on the recommended type (or the first this build can complete).
pub(super) fn first_available(provider: Provider) -> usize {
    let kinds = provider.auth_kinds();
    kinds
        .iter()
        .position(|k| *k == AuthKind::recommended(provider) && k.available())
        .or_else(|| kinds.iter().position(|k| k.available()))
        .unwrap_or(0)
}
