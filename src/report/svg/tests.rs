//! The report's chart primitives: axes, ticks, styles, steps, legends and labels.

use super::*;

#[test]
fn axes_start_at_zero_and_end_on_a_round_number_with_whole_ticks_for_counts() {
    let f = Fitted::new(&Axis::linear("pods", true), [0.0, 3.0, 7.0].into_iter());
    assert_eq!(f.hi, 8.0, "0, 2, 4, 6, 8: room above the 7");
    assert_eq!(f.ticks.first().map(|t| t.1.as_str()), Some("0"));
    assert!(f.ticks.iter().all(|t| t.0.fract() == 0.0), "{:?}", f.ticks.iter().map(|t| &t.1).collect::<Vec<_>>());
    // Three pods pending at most: ticks 0, 1, 2, 3 (never 0.5).
    let f = Fitted::new(&Axis::linear("pods", true), [3.0].into_iter());
    assert!(f.ticks.iter().all(|t| !t.1.contains('.')), "{:?}", f.ticks.iter().map(|t| &t.1).collect::<Vec<_>>());
    let f = Fitted::new(&Axis::linear("cost", false), [541.1].into_iter());
    assert_eq!((f.hi, f.ticks.len()), (600.0, 4), "0, 200, 400, 600: not an empty half");
    let f = Fitted::new(&Axis::hours("time (h)"), [24.0].into_iter());
    assert_eq!(f.ticks.iter().map(|t| t.1.as_str()).collect::<Vec<_>>(), ["0", "6", "12", "18", "24"]);
    let f = Fitted::new(&Axis::linear("cost", false), [0.42].into_iter());
    assert_eq!(f.hi, 0.5);
    assert_eq!(f.ticks.iter().map(|t| t.1.as_str()).collect::<Vec<_>>(), ["0.0", "0.1", "0.2", "0.3", "0.4", "0.5"]);
    let f = Fitted::new(&Axis::linear("cost", false), [404.9].into_iter());
    assert_eq!(f.hi, 500.0);
    assert_eq!(f.ticks[0].0, 0.0);
}

#[test]
fn the_log_time_axis_reads_in_seconds_minutes_and_hours() {
    let f = Fitted::new(&Axis::log_seconds("wait"), [0.0, 30.0, 2000.0].into_iter());
    assert_eq!(f.ticks.iter().map(|t| t.1.as_str()).collect::<Vec<_>>(), ["1 s", "10 s", "1 min", "10 min", "1 h"]);
    assert_eq!(f.frac(0.0), 0.0, "a zero wait sits at 1 s");
    assert!((f.frac(60.0) - 60f64.log10() / 3600f64.log10()).abs() < 1e-12);
}

#[test]
fn thirty_series_have_thirty_distinct_styles() {
    let s: std::collections::BTreeSet<(&str, &str)> = (0..30).map(|i| (style(i).color, style(i).dash)).collect();
    assert_eq!(s.len(), 30);
}

#[test]
fn a_step_line_holds_each_value_until_the_next_event() {
    let mut p = Plot::new("pending", Axis::linear("h", true), Axis::linear("pods", true));
    p.series.push(Series {
        name: "a".into(),
        style: style(0),
        points: vec![(0.0, 0.0), (1.0, 2.0), (2.0, 0.0)],
        step: true,
    });
    let svg = chart(&p, None);
    let d = svg.split("d=\"").nth(1).unwrap().split('"').next().unwrap();
    assert!(d.starts_with('M') && d.contains('H') && d.contains('V') && !d.contains('L'), "{d}");
    assert!(svg.contains("<title>a</title>"), "a hover title names the series");
}

#[test]
fn the_legend_sits_beside_the_data_and_the_canvas_grows_to_hold_it() {
    let mut p = Plot::new("many", Axis::linear("h", true), Axis::linear("pods", true));
    for i in 0..40 {
        p.series.push(Series { name: format!("series {i}"), style: style(i), points: vec![(0.0, 1.0)], step: true });
    }
    let svg = chart(&p, None);
    let h: f64 = svg.split("height=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    assert!(h >= TOP + 8.0 + 40.0 * ROW, "{h}");
    // Every legend text starts right of the plot area.
    let xs: Vec<f64> = svg
        .lines()
        .filter(|l| l.contains("series "))
        .filter_map(|l| l.split("<text x=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect();
    assert_eq!(xs.len(), 40);
    assert!(xs.iter().all(|x| *x > WIDTH - LEGEND_W), "{xs:?}");
}

#[test]
fn labels_of_near_points_do_not_overlap() {
    let mut p = Plot::new("cost", Axis::linear("cost", false), Axis::linear("p95", false));
    for i in 0..4 {
        p.points.push(Point {
            label: format!("policy-{i}"),
            hover: String::new(),
            style: style(i),
            at: (100.0, 50.0 + i as f64 * 0.01),
            ringed: false,
        });
    }
    let svg = chart(&p, Some(&[]));
    let ys: Vec<f64> = svg
        .lines()
        .filter(|l| l.contains("policy-"))
        .filter_map(|l| l.split("<text x=\"").nth(1)?.split("y=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect();
    assert_eq!(ys.len(), 4);
    let xs: Vec<f64> = svg
        .lines()
        .filter(|l| l.contains("policy-"))
        .filter_map(|l| l.split("<text x=\"").nth(1)?.split('"').next()?.parse().ok())
        .collect();
    for i in 0..4 {
        for j in 0..i {
            assert!((ys[i] - ys[j]).abs() >= 14.0 || (xs[i] - xs[j]).abs() > 60.0, "{ys:?} {xs:?}");
        }
    }
}

#[test]
fn extreme_and_missing_values_neither_hang_nor_draw_nan() {
    for v in [f64::MAX, 1e-310, 0.0] {
        let f = Fitted::new(&Axis::linear("x", false), [v].into_iter());
        assert!(f.ticks.len() <= 101 && f.hi.is_finite() && f.hi > 0.0, "{v}: {} ticks, hi {}", f.ticks.len(), f.hi);
    }
    let mut p = Plot::new("gaps", Axis::hours("h"), Axis::linear("pods", true));
    p.series.push(Series {
        name: "a".into(),
        style: style(0),
        points: vec![(f64::NAN, 1.0), (0.0, 1.0), (1.0, f64::NAN), (2.0, 3.0)],
        step: true,
    });
    let svg = chart(&p, None);
    assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
}
