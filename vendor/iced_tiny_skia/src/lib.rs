#![allow(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]
pub mod window;

mod blit;
mod engine;
mod layer;
mod primitive;
mod settings;
mod text;

#[cfg(feature = "image")]
mod raster;

#[cfg(feature = "svg")]
mod vector;

#[cfg(feature = "geometry")]
pub mod geometry;

use iced_debug as debug;
pub use iced_graphics as graphics;
pub use iced_graphics::core;

pub use blit::{is_marked_native, mark_native_opaque};
pub use layer::Layer;
pub use primitive::Primitive;
pub use settings::Settings;

#[cfg(feature = "geometry")]
pub use geometry::Geometry;

use crate::core::renderer;
use crate::core::{
    Background, Color, Font, Pixels, Point, Rectangle, Size, Transformation,
};
use crate::engine::Engine;
use crate::graphics::Viewport;
use crate::graphics::compositor;
use crate::graphics::text::{Editor, Paragraph};

/// A [`tiny-skia`] graphics renderer for [`iced`].
///
/// [`tiny-skia`]: https://github.com/RazrFalcon/tiny-skia
/// [`iced`]: https://github.com/iced-rs/iced
#[derive(Debug)]
pub struct Renderer {
    default_font: Font,
    default_text_size: Pixels,
    layers: layer::Stack,
    engine: Engine, // TODO: Shared engine
}

impl Renderer {
    pub fn new(default_font: Font, default_text_size: Pixels) -> Self {
        Self {
            default_font,
            default_text_size,
            layers: layer::Stack::new(),
            engine: Engine::new(),
        }
    }

    pub fn layers(&mut self) -> &[Layer] {
        self.layers.flush();
        self.layers.as_slice()
    }

    /// vmdesk: `region` cut where the topmost image that paints opaque over part of it (see
    /// [`engine::Engine::opaque_bounds`]) lies: that part with the image's (layer, image)
    /// indices, and up to four strips around it with none. Each piece is drawn as its own
    /// damage region. The console's guest screen changes every frame and covers all but a
    /// pixel's frame of the damage (iced grows it by one); filling the region and the quads
    /// under the screen was ~14 % of the console's CPU. Pieces meet on whole pixels (the
    /// image's edges), and regions are filled and clipped without anti-aliasing, so each
    /// pixel is drawn in one piece, as it was in the whole.
    fn pieces(
        &self,
        region: Rectangle,
        scale_factor: f32,
    ) -> Vec<(Rectangle, Option<(usize, usize)>)> {
        #[cfg(all(test, feature = "image"))]
        if tests::NO_COVER.get() {
            return vec![(region, None)];
        }
        let scale = Transformation::scale(scale_factor);
        let cover =
            self.layers.as_slice().iter().enumerate().rev().find_map(
                |(l, layer)| {
                    let clip = layer.bounds * scale_factor;
                    layer.images.iter().enumerate().rev().find_map(
                        |(i, image)| {
                            // Away from the region first: an image that is
                            // not drawn here need not be loaded to know.
                            let _ = region.intersection(
                                &(image.bounds() * scale_factor),
                            )?;
                            let b = self.engine.opaque_bounds(image, scale)?;
                            let part = region.intersection(&b)?;
                            // Not `is_within`: the root layer's bounds
                            // are infinite, and -inf + inf is NaN.
                            (part.intersection(&clip) == Some(part))
                                .then_some((l, i, part))
                        },
                    )
                },
            );
        let Some((l, i, part)) = cover else {
            return vec![(region, None)];
        };
        let (r_right, r_bottom) =
            (region.x + region.width, region.y + region.height);
        let (p_right, p_bottom) = (part.x + part.width, part.y + part.height);
        let strips = [
            // above and below the image, the region's whole width
            Rectangle::new(
                Point::new(region.x, region.y),
                Size::new(region.width, part.y - region.y),
            ),
            Rectangle::new(
                Point::new(region.x, p_bottom),
                Size::new(region.width, r_bottom - p_bottom),
            ),
            // left and right of it, its height
            Rectangle::new(
                Point::new(region.x, part.y),
                Size::new(part.x - region.x, part.height),
            ),
            Rectangle::new(
                Point::new(p_right, part.y),
                Size::new(r_right - p_right, part.height),
            ),
        ];
        std::iter::once((part, Some((l, i))))
            .chain(
                strips
                    .into_iter()
                    .filter(|s| s.width > 0.0 && s.height > 0.0)
                    .map(|s| (s, None)),
            )
            .collect()
    }

    pub fn draw(
        &mut self,
        pixels: &mut tiny_skia::PixmapMut<'_>,
        clip_mask: &mut tiny_skia::Mask,
        viewport: &Viewport,
        damage: &[Rectangle],
        background_color: Color,
    ) {
        let scale_factor = viewport.scale_factor();

        self.layers.flush();

        for &damage_bounds in damage {
            let damage_bounds = damage_bounds * scale_factor;

            // vmdesk: where an image paints the region opaque, the background and whatever
            // is drawn before the image are covered: that part is drawn from the image on, the
            // rest as before (see `Renderer::pieces`).
            for (damage_bounds, cover) in
                self.pieces(damage_bounds, scale_factor)
            {
                if cover.is_none() {
                    let path = tiny_skia::PathBuilder::from_rect(
                        tiny_skia::Rect::from_xywh(
                            damage_bounds.x,
                            damage_bounds.y,
                            damage_bounds.width,
                            damage_bounds.height,
                        )
                        .expect("Create damage rectangle"),
                    );

                    pixels.fill_path(
                        &path,
                        &tiny_skia::Paint {
                            shader: tiny_skia::Shader::SolidColor(
                                engine::into_color(background_color),
                            ),
                            anti_alias: false,
                            blend_mode: tiny_skia::BlendMode::Source,
                            ..Default::default()
                        },
                        tiny_skia::FillRule::default(),
                        tiny_skia::Transform::identity(),
                        None,
                    );
                }

                for (l, layer) in self.layers.iter().enumerate() {
                    // vmdesk: under the covering image, only what comes after it is drawn.
                    let first_image = match cover {
                        Some((cl, _)) if l < cl => continue,
                        Some((cl, i)) if l == cl => Some(i),
                        _ => None,
                    };
                    let Some(layer_bounds) = damage_bounds
                        .intersection(&(layer.bounds * scale_factor))
                    else {
                        continue;
                    };

                    // vmdesk: no clip mask made here; each primitive that needs one makes it
                    // (`engine::clip_for`).
                    if !layer.quads.is_empty() && first_image.is_none() {
                        let render_span = debug::render(debug::Primitive::Quad);
                        for (quad, background) in &layer.quads {
                            self.engine.draw_quad(
                                quad,
                                background,
                                Transformation::scale(scale_factor),
                                pixels,
                                clip_mask,
                                layer_bounds,
                            );
                        }
                        render_span.finish();
                    }

                    if !layer.primitives.is_empty() && first_image.is_none() {
                        let render_span =
                            debug::render(debug::Primitive::Triangle);

                        for group in &layer.primitives {
                            let Some(group_bounds) = (group.clip_bounds()
                                * scale_factor)
                                .intersection(&layer_bounds)
                            else {
                                continue;
                            };

                            for primitive in group.as_slice() {
                                self.engine.draw_primitive(
                                    primitive,
                                    Transformation::scale(scale_factor)
                                        * group.transformation(),
                                    pixels,
                                    clip_mask,
                                    group_bounds,
                                );
                            }
                        }

                        render_span.finish();
                    }

                    if !layer.images.is_empty() {
                        let render_span =
                            debug::render(debug::Primitive::Image);

                        for image in &layer.images[first_image.unwrap_or(0)..] {
                            self.engine.draw_image(
                                image,
                                Transformation::scale(scale_factor),
                                pixels,
                                clip_mask,
                                layer_bounds,
                            );
                        }

                        render_span.finish();
                    }

                    if !layer.text.is_empty() {
                        let render_span =
                            debug::render(debug::Primitive::Image);

                        for group in &layer.text {
                            for text in group.as_slice() {
                                self.engine.draw_text(
                                    text,
                                    Transformation::scale(scale_factor)
                                        * group.transformation(),
                                    pixels,
                                    clip_mask,
                                    layer_bounds,
                                );
                            }
                        }

                        render_span.finish();
                    }
                }
            }
        }

        self.engine.trim();
    }
}

impl core::Renderer for Renderer {
    fn start_layer(&mut self, bounds: Rectangle) {
        self.layers.push_clip(bounds);
    }

    fn end_layer(&mut self) {
        self.layers.pop_clip();
    }

    fn start_transformation(&mut self, transformation: Transformation) {
        self.layers.push_transformation(transformation);
    }

    fn end_transformation(&mut self) {
        self.layers.pop_transformation();
    }

    fn fill_quad(
        &mut self,
        quad: renderer::Quad,
        background: impl Into<Background>,
    ) {
        let (layer, transformation) = self.layers.current_mut();
        layer.draw_quad(quad, background.into(), transformation);
    }

    fn reset(&mut self, new_bounds: Rectangle) {
        self.layers.reset(new_bounds);
    }

    fn allocate_image(
        &mut self,
        _handle: &core::image::Handle,
        callback: impl FnOnce(Result<core::image::Allocation, core::image::Error>)
        + Send
        + 'static,
    ) {
        #[cfg(feature = "image")]
        #[allow(unsafe_code)]
        // TODO: Concurrency
        callback(self.engine.raster_pipeline.load(_handle));

        #[cfg(not(feature = "image"))]
        callback(Err(core::image::Error::Unsupported));
    }
}

impl core::text::Renderer for Renderer {
    type Font = Font;
    type Paragraph = Paragraph;
    type Editor = Editor;

    const ICON_FONT: Font = Font::with_name("Iced-Icons");
    const CHECKMARK_ICON: char = '\u{f00c}';
    const ARROW_DOWN_ICON: char = '\u{e800}';
    const ICED_LOGO: char = '\u{e801}';
    const SCROLL_UP_ICON: char = '\u{e802}';
    const SCROLL_DOWN_ICON: char = '\u{e803}';
    const SCROLL_LEFT_ICON: char = '\u{e804}';
    const SCROLL_RIGHT_ICON: char = '\u{e805}';

    fn default_font(&self) -> Self::Font {
        self.default_font
    }

    fn default_size(&self) -> Pixels {
        self.default_text_size
    }

    fn fill_paragraph(
        &mut self,
        text: &Self::Paragraph,
        position: Point,
        color: Color,
        clip_bounds: Rectangle,
    ) {
        let (layer, transformation) = self.layers.current_mut();

        layer.draw_paragraph(
            text,
            position,
            color,
            clip_bounds,
            transformation,
        );
    }

    fn fill_editor(
        &mut self,
        editor: &Self::Editor,
        position: Point,
        color: Color,
        clip_bounds: Rectangle,
    ) {
        let (layer, transformation) = self.layers.current_mut();
        layer.draw_editor(editor, position, color, clip_bounds, transformation);
    }

    fn fill_text(
        &mut self,
        text: core::Text,
        position: Point,
        color: Color,
        clip_bounds: Rectangle,
    ) {
        let (layer, transformation) = self.layers.current_mut();
        layer.draw_text(text, position, color, clip_bounds, transformation);
    }
}

impl graphics::text::Renderer for Renderer {
    fn fill_raw(&mut self, raw: graphics::text::Raw) {
        let (layer, transformation) = self.layers.current_mut();
        layer.draw_text_raw(raw, transformation);
    }
}

#[cfg(feature = "geometry")]
impl graphics::geometry::Renderer for Renderer {
    type Geometry = Geometry;
    type Frame = geometry::Frame;

    fn new_frame(&self, bounds: Rectangle) -> Self::Frame {
        geometry::Frame::new(bounds)
    }

    fn draw_geometry(&mut self, geometry: Self::Geometry) {
        let (layer, transformation) = self.layers.current_mut();

        match geometry {
            Geometry::Live {
                primitives,
                images,
                text,
                clip_bounds,
            } => {
                layer.draw_primitive_group(
                    primitives,
                    clip_bounds,
                    transformation,
                );

                for image in images {
                    layer.draw_image(image, transformation);
                }

                layer.draw_text_group(text, clip_bounds, transformation);
            }
            Geometry::Cache(cache) => {
                layer.draw_primitive_cache(
                    cache.primitives,
                    cache.clip_bounds,
                    transformation,
                );

                for image in cache.images.iter() {
                    layer.draw_image(image.clone(), transformation);
                }

                layer.draw_text_cache(
                    cache.text,
                    cache.clip_bounds,
                    transformation,
                );
            }
        }
    }
}

impl graphics::mesh::Renderer for Renderer {
    fn draw_mesh(&mut self, _mesh: graphics::Mesh) {
        log::warn!("iced_tiny_skia does not support drawing meshes");
    }

    fn draw_mesh_cache(&mut self, _cache: iced_graphics::mesh::Cache) {
        log::warn!("iced_tiny_skia does not support drawing meshes");
    }
}

#[cfg(feature = "image")]
impl core::image::Renderer for Renderer {
    type Handle = core::image::Handle;

    fn load_image(
        &self,
        handle: &Self::Handle,
    ) -> Result<core::image::Allocation, core::image::Error> {
        self.engine.raster_pipeline.load(handle)
    }

    fn measure_image(
        &self,
        handle: &Self::Handle,
    ) -> Option<crate::core::Size<u32>> {
        self.engine.raster_pipeline.dimensions(handle)
    }

    fn draw_image(
        &mut self,
        image: core::Image,
        bounds: Rectangle,
        clip_bounds: Rectangle,
    ) {
        let (layer, transformation) = self.layers.current_mut();
        layer.draw_raster(image, bounds, clip_bounds, transformation);
    }
}

#[cfg(feature = "svg")]
impl core::svg::Renderer for Renderer {
    fn measure_svg(
        &self,
        handle: &core::svg::Handle,
    ) -> crate::core::Size<u32> {
        self.engine.vector_pipeline.viewport_dimensions(handle)
    }

    fn draw_svg(
        &mut self,
        svg: core::Svg,
        bounds: Rectangle,
        clip_bounds: Rectangle,
    ) {
        let (layer, transformation) = self.layers.current_mut();
        layer.draw_svg(svg, bounds, clip_bounds, transformation);
    }
}

impl compositor::Default for Renderer {
    type Compositor = window::Compositor;
}

impl renderer::Headless for Renderer {
    async fn new(
        default_font: Font,
        default_text_size: Pixels,
        backend: Option<&str>,
    ) -> Option<Self> {
        if backend.is_some_and(|backend| {
            !["tiny-skia", "tiny_skia"].contains(&backend)
        }) {
            return None;
        }

        Some(Self::new(default_font, default_text_size))
    }

    fn name(&self) -> String {
        "tiny-skia".to_owned()
    }

    fn screenshot(
        &mut self,
        size: Size<u32>,
        scale_factor: f32,
        background_color: Color,
    ) -> Vec<u8> {
        let viewport = Viewport::with_physical_size(size, scale_factor);

        window::compositor::screenshot(self, &viewport, background_color)
    }
}

/// vmdesk: drawing from a covering image on (`Renderer::pieces`) gives the pixels drawing
/// everything gave. Needs the `image` feature: run-all tests this crate together with vmdesk,
/// which turns it on.
#[cfg(all(test, feature = "image"))]
mod tests {
    use super::*;
    use crate::core::Renderer as _;
    use crate::core::image::Renderer as _;
    use crate::core::renderer::Quad;

    thread_local! {
        pub static NO_COVER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    const W: u32 = 48;
    const H: u32 = 40;

    fn rect(x: f32, y: f32, w: f32, h: f32) -> Rectangle {
        Rectangle::new(Point::new(x, y), Size::new(w, h))
    }

    /// A quad under an opaque image and around it, the image at whole pixels, a translucent
    /// quad over it in a later layer; drawn over a pixmap of junk, for `damage`. Returns the
    /// pixels and the pieces the damage was cut into.
    fn render(
        cover: bool,
        damage: Rectangle,
    ) -> (Vec<u8>, Vec<(Rectangle, Option<(usize, usize)>)>) {
        NO_COVER.set(!cover);
        let mut r = Renderer::new(Font::default(), Pixels(16.0));
        r.fill_quad(
            Quad {
                bounds: rect(2.5, 3.0, 40.0, 30.0),
                ..Quad::default()
            },
            Background::Color(Color::from_rgb(0.2, 0.4, 0.6)),
        );
        let px: Vec<u8> = (0..16 * 12)
            .flat_map(|i| [i as u8, (i * 3) as u8, 200, 255])
            .collect();
        r.draw_image(
            core::Image::new(core::image::Handle::from_rgba(16, 12, px)),
            rect(8.0, 9.0, 16.0, 12.0),
            rect(0.0, 0.0, W as f32, H as f32),
        );
        r.start_layer(rect(0.0, 0.0, W as f32, H as f32));
        r.fill_quad(
            Quad {
                bounds: rect(14.3, 5.0, 5.0, 20.0),
                ..Quad::default()
            },
            Background::Color(Color::from_rgba(1.0, 0.0, 0.0, 0.5)),
        );
        r.end_layer();
        let mut pixmap = tiny_skia::Pixmap::new(W, H).unwrap();
        pixmap.fill(tiny_skia::Color::from_rgba8(9, 250, 9, 255));
        let mut mask = tiny_skia::Mask::new(W, H).unwrap();
        engine::forget_clip_mask();
        let viewport = Viewport::with_physical_size(Size::new(W, H), 1.0);
        r.draw(
            &mut pixmap.as_mut(),
            &mut mask,
            &viewport,
            &[damage],
            Color::from_rgb(0.1, 0.1, 0.1),
        );
        let pieces = r.pieces(damage, 1.0);
        NO_COVER.set(false);
        (pixmap.data().to_vec(), pieces)
    }

    /// Just `handle` at (8, 9), over junk.
    fn draw_alone(handle: core::image::Handle) -> Vec<u8> {
        let mut r = Renderer::new(Font::default(), Pixels(16.0));
        r.draw_image(
            core::Image::new(handle),
            rect(8.0, 9.0, 16.0, 12.0),
            rect(0.0, 0.0, W as f32, H as f32),
        );
        let mut pixmap = tiny_skia::Pixmap::new(W, H).unwrap();
        pixmap.fill(tiny_skia::Color::from_rgba8(9, 250, 9, 255));
        let mut mask = tiny_skia::Mask::new(W, H).unwrap();
        engine::forget_clip_mask();
        let viewport = Viewport::with_physical_size(Size::new(W, H), 1.0);
        r.draw(
            &mut pixmap.as_mut(),
            &mut mask,
            &viewport,
            &[rect(0.0, 0.0, W as f32, H as f32)],
            Color::BLACK,
        );
        pixmap.data().to_vec()
    }

    /// An image marked as already in the renderer's format draws as its RGBA twin does.
    #[test]
    fn a_native_image_draws_as_its_rgba_twin() {
        use crate::core::image::Handle;
        let rgba: Vec<u8> = (0..16 * 12)
            .flat_map(|i| [i as u8, (i * 3) as u8, 200, 255])
            .collect();
        let bgra: Vec<u8> = rgba
            .chunks_exact(4)
            .flat_map(|p| [p[2], p[1], p[0], p[3]])
            .collect();
        let twin = draw_alone(Handle::from_rgba(16, 12, rgba));
        let native = Handle::from_rgba(16, 12, bgra.clone());
        mark_native_opaque(&native);
        assert_eq!(draw_alone(native), twin);
        // Unmarked, the same bytes are taken for RGBA (so the mark is what made it right).
        assert_ne!(draw_alone(Handle::from_rgba(16, 12, bgra)), twin);
    }

    #[test]
    fn drawing_from_the_covering_image_on_changes_no_pixel() {
        for damage in [
            // the image grown by a pixel, as iced damages a changed image
            rect(7.0, 8.0, 18.0, 14.0),
            // fractional edges, over two of the image's edges
            rect(3.3, 10.6, 12.4, 17.2),
            // inside the image
            rect(10.0, 10.0, 4.0, 4.0),
            // the whole window
            rect(0.0, 0.0, W as f32, H as f32),
        ] {
            let (fast, pieces) = render(true, damage);
            let (slow, _) = render(false, damage);
            // The cut was made (else this compares a path with itself).
            assert_eq!(pieces[0].1, Some((0, 0)), "{damage:?}: {pieces:?}");
            assert_eq!(fast, slow, "{damage:?}");
        }
        // Damage away from the image is not cut.
        let (_, pieces) = render(true, rect(30.0, 30.0, 5.0, 5.0));
        assert_eq!(pieces, vec![(rect(30.0, 30.0, 5.0, 5.0), None)]);
    }
}
