//! The accessibility audit: axe-core (from npm, installed by
//! `scripts/setup.sh`) run inside the page as it is shown.

use crate::browser::Browser;
use std::fmt;

/// One rule the page breaks, as axe-core reports it.
#[derive(Debug)]
pub struct Violation {
    pub rule: String,
    pub impact: String,
    pub help: String,
    /// CSS selectors of the first few elements that break it.
    pub nodes: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {} at {}",
            self.rule,
            self.impact,
            self.help,
            self.nodes.join(", ")
        )
    }
}

fn script() -> String {
    let tools = std::env::var("PORTAL_LEDGER_TOOLS").unwrap_or_else(|_| {
        format!(
            "{}/.cache/portal-ledger/tools",
            std::env::var("HOME").unwrap_or_default()
        )
    });
    let path = format!("{tools}/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}; scripts/setup.sh installs axe-core"))
}

/// The serious and critical violations of the page as it is now, against
/// the WCAG 2.1 A and AA rules and axe-core's best practices.
pub async fn serious_violations(b: &Browser) -> Vec<Violation> {
    let loaded = b
        .client
        .execute("return typeof window.axe === 'object'", vec![])
        .await
        .expect("the page answers");
    if loaded != serde_json::Value::Bool(true) {
        b.client
            .execute(&script(), vec![])
            .await
            .expect("axe-core loads in the page");
    }
    let found = b
        .client
        .execute_async(
            "const [done] = arguments; \
             axe.run(document, { \
               runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, \
               resultTypes: ['violations'] \
             }).then( \
               r => done(r.violations \
                 .filter(v => v.impact === 'serious' || v.impact === 'critical') \
                 .map(v => ({ rule: v.id, impact: v.impact, help: v.help, \
                   nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))), \
               e => done({ error: String(e) }));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    if let Some(error) = found.get("error") {
        panic!("axe-core failed: {error}");
    }
    found
        .as_array()
        .expect("a list of violations")
        .iter()
        .map(|v| Violation {
            rule: v["rule"].as_str().unwrap_or_default().to_owned(),
            impact: v["impact"].as_str().unwrap_or_default().to_owned(),
            help: v["help"].as_str().unwrap_or_default().to_owned(),
            nodes: v["nodes"]
                .as_array()
                .map(|n| {
                    n.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}
