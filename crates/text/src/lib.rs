//! Text for xinfang (issue 5): what a letter says, made comparable. Pure: no I/O, no clock.
//!
//! - [`normalize`] turns any input (full-width forms, spaces, punctuation, control characters, emoji, mixed
//!   scripts, megabytes) into the canonical text the other parts compare.
//! - [`dedup`] finds the registered contacts whose text is nearly the same as a new one: copies, edited
//!   copies, reordered paragraphs, added greetings or signatures, one letter sent to several offices.
//! - [`hotspots`] groups matters about one problem in one place within a time window (热点).

pub mod classify;
pub mod dedup;
pub mod hotspots;
mod normalize;

pub use normalize::{MAX_CHARS, normalize};
