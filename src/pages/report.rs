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
    let export_name = format!("Export {title} as CSV");
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

/// A grouped bar chart in SVG, with a text alternative listing every value.
#[component]
pub fn BarChart(
    label: &'static str,
    series: Vec<&'static str>,
    bars: Signal<Vec<Bar>>,
) -> impl IntoView {
    const HEIGHT: f64 = 160.0;
    const BAR: f64 = 14.0;
    let names = series.clone();
    view! {
        <figure class="chart">
            {move || {
                let bars = bars.get();
                let max = bars.iter().flat_map(|b| b.values.iter().copied()).max().unwrap_or(0).max(1);
                let group = BAR * series.len() as f64 + 6.0;
                let width = (group * bars.len() as f64).max(group);
                let description = bars
                    .iter()
                    .map(|b| {
                        let values: Vec<String> = series
                            .iter()
                            .zip(&b.values)
                            .map(|(s, v)| format!("{s} {v}"))
                            .collect();
                        format!("{}: {}", b.label, values.join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                view! {
                    <svg
                        role="img"
                        aria-label=format!("{label}. {description}")
                        viewBox=format!("0 0 {width} {}", HEIGHT + 18.0)
                        preserveAspectRatio="none"
                    >
                        {bars
                            .iter()
                            .enumerate()
                            .flat_map(|(i, b)| {
                                b.values.iter().enumerate().map(move |(s, v)| {
                                    let h = f64::from(*v) / f64::from(max) * HEIGHT;
                                    view! {
                                        <rect
                                            class=format!("series-{s}")
                                            x=(i as f64 * group + s as f64 * BAR).to_string()
                                            y=(HEIGHT - h).to_string()
                                            width=(BAR - 2.0).to_string()
                                            height=h.to_string()
                                        >
                                            <title>{format!("{}: {v}", b.label)}</title>
                                        </rect>
                                    }
                                })
                            })
                            .collect_view()}
                    </svg>
                }
            }}
            <figcaption>
                {label} " — "
                {names
                    .iter()
                    .enumerate()
                    .map(|(s, n)| view! { <span class=format!("key series-{s}")>{*n}</span> })
                    .collect_view()}
            </figcaption>
        </figure>
    }
}
