/*
 * What the migration layer and dal_repo_drop_all() need to know per SQL
 * dialect family, keyed by the dialect the plugin declares
 * (dal_repo_dialect()), never by backend name: a third-party plugin that
 * declares "postgresql" gets the PostgreSQL lock and catalog. Also the
 * locking and per-step transactions built on those facts.
 *
 * Lock names are derived from the database (and on PostgreSQL the schema),
 * so migrators of two databases on one server do not wait for each other.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "migrate_int.h"

static const struct mig_dialect dialects[] = {
	{
		.name = "postgresql",
		.lock = MIG_LOCK_SESSION,
		/* Advisory locks are per database; the schema goes into the key. */
		.try_lock_sql = "SELECT pg_try_advisory_lock(hashtext('dal_migrate:' || "
		                "current_schema()))",
		.unlock_sql = "SELECT pg_advisory_unlock(hashtext('dal_migrate:' || "
		              "current_schema()))",
		.catalog_sql =
			"SELECT CASE table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END, "
			"table_schema, table_name FROM information_schema.tables "
			"WHERE table_schema = current_schema() "
			"AND table_type IN ('BASE TABLE', 'VIEW') "
			"UNION ALL SELECT 'sequence', sequence_schema, sequence_name "
			"FROM information_schema.sequences WHERE sequence_schema = current_schema()",
	},
	{
		.name = "mysql",
		.lock = MIG_LOCK_SESSION,
		/* GET_LOCK names are server-wide and at most 64 characters. */
		.try_lock_sql = "SELECT GET_LOCK(CONCAT('dal_migrate.', MD5(DATABASE())), 0)",
		.unlock_sql = "SELECT RELEASE_LOCK(CONCAT('dal_migrate.', MD5(DATABASE())))",
		.catalog_sql =
			"SELECT CASE table_type WHEN 'VIEW' THEN 'view' WHEN 'SEQUENCE' "
			"THEN 'sequence' ELSE 'table' END, table_schema, table_name "
			"FROM information_schema.tables WHERE table_schema = DATABASE()",
		/* The session's own setting is restored afterwards. */
		.before_drop_sql = "SET @dal_fkc = @@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS = 0",
		.after_drop_sql = "SET FOREIGN_KEY_CHECKS = @dal_fkc",
	},
	{
		.name = "sqlite",
		.lock = MIG_LOCK_TRANSACTION,
		.begin_sql = "BEGIN IMMEDIATE",
		/* BEGIN IMMEDIATE waits busy_timeout (the plugin's option) first. */
		.lock_wait_get_sql = "PRAGMA busy_timeout",
		.lock_wait_set_fmt = "PRAGMA busy_timeout = %u",
		/* main only: attached databases are someone else's. */
		.catalog_sql = "SELECT type, 'main', name FROM main.sqlite_master "
		               "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' "
		               "ESCAPE '\\'",
	},
};

const struct mig_dialect *mig_dialect_of(const dal_repo *repo)
{
	const char *d = dal_repo_dialect(repo);

	for (size_t i = 0; d && i < sizeof dialects / sizeof dialects[0]; i++)
		if (strcmp(d, dialects[i].name) == 0)
			return &dialects[i];
	return NULL;
}

int mig_dialect_need(const dal_repo *repo, const struct mig_dialect **out,
                     const char *what, dal_error *err)
{
	const char *d = dal_repo_dialect(repo);

	if ((*out = mig_dialect_of(repo)))
		return DAL_OK;
	if (!d)
		return mig_error(err, DAL_EUNSUPPORTED,
		                 "%s: backend '%s' declares no SQL dialect (a plugin of ABI 2.0); "
		                 "known dialects: postgresql, mysql, sqlite", what,
		                 dal_repo_backend(repo));
	return mig_error(err, DAL_EUNSUPPORTED,
	                 "%s: backend '%s' declares dialect '%s', which libdal has no "
	                 "lock or catalog queries for (known: postgresql, mysql, sqlite)",
	                 what, dal_repo_backend(repo), d);
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
	int rc = dal_stmt_prepare(c, m->dialect->try_lock_sql, &st);

	if (rc != DAL_OK)
		return mig_conn_fail(c, rc, err, "migration lock");
	rc = dal_stmt_step(st);
	if (rc == DAL_ROW && dal_stmt_column_is_null(st, 0)) {
		/* MySQL's GET_LOCK(NULL): the connection has no current database,
		 * where a migration could not run anyway. */
		rc = mig_error(err, DAL_ECONFIG, "repository '%s': cannot take the migration lock "
		               "(%s gave NULL): no current database?", dal_repo_name(m->repo),
		               m->dialect->try_lock_sql);
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

static int set_wait(struct dal_migrator *m, dal_conn *c, int64_t ms)
{
	char sql[128];

	snprintf(sql, sizeof sql, m->dialect->lock_wait_set_fmt, (unsigned)ms);
	return dal_conn_exec(c, sql, NULL);
}

int mig_lock(struct dal_migrator *m, dal_conn *c, dal_error *err)
{
	int64_t deadline = mig_ms() + m->lock_timeout_ms;
	int rc;

	m->saved_wait = -1;
	if (m->dialect->lock_wait_get_sql) {
		dal_stmt *st;

		if ((rc = dal_stmt_prepare(c, m->dialect->lock_wait_get_sql, &st)) != DAL_OK)
			return mig_conn_fail(c, rc, err, "%s", m->dialect->lock_wait_get_sql);
		if (dal_stmt_step(st) == DAL_ROW)
			m->saved_wait = dal_stmt_column_int64(st, 0);
		dal_stmt_close(st);
		if ((rc = set_wait(m, c, m->lock_timeout_ms)) != DAL_OK)
			return mig_conn_fail(c, rc, err, "setting the lock wait");
	}
	if (m->dialect->lock != MIG_LOCK_SESSION)
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
	if (m->dialect->lock != MIG_LOCK_SESSION)
		return;
	/* Failing to unlock is harmless: the lock ends with the session, and
	 * a connection whose unlock failed is broken and not pooled. */
	if (dal_stmt_prepare(c, m->dialect->unlock_sql, &st) == DAL_OK) {
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
	if (m->dialect->lock == MIG_LOCK_TRANSACTION) {
		int64_t deadline = mig_ms() + m->lock_timeout_ms;

		/* The backend's busy timeout waits first; this loop outlasts a
		 * short one. */
		while ((rc = dal_conn_exec(c, m->dialect->begin_sql, NULL)) == DAL_EBUSY &&
		       mig_ms() < deadline)
			nap_ms(POLL_MS);
		if (rc == DAL_EBUSY)
			return mig_error(err, DAL_EBUSY,
			                 "repository '%s': another migrator holds the database's "
			                 "write lock; gave up after %u ms", dal_repo_name(m->repo),
			                 m->lock_timeout_ms);
		if (rc != DAL_OK)
			return mig_conn_fail(c, rc, err, "%s", m->dialect->begin_sql);
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

/* in_txn: 0 none, 1 dal_conn_begin(), 2 begun with begin_sql. */
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
