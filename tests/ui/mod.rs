//! Driving the mounted app the way a person does: find controls by role and
//! accessible name, type, click, and wait for the page to answer.

use leptos::mount::mount_to;
use portal_ledger::app::App;
use portal_ledger::ledger::DATABASE;
use portal_store::idb::IdbStore;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlElement, HtmlInputElement};

pub fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

pub async fn sleep(millis: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, millis)
            .unwrap();
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The app mounted in its own element; dropping it unmounts the app and
/// removes the element, so the next test starts from a blank page.
pub struct Mounted {
    handle: Option<Box<dyn std::any::Any>>,
    owner: leptos::prelude::Owner,
    root: HtmlElement,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.handle.take();
        // Runs every cleanup of the app (the router's window listeners, its
        // timers), which dropping the handle alone leaves in place.
        self.owner.cleanup();
        self.root.remove();
    }
}

/// Mounts the app in a new element of the page.
pub fn mount() -> Mounted {
    let root: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&root).unwrap();
    let owner = leptos::prelude::Owner::new();
    let handle = owner.with(|| mount_to(root.clone(), App));
    Mounted {
        handle: Some(Box::new(handle)),
        owner,
        root,
    }
}

/// A fresh app: no stored log, at the root URL, mounted.
/// An admin signed in on this device, as the app keeps one after signing
/// in (there is no server here to sign in with: the tests that sign in
/// through the page are end to end, `crates/e2e`).
pub const ADMIN: (&str, &str) = ("ada@example.com", "Ada");

pub fn signed_in_as(email: &str, name: &str, role: portal_domain::Role) {
    for (key, value) in [
        ("sync.token", "pls_a-session-token-no-server-knows"),
        ("sync.person.email", email),
        ("sync.person.name", name),
        ("sync.person.role", role.as_str()),
    ] {
        portal_store::prefs::set(key, value).unwrap();
    }
}

pub fn signed_out() {
    for key in [
        "sync.token",
        "sync.person.email",
        "sync.person.name",
        "sync.person.role",
    ] {
        portal_store::prefs::set(key, "").unwrap();
    }
}

/// A fresh app with the admin signed in: no stored log, at the root URL,
/// mounted.
pub async fn fresh_app() -> Mounted {
    portal_store::prefs::tab::forget("workspace");
    IdbStore::delete(DATABASE).await.unwrap();
    signed_in_as(ADMIN.0, ADMIN.1, portal_domain::Role::Admin);
    app_at_root().await
}

/// A fresh app in this tab's demo workspace (ADR 29), empty: its log never
/// syncs, and its processes run in the browser.
pub async fn fresh_demo_app() -> Mounted {
    IdbStore::delete(portal_ledger::workspace::DEMO_DATABASE)
        .await
        .unwrap();
    portal_store::prefs::tab::set("workspace", "demo").unwrap();
    app_at_root().await
}

/// The app again over the log the last one kept, at the root URL.
pub async fn reopened_app() -> Mounted {
    app_at_root().await
}

/// The app opening a log kept in the first store layout, one line each.
pub async fn app_over_schema_1(lines: &[String]) -> Mounted {
    portal_store::prefs::tab::forget("workspace");
    IdbStore::delete(DATABASE).await.unwrap();
    signed_in_as(ADMIN.0, ADMIN.1, portal_domain::Role::Admin);
    // The connection is the old tab's; the app's upgrade closes it.
    let _old_tab = IdbStore::create_schema_1(DATABASE, lines).await.unwrap();
    app_at_root().await
}

/// Mounts the app at the root URL once its log is open.
async fn app_at_root() -> Mounted {
    web_sys::window()
        .unwrap()
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"))
        .unwrap();
    let mounted = mount();
    eventually("the log to open", || {
        document().query_selector(".log-ready").unwrap()
    })
    .await;
    mounted
}

/// Waits up to 5 s for `find` to find something.
pub async fn eventually<T>(what: &str, mut find: impl FnMut() -> Option<T>) -> T {
    for _ in 0..250 {
        if let Some(found) = find() {
            return found;
        }
        sleep(20).await;
    }
    panic!("gave up waiting for {what}");
}

/// The accessible name as the tests rely on it: `aria-label`, else the text.
fn name_of(element: &Element) -> String {
    element
        .get_attribute("aria-label")
        .unwrap_or_else(|| element.text_content().unwrap_or_default())
        .trim()
        .to_owned()
}

/// Every element matching `selector` whose accessible name is `name`.
pub fn named(selector: &str, name: &str) -> Vec<Element> {
    let list = document().query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<Element>().ok())
        .filter(|e| name_of(e) == name)
        .collect()
}

/// The one control named `name` (a button, link, input or select).
pub async fn control(name: &str) -> HtmlElement {
    eventually(&format!("a control named {name:?}"), || {
        named("button, a, input, select, textarea, progress", name)
            .into_iter()
            .next()
    })
    .await
    .unchecked_into()
}

/// Whether a control named `name` is on the page now.
pub fn has_control(name: &str) -> bool {
    !named("button, a, input, select, textarea", name).is_empty()
}

/// Clicks the control named `name` once it is enabled.
pub async fn click(name: &str) {
    let element = eventually(&format!("{name:?} to be enabled"), || {
        named("button, a, input, select, textarea", name)
            .into_iter()
            .find(|e| !e.has_attribute("disabled"))
    })
    .await
    .unchecked_into::<HtmlElement>();
    element.click();
    sleep(0).await;
}

/// Types `value` into the field named `name`, as a person would (an input
/// event, then a change event when leaving it).
pub async fn fill(name: &str, value: &str) {
    let input: HtmlInputElement = control(name).await.unchecked_into();
    input.set_value(value);
    for kind in ["input", "change"] {
        let event = web_sys::Event::new_with_event_init_dict(kind, &{
            let init = web_sys::EventInit::new();
            init.set_bubbles(true);
            init
        })
        .unwrap();
        input.dispatch_event(&event).unwrap();
    }
    sleep(0).await;
}

/// Picks `value` in the select named `name`.
pub async fn choose(name: &str, value: &str) {
    let select: web_sys::HtmlSelectElement = control(name).await.unchecked_into();
    select.set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    select
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
    sleep(0).await;
}

/// The text of the whole page.
pub fn page_text() -> String {
    document()
        .body()
        .unwrap()
        .text_content()
        .unwrap_or_default()
}

/// Waits until the page says `text`.
pub async fn until_text(text: &str) {
    eventually(&format!("the page to say {text:?}"), || {
        page_text().contains(text).then_some(())
    })
    .await
}

/// The text of the first element matching `selector`, once there is one.
pub async fn text_of(selector: &str) -> String {
    eventually(selector, || {
        document()
            .query_selector(selector)
            .unwrap()
            .map(|e| e.text_content().unwrap_or_default())
    })
    .await
}

/// The text of every element matching `selector`, in page order.
pub fn texts(selector: &str) -> Vec<String> {
    let found = document().query_selector_all(selector).unwrap();
    (0..found.length())
        .filter_map(|i| found.item(i)?.text_content())
        .collect()
}

/// Rows of the applications table, as their names.
pub fn listed_apps() -> Vec<String> {
    texts("table.apps tbody tr td:first-child a")
}

/// Creates an application through the form and waits until it is listed.
pub async fn create_app(name: &str, owner: &str) {
    if document()
        .query_selector("details.create[open]")
        .unwrap()
        .is_none()
    {
        let summary: HtmlElement = document()
            .query_selector("details.create summary")
            .unwrap()
            .unwrap()
            .unchecked_into();
        summary.click();
    }
    fill("Application name", name).await;
    fill("Owner", owner).await;
    click("Create application").await;
    eventually(&format!("{name} to be listed"), || {
        listed_apps().iter().any(|a| a == name).then_some(())
    })
    .await;
}

/// What the page writes with `console.warn` while this lives. Leptos
/// reports misuse of its signals there (a read outside any reactive
/// context), in debug builds such as the tests'.
pub struct Warnings {
    original: wasm_bindgen::JsValue,
    seen: js_sys::Array,
}

impl Warnings {
    pub fn capture() -> Self {
        let console = js_sys::Reflect::get(&js_sys::global(), &"console".into()).unwrap();
        let original = js_sys::Reflect::get(&console, &"warn".into()).unwrap();
        let seen = js_sys::Array::new();
        let recorder = js_sys::Function::new_with_args(
            "seen",
            "return (...args) => { seen.push(args.map(String).join(' ')); };",
        )
        .call1(&wasm_bindgen::JsValue::NULL, &seen)
        .unwrap();
        js_sys::Reflect::set(&console, &"warn".into(), &recorder).unwrap();
        Self { original, seen }
    }

    pub fn seen(&self) -> Vec<String> {
        self.seen.iter().filter_map(|v| v.as_string()).collect()
    }
}

impl Drop for Warnings {
    fn drop(&mut self) {
        let console = js_sys::Reflect::get(&js_sys::global(), &"console".into()).unwrap();
        js_sys::Reflect::set(&console, &"warn".into(), &self.original).unwrap();
    }
}
