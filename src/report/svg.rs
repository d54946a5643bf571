//! The report's charts, drawn as SVG by hand: linear axes that start at zero, a log time axis
//! for waits, step lines drawn from exact event times, labelled points, the legend beside the
//! data (never over it), small multiples sharing one scale, and a `<title>` on every series and
//! point so a pointer shows its figures. Text is SVG `<text>`: no font file, no network.
//!
//! Sizes are fixed (a chart is [`WIDTH`] wide; it grows taller when its legend needs the room),
//! and every coordinate is written with one decimal, so the same inputs give the same bytes.

use std::fmt::Write as _;

/// Width of every chart, px.
pub const WIDTH: f64 = 760.0;
const PLOT_H: f64 = 280.0;
const TOP: f64 = 40.0;
const LEFT: f64 = 70.0;
const BOTTOM: f64 = 50.0;
const LEGEND_W: f64 = 240.0;
const ROW: f64 = 16.0;
/// Characters of a legend entry before it is cut (the whole name stays in its `<title>`).
const LEGEND_CHARS: usize = 28;

/// Line and point colours (matplotlib's "tab10").
const PALETTE: [&str; 10] =
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
/// Dash patterns, so that the 11th to 30th series differ from the first ten by more than colour.
const DASHES: [&str; 3] = ["", "7 3", "2 2"];

/// How series `i` is drawn: 30 distinct styles (ten colours, three dash patterns), then they repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Stroke and fill colour.
    pub color: &'static str,
    /// `stroke-dasharray` (empty: solid).
    pub dash: &'static str,
}

/// The style of series `i`.
pub fn style(i: usize) -> Style {
    Style { color: PALETTE[i % PALETTE.len()], dash: DASHES[(i / PALETTE.len()) % DASHES.len()] }
}

/// Pools' colours (ColorBrewer "Dark2"), apart from the policies' so a pool never reads as a
/// policy; with dash patterns past the eighth.
const POOL_PALETTE: [&str; 8] =
    ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"];

/// The style of pool `i` (24 distinct styles, then they repeat).
pub fn pool_style(i: usize) -> Style {
    Style { color: POOL_PALETTE[i % POOL_PALETTE.len()], dash: DASHES[(i / POOL_PALETTE.len()) % DASHES.len()] }
}

/// How an axis maps values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// From zero to a round number above the largest value.
    Linear,
    /// Seconds on a log axis from 1 s, ticks at 1 s, 10 s, 1 min, 10 min, 1 h, 10 h, 1 d; values
    /// below 1 s are drawn at 1 s (the chart's caption says so).
    LogSeconds,
}

/// One axis.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Label, with its unit.
    pub label: String,
    /// Mapping.
    pub scale: Scale,
    /// Ticks at whole numbers only (counts, hours).
    pub integer: bool,
    /// A fixed upper end (100 for a percentage), else a round number above the data.
    pub max: Option<f64>,
    /// Hours of a day: ticks every 15 or 30 min, or 1, 2, 3, 6, 12 or 24 h.
    pub hours: bool,
}

impl Axis {
    /// A linear axis from zero.
    pub fn linear(label: &str, integer: bool) -> Self {
        Axis { label: label.to_string(), scale: Scale::Linear, integer, max: None, hours: false }
    }

    /// A percentage axis, 0 to 100.
    pub fn percent(label: &str) -> Self {
        Axis { label: label.to_string(), scale: Scale::Linear, integer: false, max: Some(100.0), hours: false }
    }

    /// Simulated time in hours.
    pub fn hours(label: &str) -> Self {
        Axis { label: label.to_string(), scale: Scale::Linear, integer: true, max: None, hours: true }
    }

    /// A log axis of seconds.
    pub fn log_seconds(label: &str) -> Self {
        Axis { label: label.to_string(), scale: Scale::LogSeconds, integer: false, max: None, hours: false }
    }
}

/// A line: `points` in x order.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend entry and hover title.
    pub name: String,
    /// How it is drawn.
    pub style: Style,
    /// (x, y) in data units.
    pub points: Vec<(f64, f64)>,
    /// A step function (each value holds until the next point) rather than straight segments.
    pub step: bool,
}

/// A labelled point of a scatter chart.
#[derive(Debug, Clone)]
pub struct Point {
    /// Label drawn beside the point.
    pub label: String,
    /// Hover title (the figures behind the point).
    pub hover: String,
    /// Colour.
    pub style: Style,
    /// Position in data units.
    pub at: (f64, f64),
    /// Ringed (on the Pareto front).
    pub ringed: bool,
}

/// One panel: axes, lines, points.
#[derive(Debug, Clone)]
pub struct Plot {
    /// Title above the panel.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// Lines.
    pub series: Vec<Series>,
    /// Labelled points.
    pub points: Vec<Point>,
    /// A polyline joining points (the Pareto front), drawn grey under them.
    pub front: Vec<(f64, f64)>,
}

impl Plot {
    /// An empty panel.
    pub fn new(title: &str, x: Axis, y: Axis) -> Self {
        Plot { title: title.to_string(), x, y, series: Vec::new(), points: Vec::new(), front: Vec::new() }
    }
}

/// Escapes text for SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Tick step for `0..max`: about five ticks (1, 2, 2.5 or 5 times a power of ten), whole
/// numbers for an integer axis, 1, 2, 3, 6, 12 or 24 for hours.
fn tick_step(max: f64, integer: bool, hours: bool) -> f64 {
    let max = if max > 0.0 && max.is_finite() { max } else { 1.0 };
    if hours {
        return [0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0, 72.0, 168.0]
            .into_iter()
            .find(|s| max / s <= 6.0)
            .unwrap_or_else(|| (max / 6.0 / 24.0).ceil() * 24.0);
    }
    let raw = max / 5.0;
    let p = 10f64.powf(raw.log10().floor());
    // Whole-number axes step by 1, 2 or 5 times a power of ten (2.5 would round to 3).
    let steps: &[f64] = if integer { &[1.0, 2.0, 5.0, 10.0] } else { &[1.0, 2.0, 2.5, 5.0, 10.0] };
    let step = steps.iter().map(|m| m * p).find(|s| *s >= raw * (1.0 - 1e-12)).unwrap_or(raw);
    if integer {
        step.max(1.0).round()
    } else {
        step
    }
}

/// A tick label: no more decimals than the step needs.
fn tick_label(v: f64, step: f64) -> String {
    let decimals = (0..6usize)
        .find(|d| {
            let scaled = step * 10f64.powi(*d as i32);
            (scaled - scaled.round()).abs() < 1e-9 * scaled.max(1.0)
        })
        .unwrap_or(6);
    format!("{v:.decimals$}")
}

const LOG_TICKS: [(f64, &str); 8] = [
    (1.0, "1 s"),
    (10.0, "10 s"),
    (60.0, "1 min"),
    (600.0, "10 min"),
    (3600.0, "1 h"),
    (36_000.0, "10 h"),
    (86_400.0, "1 d"),
    (864_000.0, "10 d"),
];

/// An axis fitted to data: maps a value to 0..=1 and lists its ticks.
struct Fitted {
    scale: Scale,
    lo: f64,
    hi: f64,
    ticks: Vec<(f64, String)>,
}

impl Fitted {
    fn new(axis: &Axis, values: impl Iterator<Item = f64>) -> Self {
        let max = values.filter(|v| v.is_finite()).fold(0.0f64, f64::max);
        match axis.scale {
            Scale::Linear => {
                // Room above the largest value, so a point or a line never sits on the frame.
                let room = if axis.hours { 1.0 } else { 1.06 };
                let top = axis.max.unwrap_or(if axis.integer { max.max(1.0) * room } else { max * room });
                let step = tick_step(top, axis.integer, axis.hours);
                // (A value near f64::MAX or a subnormal one gives no usable step: one tick.)
                let n = if step.is_normal() && (top / step).is_finite() {
                    ((top / step) * (1.0 - 1e-12)).ceil().clamp(1.0, 100.0) as usize
                } else {
                    1
                };
                let step = if step.is_normal() && top.is_finite() { step } else { top.clamp(1.0, f64::MAX / 2.0) };
                let hi = n as f64 * step;
                let ticks = (0..=n).map(|i| i as f64 * step).map(|v| (v, tick_label(v, step))).collect();
                Fitted { scale: Scale::Linear, lo: 0.0, hi, ticks }
            }
            Scale::LogSeconds => {
                let top = LOG_TICKS.iter().map(|t| t.0).find(|t| *t >= max).unwrap_or(LOG_TICKS[7].0).max(10.0);
                let ticks = LOG_TICKS.iter().filter(|t| t.0 <= top).map(|t| (t.0, t.1.to_string())).collect();
                Fitted { scale: Scale::LogSeconds, lo: 0.0, hi: top.log10(), ticks }
            }
        }
    }

    /// 0..=1 along the axis.
    fn frac(&self, v: f64) -> f64 {
        let v = match self.scale {
            Scale::Linear => v,
            Scale::LogSeconds => v.max(1.0).log10(),
        };
        ((v - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }
}

/// Where a panel sits in the picture, px.
#[derive(Debug, Clone, Copy)]
struct Frame {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

/// A legend entry: a short line (or a dot) and the name.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Full name (cut in the legend, whole in its hover title).
    pub name: String,
    /// Style.
    pub style: Style,
}

/// The SVG document around `body`.
fn document(w: f64, h: f64, title: &str, body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n<title>{}</title>\n<rect width=\"{w:.0}\" height=\"{h:.0}\" fill=\"#ffffff\"/>\n{body}</svg>\n",
        esc(title)
    )
}

fn legend(out: &mut String, entries: &[Entry], x: f64, y: f64, dots: bool) {
    for (i, e) in entries.iter().enumerate() {
        let ty = y + i as f64 * ROW;
        let name: String = if e.name.chars().count() > LEGEND_CHARS {
            e.name.chars().take(LEGEND_CHARS - 1).chain(std::iter::once('…')).collect()
        } else {
            e.name.clone()
        };
        let _ = write!(out, "<g><title>{}</title>", esc(&e.name));
        if dots {
            let _ = write!(out, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{}\"/>", x + 8.0, ty, e.style.color);
        } else {
            let _ = write!(
                out,
                "<line x1=\"{:.1}\" y1=\"{ty:.1}\" x2=\"{:.1}\" y2=\"{ty:.1}\" stroke=\"{}\" stroke-width=\"2.5\"{}/>",
                x,
                x + 18.0,
                e.style.color,
                dash_attr(e.style.dash)
            );
        }
        let _ = writeln!(out, "<text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>", x + 24.0, ty + 4.0, esc(&name));
    }
}

fn dash_attr(dash: &str) -> String {
    if dash.is_empty() {
        String::new()
    } else {
        format!(" stroke-dasharray=\"{dash}\"")
    }
}

/// Draws one panel's axes, grid, lines and points into `out` within `f`, on the shared axes `fx`
/// and `fy`.
fn panel(out: &mut String, p: &Plot, f: Frame, fx: &Fitted, fy: &Fitted, labels: bool) {
    let px = |v: f64| f.x + fx.frac(v) * f.w;
    let py = |v: f64| f.y + f.h - fy.frac(v) * f.h;
    let _ = writeln!(
        out,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"13\" font-weight=\"bold\">{}</text>",
        f.x,
        f.y - 10.0,
        esc(&p.title)
    );
    // Grid and ticks.
    for (v, label) in &fy.ticks {
        let y = f.y + f.h - fy.frac(*v) * f.h;
        let _ = writeln!(
            out,
            "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#e5e5e5\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            f.x,
            f.x + f.w,
            f.x - 6.0,
            y + 4.0,
            esc(label)
        );
    }
    for (v, label) in &fx.ticks {
        let x = f.x + fx.frac(*v) * f.w;
        let _ = writeln!(
            out,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#e5e5e5\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            f.y,
            f.y + f.h,
            f.y + f.h + 16.0,
            esc(label)
        );
    }
    let _ = writeln!(
        out,
        "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"#333333\"/>",
        f.x, f.y, f.w, f.h
    );
    if labels {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            f.x + f.w / 2.0,
            f.y + f.h + 36.0,
            esc(&p.x.label)
        );
        let (cx, cy) = (f.x - 52.0, f.y + f.h / 2.0);
        let _ = writeln!(
            out,
            "<text x=\"{cx:.1}\" y=\"{cy:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 {cx:.1} {cy:.1})\">{}</text>",
            esc(&p.y.label)
        );
    }
    for s in &p.series {
        let mut d = String::new();
        let mut last: Option<(String, String)> = None;
        // A point without a value (a blank cell) is left out, not drawn as NaN.
        for &(x, y) in s.points.iter().filter(|p| p.0.is_finite() && p.1.is_finite()) {
            let (sx, sy) = (format!("{:.1}", px(x)), format!("{:.1}", py(y)));
            if last.as_ref() == Some(&(sx.clone(), sy.clone())) {
                continue;
            }
            if last.is_none() {
                let _ = write!(d, "M{sx} {sy}");
            } else if s.step {
                if last.as_ref().is_some_and(|l| l.0 != sx) {
                    let _ = write!(d, "H{sx}");
                }
                if last.as_ref().is_some_and(|l| l.1 != sy) {
                    let _ = write!(d, "V{sy}");
                }
            } else {
                let _ = write!(d, "L{sx} {sy}");
            }
            last = Some((sx, sy));
        }
        let _ = writeln!(
            out,
            "<g><title>{}</title><path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{}/></g>",
            esc(&s.name),
            s.style.color,
            dash_attr(s.style.dash)
        );
    }
    if p.front.len() >= 2 {
        let pts: Vec<String> = p.front.iter().map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
        let _ = writeln!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#888888\" stroke-width=\"1\"/>",
            pts.join(" ")
        );
    }
    // Labels beside their points: right, else left, else above or below (with a leader line),
    // never over another point or label.
    let mut boxes: Vec<(f64, f64, f64, f64)> = p
        .points
        .iter()
        .filter(|pt| pt.at.0.is_finite() && pt.at.1.is_finite())
        .map(|pt| {
            let (x, y) = (px(pt.at.0), py(pt.at.1));
            (x - 7.0, y - 7.0, x + 7.0, y + 7.0)
        })
        .collect();
    for pt in p.points.iter().filter(|pt| pt.at.0.is_finite() && pt.at.1.is_finite()) {
        let (x, y) = (px(pt.at.0), py(pt.at.1));
        let _ = write!(out, "<g><title>{}</title>", esc(&pt.hover));
        if pt.ringed {
            let _ = write!(out, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"10\" fill=\"none\" stroke=\"#333333\"/>");
        }
        let _ = write!(out, "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"{}\"/>", pt.style.color);
        let w = 6.5 * pt.label.chars().count() as f64;
        let own = (x - 7.0, y - 7.0, x + 7.0, y + 7.0);
        let mut spot = None;
        'find: for dy in [0.0, -16.0, 16.0, -30.0, 30.0, -44.0, 44.0, -58.0, 58.0] {
            for left in [false, true] {
                let lx = if left { x - 12.0 - w } else { x + 12.0 };
                let b = (lx, y + dy - 9.0, lx + w, y + dy + 5.0);
                let inside = b.0 >= 0.0 && b.2 <= WIDTH && b.1 >= f.y - 20.0 && b.3 <= f.y + f.h;
                let free =
                    !boxes.iter().filter(|o| **o != own).any(|o| b.0 < o.2 && o.0 < b.2 && b.1 < o.3 && o.1 < b.3);
                if inside && free {
                    spot = Some((b, dy));
                    break 'find;
                }
            }
        }
        // No free spot: beside the point, kept on the canvas.
        let lx = (x + 12.0).min(WIDTH - w).max(0.0);
        let (b, dy) = spot.unwrap_or(((lx, y - 9.0, lx + w, y + 5.0), 0.0));
        boxes.push(b);
        if dy != 0.0 {
            // Moved off its point's line: a leader line keeps the two together.
            let lx = if b.0 > x { b.0 - 2.0 } else { b.2 + 2.0 };
            let _ = write!(
                out,
                "<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{lx:.1}\" y2=\"{:.1}\" stroke=\"#999999\"/>",
                y + dy
            );
        }
        let _ = writeln!(out, "<text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>", b.0, b.3 - 1.0, esc(&pt.label));
    }
}

/// One panel with its legend (the entries of its series, or `legend_entries` when given) to the
/// right of the data.
pub fn chart(p: &Plot, legend_entries: Option<&[Entry]>) -> String {
    let entries: Vec<Entry> = match legend_entries {
        Some(e) => e.to_vec(),
        None => p.series.iter().map(|s| Entry { name: s.name.clone(), style: s.style }).collect(),
    };
    // Labelled points need room for the labels of the rightmost ones.
    let lw = if !entries.is_empty() {
        LEGEND_W
    } else if p.points.is_empty() {
        20.0
    } else {
        130.0
    };
    let f = Frame { x: LEFT, y: TOP, w: WIDTH - LEFT - lw, h: PLOT_H };
    let fx = Fitted::new(
        &p.x,
        p.series.iter().flat_map(|s| s.points.iter().map(|q| q.0)).chain(p.points.iter().map(|q| q.at.0)),
    );
    let fy = Fitted::new(
        &p.y,
        p.series.iter().flat_map(|s| s.points.iter().map(|q| q.1)).chain(p.points.iter().map(|q| q.at.1)),
    );
    let mut body = String::new();
    panel(&mut body, p, f, &fx, &fy, true);
    legend(&mut body, &entries, f.x + f.w + 16.0, f.y + 8.0, legend_entries.is_some() && p.series.is_empty());
    let h = (TOP + PLOT_H + BOTTOM).max(f.y + 8.0 + entries.len() as f64 * ROW + 8.0);
    document(WIDTH, h, &p.title, &body)
}

/// Panels in a grid of `cols` columns on one scale (the largest of all), with one legend for all.
pub fn small_multiples(title: &str, panels: &[Plot], cols: usize, entries: &[Entry]) -> String {
    let cols = cols.clamp(1, panels.len().max(1));
    let rows = panels.len().div_ceil(cols);
    let lw = if entries.is_empty() { 0.0 } else { LEGEND_W };
    let (pw, ph, gap_x, gap_y) = ((WIDTH - LEFT - lw) / cols as f64, 170.0, 50.0, 64.0);
    let all_x = panels.iter().flat_map(|p| p.series.iter().flat_map(|s| s.points.iter().map(|q| q.0)));
    let all_y = panels.iter().flat_map(|p| p.series.iter().flat_map(|s| s.points.iter().map(|q| q.1)));
    let Some(first) = panels.first() else { return document(WIDTH, 60.0, title, "") };
    let fx = Fitted::new(&first.x, all_x);
    let fy = Fitted::new(&first.y, all_y);
    let mut body = String::new();
    let _ =
        writeln!(body, "<text x=\"{LEFT:.1}\" y=\"20\" font-size=\"14\" font-weight=\"bold\">{}</text>", esc(title));
    for (i, p) in panels.iter().enumerate() {
        let (c, r) = (i % cols, i / cols);
        let f = Frame { x: LEFT + c as f64 * pw, y: TOP + 16.0 + r as f64 * (ph + gap_y), w: pw - gap_x, h: ph };
        panel(&mut body, p, f, &fx, &fy, false);
    }
    let grid_h = rows as f64 * (ph + gap_y);
    let (cx, cy) = (22.0, TOP + 16.0 + grid_h / 2.0);
    let _ = writeln!(
        body,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text><text x=\"{cx:.1}\" y=\"{cy:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 {cx:.1} {cy:.1})\">{}</text>",
        LEFT + (WIDTH - LEFT - lw) / 2.0,
        TOP + 16.0 + grid_h - gap_y + 40.0,
        esc(&first.x.label),
        esc(&first.y.label)
    );
    legend(&mut body, entries, WIDTH - lw + 16.0, TOP + 24.0, false);
    let h = (TOP + 16.0 + grid_h + 10.0).max(TOP + 32.0 + entries.len() as f64 * ROW + 8.0);
    document(WIDTH, h, title, &body)
}

#[cfg(test)]
mod tests;
