// Typed wrapper over SQLite's variadic sqlite3_config, which Swift cannot call directly.
// No logic here: the function forwards exactly one call.
#ifndef TOCSIN_CSQLITE_SHIM_H
#define TOCSIN_CSQLITE_SHIM_H

#include <sqlite3.h>

// sqlite3_config(SQLITE_CONFIG_MEMSTATUS, on): whether SQLite counts every allocation, under a global mutex.
// SQLITE_MISUSE once SQLite is initialised (a connection was opened): it must come before.
static inline int tocsin_sqlite3_config_memstatus(int on) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, on);
}

#endif
