//! Stable query plans for every SQLite connection this process opens.
//!
//! SQLite re-plans a prepared statement whenever a newly bound value might
//! change its plan. Diesel binds every `LIMIT` (each `.first()`), so without
//! this each such statement was parsed and planned again on every call: a
//! third of a refund's CPU time. With the query-planner stability guarantee
//! plans depend on the schema alone, and cached statements stay cached.

use libsqlite3_sys::{
    SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK, sqlite3, sqlite3_api_routines, sqlite3_auto_extension,
    sqlite3_db_config,
};
use std::ffi::{c_char, c_int};
use std::sync::Once;

/// Registers the setting with SQLite once; it applies to connections opened
/// afterwards.
pub(super) fn register() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: hands SQLite a function with the entry-point signature it
        // expects; SQLite keeps the pointer, which is valid for the program's life.
        let rc = unsafe { sqlite3_auto_extension(Some(enable_stable_plans)) };
        if rc != SQLITE_OK {
            tracing::warn!(rc, "SQLite refused the stable-query-plan setting");
        }
    });
}

/// Called by SQLite for each new connection.
unsafe extern "C" fn enable_stable_plans(
    db: *mut sqlite3,
    _error: *mut *mut c_char,
    _api: *const sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection SQLite is opening; ENABLE_QPSG takes an
    // int and an optional int pointer for the resulting value.
    unsafe {
        sqlite3_db_config(
            db,
            SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        )
    }
}
