/*
 * dal_repo_backup() and dal_repo_restore(): whole-database backup and
 * restore through the optional backup/restore driver slots (ABI 2.1). The
 * work is the backend's (SQLite: the online backup API); the core checks
 * the arguments, picks a connection and says clearly what to do for a
 * backend without the slots: the tool its plugin names (<dal/dialect.h>).
 */
#define _GNU_SOURCE
#include <string.h>

#include "internal.h"

/* What the plugin says its users should run instead (sql->backup_tool,
 * restore_tool), or that there is nothing. */
static int unsupported(dal_repo *r, const char *what, dal_error *err)
{
	const struct dal_sql_facts *f = dal_repo_sql_facts(r);
	const char *kind = r->server_kind ? r->server_kind : dal_repo_backend(r);
	const char *tool = !f ? NULL : what[0] == 'b' ? f->backup_tool : f->restore_tool;

	if (tool)
		return dal_error_set(err, DAL_EUNSUPPORTED, NULL, 0,
		                     "%s: backend %s (%s) has no online %s in libdal; use %s "
		                     "(docs/backup.md; `dal %s` prints the command)",
		                     r->name, dal_repo_backend(r), kind, what, tool, what);
	return dal_error_set(err, DAL_EUNSUPPORTED, NULL, 0,
	                     "%s: backend %s has no online %s (its plugin does not "
	                     "implement the %s slot)", r->name, dal_repo_backend(r), what, what);
}

static int run(dal_repo *r, const char *path, int restore, dal_error *err)
{
	const char *what = restore ? "restore" : "backup";
	dal_error local;
	dal_conn *c;
	int rc;

	if (!err)
		err = &local;
	dal_error_clear(err);
	if (!r || !path || !*path)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0, "dal_repo_%s: %s", what,
		                     r ? "no file name" : "repo is NULL");
	if ((rc = dal_conn_acquire(r, &c, err)) != DAL_OK)
		return rc;
	if (!(restore ? c->ops.restore.fn : c->ops.backup.fn))
		rc = unsupported(r, what, err);
	else if (restore)
		rc = c->ops.restore.fn(c->ops.restore.h, path, err);
	else
		rc = c->ops.backup.fn(c->ops.backup.h, path, err);
	if (code_loses_connection(rc))
		c->broken = 1;
	dal_conn_release(c);
	return rc;
}

int dal_repo_backup(dal_repo *r, const char *path, dal_error *err)
{
	return run(r, path, 0, err);
}

int dal_repo_restore(dal_repo *r, const char *path, dal_error *err)
{
	return run(r, path, 1, err);
}
