/*
 * dal_repo_transact(): an application's unit of work in a transaction,
 * retried as a whole when the failure means "try again".
 *
 * What is retried: DAL_EBUSY anywhere (deadlock, serialization failure,
 * Galera certification conflict: the server rolled back), DAL_ECONNECT
 * anywhere (the request was not sent: an uncommitted transaction died with
 * the connection), and before the commit DAL_ETIMEOUT (lock wait timeout)
 * and DAL_EOUTCOME (lost after a statement was sent: still uncommitted),
 * each time on a freshly acquired connection after a backoff with full
 * jitter. A connection lost after the commit was sent, or a commit that
 * timed out, leaves the outcome unknown; that is DAL_EOUTCOME, reported and
 * not retried, because applying the unit twice is worse than asking.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define FIRST_DELAY_MS 10

enum stage { ST_BEGIN, ST_BODY, ST_COMMIT };

static int retryable(int rc, enum stage st)
{
	if (rc == DAL_EBUSY)
		return 1; /* the server rolled the transaction back */
	if (rc == DAL_ECONNECT)
		return 1; /* not sent (a commit too): nothing was applied */
	/* Before the commit, a lost connection takes the uncommitted
	 * transaction with it: whether or not the last request was sent
	 * (DAL_ECONNECT, DAL_EOUTCOME), nothing of the unit was applied. */
	return (rc == DAL_ETIMEOUT || rc == DAL_EOUTCOME) && st != ST_COMMIT;
}

/* One attempt on a fresh connection (ro: for read-only work, route.c);
 * *stage says how far it got. */
static int attempt(dal_repo *r, int ro, dal_txn_fn fn, void *ud, enum stage *stage,
                   dal_error *err)
{
	dal_conn *c;
	int rc;

	*stage = ST_BEGIN;
	if ((rc = ro ? dal_conn_acquire_ro(r, &c, err) : dal_conn_acquire(r, &c, err)) != DAL_OK)
		return rc;
	if ((rc = dal_conn_begin(c)) != DAL_OK) {
		error_copy(err, &c->err);
		dal_conn_release(c);
		return rc;
	}
	*stage = ST_BODY;
	dal_error_clear(&c->err);
	rc = fn(c, ud);
	if (rc != DAL_OK) {
		if (rc > 0)
			rc = dal_error_set(err, DAL_EMISUSE, NULL, 0,
			                   "transaction body returned %d, not DAL_OK or an error", rc);
		else if (c->err.code == rc)
			error_copy(err, &c->err);
		else
			dal_error_set(err, rc, NULL, 0, "the transaction body failed with %s",
			              dal_code_name(rc));
		if (c->in_txn)
			dal_conn_rollback(c); /* a failure here marks c broken */
		dal_conn_release(c);
		return rc;
	}
	if (savepoint_units(c)) {
		/* Committing now would end the innermost unit, not the
		 * transaction: the body broke the nesting. Nothing is kept. */
		rc = dal_error_set(err, DAL_EMISUSE, NULL, 0,
		                   "repository '%s': the transaction body returned with %u nested "
		                   "unit(s) still open (each dal_conn_begin() needs its commit or "
		                   "rollback); rolled back", r->name, savepoint_units(c));
		dal_conn_release(c); /* rolls the whole transaction back */
		return rc;
	}
	*stage = ST_COMMIT;
	rc = dal_conn_commit(c);
	if (rc != DAL_OK) {
		error_copy(err, &c->err);
		/* Lost after the commit was sent, or no answer in time: the
		 * server may have committed. (DAL_ECONNECT says it was not
		 * sent: the transaction died with the connection; retried.) */
		if (rc == DAL_EOUTCOME || rc == DAL_ETIMEOUT) {
			char msg[DAL_ERROR_MESSAGE_SIZE];
			memcpy(msg, err->message, sizeof msg);
			dal_error_set(err, DAL_EOUTCOME, "08007", 0,
			              "repository '%s': the connection was lost (or timed out) while "
			              "the commit was in flight; the transaction may or may not be "
			              "committed (%.300s)", r->name, msg);
			rc = DAL_EOUTCOME;
		}
	}
	dal_conn_release(c);
	return rc;
}

static int transact(dal_repo *r, int ro, dal_txn_fn fn, void *ud, dal_error *err)
{
	dal_error local;
	unsigned attempts;
	enum stage st;
	int rc;

	if (!err)
		err = &local;
	dal_error_clear(err);
	if (!r || !fn)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "%s: %s is NULL",
		                     ro ? "dal_repo_transact_ro" : "dal_repo_transact",
		                     !r ? "repo" : "fn");
	attempts = r->settings->max_retries + 1;
	for (unsigned a = 1;; a++) {
		unsigned ms;

		rc = attempt(r, ro, fn, ud, &st, err);
		if (rc == DAL_OK)
			return DAL_OK;
		if (!retryable(rc, st) || a >= attempts)
			return rc;
		ms = backoff_ms(FIRST_DELAY_MS, r->settings->retry_max_delay_ms, a);
		dal_log_emit(DAL_LOG_INFO, "%s: transaction attempt %u of %u failed (%s: %s); "
		             "retrying in %u ms", r->name, a, attempts, dal_code_name(rc),
		             err->message, ms);
		sleep_ms(ms);
	}
}

int dal_repo_transact(dal_repo *r, dal_txn_fn fn, void *ud, dal_error *err)
{
	return transact(r, 0, fn, ud, err);
}

int dal_repo_transact_ro(dal_repo *r, dal_txn_fn fn, void *ud, dal_error *err)
{
	return transact(r, 1, fn, ud, err);
}
