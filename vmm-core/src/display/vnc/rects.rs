//! Rectangle geometry for a session's updates: what of the damage falls on the screen or a
//! client's requested area, and fewer, larger rectangles to send.

use crate::display::{bounding_box, Rect};

pub(super) fn intersect(a: Rect, b: Rect) -> Option<Rect> {
    let x0 = a.x.max(b.x);
    let y0 = a.y.max(b.y);
    let x1 = (a.x as u64 + a.w as u64).min(b.x as u64 + b.w as u64);
    let y1 = (a.y as u64 + a.h as u64).min(b.y as u64 + b.h as u64);
    (x1 > x0 as u64 && y1 > y0 as u64).then(|| Rect {
        x: x0,
        y: y0,
        w: (x1 - x0 as u64) as u32,
        h: (y1 - y0 as u64) as u32,
    })
}

pub(super) fn contains(outer: Rect, inner: Rect) -> bool {
    inner.x >= outer.x
        && inner.y >= outer.y
        && inner.x as u64 + inner.w as u64 <= outer.x as u64 + outer.w as u64
        && inner.y as u64 + inner.h as u64 <= outer.y as u64 + outer.h as u64
}

fn area(r: &Rect) -> u64 {
    r.w as u64 * r.h as u64
}

/// Fewer, larger rectangles: drops ones inside others, and sends the bounding box when the
/// pieces cover most of it anyway (or are too many).
pub(super) fn coalesce(mut rects: Vec<Rect>) -> Vec<Rect> {
    if rects.len() <= 1 {
        return rects;
    }
    let bb = bounding_box(&rects);
    let total: u64 = rects.iter().map(area).sum();
    if rects.len() > 32 || total * 2 >= area(&bb) {
        return vec![bb];
    }
    rects.sort_by_key(|r| std::cmp::Reverse(area(r)));
    let mut kept: Vec<Rect> = Vec::with_capacity(rects.len());
    for r in rects {
        if !kept.iter().any(|k| contains(*k, r)) {
            kept.push(r);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(x: u32, y: u32, w: u32, h: u32) -> Rect {
        Rect { x, y, w, h }
    }

    #[test]
    fn rect_helpers() {
        assert_eq!(
            intersect(r(0, 0, 10, 10), r(5, 5, 10, 10)),
            Some(r(5, 5, 5, 5))
        );
        assert_eq!(intersect(r(0, 0, 10, 10), r(10, 0, 5, 5)), None);
        assert_eq!(intersect(r(0, 0, 0, 0), r(0, 0, 5, 5)), None);
        assert!(contains(r(0, 0, 10, 10), r(2, 2, 8, 8)));
        assert!(!contains(r(0, 0, 10, 10), r(2, 2, 9, 8)));
        assert_eq!(
            coalesce(vec![r(0, 0, 10, 10), r(0, 0, 10, 10), r(100, 100, 1, 1)]),
            vec![r(0, 0, 10, 10), r(100, 100, 1, 1)]
        );
        assert_eq!(
            coalesce(vec![r(0, 0, 10, 10), r(10, 0, 10, 10)]),
            vec![r(0, 0, 20, 10)]
        );
    }
}
