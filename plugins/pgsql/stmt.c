/*
 * backend_pgsql: statements. Prepares (and describes, in the same round
 * trip), executes and steps through results, resets and finalizes;
 * finalized statements are deallocated on the server later, in batches (the
 * "zombies"). Not the encoding of parameters (bind.c), nor the decoding of
 * column values (decode.c).
 *
 * The open-result rule (pgsql_int.h) is kept here: a streamed result holds
 * the connection (conn->active) until it is read to the end, reset or
 * finalized.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgsql_int.h"

/* Deallocations of finalized statements are batched: sent together once
 * this many are pending (server-side statements die with the session). */
#define ZOMBIE_BATCH 32

/* Rows per streamed result in libpq's chunked mode (libpq 17 and later):
 * few enough that memory stays small with large rows, enough that libpq's
 * cost per result is spread thin. */
#define CHUNK_ROWS 64

/* ------------------------------------------------------------------------ */
/* The open-result rule                                                      */
/* ------------------------------------------------------------------------ */

/* Read and drop every result still due for the command in flight, so that
 * the connection takes commands again. */
static void drain(struct dal_bconn *c)
{
	PGresult *r;

	while ((r = PQgetResult(c->pg)))
		PQclear(r);
	c->active = NULL;
}

/* Append "DEALLOCATE name;" at *(char **)ud and free the name. */
static void dealloc_sql(void *name, void *ud)
{
	char **p = ud;

	*p += sprintf(*p, "DEALLOCATE %s;", (const char *)name);
	free(name);
}

/*
 * Send the pending DEALLOCATEs, only outside a transaction: inside one, a
 * failure (say the application ran DISCARD ALL) would abort the
 * application's transaction.
 */
static void flush_zombies(struct dal_bconn *c, size_t threshold)
{
	char *sql, *p;
	size_t size = 1;
	PGresult *r;

	if (c->zombies.n < threshold || c->active ||
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		return;
	for (size_t i = 0; i < c->zombies.n; i++)
		size += strlen(c->zombies.items[i]) + 13;
	if (!(p = sql = malloc(size)))
		return; /* kept for the next flush */
	/* The names are dropped whatever the outcome: on failure, retrying
	 * would fail the same way, and the session's end frees them in any
	 * case. */
	dal_defer_drain(&c->zombies, dealloc_sql, &p);
	r = PQexec(c->pg, sql);
	free(sql);
	PQclear(r);
}

/* Queue a statement name for deallocation. On out of memory the server-side
 * statement simply lives until the session ends. */
static void add_zombie(struct dal_bconn *c, const char *name)
{
	char *copy = strdup(name);

	if (copy && dal_defer_push(&c->zombies, copy) != DAL_OK)
		free(copy);
}

/* Rows changed by a finished command, per its command tag: SELECT (and
 * other row-returning commands that change nothing) count 0. */
int64_t pgb_affected_of(const PGresult *r)
{
	const char *tag = PQcmdStatus((PGresult *)r), *n;
	int64_t v = 0;

	/* Run on every execution, hence no strncmp and strtoll. Of the tags
	 * that carry a count (INSERT, UPDATE, DELETE, MERGE, COPY, SELECT,
	 * FETCH, MOVE), those starting S, F or MO are the row-returning ones;
	 * other tags starting so carry none (SET, SHOW...). The count is all
	 * digits (PQcmdTuples checks). */
	if (!tag || tag[0] == 'S' || tag[0] == 'F' || (tag[0] == 'M' && tag[1] == 'O'))
		return 0;
	n = PQcmdTuples((PGresult *)r);
	for (; n && *n >= '0' && *n <= '9'; n++)
		v = v * 10 + (*n - '0');
	return v;
}

/* ------------------------------------------------------------------------ */
/* Prepare and finalize                                                      */
/* ------------------------------------------------------------------------ */

static void stmt_free(struct dal_bstmt *s)
{
	for (unsigned i = 0; s->params && i < s->nparams; i++)
		free(s->params[i].data);
	free(s->params);
	free(s->values);
	free(s->lengths);
	free(s->formats);
	free(s->ptypes);
	free(s->kinds);
	free(s->names);
	free(s->decoded);
	free(s->copy);
	free(s->copy_table);
	PQclear(s->res);
	free(s);
}

/*
 * PQgetResult for the pipeline of prepare_describe(). libpq 15 waits
 * forever when it cannot allocate the result of a pipeline's Sync: it keeps
 * waiting for input after it has read the message (fe-protocol3.c, 'Z').
 * So it is not left to wait once it has said "out of memory": NULL, and
 * *stuck set. (The poll is bounded: bytes a TLS layer holds do not show on
 * the socket.)
 */
static PGresult *pipeline_result(PGconn *pg, int *stuck)
{
	while (PQisBusy(pg) && PQstatus(pg) == CONNECTION_OK) {
		struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};

		if (strstr(PQerrorMessage(pg), "out of memory")) {
			*stuck = 1;
			return NULL;
		}
		if (poll(&p, 1, 1000) < 0 && errno != EINTR)
			break;
		if (!PQconsumeInput(pg))
			break;
	}
	return PQgetResult(pg);
}

/* Leave pipeline mode after a failure: have the server skip what was
 * queued (the Sync, unless sync_sent) and read everything up to it. Best
 * effort: if this fails too, the connection stays in pipeline mode, and
 * pgb_alive() refuses it from then on (the core then drops it). */
static void pipeline_abandon(struct dal_bconn *c, int sync_sent)
{
	PGresult *r;
	int nulls = 0, stuck = 0;

	if (PQexitPipelineMode(c->pg) || PQstatus(c->pg) != CONNECTION_OK)
		return;
	if (!sync_sent && !PQpipelineSync(c->pg))
		return;
	while (nulls < 3 && !stuck && PQstatus(c->pg) == CONNECTION_OK) {
		if (!(r = pipeline_result(c->pg, &stuck))) {
			nulls++;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		PQclear(r);
	}
	PQexitPipelineMode(c->pg);
}

/*
 * Prepare and describe in one round trip. Returns the describe result in
 * *desc, or an error (the prepare's, if it failed). Neither changes
 * anything but the session's own statements: a connection lost after
 * sending is DAL_ECONNECT, safe to retry.
 */
static int prepare_describe(struct dal_bconn *c, const char *name,
                            const char *sql, PGresult **desc, dal_error *err)
{
	PGresult *got[2] = {NULL, NULL}, *r;
	int n = 0, nulls = 0, rc = DAL_OK, synced = 0, stuck = 0;

	*desc = NULL;
	/* flush_zombies() may just have found the connection gone. */
	if (PQstatus(c->pg) != CONNECTION_OK || !PQenterPipelineMode(c->pg))
		return pgb_not_sent(c, err, "prepare");
	if (!PQsendPrepare(c->pg, name, sql, 0, NULL) ||
	    !PQsendDescribePrepared(c->pg, name) || !PQpipelineSync(c->pg)) {
		rc = pgb_not_sent(c, err, "prepare");
		pipeline_abandon(c, 0);
		return rc;
	}
	/* Results: prepare, NULL, describe, NULL, sync. */
	while (!synced) {
		if (!(r = pipeline_result(c->pg, &stuck))) {
			if (stuck || ++nulls > 2 || PQstatus(c->pg) != CONNECTION_OK)
				break;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			synced = 1;
			PQclear(r);
		} else if (n < 2) {
			got[n++] = r;
		} else {
			PQclear(r);
		}
	}
	if (got[0] && PQresultStatus(got[0]) != PGRES_COMMAND_OK)
		rc = pgb_report_result(err, c, got[0], 0, "prepare");
	else if (got[1] && PQresultStatus(got[1]) != PGRES_COMMAND_OK)
		rc = pgb_report_result(err, c, got[1], 0, "prepare (describe)");
	else if (!got[0] || !got[1] || !synced)
		rc = pgb_no_result(c, 0, err, "prepare");
	if (synced)
		PQexitPipelineMode(c->pg);
	else if (!stuck)
		pipeline_abandon(c, 1);
	PQclear(got[0]);
	if (rc == DAL_OK)
		*desc = got[1];
	else
		PQclear(got[1]);
	return rc;
}

int pgb_prepare(dal_bconn *c, const char *sql, size_t len,
                unsigned nparams, dal_bstmt **out, dal_error *err)
{
	struct dal_bstmt *s;
	PGresult *d = NULL;
	char *text;
	int rc, binary_ok = 1;

	if (c->active)
		return pgb_busy(err, "prepare");
	if (memchr(sql, '\0', len))
		return dal_error_set(err, DAL_ESYNTAX, "42601", 0,
		                     "prepare: the SQL contains a NUL byte");
	/* Beyond the limit the server's count of parameters wraps around in
	 * the protocol's 16 bits, and libpq takes the answer for garbage: say
	 * so before sending anything. */
	if (nparams > PGB_MAX_PARAMS)
		return dal_error_set(err, DAL_EDATA, "54000", 0,
		                     "prepare: the statement has %u parameters; PostgreSQL "
		                     "takes at most %u in one statement (program limit "
		                     "exceeded)", nparams, PGB_MAX_PARAMS);
	if ((rc = pgb_alive(c, err, "prepare")))
		return rc;
	flush_zombies(c, ZOMBIE_BATCH);
	if (!(s = calloc(1, sizeof *s)))
		return pgb_oom(err, "prepare");
	s->conn = c;
	snprintf(s->name, sizeof s->name, "dal_%lu", ++c->counter);
	if (!(text = strndup(sql, len))) {
		free(s);
		return pgb_oom(err, "prepare");
	}
	rc = prepare_describe(c, s->name, text, &d, err);
	free(text);
	if (rc) {
		free(s);
		return rc;
	}
	if ((unsigned)PQnparams(d) != nparams) {
		rc = dal_error_set(err, DAL_EMISUSE, "07001", 0,
		                   "prepare: the server sees %d parameter(s) where %u were "
		                   "expected", PQnparams(d), nparams);
		goto fail_server;
	}
	s->nparams = nparams;
	if (nparams) {
		s->params = calloc(nparams, sizeof *s->params);
		s->values = calloc(nparams, sizeof *s->values);
		s->lengths = calloc(nparams, sizeof *s->lengths);
		s->formats = calloc(nparams, sizeof *s->formats);
		s->ptypes = calloc(nparams, sizeof *s->ptypes);
		if (!s->params || !s->values || !s->lengths || !s->formats || !s->ptypes) {
			rc = pgb_oom(err, "prepare");
			goto fail_server;
		}
		/* Unbound parameters are NULL (value NULL), as elsewhere. */
		for (unsigned i = 0; i < nparams; i++)
			s->ptypes[i] = PQparamtype(d, (int)i);
	}
	s->ncols = (unsigned)PQnfields(d);
	if (s->ncols) {
		s->kinds = calloc(s->ncols, sizeof *s->kinds);
		s->decoded = calloc(s->ncols, sizeof *s->decoded);
		if (!s->kinds || !s->decoded || pgb_copy_names(s, d)) {
			rc = pgb_oom(err, "prepare");
			goto fail_server;
		}
		for (unsigned i = 0; i < s->ncols; i++)
			s->kinds[i] = pgb_kind_of(PQftype(d, (int)i), &binary_ok);
	}
	s->binary = binary_ok;
	PQclear(d);
	/* Out of memory here only costs the COPY path. */
	if (!s->ncols)
		s->copy = pgb_copy_sql(sql, len, nparams, &s->copy_table);
	s->state = ST_READY;
	*out = s;
	return DAL_OK;
fail_server:
	/* The statement exists on the server: have it deallocated. */
	add_zombie(c, s->name);
	PQclear(d);
	stmt_free(s);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Execution                                                                 */
/* ------------------------------------------------------------------------ */

/* Forget the current row's result. */
static void drop_res(struct dal_bstmt *s)
{
	PQclear(s->res);
	s->res = NULL;
	s->row = s->nrows = 0;
}

/*
 * Take the next result off the wire and act on it: a row, the end of the
 * rows, a command's completion, or an error. Streaming only (and the first
 * result of a buffered execution).
 */
static int next_result(struct dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	PGresult *r;
	int rc;

	drop_res(s);
	if (!(r = PQgetResult(c->pg))) {
		c->active = NULL;
		s->state = ST_DONE;
		return DAL_DONE;
	}
	switch (PQresultStatus(r)) {
	case PGRES_SINGLE_TUPLE:
		s->res = r;
		s->nrows = 1;
		s->rowgen++;
		s->state = ST_ROW;
		return DAL_ROW;
#ifdef LIBPQ_HAS_CHUNK_MODE
	case PGRES_TUPLES_CHUNK: /* never empty */
		s->res = r;
		s->nrows = PQntuples(r);
		s->rowgen++;
		s->state = ST_ROW;
		return DAL_ROW;
#endif
	case PGRES_TUPLES_OK:
		if (PQntuples(r) > 0) { /* buffered: the whole result */
			s->affected = pgb_affected_of(r);
			s->res = r;
			s->nrows = PQntuples(r);
			s->rowgen++;
			drain(c);
			s->state = ST_ROW;
			return DAL_ROW;
		}
		/* The end of a streamed result, or no rows. */
		__attribute__((fallthrough));
	case PGRES_COMMAND_OK:
	case PGRES_EMPTY_QUERY:
		s->affected = pgb_affected_of(r);
		PQclear(r);
		drain(c);
		s->state = ST_DONE;
		return DAL_DONE;
	default:
		/* A statement may change anything: lost now, its outcome is
		 * unknown. */
		rc = pgb_report_result(err, c, r, 1, "step");
		PQclear(r);
		drain(c);
		s->state = ST_FAILED;
		return rc;
	}
}

/*
 * Have the result streamed. Single-row mode costs libpq a PGresult, with
 * its allocations and a copy of the column descriptions, per row; where
 * libpq has it, chunked mode spreads that over CHUNK_ROWS rows, and memory
 * stays bounded by one chunk instead of one row. (A chunk is handed over
 * when full, so rows the server produces slowly arrive in bursts.)
 */
static void stream_rows(PGconn *pg)
{
#ifdef LIBPQ_HAS_CHUNK_MODE
	if (PQsetChunkedRowsMode(pg, CHUNK_ROWS))
		return;
#endif
	PQsetSingleRowMode(pg);
}

static int execute(struct dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	int rc;

	if (c->active)
		return pgb_busy(err, "step");
	drop_res(s);
	s->affected = 0;
	if ((rc = pgb_alive(c, err, "step")) == DAL_OK &&
	    !PQsendQueryPrepared(c->pg, s->name, (int)s->nparams, s->values, s->lengths,
	                         s->formats, s->binary))
		rc = pgb_not_sent(c, err, "step");
	if (rc) {
		s->state = ST_FAILED;
		return rc;
	}
	c->active = s;
	/* The mode must be chosen right after sending. Statements without
	 * result columns have nothing to stream. */
	if (!c->buffered && s->ncols)
		stream_rows(c->pg);
	return next_result(s, err);
}

int pgb_step(dal_bstmt *s, dal_error *err)
{
	switch (s->state) {
	case ST_DONE:
		return DAL_DONE;
	case ST_FAILED:
		return dal_error_set(err, DAL_EMISUSE, "HY010", 0,
		                     "step: the last execution failed; reset the statement "
		                     "before stepping again");
	case ST_READY:
		return execute(s, err);
	case ST_PRIMED:
		/* Executed in a pipeline: its result is here already. */
		if (s->perr.code) {
			s->state = ST_FAILED;
			*err = s->perr;
			return s->perr.code;
		}
		if (s->nrows > 0) {
			s->row = 0;
			s->rowgen++;
			s->state = ST_ROW;
			return DAL_ROW;
		}
		drop_res(s);
		s->state = ST_DONE;
		return DAL_DONE;
	case ST_ROW:
		break;
	}
	/* Walk the rows held in res: a whole buffered result, one streamed
	 * row, or a streamed chunk. */
	if (++s->row < s->nrows) {
		s->rowgen++;
		return DAL_ROW;
	}
	if (s->conn->active == s)
		return next_result(s, err);
	drop_res(s);
	s->state = ST_DONE;
	return DAL_DONE;
}

int pgb_reset(dal_bstmt *s, dal_error *err)
{
	(void)err;
	drop_res(s);
	/* Unread rows of a streamed result are read off the wire and
	 * dropped: the protocol has no cheaper way to skip them that keeps
	 * the connection. */
	if (s->conn->active == s)
		drain(s->conn);
	s->state = ST_READY;
	return DAL_OK;
}

void pgb_finalize(dal_bstmt *s)
{
	struct dal_bconn *c;

	if (!s)
		return;
	c = s->conn;
	drop_res(s);
	if (c->active == s)
		drain(c);
	/* Deallocated later, in a batch (see flush_zombies). */
	add_zombie(c, s->name);
	stmt_free(s);
}

int64_t pgb_rows_affected(dal_bstmt *s)
{
	return s->affected;
}
