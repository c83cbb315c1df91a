//! Process-wide SQLite settings, made once before the first connection.
//!
//! Stable query plans: SQLite re-plans a prepared statement whenever a newly
//! bound value might change its plan. Diesel binds every `LIMIT` (each
//! `.first()`), so without the query-planner stability guarantee each such
//! statement was parsed and planned again on every call: a third of a
//! refund's CPU time. With it, plans depend on the schema alone.

use libsqlite3_sys::{
    SQLITE_CONFIG_MEMSTATUS, SQLITE_CONFIG_MULTITHREAD, SQLITE_DBCONFIG_ENABLE_QPSG, SQLITE_OK,
    sqlite3, sqlite3_api_routines, sqlite3_auto_extension, sqlite3_config, sqlite3_db_config,
};
use std::ffi::{c_char, c_int};
use std::sync::Once;

/// Configures SQLite once; the settings apply to connections opened afterwards.
pub(super) fn configure() {
    static CONFIGURE: Once = Once::new();
    CONFIGURE.call_once(|| {
        // Diesel uses a connection from one thread at a time, so SQLite's
        // per-connection mutexes and its global allocation counters (a
        // mutex taken on every malloc) only cost time. Both must be set
        // before SQLite initialises, which registering the extension does.
        // SAFETY: sqlite3_config before initialisation; MEMSTATUS takes an int.
        let configured = unsafe {
            [
                sqlite3_config(SQLITE_CONFIG_MULTITHREAD),
                sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0 as c_int),
            ]
        };
        if configured.iter().any(|rc| *rc != SQLITE_OK) {
            tracing::warn!(
                ?configured,
                "SQLite was initialised before its threading mode was set"
            );
        }
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
