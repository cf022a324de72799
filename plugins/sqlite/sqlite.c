/*
 * backend_sqlite: the libdal plugin for SQLite 3.
 *
 * Owns the translation between the plugin contract (include/dal/plugin.h)
 * and the sqlite3 C API: opening a database file with the per-connection
 * pragmas, mapping SQLite result codes to dal_code + SQLSTATE, prepared
 * statements, and transactions. It does not parse configuration (the core
 * hands us resolved parameters and option key/values) and does not rewrite
 * placeholders (the core gives us `?` only).
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
 *
 * Fetch path: column_value() hands out pointers into SQLite's own row buffer;
 * nothing is allocated per row.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sqlite_int.h"

/* Defaults applied on every connect; each can be overridden by an option. */
#define DEFAULT_JOURNAL_MODE "WAL"
#define DEFAULT_SYNCHRONOUS "NORMAL"
#define DEFAULT_BUSY_TIMEOUT_MS "30000"
#define DEFAULT_FOREIGN_KEYS "on"

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
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

static const char *const journal_modes[] = {
	"DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF", NULL,
};
static const char *const sync_modes[] = {"OFF", "NORMAL", "FULL", "EXTRA", NULL};
static const char *const tx_modes[] = {"DEFERRED", "IMMEDIATE", "EXCLUSIVE", NULL};
static const char *const begin_sql[] = {
	"BEGIN", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE",
};

/* The options this backend declares; the SDK checks them (unknown keys,
 * types, choices) and the registration publishes them. Order = enum below. */
enum { O_JOURNAL, O_SYNC, O_BUSY, O_FK, O_CACHE, O_TXMODE, O__COUNT };
static const struct dal_option_spec option_specs[O__COUNT] = {
	[O_JOURNAL] = {"journal_mode", DAL_OPTION_CHOICE, DEFAULT_JOURNAL_MODE, journal_modes,
	               0, 0, "PRAGMA journal_mode (an in-memory database keeps MEMORY)"},
	[O_SYNC] = {"synchronous", DAL_OPTION_CHOICE, DEFAULT_SYNCHRONOUS, sync_modes, 0, 0,
	            "PRAGMA synchronous"},
	[O_BUSY] = {"busy_timeout", DAL_OPTION_INT, DEFAULT_BUSY_TIMEOUT_MS, NULL, 0, INT_MAX,
	            "milliseconds to wait for a lock before DAL_EBUSY"},
	[O_FK] = {"foreign_keys", DAL_OPTION_BOOL, DEFAULT_FOREIGN_KEYS, NULL, 0, 0,
	          "PRAGMA foreign_keys"},
	[O_CACHE] = {"cache_size", DAL_OPTION_INT, NULL, NULL, INT_MIN, INT_MAX,
	             "PRAGMA cache_size (pages, or -KiB); SQLite's default when unset"},
	[O_TXMODE] = {"transaction_mode", DAL_OPTION_CHOICE, "DEFERRED", tx_modes, 0, 0,
	              "how dal_repo_begin() starts a transaction"},
};

/* The options after validation; strings point into the static tables. */
struct conn_options {
	const char *journal_mode; /* NULL: leave as is (:memory:) */
	const char *synchronous;
	long long busy_timeout;
	int foreign_keys;
	int has_cache_size;
	long long cache_size;
	const char *begin_sql;
};

/* Validate every option before the file is touched, so that a typo never
 * creates a database. */
static int parse_options(const struct dal_connect_params *p, int memory,
                         struct conn_options *o, dal_error *err)
{
	struct dal_option_value v[O__COUNT];
	int rc;

	if ((rc = dal_options_parse(p, "sqlite", option_specs, O__COUNT, v, err)) != DAL_OK)
		return rc;
	/* An in-memory database has no journal file: it keeps MEMORY (or
	 * OFF, if asked). A mode meant for files (the shipped dal.ini's WAL,
	 * inherited by `dal -u sqlite::memory:`) does not apply there; it is
	 * skipped, with a debug line, rather than refused. */
	o->journal_mode = journal_modes[v[O_JOURNAL].choice];
	if (memory && (!v[O_JOURNAL].given || (strcmp(o->journal_mode, "MEMORY") != 0 &&
	                                        strcmp(o->journal_mode, "OFF") != 0))) {
		if (v[O_JOURNAL].given)
			dal_plugin_log(0, "%s: sqlite journal_mode = %s does not apply to an "
			               "in-memory database; it keeps MEMORY",
			               dal_option_origin(v[O_JOURNAL].given), o->journal_mode);
		o->journal_mode = NULL;
	}
	o->synchronous = sync_modes[v[O_SYNC].choice];
	o->busy_timeout = v[O_BUSY].i;
	o->foreign_keys = (int)v[O_FK].i;
	o->has_cache_size = v[O_CACHE].given != NULL;
	o->cache_size = v[O_CACHE].i;
	o->begin_sql = begin_sql[v[O_TXMODE].choice];
	return DAL_OK;
}

static int run_pragma(struct dal_bconn *c, const char *sql, dal_error *err)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	char what[600];

	if (rc == SQLITE_OK)
		return DAL_OK;
	snprintf(what, sizeof what, "sqlite database '%s': %s", c->path, sql);
	return sq_report(err, c, rc, what);
}

/* Set journal_mode and check the mode SQLite reports back: it answers with
 * the old mode, without an error, when it cannot switch (e.g. WAL on a
 * filesystem without shared memory). */
static int set_journal_mode(struct dal_bconn *c, const char *mode, dal_error *err)
{
	char sql[64], what[600];
	sqlite3_stmt *st;
	const char *got;
	int rc, ret = DAL_OK;

	snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", mode);
	snprintf(what, sizeof what, "sqlite database '%s': %s", c->path, sql);
	rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_report(err, c, rc, what);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ret = sq_report(err, c, rc, what);
	} else {
		got = (const char *)sqlite3_column_text(st, 0);
		if (!got || strcasecmp(got, mode) != 0)
			ret = dal_error_set(err, DAL_EBACKEND, "HY000", 0,
			                    "%s: the journal mode stayed '%s' (%s)", what,
			                    got ? got : "?",
			                    strcmp(c->path, ":memory:") == 0
			                            ? "an in-memory database only has MEMORY or OFF"
			                            : "WAL needs a local filesystem with shared "
			                              "memory; set journal_mode = DELETE for others");
	}
	sqlite3_finalize(st);
	return ret;
}

static int apply_options(struct dal_bconn *c, const struct conn_options *o,
                         dal_error *err)
{
	char sql[80];
	int rc;

	/* First, so that the pragmas below wait for a lock instead of failing. */
	sqlite3_busy_timeout(c->db, (int)o->busy_timeout);
	if (o->journal_mode && (rc = set_journal_mode(c, o->journal_mode, err)))
		return rc;
	snprintf(sql, sizeof sql, "PRAGMA synchronous=%s", o->synchronous);
	if ((rc = run_pragma(c, sql, err)))
		return rc;
	snprintf(sql, sizeof sql, "PRAGMA foreign_keys=%s",
	         o->foreign_keys ? "ON" : "OFF");
	if ((rc = run_pragma(c, sql, err)))
		return rc;
	if (o->has_cache_size) {
		snprintf(sql, sizeof sql, "PRAGMA cache_size=%lld", o->cache_size);
		if ((rc = run_pragma(c, sql, err)))
			return rc;
	}
	return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Cancel and statement_timeout                                              */
/* ------------------------------------------------------------------------ */

/*
 * The clock of statement_timeout: CLOCK_MONOTONIC_COARSE where there is one
 * (Linux). A read costs a few nanoseconds instead of some 20 to 70, for a
 * resolution of one timer tick (1 to 10 ms, clock_res_ns). The coarse clock
 * lags the real time by less than a tick, so deadline_after() adds one: a
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

static uint64_t deadline_after(const struct dal_bconn *c)
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
static int sqlite_cancel(dal_bconn *c, dal_error *err)
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

static int sqlite_connect(const struct dal_driver *self, const struct dal_connect_params *p,
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
	if ((rc = parse_options(p, memory, &o, err)))
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
	if ((rc = apply_options(c, &o, err))) {
		conn_free(c);
		return rc;
	}
	/* Only with a timeout: without one, statements pay nothing. */
	if (c->stmt_timeout_ms)
		sqlite3_progress_handler(c->db, PROGRESS_OPS, progress_check, c);
	*out = c;
	return DAL_OK;
}

static void sqlite_disconnect(dal_bconn *c)
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
static int sqlite_ping(dal_bconn *c, dal_error *err)
{
	return run_cached(c, TX_PING, "PRAGMA schema_version", err);
}

/* statement_timeout covers the whole call, every statement of a script. */
static int sqlite_exec(dal_bconn *c, const char *sql, int64_t *affected,
                       dal_error *err)
{
	sqlite3_int64 before = sqlite3_total_changes64(c->db);
	int rc;

	if (c->stmt_timeout_ms) {
		c->deadline_ns = deadline_after(c);
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

static int sqlite_last_insert_id(dal_bconn *c, int64_t *out, dal_error *err)
{
	(void)err;
	*out = (int64_t)sqlite3_last_insert_rowid(c->db);
	return DAL_OK;
}

static int sqlite_begin(dal_bconn *c, dal_error *err)
{
	int rc;

	if (!sqlite3_get_autocommit(c->db))
		return dal_error_set(err, DAL_EMISUSE, "25001", 0,
		                     "BEGIN: a transaction is already active");
	rc = run_cached(c, TX_BEGIN, c->begin_sql, err);
	c->in_txn = rc == DAL_OK;
	return rc;
}

static int sqlite_commit(dal_bconn *c, dal_error *err)
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

static int sqlite_rollback(dal_bconn *c, dal_error *err)
{
	c->in_txn = 0;
	/* Already rolled back by SQLite after an error: the wanted end state. */
	if (sqlite3_get_autocommit(c->db))
		return DAL_OK;
	return run_cached(c, TX_ROLLBACK, "ROLLBACK", err);
}

static const char *sqlite_server_kind(dal_bconn *c)
{
	(void)c;
	return "sqlite";
}

static const char *sqlite_server_version(dal_bconn *c)
{
	(void)c;
	return sqlite3_libversion();
}

/* ------------------------------------------------------------------------ */
/* Statements                                                                */
/* ------------------------------------------------------------------------ */

/* 1 if [p, end) holds nothing but whitespace and semicolons. */
static int blank(const char *p, const char *end)
{
	for (; p < end && *p; p++)
		if (!strchr(" \t\r\n\f\v;", *p))
			return 0;
	return 1;
}

static int is_bool_decl(const char *decl)
{
	return decl && (strcasecmp(decl, "BOOLEAN") == 0 || strcasecmp(decl, "BOOL") == 0);
}

/*
 * SQLite's column-name pointers die when the statement is re-prepared after
 * a schema change, and sqlite3_column_name() may allocate; the contract
 * wants names that stay valid until finalize and a getter that cannot fail.
 * So all names are copied at prepare, into one block: the pointer array
 * followed by the strings. DAL_ENOMEM when SQLite or malloc runs out.
 */
static int copy_names(struct dal_bstmt *s, dal_error *err)
{
	size_t size = s->ncols * sizeof(char *);
	char *p;

	if (!s->ncols)
		return DAL_OK;
	for (unsigned i = 0; i < s->ncols; i++) {
		const char *n = sqlite3_column_name(s->st, (int)i);
		if (!n)
			return dal_error_set(err, DAL_ENOMEM, "HY001", SQLITE_NOMEM,
			                     "prepare: out of memory reading column names");
		size += strlen(n) + 1;
	}
	if (!(s->names = malloc(size)))
		return dal_error_set(err, DAL_ENOMEM, "HY001", SQLITE_NOMEM,
		                     "prepare: out of memory copying column names");
	p = (char *)(s->names + s->ncols);
	for (unsigned i = 0; i < s->ncols; i++) {
		const char *n = sqlite3_column_name(s->st, (int)i);
		size_t l = strlen(n) + 1;

		memcpy(p, n, l);
		s->names[i] = p;
		p += l;
	}
	return DAL_OK;
}

static int sqlite_prepare(dal_bconn *c, const char *sql, size_t len,
                          unsigned nparams, dal_bstmt **out, dal_error *err)
{
	const char *tail = NULL, *end = sql + len;
	sqlite3_stmt *st = NULL;
	struct dal_bstmt *s;
	int rc, n;

	if (len > INT_MAX)
		return dal_error_set(err, DAL_EDATA, "54000", SQLITE_TOOBIG,
		                     "prepare: SQL of %zu bytes is too long", len);
	rc = sqlite3_prepare_v3(c->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT,
	                        &st, &tail);
	if (rc != SQLITE_OK)
		return sq_report(err, c, rc, "prepare");
	if (!st)
		return dal_error_set(err, DAL_ESYNTAX, "42601", 0,
		                     "prepare: the SQL holds no statement (empty or only comments)");

	/* SQLite compiles only the first statement; refuse to drop the rest
	 * silently. A tail of comments compiles to no statement and is fine. */
	if (tail && !blank(tail, end)) {
		sqlite3_stmt *next = NULL;
		size_t off = (size_t)(tail - sql);

		rc = sqlite3_prepare_v2(c->db, tail, (int)(end - tail), &next, NULL);
		if (rc != SQLITE_OK) {
			rc = sq_report(err, c, rc, "prepare (second statement)");
			sqlite3_finalize(st);
			return rc;
		}
		if (next) {
			sqlite3_finalize(next);
			sqlite3_finalize(st);
			return dal_error_set(err, DAL_ESYNTAX, "42601", 0,
			                     "prepare: the SQL holds more than one statement "
			                     "(the second starts at offset %zu); use "
			                     "dal_repo_exec() for scripts", off);
		}
	}

	n = sqlite3_bind_parameter_count(st);
	if ((unsigned)n != nparams) {
		sqlite3_finalize(st);
		return dal_error_set(err, DAL_EMISUSE, "07001", 0,
		                     "prepare: SQLite sees %d parameter(s) where %u were "
		                     "expected (only ? and :name markers are supported, "
		                     "not ?NNN, @name or $name)", n, nparams);
	}

	s = calloc(1, sizeof *s);
	if (!s) {
		sqlite3_finalize(st);
		return dal_error_set(err, DAL_ENOMEM, "HY001", SQLITE_NOMEM,
		                     "prepare: out of memory");
	}
	s->conn = c;
	s->st = st;
	s->ncols = (unsigned)sqlite3_column_count(st);
	s->nparams = nparams;
	s->state = ST_READY;
	s->timed = c->stmt_timeout_ms != 0;
	/* SQLite has no boolean storage class; a column declared BOOLEAN is
	 * reported as DAL_TYPE_BOOL so that it reads the same as on servers. */
	for (unsigned i = 0; i < s->ncols && i < 64; i++)
		if (is_bool_decl(sqlite3_column_decltype(st, (int)i)))
			s->boolcols |= (uint64_t)1 << i;
	if ((rc = copy_names(s, err)) != DAL_OK) {
		sqlite3_finalize(st);
		free(s);
		return rc;
	}
	*out = s;
	return DAL_OK;
}

static int sqlite_bind(dal_bstmt *s, unsigned pos, const dal_value *v,
                       dal_error *err)
{
	int rc;

	if (pos < 1 || pos > s->nparams)
		return dal_error_set(err, DAL_EMISUSE, "07009", SQLITE_RANGE,
		                     "bind: parameter %u is out of range (the statement "
		                     "has %u)", pos, s->nparams);
	if (s->state == ST_ROW)
		return dal_error_set(err, DAL_EMISUSE, "HY010", SQLITE_MISUSE,
		                     "bind: parameter %u: the statement has unread rows; "
		                     "reset it first", pos);
	/* After DONE or an error SQLite wants a reset before new bindings;
	 * reset keeps the bindings already made. */
	if (s->state != ST_READY) {
		sqlite3_reset(s->st);
		s->state = ST_READY;
	}

	switch (v->type) {
	case DAL_TYPE_NULL:
		rc = sqlite3_bind_null(s->st, (int)pos);
		break;
	case DAL_TYPE_INT64:
		rc = sqlite3_bind_int64(s->st, (int)pos, v->u.i);
		break;
	case DAL_TYPE_BOOL:
		rc = sqlite3_bind_int64(s->st, (int)pos, v->u.i != 0);
		break;
	case DAL_TYPE_DOUBLE:
		rc = sqlite3_bind_double(s->st, (int)pos, v->u.d);
		break;
	case DAL_TYPE_TEXT:
		/* A NULL pointer would bind SQL NULL: keep "" distinct from NULL. */
		rc = sqlite3_bind_text64(s->st, (int)pos,
		                         v->u.b.ptr ? v->u.b.ptr : "",
		                         v->u.b.len, SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case DAL_TYPE_BLOB:
		if (v->u.b.len == 0)
			rc = sqlite3_bind_zeroblob(s->st, (int)pos, 0);
		else
			rc = sqlite3_bind_blob64(s->st, (int)pos, v->u.b.ptr,
			                         v->u.b.len, SQLITE_TRANSIENT);
		break;
	default:
		return dal_error_set(err, DAL_EMISUSE, "HY004", 0,
		                     "bind: parameter %u has unknown type %d", pos,
		                     (int)v->type);
	}
	if (rc != SQLITE_OK) {
		char what[48];

		snprintf(what, sizeof what, "bind parameter %u", pos);
		return sq_report(err, s->conn, rc, what);
	}
	return DAL_OK;
}

/*
 * step(), in two copies: `timed` is a constant in each, so that the copy
 * for connections without statement_timeout is the plain code, and a
 * statement pays one flag test for the feature.
 */
static inline __attribute__((always_inline)) int step_body(struct dal_bstmt *s,
                                                            dal_error *err, int timed)
{
	int rc;

	switch (s->state) {
	case ST_DONE:
		return DAL_DONE;
	case ST_FAILED:
		return dal_error_set(err, DAL_EMISUSE, "HY010", SQLITE_MISUSE,
		                     "step: the last execution failed; reset the "
		                     "statement before stepping again");
	case ST_READY:
		s->total_before = sqlite3_total_changes64(s->conn->db);
		s->changes = 0;
		/* The statement starts executing: its time starts now, and
		 * covers every step up to its last row. */
		if (timed)
			s->deadline_ns = deadline_after(s->conn);
		break;
	case ST_ROW:
		break;
	}

	if (timed) {
		/* The progress handler reads the deadline of the statement
		 * being stepped, and only during the step. */
		struct dal_bconn *c = s->conn;

		c->deadline_ns = s->deadline_ns;
		c->timed_out = 0;
		rc = sqlite3_step(s->st);
		c->deadline_ns = 0;
	} else {
		rc = sqlite3_step(s->st);
	}
	if (rc == SQLITE_ROW) {
		s->state = ST_ROW;
		return DAL_ROW;
	}
	if (rc == SQLITE_DONE) {
		sqlite3 *db = s->conn->db;

		s->state = ST_DONE;
		/* See sqlite_exec(): changes64 is stale after a non-DML statement. */
		if (sqlite3_total_changes64(db) != s->total_before)
			s->changes = (int64_t)sqlite3_changes64(db);
		return DAL_DONE;
	}
	s->state = ST_FAILED;
	return sq_report(err, s->conn, rc, "step");
}

static __attribute__((noinline)) int step_timed(struct dal_bstmt *s, dal_error *err)
{
	return step_body(s, err, 1);
}

static int sqlite_step(dal_bstmt *s, dal_error *err)
{
	if (__builtin_expect(s->timed, 0))
		return step_timed(s, err);
	return step_body(s, err, 0);
}

static int sqlite_reset(dal_bstmt *s, dal_error *err)
{
	(void)err;
	/* sqlite3_reset() only repeats the error of the last step, which step
	 * has already reported. */
	sqlite3_reset(s->st);
	s->state = ST_READY;
	return DAL_OK;
}

static void sqlite_finalize(dal_bstmt *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->st);
	free(s->names);
	free(s);
}

static unsigned sqlite_column_count(dal_bstmt *s)
{
	return s->ncols;
}

/* The names copied at prepare (copy_names()). */
static const char *sqlite_column_name(dal_bstmt *s, unsigned col)
{
	return col < s->ncols ? s->names[col] : NULL;
}

/*
 * One sqlite3_column_value() per column, then the sqlite3_value_*() readers:
 * every sqlite3_column_*() call enters and leaves the connection's API
 * wrapper, so asking column_type() and then column_int64() (or text() and
 * bytes()) paid that two or three times per column. Reading an unprotected
 * sqlite3_value this way is safe only without concurrent use of the
 * connection, which the plugin contract guarantees (one thread per
 * connection; opened NOMUTEX).
 */
static void sqlite_column_value(dal_bstmt *s, unsigned col, dal_value *out)
{
	sqlite3_value *v = sqlite3_column_value(s->st, (int)col);

	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		out->u.i = (int64_t)sqlite3_value_int64(v);
		out->type = DAL_TYPE_INT64;
		if (col < 64 && (s->boolcols >> col & 1)) {
			out->type = DAL_TYPE_BOOL;
			out->u.i = out->u.i != 0;
		}
		return;
	case SQLITE_FLOAT:
		out->type = DAL_TYPE_DOUBLE;
		out->u.d = sqlite3_value_double(v);
		return;
	case SQLITE_TEXT:
		/* text before bytes: bytes then describes the UTF-8 form. */
		out->u.b.ptr = sqlite3_value_text(v);
		out->u.b.len = (size_t)sqlite3_value_bytes(v);
		/* NULL here means out of memory; there is no way to report it. */
		out->type = out->u.b.ptr ? DAL_TYPE_TEXT : DAL_TYPE_NULL;
		return;
	case SQLITE_BLOB:
		out->type = DAL_TYPE_BLOB;
		out->u.b.ptr = sqlite3_value_blob(v);
		out->u.b.len = (size_t)sqlite3_value_bytes(v);
		if (!out->u.b.ptr) /* an empty blob */
			out->u.b.ptr = "", out->u.b.len = 0;
		return;
	default:
		out->type = DAL_TYPE_NULL;
		return;
	}
}

static int64_t sqlite_rows_affected(dal_bstmt *s)
{
	return s->changes;
}

/* ------------------------------------------------------------------------ */
/* Registration                                                              */
/* ------------------------------------------------------------------------ */

static const char *const sqlite_aliases[] = {"sqlite3", NULL};

static const struct dal_driver sqlite_driver = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_driver),
	.connect = sqlite_connect,
	.disconnect = sqlite_disconnect,
	.ping = sqlite_ping,
	.exec = sqlite_exec,
	.prepare = sqlite_prepare,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.last_insert_id = sqlite_last_insert_id,
	.server_kind = sqlite_server_kind,
	.server_version = sqlite_server_version,
	.cancel = sqlite_cancel,
	.bind = sqlite_bind,
	.step = sqlite_step,
	.reset = sqlite_reset,
	.finalize = sqlite_finalize,
	.column_count = sqlite_column_count,
	.column_name = sqlite_column_name,
	.column_value = sqlite_column_value,
	.rows_affected = sqlite_rows_affected,
};

static const struct dal_plugin sqlite_registration = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "sqlite",
	.aliases = sqlite_aliases,
	.version = DAL_VERSION_STRING,
	.description = "SQLite 3 (libsqlite3 " SQLITE_VERSION ")",
	.capabilities = DAL_CAP_TRANSACTIONS | DAL_CAP_TRANSACTIONAL_DDL |
	                DAL_CAP_LAST_INSERT_ID | DAL_CAP_STREAMING |
	                DAL_CAP_MULTI_STATEMENT | DAL_CAP_EMBEDDED | DAL_CAP_CANCEL |
	                DAL_CAP_SAVEPOINTS | DAL_CAP_UPSERT_CONFLICT,
	.kind = DAL_KIND_FILE,
	.default_path = "dal.db",
	.param_style = DAL_PARAM_QMARK,
	/* SQLite accepts `name` and [name] as identifiers; backslash is not
	 * an escape, # is not a comment, comments do not nest. */
	.syntax = DAL_SYNTAX_BACKTICK | DAL_SYNTAX_BRACKET_IDENT,
	.ident_quote = "\"\"",
	.options = option_specs,
	.n_options = O__COUNT,
	.driver = &sqlite_driver,
};

DAL_PLUGIN_ENTRY(backend_sqlite)
{
	return dal_plugin_accept(core_abi, &sqlite_registration, err);
}
