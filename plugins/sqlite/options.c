/*
 * backend_sqlite: the backend's options (journal_mode, synchronous,
 * busy_timeout, foreign_keys, cache_size, transaction_mode), checked before
 * a file is touched, and the pragmas that apply them to a new connection.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sqlite_int.h"

/* Defaults applied on every connect; each can be overridden by an option. */
#define DEFAULT_JOURNAL_MODE "WAL"
#define DEFAULT_SYNCHRONOUS "NORMAL"
#define DEFAULT_BUSY_TIMEOUT_MS "30000"
#define DEFAULT_FOREIGN_KEYS "on"

static const char *const journal_modes[] = {
	"DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF", NULL,
};
static const char *const sync_modes[] = {"OFF", "NORMAL", "FULL", "EXTRA", NULL};
static const char *const tx_modes[] = {"DEFERRED", "IMMEDIATE", "EXCLUSIVE", NULL};
static const char *const begin_sql[] = {
	"BEGIN", "BEGIN IMMEDIATE", "BEGIN EXCLUSIVE",
};

/* The options this backend declares; the SDK checks them (unknown keys,
 * types, choices) and the registration publishes them. Order: the enum in
 * sqlite_int.h. */
const struct dal_option_spec sqb_option_specs[O__COUNT] = {
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

/* Validate every option before the file is touched, so that a typo never
 * creates a database. */
int sqb_parse_options(const struct dal_connect_params *p, int memory,
                      struct conn_options *o, dal_error *err)
{
	struct dal_option_value v[O__COUNT];
	int rc;

	if ((rc = dal_options_parse(p, "sqlite", sqb_option_specs, O__COUNT, v, err)) != DAL_OK)
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

/* One attempt: run `sql` and return its first column in `got`. */
static int pragma_text(sqlite3 *db, const char *sql, char *got, size_t size)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		snprintf(got, size, "%s", t ? t : "?");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Set journal_mode and check the mode SQLite reports back: it answers with
 * the old mode, without an error, when it cannot switch (e.g. WAL on a
 * filesystem without shared memory).
 *
 * WAL is a property of the file, so the current mode is read first: when
 * another process has already switched, nothing needs the exclusive lock.
 * The switch itself upgrades a shared lock to an exclusive one, and SQLite
 * returns SQLITE_BUSY at once, without calling the busy handler, when two
 * connections try that together (it would deadlock). The attempt is
 * therefore repeated here, locks released in between, until busy_timeout
 * has passed: two processes opening a new database at once both succeed. */
static int set_journal_mode(struct dal_bconn *c, const char *mode, dal_error *err)
{
	char sql[64], what[600], got[32];
	int rc, waited = 0, pause = 1;

	snprintf(what, sizeof what, "sqlite database '%s': PRAGMA journal_mode=%s",
	         c->path, mode);
	rc = pragma_text(c->db, "PRAGMA journal_mode", got, sizeof got);
	if (rc == SQLITE_OK && strcasecmp(got, mode) == 0)
		return DAL_OK;
	snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", mode);
	for (;;) {
		rc = pragma_text(c->db, sql, got, sizeof got);
		if ((rc & 0xff) != SQLITE_BUSY || waited >= c->busy_timeout)
			break;
		sqlite3_sleep(pause);
		waited += pause;
		if (pause < 100)
			pause *= 2;
	}
	if (rc != SQLITE_OK)
		return sq_report(err, c, rc, what);
	if (strcasecmp(got, mode) != 0)
		return dal_error_set(err, DAL_EBACKEND, "HY000", 0,
		                     "%s: the journal mode stayed '%s' (%s)", what, got,
		                     strcmp(c->path, ":memory:") == 0
		                             ? "an in-memory database only has MEMORY or OFF"
		                             : "WAL needs a local filesystem with shared "
		                               "memory; set journal_mode = DELETE for others");
	return DAL_OK;
}

int sqb_apply_options(struct dal_bconn *c, const struct conn_options *o,
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
