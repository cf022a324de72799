/*
 * backend_pgsql: batches (the execute_batch slot). Every row is one
 * Bind/Execute of the prepared statement, all of them in one pipeline
 * (libpq's pipeline mode) closed by one Sync: the rows cost one round trip
 * in all, not one each. With autocommit (no transaction open) the pipeline
 * is its own implicit transaction up to the Sync: all or nothing without
 * a BEGIN or COMMIT round trip; else the core has opened a transaction (or
 * savepoint) around the call.
 *
 * Sending never waits for the server while results pile up: the connection
 * is nonblocking for the call, and every FLUSH_EVERY rows the output is
 * flushed while the results that have arrived are read, so neither side's
 * socket buffers can fill up and stall both (a blocking pipeline of many
 * rows can deadlock that way). The first failing row is known from the
 * order of the results; the server skips the rest of the pipeline up to
 * the Sync.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>

#include "pgsql_int.h"

/* Rows between two flushes. Each costs one send() and one recv() at most;
 * 64 rows of a typical insert are a few KiB. */
#define FLUSH_EVERY 64

struct progress {
	size_t done;        /* results read to the end: BEGIN's (first), then rows' */
	size_t first;       /* 1 when the pipeline starts with BEGIN, else 0 */
	size_t nsent;       /* rows sent; SIZE_MAX while still sending */
	int have;           /* the current row's result was read; a NULL ends it */
	int failed;
	int synced;         /* the Sync's result arrived */
	size_t failed_row;
	int rc;             /* the first failure */
	int64_t affected;
};

static void fail(struct progress *p, size_t row, int rc)
{
	if (!p->failed) {
		p->failed = 1;
		p->failed_row = row;
		p->rc = rc;
	}
}

/* Read the results that have arrived, without waiting. */
static void read_ready(struct dal_bconn *c, struct progress *p, dal_error *err)
{
	PGresult *r;

	while (!p->synced && !PQisBusy(c->pg)) {
		if (!(r = PQgetResult(c->pg))) {
			if (!p->have)
				break; /* nothing more has arrived */
			p->have = 0;
			p->done++;
			continue;
		}
		switch (PQresultStatus(r)) {
		case PGRES_PIPELINE_SYNC:
			p->synced = 1;
			break;
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			p->have = 1;
			p->affected += pgb_affected_of(r);
			break;
		case PGRES_PIPELINE_ABORTED: /* skipped after the failure */
			p->have = 1;
			break;
		default:
			p->have = 1;
			/* Which row: none for BEGIN's or COMMIT's result. An
			 * earlier row than a value refused before sending
			 * (fail() below) failed on the server: it is the first. */
			{
				size_t row = p->done < p->first || p->done - p->first >= p->nsent
				                     ? DAL_BATCH_ROW_UNKNOWN
				                     : p->done - p->first;
				if (!p->failed || row < p->failed_row) {
					p->failed = 0;
					fail(p, row, pgb_report_result(err, c, r, 1, "batch"));
				}
			}
			break;
		}
		PQclear(r);
	}
}

/*
 * Flush the output while reading what arrives. Returns when everything is
 * flushed (and, with until_sync, the Sync's result read), or DAL_EOUTCOME
 * when the connection is lost: rows were sent, the outcome is unknown.
 */
static int pump(struct dal_bconn *c, struct progress *p, int until_sync, dal_error *err)
{
	for (;;) {
		int f = PQflush(c->pg);
		struct pollfd pf = {.fd = PQsocket(c->pg), .events = POLLIN};

		if (f < 0 || !PQconsumeInput(c->pg))
			return pgb_lost(c, NULL, 1, err, "batch");
		read_ready(c, p, err);
		if (f == 0 && (!until_sync || p->synced))
			return DAL_OK;
		if (f)
			pf.events |= POLLOUT;
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			return pgb_lost(c, NULL, 1, err, "batch");
	}
}

int pgb_execute_batch(dal_bstmt *s, struct dal_batch *b, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	struct progress p = {.nsent = SIZE_MAX};
	dal_value small[16], *vals = small;
	int rc = DAL_OK;

	if (c->active)
		return pgb_busy(err, "batch");
	if ((rc = pgb_alive(c, err, "batch")))
		return rc;
	if (b->npos > 16 && !(vals = malloc(b->npos * sizeof *vals)))
		return pgb_oom(err, "batch");
	/* A plain INSERT: one COPY (atomic by itself), when its rows allow. */
	if (s->copy && (rc = pgb_copy_batch(s, b, vals, err)) != 1)
		goto out;
	rc = DAL_OK;
	if (PQsetnonblocking(c->pg, 1) != 0 || !PQenterPipelineMode(c->pg)) {
		rc = pgb_not_sent(c, err, "batch");
		PQsetnonblocking(c->pg, 0);
		goto out;
	}
	/* autocommit: BEGIN and COMMIT travel in the pipeline. (Without them
	 * the pipeline would be one implicit transaction too, but a row
	 * refused before sending could not undo the rows sent before it.) */
	if (b->autocommit) {
		if (!PQsendQueryParams(c->pg, "BEGIN", 0, NULL, NULL, NULL, NULL, 0)) {
			rc = pgb_not_sent(c, err, "batch (BEGIN)");
			fail(&p, DAL_BATCH_ROW_UNKNOWN, rc);
		}
		p.first = 1;
	}
	for (size_t r = 0; r < b->nrows && !p.failed; r++) {
		b->row(b, r, vals);
		for (unsigned i = 0; i < b->npos; i++)
			if ((rc = pgb_bind(s, i + 1, &vals[i], err)) != DAL_OK)
				break;
		if (rc != DAL_OK) {
			/* A value the server cannot take (text with a NUL):
			 * this row fails, the rows sent before are undone by
			 * the core. */
			fail(&p, r, rc);
			break;
		}
		if (!PQsendQueryPrepared(c->pg, s->name, (int)s->nparams, s->values, s->lengths,
		                         s->formats, s->binary)) {
			rc = r ? pgb_lost(c, NULL, 1, err, "batch") : pgb_not_sent(c, err, "batch");
			fail(&p, DAL_BATCH_ROW_UNKNOWN, rc);
			break;
		}
		p.nsent = r + 1;
		if ((r + 1) % FLUSH_EVERY == 0 && (rc = pump(c, &p, 0, err)) != DAL_OK) {
			fail(&p, DAL_BATCH_ROW_UNKNOWN, rc);
			goto lost;
		}
	}
	if (p.nsent == SIZE_MAX)
		p.nsent = 0;
	if (b->autocommit &&
	    !PQsendQueryParams(c->pg, p.failed ? "ROLLBACK" : "COMMIT", 0, NULL, NULL, NULL, NULL,
	                       0)) {
		fail(&p, DAL_BATCH_ROW_UNKNOWN, pgb_lost(c, NULL, 1, err, "batch (COMMIT)"));
		goto lost;
	}
	if (!PQpipelineSync(c->pg)) {
		fail(&p, DAL_BATCH_ROW_UNKNOWN, pgb_lost(c, NULL, 1, err, "batch"));
		goto lost;
	}
	if ((rc = pump(c, &p, 1, err)) != DAL_OK) {
		fail(&p, DAL_BATCH_ROW_UNKNOWN, rc);
		goto lost;
	}
	PQexitPipelineMode(c->pg);
	PQsetnonblocking(c->pg, 0);
	/* A row failed on the server after our BEGIN: the transaction is
	 * aborted and the COMMIT was skipped; end it. */
	if (b->autocommit && p.failed && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	rc = p.failed ? p.rc : DAL_OK;
	b->failed_row = p.failed ? p.failed_row : DAL_BATCH_ROW_UNKNOWN;
	b->affected = p.affected;
	goto out;
lost:
	/* The connection is gone (the core drops it): leave libpq's modes as
	 * they are. */
	rc = p.rc;
	b->failed_row = DAL_BATCH_ROW_UNKNOWN;
out:
	if (vals != small)
		free(vals);
	s->state = ST_READY;
	return rc;
}
