//! Running implementation code that may panic, without the panic escaping or cluttering stderr.
//!
//! raft-rs reports broken invariants with `panic!` (its `fatal!` macro). Inside an adapter call
//! such a panic is an implementation crash, which the engine reports as an adapter fault. The
//! guard catches it and keeps its message; a process-wide panic hook stays quiet for panics
//! caught this way and behaves as before for every other panic.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// `Some` while this thread runs guarded code; holds the message of a caught panic.
    static GUARDED: RefCell<Option<Option<String>>> = const { RefCell::new(None) };
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
                        let location = info
                            .location()
                            .map(|l| format!(" at {}:{}", l.file(), l.line()))
                            .unwrap_or_default();
                        *slot = Some(format!("{}{location}", panic_message(info.payload())));
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

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// Runs `f`; a panic inside it becomes `Err(message)`.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    let outer = GUARDED.with(|g| g.borrow_mut().replace(None));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    let message = GUARDED.with(|g| {
        let mut g = g.borrow_mut();
        let caught = g.take().flatten();
        *g = outer;
        caught
    });
    result.map_err(|payload| message.unwrap_or_else(|| panic_message(payload.as_ref())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_with_its_message() {
        let r: Result<(), String> = catch_panic(|| panic!("term should be set"));
        let msg = r.unwrap_err();
        assert!(msg.starts_with("term should be set"), "{msg}");
    }

    #[test]
    fn normal_return_passes_through() {
        assert_eq!(catch_panic(|| 7), Ok(7));
    }

    #[test]
    fn nested_guards_restore_the_outer_one() {
        let r = catch_panic(|| {
            let inner: Result<(), String> = catch_panic(|| panic!("inner"));
            assert!(inner.is_err());
            panic!("outer")
        });
        assert!(r.unwrap_err().starts_with("outer"));
    }
}
