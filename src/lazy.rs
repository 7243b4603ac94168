//! Pages, and code the applications list does not need to be usable, loaded
//! on demand. In the shipped build (the `split` feature, in release), each
//! page below is moved by `wasm-split` into a module of its own, which the
//! browser fetches the first time the page opens and the service worker
//! keeps for offline use (`cargo xtask post-build`, ADR 17); the JSON reader
//! likewise (ADR 18), and the sync round and the create form (ADR 20). In
//! tests and debug builds, the same functions are plain ones, reached the
//! same asynchronous way.

use crate::ledger::Ledger;
use crate::ledger::{LegacyRead, Local, Restoring};
use crate::pages::{
    analytics::AnalyticsPage,
    application::ApplicationPage,
    campaigns::CampaignsPage,
    data::{DataPage, DemoBanner},
    diff::DiffPage,
    new_application::NewApplicationForm,
    products::{ProductPage, ProductsPage},
    survey::SurveyPage,
    surveys::SurveysPage,
    sync::{ConflictsPage, SettingsPage},
    timeline::TimelinePage,
};
use crate::sync::client::PageRead;
use crate::sync::settings::Settings;
use crate::sync::SyncError;
use leptos::prelude::*;
use portal_client::{CallError, Page, Round, RoundError};
use portal_domain::Envelope;
use portal_store::StoreError;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// A module loaded on demand could not be fetched (no network, and not
/// kept yet).
#[derive(Debug)]
pub struct NotLoaded;

#[cfg(all(feature = "split", not(debug_assertions)))]
impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        NotLoaded
    }
}

/// Declares `$name`, an async function running `$body`, split into the
/// module `$module`: it fails only when that module cannot be fetched.
macro_rules! on_demand_fn {
    ($module:ident, fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $out:ty $body:block) => {
        #[cfg(all(feature = "split", not(debug_assertions)))]
        #[leptos::wasm_split::wasm_split($module, fallible, wasm_split_path = ::leptos::wasm_split)]
        pub fn $name($($arg: $ty),*) -> Result<$out, NotLoaded> {
            Ok($body)
        }

        #[cfg(not(all(feature = "split", not(debug_assertions))))]
        pub async fn $name($($arg: $ty),*) -> Result<$out, NotLoaded> {
            Ok($body)
        }
    };
}

/// Declares `$name`, an async function returning the page `$page`, split
/// into the module `$module`.
macro_rules! lazy_page {
    ($module:ident, $name:ident, $page:ident) => {
        on_demand_fn!(
            $module,
            fn $name() -> AnyView {
                view! { <$page /> }.into_any()
            }
        );
    };
}

lazy_page!(application, application_page, ApplicationPage);
lazy_page!(timeline, timeline_page, TimelinePage);
lazy_page!(analytics, analytics_page, AnalyticsPage);
lazy_page!(analytics, products_page, ProductsPage);
lazy_page!(analytics, product_page, ProductPage);
lazy_page!(analytics, campaigns_page, CampaignsPage);
lazy_page!(surveys, surveys_page, SurveysPage);
lazy_page!(surveys, survey_page, SurveyPage);
lazy_page!(data, data_page, DataPage);
lazy_page!(data, demo_banner, DemoBanner);
lazy_page!(diff, diff_page, DiffPage);
lazy_page!(settings, settings_page, SettingsPage);
lazy_page!(conflicts, conflicts_page, ConflictsPage);
// Folded on the applications page until the user unfolds it (ADR 20).
lazy_page!(new_application, new_application_form, NewApplicationForm);

// Reading events as JSON is a tenth of the app's code, and a start needs it
// only to migrate a log from the first store layout or to pull from a
// server that does not write this build's binary pages (ADR 18).
on_demand_fn!(
    json,
    fn read_json_events(lines: Vec<String>) -> Vec<Result<Envelope, String>> {
        portal_store::engine::read_legacy_lines(&lines)
    }
);
on_demand_fn!(
    json,
    fn read_json_page(text: String) -> Result<Page, CallError> {
        portal_client::json::read_pull(&text)
    }
);

/// [`read_json_events`], as the log reads a log of the first layout.
pub fn read_legacy(lines: Vec<String>) -> LegacyRead {
    Box::pin(async move { read_json_events(lines).await.ok() })
}

fn read_page(text: String) -> PageRead {
    Box::pin(async move { read_json_page(text).await.ok() })
}

/// A sync round under way. Split functions cannot be `async`, so the round
/// comes back boxed, and runs from the module that holds its code.
pub type RoundUnderWay = Pin<Box<dyn Future<Output = Result<Round, RoundError>>>>;

// The sync round (the server client, the JSON it sends, the settling of
// pulled pages) is a tenth of the main module. The dashboard is usable
// without it: it is fetched once the log is open, and a round that cannot
// fetch it fails, says so in the status line, and is retried (ADR 20).
on_demand_fn!(
    sync,
    fn sync_round(ledger: Ledger, settings: Settings) -> RoundUnderWay {
        Box::pin(crate::sync::round(ledger, settings, read_page))
    }
);

/// A live subscription under way (`sync::listen`).
pub type Following = Pin<Box<dyn Future<Output = Result<(), String>>>>;

// Following the server's live subscription comes with the sync round.
on_demand_fn!(
    sync,
    fn follow_now(
        settings: Settings,
        after: u64,
        arrived: Rc<dyn Fn()>,
        wanted: Rc<dyn Fn() -> bool>,
    ) -> Following {
        Box::pin(
            async move { crate::sync::listen::listen(settings, after, &*arrived, &*wanted).await },
        )
    }
);

/// [`follow_now`], as the sync agent follows the server.
pub fn follow(
    settings: Settings,
    after: u64,
    arrived: Rc<dyn Fn()>,
    wanted: Rc<dyn Fn() -> bool>,
) -> Following {
    Box::pin(async move {
        match follow_now(settings, after, arrived, wanted).await {
            Ok(following) => following.await,
            Err(NotLoaded) => Err("the code that listens could not be fetched".to_owned()),
        }
    })
}

/// [`sync_round`], as the sync agent runs a round.
pub fn run_round(
    ledger: Ledger,
    settings: Settings,
) -> Pin<Box<dyn Future<Output = Result<Round, SyncError>>>> {
    Box::pin(async move {
        match sync_round(ledger, settings).await {
            Ok(round) => Ok(round.await?),
            Err(NotLoaded) => Err(SyncError::Unfetched),
        }
    })
}

// Storing a log again after the browser deleted it (a full disk) reads
// what the sync round writes, and is needed as rarely: it comes with the
// sync module, which is fetched once the log is open, so it is there by the
// time a disk fills.
on_demand_fn!(
    sync,
    fn restore_log(device: Rc<Local>, previous: Rc<Local>) -> Restoring {
        Box::pin(async move { device.restore_from(&previous).await })
    }
);

/// [`restore_log`], as the log is opened again. Until its code is here,
/// the closed handle stays the one shown, and the opening is tried again.
pub fn restore(device: Rc<Local>, previous: Rc<Local>) -> Restoring {
    Box::pin(async move {
        match restore_log(device, previous).await {
            Ok(restoring) => restoring.await,
            Err(NotLoaded) => Err(StoreError::Unavailable(
                "the code that stores the log again could not be fetched".to_owned(),
            )),
        }
    })
}
/// Work on the log, once the module that holds its code is here.
pub type Later = Pin<Box<dyn Future<Output = ()>>>;

// Deciding a command and storing it (the rules, the process managers, the
// store's append) is needed at the start only by the timed processes and
// by changes held for want of room: both come with the sync module, which
// a signed-in device fetches once the log is open. The pages that change
// the log are modules of their own.
on_demand_fn!(
    sync,
    fn tick_now(ledger: Ledger) -> Later {
        Box::pin(async move { ledger.tick().await })
    }
);
on_demand_fn!(
    sync,
    fn save_held_now(ledger: Ledger) -> Later {
        Box::pin(async move { ledger.save_held().await })
    }
);

/// Runs the timed processes ([`Ledger::tick`]); without their code (no
/// network yet), the next tick tries again.
pub fn tick(ledger: Ledger) -> Later {
    Box::pin(async move {
        if let Ok(ticking) = tick_now(ledger).await {
            ticking.await;
        }
    })
}

/// Stores what is held ([`Ledger::save_held`]); without its code, the
/// next retry tries again.
pub fn save_held(ledger: Ledger) -> Later {
    Box::pin(async move {
        if let Ok(saving) = save_held_now(ledger).await {
            saving.await;
        }
    })
}

/// Shows the part `load` brings (a page, or a form: `what`) once it has
/// arrived, or says why not.
pub fn on_demand<F>(load: fn() -> F, what: &'static str) -> impl IntoView
where
    F: Future<Output = Result<AnyView, NotLoaded>> + 'static,
{
    view! {
        <Suspense fallback=move || {
            view! {
                <p role="status">
                    {format!("Loading the {what}… ")}
                    <progress class="busy" aria-label=format!("Loading the {what}")></progress>
                </p>
            }
        }>
            {move || Suspend::new(send_wrapper::SendWrapper::new(arrived(load, what)))}
        </Suspense>
    }
}

async fn arrived<F>(load: fn() -> F, what: &'static str) -> AnyView
where
    F: Future<Output = Result<AnyView, NotLoaded>>,
{
    match load().await {
        Ok(part) => part,
        Err(NotLoaded) => view! {
            <p role="alert" class="refused">
                {format!(
                    "This {what} could not be loaded: the network is unreachable and the \
                     {what} was not kept on this device yet. The rest of the portal works; \
                     open the {what} again once you are online."
                )}
            </p>
        }
        .into_any(),
    }
}
