/*
 * dal_copy_run() and dal_copy_checksum(): the copy of a repository's tables
 * into another, table by table, with its state in the target's
 * dal_copy_state table, and the verification at the end. The rows
 * themselves are moved by copy_rows.c; catalogs and DDL are
 * copy_schema.c's, checksums copy_sum.c's. Public API only.
 *
 * The state (one row per table in the target; docs/copy.md):
 *   table_name   the table
 *   source       the source repository's name and backend, for people
 *   last_key     the primary key of the last row committed (encoded by
 *                copy_key_encode()), NULL before the first batch and when
 *                done
 *   rows_copied  rows committed so far
 *   done         1 once the last batch is committed
 * It is written in the same transaction as the rows it describes.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copy_run.h"

/* ------------------------------------------------------------------------ */
/* Progress                                                                  */
/* ------------------------------------------------------------------------ */

void copy_report(struct copy_run *run, dal_copy_event ev, const char *table,
                 unsigned index, int64_t done, int64_t run_rows, uint64_t start_ns)
{
	dal_copy_progress p;

	if (!run->progress)
		return;
	memset(&p, 0, sizeof p);
	p.event = ev;
	p.table = table;
	p.table_index = index;
	p.n_tables = run->n_tables;
	p.rows_total = run->rows_total;
	p.rows_done = done;
	p.rows_run = run_rows;
	p.elapsed_ns = start_ns ? copy_now_ns() - start_ns : 0;
	run->progress(&p, run->userdata);
}

/* ------------------------------------------------------------------------ */
/* The state table                                                           */
/* ------------------------------------------------------------------------ */

static int target_has(struct copy_run *run, const char *table, int *has, dal_error *err);

static int state_create(struct copy_run *run, dal_error *err)
{
	const char *suffix = copy_facts(run->to)->create_table_suffix;
	char sql[512];
	int rc, has;

	/* Looked up first: CREATE TABLE IF NOT EXISTS makes PostgreSQL log a
	 * notice on every run. */
	if ((rc = target_has(run, DAL_COPY_STATE_TABLE, &has, err)) != DAL_OK || has)
		return rc;
	snprintf(sql, sizeof sql,
	         "CREATE TABLE IF NOT EXISTS " DAL_COPY_STATE_TABLE " ("
	         "table_name VARCHAR(255) NOT NULL PRIMARY KEY, source VARCHAR(255), "
	         "last_key TEXT, rows_copied BIGINT NOT NULL, done INTEGER NOT NULL)%s",
	         suffix ? suffix : "");
	if (dal_conn_exec(run->dst, sql, NULL) != DAL_OK)
		return copy_err_from(err, dal_conn_error(run->dst), "copy: creating %s in %s",
		                     DAL_COPY_STATE_TABLE, dal_repo_name(run->to));
	return DAL_OK;
}

struct state {
	int found, done;
	int64_t rows;
	char *key; /* malloc'd, or NULL */
};

static int state_load(struct copy_run *run, const char *table, struct state *s,
                      dal_error *err)
{
	dal_stmt *st;
	int rc;

	memset(s, 0, sizeof *s);
	if (dal_stmt_prepare(run->dst, "SELECT last_key, rows_copied, done FROM "
	                     DAL_COPY_STATE_TABLE " WHERE table_name = ?", &st) != DAL_OK)
		return copy_err_from(err, dal_conn_error(run->dst), "copy: reading %s",
		                     DAL_COPY_STATE_TABLE);
	/* A bind that failed would read the state of no table. */
	if ((rc = dal_stmt_bind_text(st, 1, table, -1)) == DAL_OK)
		rc = dal_stmt_step(st);
	if (rc == DAL_ROW) {
		const char *key = dal_stmt_column_text(st, 0, NULL);

		s->found = 1;
		s->rows = dal_stmt_column_int64(st, 1);
		s->done = dal_stmt_column_int64(st, 2) != 0;
		if (key && !(s->key = strdup(key))) {
			dal_stmt_close(st);
			return copy_err(err, DAL_ENOMEM, "copy: out of memory");
		}
		rc = DAL_OK;
	} else if (rc == DAL_DONE) {
		rc = DAL_OK;
	} else {
		rc = copy_err_from(err, dal_stmt_error(st), "copy: reading %s",
		                   DAL_COPY_STATE_TABLE);
	}
	dal_stmt_close(st);
	return rc;
}

static int state_insert(struct copy_run *run, const char *table, dal_error *err)
{
	char source[256];
	dal_stmt *st;
	int rc;

	snprintf(source, sizeof source, "%s (%s)", dal_repo_name(run->from),
	         dal_repo_backend(run->from));
	if (dal_stmt_prepare(run->dst, "INSERT INTO " DAL_COPY_STATE_TABLE
	                     " (table_name, source, last_key, rows_copied, done) "
	                     "VALUES (?, ?, NULL, 0, 0)", &st) != DAL_OK)
		return copy_err_from(err, dal_conn_error(run->dst), "copy: writing %s",
		                     DAL_COPY_STATE_TABLE);
	if ((rc = dal_stmt_bind_text(st, 1, table, -1)) == DAL_OK &&
	    (rc = dal_stmt_bind_text(st, 2, source, -1)) == DAL_OK)
		rc = dal_stmt_step(st);
	rc = rc == DAL_DONE ? DAL_OK
	                    : copy_err_from(err, dal_stmt_error(st), "copy: writing %s",
	                                    DAL_COPY_STATE_TABLE);
	dal_stmt_close(st);
	return rc;
}

int copy_state_update(struct copy_run *run, const char *table, const char *key,
                      int64_t rows, int done, dal_error *err)
{
	dal_stmt *st;
	int rc;

	if (dal_stmt_prepare(run->dst, "UPDATE " DAL_COPY_STATE_TABLE " SET last_key = ?, "
	                     "rows_copied = ?, done = ? WHERE table_name = ?", &st) != DAL_OK)
		return copy_err_from(err, dal_conn_error(run->dst), "copy: writing %s",
		                     DAL_COPY_STATE_TABLE);
	/* A bind that failed would record a wrong state (a NULL key: resume
	 * from the start) or none. */
	rc = key ? dal_stmt_bind_text(st, 1, key, -1) : dal_stmt_bind_null(st, 1);
	if (rc == DAL_OK && (rc = dal_stmt_bind_int64(st, 2, rows)) == DAL_OK &&
	    (rc = dal_stmt_bind_int64(st, 3, done)) == DAL_OK &&
	    (rc = dal_stmt_bind_text(st, 4, table, -1)) == DAL_OK)
		rc = dal_stmt_step(st);
	rc = rc == DAL_DONE ? DAL_OK
	                    : copy_err_from(err, dal_stmt_error(st), "copy: table %s: "
	                                    "writing %s", table, DAL_COPY_STATE_TABLE);
	dal_stmt_close(st);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* One table                                                                 */
/* ------------------------------------------------------------------------ */

static int count_rows(dal_conn *c, const char *table, int64_t *n, dal_error *err)
{
	struct strbuf sql = { 0 };
	dal_stmt *st;
	int rc;

	sb_puts(&sql, "SELECT COUNT(*) FROM ");
	copy_quote(&sql, dal_repo_ident_quote(dal_conn_repo(c)), table);
	if (sql.failed)
		return copy_err(err, DAL_ENOMEM, "copy: out of memory");
	rc = dal_stmt_prepare(c, sql.data, &st);
	sb_free(&sql);
	if (rc != DAL_OK)
		return copy_err_from(err, dal_conn_error(c), "copy: counting the rows of %s "
		                     "in %s", table, dal_repo_name(dal_conn_repo(c)));
	rc = dal_stmt_step(st);
	if (rc == DAL_ROW) {
		*n = dal_stmt_column_int64(st, 0);
		rc = DAL_OK;
	} else {
		rc = copy_err_from(err, dal_stmt_error(st), "copy: counting the rows of %s in %s",
		                   table, dal_repo_name(dal_conn_repo(c)));
	}
	dal_stmt_close(st);
	return rc;
}

static int delete_rows(dal_conn *c, const char *table, dal_error *err)
{
	struct strbuf sql = { 0 };
	int rc = DAL_OK;

	sb_puts(&sql, "DELETE FROM ");
	copy_quote(&sql, dal_repo_ident_quote(dal_conn_repo(c)), table);
	if (sql.failed)
		return copy_err(err, DAL_ENOMEM, "copy: out of memory");
	if (dal_conn_exec(c, sql.data, NULL) != DAL_OK)
		rc = copy_err_from(err, dal_conn_error(c), "copy: table %s: emptying the "
		                   "target to restart it (no primary key to resume by)", table);
	sb_free(&sql);
	return rc;
}

/* Does the target have the table? */
static int target_has(struct copy_run *run, const char *table, int *has, dal_error *err)
{
	struct copy_table t;
	dal_error e = { 0 };
	int rc = copy_describe(run->dst, table, &t, &e);

	if (rc == DAL_OK) {
		copy_table_free(&t);
		*has = 1;
		return DAL_OK;
	}
	if (rc == DAL_ENOTFOUND) {
		*has = 0;
		return DAL_OK;
	}
	*err = e;
	return rc;
}

static int copy_table(struct copy_run *run, const char *name, unsigned index,
                      dal_copy_result *res, dal_error *err)
{
	struct copy_table t;
	struct state s;
	int rc, has;
	int64_t n;

	run->rows_total = -1;
	run->rows_done = 0;
	run->resume_key = NULL;
	run->rows_run = 0;
	if ((rc = copy_describe(run->src, name, &t, err)) != DAL_OK)
		return rc;
	if ((rc = state_load(run, name, &s, err)) != DAL_OK)
		goto out;
	if (s.found && s.done) {
		run->rows_total = s.rows;
		copy_report(run, DAL_COPY_TABLE_SKIP, name, index, s.rows, 0, 0);
		res->tables_skipped++;
		goto out;
	}
	if (s.found && !run->resume_flag) {
		rc = copy_err(err, DAL_EMISUSE, "copy: the copy of table %s into %s was "
		              "interrupted after %lld rows; run it again with --resume "
		              "to continue", name, dal_repo_name(run->to), (long long)s.rows);
		goto out;
	}
	if ((rc = target_has(run, name, &has, err)) != DAL_OK)
		goto out;
	if (!has) {
		if ((rc = copy_create(run->dst, &t, err)) != DAL_OK)
			goto out;
		res->tables_created++;
		if (s.found) {
			free(s.key);
			s.key = NULL;
			s.rows = 0;
		}
	} else if (!s.found || t.npk == 0) {
		if ((rc = count_rows(run->dst, name, &n, err)) != DAL_OK)
			goto out;
		if (!s.found && n > 0) {
			rc = copy_err(err, DAL_ECONSTRAINT, "copy: table %s in %s already has "
			              "%lld rows that no copy recorded in %s; refusing to add "
			              "to them (empty or drop it first)", name,
			              dal_repo_name(run->to), (long long)n, DAL_COPY_STATE_TABLE);
			goto out;
		}
		if (s.found && n > 0 && (rc = delete_rows(run->dst, name, err)) != DAL_OK)
			goto out;
		s.rows = 0;
		free(s.key);
		s.key = NULL;
	} else {
		/* Resuming by key: the target must hold exactly what the state
		 * says, or the copy would skip or duplicate rows. */
		if ((rc = count_rows(run->dst, name, &n, err)) != DAL_OK)
			goto out;
		if (n != s.rows) {
			rc = copy_err(err, DAL_ECONSTRAINT, "copy: table %s in %s has %lld rows "
			              "but %s records %lld committed; refusing to resume "
			              "(empty the table and delete its row in %s to start "
			              "over)", name, dal_repo_name(run->to), (long long)n,
			              DAL_COPY_STATE_TABLE, (long long)s.rows,
			              DAL_COPY_STATE_TABLE);
			goto out;
		}
	}
	if (!s.found && (rc = state_insert(run, name, err)) != DAL_OK)
		goto out;
	if ((rc = count_rows(run->src, name, &n, err)) != DAL_OK)
		goto out;
	run->rows_total = n;
	run->rows_done = s.rows;
	run->resume_key = s.key;
	rc = copy_rows(run, &t, index, err);
	res->rows_copied += run->rows_run;
	if (rc == DAL_OK)
		res->tables_copied++;
out:
	free(s.key);
	copy_table_free(&t);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Verification                                                              */
/* ------------------------------------------------------------------------ */

static int checksum(dal_conn *c, const char *table, int64_t *rows, uint64_t *sum,
                    dal_error *err)
{
	struct copy_table t;
	int rc = copy_describe(c, table, &t, err);

	if (rc != DAL_OK)
		return rc;
	rc = copy_table_sum(c, &t, rows, sum, err);
	copy_table_free(&t);
	return rc;
}

static int verify(struct copy_run *run, char **tables, size_t n, dal_copy_result *res,
                  dal_error *err)
{
	struct strbuf bad = { 0 };
	int rc;

	for (size_t k = 0; k < n; k++) {
		dal_copy_progress p = { .event = DAL_COPY_VERIFY, .table = tables[k],
		                        .table_index = (unsigned)k, .n_tables = run->n_tables };
		uint64_t start = copy_now_ns();

		if ((rc = checksum(run->src, tables[k], &p.source_rows, &p.source_sum, err)) ||
		    (rc = checksum(run->dst, tables[k], &p.target_rows, &p.target_sum, err))) {
			sb_free(&bad);
			return rc;
		}
		p.rows_total = p.source_rows;
		p.rows_done = p.target_rows;
		p.match = p.source_rows == p.target_rows && p.source_sum == p.target_sum;
		p.elapsed_ns = copy_now_ns() - start;
		if (!p.match) {
			res->mismatches++;
			sb_printf(&bad, "%s%.64s (rows %lld/%lld)", bad.len ? ", " : "",
			          tables[k], (long long)p.source_rows, (long long)p.target_rows);
		}
		if (run->progress)
			run->progress(&p, run->userdata);
	}
	if (res->mismatches) {
		rc = copy_err(err, DAL_EDATA, "copy: verification failed for %u table%s "
		              "(source/target rows): %s", res->mismatches,
		              res->mismatches == 1 ? "" : "s", bad.failed ? "?" : bad.data);
		sb_free(&bad);
		return rc;
	}
	return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                              */
/* ------------------------------------------------------------------------ */

static int table_list(struct copy_run *run, const dal_copy_options *opt, char ***out,
                      size_t *n, dal_error *err)
{
	char **names;
	size_t k = 0;

	if (!opt->tables)
		return copy_list_tables(run->src, out, n, err);
	while (opt->tables[k])
		k++;
	if (!(names = calloc(k + 1, sizeof *names)))
		return copy_err(err, DAL_ENOMEM, "copy: out of memory");
	for (size_t i = 0; i < k; i++) {
		if (!opt->tables[i][0] || strcmp(opt->tables[i], DAL_COPY_STATE_TABLE) == 0) {
			copy_names_free(names);
			return copy_err(err, DAL_EMISUSE, "copy: '%s' is not a table to copy",
			                opt->tables[i]);
		}
		if (!(names[i] = strdup(opt->tables[i]))) {
			copy_names_free(names);
			return copy_err(err, DAL_ENOMEM, "copy: out of memory");
		}
	}
	*out = names;
	*n = k;
	return DAL_OK;
}

int dal_copy_run(dal_repo *from, dal_repo *to, const dal_copy_options *opt,
                 dal_copy_result *result, dal_error *err)
{
	static const dal_copy_options defaults;
	struct copy_run run = { .from = from, .to = to };
	dal_copy_result res = { 0 };
	char **tables = NULL;
	size_t n = 0;
	int rc;

	if (!opt)
		opt = &defaults;
	if (result)
		memset(result, 0, sizeof *result);
	if (!from || !to || from == to) {
		return copy_err(err, DAL_EMISUSE, "dal_copy_run: %s", from && from == to
		                ? "the source and the target are the same repository"
		                : "a repository is NULL");
	}
	if (opt->batch_rows > DAL_COPY_MAX_BATCH)
		return copy_err(err, DAL_EMISUSE, "copy: batch of %u rows is more than the "
		                "%u allowed", opt->batch_rows, DAL_COPY_MAX_BATCH);
	run.batch = opt->batch_rows ? opt->batch_rows : DAL_COPY_DEFAULT_BATCH;
	run.resume_flag = opt->resume != 0;
	run.progress = opt->progress;
	run.userdata = opt->userdata;

	if (opt->backup_path && (rc = dal_repo_backup(from, opt->backup_path, err)) != DAL_OK)
		return rc;
	if ((rc = dal_conn_acquire(from, &run.src, err)) != DAL_OK)
		return rc;
	if ((rc = dal_conn_acquire(to, &run.dst, err)) != DAL_OK)
		goto out;
	if ((rc = state_create(&run, err)) != DAL_OK)
		goto out;
	if ((rc = table_list(&run, opt, &tables, &n, err)) != DAL_OK)
		goto out;
	run.n_tables = (unsigned)n;
	res.tables = (unsigned)n;
	for (size_t k = 0; k < n; k++)
		if ((rc = copy_table(&run, tables[k], (unsigned)k, &res, err)) != DAL_OK)
			goto out;
	res.already_complete = n > 0 && res.tables_skipped == n;
	if (!opt->no_verify)
		rc = verify(&run, tables, n, &res, err);
out:
	copy_names_free(tables);
	dal_conn_release(run.src);
	dal_conn_release(run.dst);
	if (result)
		*result = res;
	return rc;
}

int dal_copy_checksum(dal_repo *repo, const char *table, int64_t *rows, uint64_t *sum,
                      dal_error *err)
{
	dal_conn *c;
	int rc;

	if (!repo || !table || !rows || !sum)
		return copy_err(err, DAL_EMISUSE, "dal_copy_checksum: a NULL argument");
	if ((rc = dal_conn_acquire(repo, &c, err)) != DAL_OK)
		return rc;
	rc = checksum(c, table, rows, sum, err);
	dal_conn_release(c);
	return rc;
}
