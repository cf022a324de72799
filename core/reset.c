/*
 * dal_repo_drop_all() (<dal/migrate.h>), behind `dal db-reset`: every
 * table, view and sequence of the repository's own database or schema
 * dropped, through the public API, with the catalog query and the drop
 * prelude and postlude the plugin declares (<dal/dialect.h>).
 *
 * Names are qualified with the schema the catalog reported and quoted with
 * the dialect's identifier quotes, so a same-named object elsewhere on the
 * search path is never hit. No CASCADE: what depends on our objects from
 * another schema makes the drop fail rather than disappear with them.
 * Foreign keys between our own tables are handled by dropping in rounds
 * until a round makes no progress.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migrate_int.h"
#include "strbuf.h"

struct object {
	int rank; /* drop order: 0 view, 1 table, 2 sequence */
	char *kind, *schema, *name;
	int dropped;
};

struct objects {
	struct object *v;
	size_t n;
};

static void objects_free(struct objects *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].kind);
		free(o->v[i].schema);
		free(o->v[i].name);
	}
	free(o->v);
}

static int cmp_object(const void *a, const void *b)
{
	const struct object *x = a, *y = b;
	return x->rank != y->rank ? x->rank - y->rank : strcmp(x->name, y->name);
}

static int list(dal_conn *c, const struct dal_sql_facts *d, struct objects *o, dal_error *err)
{
	size_t cap = 0;
	dal_stmt *st;
	int own = 0; /* the loop set the error itself (out of memory) */
	int rc = dal_stmt_prepare(c, d->catalog, &st);

	if (rc != DAL_OK)
		return mig_conn_fail(c, rc, err, "reading the catalog");
	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		const char *k = dal_stmt_column_text(st, 0, NULL);
		const char *s = dal_stmt_column_text(st, 1, NULL);
		const char *n = dal_stmt_column_text(st, 2, NULL);
		struct object *ob;

		if (!k || !s || !n) {
			/* A row naming nothing cannot be dropped; a value that is
			 * there but could not be read must not be skipped: db-reset
			 * would leave that object behind and call it done. */
			if (dal_stmt_column_is_null(st, 0) || dal_stmt_column_is_null(st, 1) ||
			    dal_stmt_column_is_null(st, 2))
				continue;
			own = 1;
			rc = mig_error(err, DAL_ENOMEM, "out of memory reading the catalog");
			break;
		}
		if (o->n == cap) {
			ob = realloc(o->v, (cap = cap ? 2 * cap : 32) * sizeof *ob);
			if (!ob) {
				own = 1;
				rc = mig_error(err, DAL_ENOMEM, "out of memory reading the catalog");
				break;
			}
			o->v = ob;
		}
		ob = &o->v[o->n];
		memset(ob, 0, sizeof *ob);
		ob->rank = strcmp(k, "view") == 0 ? 0 : strcmp(k, "table") == 0 ? 1 : 2;
		ob->kind = strdup(ob->rank == 0 ? "VIEW" : ob->rank == 1 ? "TABLE" : "SEQUENCE");
		ob->schema = strdup(s);
		ob->name = strdup(n);
		o->n++;
		if (!ob->kind || !ob->schema || !ob->name) {
			own = 1;
			rc = mig_error(err, DAL_ENOMEM, "out of memory reading the catalog");
			break;
		}
	}
	if (rc < 0 && !own)
		mig_stmt_fail(st, rc, err, "reading the catalog");
	dal_stmt_close(st);
	if (rc != DAL_DONE)
		return rc;
	if (o->n)
		qsort(o->v, o->n, sizeof *o->v, cmp_object);
	return DAL_OK;
}

/* Append ident quoted with q (two characters), the closing one doubled.
 * Grows as needed: a name cut short would make DROP ... IF EXISTS drop
 * nothing and succeed. */
static void quote(struct strbuf *b, const char *q, const char *ident)
{
	sb_append(b, q, 1);
	for (const char *p = ident; *p; p++) {
		if (*p == q[1])
			sb_append(b, q + 1, 1);
		sb_append(b, p, 1);
	}
	sb_append(b, q + 1, 1);
}

static int drop_all(dal_conn *c, const char *q, struct objects *o, dal_error *err)
{
	size_t left = o->n;
	int rc = DAL_OK;

	while (left) {
		size_t before = left;

		for (size_t i = 0; i < o->n; i++) {
			struct object *ob = &o->v[i];
			struct strbuf sql = {0};

			if (ob->dropped)
				continue;
			sb_printf(&sql, "DROP %s IF EXISTS ", ob->kind);
			quote(&sql, q, ob->schema);
			sb_puts(&sql, ".");
			quote(&sql, q, ob->name);
			if (sql.failed) {
				sb_free(&sql);
				return mig_error(err, DAL_ENOMEM, "out of memory dropping %s",
				                 ob->name);
			}
			rc = dal_conn_exec(c, sql.data, NULL);
			sb_free(&sql);
			if (rc == DAL_OK) {
				ob->dropped = 1;
				left--;
			} else {
				mig_conn_fail(c, rc, err, "dropping %s %s.%s", ob->kind, ob->schema,
				              ob->name);
			}
		}
		if (left == before)
			return rc;
	}
	return DAL_OK;
}

int dal_repo_drop_all(dal_repo *repo, unsigned flags, dal_db_object_fn fn, void *userdata,
                      size_t *count, dal_error *err)
{
	const struct dal_sql_facts *d = dal_repo_sql_facts(repo);
	struct objects o = {0};
	dal_error local;
	dal_conn *c;
	int rc;

	if (!err)
		err = &local;
	if (count)
		*count = 0;
	if (!repo)
		return mig_error(err, DAL_EMISUSE, "dal_repo_drop_all: repo is NULL");
	if (!d || !d->catalog)
		return dal_repo_sql_unsupported(repo, "db-reset needs the catalog", "catalog", err);
	if ((rc = dal_conn_acquire(repo, &c, err)) != DAL_OK)
		return rc;
	if ((rc = list(c, d, &o, err)) == DAL_OK) {
		for (size_t i = 0; fn && i < o.n; i++) {
			const char *k = o.v[i].rank == 0 ? "view" : o.v[i].rank == 1 ? "table"
			                                                            : "sequence";
			fn(k, o.v[i].name, userdata);
		}
		if (count)
			*count = o.n;
		if (!(flags & DAL_DROP_DRY_RUN) && o.n) {
			if (d->drop_prelude && (rc = dal_conn_exec(c, d->drop_prelude, NULL)))
				mig_conn_fail(c, rc, err, "%s", d->drop_prelude);
			if (rc == DAL_OK)
				rc = drop_all(c, dal_repo_ident_quote(repo), &o, err);
			if (d->drop_postlude)
				dal_conn_exec(c, d->drop_postlude, NULL);
		}
	}
	objects_free(&o);
	dal_conn_release(c);
	return rc;
}
