//! The PNG backend: plotters' bitmap backend with text drawn here.
//!
//! plotters 0.3.7 draws each glyph without its left side bearing and at a baseline rounded
//! toward zero, so letters stand unevenly ("ga ins") and full stops float above the line. This
//! backend lays text out with `ab_glyph` itself: glyphs at their fractional caret position
//! (kerning included) on one baseline, each pixel blended by its coverage. Widths are those
//! plotters estimates (the same advances), so labels sit where plotters laid them out.

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

pub struct Raster<'a> {
    inner: BitMapBackend<'a>,
    font: FontRef<'static>,
    /// Cap height and x-height as fractions of the em.
    cap: f32,
}

type Err<'a> = DrawingErrorKind<<BitMapBackend<'a> as DrawingBackend>::ErrorType>;

impl<'a> Raster<'a> {
    /// A backend drawing into `buf` (RGB, `w × h × 3` bytes) with text in `font`.
    pub fn new(buf: &'a mut [u8], size: (u32, u32), font: FontRef<'static>) -> Self {
        let em = font.units_per_em().unwrap_or(2048.0);
        let cap = font.outline(font.glyph_id('H')).map_or(0.73, |o| {
            o.bounds.max.y.abs().max(o.bounds.min.y.abs()) / em
        });
        Raster {
            inner: BitMapBackend::with_buffer(buf, size),
            font,
            cap,
        }
    }
}

impl<'a> DrawingBackend for Raster<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), Err<'a>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), Err<'a>> {
        self.inner.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Err<'a>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), Err<'a>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), Err<'a>> {
        self.inner.fill_polygon(vert, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), Err<'a>> {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), Err<'a>> {
        let color = style.color();
        if color.alpha == 0.0 || text.is_empty() {
            return Ok(());
        }
        let font = self.font.as_scaled(PxScale::from(style.size() as f32));
        // Pixels per em at this scale (ab_glyph scales ascent − descent to the size).
        let em = style.size() as f32 * self.font.units_per_em().unwrap_or(2048.0)
            / self.font.height_unscaled();
        let mut caret = 0f32;
        let mut prev = None;
        let mut glyphs = Vec::with_capacity(text.len());
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(p) = prev {
                caret += font.kern(p, id);
            }
            glyphs.push((id, caret));
            caret += font.h_advance(id);
            prev = Some(id);
        }
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -caret / 2.0,
            HPos::Right => -caret,
        };
        // The baseline below the anchor: caps start at a top anchor, caps are centred on a
        // centre anchor, descenders end at a bottom anchor.
        let baseline = match anchor.v_pos {
            VPos::Top => self.cap * em,
            VPos::Center => self.cap * em / 2.0,
            VPos::Bottom => font.descent(),
        };
        let trans = style.transform();
        let (w, h) = self.get_size();
        let mut pixels = Vec::new();
        for (id, x) in glyphs {
            let glyph = id.with_scale_and_position(font.scale(), point(x + dx, baseline));
            if let Some(outlined) = self.font.outline_glyph(glyph) {
                let b = outlined.px_bounds();
                outlined.draw(|gx, gy, coverage| {
                    if coverage > 0.004 {
                        let (tx, ty) =
                            trans.transform(b.min.x as i32 + gx as i32, b.min.y as i32 + gy as i32);
                        pixels.push((pos.0 + tx, pos.1 + ty, coverage.min(1.0)));
                    }
                });
            }
        }
        for (x, y, coverage) in pixels {
            if x >= 0 && y >= 0 && (x as u32) < w && (y as u32) < h {
                self.inner.draw_pixel(
                    (x, y),
                    BackendColor {
                        alpha: color.alpha * coverage as f64,
                        rgb: color.rgb,
                    },
                )?;
            }
        }
        Ok(())
    }
}
