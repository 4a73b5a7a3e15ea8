//! The subcommands.

pub mod check;
pub mod ci;
pub mod diff;
pub mod explore;
pub mod replay;
pub mod serve;
pub mod validate;
pub mod view;
