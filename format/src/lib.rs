//! The formats raftcheck writes and reads outside the process — the adapter protocol
//! (`impl_adapter/PROTOCOL.md`) and trace files — as versioned types of their own.
//!
//! The spec (`raftcheck_spec`) is free to change how it represents inputs, messages and states;
//! what crosses the wire or sits in a trace file does not move with it. Each format version is
//! a module of plain data transfer types whose serde form *is* the format, with conversions to
//! and from the spec's types. A refactor of the spec changes a conversion, never the bytes; a
//! change of the bytes is a new version module beside the old one, so old traces keep
//! replaying. The golden tests of this crate pin the bytes of every variant and replay the
//! trace corpus byte for byte.
//!
//! # Flavour and bounds
//!
//! [`raftcheck_spec::Flavour`] and [`raftcheck_spec::Bounds`] also appear in traces and in the
//! protocol's handshake, but get no types here: they are already flat, plain configuration —
//! named switches and numbers, with no internal representation for the spec to refactor — and
//! they grow only by new fields, which stay byte-compatible when they default to off and are
//! skipped when off (as `pre_vote` does), while `deny_unknown_fields` makes an older raftcheck
//! refuse a file that needs a newer switch instead of silently ignoring it. A copy of each
//! here would only have to change in lockstep with the original. Instead the golden tests pin
//! their JSON (every named flavour, with and without pre-vote, and the default bounds), so a
//! change that would alter the bytes fails a test and has to be made byte-compatible or
//! versioned.

#![warn(missing_docs)]

pub mod eventlog;
pub mod v1;
