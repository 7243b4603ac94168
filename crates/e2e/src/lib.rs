//! Support for the end-to-end journey: the server with the built app, a
//! chromedriver, and finding controls the way a person does, by role and
//! accessible name.

pub mod axe;
pub mod browser;
pub mod history;
pub mod keyboard;
pub mod server;

/// The workspace root, where `dist/` and `target/` are.
pub fn workspace() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A benchmark's log size: the number in the environment variable `var`,
/// or 100,000 when it is unset. Anything else stops the benchmark, so that a
/// typo such as `1e6` is not measured as the default size.
pub fn events_from_env(var: &str) -> usize {
    events_from(var, std::env::var(var)).unwrap_or_else(|why| panic!("{why}"))
}

fn events_from(var: &str, value: Result<String, std::env::VarError>) -> Result<usize, String> {
    match value {
        Err(std::env::VarError::NotPresent) => Ok(100_000),
        Ok(n) => n.replace('_', "").parse().map_err(|_| {
            format!("{var} must be a whole number of events, such as 1000000, not {n:?}")
        }),
        Err(e) => Err(format!("{var} cannot be read: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::events_from;
    use std::env::VarError;

    #[test]
    fn a_log_size_is_a_whole_number_or_the_default() {
        assert_eq!(events_from("N", Err(VarError::NotPresent)), Ok(100_000));
        assert_eq!(events_from("N", Ok("1000000".into())), Ok(1_000_000));
        assert_eq!(events_from("N", Ok("1_000_000".into())), Ok(1_000_000));
        for bad in ["1e6", "", "-5", "lots"] {
            let why = events_from("N", Ok(bad.into())).unwrap_err();
            assert!(why.contains("N must be a whole number"), "{bad}: {why}");
        }
    }
}
