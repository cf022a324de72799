/*
 * Nested transactions and savepoints on one connection.
 *
 * A connection in a transaction keeps a stack of the savepoints it opened:
 * implicit ones for a dal_conn_begin() inside a transaction (a nested unit,
 * named dal_sp_<depth>) and named ones from dal_conn_savepoint(). The SQL is
 * the standard SAVEPOINT / RELEASE SAVEPOINT / ROLLBACK TO SAVEPOINT, which
 * every backend declaring DAL_CAP_SAVEPOINTS understands; names are quoted
 * with the plugin's declared identifier quotes.
 *
 * Invariants:
 *  - the stack is empty whenever c->in_txn is 0;
 *  - a named savepoint may be released or rolled back to only when no
 *    nested unit was opened after it (a unit is ended by commit/rollback,
 *    never from under it);
 *  - ROLLBACK TO keeps its savepoint on every server, so rolling back a
 *    unit also releases its savepoint, keeping the server's stack and ours
 *    the same.
 *
 * The outermost BEGIN/COMMIT/ROLLBACK are conn.c's.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "loader.h"

#define SP_NAME_MAX 63
#define SP_PREFIX "dal_sp_"

struct savepoint {
	char name[SP_NAME_MAX + 1];
	int unit; /* opened by a nested dal_conn_begin() */
};

struct savepoints {
	struct savepoint *v;
	size_t n, cap;
	unsigned units; /* entries with unit set */
};

static int has_savepoints(const dal_conn *c)
{
	return (c->repo->plugin->reg.capabilities & DAL_CAP_SAVEPOINTS) != 0;
}

void savepoint_reset(dal_conn *c)
{
	if (c->sp) {
		free(c->sp->v);
		free(c->sp);
		c->sp = NULL;
	}
}

unsigned savepoint_units(const dal_conn *c)
{
	return c->sp ? c->sp->units : 0;
}

/* Run "<verb> <quoted name>" on c. */
static int sp_exec(dal_conn *c, const char *verb, const char *name)
{
	const char *q = c->repo->plugin->reg.ident_quote;
	char open = q && q[0] ? q[0] : '"', close = q && q[0] && q[1] ? q[1] : open;
	char sql[sizeof "ROLLBACK TO SAVEPOINT " + SP_NAME_MAX + 4];

	snprintf(sql, sizeof sql, "%s %c%s%c", verb, open, name, close);
	return dal_conn_exec(c, sql, NULL);
}

static int check_name(dal_conn *c, const char *fn, const char *name)
{
	size_t n;

	if (!name)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0, "%s: name is NULL", fn);
	n = strlen(name);
	if (n == 0 || n > SP_NAME_MAX || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			goto bad;
	if (strncmp(name, SP_PREFIX, strlen(SP_PREFIX)) == 0)
		return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
		                     "%s: savepoint names starting with '%s' are reserved for "
		                     "nested dal_conn_begin()", fn, SP_PREFIX);
	return DAL_OK;
bad:
	return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
	                     "%s: invalid savepoint name '%.80s' (1 to %d letters, digits "
	                     "or '_', not starting with a digit)", fn, name, SP_NAME_MAX);
}

static int need_txn(dal_conn *c, const char *fn)
{
	if (!has_savepoints(c))
		return dal_error_set(&c->err, DAL_EUNSUPPORTED, NULL, 0,
		                     "%s: backend %s does not declare savepoints", fn,
		                     dal_repo_backend(c->repo));
	if (!c->in_txn)
		return dal_error_set(&c->err, DAL_EMISUSE, "25000", 0,
		                     "%s: no transaction is open on this connection of "
		                     "repository '%s' (dal_conn_begin() first)", fn, c->repo->name);
	return DAL_OK;
}

/* A lost connection takes the transaction and every savepoint with it. */
static int after_failure(dal_conn *c, int rc)
{
	if (c->broken) {
		c->in_txn = 0;
		savepoint_reset(c);
	}
	return rc;
}

static int push(dal_conn *c, const char *name, int unit)
{
	struct savepoints *s = c->sp;
	int rc;

	if (!s && !(s = c->sp = calloc(1, sizeof *s)))
		return dal_error_set(&c->err, DAL_ENOMEM, "HY001", 0, "out of memory");
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		struct savepoint *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return dal_error_set(&c->err, DAL_ENOMEM, "HY001", 0, "out of memory");
		s->v = v;
		s->cap = cap;
	}
	if ((rc = sp_exec(c, "SAVEPOINT", name)) != DAL_OK)
		return after_failure(c, rc);
	snprintf(s->v[s->n].name, sizeof s->v[s->n].name, "%s", name);
	s->v[s->n].unit = unit;
	s->n++;
	s->units += unit != 0;
	return DAL_OK;
}

/* Forget entries from index i up. */
static void pop_to(struct savepoints *s, size_t i)
{
	while (s->n > i)
		s->units -= s->v[--s->n].unit != 0;
}

int savepoint_begin_unit(dal_conn *c)
{
	char name[32];

	if (!has_savepoints(c))
		return dal_error_set(&c->err, DAL_EMISUSE, "25001", 0,
		                     "a transaction is already open on this connection of "
		                     "repository '%s' (nested transactions need savepoints, "
		                     "which backend %s does not declare)", c->repo->name,
		                     dal_repo_backend(c->repo));
	snprintf(name, sizeof name, SP_PREFIX "%u", savepoint_units(c) + 2);
	return push(c, name, 1);
}

int savepoint_end_unit(dal_conn *c, int commit)
{
	struct savepoints *s = c->sp;
	size_t i = s->n;
	int rc;

	/* The innermost unit; named savepoints above it end with it. */
	while (i > 0 && !s->v[i - 1].unit)
		i--;
	i--;
	if (commit) {
		if ((rc = sp_exec(c, "RELEASE SAVEPOINT", s->v[i].name)) != DAL_OK)
			return after_failure(c, rc);
		pop_to(s, i);
		return DAL_OK;
	}
	if ((rc = sp_exec(c, "ROLLBACK TO SAVEPOINT", s->v[i].name)) != DAL_OK)
		return after_failure(c, rc);
	rc = sp_exec(c, "RELEASE SAVEPOINT", s->v[i].name);
	pop_to(s, i);
	return rc == DAL_OK ? rc : after_failure(c, rc);
}

/* The newest entry named name, checked to have no unit above it. */
static int find(dal_conn *c, const char *fn, const char *name, size_t *at)
{
	struct savepoints *s = c->sp;

	for (size_t i = s ? s->n : 0; i > 0; i--) {
		if (strcmp(s->v[i - 1].name, name) != 0)
			continue;
		for (size_t j = i; j < s->n; j++)
			if (s->v[j].unit)
				return dal_error_set(&c->err, DAL_EMISUSE, NULL, 0,
				                     "%s: savepoint '%s' has a nested unit opened "
				                     "after it; commit or roll that back first", fn,
				                     name);
		*at = i - 1;
		return DAL_OK;
	}
	return dal_error_set(&c->err, DAL_EMISUSE, "3B001", 0,
	                     "%s: no savepoint '%s' in the transaction on this connection of "
	                     "repository '%s'", fn, name, c->repo->name);
}

#define CHECK_CONN(c)                    \
	do {                             \
		if (!(c))                \
			return DAL_EMISUSE; \
		(c)->err.code = DAL_OK;  \
	} while (0)

int dal_conn_savepoint(dal_conn *c, const char *name)
{
	int rc;

	CHECK_CONN(c);
	if ((rc = check_name(c, "dal_conn_savepoint", name)) != DAL_OK ||
	    (rc = need_txn(c, "dal_conn_savepoint")) != DAL_OK)
		return rc;
	return push(c, name, 0);
}

int dal_conn_savepoint_release(dal_conn *c, const char *name)
{
	size_t at;
	int rc;

	CHECK_CONN(c);
	if ((rc = check_name(c, "dal_conn_savepoint_release", name)) != DAL_OK ||
	    (rc = need_txn(c, "dal_conn_savepoint_release")) != DAL_OK ||
	    (rc = find(c, "dal_conn_savepoint_release", name, &at)) != DAL_OK)
		return rc;
	if ((rc = sp_exec(c, "RELEASE SAVEPOINT", name)) != DAL_OK)
		return after_failure(c, rc);
	pop_to(c->sp, at);
	return DAL_OK;
}

int dal_conn_savepoint_rollback(dal_conn *c, const char *name)
{
	size_t at;
	int rc;

	CHECK_CONN(c);
	if ((rc = check_name(c, "dal_conn_savepoint_rollback", name)) != DAL_OK ||
	    (rc = need_txn(c, "dal_conn_savepoint_rollback")) != DAL_OK ||
	    (rc = find(c, "dal_conn_savepoint_rollback", name, &at)) != DAL_OK)
		return rc;
	if ((rc = sp_exec(c, "ROLLBACK TO SAVEPOINT", name)) != DAL_OK)
		return after_failure(c, rc);
	/* The savepoint stays (SQL semantics); those after it are gone. */
	pop_to(c->sp, at + 1);
	return DAL_OK;
}

unsigned dal_conn_txn_depth(const dal_conn *c)
{
	return c && c->in_txn ? 1 + savepoint_units(c) : 0;
}
