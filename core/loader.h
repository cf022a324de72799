/*
 * Internal: finding, loading, validating and caching backend plugins.
 *
 * Loaded plugins stay loaded until the process exits (their code may be
 * referenced by open repositories at any time; unloading buys nothing).
 * The cache is protected by a mutex, so repositories may be opened from
 * several threads.
 */
#ifndef DAL_CORE_LOADER_H
#define DAL_CORE_LOADER_H

#include <dal/dal.h>
#include <dal/plugin.h>

struct loaded_plugin {
	char *path;              /* file that was loaded ("(preloaded)" if static) */
	struct dal_plugin reg;   /* the registration, zero-extended to our size;
	                            reg.driver points to drv */
	struct dal_driver drv;   /* the function table, likewise */
	struct dal_sql_facts sql; /* reg.sql's facts, likewise (sql_facts.c);
	                            reg.sql points here when it was set */
	struct loaded_plugin *next;
};

/*
 * Find the plugin for `type` (a name or alias, which is also a URL scheme).
 * plugin_dir may be NULL. First the file named after the type
 * (backend_<type>): preloaded modules, then plugin_dir, $DAL_PLUGIN_PATH and
 * the compiled-in directory. Failing that, the type may be an alias: every
 * plugin file in the search path is loaded (once per process) and its
 * registration asked. The core has no table of backends. Errors: DAL_EPLUGIN_NOTFOUND (lists every directory
 * searched), DAL_EPLUGIN_LOAD (the dynamic loader's own words, e.g. a missing
 * dependency), DAL_EPLUGIN_INVALID, DAL_EPLUGIN_ABI.
 */
int loader_find(const char *type, const char *plugin_dir,
                const struct loaded_plugin **out, dal_error *err);

/* 1 if t is a valid type name: lower-case letters, digits, '_'. */
int loader_valid_name(const char *t);
/* sql_facts.c: copy lp->reg.sql into lp->sql (cut to our size,
 * zero-extended) and point lp->reg.sql at the copy, after checking its
 * struct_size; DAL_EPLUGIN_ABI naming path otherwise. */
int sql_facts_take(const char *path, struct loaded_plugin *lp, dal_error *err);

/* 1 if type is p's name or one of its aliases. */
int loader_matches(const struct loaded_plugin *p, const char *type);

/* Writes " (install the package ...)" for a type without plugin, or "" when
 * the build has no advice for it (core/install_hint.c). */
void loader_install_hint(const char *type, char *buf, size_t size);

#endif
