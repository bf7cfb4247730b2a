//! A terminal for the serial console: the guest's bytes go through a VT100/xterm emulator (the
//! `vt100` crate: escape sequences, cursor addressing, colours, scrollback), its grid is drawn
//! on a canvas as monospace cells, and keys typed while it has the focus become the bytes an
//! xterm sends. The canvas geometry is cached and rebuilt only when the grid changes.

use iced::advanced::text::Paragraph as _;
use iced::keyboard::{self, key::Named, Key, Modifiers};
use iced::mouse;
use iced::widget::canvas::{self, Cache, Canvas, Frame, Geometry, Path, Stroke};
use iced::widget::text::{LineHeight, Shaping};
use iced::widget::{responsive, scrollable};
use iced::{color, Color, Element, Font, Length, Pixels, Point, Rectangle, Renderer, Size, Theme};
use std::cell::Cell;
use std::num::NonZeroU16;
use std::sync::OnceLock;

/// Lines kept above the screen.
pub const SCROLLBACK_LINES: usize = 2000;
/// The least size: a serial port cannot tell the guest another one, and 80×24 is what
/// guests assume on one.
pub const MIN_COLS: u16 = 80;
pub const MIN_ROWS: u16 = 24;
const FONT_SIZE: f32 = 13.0;
/// Projector mode's large console font.
const LARGE_FONT_SIZE: f32 = 17.0;
thread_local! {
    /// Per thread, like the style's high contrast: the UI thread's, or one screen test's.
    static LARGE_FONT: Cell<bool> = const { Cell::new(false) };
}

/// Projector mode: the serial terminal in a larger font (from the next frame on).
pub fn set_large_font(on: bool) {
    LARGE_FONT.set(on);
}

fn font_size() -> f32 {
    if LARGE_FONT.get() {
        LARGE_FONT_SIZE
    } else {
        FONT_SIZE
    }
}
/// Space between the grid and the panel's edge.
pub const PAD: f32 = 8.0;
const MONO: Font = Font::MONOSPACE;
const MONO_BOLD: Font = Font {
    weight: iced::font::Weight::Bold,
    ..Font::MONOSPACE
};
pub const FOREGROUND: Color = color!(0xf6f5f4);
pub const BACKGROUND: Color = color!(0x241f31);
/// GNOME Terminal's default palette, so colours look as they do in a terminal on this desktop.
const PALETTE: [Color; 16] = [
    color!(0x171421),
    color!(0xc01c28),
    color!(0x26a269),
    color!(0xa2734c),
    color!(0x12488b),
    color!(0xa347ba),
    color!(0x2aa1b3),
    color!(0xd0cfcc),
    color!(0x5e5c64),
    color!(0xf66151),
    color!(0x33d17a),
    color!(0xe9ad0c),
    color!(0x2a7bde),
    color!(0xc061cb),
    color!(0x33c7de),
    color!(0xffffff),
];

/// The emulator's state for one VM's serial port.
pub struct Terminal {
    parser: vt100::Parser<Replies>,
    /// Bumped on every change, so the canvas knows when to redraw.
    generation: u64,
    /// Keys go to the guest.
    pub focused: bool,
    /// Nothing came from the guest yet.
    empty: bool,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (rows, cols) = self.size();
        f.debug_struct("Terminal")
            .field("size", &(rows, cols))
            .field("focused", &self.focused)
            .finish_non_exhaustive()
    }
}

impl Default for Terminal {
    fn default() -> Self {
        Terminal {
            parser: vt100::Parser::new_with_callbacks(
                nz(MIN_ROWS),
                nz(MIN_COLS),
                SCROLLBACK_LINES,
                Replies::default(),
            ),
            generation: 0,
            focused: false,
            empty: true,
        }
    }
}

/// Answers to the guest's queries, as xterm gives them. A serial port has no way to tell the
/// guest the terminal's size, so this is how a guest learns it: `resize` (and systemd on its
/// console) move the cursor far down-right and ask where it landed (DSR 6).
#[derive(Default)]
struct Replies(Vec<u8>);

impl vt100::Callbacks for Replies {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let p0 = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        let reply = match (i1, c, p0) {
            // Device status: fine.
            (None, 'n', 5) => "\x1b[0n".to_string(),
            // Where the cursor is (1-based).
            (None, 'n', 6) => {
                let (row, col) = screen.cursor_position();
                format!("\x1b[{};{}R", row + 1, col + 1)
            }
            // Primary device attributes: a VT102, what xterm's minimal answer says.
            (None, 'c', 0) => "\x1b[?6c".to_string(),
            // The text area's size in characters (XTWINOPS 18).
            (None, 't', 18) => {
                let (rows, cols) = screen.size();
                format!("\x1b[8;{rows};{cols}t")
            }
            _ => return,
        };
        self.0.extend(reply.into_bytes());
    }
}

fn nz(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap_or(NonZeroU16::MIN)
}

/// What the terminal asks of its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Focus(bool),
    /// Bytes for the guest (a key, already encoded).
    Input(Vec<u8>),
    /// Ctrl+Shift+V: the clipboard should be typed in.
    Paste,
    /// Ctrl+Shift+C: the text should go to the clipboard.
    Copy,
    /// Fits this many rows and columns now.
    Resize(u16, u16),
    /// Scroll the view this many lines back (negative: forward).
    Scroll(i32),
}

impl Terminal {
    /// Guest output; returns the answers to the queries in it (for the guest).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        if bytes.is_empty() {
            return Vec::new();
        }
        self.parser.process(bytes);
        self.empty = false;
        self.generation += 1;
        std::mem::take(&mut self.parser.callbacks_mut().0)
    }

    pub fn screen(&self) -> &vt100::Screen {
        self.parser.screen()
    }

    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// (rows, columns).
    pub fn size(&self) -> (u16, u16) {
        let (r, c) = self.parser.screen().size();
        (r.get(), c.get())
    }

    pub fn resize(&mut self, rows: u16, cols: u16) {
        let (rows, cols) = (rows.max(MIN_ROWS), cols.max(MIN_COLS));
        if (rows, cols) != self.size() {
            self.parser.set_size(nz(rows), nz(cols));
            self.generation += 1;
        }
    }

    pub fn set_focus(&mut self, on: bool) {
        if self.focused != on {
            self.focused = on;
            self.generation += 1;
        }
    }

    /// Moves the view into the scrollback (positive) or back towards the live screen.
    pub fn scroll(&mut self, lines: i32) {
        let screen = self.parser.screen_mut();
        let now = screen.scrollback() as i64;
        screen.set_scrollback((now + lines as i64).max(0) as usize);
        self.generation += 1;
    }

    /// Back to the live screen (typing does this, as in a terminal).
    pub fn scroll_to_bottom(&mut self) {
        if self.parser.screen().scrollback() != 0 {
            self.parser.screen_mut().set_scrollback(0);
            self.generation += 1;
        }
    }

    /// Empties the screen and the scrollback; the guest's modes (cursor keys, colours) stay.
    pub fn clear(&mut self) {
        let screen = self.parser.screen_mut();
        screen.clear_scrollback();
        self.parser.process(b"\x1b[H\x1b[2J");
        self.empty = true;
        self.generation += 1;
    }

    /// The text of the scrollback and the screen, a line per row (rows the guest wrapped
    /// joined), without trailing blanks.
    pub fn text(&self) -> String {
        crate::data::vt::screen_text(self.parser.screen())
    }

    /// Pasted text as the guest should get it: line ends as Enter sends them, and marked as a
    /// paste when the guest asked for that (bracketed paste).
    pub fn paste_bytes(&self, text: &str) -> Vec<u8> {
        let body = text.replace("\r\n", "\r").replace('\n', "\r");
        if self.parser.screen().bracketed_paste() {
            format!("\x1b[200~{body}\x1b[201~").into_bytes()
        } else {
            body.into_bytes()
        }
    }

    /// The bytes an xterm sends for this key, or `None` for a key that sends nothing.
    pub fn key_bytes(
        &self,
        key: &Key,
        modifiers: Modifiers,
        text: Option<&str>,
    ) -> Option<Vec<u8>> {
        encode_key(
            key,
            modifiers,
            text,
            self.parser.screen().application_cursor(),
        )
    }

    /// The grid, drawn; `live`: it can take the focus (the guest is there to type to). A panel
    /// narrower than the grid scrolls sideways (the grid stays 80 columns, as the guest
    /// assumes); a lower one shows the rows down to the cursor's.
    pub fn view(&self, live: bool) -> Element<'_, Event> {
        responsive(move |panel| {
            let font = font_size_for(panel.width, self.size().1);
            let canvas = Canvas::new(View {
                term: self,
                live,
                panel,
                font,
            })
            .height(Length::Fill);
            let (cw, _) = cell_size_at(font);
            let width = f32::from(self.size().1) * cw + 2.0 * PAD;
            // The right margin gives way before the panel scrolls.
            if width - PAD <= panel.width + 0.5 {
                canvas.width(Length::Fill).into()
            } else {
                scrollable(canvas.width(width))
                    .direction(scrollable::Direction::Horizontal(
                        scrollable::Scrollbar::new().width(6).scroller_width(6),
                    ))
                    .width(Length::Fill)
                    .height(Length::Fill)
                    .into()
            }
        })
        .into()
    }
}

/// xterm's encoding of a key (`app_cursor`: the guest switched the cursor keys to
/// application mode, DECCKM, as full-screen programs do).
pub fn encode_key(
    key: &Key,
    modifiers: Modifiers,
    text: Option<&str>,
    app_cursor: bool,
) -> Option<Vec<u8>> {
    let (ctrl, alt, shift) = (modifiers.control(), modifiers.alt(), modifiers.shift());
    // xterm's modifier parameter: 1 + Shift 1 + Alt 2 + Ctrl 4.
    let m = 1 + u8::from(shift) + 2 * u8::from(alt) + 4 * u8::from(ctrl);
    let cursor = |fin: char| {
        if m > 1 {
            format!("\x1b[1;{m}{fin}")
        } else if app_cursor {
            format!("\x1bO{fin}")
        } else {
            format!("\x1b[{fin}")
        }
    };
    let tilde = |n: u8| {
        if m > 1 {
            format!("\x1b[{n};{m}~")
        } else {
            format!("\x1b[{n}~")
        }
    };
    let ss3 = |fin: char| {
        if m > 1 {
            format!("\x1b[1;{m}{fin}")
        } else {
            format!("\x1bO{fin}")
        }
    };
    let alt_prefix = |s: &str| {
        if alt {
            format!("\x1b{s}")
        } else {
            s.to_string()
        }
    };
    let s = match key {
        Key::Named(named) => match named {
            Named::Enter => alt_prefix("\r"),
            Named::Backspace => alt_prefix(if ctrl { "\x08" } else { "\x7f" }),
            Named::Tab if shift => "\x1b[Z".into(),
            Named::Tab => alt_prefix("\t"),
            Named::Space if ctrl => "\0".into(),
            Named::Space => alt_prefix(" "),
            Named::Escape => "\x1b".into(),
            Named::ArrowUp => cursor('A'),
            Named::ArrowDown => cursor('B'),
            Named::ArrowRight => cursor('C'),
            Named::ArrowLeft => cursor('D'),
            Named::Home => cursor('H'),
            Named::End => cursor('F'),
            Named::Insert => tilde(2),
            Named::Delete => tilde(3),
            Named::PageUp => tilde(5),
            Named::PageDown => tilde(6),
            Named::F1 => ss3('P'),
            Named::F2 => ss3('Q'),
            Named::F3 => ss3('R'),
            Named::F4 => ss3('S'),
            Named::F5 => tilde(15),
            Named::F6 => tilde(17),
            Named::F7 => tilde(18),
            Named::F8 => tilde(19),
            Named::F9 => tilde(20),
            Named::F10 => tilde(21),
            Named::F11 => tilde(23),
            Named::F12 => tilde(24),
            _ => return None,
        },
        Key::Character(c) => {
            if ctrl {
                let ch = c.chars().next()?.to_ascii_lowercase();
                let byte = match ch {
                    'a'..='z' => ch as u8 - b'a' + 1,
                    '@' | '2' | ' ' => 0,
                    '[' | '3' => 0x1b,
                    '\\' | '4' => 0x1c,
                    ']' | '5' => 0x1d,
                    '^' | '6' => 0x1e,
                    '_' | '-' | '7' => 0x1f,
                    '?' | '8' => 0x7f,
                    _ => return None,
                };
                return Some(if alt { vec![0x1b, byte] } else { vec![byte] });
            }
            // The text the keyboard layout made (dead keys, AltGr), else the key's character.
            let typed = text
                .filter(|t| !t.is_empty() && !t.chars().any(char::is_control))
                .unwrap_or(c.as_str());
            alt_prefix(typed)
        }
        Key::Unidentified => return None,
    };
    Some(s.into_bytes())
}

/// The width of a character cell and the height of a row, in the monospace font. Measured once:
/// the text is drawn in runs, so the cells must match the font's advance exactly.
pub fn cell_size() -> (f32, f32) {
    static WIDTH: OnceLock<f32> = OnceLock::new();
    let w = *WIDTH.get_or_init(|| {
        const N: usize = 40;
        let sample = "0".repeat(N);
        let p = iced::advanced::graphics::text::Paragraph::with_text(iced::advanced::Text {
            content: sample.as_str(),
            bounds: Size::INFINITE,
            size: Pixels(FONT_SIZE),
            line_height: LineHeight::Relative(1.0),
            font: MONO,
            align_x: iced::advanced::text::Alignment::Left,
            align_y: iced::alignment::Vertical::Top,
            shaping: Shaping::Basic,
            wrapping: iced::advanced::text::Wrapping::None,
        });
        let w = p.min_width() / N as f32;
        // No font at all (should not happen): DejaVu Sans Mono's advance.
        if w.is_finite() && w > 1.0 {
            w
        } else {
            FONT_SIZE * 0.602
        }
    });
    // A monospace font's advance grows with its size.
    let size = font_size();
    (w * size / FONT_SIZE, (size * 1.35).round())
}

/// The cell size at font size `size`.
pub fn cell_size_at(size: f32) -> (f32, f32) {
    let (w, _) = cell_size();
    (w * size / font_size(), (size * 1.35).round())
}

/// The font size the grid is drawn in, in a panel `width` wide with `cols` columns: the
/// chosen one (projector mode's large one), made smaller until the grid fits — a larger font
/// must not make the console scroll sideways (at 1280 × 800 scaled 1.5 it did) — but never
/// below the normal size (a narrower panel scrolls, as before).
pub fn font_size_for(width: f32, cols: u16) -> f32 {
    let want = font_size();
    let (cw, _) = cell_size_at(want);
    let grid = f32::from(cols) * cw + PAD;
    if grid <= width + 0.5 || want <= FONT_SIZE {
        return want;
    }
    // Whole tenths of a pixel, so the cells never come out a hair too wide.
    let fit = (want * (width - PAD) / (grid - PAD) * 10.0).floor() / 10.0;
    fit.clamp(FONT_SIZE, want)
}

/// The rows and columns that fit `size` (at least 80×24).
pub fn fit(size: Size) -> (u16, u16) {
    let (cw, _) = cell_size();
    let cols = ((size.width - 2.0 * PAD) / cw).floor().clamp(0.0, 500.0) as u16;
    let cols = cols.max(MIN_COLS);
    // The rows of the font the grid is drawn in (smaller where 80 columns would not fit).
    let (_, ch) = cell_size_at(font_size_for(size.width, cols));
    let rows = ((size.height - 2.0 * PAD) / ch).floor().clamp(0.0, 300.0) as u16;
    (rows.max(MIN_ROWS), cols)
}

struct View<'a> {
    term: &'a Terminal,
    live: bool,
    /// The space the panel has (the canvas may be wider, in a scrollable).
    panel: Size,
    /// The font size, see [`font_size_for`].
    font: f32,
}

#[derive(Default)]
struct State {
    cache: Cache,
    /// The generation, whether it had the keyboard and the font size, when last drawn.
    drawn: Cell<Option<(u64, bool, u32)>>,
}

impl canvas::Program<Event> for View<'_> {
    type State = State;

    fn update(
        &self,
        _state: &mut State,
        event: &iced::Event,
        bounds: Rectangle,
        cursor: mouse::Cursor,
    ) -> Option<canvas::Action<Event>> {
        use iced::Event as E;
        let term = self.term;
        match event {
            // The panel's size is known here: follow it (never below 80×24).
            E::Window(
                iced::window::Event::RedrawRequested(_) | iced::window::Event::Resized(_),
            ) => {
                let want = fit(self.panel);
                (want != term.size())
                    .then(|| canvas::Action::publish(Event::Resize(want.0, want.1)))
            }
            E::Mouse(mouse::Event::ButtonPressed(_)) => {
                if cursor.is_over(bounds) {
                    (self.live && !term.focused)
                        .then(|| canvas::Action::publish(Event::Focus(true)).and_capture())
                } else {
                    // A click elsewhere takes the keyboard back (and still does what it does).
                    term.focused
                        .then(|| canvas::Action::publish(Event::Focus(false)))
                }
            }
            E::Mouse(mouse::Event::WheelScrolled { delta }) if cursor.is_over(bounds) => {
                let lines = match delta {
                    mouse::ScrollDelta::Lines { y, .. } => y * 3.0,
                    mouse::ScrollDelta::Pixels { y, .. } => y / cell_size_at(self.font).1,
                };
                let lines = lines.round() as i32;
                (lines != 0).then(|| canvas::Action::publish(Event::Scroll(lines)).and_capture())
            }
            E::Keyboard(keyboard::Event::KeyPressed {
                key,
                modifiers,
                text,
                ..
            }) if term.focused && self.live => {
                let plain = !modifiers.control() && !modifiers.alt() && !modifiers.shift();
                let ctrl_shift = modifiers.control() && modifiers.shift() && !modifiers.alt();
                let event = match key.as_ref() {
                    Key::Named(Named::Escape) if plain => Event::Focus(false),
                    Key::Character(c) if ctrl_shift && c.eq_ignore_ascii_case("v") => Event::Paste,
                    Key::Character(c) if ctrl_shift && c.eq_ignore_ascii_case("c") => Event::Copy,
                    Key::Named(Named::PageUp) if modifiers.shift() => {
                        Event::Scroll(i32::from(term.size().0) - 1)
                    }
                    Key::Named(Named::PageDown) if modifiers.shift() => {
                        Event::Scroll(1 - i32::from(term.size().0))
                    }
                    _ => Event::Input(term.key_bytes(key, *modifiers, text.as_deref())?),
                };
                Some(canvas::Action::publish(event).and_capture())
            }
            _ => None,
        }
    }

    fn draw(
        &self,
        state: &State,
        renderer: &Renderer,
        _theme: &Theme,
        bounds: Rectangle,
        _cursor: mouse::Cursor,
    ) -> Vec<Geometry> {
        let keyboard = self.term.focused && self.live;
        let now = Some((self.term.generation, keyboard, self.font.to_bits()));
        if state.drawn.get() != now {
            state.cache.clear();
            state.drawn.set(now);
        }
        vec![state.cache.draw(renderer, bounds.size(), |frame| {
            paint(self.term, keyboard, self.font, frame)
        })]
    }

    fn mouse_interaction(
        &self,
        _state: &State,
        bounds: Rectangle,
        cursor: mouse::Cursor,
    ) -> mouse::Interaction {
        if self.live && cursor.is_over(bounds) {
            mouse::Interaction::Text
        } else {
            mouse::Interaction::default()
        }
    }
}

/// An xterm colour: the 16 of the palette, the 6×6×6 cube, the grey ramp, or RGB.
pub fn rgb(c: vt100::Color, default: Color) -> Color {
    match c {
        vt100::Color::Default => default,
        vt100::Color::Idx(i) if i < 16 => PALETTE[i as usize],
        vt100::Color::Idx(i) if i < 232 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let i = i - 16;
            Color::from_rgb8(level(i / 36), level(i / 6 % 6), level(i % 6))
        }
        vt100::Color::Idx(i) => {
            let g = 8 + 10 * (i - 232);
            Color::from_rgb8(g, g, g)
        }
        vt100::Color::Rgb(r, g, b) => Color::from_rgb8(r, g, b),
    }
}

/// How one cell looks: its colours after bold (bright) and inverse.
#[derive(Clone, Copy, PartialEq)]
struct Look {
    fg: Color,
    bg: Color,
    bold: bool,
    underline: bool,
}

fn look(cell: &vt100::Cell) -> Look {
    let mut fgc = cell.fgcolor();
    // Bold brightens the first eight colours, as in xterm.
    if let (true, vt100::Color::Idx(i @ 0..=7)) = (cell.bold(), fgc) {
        fgc = vt100::Color::Idx(i + 8);
    }
    let mut fg = rgb(fgc, FOREGROUND);
    let mut bg = rgb(cell.bgcolor(), BACKGROUND);
    if cell.inverse() {
        std::mem::swap(&mut fg, &mut bg);
    }
    if cell.dim() {
        fg = Color { a: 0.6, ..fg };
    }
    Look {
        fg,
        bg,
        bold: cell.bold(),
        underline: cell.underline(),
    }
}

/// A run of cells drawn as one text.
struct Run {
    col: u16,
    text: String,
    look: Look,
}

/// Draws the grid; `keyboard`: the terminal has the keyboard (a block cursor).
fn paint(term: &Terminal, keyboard: bool, font: f32, frame: &mut Frame) {
    let (cw, ch) = cell_size_at(font);
    let screen = term.screen();
    let (rows, cols) = term.size();
    if term.is_empty() {
        frame.fill_text(canvas::Text {
            content: crate::t!("console-empty"),
            position: Point::new(PAD, PAD),
            color: Color {
                a: 0.6,
                ..FOREGROUND
            },
            size: Pixels(font),
            font: MONO,
            ..Default::default()
        });
    }
    // A panel smaller than the grid shows the rows down to the cursor's.
    let fits = (((frame.height() - 2.0 * PAD) / ch).floor().max(1.0) as u16).min(rows);
    let (crow, ccol) = screen.cursor_position();
    let first = if screen.scrollback() == 0 {
        crow.saturating_sub(fits - 1).min(rows - fits)
    } else {
        0
    };
    let x_of = |col: u16| PAD + f32::from(col) * cw;
    for r in first..first + fits {
        let y = PAD + f32::from(r - first) * ch;
        let mut run: Option<Run> = None;
        let flush = |run: &mut Option<Run>, frame: &mut Frame| {
            if let Some(run) = run.take() {
                draw_run(frame, &run, font, (x_of(run.col), y), (cw, ch));
            }
        };
        for c in 0..cols {
            let Some(cell) = screen.cell(r, c) else {
                continue;
            };
            if cell.is_wide_continuation() {
                continue;
            }
            let lk = look(cell);
            let width = if cell.is_wide() { 2.0 } else { 1.0 };
            if lk.bg != BACKGROUND {
                frame.fill_rectangle(Point::new(x_of(c), y), Size::new(cw * width, ch), lk.bg);
            }
            let s = cell.contents();
            let s = if s.is_empty() { " " } else { s };
            let ascii = s.len() == 1 && s.is_ascii();
            match &mut run {
                Some(cur) if ascii && cur.look == lk && cur.text.is_ascii() => cur.text.push_str(s),
                _ => {
                    flush(&mut run, frame);
                    run = Some(Run {
                        col: c,
                        text: s.to_string(),
                        look: lk,
                    });
                    // Anything but ASCII is drawn alone in its cell: a fallback font's
                    // glyph may not have the monospace advance.
                    if !ascii {
                        flush(&mut run, frame);
                    }
                }
            }
        }
        flush(&mut run, frame);
    }
    // The cursor: a block while the terminal has the keyboard, an outline otherwise.
    if !screen.hide_cursor() && screen.scrollback() == 0 && (first..first + fits).contains(&crow) {
        let pos = Point::new(x_of(ccol), PAD + f32::from(crow - first) * ch);
        if keyboard {
            frame.fill_rectangle(pos, Size::new(cw, ch), FOREGROUND);
            if let Some(cell) = screen.cell(crow, ccol).filter(|c| c.has_contents()) {
                let run = Run {
                    col: ccol,
                    text: cell.contents().to_string(),
                    look: Look {
                        fg: BACKGROUND,
                        bg: FOREGROUND,
                        ..look(cell)
                    },
                };
                draw_run(frame, &run, font, (pos.x, pos.y), (cw, ch));
            }
        } else {
            frame.stroke(
                &Path::rectangle(
                    Point::new(pos.x + 0.5, pos.y + 0.5),
                    Size::new(cw - 1.0, ch - 1.0),
                ),
                Stroke::default().with_color(FOREGROUND).with_width(1.0),
            );
        }
    }
}

fn draw_run(frame: &mut Frame, run: &Run, font: f32, (x, y): (f32, f32), (cw, ch): (f32, f32)) {
    let text = run.text.trim_end();
    if text.is_empty() {
        return;
    }
    let ascii = text.is_ascii();
    frame.fill_text(canvas::Text {
        content: text.to_string(),
        position: Point::new(x, y),
        color: run.look.fg,
        size: Pixels(font),
        line_height: LineHeight::Absolute(Pixels(ch)),
        font: if run.look.bold { MONO_BOLD } else { MONO },
        shaping: if ascii {
            Shaping::Basic
        } else {
            Shaping::Advanced
        },
        ..Default::default()
    });
    if run.look.underline {
        let n = text.chars().count() as f32;
        frame.fill_rectangle(
            Point::new(x, y + ch - 2.0),
            Size::new(cw * n, 1.0),
            run.look.fg,
        );
    }
}
