//! A table of figures that can be exported as CSV, and a bar chart: what
//! every analytics view is made of.

use leptos::prelude::*;

/// A view's figures: column headings and rows of text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Report {
    pub fn new(headers: Vec<&'static str>) -> Self {
        Self {
            headers,
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The report as CSV, headings first (RFC 4180 quoting, by the csv crate).
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        // Writing to memory fails only on a malformed record, and every row
        // is text; a failure would drop a row, never corrupt the file.
        let _ = writer.write_record(&self.headers);
        for row in &self.rows {
            let _ = writer.write_record(row);
        }
        let bytes = writer.into_inner().unwrap_or_default();
        String::from_utf8(bytes).unwrap_or_default()
    }
}

/// Rows shown before the user asks for all of them (the CSV has all).
const SHOWN_ROWS: usize = 20;

/// `report` as a table, with its CSV export, under a heading.
#[component]
pub fn ReportTable(
    #[prop(into)] title: String,
    file: &'static str,
    report: Signal<Report>,
    #[prop(optional, into)] empty: String,
) -> impl IntoView {
    let empty = if empty.is_empty() {
        "Nothing yet.".to_owned()
    } else {
        empty
    };
    // Begins with the words on the button, so that saying them finds it.
    let export_name = format!("Export CSV: {title}");
    let export = move |_| {
        let csv = report.with_untracked(Report::to_csv);
        let _ = crate::pages::download(file, "text/csv", &csv);
    };
    let id = format!("report-{file}").replace('.', "-");
    let heading = id.clone();
    let all = RwSignal::new(false);
    view! {
        <section class="report" aria-labelledby=id>
            <div class="report-head">
                <h3 id=heading>{title}</h3>
                <button type="button" aria-label=export_name on:click=export>
                    "Export CSV"
                </button>
            </div>
            {move || {
                report
                    .with(|r| {
                        if r.rows.is_empty() {
                            return view! {
                                <p class="empty">{empty.clone()}</p>
                            }
                                .into_any();
                        }
                        view! {
                            <table>
                                <thead>
                                    <tr>
                                        {r.headers.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}
                                    </tr>
                                </thead>
                                <tbody>
                                    {r
                                        .rows
                                        .iter()
                                        .take(if all.get() { usize::MAX } else { SHOWN_ROWS })
                                        .map(|row| {
                                            view! {
                                                <tr>{row.iter().map(|c| view! { <td>{c.clone()}</td> }).collect_view()}</tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            <Show when=move || { !all.get() && report.with(|r| r.rows.len() > SHOWN_ROWS) }>
                                <button type="button" on:click=move |_| all.set(true)>
                                    {move || format!("Show all {} rows", report.with(|r| r.rows.len()))}
                                </button>
                            </Show>
                        }
                            .into_any()
                    })
            }}
        </section>
    }
}

/// One bar of a chart: a label and one value per series.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub values: Vec<u32>,
}

/// Round steps for a value axis up to `max`: 1, 2 or 5 times a power of
/// ten, about four of them.
pub fn ticks(max: u32) -> Vec<u32> {
    let max = max.max(1);
    let rough = f64::from(max) / 4.0;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= rough)
        .unwrap_or(power * 10.0)
        .max(1.0) as u32;
    (0..=max.div_ceil(step)).map(|k| k * step).collect()
}

// The chart's drawing space: a fixed shape whatever the data, scaled to the
// page's width by the browser (text included, so it stays in proportion).
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;

/// A grouped bar chart in SVG: a value axis with round ticks, a label under
/// each group, one colour per series with a legend, each bar's figure on
/// hover and focus, and the figures as a table for screen readers.
#[component]
pub fn BarChart(
    label: &'static str,
    series: Vec<&'static str>,
    bars: Signal<Vec<Bar>>,
) -> impl IntoView {
    let names = series.clone();
    let table_series = series.clone();
    view! {
        <figure class="chart">
            <figcaption>
                <span class="chart-title">{label}</span>
                <span class="legend">
                    {names
                        .iter()
                        .enumerate()
                        .map(|(s, n)| view! { <span class=format!("key series-{s}")>{*n}</span> })
                        .collect_view()}
                </span>
            </figcaption>
            {move || {
                let bars = bars.get();
                if bars.is_empty() {
                    return view! { <p class="empty">"Nothing to chart yet: products added to and removed from applications show here."</p> }.into_any();
                }
                let max = bars.iter().flat_map(|b| b.values.iter().copied()).max().unwrap_or(0);
                let ticks = ticks(max);
                let top = f64::from(*ticks.last().unwrap_or(&1)).max(1.0);
                let plot = HEIGHT - BOTTOM - TOP;
                let y = move |v: f64| TOP + plot - v / top * plot;
                let group = (WIDTH - LEFT) / bars.len() as f64;
                let bar = (group * 0.8 / series.len() as f64).min(36.0);
                let inset = (group - bar * series.len() as f64) / 2.0;
                view! {
                    <svg
                        role="img"
                        aria-label=label
                        viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                        preserveAspectRatio="xMidYMid meet"
                    >
                        <g class="axis" aria-hidden="true">
                            {ticks
                                .iter()
                                .map(|t| {
                                    let at = y(f64::from(*t));
                                    view! {
                                        <line class="grid" x1=LEFT x2=WIDTH y1=at y2=at />
                                        <text x=LEFT - 6.0 y=at + 4.0 text-anchor="end">{t.to_string()}</text>
                                    }
                                })
                                .collect_view()}
                            {bars
                                .iter()
                                .enumerate()
                                .map(|(i, b)| {
                                    view! {
                                        <text
                                            x=LEFT + (i as f64 + 0.5) * group
                                            y=HEIGHT - 6.0
                                            text-anchor="middle"
                                        >
                                            {b.label.clone()}
                                        </text>
                                    }
                                })
                                .collect_view()}
                        </g>
                        {bars
                            .iter()
                            .enumerate()
                            .flat_map(|(i, b)| {
                                let series = series.clone();
                                b.values.iter().enumerate().map(move |(s, v)| {
                                    let figure = format!("{} {}: {v}", b.label, series[s]);
                                    let name = figure.clone();
                                    let h = f64::from(*v) / top * plot;
                                    view! {
                                        <rect
                                            class=format!("bar series-{s}")
                                            tabindex="0"
                                            aria-label=name
                                            x=LEFT + i as f64 * group + inset + s as f64 * bar
                                            y=y(f64::from(*v))
                                            width=(bar - 2.0).max(1.0)
                                            height=h
                                        >
                                            <title>{figure}</title>
                                        </rect>
                                    }
                                })
                            })
                            .collect_view()}
                    </svg>
                    <table class="visually-hidden">
                        <caption>{label}</caption>
                        <thead>
                            <tr>
                                <th scope="col">""</th>
                                {table_series.iter().map(|n| view! { <th scope="col">{*n}</th> }).collect_view()}
                            </tr>
                        </thead>
                        <tbody>
                            {bars
                                .iter()
                                .map(|b| view! {
                                    <tr>
                                        <th scope="row">{b.label.clone()}</th>
                                        {b.values.iter().map(|v| view! { <td>{v.to_string()}</td> }).collect_view()}
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                }
                    .into_any()
            }}
        </figure>
    }
}
