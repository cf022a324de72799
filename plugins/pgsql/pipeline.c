/*
 * backend_pgsql: pipelines (the execute_pipelined slot). The statements go
 * in one pipeline, each followed by its own Sync so that each runs as it
 * would alone (its own implicit transaction; an error ends only its own
 * part of the pipeline), and each one's whole result is kept on its
 * statement (state ST_PRIMED) for its next step() to hand out.
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
#define FLUSH_EVERY 32

struct intake {
	struct dal_bstmt *const *v;
	size_t n;
	size_t cur;   /* the statement whose results come next */
	int have;     /* cur's result was read; its NULL comes next, then Sync */
	int ended;    /* cur's NULL was read; its Sync comes next */
};

/* Read what has arrived without waiting; results go to their statements. */
static void take_ready(struct dal_bconn *c, struct intake *in)
{
	PGresult *r;

	while (in->cur < in->n && !PQisBusy(c->pg)) {
		struct dal_bstmt *s = in->v[in->cur];

		r = PQgetResult(c->pg);
		if (!r) {
			if (!in->have)
				break; /* nothing more has arrived */
			in->have = 0;
			in->ended = 1;
			continue;
		}
		switch (PQresultStatus(r)) {
		case PGRES_PIPELINE_SYNC:
			PQclear(r);
			in->cur++;
			in->have = in->ended = 0;
			continue;
		case PGRES_TUPLES_OK:
			s->affected = pgb_affected_of(r);
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
		if (f == 0 && (!until_done || in->cur == in->n))
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
		    !PQpipelineSync(c->pg)) {
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
