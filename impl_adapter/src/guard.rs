//! Running implementation code that may panic, without the panic escaping or cluttering stderr.
//!
//! raft-rs reports broken invariants with `panic!` (its `fatal!` macro). Inside an adapter call
//! such a panic is an implementation crash, which the engine reports as a panic of the
//! implementation ([`AdapterError::Panicked`]). The guard catches it and keeps its message and
//! location; a process-wide panic hook stays quiet for panics caught this way and behaves as
//! before for every other panic.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::AdapterError;

/// A panic of the implementation: what it said and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Panic {
    /// The panic's message.
    pub message: String,
    /// Where it was raised, `FILE:LINE`, when known.
    pub location: Option<String>,
}

impl From<Panic> for AdapterError {
    fn from(panic: Panic) -> Self {
        AdapterError::Panicked {
            location: panic.location,
            message: panic.message,
        }
    }
}

thread_local! {
    /// `Some` while this thread runs guarded code; holds a caught panic.
    static GUARDED: RefCell<Option<Option<Panic>>> = const { RefCell::new(None) };
}

static INSTALL_HOOK: Once = Once::new();

fn install_hook() {
    INSTALL_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let captured = GUARDED.with(|g| {
                let mut g = g.borrow_mut();
                match g.as_mut() {
                    Some(slot) => {
                        *slot = Some(Panic {
                            message: panic_message(info.payload()),
                            location: info
                                .location()
                                .map(|l| format!("{}:{}", shown(l.file()), l.line())),
                        });
                        true
                    }
                    None => false,
                }
            });
            if !captured {
                previous(info);
            }
        }));
    });
}

/// A source file as reports show it: a file of a crate from cargo's registry (raft-rs) as
/// `CRATE-VERSION/src/...`, without the registry's place on this machine.
fn shown(file: &str) -> &str {
    const REGISTRY: &str = "/registry/src/";
    match file.find(REGISTRY) {
        Some(at) => {
            let index_and_rest = &file[at + REGISTRY.len()..];
            index_and_rest
                .split_once('/')
                .map_or(file, |(_index, rest)| rest)
        }
        None => file,
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// Runs `f`; a panic inside it becomes `Err` with its message and location.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, Panic> {
    install_hook();
    let outer = GUARDED.with(|g| g.borrow_mut().replace(None));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    let caught = GUARDED.with(|g| {
        let mut g = g.borrow_mut();
        let caught = g.take().flatten();
        *g = outer;
        caught
    });
    result.map_err(|payload| {
        caught.unwrap_or_else(|| Panic {
            message: panic_message(payload.as_ref()),
            location: None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_message() {
        let r: Result<(), Panic> = catch_panic(|| panic!("term should be set"));
        let msg = r.unwrap_err().message;
        assert!(msg.starts_with("term should be set"), "{msg}");
    }

    #[test]
    fn a_caught_panic_is_reported_as_an_implementation_panic_with_its_location() {
        let line = line!() + 1;
        let r: Result<(), Panic> = catch_panic(|| panic!("to_commit {} is out of range", 5));
        let error = AdapterError::from(r.unwrap_err());
        let at = format!("impl_adapter/src/guard.rs:{line}");
        assert_eq!(
            error,
            AdapterError::Panicked {
                location: Some(at.clone()),
                message: "to_commit 5 is out of range".into(),
            }
        );
        assert_eq!(
            error.to_string(),
            format!("implementation panicked at {at}: to_commit 5 is out of range")
        );
        assert!(error.is_fault());
    }

    #[test]
    fn a_registry_crate_is_shown_without_the_registry_path() {
        assert_eq!(
            shown("/home/u/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/raft-0.7.0/src/raft_log.rs"),
            "raft-0.7.0/src/raft_log.rs"
        );
        assert_eq!(
            shown("impl_adapter/src/guard.rs"),
            "impl_adapter/src/guard.rs"
        );
    }

    #[test]
    fn normal_return_passes_through() {
        assert_eq!(catch_panic(|| 7), Ok(7));
    }

    #[test]
    fn nested_guards_restore_the_outer_one() {
        let r = catch_panic(|| {
            let inner: Result<(), Panic> = catch_panic(|| panic!("inner"));
            assert!(inner.is_err());
            panic!("outer")
        });
        assert!(r.unwrap_err().message.starts_with("outer"));
    }
}
