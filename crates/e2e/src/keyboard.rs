//! A person who uses no pointer: Tab and Shift+Tab move the focus, Enter
//! and Space act, arrows move a slider, and typing goes to the focused
//! field. A control that cannot take the focus, or does nothing from the
//! keyboard, fails the test that looks for it this way.

use crate::browser::{named, Browser};
use serde_json::json;

pub const TAB: &str = "\u{e004}";
pub const SHIFT_TAB: &str = "\u{e008}\u{e004}\u{e008}";
pub const ENTER: &str = "\u{e007}";
pub const SPACE: &str = " ";
pub const HOME: &str = "\u{e011}";
pub const END: &str = "\u{e010}";
pub const LEFT: &str = "\u{e012}";
pub const RIGHT: &str = "\u{e014}";

/// How many presses of Tab may go by before a control counts as out of
/// the keyboard's reach. The longest page has fewer focusable controls.
const MOST_TABS: usize = 250;

impl Browser {
    /// Keys sent to whatever has the focus.
    pub async fn press(&self, keys: &str) {
        let focused = self
            .client
            .active_element()
            .await
            .expect("something has the focus");
        focused
            .send_keys(keys)
            .await
            .unwrap_or_else(|e| panic!("pressing {keys:?}: {e}"));
    }

    /// Whether the focused element is a control named `name`.
    async fn focus_is_on(&self, name: &str) -> bool {
        let found = self
            .client
            .execute(
                "const [path] = arguments; \
                 const hits = document.evaluate(path, document, null, \
                   XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null); \
                 for (let i = 0; i < hits.snapshotLength; i++) { \
                   if (hits.snapshotItem(i) === document.activeElement) return true; \
                 } \
                 return false;",
                vec![json!(named(name))],
            )
            .await
            .expect("the page answers");
        found == json!(true)
    }

    /// Moves the focus with Tab, as a keyboard user does, to the control
    /// named `name` (waiting for the page to show it first), going round
    /// the page once at most.
    pub async fn tab_to(&self, name: &str) {
        self.control(name).await;
        for _ in 0..MOST_TABS {
            if self.focus_is_on(name).await {
                return;
            }
            self.press(TAB).await;
        }
        let _ = self.screenshot("keyboard-failure").await;
        panic!("Tab never reaches a control named {name:?}");
    }

    /// Tabs to `name` and presses Enter on it.
    pub async fn activate(&self, name: &str) {
        self.tab_to(name).await;
        self.press(ENTER).await;
    }

    /// Tabs to the field `name`, empties it and types `text`, by keys alone.
    pub async fn type_into(&self, name: &str, text: &str) {
        self.tab_to(name).await;
        // Select everything the field holds, then type over it.
        self.press("\u{e009}a\u{e009}").await;
        self.press("\u{e003}").await;
        self.press(text).await;
    }
}
