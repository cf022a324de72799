/*
 * The migration lock and per-step transactions, built on the SQL facts the
 * repository's plugin declares (<dal/dialect.h>: lock, try_lock, unlock,
 * lock_begin, lock_wait_get/set), never on its name: a third-party plugin
 * that declares a lock gets migrations. One that declares none is refused
 * with DAL_EUNSUPPORTED naming the missing member.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "migrate_int.h"

int mig_facts_need(const dal_repo *repo, const struct dal_sql_facts **out, const char *what,
                   dal_error *err)
{
	const struct dal_sql_facts *f = dal_repo_sql_facts(repo);
	const char *missing = NULL;
	char need[160];

	*out = NULL;
	if (!f || f->lock == DAL_SQL_LOCK_NONE)
		missing = "lock";
	else if (f->lock == DAL_SQL_LOCK_SESSION && !f->try_lock)
		missing = "try_lock";
	else if (f->lock == DAL_SQL_LOCK_SESSION && !f->unlock)
		missing = "unlock";
	else if (f->lock == DAL_SQL_LOCK_TRANSACTION && !f->lock_begin)
		missing = "lock_begin";
	else if (!f->lock_wait_get != !f->lock_wait_set)
		missing = f->lock_wait_get ? "lock_wait_set" : "lock_wait_get";
	if (missing) {
		snprintf(need, sizeof need, "%s: migrations need a lock", what);
		return dal_repo_sql_unsupported(repo, need, missing, err);
	}
	*out = f;
	return DAL_OK;
}

static void nap_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

#define POLL_MS 100

/* One try: 1 taken, 0 held by someone else, or a negative code. */
static int try_lock(struct dal_migrator *m, dal_conn *c, dal_error *err)
{
	dal_stmt *st;
	int rc = dal_stmt_prepare(c, m->sql->try_lock, &st);

	if (rc != DAL_OK)
		return mig_conn_fail(c, rc, err, "migration lock");
	rc = dal_stmt_step(st);
	if (rc == DAL_ROW && dal_stmt_column_is_null(st, 0)) {
		/* MySQL's GET_LOCK(NULL): the connection has no current database,
		 * where a migration could not run anyway. */
		rc = mig_error(err, DAL_ECONFIG, "repository '%s': cannot take the migration lock "
		               "(%s gave NULL): no current database?", dal_repo_name(m->repo),
		               m->sql->try_lock);
	} else if (rc == DAL_ROW) {
		rc = dal_stmt_column_int64(st, 0) == 1;
	} else {
		if (rc == DAL_DONE)
			rc = mig_error(err, DAL_EBACKEND, "migration lock: no result");
		else
			rc = mig_error(err, rc, "migration lock: %s", dal_stmt_error(st)->message);
	}
	dal_stmt_close(st);
	return rc;
}

/* sql->lock_wait_set with {ms} replaced. */
static int set_wait(struct dal_migrator *m, dal_conn *c, int64_t ms)
{
	const char *t = m->sql->lock_wait_set, *at = strstr(t, "{ms}");
	char sql[512];

	if (at)
		snprintf(sql, sizeof sql, "%.*s%u%s", (int)(at - t), t, (unsigned)ms, at + 4);
	else
		snprintf(sql, sizeof sql, "%s", t);
	return dal_conn_exec(c, sql, NULL);
}

int mig_lock(struct dal_migrator *m, dal_conn *c, dal_error *err)
{
	int64_t deadline = mig_ms() + m->lock_timeout_ms;
	int rc;

	m->saved_wait = -1;
	if (m->sql->lock_wait_get) {
		dal_stmt *st;

		if ((rc = dal_stmt_prepare(c, m->sql->lock_wait_get, &st)) != DAL_OK)
			return mig_conn_fail(c, rc, err, "%s", m->sql->lock_wait_get);
		/* Without the wait read, the migrator's would stay on the
		 * connection after it: refuse instead. */
		if ((rc = dal_stmt_step(st)) == DAL_ROW)
			m->saved_wait = dal_stmt_column_int64(st, 0);
		else if (rc < 0)
			rc = mig_stmt_fail(st, rc, err, "%s", m->sql->lock_wait_get);
		dal_stmt_close(st);
		if (rc < 0)
			return rc;
		if ((rc = set_wait(m, c, m->lock_timeout_ms)) != DAL_OK)
			return mig_conn_fail(c, rc, err, "setting the lock wait");
	}
	if (m->sql->lock != DAL_SQL_LOCK_SESSION)
		return DAL_OK;
	while ((rc = try_lock(m, c, err)) == 0) {
		if (mig_ms() >= deadline)
			return mig_error(err, DAL_EBUSY,
			                 "repository '%s': another migrator holds the migration "
			                 "lock; gave up after %u ms", dal_repo_name(m->repo),
			                 m->lock_timeout_ms);
		nap_ms(POLL_MS);
	}
	return rc == 1 ? DAL_OK : rc;
}

void mig_unlock(struct dal_migrator *m, dal_conn *c)
{
	dal_stmt *st;

	if (m->saved_wait >= 0)
		set_wait(m, c, m->saved_wait);
	if (m->sql->lock != DAL_SQL_LOCK_SESSION)
		return;
	/* Failing to unlock is harmless: the lock ends with the session, and
	 * a connection whose unlock failed is broken and not pooled. */
	if (dal_stmt_prepare(c, m->sql->unlock, &st) == DAL_OK) {
		while (dal_stmt_step(st) == DAL_ROW)
			;
		dal_stmt_close(st);
	}
}

int mig_step_begin(struct dal_migrator *m, dal_conn *c, int *in_txn, dal_error *err)
{
	unsigned caps = dal_repo_capabilities(m->repo);
	int rc;

	*in_txn = 0;
	if (m->sql->lock == DAL_SQL_LOCK_TRANSACTION) {
		int64_t deadline = mig_ms() + m->lock_timeout_ms;

		/* The backend's busy timeout waits first; this loop outlasts a
		 * short one. */
		while ((rc = dal_conn_exec(c, m->sql->lock_begin, NULL)) == DAL_EBUSY &&
		       mig_ms() < deadline)
			nap_ms(POLL_MS);
		if (rc == DAL_EBUSY)
			return mig_error(err, DAL_EBUSY,
			                 "repository '%s': another migrator holds the database's "
			                 "write lock; gave up after %u ms", dal_repo_name(m->repo),
			                 m->lock_timeout_ms);
		if (rc != DAL_OK)
			return mig_conn_fail(c, rc, err, "%s", m->sql->lock_begin);
		*in_txn = 2;
		return DAL_OK;
	}
	if ((caps & DAL_CAP_TRANSACTIONAL_DDL) && (caps & DAL_CAP_TRANSACTIONS)) {
		if ((rc = dal_conn_begin(c)) != DAL_OK)
			return mig_conn_fail(c, rc, err, "begin");
		*in_txn = 1;
	}
	return DAL_OK;
}

/* in_txn: 0 none, 1 dal_conn_begin(), 2 begun with sql->lock_begin. */
int mig_step_end(struct dal_migrator *m, dal_conn *c, int in_txn, int commit, dal_error *err)
{
	int rc = DAL_OK;

	(void)m;
	if (in_txn == 1)
		rc = commit ? dal_conn_commit(c) : dal_conn_rollback(c);
	else if (in_txn == 2)
		rc = dal_conn_exec(c, commit ? "COMMIT" : "ROLLBACK", NULL);
	if (rc != DAL_OK && commit)
		return mig_conn_fail(c, rc, err, "commit");
	return DAL_OK;
}
