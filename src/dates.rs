//! Times as the pages show them, always in UTC. Written field by field:
//! chrono's `format` interprets a pattern at run time, and its interpreter
//! is code every start would download (ADR 20).

use chrono::{DateTime, Timelike, Utc};

/// `2026-03-01`
pub fn day(at: DateTime<Utc>) -> String {
    at.date_naive().to_string()
}

/// `2026-03-01 09:05`
pub fn minute(at: DateTime<Utc>) -> String {
    format!("{} {:02}:{:02}", at.date_naive(), at.hour(), at.minute())
}

/// `2026-03-01 09:05:07`
pub fn second(at: DateTime<Utc>) -> String {
    format!("{} {}", at.date_naive(), clock(at))
}

/// `09:05:07`
pub fn clock(at: DateTime<Utc>) -> String {
    format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
}
