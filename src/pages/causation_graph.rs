//! The causation graph of one event, drawn: the command that started it
//! (every event it decided) and, under each event, what the processes did
//! because of it, the way the seed's graph store links them.

use leptos::prelude::*;

/// One event of the graph, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphRow {
    pub position: usize,
    pub parent: Option<usize>,
    pub depth: usize,
    pub name: &'static str,
    /// "business" or "domain-model", for the box's colour.
    pub kind: &'static str,
    pub who: String,
}

const ROW: f64 = 30.0;
const BOX_H: f64 = 22.0;
const BOX_W: f64 = 480.0;
const INDENT: f64 = 24.0;
const PAD: f64 = 4.0;
/// Longer names are cut, so that they stay inside their box.
const WHO_CHARS: usize = 28;

fn short(who: &str) -> String {
    if who.chars().count() <= WHO_CHARS {
        return who.to_owned();
    }
    let mut cut: String = who.chars().take(WHO_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[component]
pub fn CausationGraph(
    rows: Vec<GraphRow>,
    /// The event the graph is drawn for, outlined.
    selected: usize,
    /// Whether events were left out.
    truncated: bool,
) -> impl IntoView {
    let depth = rows.iter().map(|r| r.depth).max().unwrap_or(0);
    let width = PAD * 2.0 + depth as f64 * INDENT + BOX_W;
    let height = PAD * 2.0 + rows.len() as f64 * ROW;
    let row_of = |position: usize| rows.iter().position(|r| r.position == position);
    let commanded = rows.iter().filter(|r| r.parent.is_none()).count();
    let label = format!(
        "Causation graph: {} events, {commanded} decided by the command and {} that followed from them{}",
        rows.len(),
        rows.len() - commanded,
        if truncated { ", and more not drawn" } else { "" },
    );
    let x = |depth: usize| PAD + depth as f64 * INDENT;
    let y = |row: usize| PAD + row as f64 * ROW;
    let edges = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let parent = row_of(r.parent?)?;
            let px = x(rows[parent].depth) + INDENT / 2.0;
            let (top, mid) = (y(parent) + BOX_H, y(i) + BOX_H / 2.0);
            Some(view! {
                <path class="edge" d=format!("M{px} {top} V{mid} H{}", x(r.depth)) />
            })
        })
        .collect_view();
    let nodes = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let (left, top) = (x(r.depth), y(i));
            let class = format!(
                "node {}{}",
                r.kind,
                if r.position == selected {
                    " selected"
                } else {
                    ""
                }
            );
            view! {
                <g class=class>
                    <title>{format!("Event {}: {} by {}", r.position + 1, r.name, r.who)}</title>
                    <rect x=left y=top width=BOX_W height=BOX_H rx="4" />
                    <text class="name" x=left + 6.0 y=top + 15.0>
                        {format!("#{} {}", r.position + 1, r.name)}
                    </text>
                    <text class="who" x=left + BOX_W - 6.0 y=top + 15.0 text-anchor="end">
                        {short(&r.who)}
                    </text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="causation">
            <svg
                role="img"
                aria-label=label
                viewBox=format!("0 0 {width} {height}")
                width=width
                height=height
            >
                {edges}
                {nodes}
            </svg>
            {truncated.then(|| view! { <figcaption>"Only the first events are drawn."</figcaption> })}
        </figure>
    }
}
