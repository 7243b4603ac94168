//! What product owners read: upsell targets, adoption, removals by
//! product and by owner with their reasons, the survey funnel, credentials
//! about to expire and owner changes, each as of the slider's position and
//! each exportable as CSV.

use crate::dates;
use crate::ledger::use_ledger;
use crate::pages::names;
use crate::pages::report::{Bar, BarChart, Report, ReportTable};
use crate::pages::{grouped, QueryFilters};
use crate::sync::people::Colleague;
use crate::sync::use_sync;
use chrono::Datelike;
use chrono::NaiveDate;
use leptos::prelude::*;
use portal_domain::projections::adoption::DailyCount;
use portal_domain::projections::credentials::EXPIRING_SOON;
use portal_domain::projections::upsell::UPSELL_AFTER;
use portal_domain::{KeyFigures, Portal, ProductName};
use std::collections::BTreeMap;

fn upsell(portal: &Portal, at: chrono::DateTime<chrono::Utc>, people: &[Colleague]) -> Report {
    let mut report = Report::new(vec![
        "Application",
        "Owner",
        "Days on the free plan",
        "Products",
    ]);
    for target in portal.upsell_targets_at(at) {
        let record = target.app.record;
        report.row(vec![
            record.name.to_string(),
            names::person(record.owner.as_str(), people),
            target.free_for.num_days().to_string(),
            record.products.len().to_string(),
        ]);
    }
    report
}

fn adoption(portal: &Portal) -> Report {
    let mut report = Report::new(vec!["API product", "Applications using it"]);
    let mut products = portal.adoption().apps_per_product();
    products.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    for (product, apps) in products {
        report.row(vec![product.to_string(), apps.to_string()]);
    }
    report
}

/// Adds and removes of every product per month, the last twelve months
/// with any.
fn adoption_by_month(portal: &Portal) -> Vec<Bar> {
    by_month(
        portal
            .adoption()
            .daily()
            .into_iter()
            .map(|(day, _, c)| (day, c)),
    )
}

/// Daily adds and removes summed per month, the last twelve months with any.
pub(super) fn by_month(days: impl Iterator<Item = (NaiveDate, DailyCount)>) -> Vec<Bar> {
    let mut months: BTreeMap<(i32, u32), (u32, u32)> = BTreeMap::new();
    for (day, count) in days {
        let month = months.entry((day.year(), day.month())).or_default();
        month.0 += count.added;
        month.1 += count.removed;
    }
    let skip = months.len().saturating_sub(12);
    months
        .into_iter()
        .skip(skip)
        .map(|((y, m), (added, removed))| Bar {
            label: format!("{y}-{m:02}"),
            values: vec![added, removed],
        })
        .collect()
}

fn removal_reasons(portal: &Portal) -> Report {
    let mut report = Report::new(vec!["Reason", "Removals"]);
    for (reason, n) in portal.adoption().removal_reasons() {
        report.row(vec![said(reason.as_ref()), n.to_string()]);
    }
    report
}

fn said(reason: Option<&portal_domain::Text>) -> String {
    reason.map_or_else(|| "(no reason given)".to_owned(), |r| r.to_string())
}

/// Each product's removals, most removed first, with the reasons given
/// (most given first), and the same counts as bars.
fn removals_by_product(portal: &Portal) -> (Report, Vec<Bar>) {
    let adoption = portal.adoption();
    let mut products: Vec<_> = adoption
        .products()
        .into_iter()
        .filter(|p| p.removed > 0)
        .collect();
    products.sort_by(|a, b| {
        b.removed
            .cmp(&a.removed)
            .then_with(|| a.product.cmp(b.product))
    });
    let mut report = Report::new(vec!["API product", "Removals", "Reasons given"]);
    for p in &products {
        let reasons = adoption
            .removals_of(p.product)
            .into_iter()
            .map(|(reason, n)| {
                let why = reason.map_or_else(
                    || "no reason given".to_owned(),
                    |r| format!("\u{201c}{r}\u{201d}"),
                );
                format!("{why} ({n})")
            })
            .collect::<Vec<_>>()
            .join("; ");
        report.row(vec![p.product.to_string(), p.removed.to_string(), reasons]);
    }
    let bars = products
        .into_iter()
        .take(12)
        .map(|p| Bar {
            label: p.product.to_string(),
            values: vec![p.removed],
        })
        .collect();
    (report, bars)
}

/// What each owner removed and why, against the owner the application had
/// at the removal.
fn removals_by_owner(portal: &Portal, people: &[Colleague]) -> Report {
    let mut report = Report::new(vec!["Owner", "API product", "Reason", "Removals"]);
    for row in portal.adoption().removals_by_owner() {
        report.row(vec![
            names::person(row.owner.as_str(), people),
            row.product.to_string(),
            said(row.reason),
            row.count.to_string(),
        ]);
    }
    report
}

fn funnel(portal: &Portal) -> (Report, Vec<Bar>) {
    let funnel = portal.funnel();
    let mut report = Report::new(vec!["Stage", "Surveys"]);
    let stages = [
        ("Added", funnel.added),
        ("Sent", funnel.sent),
        ("Answered", funnel.answered),
    ];
    for (stage, n) in stages {
        report.row(vec![stage.to_owned(), n.to_string()]);
    }
    if let Some(rate) = funnel.answer_rate() {
        report.row(vec![
            "Answer rate".to_owned(),
            format!("{:.0}%", rate * 100.0),
        ]);
    }
    let bars = stages
        .iter()
        .map(|(stage, n)| Bar {
            label: (*stage).to_owned(),
            values: vec![*n],
        })
        .collect();
    (report, bars)
}

/// The answers' ratings, per product the surveys were about.
fn ratings(portal: &Portal) -> Report {
    let mut report = Report::new(vec!["Product", "Answers", "Average rating"]);
    for (product, answers) in portal.funnel().answers_by_product() {
        report.row(vec![
            product.to_string(),
            answers.answers.to_string(),
            answers
                .average_rating()
                .map_or_else(String::new, |r| format!("{r:.1} of 5")),
        ]);
    }
    report
}

/// What the answers said, newest first; only those about `product` if given.
pub(super) fn comments(portal: &Portal, product: Option<&ProductName>) -> Report {
    let mut answered: Vec<_> = portal
        .surveys()
        .filter_map(|s| match &s.status {
            portal_domain::SurveyStatus::Answered {
                at,
                rating,
                comment: Some(comment),
            } if product.is_none_or(|p| s.topic.products().contains(p)) => {
                Some((*at, s.clone(), rating.get(), comment.to_string()))
            }
            _ => None,
        })
        .collect();
    answered.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.id.0.cmp(&b.1.id.0)));
    let mut report = Report::new(vec![
        "Answered",
        "Application",
        "About",
        "Rating",
        "Comment",
    ]);
    for (at, survey, rating, comment) in answered {
        let app = portal
            .app(survey.app_id)
            .map_or_else(|| survey.app_id.to_string(), |a| a.record.name.to_string());
        let about = match survey.topic {
            portal_domain::SurveyTopic::ProductRemoved { product, .. } => {
                format!("{product} removed")
            }
            portal_domain::SurveyTopic::PaidPlanFeedback { .. } => "the paid plan".to_owned(),
        };
        report.row(vec![
            dates::minute(at),
            app,
            about,
            format!("{rating} of 5"),
            comment,
        ]);
    }
    report
}

fn expiring(portal: &Portal, at: chrono::DateTime<chrono::Utc>, people: &[Colleague]) -> Report {
    let mut report = Report::new(vec!["Application", "Owner", "Key", "Expires"]);
    for c in portal.expiring_within(at, EXPIRING_SOON) {
        report.row(vec![
            c.app.record.name.to_string(),
            names::person(c.app.record.owner.as_str(), people),
            format!("{}…", c.record.key.prefix()),
            dates::minute(c.record.expires_at),
        ]);
    }
    report
}

fn owner_changes(portal: &Portal, people: &[Colleague]) -> Report {
    let mut report = Report::new(vec!["When", "Application", "From", "To", "By"]);
    for change in portal.owner_changes().rev() {
        let app = portal
            .app(change.app_id)
            .map_or_else(|| change.app_id.to_string(), |a| a.record.name.to_string());
        report.row(vec![
            dates::minute(change.at),
            app,
            names::person(change.from.as_str(), people),
            names::person(change.to.as_str(), people),
            names::actor(change.actor, people),
        ]);
    }
    report
}

/// The key figures, each with what people call it.
fn figure_rows(f: &KeyFigures) -> [(&'static str, u64); 10] {
    [
        ("Live applications", f.live_apps as u64),
        ("On the free plan", f.free_apps as u64),
        ("On the paid plan", f.paid_apps as u64),
        ("Upsell targets", f.upsell_targets as u64),
        ("API products in use", f.products_in_use as u64),
        ("Products removed, ever", u64::from(f.removals)),
        ("Surveys sent, ever", u64::from(f.surveys_sent)),
        ("Surveys answered, ever", u64::from(f.surveys_answered)),
        ("Offers made, ever", f.offers_made as u64),
        ("Offers taken up, ever", f.offers_taken_up as u64),
    ]
}

fn change(then: u64, now: u64) -> String {
    match now.cmp(&then) {
        std::cmp::Ordering::Equal => "no change".to_owned(),
        std::cmp::Ordering::Greater => format!("+{}", grouped(now - then)),
        std::cmp::Ordering::Less => format!("\u{2212}{}", grouped(then - now)),
    }
}

/// Per API product: how many applications use it, how many times it was
/// removed, and how many survey answers spoke of it, ever: what two dates
/// are compared on.
#[derive(Clone, Default, PartialEq)]
struct PerProduct {
    apps: BTreeMap<String, u32>,
    removals: BTreeMap<String, u32>,
    answers: BTreeMap<String, u32>,
}

fn per_product(portal: &Portal) -> PerProduct {
    let adoption = portal.adoption();
    PerProduct {
        apps: adoption
            .apps_per_product()
            .into_iter()
            .map(|(p, n)| (p.to_string(), n))
            .collect(),
        removals: adoption
            .products()
            .into_iter()
            .filter(|p| p.removed > 0)
            .map(|p| (p.product.to_string(), p.removed))
            .collect(),
        answers: portal
            .funnel()
            .answers_by_product()
            .into_iter()
            .map(|(p, a)| (p.to_string(), a.answers))
            .collect(),
    }
}

/// The portal on the day a product owner compares with: the figures and
/// the per-product counts at the end of that day.
#[derive(Clone, PartialEq)]
struct Then {
    day: NaiveDate,
    position: usize,
    figures: KeyFigures,
    products: PerProduct,
}

/// One count per product then and now, most changed first.
fn compared(
    headers: [&'static str; 3],
    then: &BTreeMap<String, u32>,
    now: &BTreeMap<String, u32>,
) -> Report {
    let [what, then_header, now_header] = headers;
    let mut report = Report::new(vec![what, then_header, now_header, "Change"]);
    let mut products: Vec<(&String, u32, u32)> = then
        .keys()
        .chain(now.keys())
        .map(|p| {
            let at = |m: &BTreeMap<String, u32>| m.get(p).copied().unwrap_or(0);
            (p, at(then), at(now))
        })
        .collect();
    products.sort_by(|a, b| {
        let moved = |x: &(&String, u32, u32)| x.2.abs_diff(x.1);
        moved(b).cmp(&moved(a)).then_with(|| a.0.cmp(b.0))
    });
    products.dedup_by(|a, b| a.0 == b.0);
    for (product, was, is) in products {
        report.row(vec![
            product.clone(),
            was.to_string(),
            is.to_string(),
            change(u64::from(was), u64::from(is)),
        ]);
    }
    report
}

#[derive(Clone, Default, PartialEq)]
struct Views {
    figures: KeyFigures,
    products: PerProduct,
    upsell: Report,
    adoption: Report,
    by_month: Vec<Bar>,
    reasons: Report,
    by_product: Report,
    by_product_bars: Vec<Bar>,
    by_owner: Report,
    funnel: Report,
    funnel_bars: Vec<Bar>,
    ratings: Report,
    comments: Report,
    expiring: Report,
    owners: Report,
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let ledger = use_ledger();
    let sync = use_sync();
    sync.refresh_people();
    let people = sync.people;
    let views = Memo::new(move |_| {
        let people = people.read();
        ledger
            .with_state(|portal, at| {
                let (funnel, funnel_bars) = funnel(portal);
                let (by_product, by_product_bars) = removals_by_product(portal);
                Views {
                    figures: portal.key_figures(at),
                    products: per_product(portal),
                    upsell: upsell(portal, at, &people),
                    adoption: adoption(portal),
                    by_month: adoption_by_month(portal),
                    reasons: removal_reasons(portal),
                    by_product,
                    by_product_bars,
                    by_owner: removals_by_owner(portal, &people),
                    funnel,
                    funnel_bars,
                    ratings: ratings(portal),
                    comments: comments(portal, None),
                    expiring: expiring(portal, at, &people),
                    owners: owner_changes(portal, &people),
                }
            })
            .unwrap_or_default()
    });
    let pick = move |f: fn(&Views) -> Report| Signal::derive(move || views.with(f));
    let filters = QueryFilters::new("/analytics", &["compare"]);
    // Folded once per day picked (and per new event), not per slider step.
    let then = Memo::new(move |_| {
        let day = filters.get("compare")?.parse::<NaiveDate>().ok()?;
        let end = day.and_hms_opt(23, 59, 59)?.and_utc();
        ledger.head.track();
        let device = ledger.device()?;
        let machine = device.machine();
        let position = machine.position_at(end);
        let state = machine.state_at(position);
        Some(Then {
            day,
            position,
            figures: state.key_figures(end),
            products: per_product(&state),
        })
    });
    let now_label = move || {
        if ledger.is_live() {
            "Now".to_owned()
        } else {
            format!("After event {}", grouped(ledger.position()))
        }
    };
    // One count per product, then and now.
    let compare = move |headers: [&'static str; 3],
                        count: fn(&PerProduct) -> &BTreeMap<String, u32>| {
        Signal::derive(move || {
            then.with(|then| {
                then.as_ref()
                    .map(|t| {
                        views.with(|v| compared(headers, count(&t.products), count(&v.products)))
                    })
                    .unwrap_or_default()
            })
        })
    };
    let adoption_then = compare(
        ["API product", "Applications then", "Applications now"],
        |p| &p.apps,
    );
    let removals_then = compare(
        ["API product", "Removals by then", "Removals by now"],
        |p| &p.removals,
    );
    let answers_then = compare(
        [
            "API product",
            "Survey answers by then",
            "Survey answers by now",
        ],
        |p| &p.answers,
    );
    view! {
        <section class="analytics" aria-labelledby="analytics-heading">
            <h2 id="analytics-heading">"Analytics"</h2>
            <section class="figures" aria-labelledby="figures-heading">
                <h3 id="figures-heading">"Key figures"</h3>
                <label>
                    "Compare with the portal on "
                    <input
                        type="date"
                        aria-label="Compare with the portal on"
                        prop:value=move || filters.get("compare").unwrap_or_default()
                        on:change=move |ev| filters.set("compare", event_target_value(&ev))
                    />
                </label>
                <table aria-label="Key figures">
                    <thead>
                        <tr>
                            <th scope="col">"Figure"</th>
                            {move || {
                                then.get()
                                    .map(|t| {
                                        view! {
                                            <th scope="col">
                                                {format!("On {} (after event {})", t.day, grouped(t.position as u64))}
                                            </th>
                                        }
                                    })
                            }}
                            <th scope="col">{now_label}</th>
                            {move || then.with(|t| t.is_some()).then(|| view! { <th scope="col">"Change"</th> })}
                        </tr>
                    </thead>
                    <tbody>
                        {move || {
                            let now = views.with(|v| figure_rows(&v.figures));
                            let was = then.with(|t| t.as_ref().map(|t| figure_rows(&t.figures)));
                            now.into_iter()
                                .enumerate()
                                .map(|(i, (name, is))| {
                                    let was = was.map(|w| w[i].1);
                                    view! {
                                        <tr>
                                            <th scope="row">{name}</th>
                                            {was.map(|w| view! { <td>{grouped(w)}</td> })}
                                            <td>{grouped(is)}</td>
                                            {was.map(|w| view! { <td>{change(w, is)}</td> })}
                                        </tr>
                                    }
                                })
                                .collect_view()
                        }}
                    </tbody>
                </table>
                {move || {
                    then.with(|t| t.is_some())
                        .then(|| {
                            view! {
                                <ReportTable
                                    title="API product adoption, then and now"
                                    file="adoption-compared.csv"
                                    report=adoption_then
                                />
                                <ReportTable
                                    title="Removals by API product, then and now"
                                    file="removals-compared.csv"
                                    report=removals_then
                                    empty="No product had been removed by either date."
                                />
                                <ReportTable
                                    title="Survey answers by API product, then and now"
                                    file="answers-compared.csv"
                                    report=answers_then
                                    empty="No survey had been answered by either date."
                                />
                            }
                        })
                }}
            </section>
            <ReportTable
                title=format!("Upsell targets (free plan for more than {} days)", UPSELL_AFTER.num_days())
                file="upsell-targets.csv"
                report=pick(|v| v.upsell.clone())
                empty=format!(
                    "No application has been on the free plan for more than {} days.",
                    UPSELL_AFTER.num_days(),
                )
            />
            <BarChart
                label="API product adds and removes per month"
                series=vec!["added", "removed"]
                bars=Signal::derive(move || views.with(|v| v.by_month.clone()))
            />
            <ReportTable title="API product adoption" file="adoption.csv" report=pick(|v| v.adoption.clone()) />
            <ReportTable title="Removal reasons" file="removal-reasons.csv" report=pick(|v| v.reasons.clone()) />
            <BarChart
                label="Removals per API product"
                series=vec!["removals"]
                bars=Signal::derive(move || views.with(|v| v.by_product_bars.clone()))
            />
            <ReportTable
                title="Removals by API product"
                file="removals-by-product.csv"
                report=pick(|v| v.by_product.clone())
                empty="No product has been removed from an application."
            />
            <ReportTable
                title="Removals by owner"
                file="removals-by-owner.csv"
                report=pick(|v| v.by_owner.clone())
                empty="No product has been removed from an application."
            />
            <BarChart
                label="Survey funnel"
                series=vec!["surveys"]
                bars=Signal::derive(move || views.with(|v| v.funnel_bars.clone()))
            />
            <ReportTable title="Survey funnel" file="survey-funnel.csv" report=pick(|v| v.funnel.clone()) />
            <ReportTable
                title="Survey ratings by product"
                file="survey-ratings.csv"
                report=pick(|v| v.ratings.clone())
                empty="No survey is answered yet."
            />
            <ReportTable
                title="Survey comments"
                file="survey-comments.csv"
                report=pick(|v| v.comments.clone())
                empty="No answer has a comment yet."
            />
            <ReportTable
                title=format!("Credentials expiring within {} days", EXPIRING_SOON.num_days())
                file="expiring-credentials.csv"
                report=pick(|v| v.expiring.clone())
            />
            <ReportTable title="Owner changes" file="owner-changes.csv" report=pick(|v| v.owners.clone()) />
        </section>
    }
}
