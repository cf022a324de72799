/*
 * backend_sqlite's private header: the connection and statement objects
 * and the error helpers shared by its files (sqlite.c: connections,
 * statements and registration; errors.c: result-code mapping).
 */
#ifndef DAL_SQLITE_INT_H
#define DAL_SQLITE_INT_H

#include <stdint.h>

#include <sqlite3.h>

#include <dal/dal.h>
#include <dal/plugin.h>

enum { TX_BEGIN, TX_COMMIT, TX_ROLLBACK, TX_PING, TX__COUNT };

struct dal_bconn {
	sqlite3 *db;
	char *path;                      /* for messages */
	long busy_timeout;               /* ms, for the "database is locked" hint */
	const char *begin_sql;           /* "BEGIN", "BEGIN IMMEDIATE", ... */
	sqlite3_stmt *cached[TX__COUNT]; /* prepared on first use */
};

/*
 * Statement states. SQLite would silently re-run a statement stepped after
 * SQLITE_DONE (automatic reset), which for an INSERT means a second insert;
 * the contract wants "no more rows" until reset, so we track it ourselves.
 */
enum st_state { ST_READY, ST_ROW, ST_DONE, ST_FAILED };

struct dal_bstmt {
	struct dal_bconn *conn;
	sqlite3_stmt *st;
	unsigned ncols;
	unsigned nparams;
	enum st_state state;
	sqlite3_int64 total_before; /* sqlite3_total_changes64() at execution */
	int64_t changes;            /* rows_affected of the last execution */
	uint64_t boolcols;          /* bit i: column i is declared BOOL/BOOLEAN */
	char **names;               /* copied column names, made on first use */
};


/* Map an extended result code (and, for SQLITE_ERROR, the message) to a
 * dal_code, with the SQLSTATE in *state. */
int sq_map_code(int rc, const char *msg, const char **state);

/* Report rc for an operation on conn (may be NULL) into *err: "<what>:
 * <sqlite message>" with a hint where useful. Returns the dal_code. */
int sq_report(dal_error *err, struct dal_bconn *conn, int rc, const char *what);

#endif
