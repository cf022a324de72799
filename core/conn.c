/*
 * Connections acquired from a repository's pool, and the calls made on
 * one: ping, exec, transactions, last insert id. Also the one-shot calls on
 * the repository, which acquire and release a connection around one of
 * these. Statements are stmt.c's; the pool is pool.c's.
 *
 * A call that fails with a code meaning the server is gone marks the
 * connection broken: it is then closed on release instead of pooled, and
 * no statement on it is ever re-run by libdal.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "pool.h"

int dal_conn_acquire(dal_repo *r, dal_conn **out, dal_error *err)
{
	dal_error local;

	if (!err)
		err = &local;
	dal_error_clear(err);
	if (!out)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "dal_conn_acquire: out is NULL");
	*out = NULL;
	if (!r)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "dal_conn_acquire: repo is NULL");
	return pool_acquire(r, out, err);
}

void dal_conn_release(dal_conn *c)
{
	if (c)
		pool_release(c);
}

const dal_error *dal_conn_error(const dal_conn *c)
{
	static const dal_error none = {DAL_EMISUSE, "HY000", 0, "connection handle is NULL"};
	return c ? &c->err : &none;
}

dal_repo *dal_conn_repo(const dal_conn *c)
{
	return c ? c->repo : NULL;
}

/* Note a failure: a lost connection is not pooled again. */
static inline int failed(dal_conn *c, int rc)
{
	if (code_loses_connection(rc))
		c->broken = 1;
	return rc;
}

#define CHECK_CONN(c)                    \
	do {                             \
		if (!(c))                \
			return DAL_EMISUSE; \
		(c)->err.code = DAL_OK;  \
	} while (0)

int dal_conn_ping(dal_conn *c, int64_t *latency_ns)
{
	uint64_t t0;
	int rc;

	CHECK_CONN(c);
	t0 = clock_ns();
	rc = c->ops.ping.fn(c->ops.ping.h, &c->err);
	if (latency_ns)
		*latency_ns = (int64_t)(clock_ns() - t0);
	return rc == DAL_OK ? rc : failed(c, rc);
}

int dal_conn_exec(dal_conn *c, const char *sql, int64_t *affected)
{
	int64_t n = 0;
	int rc;

	CHECK_CONN(c);
	if (!sql)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0, "dal_conn_exec: sql is NULL");
	__atomic_store_n(&c->cancel_pending, 0, __ATOMIC_RELAXED);
	if (c->ops.exec.fn) {
		rc = c->ops.exec.fn(c->ops.exec.h, sql, &n, &c->err);
		if (rc != DAL_OK)
			rc = conn_canceled(c, rc, &c->err);
	} else {
		dal_stmt *st;
		rc = dal_stmt_prepare(c, sql, &st);
		if (rc == DAL_OK) {
			while ((rc = dal_stmt_step(st)) == DAL_ROW)
				;
			if (rc == DAL_DONE) {
				rc = DAL_OK;
				n = dal_stmt_rows_affected(st);
			} else {
				error_copy(&c->err, &st->err);
			}
			dal_stmt_close(st);
		}
	}
	if (affected)
		*affected = rc == DAL_OK ? n : 0;
	/* Statements cached on every connection may describe the old schema. */
	if (c->repo->cache_size && stmt_sql_is_ddl(sql, 1))
		stmt_schema_changed(c->repo);
	return rc == DAL_OK ? rc : failed(c, rc);
}

static int unsupported_txn(dal_conn *c)
{
	return dal_error_set(&c->err, DAL_EUNSUPPORTED, NULL, 0,
	                     "backend %s does not support transactions",
	                     dal_repo_backend(c->repo));
}

int dal_conn_begin(dal_conn *c)
{
	int rc;

	CHECK_CONN(c);
	if (!c->ops.begin.fn)
		return unsupported_txn(c);
	if (c->in_txn)
		return dal_error_set(&c->err, DAL_EMISUSE, "25001", 0,
		                     "a transaction is already open on this connection of "
		                     "repository '%s' (nested transactions are not supported)",
		                     c->repo->name);
	__atomic_store_n(&c->cancel_pending, 0, __ATOMIC_RELAXED);
	rc = c->ops.begin.fn(c->ops.begin.h, &c->err);
	if (rc == DAL_OK)
		c->in_txn = 1;
	return rc == DAL_OK ? rc : failed(c, conn_canceled(c, rc, &c->err));
}

static int end_txn(dal_conn *c, int commit)
{
	int rc;

	CHECK_CONN(c);
	if (!(commit ? c->ops.commit.fn : c->ops.rollback.fn))
		return unsupported_txn(c);
	if (!c->in_txn)
		return dal_error_set(&c->err, DAL_EMISUSE, "25000", 0,
		                     "%s without an open transaction on this connection of "
		                     "repository '%s'", commit ? "commit" : "rollback", c->repo->name);
	__atomic_store_n(&c->cancel_pending, 0, __ATOMIC_RELAXED);
	rc = commit ? c->ops.commit.fn(c->ops.commit.h, &c->err)
	            : c->ops.rollback.fn(c->ops.rollback.h, &c->err);
	/* A failed COMMIT ends the transaction on every supported server. */
	c->in_txn = 0;
	return rc == DAL_OK ? rc : failed(c, conn_canceled(c, rc, &c->err));
}

int dal_conn_commit(dal_conn *c)
{
	return end_txn(c, 1);
}

int dal_conn_rollback(dal_conn *c)
{
	return end_txn(c, 0);
}

int dal_conn_last_insert_id(dal_conn *c, int64_t *out)
{
	CHECK_CONN(c);
	if (!out)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
		                     "dal_conn_last_insert_id: out is NULL");
	if (!c->ops.last_insert_id.fn)
		return dal_error_set(&c->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "backend %s has no last insert id; use INSERT ... RETURNING",
		                     dal_repo_backend(c->repo));
	return c->ops.last_insert_id.fn(c->ops.last_insert_id.h, out, &c->err);
}

int dal_conn_cancel(dal_conn *c)
{
	dal_error e;
	int rc;

	if (!c)
		return DAL_EMISUSE;
	if (!c->ops.cancel.fn)
		return DAL_EUNSUPPORTED;
	/* Set first: the interrupted call may return before cancel does. */
	__atomic_store_n(&c->cancel_pending, 1, __ATOMIC_RELEASE);
	rc = c->ops.cancel.fn(c->ops.cancel.h, &e);
	if (rc != DAL_OK)
		dal_log_emit(DAL_LOG_WARN, "%s: cancel failed (%s: %s)", c->repo->name,
		             dal_code_name(rc), e.message);
	return rc;
}

int conn_canceled(dal_conn *c, int rc, dal_error *err)
{
	if (!__atomic_exchange_n(&c->cancel_pending, 0, __ATOMIC_ACQ_REL))
		return rc;
	/* A backend reports a cancel as its own timeout or interrupt. */
	if (rc != DAL_ETIMEOUT && rc != DAL_ECANCELED && rc != DAL_EBACKEND)
		return rc;
	{
		char msg[DAL_ERROR_MESSAGE_SIZE];
		memcpy(msg, err->message, sizeof msg);
		return dal_error_set(err, DAL_ECANCELED, "57014", err->native,
		                     "cancelled by dal_conn_cancel(): %.400s", msg);
	}
}

const char *dal_conn_server_version(const dal_conn *c)
{
	return c && c->ops.server_version.fn ? c->ops.server_version.fn(c->ops.server_version.h)
	                                     : NULL;
}

const char *dal_conn_tls(const dal_conn *c)
{
	return c && c->ops.tls_info.fn ? c->ops.tls_info.fn(c->ops.tls_info.h) : NULL;
}

/* ---- one-shot calls on the repository ----------------------------------- */

int dal_repo_ping(dal_repo *r, int64_t *latency_ns, dal_error *err)
{
	dal_conn *c;
	int rc;

	if ((rc = dal_conn_acquire(r, &c, err)) != DAL_OK)
		return rc;
	if ((rc = dal_conn_ping(c, latency_ns)) != DAL_OK)
		error_copy(err, &c->err);
	dal_conn_release(c);
	return rc;
}

int dal_repo_exec(dal_repo *r, const char *sql, int64_t *affected, dal_error *err)
{
	dal_conn *c;
	int rc;

	if (affected)
		*affected = 0;
	if ((rc = dal_conn_acquire(r, &c, err)) != DAL_OK)
		return rc;
	if ((rc = dal_conn_exec(c, sql, affected)) != DAL_OK)
		error_copy(err, &c->err);
	dal_conn_release(c);
	return rc;
}
