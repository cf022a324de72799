/*
 * The dialect SQL facts a plugin declares (<dal/dialect.h>): taking the
 * plugin's struct at load time, cut to this core's size and zero-extended
 * as the loader does for the registration, and the two public calls that
 * the layers building SQL (migrations, db-reset, copy, the CLI) use. The
 * facts themselves live in the plugins: this file knows no dialect.
 * (It reads the registration directly rather than through repo.c, so that
 * the fuzz targets can link the loader without the repository code.)
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <string.h>

#include "internal.h"
#include "loader.h"

int sql_facts_take(const char *path, struct loaded_plugin *lp, dal_error *err)
{
	const struct dal_sql_facts *raw = lp->reg.sql;
	uint32_t size;

	memset(&lp->sql, 0, sizeof lp->sql);
	if (!raw)
		return DAL_OK;
	size = raw->struct_size;
	/* Members only append, so anything from the first of them up is a
	 * version of this struct; less is a header that was never released. */
	if (size < offsetof(struct dal_sql_facts, lock) || size > 65536)
		return dal_error_set(err, DAL_EPLUGIN_ABI, NULL, 0,
		                     "plugin %s: its SQL facts (struct dal_sql_facts) declare "
		                     "struct_size %u; expected %zu (at least %zu)", path,
		                     (unsigned)size, sizeof(struct dal_sql_facts),
		                     offsetof(struct dal_sql_facts, lock));
	memcpy(&lp->sql, raw, size < sizeof lp->sql ? size : sizeof lp->sql);
	lp->sql.struct_size = sizeof lp->sql;
	if (lp->sql.lock > DAL_SQL_LOCK_TRANSACTION)
		return dal_error_set(err, DAL_EPLUGIN_INVALID, NULL, 0,
		                     "plugin %s: its SQL facts declare lock mode %u, not one of "
		                     "enum dal_sql_lock (0 to %d)", path, (unsigned)lp->sql.lock,
		                     DAL_SQL_LOCK_TRANSACTION);
	lp->reg.sql = &lp->sql;
	return DAL_OK;
}

const struct dal_sql_facts *dal_repo_sql_facts(const dal_repo *repo)
{
	return repo ? repo->plugin->reg.sql : NULL;
}

int dal_repo_sql_unsupported(const dal_repo *repo, const char *need, const char *member,
                             dal_error *err)
{
	const char *path = repo ? repo->plugin->path : NULL;
	char where[600] = "";

	if (path && path[0] != '(')
		snprintf(where, sizeof where, " (plugin %s)", path);
	else if (path)
		snprintf(where, sizeof where, " (preloaded plugin)");
	if (!repo || !repo->plugin->reg.sql)
		return dal_error_set(err, DAL_EUNSUPPORTED, NULL, 0,
		                     "%s: backend '%s'%s declares no SQL facts (struct "
		                     "dal_sql_facts), so no sql->%s", need ? need : "?",
		                     repo ? repo->plugin->reg.name : "?", where,
		                     member ? member : "?");
	return dal_error_set(err, DAL_EUNSUPPORTED, NULL, 0,
	                     "%s: backend '%s'%s declares no sql->%s", need ? need : "?",
	                     repo->plugin->reg.name, where, member ? member : "?");
}
