//! Names where the log has addresses: a person's name for the email an
//! event's actor or an application's owner is, and a process's title.

use crate::sync::people::Colleague;
use portal_domain::{process, Actor};

/// Who issued a command, as people call them.
pub fn actor(actor: &Actor, people: &[Colleague]) -> String {
    match process::title(actor) {
        Some(title) => format!("{title} (process)"),
        None => person(actor.as_str(), people),
    }
}

/// A person's name, from the workspace's list; the address itself when the
/// list does not have it (signed out, the demo, someone who left).
pub fn person(email: &str, people: &[Colleague]) -> String {
    people
        .iter()
        .find(|c| c.email.eq_ignore_ascii_case(email))
        .map(|c| c.name.trim())
        .filter(|name| !name.is_empty())
        .map_or_else(|| email.to_owned(), str::to_owned)
}

/// "Name (address)" where the workspace's list names the person, else the
/// address.
pub fn person_and_address(email: &str, people: &[Colleague]) -> String {
    match person(email, people) {
        name if name == email => name,
        name => format!("{name} ({email})"),
    }
}

/// The address of the person a typed name or address means.
pub fn email_of(typed: &str, people: &[Colleague]) -> String {
    let typed = typed.trim();
    people
        .iter()
        .find(|c| c.name.trim().eq_ignore_ascii_case(typed))
        .map_or_else(|| typed.to_owned(), |c| c.email.clone())
}

/// The actor a typed name, address or process title means.
pub fn actor_of(typed: &str, people: &[Colleague]) -> String {
    let typed = typed.trim();
    let title = typed.strip_suffix("(process)").unwrap_or(typed).trim();
    [process::SURVEYS_PROCESS, process::EXPIRY_PROCESS]
        .into_iter()
        .find(|p| {
            Actor::parse(p)
                .ok()
                .and_then(|a| process::title(&a))
                .is_some_and(|t| t.eq_ignore_ascii_case(title))
        })
        .map_or_else(|| email_of(typed, people), str::to_owned)
}

/// Every process, as [`actor`] names it, for suggestions.
pub fn processes() -> impl Iterator<Item = String> {
    [process::SURVEYS_PROCESS, process::EXPIRY_PROCESS]
        .into_iter()
        .filter_map(|p| Actor::parse(p).ok())
        .map(|a| actor(&a, &[]))
}
