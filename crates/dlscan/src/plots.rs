//! Plots of a run directory, as PNG and SVG in `<run>/plots/`: per-parameter histograms of
//! in-target against all points, a scatter matrix coloured by target, 2-D density maps
//! with contours of the in-target points, the convergence curve against what uniform
//! sampling would give, and the seconds each iteration took against the points stored.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use crate::config::Loaded;
use scan_core::Scale;

/// The run's points, as the plots need them.
struct RunData {
    /// Axis labels (log10 for log-scale parameters).
    names: Vec<String>,
    /// Per parameter: plotted values (log10 for log-scale parameters) and their range.
    columns: Vec<Vec<f64>>,
    ranges: Vec<(f64, f64)>,
    in_target: Vec<bool>,
    /// Per iteration: total oracle calls and in-target points.
    calls: Vec<f64>,
    hits: Vec<f64>,
    /// In-target rate of the uniform points (initial sample and uniform exploration).
    uniform_rate: f64,
    /// Per iteration: points stored before it, and its seconds training, proposing in all
    /// (training included) and evaluating.
    stored: Vec<f64>,
    seconds_training: Vec<f64>,
    seconds_proposal: Vec<f64>,
    seconds_oracle: Vec<f64>,
}

fn read_csv(path: &Path) -> Result<(csv::StringRecord, Vec<csv::StringRecord>)> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let header = r
        .headers()
        .with_context(|| format!("{}: no header", path.display()))?
        .clone();
    let rows = r
        .records()
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("{}: malformed row", path.display()))?;
    Ok((header, rows))
}

fn index(header: &csv::StringRecord, name: &str, path: &Path) -> Result<usize> {
    header
        .iter()
        .position(|h| h == name)
        .ok_or_else(|| anyhow!("{}: no column `{name}`", path.display()))
}

impl RunData {
    fn load(dir: &Path, loaded: &Loaded) -> Result<RunData> {
        let points = dir.join("points.csv");
        let (h, rows) = read_csv(&points)?;
        let mut names = Vec::new();
        let mut columns = Vec::new();
        let mut ranges = Vec::new();
        for p in loaded.space.parameters() {
            let i = index(&h, &p.name, &points)?;
            let log = p.scale == Scale::Log;
            let f = |v: f64| if log { v.log10() } else { v };
            names.push(if log {
                format!("log10 {}", p.name)
            } else {
                p.name.clone()
            });
            columns.push(
                rows.iter()
                    .map(|r| r[i].parse::<f64>().map(f).unwrap_or(f64::NAN))
                    .collect(),
            );
            ranges.push((f(p.min), f(p.max)));
        }
        let it = index(&h, "in_target", &points)?;
        let origin = index(&h, "origin", &points)?;
        let in_target: Vec<bool> = rows.iter().map(|r| &r[it] == "1").collect();
        let uniform: Vec<bool> = rows
            .iter()
            .map(|r| matches!(&r[origin], "initial" | "random"))
            .collect();
        let n_uniform = uniform.iter().filter(|u| **u).count().max(1);
        let uniform_hits = uniform.iter().zip(&in_target).filter(|(u, t)| **u && **t).count();
        let iterations = dir.join("iterations.csv");
        let (ih, irows) = read_csv(&iterations)?;
        let column = |name: &str| -> Result<Vec<f64>> {
            let i = index(&ih, name, &iterations)?;
            Ok(irows.iter().map(|r| r[i].parse().unwrap_or(f64::NAN)).collect())
        };
        let calls = column("total_oracle_calls")?;
        let stored = calls
            .iter()
            .zip(column("oracle_calls")?)
            .map(|(total, batch)| total - batch)
            .collect();
        Ok(RunData {
            names,
            columns,
            ranges,
            in_target,
            calls,
            hits: column("total_in_target")?,
            uniform_rate: uniform_hits as f64 / n_uniform as f64,
            stored,
            seconds_training: column("seconds_training")?,
            seconds_proposal: column("seconds_proposal")?,
            seconds_oracle: column("seconds_oracle")?,
        })
    }

    fn dim(&self) -> usize {
        self.columns.len()
    }
}

type Drawn = std::result::Result<(), String>;

macro_rules! t {
    ($e:expr) => {
        $e.map_err(|e| e.to_string())?
    };
}

/// Fraction of values per bin over `range`.
fn histogram(values: impl Iterator<Item = f64>, range: (f64, f64), bins: usize) -> Vec<f64> {
    let mut counts = vec![0.0; bins];
    let mut total = 0.0;
    for v in values {
        let b = ((v - range.0) / (range.1 - range.0) * bins as f64).floor();
        if b.is_finite() {
            counts[(b.max(0.0) as usize).min(bins - 1)] += 1.0;
            total += 1.0;
        }
    }
    counts
        .iter()
        .map(|c| if total > 0.0 { c / total } else { 0.0 })
        .collect()
}

const ALL: RGBColor = RGBColor(150, 150, 150);
const HIT: RGBColor = RGBColor(200, 30, 30);

fn draw_histograms<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, data: &RunData) -> Drawn {
    let cols = data.dim().min(3);
    let rows = data.dim().div_ceil(cols);
    let panels = area.split_evenly((rows, cols));
    let bins = 40;
    for (d, panel) in panels.iter().enumerate().take(data.dim()) {
        let range = data.ranges[d];
        let all = histogram(data.columns[d].iter().copied(), range, bins);
        let hit = histogram(
            data.columns[d]
                .iter()
                .zip(&data.in_target)
                .filter(|(_, t)| **t)
                .map(|(v, _)| *v),
            range,
            bins,
        );
        let top = all.iter().chain(&hit).cloned().fold(0.0, f64::max).max(1e-9) * 1.1;
        let mut chart = t!(ChartBuilder::on(panel)
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .caption(&data.names[d], ("sans-serif", 22))
            .build_cartesian_2d(range.0..range.1, 0.0..top));
        t!(chart
            .configure_mesh()
            .y_desc("fraction")
            .label_style(("sans-serif", 15))
            .draw());
        let width = (range.1 - range.0) / bins as f64;
        let bar = |h: &[f64], style: ShapeStyle| -> Vec<Rectangle<(f64, f64)>> {
            h.iter()
                .enumerate()
                .map(|(i, &v)| {
                    let x0 = range.0 + i as f64 * width;
                    Rectangle::new([(x0, 0.0), (x0 + width, v)], style)
                })
                .collect()
        };
        t!(chart.draw_series(bar(&all, ALL.mix(0.5).filled())).map(|s| s
            .label("all points")
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], ALL.filled()))));
        t!(chart.draw_series(bar(&hit, HIT.stroke_width(2))).map(|s| s
            .label("in target")
            .legend(|(x, y)| Rectangle::new([(x, y - 4), (x + 10, y + 4)], HIT.filled()))));
        if d == 0 {
            t!(chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font(("sans-serif", 15))
                .draw());
        }
    }
    Ok(())
}

/// Every `step`-th index, so scatter plots stay light.
fn thin(n: usize, max: usize) -> impl Iterator<Item = usize> {
    let step = n.div_ceil(max.max(1)).max(1);
    (0..n).step_by(step)
}

fn draw_scatter<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, data: &RunData) -> Drawn {
    let k = data.dim().min(5);
    let panels = area.split_evenly((k, k));
    let hits: Vec<usize> = (0..data.in_target.len()).filter(|&i| data.in_target[i]).collect();
    for i in 0..k {
        for j in 0..k {
            let panel = &panels[i * k + j];
            if i == j {
                t!(panel.draw(&Text::new(data.names[i].clone(), (10, 10), ("sans-serif", 22))));
                continue;
            }
            let (rx, ry) = (data.ranges[j], data.ranges[i]);
            let mut chart = t!(ChartBuilder::on(panel)
                .margin(4)
                .x_label_area_size(20)
                .y_label_area_size(30)
                .build_cartesian_2d(rx.0..rx.1, ry.0..ry.1));
            t!(chart
                .configure_mesh()
                .disable_mesh()
                .x_labels(3)
                .y_labels(3)
                .label_style(("sans-serif", 12))
                .draw());
            let (xs, ys) = (&data.columns[j], &data.columns[i]);
            t!(chart.draw_series(thin(xs.len(), 4000).map(|p| Pixel::new((xs[p], ys[p]), ALL.mix(0.5)))));
            t!(chart.draw_series(thin(hits.len(), 4000).map(|h| Circle::new(
                (xs[hits[h]], ys[hits[h]]),
                1,
                HIT.filled()
            ))));
        }
    }
    Ok(())
}

/// Line segments of the level set `level` of a grid (marching squares).
fn contour(grid: &[Vec<f64>], level: f64) -> Vec<[(f64, f64); 2]> {
    let mut segments = Vec::new();
    let (nx, ny) = (grid.len(), grid[0].len());
    let cross = |a: f64, b: f64| (level - a) / (b - a);
    for i in 0..nx - 1 {
        for j in 0..ny - 1 {
            let v = [grid[i][j], grid[i + 1][j], grid[i + 1][j + 1], grid[i][j + 1]];
            let corners = [
                (i as f64, j as f64),
                (i as f64 + 1.0, j as f64),
                (i as f64 + 1.0, j as f64 + 1.0),
                (i as f64, j as f64 + 1.0),
            ];
            let mut points = Vec::new();
            for e in 0..4 {
                let (a, b) = (v[e], v[(e + 1) % 4]);
                if (a < level) != (b < level) {
                    let f = cross(a, b);
                    let (p, q) = (corners[e], corners[(e + 1) % 4]);
                    points.push((p.0 + f * (q.0 - p.0), p.1 + f * (q.1 - p.1)));
                }
            }
            for pair in points.chunks_exact(2) {
                segments.push([pair[0], pair[1]]);
            }
        }
    }
    segments
}

fn draw_density<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, data: &RunData) -> Drawn {
    let k = data.dim().min(4);
    let pairs: Vec<(usize, usize)> = (0..k).flat_map(|a| ((a + 1)..k).map(move |b| (a, b))).collect();
    if pairs.is_empty() {
        return Ok(());
    }
    let cols = pairs.len().min(3);
    let panels = area.split_evenly((pairs.len().div_ceil(cols), cols));
    let n = 60;
    for (&(a, b), panel) in pairs.iter().zip(panels.iter()) {
        let (ra, rb) = (data.ranges[a], data.ranges[b]);
        let mut grid = vec![vec![0.0f64; n]; n];
        for i in (0..data.in_target.len()).filter(|&i| data.in_target[i]) {
            let u = ((data.columns[a][i] - ra.0) / (ra.1 - ra.0) * n as f64).floor();
            let v = ((data.columns[b][i] - rb.0) / (rb.1 - rb.0) * n as f64).floor();
            if u.is_finite() && v.is_finite() {
                grid[(u.max(0.0) as usize).min(n - 1)][(v.max(0.0) as usize).min(n - 1)] += 1.0;
            }
        }
        // A 3×3 box blur so that contours follow the density, not single points.
        let smooth: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| {
                        let rows = &grid[i.saturating_sub(1)..=(i + 1).min(n - 1)];
                        let s: f64 = rows
                            .iter()
                            .map(|r| r[j.saturating_sub(1)..=(j + 1).min(n - 1)].iter().sum::<f64>())
                            .sum();
                        s / 9.0
                    })
                    .collect()
            })
            .collect();
        let max = smooth.iter().flatten().cloned().fold(0.0, f64::max);
        let mut chart = t!(ChartBuilder::on(panel)
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .caption(
                format!("in target: {} vs {}", data.names[b], data.names[a]),
                ("sans-serif", 19)
            )
            .build_cartesian_2d(ra.0..ra.1, rb.0..rb.1));
        t!(chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(&data.names[a])
            .y_desc(&data.names[b])
            .label_style(("sans-serif", 14))
            .draw());
        let (wa, wb) = ((ra.1 - ra.0) / n as f64, (rb.1 - rb.0) / n as f64);
        if max > 0.0 {
            t!(chart.draw_series(
                (0..n)
                    .flat_map(|i| (0..n).map(move |j| (i, j)))
                    .filter(|&(i, j)| smooth[i][j] > 0.0)
                    .map(|(i, j)| {
                        let f = (smooth[i][j] / max).sqrt();
                        let shade = RGBColor(255, (255.0 * (1.0 - f)) as u8, (255.0 * (1.0 - f)) as u8);
                        let x0 = ra.0 + i as f64 * wa;
                        let y0 = rb.0 + j as f64 * wb;
                        Rectangle::new([(x0, y0), (x0 + wa, y0 + wb)], shade.filled())
                    })
            ));
            for (level, colour) in [(0.1, RGBColor(120, 0, 0)), (0.3, RGBColor(60, 0, 0)), (0.6, BLACK)] {
                // Grid index (i, j) is the cell's lower corner; centre the contours on cells.
                let to = |p: (f64, f64)| (ra.0 + (p.0 + 0.5) * wa, rb.0 + (p.1 + 0.5) * wb);
                t!(chart.draw_series(
                    contour(&smooth, level * max)
                        .into_iter()
                        .map(|s| PathElement::new(vec![to(s[0]), to(s[1])], colour.stroke_width(1)))
                ));
            }
        }
    }
    Ok(())
}

fn draw_convergence<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, data: &RunData) -> Drawn {
    let max_calls = data.calls.iter().cloned().fold(1.0, f64::max);
    let max_hits = data
        .hits
        .iter()
        .cloned()
        .fold(1.0, f64::max)
        .max(max_calls * data.uniform_rate);
    let mut chart = t!(ChartBuilder::on(area)
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .caption("in-target points against oracle calls", ("sans-serif", 27))
        .build_cartesian_2d(0.0..max_calls, 0.0..max_hits * 1.05));
    t!(chart
        .configure_mesh()
        .x_desc("oracle calls")
        .y_desc("in-target points")
        .draw());
    let run: Vec<(f64, f64)> = std::iter::once((0.0, 0.0))
        .chain(data.calls.iter().copied().zip(data.hits.iter().copied()))
        .collect();
    t!(chart
        .draw_series(LineSeries::new(run.clone(), HIT.stroke_width(2)))
        .map(|s| s
            .label("this run")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], HIT.stroke_width(2)))));
    t!(chart.draw_series(run.iter().skip(1).map(|&p| Circle::new(p, 3, HIT.filled()))));
    let rate = data.uniform_rate;
    t!(chart
        .draw_series(LineSeries::new(
            vec![(0.0, 0.0), (max_calls, max_calls * rate)],
            BLUE.stroke_width(1)
        ))
        .map(|s| s
            .label(format!("uniform sampling ({:.2} % in target)", 100.0 * rate))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE))));
    draw_legend(&mut chart)
}

/// The series labels of a line chart, top left on a translucent box.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
) -> Drawn {
    t!(chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw());
    Ok(())
}

fn draw_timing<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, data: &RunData) -> Drawn {
    let max_stored = data.stored.iter().cloned().fold(1.0, f64::max);
    let series = [
        ("proposing (training included)", &data.seconds_proposal, HIT),
        ("training", &data.seconds_training, RGBColor(230, 140, 20)),
        ("oracle", &data.seconds_oracle, BLUE),
    ];
    let max_seconds = series
        .iter()
        .flat_map(|(_, s, _)| s.iter().cloned())
        .filter(|s| s.is_finite())
        .fold(1e-3, f64::max);
    let mut chart = t!(ChartBuilder::on(area)
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .caption("seconds per iteration against points stored", ("sans-serif", 27))
        .build_cartesian_2d(0.0..max_stored * 1.02, 0.0..max_seconds * 1.1));
    t!(chart
        .configure_mesh()
        .x_desc("points stored before the iteration")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("seconds")
        .draw());
    for (label, seconds, colour) in series {
        let line: Vec<(f64, f64)> = data
            .stored
            .iter()
            .copied()
            .zip(seconds.iter().copied())
            .filter(|(_, s)| s.is_finite())
            .collect();
        t!(chart
            .draw_series(LineSeries::new(line.clone(), colour.stroke_width(2)))
            .map(|s| s
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)))));
        t!(chart.draw_series(line.iter().map(|&p| Circle::new(p, 3, colour.filled()))));
    }
    draw_legend(&mut chart)
}

macro_rules! figure {
    ($dir:expr, $name:expr, $size:expr, $func:ident, $data:expr) => {{
        let png = $dir.join(format!("{}.png", $name));
        let svg = $dir.join(format!("{}.svg", $name));
        {
            let root = BitMapBackend::new(&png, $size).into_drawing_area();
            root.fill(&WHITE).map_err(|e| anyhow!("{}: {e}", png.display()))?;
            $func(&root, $data).map_err(|e| anyhow!("{}: {e}", png.display()))?;
            root.present().map_err(|e| anyhow!("{}: {e}", png.display()))?;
        }
        {
            let root = SVGBackend::new(&svg, $size).into_drawing_area();
            root.fill(&WHITE).map_err(|e| anyhow!("{}: {e}", svg.display()))?;
            $func(&root, $data).map_err(|e| anyhow!("{}: {e}", svg.display()))?;
            root.present().map_err(|e| anyhow!("{}: {e}", svg.display()))?;
        }
        vec![png, svg]
    }};
}

/// Make the embedded Noto Sans the "sans-serif" family every plot asks for. plotters draws
/// text only with fonts registered in its process-wide table, so this has to happen before
/// the first plot; the bytes never change, so once per process is enough.
fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, ttf_noto_sans::REGULAR).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(anyhow!("cannot load the embedded Noto Sans font for the plots"))
    }
}

/// Draw every plot of the run in `run_dir` into `run_dir/plots/`; returns the files.
pub fn plot_run(run_dir: &Path, loaded: &Loaded) -> Result<Vec<PathBuf>> {
    register_font()?;
    let data = RunData::load(run_dir, loaded)?;
    let dir = run_dir.join("plots");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let d = data.dim() as u32;
    let mut files = Vec::new();
    files.extend(figure!(
        dir,
        "histograms",
        (420 * d.min(3), 320 * d.div_ceil(3)),
        draw_histograms,
        &data
    ));
    files.extend(figure!(
        dir,
        "scatter_matrix",
        (260 * d.clamp(2, 5), 260 * d.clamp(2, 5)),
        draw_scatter,
        &data
    ));
    if data.dim() >= 2 {
        let pairs = (d.min(4) * (d.min(4) - 1) / 2).max(1);
        files.extend(figure!(
            dir,
            "density",
            (420 * pairs.min(3), 400 * pairs.div_ceil(3)),
            draw_density,
            &data
        ));
    }
    files.extend(figure!(dir, "convergence", (800, 560), draw_convergence, &data));
    files.extend(figure!(dir, "timing", (800, 560), draw_timing, &data));
    Ok(files)
}
