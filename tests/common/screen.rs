//! The wizard drawn into ratatui's `TestBackend`, and the buffer read back as the text a person
//! sees: what snapshot and screen tests compare.

use bbconnect::tui::ui;
use bbconnect::tui::wizard::Wizard;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use unicode_width::UnicodeWidthStr;

/// `w` drawn on a `width` x `height` terminal.
pub fn buffer(w: &Wizard, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal.draw(|f| ui::draw(f, w)).expect("draw");
    terminal.backend().buffer().clone()
}

/// The buffer as plain text, one line per row, trailing blanks trimmed; a wide character's
/// continuation cell is skipped, as a terminal shows it.
pub fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            skip = sym.width().saturating_sub(1);
            line.push_str(sym);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// [`text`] of [`buffer`].
pub fn draw(w: &Wizard, width: u16, height: u16) -> String {
    text(&buffer(w, width, height))
}
