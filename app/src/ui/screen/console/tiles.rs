//! The guest's screen as drawn: its tiles scaled to fit (or 1:1 in a scrollable), and the
//! pointer mapped back to framebuffer pixels.

use super::Message;
use crate::ui::style;
use crate::ui::vnc;
use iced::widget::{column, container, image, mouse_area, responsive, row, scrollable, Space};
use iced::{Element, Length};

/// The frame with pointer handling: scaled to fit the space (aspect kept), or 1:1 in a
/// scrollable. Pointer positions are scaled back to framebuffer pixels. `exact`: fitting, but
/// at this scale (the guest's screen is the size of the space: one pixel each).
pub(super) fn screen(f: &vnc::Screen, fit: bool, exact: Option<f32>) -> Element<'_, Message> {
    let (fw, fh) = (f.width.max(1) as f32, f.height.max(1) as f32);
    if !fit {
        let area = pointer_area(Tiles::new(f.clone(), 1.0).into(), 1.0);
        return scrollable(area)
            .direction(scrollable::Direction::Both {
                vertical: scrollable::Scrollbar::default(),
                horizontal: scrollable::Scrollbar::default(),
            })
            .width(Length::Fill)
            .height(Length::Fill)
            .into();
    }
    let f = f.clone();
    responsive(move |size| {
        let scale = exact.unwrap_or_else(|| fit_scale(fw, fh, size.width, size.height));
        let tiles = Tiles::new(f.clone(), scale);
        let (w, h) = tiles.size();
        let (w, h) = (w as f32, h as f32);
        // The margins around the centred screen, whole pixels (so the screen's origin is too).
        let left = ((size.width - w) / 2.0).floor().max(0.0);
        let top = ((size.height - h) / 2.0).floor().max(0.0);
        let margin = |width: Length, height: Length| {
            container(Space::new())
                .width(width)
                .height(height)
                .style(style::screen_bg)
        };
        column![
            margin(Length::Fill, Length::Fixed(top)),
            row![
                margin(Length::Fixed(left), Length::Fixed(h)),
                pointer_area(tiles.into(), scale),
                margin(Length::Fill, Length::Fixed(h)),
            ],
            margin(Length::Fill, Length::Fill),
        ]
        .into()
    })
    .into()
}

/// Draws the screen's tiles as images, each where it belongs. The session makes the tiles at
/// the size they are shown at (it learns it from [`vnc::View`], set here at layout), so they
/// are copied 1:1; until a frame at a new size comes, the old tiles are scaled. A tile whose
/// handle did not change is neither converted nor redrawn again by the renderer.
struct Tiles {
    screen: vnc::Screen,
    scale: f32,
}

impl Tiles {
    fn new(screen: vnc::Screen, scale: f32) -> Tiles {
        Tiles { screen, scale }
    }

    /// The size on screen, in whole pixels.
    fn size(&self) -> (u32, u32) {
        let px = |v: u32| ((v as f32 * self.scale).round() as u32).max(1);
        (px(self.screen.width), px(self.screen.height))
    }
}

impl<Theme, R> iced::advanced::Widget<Message, Theme, R> for Tiles
where
    R: iced::advanced::image::Renderer<Handle = image::Handle>,
{
    fn size(&self) -> iced::Size<Length> {
        let (w, h) = Tiles::size(self);
        iced::Size::new(Length::Fixed(w as f32), Length::Fixed(h as f32))
    }

    fn layout(
        &mut self,
        _tree: &mut iced::advanced::widget::Tree,
        _renderer: &R,
        limits: &iced::advanced::layout::Limits,
    ) -> iced::advanced::layout::Node {
        let (w, h) = Tiles::size(self);
        self.screen.view.want(w, h);
        iced::advanced::layout::Node::new(limits.resolve(w as f32, h as f32, iced::Size::ZERO))
    }

    fn draw(
        &self,
        _tree: &iced::advanced::widget::Tree,
        renderer: &mut R,
        _theme: &Theme,
        _style: &iced::advanced::renderer::Style,
        layout: iced::advanced::Layout<'_>,
        _cursor: iced::mouse::Cursor,
        viewport: &iced::Rectangle,
    ) {
        let b = layout.bounds();
        let (w, h) = Tiles::size(self);
        // Whole-pixel origin: tiles made at the shown size then map 1:1 onto pixels, which
        // tiny-skia copies without filtering.
        let origin = iced::Point::new(b.x.round(), b.y.round());
        let exact = self.screen.shown == (w, h);
        let scale = w as f32 / self.screen.shown.0.max(1) as f32;
        let filter_method = if exact {
            image::FilterMethod::Nearest
        } else {
            image::FilterMethod::Linear
        };
        let full = self
            .screen
            .full
            .iter()
            .map(|h| (h, [0, 0, self.screen.shown.0, self.screen.shown.1]));
        for (handle, rect) in full.chain(self.screen.tiles()) {
            let bounds = tile_bounds(origin, if exact { 1.0 } else { scale }, rect);
            let Some(clip) = bounds.intersection(viewport) else {
                continue;
            };
            renderer.draw_image(
                iced::advanced::image::Image {
                    handle: handle.clone(),
                    filter_method,
                    rotation: iced::Radians(0.0),
                    border_radius: Default::default(),
                    opacity: 1.0,
                    snap: true,
                },
                bounds,
                clip,
            );
        }
    }
}

/// Where a tile (x, y, w, h in framebuffer pixels) lands on screen. Edges are rounded to whole
/// pixels, each from the same formula as its neighbour's, so tiles meet without gaps or
/// overlaps at any scale.
pub(super) fn tile_bounds(
    origin: iced::Point,
    scale: f32,
    [x, y, w, h]: [u32; 4],
) -> iced::Rectangle {
    let at = |v: u32, o: f32| (o + v as f32 * scale).round();
    let (x0, y0) = (at(x, origin.x), at(y, origin.y));
    iced::Rectangle {
        x: x0,
        y: y0,
        width: at(x + w, origin.x) - x0,
        height: at(y + h, origin.y) - y0,
    }
}

impl<'a, Theme: 'a, R> From<Tiles> for Element<'a, Message, Theme, R>
where
    R: iced::advanced::image::Renderer<Handle = image::Handle> + 'a,
{
    fn from(t: Tiles) -> Self {
        Element::new(t)
    }
}

/// The scale that fits a `fw`×`fh` frame into `w`×`h` (never 0).
pub fn fit_scale(fw: f32, fh: f32, w: f32, h: f32) -> f32 {
    (w / fw).min(h / fh).max(0.05)
}

fn pointer_area(inner: Element<'_, Message>, scale: f32) -> Element<'_, Message> {
    mouse_area(inner)
        .on_move(move |p| Message::Pointer(p.x / scale, p.y / scale))
        .on_press(Message::Button(1, true))
        .on_release(Message::Button(1, false))
        .on_middle_press(Message::Button(2, true))
        .on_middle_release(Message::Button(2, false))
        .on_right_press(Message::Button(4, true))
        .on_right_release(Message::Button(4, false))
        .on_scroll(|d| {
            let y = match d {
                iced::mouse::ScrollDelta::Lines { y, .. } => y,
                iced::mouse::ScrollDelta::Pixels { y, .. } => y,
            };
            Message::Wheel(y > 0.0)
        })
        .into()
}
