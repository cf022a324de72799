/*
 * backend_pgsql: pipelines (the execute_pipelined slot). The statements go
 * in one pipeline closed by one Sync, and each one's whole result is kept
 * on its statement (state ST_PRIMED) for its next step() to hand out.
 *
 * One Sync, not one per statement: a Sync makes the server flush its
 * output and answer ReadyForQuery, and a Sync per statement cost about
 * five times the raw pipeline's time for 100 point selects (bench/
 * RESULTS.md). So, as in any libpq pipeline with one Sync, the statements
 * form one transaction when none is open, and after a failure the server
 * skips the rest: they report 25P02 ("not run").
 *
 * As for batches (batch.c), the connection is nonblocking while sending,
 * and what arrives is read while the output is flushed, so that large
 * results cannot stall both sides.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "pgsql_int.h"

/* Statements between two flushes. */
#define FLUSH_EVERY 1024

struct intake {
	struct dal_bstmt *const *v;
	size_t n;
	size_t cur;   /* the statement whose results come next */
	int have;     /* cur's result was read; its NULL comes next */
	int synced;   /* the Sync's result arrived: all is read */
};

/* Copy the one row of single-row result from into row `row` of dst;
 * nonzero when out of memory. */
static int append_row(PGresult *dst, int row, const PGresult *from)
{
	for (int k = 0; k < PQnfields(from); k++) {
		int null = PQgetisnull(from, 0, k);

		if (!PQsetvalue(dst, row, k, null ? NULL : PQgetvalue(from, 0, k),
		                null ? -1 : PQgetlength(from, 0, k)))
			return -1;
	}
	return 0;
}

/* Read what has arrived without waiting; results go to their statements. */
static void take_ready(struct dal_bconn *c, struct intake *in)
{
	PGresult *r;

	while (!in->synced && !PQisBusy(c->pg)) {
		struct dal_bstmt *s = in->v[in->cur < in->n ? in->cur : in->n - 1];

		r = PQgetResult(c->pg);
		if (!r) {
			if (!in->have)
				break; /* nothing more has arrived */
			in->have = 0;
			in->cur++;
			continue;
		}
		switch (PQresultStatus(r)) {
		case PGRES_PIPELINE_SYNC:
			PQclear(r);
			in->synced = 1;
			continue;
		case PGRES_PIPELINE_ABORTED:
			dal_error_set(&s->perr, DAL_EBACKEND, "25P02", 0,
			              "step: not run: an earlier statement of the same "
			              "dal_conn_pipeline() failed, which ended the pipeline's "
			              "transaction");
			PQclear(r);
			break;
		case PGRES_SINGLE_TUPLE:
			/* libpq 15 keeps single-row mode set by the last
			 * streamed query for the first command of a pipeline
			 * (it resets the mode only when a query is sent outside
			 * one): its rows come one result each. Gather them. */
			if (!s->res) {
				s->res = r;
				s->nrows = 1;
			} else {
				if (append_row(s->res, s->nrows, r))
					pgb_oom(&s->perr, "step");
				else
					s->nrows++;
				PQclear(r);
			}
			in->have = 1;
			continue;
		case PGRES_TUPLES_OK:
			s->affected = pgb_affected_of(r);
			if (s->res) { /* the end of gathered single rows */
				PQclear(r);
				break;
			}
			s->res = r;
			s->nrows = PQntuples(r);
			break;
		case PGRES_COMMAND_OK:
		case PGRES_EMPTY_QUERY:
			s->affected = pgb_affected_of(r);
			PQclear(r);
			break;
		default:
			pgb_report_result(&s->perr, c, r, 1, "step");
			PQclear(r);
			break;
		}
		in->have = 1;
	}
}

static int pump(struct dal_bconn *c, struct intake *in, int until_done, dal_error *err)
{
	for (;;) {
		int f = PQflush(c->pg);
		struct pollfd pf = {.fd = PQsocket(c->pg), .events = POLLIN};

		if (f < 0 || !PQconsumeInput(c->pg))
			return pgb_lost(c, NULL, 1, err, "pipeline");
		take_ready(c, in);
		if (f == 0 && (!until_done || in->synced))
			return DAL_OK;
		if (f)
			pf.events |= POLLOUT;
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			return pgb_lost(c, NULL, 1, err, "pipeline");
	}
}

int pgb_execute_pipelined(dal_bstmt *const *v, size_t n, dal_error *err)
{
	struct dal_bconn *c = v[0]->conn;
	struct intake in = {v, n, 0, 0, 0};

	int rc;

	if (c->active)
		return pgb_busy(err, "pipeline");
	if ((rc = pgb_alive(c, err, "pipeline")))
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct dal_bstmt *s = v[i];

		PQclear(s->res);
		s->res = NULL;
		s->row = s->nrows = 0;
		s->affected = 0;
		dal_error_clear(&s->perr);
		s->state = ST_PRIMED;
	}
	if (PQsetnonblocking(c->pg, 1) != 0 || !PQenterPipelineMode(c->pg)) {
		rc = pgb_not_sent(c, err, "pipeline");
		PQsetnonblocking(c->pg, 0);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		struct dal_bstmt *s = v[i];

		if (!PQsendQueryPrepared(c->pg, s->name, (int)s->nparams, s->values, s->lengths,
		                         s->formats, s->binary) ||
		    (i + 1 == n && !PQpipelineSync(c->pg))) {
			rc = i ? pgb_lost(c, NULL, 1, err, "pipeline")
			       : pgb_not_sent(c, err, "pipeline");
			goto fail;
		}
		if ((i + 1) % FLUSH_EVERY == 0 && (rc = pump(c, &in, 0, err)) != DAL_OK)
			goto fail;
	}
	if ((rc = pump(c, &in, 1, err)) != DAL_OK)
		goto fail;
	PQexitPipelineMode(c->pg);
	PQsetnonblocking(c->pg, 0);
	return DAL_OK;
fail:
	/* Lost or refused: no statement has a result to give. */
	for (size_t i = 0; i < n; i++) {
		PQclear(v[i]->res);
		v[i]->res = NULL;
		v[i]->nrows = 0;
		v[i]->state = ST_READY;
	}
	return rc;
}
