/*
 * Migrations (<dal/migrate.h>): the migrator object and its operations,
 * up, down, stamp, status, history and verify. A layer over the public
 * API: the directory is migrate_files.c's, schema_version migrate_db.c's,
 * locks and per-step transactions migrate_dialect.c's.
 *
 * Every step re-reads schema_version inside its own transaction (and under
 * the lock), so that what another migrator applied meanwhile is seen: on
 * SQLite, whose lock is the step's BEGIN IMMEDIATE, this is what keeps two
 * migrators from applying one migration twice.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_int.h"

#define DEFAULT_LOCK_TIMEOUT_MS 60000u

const char *dal_migration_state_name(dal_migration_state state)
{
	static const char *const names[] = {"pending", "applied", "modified", "missing",
	                                    "dirty"};
	return (unsigned)state < sizeof names / sizeof names[0] ? names[state] : "?";
}

int dal_migrator_open(dal_migrator **out, dal_repo *repo, const char *dir, dal_error *err)
{
	dal_error local;
	dal_migrator *m;
	int rc;

	if (!err)
		err = &local;
	if (!out)
		return mig_error(err, DAL_EMISUSE, "dal_migrator_open: out is NULL");
	*out = NULL;
	if (!repo)
		return mig_error(err, DAL_EMISUSE, "dal_migrator_open: repo is NULL");
	if (!dir && !(dir = dal_repo_migrations_dir(repo)))
		return mig_error(err, DAL_ECONFIG,
		                 "repository '%s' has no migrations directory (set migrations = "
		                 "DIR in its INI section)", dal_repo_name(repo));
	if (!(m = calloc(1, sizeof *m)) || !(m->dir = strdup(dir))) {
		free(m);
		return mig_error(err, DAL_ENOMEM, "out of memory opening the migrations of %s", dir);
	}
	/* "dir/" and "dir" name the same files; messages read better without. */
	for (size_t n = strlen(m->dir); n > 1 && m->dir[n - 1] == '/'; n--)
		m->dir[n - 1] = '\0';
	m->repo = repo;
	m->sql = dal_repo_sql_facts(repo);
	m->lock_timeout_ms = DEFAULT_LOCK_TIMEOUT_MS;
	if ((rc = mig_scan(m, err)) != DAL_OK) {
		dal_migrator_close(m);
		return rc;
	}
	*out = m;
	return DAL_OK;
}

void dal_migrator_close(dal_migrator *m)
{
	if (!m)
		return;
	mig_files_free(m);
	free(m->dir);
	free(m);
}

const char *dal_migrator_dir(const dal_migrator *m)
{
	return m ? m->dir : NULL;
}

void dal_migrator_set_progress(dal_migrator *m, dal_migration_fn fn, void *userdata)
{
	if (m) {
		m->progress = fn;
		m->progress_ud = userdata;
	}
}

void dal_migrator_set_lock_timeout(dal_migrator *m, unsigned ms)
{
	if (m)
		m->lock_timeout_ms = ms;
}

/* ------------------------------------------------------------------------ */

static dal_migration_state state_of(const struct mig_file *f, const struct mig_row *r)
{
	if (!r)
		return DAL_MIGRATION_PENDING;
	if (r->dirty)
		return DAL_MIGRATION_DIRTY;
	if (!f)
		return DAL_MIGRATION_MISSING;
	return strcmp(f->checksum, r->checksum) == 0 ? DAL_MIGRATION_APPLIED
	                                             : DAL_MIGRATION_MODIFIED;
}

static void report(dal_migration_fn fn, void *ud, const struct mig_file *f,
                   const struct mig_row *r)
{
	dal_migration_info info = {
		.version = f ? f->version : r->version,
		.name = f ? f->name : r->name,
		.file = f ? f->up : NULL,
		.down_file = f ? f->down : NULL,
		.state = state_of(f, r),
		.checksum = f ? f->checksum : NULL,
		.applied_checksum = r ? r->checksum : NULL,
		.applied_at = r ? r->applied_at : NULL,
		.duration_ms = r ? r->duration_ms : -1,
	};
	if (fn)
		fn(&info, ud);
}

/* Refuse to run while a migration is dirty or modified; name the first. */
static int check_clean(const struct dal_migrator *m, const struct mig_rows *rows,
                       dal_error *err)
{
	for (size_t i = 0; i < rows->n; i++) {
		const struct mig_row *r = &rows->v[i];
		const struct mig_file *f = mig_file_find(m, r->version);

		switch (state_of(f, r)) {
		case DAL_MIGRATION_DIRTY:
			return mig_error(err, DAL_ECONFIG,
			                 "migration %s is dirty: it failed half-way on a backend "
			                 "without transactional DDL; repair the schema by hand, then "
			                 "record the version it is at with `dal migrate stamp N` "
			                 "(dal_migrator_stamp())", f ? f->up : r->name);
		case DAL_MIGRATION_MODIFIED:
			return mig_error(err, DAL_ECONFIG,
			                 "migration %s was modified after it was applied (checksum "
			                 "%.12s..., applied as %.12s...): restore the file, or accept "
			                 "it with `dal migrate stamp N`", f->up, f->checksum,
			                 r->checksum);
		default:
			break;
		}
	}
	return DAL_OK;
}

static void end_run(struct dal_migrator *m, dal_conn *c);

/* Acquire a connection and the lock for up, down and stamp. */
static int begin_run(struct dal_migrator *m, const char *what, dal_conn **c, dal_error *err)
{
	int rc = mig_facts_need(m->repo, &m->sql, what, err);

	*c = NULL;
	if (rc != DAL_OK || (rc = dal_conn_acquire(m->repo, c, err)) != DAL_OK)
		return rc;
	if ((rc = mig_lock(m, *c, err)) != DAL_OK) {
		dal_conn_release(*c);
		*c = NULL;
		return rc;
	}
	/* Under a session lock the table is made once, before any
	 * transaction; under a transaction lock, in each step (step_start). */
	if (m->sql->lock == DAL_SQL_LOCK_SESSION && (rc = mig_table_ensure(*c, 1, err)) != DAL_OK)
		end_run(m, *c);
	return rc;
}

static void end_run(struct dal_migrator *m, dal_conn *c)
{
	mig_unlock(m, c);
	dal_conn_release(c);
}

/* Start one step: transaction (or not), table, fresh rows, clean check. */
static int step_start(struct dal_migrator *m, dal_conn *c, int *in_txn, struct mig_rows *rows,
                      int check, dal_error *err)
{
	int rc = mig_step_begin(m, c, in_txn, err);

	if (rc != DAL_OK)
		return rc;
	if ((m->sql->lock == DAL_SQL_LOCK_SESSION || (rc = mig_table_ensure(c, 0, err)) == DAL_OK) &&
	    (rc = mig_rows_load(c, rows, 0, 0, err)) == DAL_OK && check &&
	    (rc = check_clean(m, rows, err)) != DAL_OK)
		mig_rows_free(rows);
	if (rc != DAL_OK)
		mig_step_end(m, c, *in_txn, 0, NULL);
	return rc;
}

static int blank(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* Run one file. The migrator checksummed the up file when it opened; a
 * file that changed since is not run. */
static int run_file(dal_conn *c, const struct mig_file *f, const char *path, int in_txn,
                    dal_error *err)
{
	char *text, sum[65];
	size_t len;
	int rc = mig_read_file(path, &text, &len, err);

	if (rc != DAL_OK)
		return rc;
	if (path == f->up) {
		mig_sha256_hex(text, len, sum);
		if (strcmp(sum, f->checksum) != 0) {
			free(text);
			return mig_error(err, DAL_ECONFIG, "%s changed while the migrator ran", path);
		}
	}
	if (!blank(text) && (rc = dal_conn_exec(c, text, NULL)) != DAL_OK) {
		mig_conn_fail(c, rc, err, "%s", path);
		if (!in_txn) {
			size_t n = strlen(err->message);
			snprintf(err->message + n, sizeof err->message - n,
			         " [the backend has no transactional DDL: what ran before the "
			         "failing statement stays; " MIG_TABLE " marks version %" PRId64
			         " dirty]", f->version);
		}
	}
	free(text);
	return rc;
}

static int apply_up(dal_conn *c, const struct mig_file *f, int in_txn, dal_error *err)
{
	int64_t t0 = mig_ms();
	int rc;

	/* Without a transaction the row goes first, dirty, so that a failure
	 * half-way is on record. */
	if (!in_txn && (rc = mig_row_insert(c, f, 1, 0, err)) != DAL_OK)
		return rc;
	if ((rc = run_file(c, f, f->up, in_txn, err)) != DAL_OK)
		return rc;
	return in_txn ? mig_row_insert(c, f, 0, mig_ms() - t0, err)
	              : mig_row_finish(c, f->version, mig_ms() - t0, err);
}

static int apply_down(dal_conn *c, const struct mig_file *f, int in_txn, dal_error *err)
{
	int rc;

	if (!in_txn && (rc = mig_row_set_dirty(c, f->version, err)) != DAL_OK)
		return rc;
	if ((rc = run_file(c, f, f->down, in_txn, err)) != DAL_OK)
		return rc;
	return mig_row_delete(c, f->version, 0, err);
}

/* End a step after its migration ran with result rc: roll it back on
 * failure (rc is returned, err keeps the failure), else commit it. */
static int step_finish(struct dal_migrator *m, dal_conn *c, int in_txn, int rc,
                       dal_error *err)
{
	if (rc != DAL_OK) {
		mig_step_end(m, c, in_txn, 0, NULL);
		return rc;
	}
	return mig_step_end(m, c, in_txn, 1, err);
}

/* The argument checks and run start that up and down share: *count (when
 * given) is 0 on every early return; a target of first_target or above
 * must name a migration file (down takes 0 for "revert all", up does
 * not); fn names the API call in a NULL-handle error, what the run. */
static int move_begin(struct dal_migrator *m, const char *fn, const char *what, int64_t to,
                      int64_t first_target, int *count, dal_conn **c, dal_error *err)
{
	if (count)
		*count = 0;
	if (!m)
		return mig_error(err, DAL_EMISUSE, "%s: m is NULL", fn);
	if (to >= first_target && !mig_file_find(m, to))
		return mig_error(err, DAL_EMISUSE, "no migration has version %" PRId64 " in %s", to,
		                 m->dir);
	return begin_run(m, what, c, err);
}

int dal_migrator_up(dal_migrator *m, int64_t to, int *applied, dal_error *err)
{
	dal_error local;
	dal_conn *c;
	int rc, n = 0;

	if (!err)
		err = &local;
	if ((rc = move_begin(m, "dal_migrator_up", "migrate up", to, 0, applied, &c, err)) !=
	    DAL_OK)
		return rc;
	for (;;) {
		const struct mig_file *next = NULL;
		struct mig_rows rows;
		int in_txn;

		if ((rc = step_start(m, c, &in_txn, &rows, 1, err)) != DAL_OK)
			break;
		for (size_t i = 0; i < m->n_files && !next; i++)
			if ((to < 0 || m->files[i].version <= to) &&
			    !mig_row_find(&rows, m->files[i].version))
				next = &m->files[i];
		mig_rows_free(&rows);
		if (!next) {
			rc = mig_step_end(m, c, in_txn, 1, err);
			break;
		}
		if ((rc = step_finish(m, c, in_txn, apply_up(c, next, in_txn, err), err)) != DAL_OK)
			break;
		n++;
		if (m->progress) {
			struct mig_row r = {.version = next->version, .name = next->name};
			memcpy(r.checksum, next->checksum, sizeof r.checksum);
			mig_now(r.applied_at);
			report(m->progress, m->progress_ud, next, &r);
		}
	}
	end_run(m, c);
	if (applied)
		*applied = n;
	return rc;
}

/* The applied rows to revert, newest first, must all have a down file. */
static int check_down_files(const struct dal_migrator *m, const struct mig_rows *rows,
                            int64_t to, dal_error *err)
{
	for (size_t i = rows->n; i-- > 0;) {
		const struct mig_row *r = &rows->v[i];
		const struct mig_file *f = mig_file_find(m, r->version);

		if (to >= 0 && r->version <= to)
			break;
		if (!f)
			return mig_error(err, DAL_ECONFIG,
			                 "cannot revert migration %" PRId64 "_%s: no file of it in %s",
			                 r->version, r->name, m->dir);
		if (!f->down)
			return mig_error(err, DAL_ECONFIG,
			                 "cannot revert migration %s: no down migration (%s/%s.down.sql)",
			                 f->up, m->dir, f->label);
		if (to < 0)
			break;
	}
	return DAL_OK;
}

int dal_migrator_down(dal_migrator *m, int64_t to, int *reverted, dal_error *err)
{
	dal_error local;
	dal_conn *c;
	int rc, n = 0;

	if (!err)
		err = &local;
	if ((rc = move_begin(m, "dal_migrator_down", "migrate down", to, 1, reverted, &c, err)) !=
	    DAL_OK)
		return rc;
	for (;;) {
		const struct mig_file *f;
		struct mig_rows rows;
		int64_t v;
		int in_txn;

		if ((rc = step_start(m, c, &in_txn, &rows, 1, err)) != DAL_OK)
			break;
		if (n == 0 && (rc = check_down_files(m, &rows, to, err)) != DAL_OK) {
			mig_rows_free(&rows);
			mig_step_end(m, c, in_txn, 0, NULL);
			break;
		}
		v = rows.n ? rows.v[rows.n - 1].version : -1;
		mig_rows_free(&rows);
		if (v < 0 || (to >= 0 && v <= to) || (to < 0 && n == 1)) {
			rc = mig_step_end(m, c, in_txn, 1, err);
			break;
		}
		if (!(f = mig_file_find(m, v)) || !f->down) {
			/* Another migrator applied it after our check. */
			mig_step_end(m, c, in_txn, 0, NULL);
			rc = mig_error(err, DAL_ECONFIG, "cannot revert migration %" PRId64 ": %s in %s "
			               "(applied by another migrator while this one ran)", v,
			               f ? "no down file" : "no file of it", m->dir);
			break;
		}
		if ((rc = step_finish(m, c, in_txn, apply_down(c, f, in_txn, err), err)) != DAL_OK)
			break;
		n++;
		report(m->progress, m->progress_ud, f, NULL);
	}
	end_run(m, c);
	if (reverted)
		*reverted = n;
	return rc;
}

int dal_migrator_stamp(dal_migrator *m, int64_t version, dal_error *err)
{
	struct mig_rows rows;
	dal_error local;
	dal_conn *c;
	int rc, in_txn;

	if (!err)
		err = &local;
	if (!m)
		return mig_error(err, DAL_EMISUSE, "dal_migrator_stamp: m is NULL");
	if (version < 0 || (version > 0 && !mig_file_find(m, version)))
		return mig_error(err, DAL_EMISUSE, "no migration has version %" PRId64 " in %s",
		                 version, m->dir);
	if ((rc = begin_run(m, "migrate stamp", &c, err)) != DAL_OK)
		return rc;
	if ((rc = step_start(m, c, &in_txn, &rows, 0, err)) == DAL_OK) {
		rc = mig_row_delete(c, version, 1, err);
		for (size_t i = 0; rc == DAL_OK && i < m->n_files; i++) {
			const struct mig_file *f = &m->files[i];

			if (f->version > version)
				break;
			rc = mig_row_find(&rows, f->version) ? mig_row_restamp(c, f, err)
			                                     : mig_row_insert(c, f, 0, 0, err);
		}
		mig_rows_free(&rows);
		if (rc == DAL_OK)
			rc = mig_step_end(m, c, in_txn, 1, err);
		else
			mig_step_end(m, c, in_txn, 0, NULL);
	}
	end_run(m, c);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Reading: status, history, verify                                          */
/* ------------------------------------------------------------------------ */

static int read_rows(struct dal_migrator *m, struct mig_rows *rows, int by_time, dal_error *err)
{
	dal_conn *c;
	int rc = dal_conn_acquire(m->repo, &c, err);

	if (rc != DAL_OK)
		return rc;
	rc = mig_rows_load(c, rows, 1, by_time, err);
	dal_conn_release(c);
	return rc;
}

/* Files and rows merged in version order: fn gets each; counts problems. */
static void merge(const struct dal_migrator *m, const struct mig_rows *rows, int only_problems,
                  dal_migration_fn fn, void *ud, int *problems, const struct mig_row **first)
{
	size_t i = 0, j = 0;

	*problems = 0;
	*first = NULL;
	while (i < m->n_files || j < rows->n) {
		const struct mig_file *f = i < m->n_files ? &m->files[i] : NULL;
		const struct mig_row *r = j < rows->n ? &rows->v[j] : NULL;
		dal_migration_state st;

		if (f && r && f->version != r->version) {
			if (f->version < r->version)
				r = NULL;
			else
				f = NULL;
		}
		i += f != NULL;
		j += r != NULL;
		st = state_of(f, r);
		if (st >= DAL_MIGRATION_MODIFIED) {
			if (!*first)
				*first = r;
			++*problems;
		} else if (only_problems) {
			continue;
		}
		report(fn, ud, f, r);
	}
}

int dal_migrator_status(dal_migrator *m, dal_migration_fn fn, void *userdata,
                        int64_t *current, int *problems, dal_error *err)
{
	const struct mig_row *first;
	struct mig_rows rows;
	dal_error local;
	int rc, np;

	if (!err)
		err = &local;
	if (!m)
		return mig_error(err, DAL_EMISUSE, "dal_migrator_status: m is NULL");
	if ((rc = read_rows(m, &rows, 0, err)) != DAL_OK)
		return rc;
	merge(m, &rows, 0, fn, userdata, &np, &first);
	if (current)
		*current = rows.n ? rows.v[rows.n - 1].version : 0;
	if (problems)
		*problems = np;
	mig_rows_free(&rows);
	return DAL_OK;
}

int dal_migrator_history(dal_migrator *m, dal_migration_fn fn, void *userdata, dal_error *err)
{
	struct mig_rows rows;
	dal_error local;
	int rc;

	if (!err)
		err = &local;
	if (!m)
		return mig_error(err, DAL_EMISUSE, "dal_migrator_history: m is NULL");
	if ((rc = read_rows(m, &rows, 1, err)) != DAL_OK)
		return rc;
	for (size_t i = 0; i < rows.n; i++)
		report(fn, userdata, mig_file_find(m, rows.v[i].version), &rows.v[i]);
	mig_rows_free(&rows);
	return DAL_OK;
}

int dal_migrator_verify(dal_migrator *m, dal_migration_fn fn, void *userdata, dal_error *err)
{
	const struct mig_row *first;
	struct mig_rows rows;
	dal_error local;
	int rc, np;

	if (!err)
		err = &local;
	if (!m)
		return mig_error(err, DAL_EMISUSE, "dal_migrator_verify: m is NULL");
	if ((rc = read_rows(m, &rows, 0, err)) != DAL_OK)
		return rc;
	merge(m, &rows, 1, fn, userdata, &np, &first);
	if (np) {
		const struct mig_file *f = mig_file_find(m, first->version);
		rc = mig_error(err, DAL_ECONFIG,
		               "%d applied migration(s) do not match %s; first: %" PRId64 "_%s %s",
		               np, m->dir, first->version, first->name,
		               dal_migration_state_name(state_of(f, first)));
	}
	mig_rows_free(&rows);
	return rc;
}
