//! What every headless command is handed, as gh hands its commands a factory: where to print
//! (`io`), what the environment said (`settings`, read once by `main`), and the saved
//! connections (`store`, opened on first use, so `man` or `sim` never fail on a store setting
//! they do not need).
//!
//! Each command is `run(&mut Ctx, Args) -> Result<(), Problem>`; `main` turns a `Problem` into
//! the message and the exit code in one place.

use std::cell::OnceCell;

use crate::bitbucket::Endpoints;
use crate::core::model::Problem;
use crate::settings::Settings;
use crate::store::Store;

use super::Io;

pub struct Ctx {
    pub io: Io,
    pub settings: Settings,
    pub store: StoreCell,
}

impl Ctx {
    /// The process's context: the store the settings name, opened when a command first asks.
    pub fn new(io: Io, settings: Settings) -> Ctx {
        let store = StoreCell::from_settings(&settings);
        Ctx {
            io,
            settings,
            store,
        }
    }

    /// A context around a store that is already open (tests, the demo's temporary store).
    pub fn with_store(io: Io, settings: Settings, store: Store) -> Ctx {
        Ctx {
            io,
            settings,
            store: StoreCell::ready(store),
        }
    }

    /// The Cloud endpoints (bitbucket.org, or the overrides in the settings).
    pub fn endpoints(&self) -> &Endpoints {
        &self.settings.endpoints
    }
}

/// The store, opened once on first use. `get` takes `&self`, so a command can hold the store
/// while it prints through `ctx.io`.
pub struct StoreCell {
    settings: Option<Settings>,
    cell: OnceCell<Result<Store, Problem>>,
}

impl StoreCell {
    fn from_settings(settings: &Settings) -> StoreCell {
        StoreCell {
            settings: Some(settings.clone()),
            cell: OnceCell::new(),
        }
    }

    pub fn ready(store: Store) -> StoreCell {
        StoreCell {
            settings: None,
            cell: OnceCell::from(Ok(store)),
        }
    }

    pub fn get(&self) -> Result<&Store, Problem> {
        self.cell
            .get_or_init(|| self.open())
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The store itself, for a command that hands it on to a task that outlives the borrow
    /// (the wizard's worker). Later `get`s open it again.
    pub fn take(&mut self) -> Result<Store, Problem> {
        match self.cell.take() {
            Some(opened) => opened,
            None => self.open(),
        }
    }

    fn open(&self) -> Result<Store, Problem> {
        match &self.settings {
            Some(settings) => settings.open_store().map_err(Problem::from),
            None => Err(Problem::new(
                crate::core::model::FailureClass::Other,
                "No store was given to this command.",
                "Report this as a bug in bbconnect.",
            )),
        }
    }
}
