//! Plane geometry for the drawing: points, rectangles, the side of a box a
//! port sits on, and spreading ports apart along a side.

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Pt {
    pub x: f64,
    pub y: f64,
}

impl Pt {
    pub fn new(x: f64, y: f64) -> Self {
        Pt { x, y }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn centered(c: Pt, w: f64, h: f64) -> Self {
        Rect {
            x0: c.x - w / 2.0,
            y0: c.y - h / 2.0,
            x1: c.x + w / 2.0,
            y1: c.y + h / 2.0,
        }
    }

    pub fn grow(self, d: f64) -> Self {
        Rect {
            x0: self.x0 - d,
            y0: self.y0 - d,
            x1: self.x1 + d,
            y1: self.y1 + d,
        }
    }

    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    pub fn union(self, o: Rect) -> Rect {
        Rect {
            x0: self.x0.min(o.x0),
            y0: self.y0.min(o.y0),
            x1: self.x1.max(o.x1),
            y1: self.y1.max(o.y1),
        }
    }

    pub fn w(&self) -> f64 {
        self.x1 - self.x0
    }

    pub fn h(&self) -> f64 {
        self.y1 - self.y0
    }

    pub fn center(&self) -> Pt {
        Pt::new((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)
    }

    /// Whether the segment a–b passes through the rectangle (Liang–Barsky).
    pub fn hits_segment(&self, a: Pt, b: Pt) -> bool {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        for (p, q) in [
            (-dx, a.x - self.x0),
            (dx, self.x1 - a.x),
            (-dy, a.y - self.y0),
            (dy, self.y1 - a.y),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    if r > t1 {
                        return false;
                    }
                    t0 = t0.max(r);
                } else {
                    if r < t0 {
                        return false;
                    }
                    t1 = t1.min(r);
                }
            }
        }
        t0 <= t1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Side {
    Top,
    Bottom,
    Left,
    Right,
}

/// Where the ray from a box's centre along `dir` leaves the box: the side and
/// the offset along it from the side's middle.
pub(super) fn exit_point(half_w: f64, half_h: f64, dir: Pt) -> (Side, f64) {
    let tx = if dir.x == 0.0 {
        f64::INFINITY
    } else {
        half_w / dir.x.abs()
    };
    let ty = if dir.y == 0.0 {
        f64::INFINITY
    } else {
        half_h / dir.y.abs()
    };
    if !tx.is_finite() && !ty.is_finite() {
        return (Side::Bottom, 0.0);
    }
    if tx < ty {
        (
            if dir.x < 0.0 { Side::Left } else { Side::Right },
            dir.y * tx,
        )
    } else {
        (
            if dir.y < 0.0 { Side::Top } else { Side::Bottom },
            dir.x * ty,
        )
    }
}

/// Push offsets apart to at least `gap`, keeping them within ±`limit` when
/// they fit. `offs` is sorted.
pub(super) fn spread(offs: &mut [f64], gap: f64, limit: f64) {
    for k in 1..offs.len() {
        offs[k] = offs[k].max(offs[k - 1] + gap);
    }
    if let Some(last) = offs.last_mut() {
        *last = last.min(limit);
    }
    for k in (0..offs.len().saturating_sub(1)).rev() {
        offs[k] = offs[k].min(offs[k + 1] - gap);
    }
    if let Some(first) = offs.first_mut() {
        *first = first.max(-limit);
    }
    for k in 1..offs.len() {
        offs[k] = offs[k].max(offs[k - 1] + gap);
    }
}
