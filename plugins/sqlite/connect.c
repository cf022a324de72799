/*
 * backend_sqlite: connections. Opening a database file with the options
 * applied (options.c), ping, exec, transactions, cancel and the clock of
 * statement_timeout (the progress handler), server information.
 *
 * Threading: the core never uses one connection from two threads at once, so
 * connections are opened with SQLITE_OPEN_NOMUTEX. There is no global state.
 * The one exception is cancel(), called from another thread while the
 * connection is in use: it only calls sqlite3_interrupt(), which takes no
 * mutex in any threading mode (it sets a flag with an atomic store) and is
 * documented as safe from another thread as long as the connection is not
 * closed meanwhile, which the core guarantees.
 *
 * statement_timeout: a progress handler, installed only when a timeout is
 * set, compares the clock with a deadline taken at the first step of each
 * execution (and at the start of exec()) every PROGRESS_OPS virtual-machine
 * instructions, and stops the statement past it.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlite_int.h"

/*
 * How many virtual-machine instructions run between two statement_timeout
 * checks. A check is a coarse clock read and a compare, some 30 CPU
 * instructions and a few nanoseconds; SQLite runs a VM instruction in 5 to
 * 10 ns (7 ns in a recursive count), so a long statement is checked every
 * 5 to 10 us, which costs it well under 0.1% (callgrind: +0.03% of its
 * instructions). The count carries over a statement's executions: a point
 * select (some 20 instructions) pays for one check every 50 runs.
 * Instructions that do much work at once (a sort, a large blob, a read
 * from disk) delay the check; they do not make it cost more.
 */
#define PROGRESS_OPS 1000

/* ------------------------------------------------------------------------ */
/* Cancel and statement_timeout                                              */
/* ------------------------------------------------------------------------ */

/*
 * The clock of statement_timeout: CLOCK_MONOTONIC_COARSE where there is one
 * (Linux). A read costs a few nanoseconds instead of some 20 to 70, for a
 * resolution of one timer tick (1 to 10 ms, clock_res_ns). The coarse clock
 * lags the real time by less than a tick, so sqb_deadline_after() adds one: a
 * statement is never stopped before statement_timeout, and at most two
 * ticks after it.
 */
#ifdef CLOCK_MONOTONIC_COARSE
#define DEADLINE_CLOCK CLOCK_MONOTONIC_COARSE
#else
#define DEADLINE_CLOCK CLOCK_MONOTONIC
#endif

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(DEADLINE_CLOCK, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t clock_res_ns(void)
{
	struct timespec r;

	if (clock_getres(DEADLINE_CLOCK, &r) != 0)
		return 10000000u; /* 10 ms, the coarsest usual tick */
	return (uint64_t)r.tv_sec * 1000000000u + (uint64_t)r.tv_nsec;
}

uint64_t sqb_deadline_after(const struct dal_bconn *c)
{
	return now_ns() + c->timeout_ns;
}

/* The progress handler: non-zero stops the running statement with
 * SQLITE_INTERRUPT. It also runs inside prepare and the cached statements,
 * where deadline_ns is 0: never stop those. */
static int progress_check(void *arg)
{
	struct dal_bconn *c = arg;

	if (!c->deadline_ns || now_ns() < c->deadline_ns)
		return 0;
	c->timed_out = 1;
	return 1;
}

/*
 * Called from another thread than the one using c (see the top of the
 * file). SQLite then fails the running statement with SQLITE_INTERRUPT,
 * reported as DAL_ECANCELED (sq_report()). The interrupt holds until no
 * statement of the connection is running: statements started meanwhile
 * (prepares included) are interrupted too, and so is the next step of a
 * statement with unread rows. With no statement running it is a no-op:
 * SQLite clears it when the next statement starts.
 */
int sqb_cancel(dal_bconn *c, dal_error *err)
{
	(void)err;
	sqlite3_interrupt(c->db);
	return DAL_OK;
}

static void conn_free(struct dal_bconn *c)
{
	for (int i = 0; i < TX__COUNT; i++)
		sqlite3_finalize(c->cached[i]);
	/* _v2: should a statement still be open, the handle becomes a zombie
	 * freed with that statement instead of leaking. */
	sqlite3_close_v2(c->db);
	free(c->path);
	free(c);
}

int sqb_connect(const struct dal_driver *self, const struct dal_connect_params *p,
                          dal_bconn **out, dal_error *err)
{
	const char *repo = p->repo_name ? p->repo_name : "?";
	struct conn_options o;
	struct dal_bconn *c;
	int memory, rc;

	(void)self;
	if (!p->path || !*p->path)
		return dal_error_set(err, DAL_ECONFIG, "HY000", 0,
		                     "repository '%s': an sqlite database needs a path "
		                     "(path = FILE, or a URL like sqlite:////abs/file.db "
		                     "or sqlite::memory:)", repo);
	memory = strcmp(p->path, ":memory:") == 0;
	if ((rc = sqb_parse_options(p, memory, &o, err)))
		return rc;

	c = calloc(1, sizeof *c);
	if (!c || !(c->path = strdup(p->path))) {
		free(c);
		return dal_error_set(err, DAL_ENOMEM, "HY001", SQLITE_NOMEM,
		                     "sqlite: out of memory opening '%s'", p->path);
	}
	c->busy_timeout = (long)o.busy_timeout;
	c->begin_sql = o.begin_sql;
	if (p->struct_size >= offsetof(struct dal_connect_params, statement_timeout_ms) +
	                              sizeof p->statement_timeout_ms)
		c->stmt_timeout_ms = p->statement_timeout_ms;
	if (c->stmt_timeout_ms)
		c->timeout_ns = (uint64_t)c->stmt_timeout_ms * 1000000u + clock_res_ns();

	/* No SQLITE_OPEN_URI: the core hands us a plain path, and a file name
	 * containing '?' or '#' must stay a file name; options arrive through
	 * params->options instead. */
	rc = sqlite3_open_v2(p->path, &c->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                             SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		int sys = c->db ? sqlite3_system_errno(c->db) : 0;
		const char *state;
		int code = sq_map_code(rc, NULL, &state);

		rc = dal_error_set(err, code, state, rc,
		                   "repository '%s': cannot open sqlite database '%s': %s%s%s%s",
		                   repo, p->path,
		                   c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc),
		                   sys ? " (" : "", sys ? strerror(sys) : "",
		                   sys ? "; check that the directory exists and is writable)" : "");
		conn_free(c);
		return rc;
	}
	sqlite3_extended_result_codes(c->db, 1);
	if ((rc = sqb_apply_options(c, &o, err))) {
		conn_free(c);
		return rc;
	}
	/* Only with a timeout: without one, statements pay nothing. */
	if (c->stmt_timeout_ms)
		sqlite3_progress_handler(c->db, PROGRESS_OPS, progress_check, c);
	*out = c;
	return DAL_OK;
}

void sqb_disconnect(dal_bconn *c)
{
	if (c)
		conn_free(c);
}

/* Run one of the connection's cached single-row-or-none statements. */
static int run_cached(struct dal_bconn *c, int which, const char *sql,
                      dal_error *err)
{
	sqlite3_stmt **st = &c->cached[which];
	int rc;

	if (!*st) {
		rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
		                        NULL);
		if (rc != SQLITE_OK)
			return sq_report(err, c, rc, sql);
	}
	do
		rc = sqlite3_step(*st);
	while (rc == SQLITE_ROW);
	sqlite3_reset(*st);
	if (rc != SQLITE_DONE)
		return sq_report(err, c, rc, sql);
	return DAL_OK;
}

/* An embedded database has no round trip; reading the schema cookie from the
 * file header is the cheapest call that proves the file is still usable. */
int sqb_ping(dal_bconn *c, dal_error *err)
{
	return run_cached(c, TX_PING, "PRAGMA schema_version", err);
}

int sqb_schema_check(struct dal_bconn *c, dal_error *err)
{
	return run_cached(c, TX_SCHEMA, "SELECT 1 FROM sqlite_master LIMIT 0", err);
}

/* statement_timeout covers the whole call, every statement of a script. */
int sqb_exec(dal_bconn *c, const char *sql, int64_t *affected,
                       dal_error *err)
{
	sqlite3_int64 before = sqlite3_total_changes64(c->db);
	int rc;

	if (c->stmt_timeout_ms) {
		c->deadline_ns = sqb_deadline_after(c);
		c->timed_out = 0;
	}
	rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	c->deadline_ns = 0;
	if (rc != SQLITE_OK)
		return sq_report(err, c, rc, "exec");
	/* sqlite3_changes64() keeps the count of the last DML statement even
	 * when the SQL just run was DDL: only trust it if something changed. */
	if (affected)
		*affected = sqlite3_total_changes64(c->db) != before
		                    ? (int64_t)sqlite3_changes64(c->db)
		                    : 0;
	return DAL_OK;
}

int sqb_last_insert_id(dal_bconn *c, int64_t *out, dal_error *err)
{
	(void)err;
	*out = (int64_t)sqlite3_last_insert_rowid(c->db);
	return DAL_OK;
}

int sqb_begin(dal_bconn *c, dal_error *err)
{
	int rc;

	if (!sqlite3_get_autocommit(c->db))
		return dal_error_set(err, DAL_EMISUSE, "25001", 0,
		                     "BEGIN: a transaction is already active");
	rc = run_cached(c, TX_BEGIN, c->begin_sql, err);
	c->in_txn = rc == DAL_OK;
	return rc;
}

int sqb_commit(dal_bconn *c, dal_error *err)
{
	size_t n;
	int rc;

	/* Whatever happens below, the transaction ends (as on the servers). */
	c->in_txn = 0;
	/* SQLite rolls a transaction back by itself after some errors (disk
	 * full, I/O error, out of memory, an interrupted write: cancel or
	 * statement_timeout); committing then must not look like success. */
	if (sqlite3_get_autocommit(c->db))
		return dal_error_set(err, DAL_EMISUSE, "25P01", 0,
		                     "COMMIT: no transaction is active (never begun, or "
		                     "rolled back by SQLite after an earlier error); "
		                     "nothing was committed");
	rc = run_cached(c, TX_COMMIT, "COMMIT", err);
	/* A failed COMMIT (busy, deferred foreign key) leaves SQLite's
	 * transaction open, but the contract, like the servers, ends it: roll
	 * back so that the connection is not stuck inside it. */
	if (rc != DAL_OK && !sqlite3_get_autocommit(c->db)) {
		dal_error ignored;

		run_cached(c, TX_ROLLBACK, "ROLLBACK", &ignored);
		n = strlen(err->message);
		snprintf(err->message + n, sizeof err->message - n,
		         " (the transaction was rolled back)");
	}
	return rc;
}

int sqb_rollback(dal_bconn *c, dal_error *err)
{
	c->in_txn = 0;
	/* Already rolled back by SQLite after an error: the wanted end state. */
	if (sqlite3_get_autocommit(c->db))
		return DAL_OK;
	return run_cached(c, TX_ROLLBACK, "ROLLBACK", err);
}

const char *sqb_server_kind(dal_bconn *c)
{
	(void)c;
	return "sqlite";
}

const char *sqb_server_version(dal_bconn *c)
{
	(void)c;
	return sqlite3_libversion();
}
