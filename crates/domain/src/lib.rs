//! The petition (信访) domain of xinfang: identifiers that cannot hold bad values, the organisation tree,
//! contacts and matters, the workflow state machine with its legal clocks, and the event model.
//!
//! This crate does no I/O: storage, text analysis, reports and the server build on it.

pub mod access;
pub mod calendar;
pub mod catalog;
pub mod documents;
pub mod error;
pub mod event;
pub mod figures;
pub mod fixtures;
pub mod ids;
pub mod links;
pub mod offers;
pub mod open311;
pub mod org;
pub mod petition;
pub mod portal;
pub mod rules;
pub mod workflow;

pub use error::WorkflowError;
pub use event::{Actor, EventBody, Hash, StoredEvent};
pub use workflow::{Change, Command, Ctx, Matter, Principal, Role, Status, decide};
