/*
 * Plugin loading with libltdl: search path, validation of the registration
 * struct, diagnostics, and the process-wide cache.
 *
 * Diagnostics matter more than anything else here: libltdl reports "file not
 * found" both when the plugin is absent and when the plugin exists but one of
 * *its* dependencies is missing. So before blaming the search path we stat()
 * the candidate files ourselves, and when a file exists but will not load we
 * ask dlopen() directly for its error text, which names the missing library.
 */
#define _GNU_SOURCE
#include "loader.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ltdl.h>

#include "internal.h"
#include "strbuf.h"

#ifndef DAL_PLUGINDIR
#define DAL_PLUGINDIR "/usr/local/lib/dal"
#endif

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct loaded_plugin *cache;
static int ltdl_ready;

/* The size of the ABI 1.0 registration: a plugin may not be smaller. */
#define MIN_PLUGIN_SIZE (offsetof(struct dal_plugin, driver) + \
	offsetof(struct dal_driver, server_kind))

static int ensure_ltdl(dal_error *err)
{
	if (ltdl_ready)
		return DAL_OK;
	if (lt_dlinit() != 0)
		return dal_error_set(err, DAL_EPLUGIN_LOAD, NULL, 0,
		                     "cannot initialise the plugin loader: %s", lt_dlerror());
	ltdl_ready = 1;
	return DAL_OK;
}

int loader_matches(const struct loaded_plugin *p, const char *type)
{
	if (strcmp(p->reg.name, type) == 0)
		return 1;
	if (p->reg.aliases)
		for (const char *const *a = p->reg.aliases; *a; a++)
			if (strcmp(*a, type) == 0)
				return 1;
	return 0;
}

static int file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The module name libltdl derives from a path: basename without extension,
 * e.g. ".../backend_sqlite.so" -> "backend_sqlite". */
static void module_name(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	if (n >= size)
		n = size - 1;
	memcpy(buf, base, n);
	buf[n] = '\0';
}

static const char *const required_slots[] = {
	"connect", "disconnect", "ping", "prepare", "bind", "step", "reset",
	"finalize", "column_count", "column_name", "column_value", "rows_affected",
};

static int validate(const char *path, const struct dal_plugin *raw,
                    struct dal_plugin *reg, dal_error *err)
{
	unsigned major = raw->abi_version >> 16, minor = raw->abi_version & 0xffff;
	size_t size;

	if (major != DAL_PLUGIN_ABI_MAJOR)
		return dal_error_set(err, DAL_EPLUGIN_ABI, NULL, 0,
		                     "plugin %s was built for libdal plugin ABI %u.%u, but this "
		                     "libdal speaks ABI %u.%u; rebuild the plugin against this "
		                     "libdal's <dal/plugin.h>",
		                     path, major, minor, DAL_PLUGIN_ABI_MAJOR, DAL_PLUGIN_ABI_MINOR);
	if (raw->struct_size < MIN_PLUGIN_SIZE || raw->struct_size > 65536)
		return dal_error_set(err, DAL_EPLUGIN_ABI, NULL, 0,
		                     "plugin %s declares a registration struct of %u bytes; ABI %u "
		                     "needs at least %zu",
		                     path, raw->struct_size, DAL_PLUGIN_ABI_MAJOR, MIN_PLUGIN_SIZE);
	/* A newer plugin may have appended fields we do not know: read only ours.
	 * An older one lacks our newest slots: they stay NULL (= unsupported). */
	size = raw->struct_size < sizeof *reg ? raw->struct_size : sizeof *reg;
	memset(reg, 0, sizeof *reg);
	memcpy(reg, raw, size);
	if (!reg->name || !*reg->name)
		return dal_error_set(err, DAL_EPLUGIN_INVALID, NULL, 0,
		                     "plugin %s has no backend name in its registration", path);
	if (reg->param_style != DAL_PARAM_QMARK && reg->param_style != DAL_PARAM_DOLLAR)
		return dal_error_set(err, DAL_EPLUGIN_INVALID, NULL, 0,
		                     "plugin %s (%s) declares unknown param_style %u", path,
		                     reg->name, reg->param_style);
	{
		const struct dal_driver *d = &reg->driver;
		const void *slots[] = {
			(const void *)d->connect, (const void *)d->disconnect,
			(const void *)d->ping, (const void *)d->prepare,
			(const void *)d->bind, (const void *)d->step,
			(const void *)d->reset, (const void *)d->finalize,
			(const void *)d->column_count, (const void *)d->column_name,
			(const void *)d->column_value, (const void *)d->rows_affected,
		};
		for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
			if (!slots[i])
				return dal_error_set(err, DAL_EPLUGIN_INVALID, NULL, 0,
				                     "plugin %s (%s) does not implement the required "
				                     "function '%s'",
				                     path, reg->name, required_slots[i]);
	}
	return DAL_OK;
}

/* Called with cache_lock held. */
static struct loaded_plugin *cache_by_path(const char *path)
{
	for (struct loaded_plugin *p = cache; p; p = p->next)
		if (strcmp(p->path, path) == 0)
			return p;
	return NULL;
}

/* The real .so behind a path (a libtool .la names it; in a build tree it
 * lives in .libs/), for asking dlopen() why loading failed. */
static void shared_object_for(const char *path, char *buf, size_t size)
{
	size_t n = strlen(path);

	if (n > 3 && strcmp(path + n - 3, ".la") == 0) {
		const char *slash = strrchr(path, '/');
		int dirlen = slash ? (int)(slash - path) : 0;
		char mod[256];
		module_name(path, mod, sizeof mod);
		snprintf(buf, size, "%.*s%s.libs/%s.so", dirlen, path, slash ? "/" : "", mod);
		if (!file_exists(buf))
			snprintf(buf, size, "%.*s%s%s.so", dirlen, path, slash ? "/" : "", mod);
	} else {
		snprintf(buf, size, "%s", path);
	}
}

/* Called with cache_lock held. */
static int load_locked(const char *path, const struct loaded_plugin **out,
                       dal_error *err)
{
	struct loaded_plugin *lp;
	lt_dlhandle h;
	const struct dal_plugin *raw;
	struct dal_plugin reg;
	char mod[256], sym[300];
	int rc;

	if ((lp = cache_by_path(path))) {
		*out = lp;
		return DAL_OK;
	}
	if ((rc = ensure_ltdl(err)) != DAL_OK)
		return rc;
	h = lt_dlopen(path);
	if (!h) {
		char so[PATH_MAX + 16];
		const char *why = lt_dlerror();
		void *dh;

		shared_object_for(path, so, sizeof so);
		dh = dlopen(so, RTLD_NOW | RTLD_LOCAL);
		if (dh) {
			/* dlopen() managed where libltdl did not: report libltdl. */
			dlclose(dh);
		} else {
			why = dlerror();
		}
		return dal_error_set(err, DAL_EPLUGIN_LOAD, NULL, 0,
		                     "cannot load plugin %s: %s", path, why ? why : "unknown error");
	}
	module_name(path, mod, sizeof mod);
	snprintf(sym, sizeof sym, "%s_LTX_%s", mod, DAL_PLUGIN_SYMBOL);
	raw = lt_dlsym(h, DAL_PLUGIN_SYMBOL);
	if (!raw) {
		lt_dlclose(h);
		return dal_error_set(err, DAL_EPLUGIN_INVALID, NULL, 0,
		                     "%s is not a libdal plugin: it exports neither '%s' nor '%s'",
		                     path, sym, DAL_PLUGIN_SYMBOL);
	}
	if ((rc = validate(path, raw, &reg, err)) != DAL_OK) {
		lt_dlclose(h);
		return rc;
	}
	lp = calloc(1, sizeof *lp);
	if (!lp || !(lp->path = strdup(path))) {
		free(lp);
		lt_dlclose(h);
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory loading %s", path);
	}
	lp->reg = reg;
	lp->next = cache;
	cache = lp;
	*out = lp;
	return DAL_OK;
}

int loader_load_path(const char *path, const struct loaded_plugin **out,
                     dal_error *err)
{
	int rc;

	pthread_mutex_lock(&cache_lock);
	rc = load_locked(path, out, err);
	pthread_mutex_unlock(&cache_lock);
	return rc;
}

/* Iterate over the search path: fn(dir, origin) until it returns nonzero. */
static int each_dir(const char *plugin_dir,
                    int (*fn)(const char *dir, const char *origin, void *ud), void *ud)
{
	const char *env = getenv("DAL_PLUGIN_PATH");
	int rc;

	if (plugin_dir && *plugin_dir && (rc = fn(plugin_dir, "plugin_dir", ud)))
		return rc;
	if (env) {
		const char *p = env;
		while (*p) {
			size_t n = strcspn(p, ":");
			if (n > 0 && n < PATH_MAX) {
				char dir[PATH_MAX];
				memcpy(dir, p, n);
				dir[n] = '\0';
				if ((rc = fn(dir, "DAL_PLUGIN_PATH", ud)))
					return rc;
			}
			p += n;
			if (*p == ':')
				p++;
		}
	}
	return fn(DAL_PLUGINDIR, "built-in", ud);
}

struct find_ctx {
	const char *type;      /* the name asked for */
	const char *file;      /* module file base name to try: backend_<x> */
	const struct loaded_plugin *found;
	struct strbuf searched;
	dal_error *err;
	int rc;                /* first hard error (file exists but bad) */
};

static int try_dir(const char *dir, const char *origin, void *ud)
{
	struct find_ctx *c = ud;
	char path[PATH_MAX];
	static const char *const exts[] = {".la", ".so"};

	sb_printf(&c->searched, "%s%s (%s)", c->searched.len ? ", " : "", dir, origin);
	for (size_t i = 0; i < 2; i++) {
		const struct loaded_plugin *lp;
		int rc;

		snprintf(path, sizeof path, "%s/%s%s", dir, c->file, exts[i]);
		if (!file_exists(path))
			continue;
		rc = load_locked(path, &lp, c->err);
		if (rc != DAL_OK) {
			c->rc = rc;
			return 1;
		}
		if (!loader_matches(lp, c->type)) {
			c->rc = dal_error_set(c->err, DAL_EPLUGIN_INVALID, NULL, 0,
			                      "%s registers backend '%s', which is not '%s'",
			                      path, lp->reg.name, c->type);
			return 1;
		}
		c->found = lp;
		return 1;
	}
	return 0;
}

/* libltdl's preloaded modules (a static binary linked with -dlpreopen). */
static const struct loaded_plugin *try_preloaded(const char *file)
{
	lt_dladvise advise;
	lt_dlhandle h = NULL;
	const struct dal_plugin *raw;
	struct dal_plugin reg;
	struct loaded_plugin *lp;
	char path[300];
	dal_error ignore;

	snprintf(path, sizeof path, "%s (preloaded)", file);
	if ((lp = cache_by_path(path)))
		return lp;
	if (lt_dladvise_init(&advise) || lt_dladvise_preload(&advise)) {
		lt_dladvise_destroy(&advise);
		return NULL;
	}
	h = lt_dlopenadvise(file, advise);
	lt_dladvise_destroy(&advise);
	if (!h)
		return NULL;
	raw = lt_dlsym(h, DAL_PLUGIN_SYMBOL);
	if (!raw || validate(path, raw, &reg, &ignore) != DAL_OK)
		return NULL;
	lp = calloc(1, sizeof *lp);
	if (!lp || !(lp->path = strdup(path))) {
		free(lp);
		return NULL;
	}
	lp->reg = reg;
	lp->next = cache;
	cache = lp;
	return lp;
}

static int valid_type(const char *t)
{
	if (!t || !*t || strlen(t) > 64)
		return 0;
	for (; *t; t++)
		if (!islower((unsigned char)*t) && !isdigit((unsigned char)*t) && *t != '_')
			return 0;
	return 1;
}

/* Aliases of the backends shipped with libdal, so their files are found
 * without scanning. A third-party plugin's aliases are found by the scan. */
static const char *shipped_file(const char *type)
{
	static const struct {
		const char *alias, *file;
	} map[] = {
		{"sqlite3", "sqlite"}, {"mariadb", "mysql"},
		{"postgresql", "pgsql"}, {"postgres", "pgsql"},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i].alias, type) == 0)
			return map[i].file;
	return type;
}

struct scan_ctx {
	const char *type;
	const struct loaded_plugin *found;
};

/* Last resort for an alias: load every backend_*.so and ask it. Files that
 * fail to load are skipped here; dal_plugin_list() reports them. */
static int scan_dir(const char *dir, const char *origin, void *ud)
{
	struct scan_ctx *c = ud;
	DIR *d = opendir(dir);
	struct dirent *e;

	(void)origin;
	if (!d)
		return 0;
	while (!c->found && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		const struct loaded_plugin *lp;
		char path[PATH_MAX];
		dal_error ignore;

		if (strncmp(e->d_name, "backend_", 8) != 0 || n < 4 ||
		    (strcmp(e->d_name + n - 3, ".so") != 0 && strcmp(e->d_name + n - 3, ".la") != 0))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (load_locked(path, &lp, &ignore) == DAL_OK && loader_matches(lp, c->type))
			c->found = lp;
	}
	closedir(d);
	return c->found != NULL;
}

int loader_find(const char *type, const char *plugin_dir,
                const struct loaded_plugin **out, dal_error *err)
{
	char file[128];
	struct find_ctx c = {.type = type, .err = err};
	int rc;

	*out = NULL;
	if (!valid_type(type))
		return dal_error_set(err, DAL_ECONFIG, NULL, 0,
		                     "invalid database type '%s': use lower-case letters, digits "
		                     "and '_' (e.g. sqlite, mysql, postgresql)",
		                     type ? type : "(null)");
	snprintf(file, sizeof file, "backend_%s", shipped_file(type));
	c.file = file;

	pthread_mutex_lock(&cache_lock);
	for (struct loaded_plugin *p = cache; p; p = p->next)
		if (loader_matches(p, type)) {
			*out = p;
			pthread_mutex_unlock(&cache_lock);
			return DAL_OK;
		}
	if ((rc = ensure_ltdl(err)) != DAL_OK)
		goto out;
	if ((c.found = try_preloaded(file)))
		goto found;
	each_dir(plugin_dir, try_dir, &c);
	if (c.rc) {
		rc = c.rc;
		goto out;
	}
	if (!c.found) {
		struct scan_ctx s = {.type = type};
		each_dir(plugin_dir, scan_dir, &s);
		c.found = s.found;
	}
	if (!c.found) {
		rc = dal_error_set(err, DAL_EPLUGIN_NOTFOUND, NULL, 0,
		                   "no plugin for database type '%s': %s.so not found in %s; "
		                   "install the backend or set plugin_dir / DAL_PLUGIN_PATH",
		                   type, file, c.searched.data ? c.searched.data : "(no directory)");
		goto out;
	}
found:
	*out = c.found;
	rc = DAL_OK;
out:
	pthread_mutex_unlock(&cache_lock);
	sb_free(&c.searched);
	return rc;
}

/* ---- public: dal_plugin_dirs(), dal_plugin_list() ---------------------- */

#include "settings.h"

struct dirs_ctx {
	void (*fn)(const char *dir, void *ud);
	void *ud;
};

static int report_dir(const char *dir, const char *origin, void *ud)
{
	struct dirs_ctx *c = ud;
	(void)origin;
	c->fn(dir, c->ud);
	return 0;
}

void dal_plugin_dirs(const dal_config *cfg, void (*fn)(const char *dir, void *ud),
                     void *userdata)
{
	char *pd = cfg ? settings_plugin_dir(cfg) : NULL;
	struct dirs_ctx c = {fn, userdata};

	if (fn)
		each_dir(pd, report_dir, &c);
	free(pd);
}

struct list_ctx {
	dal_plugin_fn fn;
	void *ud;
	int count;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dir(const char *dir, const char *origin, void *ud)
{
	struct list_ctx *c = ud;
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	(void)origin;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (strncmp(e->d_name, "backend_", 8) != 0 || len < 4)
			continue;
		if (strcmp(e->d_name + len - 3, ".so") != 0 && strcmp(e->d_name + len - 3, ".la") != 0)
			continue;
		if (n == cap) {
			char **p = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *p);
			if (!p)
				break;
			names = p;
		}
		if (!(names[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX], mod[256];
		const struct loaded_plugin *lp = NULL;
		dal_error err;
		dal_plugin_info info = {0};
		size_t len = strlen(names[i]);

		/* In a build tree backend_x.la and .libs/backend_x.so go together:
		 * prefer the .la and skip a .so with the same module name. */
		if (strcmp(names[i] + len - 3, ".so") == 0 && i > 0) {
			module_name(names[i - 1], mod, sizeof mod);
			if (strncmp(names[i], mod, len - 3) == 0 && strlen(mod) == len - 3)
				continue;
		}
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		info.path = path;
		pthread_mutex_lock(&cache_lock);
		info.status = ensure_ltdl(&err);
		if (info.status == DAL_OK)
			info.status = load_locked(path, &lp, &err);
		pthread_mutex_unlock(&cache_lock);
		if (info.status == DAL_OK) {
			info.name = lp->reg.name;
			info.aliases = lp->reg.aliases;
			info.version = lp->reg.version;
			info.description = lp->reg.description;
			info.abi_major = lp->reg.abi_version >> 16;
			info.abi_minor = lp->reg.abi_version & 0xffff;
			info.capabilities = lp->reg.capabilities;
		} else {
			info.error = err.message;
		}
		c->count++;
		if (c->fn)
			c->fn(&info, c->ud);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return 0;
}

int dal_plugin_list(const dal_config *cfg, dal_plugin_fn fn, void *userdata,
                    dal_error *err)
{
	char *pd = cfg ? settings_plugin_dir(cfg) : NULL;
	struct list_ctx c = {fn, userdata, 0};

	dal_error_clear(err);
	each_dir(pd, list_dir, &c);
	free(pd);
	return c.count;
}
