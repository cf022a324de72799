/*
 * A backend of a made-up SQL family, for the tests of <dal/dialect.h>: the
 * layers that build SQL (migrations, db-reset, copy) must work for a
 * plugin whose dialect libdal has never heard of, through the facts it
 * declares, and refuse clearly when a fact is missing.
 *
 * It borrows a database engine: its entry point loads the SQLite plugin
 * (backend_sqlite.so from $DAL_PLUGIN_PATH, or its .libs/ in a build tree)
 * and re-registers that plugin's function table under its own name,
 * dialect and facts. Its facts differ from the SQLite plugin's where the
 * difference shows: BEGIN EXCLUSIVE, no lock wait pair, CLOB for text.
 *
 * Built twice (tests/Makefile.am): backend_madeup with complete facts,
 * and with -DTP_HALF backend_halfmade, whose facts lack lock_begin and
 * catalog and whose function table lacks backup and restore, so that its
 * facts' backup hints show. And with -DTP_NOFACTS backend_nofacts, which
 * declares no SQL facts at all (sql = NULL): the copy reads its catalog
 * through the SQL standard's information_schema (test_cov2_copy.c).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/plugin.h>

#ifdef TP_HALF
#define MODULE backend_halfmade
#define NAME "halfmade"
#elif defined TP_NOFACTS
#define MODULE backend_nofacts
#define NAME "nofacts"
#else
#define MODULE backend_madeup
#define NAME "madeup"
#endif

#ifndef TP_NOFACTS
static const struct dal_sql_facts facts = {
	.struct_size = sizeof(struct dal_sql_facts),
	.flags = DAL_SQL_FREE_TYPES,
	.lock = DAL_SQL_LOCK_TRANSACTION,
#ifndef TP_HALF
	.lock_begin = "BEGIN EXCLUSIVE",
	.catalog = "SELECT type, 'main', name FROM main.sqlite_master "
	           "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
#endif
	.columns = "SELECT name, type, \"notnull\", NULL, NULL, NULL, pk "
	           "FROM pragma_table_info(?) ORDER BY cid",
	.type_text = "CLOB",
	.type_varchar = "NVARCHAR",
#ifdef TP_HALF
	/* Its function table lacks backup and restore: `dal backup` prints
	 * this instead (tests/test_backup.c). */
	.backup_tool = "fbdump",
	.backup_command = "fbdump --quiet[ --host={host}][ --user={user}] --file={file}",
	.password_note = "in FBPASS",
	.password_option = "--password-from-env",
#endif
};
#endif

static struct dal_plugin registration;
#ifdef TP_HALF
static struct dal_driver driver;
#endif

/* Open backend_sqlite.so from the first directory of $DAL_PLUGIN_PATH that
 * has it (directly or in its libtool .libs/). */
static void *open_sqlite(void)
{
	const char *path = getenv("DAL_PLUGIN_PATH");
	char dir[4096], file[4200];

	while (path && *path) {
		size_t n = strcspn(path, ":");

		snprintf(dir, sizeof dir, "%.*s", (int)n, path);
		path += n + (path[n] == ':');
		for (int libs = 1; libs >= 0; libs--) {
			void *h;

			snprintf(file, sizeof file, "%s%s/backend_sqlite.so", dir, libs ? "/.libs" : "");
			if ((h = dlopen(file, RTLD_NOW | RTLD_LOCAL)))
				return h;
		}
	}
	return NULL;
}

/* One more level so that MODULE expands before DAL_PLUGIN_ENTRY pastes. */
#define ENTRY(module) DAL_PLUGIN_ENTRY(module)
ENTRY(MODULE)
{
	dal_plugin_init_fn *init;
	const struct dal_plugin *sqlite;
	void *h = open_sqlite();

	if (!h || !(init = (dal_plugin_init_fn *)dlsym(h, "backend_sqlite_LTX_dal_plugin_init"))) {
		dal_error_set(err, DAL_EPLUGIN_LOAD, NULL, 0,
		              NAME " test plugin: no backend_sqlite.so in $DAL_PLUGIN_PATH");
		return NULL;
	}
	if (!(sqlite = init(core_abi, err)))
		return NULL;
	registration = *sqlite;
	registration.name = NAME;
	registration.aliases = NULL;
	registration.description = "SQLite under a made-up dialect (test plugin)";
	registration.default_path = NULL;
	registration.dialect = NAME;
#ifdef TP_NOFACTS
	registration.sql = NULL;
#else
	registration.sql = &facts;
#endif
#ifdef TP_HALF
	driver = *sqlite->driver;
	driver.backup = NULL;
	driver.restore = NULL;
	registration.driver = &driver;
#endif
	return dal_plugin_accept(core_abi, &registration, err);
}
