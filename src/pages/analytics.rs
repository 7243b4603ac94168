//! What product owners read: upsell targets, adoption, removal reasons, the
//! survey funnel, credentials about to expire and owner changes, each as
//! of the slider's position and each exportable as CSV.

use crate::dates;
use crate::ledger::use_ledger;
use crate::pages::report::{Bar, BarChart, Report, ReportTable};
use chrono::Datelike;
use leptos::prelude::*;
use portal_domain::projections::credentials::EXPIRING_SOON;
use portal_domain::projections::upsell::UPSELL_AFTER;
use portal_domain::Portal;
use std::collections::BTreeMap;

fn upsell(portal: &Portal, at: chrono::DateTime<chrono::Utc>) -> Report {
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
            record.owner.to_string(),
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
    let mut months: BTreeMap<(i32, u32), (u32, u32)> = BTreeMap::new();
    for (day, _, count) in portal.adoption().daily() {
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
        report.row(vec![
            reason.map_or_else(|| "(no reason given)".to_owned(), |r| r.to_string()),
            n.to_string(),
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

/// What the answers said, newest first.
fn comments(portal: &Portal) -> Report {
    let mut answered: Vec<_> = portal
        .surveys()
        .filter_map(|s| match &s.status {
            portal_domain::SurveyStatus::Answered {
                at,
                rating,
                comment: Some(comment),
            } => Some((*at, s.clone(), rating.get(), comment.to_string())),
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

fn expiring(portal: &Portal, at: chrono::DateTime<chrono::Utc>) -> Report {
    let mut report = Report::new(vec!["Application", "Owner", "Key", "Expires"]);
    for c in portal.expiring_within(at, EXPIRING_SOON) {
        report.row(vec![
            c.app.record.name.to_string(),
            c.app.record.owner.to_string(),
            format!("{}…", c.record.key.prefix()),
            dates::minute(c.record.expires_at),
        ]);
    }
    report
}

fn owner_changes(portal: &Portal) -> Report {
    let mut report = Report::new(vec!["When", "Application", "From", "To", "By"]);
    for change in portal.owner_changes().rev() {
        let app = portal
            .app(change.app_id)
            .map_or_else(|| change.app_id.to_string(), |a| a.record.name.to_string());
        report.row(vec![
            dates::minute(change.at),
            app,
            change.from.to_string(),
            change.to.to_string(),
            change.actor.to_string(),
        ]);
    }
    report
}

#[derive(Clone, Default, PartialEq)]
struct Views {
    upsell: Report,
    adoption: Report,
    by_month: Vec<Bar>,
    reasons: Report,
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
    let views = Memo::new(move |_| {
        ledger
            .with_state(|portal, at| {
                let (funnel, funnel_bars) = funnel(portal);
                Views {
                    upsell: upsell(portal, at),
                    adoption: adoption(portal),
                    by_month: adoption_by_month(portal),
                    reasons: removal_reasons(portal),
                    funnel,
                    funnel_bars,
                    ratings: ratings(portal),
                    comments: comments(portal),
                    expiring: expiring(portal, at),
                    owners: owner_changes(portal),
                }
            })
            .unwrap_or_default()
    });
    let pick = move |f: fn(&Views) -> Report| Signal::derive(move || views.with(f));
    view! {
        <section class="analytics" aria-labelledby="analytics-heading">
            <h2 id="analytics-heading">"Analytics"</h2>
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
