/*
 * backend_mysql: prepared statements. Preparing, binding parameters,
 * executing and stepping, reset and finalize, and the open-result rule that
 * keeps the connection in step with the server. How result columns are
 * bound, and rows fetched and decoded, is decode.c's.
 *
 * Results are streamed by default: rows stay on the wire until fetched. The
 * MySQL protocol then allows no other command on the connection until the
 * result is read to the end or discarded, so while one statement has an
 * unfinished streamed result every other use of the connection is refused
 * with DAL_EMISUSE (rather than the connector's "Commands out of sync"), and
 * closing another statement is deferred until the connection is free. The
 * option `buffered = on` reads every result whole instead.
 *
 * Parameters are bound to the connector once: it keeps a copy of the
 * MYSQL_BIND array but reads the values (buffer contents, length, is_null)
 * through its pointers at every execute, so a new value is written in place.
 * mysql_stmt_bind_param() is called again only when a parameter's type or
 * buffer address changes, which also makes the connector resend the types.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <errmsg.h>

#include "mysql_int.h"

/* ------------------------------------------------------------------------ */
/* The open-result rule                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Discard what is left of s's result, and any further result sets (a CALL
 * returns one per SELECT plus a status), so that the connection can take the
 * next command. Reads the unread rows off the wire when streaming.
 */
int my_discard_result(struct dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	int rc = DAL_OK;

	if (mysql_stmt_free_result(s->st) && mysql_stmt_errno(s->st))
		rc = my_report_stmt(err, s, MY_RESULT, "reset");
	while (rc == DAL_OK && mysql_stmt_more_results(s->st)) {
		if (mysql_stmt_next_result(s->st) > 0) {
			rc = my_report_stmt(err, s, MY_RESULT, "reset (next result)");
			break;
		}
		mysql_stmt_free_result(s->st);
	}
	s->has_result = 0;
	if (c->active == s)
		my_release_active(c);
	return rc;
}

void my_close_zombie(void *st, void *unused)
{
	(void)unused;
	mysql_stmt_close(st);
}

/* ------------------------------------------------------------------------ */
/* Preparing                                                                */
/* ------------------------------------------------------------------------ */

static void stmt_free(struct dal_bstmt *s)
{
	for (unsigned i = 0; s->cols && i < s->ncols; i++) {
		free(s->cols[i].inl);
		free(s->cols[i].big);
	}
	for (unsigned i = 0; s->params && i < s->nparams; i++)
		free(s->params[i].data);
	free(s->cols);
	free(s->cells);
	free(s->rbind);
	free(s->perrow);
	free(s->params);
	free(s->pbind);
	free(s->names);
	free(s);
}

int my_prepare(dal_bconn *c, const char *sql, size_t len,
               unsigned nparams, dal_bstmt **out, dal_error *err)
{
	struct dal_bstmt *s;
	unsigned n;
	int rc;

	if (c->active)
		return my_busy(err, "prepare");
	if (!(s = calloc(1, sizeof *s)))
		return my_oom(err, "prepare");
	s->conn = c;
	if (!(s->st = mysql_stmt_init(c->my))) {
		free(s);
		return my_oom(err, "prepare");
	}
	/* Preparing changes nothing on the server that a retry could repeat:
	 * lost at any point, it is DAL_ECONNECT. */
	if (mysql_stmt_prepare(s->st, sql, len)) {
		rc = my_report_stmt(err, s, MY_NO_EFFECT, "prepare");
		goto fail;
	}
	n = mysql_stmt_param_count(s->st);
	if (n != nparams) {
		rc = dal_error_set(err, DAL_EMISUSE, "07001", 0,
		                   "prepare: the server sees %u parameter(s) where %u were "
		                   "expected", n, nparams);
		goto fail;
	}
	s->nparams = nparams;
	if (nparams) {
		s->params = calloc(nparams, sizeof *s->params);
		s->pbind = calloc(nparams, sizeof *s->pbind);
		if (!s->params || !s->pbind) {
			rc = my_oom(err, "prepare");
			goto fail;
		}
		/* Unbound parameters are NULL, as on the other backends. The
		 * length and is_null pointers never change. */
		for (unsigned i = 0; i < nparams; i++) {
			s->pbind[i].buffer_type = MYSQL_TYPE_NULL;
			s->pbind[i].is_null = &s->params[i].is_null;
			s->pbind[i].length = &s->params[i].length;
			s->params[i].is_null = 1;
		}
		s->pdirty = 1;
	}

	s->ncols = mysql_stmt_field_count(s->st);
	if (s->ncols) {
		MYSQL_FIELD *f = mariadb_stmt_fetch_fields(s->st);

		s->cols = calloc(s->ncols, sizeof *s->cols);
		s->cells = calloc(s->ncols, sizeof *s->cells);
		s->rbind = calloc(s->ncols, sizeof *s->rbind);
		s->perrow = calloc(s->ncols, sizeof *s->perrow);
		if (!f || !s->cols || !s->cells || !s->rbind || !s->perrow || my_copy_names(s, f)) {
			rc = my_oom(err, "prepare");
			goto fail;
		}
		for (unsigned i = 0; i < s->ncols; i++)
			if (my_bind_column(s, i, &f[i])) {
				rc = my_oom(err, "prepare");
				goto fail;
			}
		my_list_perrow(s);
		if (mysql_stmt_bind_result(s->st, s->rbind)) {
			rc = my_report_stmt(err, s, MY_NO_EFFECT,
			                    "prepare (binding result columns)");
			goto fail;
		}
	}
	s->state = ST_READY;
	*out = s;
	return DAL_OK;
fail:
	mysql_stmt_close(s->st);
	stmt_free(s);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Parameters                                                               */
/* ------------------------------------------------------------------------ */

/* Copy len bytes into the parameter's own buffer. The buffer grows at
 * least twofold, so that values creeping up in size move it (and cost a
 * mysql_stmt_bind_param()) only a logarithmic number of times. */
static int param_copy(struct param *pm, const void *ptr, size_t len)
{
	if (len > ULONG_MAX)
		return -1;
	if (len > pm->cap || !pm->data) {
		size_t cap = pm->cap > SIZE_MAX / 2 ? SIZE_MAX : 2 * pm->cap;
		char *d;

		if (cap < len)
			cap = len;
		if (cap < 64)
			cap = 64;
		/* realloc, not free + malloc: on failure the connector's copy
		 * of the binding must still point at live memory. */
		if (!(d = realloc(pm->data, cap)))
			return -1;
		pm->data = d;
		pm->cap = cap;
	}
	if (len)
		memcpy(pm->data, ptr, len);
	pm->length = (unsigned long)len;
	return 0;
}

/* Point parameter pos's binding at buf with the given type, noting whether
 * the connector must be told (see the top of the file). A new binding after
 * DONE or FAILED starts a new execution. */
static inline int set_binding(struct dal_bstmt *s, MYSQL_BIND *b,
                              enum enum_field_types type, void *buf)
{
	if (b->buffer_type != type || b->buffer != buf) {
		b->buffer_type = type;
		b->buffer = buf;
		s->pdirty = 1;
	}
	s->state = ST_READY;
	return DAL_OK;
}

/* Text and blob values, kept out of my_bind() so that binding a number
 * calls nothing. */
static NOINLINE int bind_bytes(struct dal_bstmt *s, unsigned pos,
                               const dal_value *v, dal_error *err)
{
	struct param *pm = &s->params[pos - 1];

	if (param_copy(pm, v->u.b.ptr, v->u.b.len))
		return my_oom(err, "bind");
	pm->is_null = 0;
	return set_binding(s, &s->pbind[pos - 1],
	                   v->type == DAL_TYPE_TEXT ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB,
	                   pm->data);
}

int my_bind(dal_bstmt *s, unsigned pos, const dal_value *v, dal_error *err)
{
	struct param *pm;
	enum enum_field_types type;

	if (pos < 1 || pos > s->nparams)
		return dal_error_set(err, DAL_EMISUSE, "07009", CR_INVALID_PARAMETER_NO,
		                     "bind: parameter %u is out of range (the statement "
		                     "has %u)", pos, s->nparams);
	if (s->state == ST_ROW)
		return dal_error_set(err, DAL_EMISUSE, "HY010", 0,
		                     "bind: parameter %u: the statement has unread rows; "
		                     "reset it first", pos);
	pm = &s->params[pos - 1];
	switch (v->type) {
	case DAL_TYPE_NULL:
		/* The connector sends NULL for is_null whatever the type, so
		 * the binding stays as it is. */
		pm->is_null = 1;
		s->state = ST_READY;
		return DAL_OK;
	case DAL_TYPE_INT64:
		type = MYSQL_TYPE_LONGLONG;
		pm->num.i = v->u.i;
		break;
	case DAL_TYPE_BOOL:
		/* MySQL's BOOLEAN is TINYINT(1). */
		type = MYSQL_TYPE_TINY;
		pm->num.b = v->u.i != 0;
		break;
	case DAL_TYPE_DOUBLE:
		type = MYSQL_TYPE_DOUBLE;
		pm->num.d = v->u.d;
		break;
	case DAL_TYPE_TEXT:
	case DAL_TYPE_BLOB:
		return bind_bytes(s, pos, v, err);
	default:
		return dal_error_set(err, DAL_EMISUSE, "HY004", 0,
		                     "bind: parameter %u has unknown type %d", pos,
		                     (int)v->type);
	}
	pm->is_null = 0;
	return set_binding(s, &s->pbind[pos - 1], type, &pm->num);
}

/* ------------------------------------------------------------------------ */
/* Executing and stepping                                                   */
/* ------------------------------------------------------------------------ */

/* The result's shape is checked at every execution: same_shape() and
 * check_shape() live here, beside execute(), their only caller, rather than
 * with the binding in decode.c, so that they stay inlined there. */

static int same_shape(const struct col *col, const MYSQL_FIELD *f)
{
	return col->ftype == f->type && col->charsetnr == f->charsetnr &&
	       (col->flags & UNSIGNED_FLAG) == (f->flags & UNSIGNED_FLAG);
}

/*
 * After an execution: the server sends the result's metadata again, and it
 * can differ from prepare's (`SELECT ?` has no type until a value is bound).
 * Rebind if any column changed type; a change in the number of columns
 * (table altered under a `SELECT *`) cannot be followed, as the core sized
 * its per-column state at prepare.
 */
static int check_shape(struct dal_bstmt *s, unsigned n, dal_error *err)
{
	MYSQL_FIELD *f = mariadb_stmt_fetch_fields(s->st);
	int changed = 0;

	if (n != s->ncols && !s->ncols)
		return dal_error_set(err, DAL_EUNSUPPORTED, "0A000", 0,
		                     "step: the statement returns %u columns but announced "
		                     "none when prepared (a CALL of a procedure that returns "
		                     "rows, SHOW WARNINGS...): its rows cannot be read through "
		                     "a prepared statement on MariaDB/MySQL", n);
	if (n != s->ncols)
		return dal_error_set(err, DAL_EUNSUPPORTED, "0A000", 0,
		                     "step: the statement now returns %u columns instead of "
		                     "the %u it had when prepared (was a table altered?); "
		                     "prepare it again", n, s->ncols);
	for (unsigned i = 0; i < n; i++)
		if (!same_shape(&s->cols[i], &f[i])) {
			if (my_bind_column(s, i, &f[i]))
				return my_oom(err, "step");
			changed = 1;
		}
	if (!changed)
		return DAL_OK;
	my_list_perrow(s);
	if (mysql_stmt_bind_result(s->st, s->rbind))
		return my_report_stmt(err, s, MY_RESULT, "step (binding result columns)");
	return DAL_OK;
}

static NOINLINE int execute(struct dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	unsigned n;
	int rc;

	if (c->active)
		return my_busy(err, "step");
	if (s->has_result && (rc = my_discard_result(s, err)))
		return rc;
	if (s->pdirty) {
		if (mysql_stmt_bind_param(s->st, s->pbind))
			return my_report_stmt(err, s, MY_NO_EFFECT, "step (binding parameters)");
		s->pdirty = 0;
	}
	s->affected = 0;
	if (my_gone(c)) {
		s->state = ST_FAILED;
		return my_report_gone(err, c, "step");
	}
	/* From here until the connection is idle again, cancel() may stop
	 * the statement: until the end of a streamed result, which
	 * my_release_active() marks. */
	my_running(c);
	if (mysql_stmt_execute(s->st)) {
		my_idle(c);
		s->state = ST_FAILED;
		/* Connector/C compares the column count itself once result
		 * buffers are bound; its message ("number of parameters in
		 * bound buffers differs...") would not say what to do. */
		if (mysql_stmt_errno(s->st) == CR_NEW_STMT_METADATA)
			return dal_error_set(err, DAL_EUNSUPPORTED, "0A000", CR_NEW_STMT_METADATA,
			                     "step: the statement now returns a different number "
			                     "of columns than when it was prepared (was a table "
			                     "altered?); prepare it again");
		return my_report_stmt(err, s, MY_REQUEST, "step");
	}
	if ((n = mysql_stmt_field_count(s->st)) == 0) {
		s->affected = (int64_t)mysql_stmt_affected_rows(s->st);
		my_note_insert_id(c, mysql_stmt_insert_id(s->st));
		s->has_result = mysql_stmt_more_results(s->st);
		rc = s->has_result ? my_discard_result(s, err) : DAL_OK;
		my_idle(c);
		if (rc) {
			s->state = ST_FAILED;
			return rc;
		}
		s->state = ST_DONE;
		return DAL_DONE;
	}
	s->has_result = 1;
	if ((rc = check_shape(s, n, err))) {
		/* Executed: the result must still be read off the wire. */
		c->active = s;
		my_discard_result(s, NULL);
		s->state = ST_FAILED;
		return rc;
	}
	if (c->buffered) {
		rc = mysql_stmt_store_result(s->st);
		my_idle(c);
		if (rc) {
			rc = my_report_stmt(err, s, MY_RESULT, "step (reading the result)");
			/* A store that failed part way (KILL QUERY, a timeout)
			 * leaves the connector's statement waiting for rows
			 * that will never come: its next execution would block
			 * reading them. The server's error ended the result;
			 * mysql_stmt_reset() puts the statement back to
			 * prepared (one round trip, on this error path only). */
			mysql_stmt_reset(s->st);
			s->has_result = 0;
			s->state = ST_FAILED;
			return rc;
		}
	} else {
		c->active = s;
	}
	return my_fetch(s, err);
}

int my_step(dal_bstmt *s, dal_error *err)
{
	/* The next row first: it is the step taken most often. */
	if (s->state == ST_ROW)
		return my_fetch(s, err);
	if (s->state == ST_READY)
		return execute(s, err);
	if (s->state == ST_DONE)
		return DAL_DONE;
	return dal_error_set(err, DAL_EMISUSE, "HY010", 0,
	                     "step: the last execution failed; reset the statement "
	                     "before stepping again");
}

int my_reset(dal_bstmt *s, dal_error *err)
{
	struct dal_bconn *c = s->conn;
	int rc = DAL_OK;

	/* Only the statement owning the open result, or any statement when
	 * none is open, may touch the connection: the connector's reset
	 * would otherwise swallow another statement's rows. Left-over local
	 * state is discarded at the next execution. */
	if (s->has_result && (c->active == s || !c->active))
		rc = my_discard_result(s, err);
	s->state = ST_READY;
	return rc;
}

void my_finalize(dal_bstmt *s)
{
	struct dal_bconn *c;

	if (!s)
		return;
	c = s->conn;
	if (c->active && c->active != s) {
		/* Closing now would read the other statement's rows off the
		 * wire; close when the connection is free. Out of memory:
		 * leave the server-side statement to the end of the connection
		 * rather than corrupt the open result. */
		(void)dal_defer_push(&c->zombies, s->st);
	} else {
		mysql_stmt_close(s->st);
		if (c->active == s)
			my_release_active(c);
	}
	stmt_free(s);
}

int64_t my_rows_affected(dal_bstmt *s)
{
	return s->affected;
}
