/*
 * Plugin loading with libltdl: search path, validation of the registration
 * struct, diagnostics, and the process-wide cache. The modules preloaded
 * into a static program are found through libltdl in preload.c.
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
#include <stdarg.h>
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
#include "preload.h"
#include "strbuf.h"

#ifndef DAL_PLUGINDIR
#define DAL_PLUGINDIR "/usr/local/lib/dal"
#endif

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct loaded_plugin *cache;
static int ltdl_ready;

/*
 * Exact sizes of the two structs per minor version of this major, index =
 * minor. A plugin of a minor we know must match its size exactly; one of a
 * newer minor must be at least as large as our newest.
 */
static const uint32_t plugin_sizes[] = {
	[0] = offsetof(struct dal_plugin, dialect),
	[1] = sizeof(struct dal_plugin),
};
/* A minor's registration as first built, before a member appended within
 * that minor (2.1: `sql` after `dialect`); accepted as that minor's, the
 * member reading as NULL. 0: none. */
static const uint32_t plugin_sizes_before[] = {
	[0] = 0,
	[1] = offsetof(struct dal_plugin, sql),
};
static const uint32_t driver_sizes[] = {
	[0] = offsetof(struct dal_driver, execute_batch),
	[1] = sizeof(struct dal_driver),
};
#define N_MINORS (sizeof plugin_sizes / sizeof plugin_sizes[0])

static int ensure_ltdl(dal_error *err)
{
	if (ltdl_ready)
		return DAL_OK;
	if (lt_dlinit() != 0)
		return dal_error_set(err, DAL_EPLUGIN_LOAD, NULL, 0,
		                     "cannot initialise the plugin loader: libltdl's "
		                     "lt_dlinit() failed (%s), which happens when memory "
		                     "runs out", lt_dlerror());
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

/* A type name or alias: what a user writes as `type` and as URL scheme. */
int loader_valid_name(const char *t)
{
	if (!t || !*t || strlen(t) > 64)
		return 0;
	for (; *t; t++)
		if (!islower((unsigned char)*t) && !isdigit((unsigned char)*t) && *t != '_')
			return 0;
	return 1;
}

/*
 * Check one versioned struct's header: same major, size exact for a minor we
 * know, at least our newest for a newer minor. what: "registration" or
 * "function table".
 */
static int check_version(const char *path, const char *what, uint32_t version,
                         uint32_t size, const uint32_t *sizes, dal_error *err)
{
	unsigned major = DAL_ABI_MAJOR_OF(version), minor = DAL_ABI_MINOR_OF(version);

	if (major != DAL_PLUGIN_ABI_MAJOR)
		return dal_error_set(err, DAL_EPLUGIN_ABI, NULL, 0,
		                     "plugin %s: its %s was built for libdal plugin ABI %u.%u, "
		                     "but this libdal speaks ABI %u.%u; rebuild the plugin "
		                     "against this libdal's <dal/plugin.h>",
		                     path, what, major, minor, DAL_PLUGIN_ABI_MAJOR,
		                     DAL_PLUGIN_ABI_MINOR);
	if (minor < N_MINORS && size != sizes[minor])
		return dal_error_set(err, DAL_EPLUGIN_ABI, NULL, 0,
		                     "plugin %s: its %s declares %u bytes, but ABI %u.%u's is "
		                     "exactly %u; it was built with a mismatched <dal/plugin.h>",
		                     path, what, size, major, minor, sizes[minor]);
	if (minor >= N_MINORS && (size < sizes[N_MINORS - 1] || size > 65536))
		return dal_error_set(err, DAL_EPLUGIN_ABI, NULL, 0,
		                     "plugin %s: its %s (ABI %u.%u) declares %u bytes, less than "
		                     "ABI %u.%u's %u: a newer minor only appends",
		                     path, what, major, minor, size, DAL_PLUGIN_ABI_MAJOR,
		                     DAL_PLUGIN_ABI_MINOR, sizes[N_MINORS - 1]);
	return DAL_OK;
}

static int invalid(dal_error *err, const char *path, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int invalid(dal_error *err, const char *path, const char *name, const char *fmt, ...)
{
	char what[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return dal_error_set(err, DAL_EPLUGIN_INVALID, NULL, 0, "plugin %s%s%s%s: %s", path,
	                     name ? " (" : "", name ? name : "", name ? ")" : "", what);
}

/* Everything the core relies on, checked once at load time so that no call
 * path needs to. */
static int check_registration(const char *path, const struct dal_plugin *reg,
                              const struct dal_driver *d, dal_error *err)
{
	static const char *const required[] = {
		"connect", "disconnect", "ping", "prepare", "bind", "step", "reset",
		"finalize", "column_count", "column_name", "column_value", "rows_affected",
	};
	const void *slots[] = {
		(const void *)d->connect, (const void *)d->disconnect,
		(const void *)d->ping, (const void *)d->prepare,
		(const void *)d->bind, (const void *)d->step,
		(const void *)d->reset, (const void *)d->finalize,
		(const void *)d->column_count, (const void *)d->column_name,
		(const void *)d->column_value, (const void *)d->rows_affected,
	};
	const char *n = reg->name;

	if (!n || !*n)
		return invalid(err, path, NULL, "no backend name in its registration");
	if (!loader_valid_name(n))
		return invalid(err, path, NULL, "backend name '%s' is not lower-case letters, "
		               "digits and '_'", n);
	for (const char *const *a = reg->aliases; a && *a; a++)
		if (!loader_valid_name(*a))
			return invalid(err, path, n, "alias '%s' is not lower-case letters, digits "
			               "and '_'", *a);
	if (reg->kind != DAL_KIND_FILE && reg->kind != DAL_KIND_SERVER)
		return invalid(err, path, n, "unknown kind %u (expected DAL_KIND_FILE or "
		               "DAL_KIND_SERVER)", reg->kind);
	if (reg->param_style != DAL_PARAM_QMARK && reg->param_style != DAL_PARAM_DOLLAR)
		return invalid(err, path, n, "unknown param_style %u", reg->param_style);
	if (reg->ident_quote && strlen(reg->ident_quote) != 2)
		return invalid(err, path, n, "ident_quote '%s' is not two characters (opening "
		               "and closing quote)", reg->ident_quote);
	if (reg->dialect && !loader_valid_name(reg->dialect))
		return invalid(err, path, n, "dialect '%s' is not lower-case letters, digits "
		               "and '_'", reg->dialect);
	if (reg->n_options && !reg->options)
		return invalid(err, path, n, "n_options is %zu but options is NULL",
		               reg->n_options);
	for (size_t i = 0; i < reg->n_options; i++)
		if (!reg->options[i].key || !loader_valid_name(reg->options[i].key))
			return invalid(err, path, n, "option %zu has no valid key", i);
	if (d->inner || d->conn_inner || d->stmt_inner)
		return invalid(err, path, n, "its function table sets inner, conn_inner or "
		               "stmt_inner, which are for the core's layers only");
	for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
		if (!slots[i])
			return invalid(err, path, n, "does not implement the required function '%s'",
			               required[i]);
	return DAL_OK;
}

/*
 * Call the entry point and take a validated copy of what it returns, each
 * struct zero-extended to this core's size (an older minor's missing slots
 * read as NULL: unsupported) or cut to it (a newer minor's extra members are
 * not ours to read).
 */
static int take_registration(const char *path, dal_plugin_init_fn *init,
                             struct loaded_plugin *lp, dal_error *err)
{
	const struct dal_plugin *raw;
	dal_error perr;
	uint32_t size;
	unsigned minor;
	int rc;

	dal_error_clear(&perr);
	raw = init(DAL_PLUGIN_ABI_VERSION, &perr);
	if (!raw)
		return dal_error_set(err, perr.code < 0 ? perr.code : DAL_EPLUGIN_ABI, NULL, 0,
		                     "plugin %s refused to load into this libdal (plugin ABI "
		                     "%u.%u): %s", path, DAL_PLUGIN_ABI_MAJOR, DAL_PLUGIN_ABI_MINOR,
		                     perr.code ? perr.message : "no reason given");
	size = raw->struct_size;
	minor = DAL_ABI_MINOR_OF(raw->abi_version);
	if (DAL_ABI_MAJOR_OF(raw->abi_version) == DAL_PLUGIN_ABI_MAJOR && minor < N_MINORS &&
	    size && size == plugin_sizes_before[minor])
		size = plugin_sizes[minor];
	if ((rc = check_version(path, "registration", raw->abi_version, size,
	                        plugin_sizes, err)) != DAL_OK)
		return rc;
	memset(&lp->reg, 0, sizeof lp->reg);
	memcpy(&lp->reg, raw, raw->struct_size < sizeof lp->reg ? raw->struct_size
	                                                       : sizeof lp->reg);
	if (!lp->reg.driver)
		return invalid(err, path, lp->reg.name, "its registration has no function table");
	if ((rc = check_version(path, "function table", lp->reg.driver->abi_version,
	                        lp->reg.driver->struct_size, driver_sizes, err)) != DAL_OK)
		return rc;
	memset(&lp->drv, 0, sizeof lp->drv);
	memcpy(&lp->drv, lp->reg.driver,
	       lp->reg.driver->struct_size < sizeof lp->drv ? lp->reg.driver->struct_size
	                                                    : sizeof lp->drv);
	lp->reg.driver = &lp->drv;
	if (!lp->reg.ident_quote)
		lp->reg.ident_quote = "\"\"";
	if ((rc = sql_facts_take(path, lp, err)) != DAL_OK)
		return rc;
	return check_registration(path, &lp->reg, &lp->drv, err);
}

/* Called with cache_lock held. */
struct loaded_plugin *loader_cached(const char *path)
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

/* Called with cache_lock held. Takes ownership of h. */
int loader_register(const char *path, lt_dlhandle h, const struct loaded_plugin **out,
                    dal_error *err)
{
	struct loaded_plugin *lp;
	dal_plugin_init_fn *init;
	char mod[256];
	int rc;

	module_name(path, mod, sizeof mod);
	/* libltdl tries <module>_LTX_dal_plugin_init first, then the plain name. */
	init = (dal_plugin_init_fn *)lt_dlsym(h, DAL_PLUGIN_SYMBOL);
	if (!init) {
		/* An alias installed as a symlink (backend_sqlite3.so ->
		 * backend_sqlite.so): the symbol carries the real file's module
		 * name, which lt_dlsym() takes verbatim as the plain name. */
		char real[PATH_MAX], rmod[256], sym[320];
		if (realpath(path, real) && (module_name(real, rmod, sizeof rmod), 1) &&
		    strcmp(rmod, mod) != 0) {
			snprintf(sym, sizeof sym, "%s_LTX_%s", rmod, DAL_PLUGIN_SYMBOL);
			init = (dal_plugin_init_fn *)lt_dlsym(h, sym);
		}
	}
	if (!init) {
		/* ABI 1 exported its registration as data, "dal_plugin", with
		 * the version first: name the version rather than "not a plugin". */
		const uint32_t *old = lt_dlsym(h, "dal_plugin");
		if (old) {
			unsigned major = DAL_ABI_MAJOR_OF(*old), minor = DAL_ABI_MINOR_OF(*old);
			lt_dlclose(h);
			return dal_error_set(err, DAL_EPLUGIN_ABI, NULL, 0,
			                     "plugin %s was built for libdal plugin ABI %u.%u, but "
			                     "this libdal speaks ABI %u.%u; rebuild the plugin against "
			                     "this libdal's <dal/plugin.h>", path, major, minor,
			                     DAL_PLUGIN_ABI_MAJOR, DAL_PLUGIN_ABI_MINOR);
		}
		lt_dlclose(h);
		return invalid(err, path, NULL, "not a libdal plugin: it exports neither "
		               "'%s_LTX_%s' nor '%s'", mod, DAL_PLUGIN_SYMBOL, DAL_PLUGIN_SYMBOL);
	}
	lp = calloc(1, sizeof *lp);
	if (!lp || !(lp->path = strdup(path))) {
		free(lp);
		lt_dlclose(h);
		return dal_error_set(err, DAL_ENOMEM, "HY001", 0, "out of memory loading %s", path);
	}
	if ((rc = take_registration(path, init, lp, err)) != DAL_OK) {
		free(lp->path);
		free(lp);
		lt_dlclose(h);
		return rc;
	}
	lp->next = cache;
	cache = lp;
	*out = lp;
	return DAL_OK;
}

/* Called with cache_lock held. */
static int load_locked(const char *path, const struct loaded_plugin **out,
                       dal_error *err)
{
	const struct loaded_plugin *lp;
	lt_dlhandle h;
	int rc;

	if ((lp = loader_cached(path))) {
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
			/* dlopen() managed where libltdl did not: the file is fine,
			 * and libltdl's own message ("file not found" when one of
			 * its allocations failed) would send the user looking for
			 * a file that is there. */
			dlclose(dh);
			return dal_error_set(err, DAL_EPLUGIN_LOAD, NULL, 0,
			                     "cannot load plugin %s: libltdl failed (%s) although "
			                     "the file loads with dlopen(): out of memory?", path,
			                     why ? why : "no reason given");
		}
		why = dlerror();
		return dal_error_set(err, DAL_EPLUGIN_LOAD, NULL, 0,
		                     "cannot load plugin %s: %s", path, why ? why : "unknown error");
	}
	return loader_register(path, h, out, err);
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

/* 1 if a directory entry looks like a plugin file. */
static int plugin_file_name(const char *name)
{
	size_t n = strlen(name);

	return strncmp(name, "backend_", 8) == 0 && n > 11 &&
	       (strcmp(name + n - 3, ".so") == 0 || strcmp(name + n - 3, ".la") == 0);
}

struct find_ctx {
	const char *type;      /* the name asked for */
	const char *file;      /* module file base name to try: backend_<type> */
	const struct loaded_plugin *found;
	struct strbuf searched;
	dal_error *err;
	int rc;                /* first hard error (file exists but bad) */
};

/* Step 1: the file named after the type, backend_<type>.la/.so. */
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

/*
 * Step 2, for an alias: read the registrations of every plugin file in the
 * search path (each is loaded once per process and cached) and ask them.
 * Files that fail to load are skipped here; dal_plugin_list() reports them.
 */
static int scan_dir(const char *dir, const char *origin, void *ud)
{
	struct find_ctx *c = ud;
	DIR *d = opendir(dir);
	struct dirent *e;

	(void)origin;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		const struct loaded_plugin *lp;
		char path[PATH_MAX];
		dal_error ignore;
		int rc;

		if (!plugin_file_name(e->d_name))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		rc = load_locked(path, &lp, &ignore);
		if (rc == DAL_OK && !c->found && loader_matches(lp, c->type))
			c->found = lp;
		/* Running out of memory is not "no such plugin": keep it. */
		if (rc == DAL_ENOMEM && !c->rc) {
			*c->err = ignore;
			c->rc = rc;
		}
	}
	closedir(d);
	return 0; /* keep going: the whole path is scanned, for the message */
}

/* Step 2 for the preloaded plugins: like scan_dir(). */
static void scan_preloaded(struct find_ctx *c)
{
	struct strbuf names = {0};
	const char *p;

	preload_names(&names);
	/* Running out of memory is not "no such plugin". */
	if (names.failed && !c->rc)
		c->rc = dal_error_set(c->err, DAL_ENOMEM, "HY001", 0,
		                      "out of memory listing the preloaded plugins");
	for (p = names.data; p && *p;) {
		size_t n = strcspn(p, ":");
		char mod[128];
		const struct loaded_plugin *lp;
		dal_error ignore;
		int rc;

		snprintf(mod, sizeof mod, "%.*s", (int)(n < sizeof mod ? n : sizeof mod - 1), p);
		p += n + (p[n] == ':');
		rc = preload_open(mod, &lp, &ignore);
		if (rc == DAL_OK && lp && !c->found && loader_matches(lp, c->type))
			c->found = lp;
		if (rc == DAL_ENOMEM && !c->rc) {
			*c->err = ignore;
			c->rc = rc;
		}
	}
	sb_free(&names);
}

/* "sqlite, sqlite3 (file); pgsql, postgresql (server)": the names every
 * plugin loaded so far answers to. Called with cache_lock held. */
static void known_names(struct strbuf *sb)
{
	for (const struct loaded_plugin *p = cache; p; p = p->next) {
		int seen = 0;
		/* One plugin may be cached under two paths (backend_x.la and
		 * .so, a symlinked alias): name it once. */
		for (const struct loaded_plugin *q = cache; q != p && !seen; q = q->next)
			seen = strcmp(q->reg.name, p->reg.name) == 0;
		if (seen)
			continue;
		sb_printf(sb, "%s%s", sb->len ? "; " : "", p->reg.name);
		for (const char *const *a = p->reg.aliases; a && *a; a++)
			sb_printf(sb, ", %s", *a);
	}
}

int loader_find(const char *type, const char *plugin_dir,
                const struct loaded_plugin **out, dal_error *err)
{
	char file[128];
	struct find_ctx c = {.type = type, .err = err};
	int rc;

	*out = NULL;
	if (!loader_valid_name(type))
		return dal_error_set(err, DAL_ECONFIG, NULL, 0,
		                     "invalid database type '%s': use lower-case letters, digits "
		                     "and '_'", type ? type : "(null)");
	snprintf(file, sizeof file, "backend_%s", type);
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
	if ((rc = preload_open(file, &c.found, err)) != DAL_OK)
		goto out;
	if (!c.found)
		each_dir(plugin_dir, try_dir, &c);
	if (c.rc) {
		rc = c.rc;
		goto out;
	}
	if (!c.found)
		scan_preloaded(&c);
	if (!c.found)
		each_dir(plugin_dir, scan_dir, &c);
	if (!c.found && c.rc) {
		rc = c.rc;
		goto out;
	}
	if (!c.found) {
		struct strbuf names = {0};
		char hint[160];

		known_names(&names);
		loader_install_hint(type, hint, sizeof hint);
		rc = dal_error_set(err, DAL_EPLUGIN_NOTFOUND, NULL, 0,
		                   "no plugin for database type '%s'%s: no %s.so, and no installed "
		                   "plugin has that alias (installed: %s); searched %s; install "
		                   "the backend or set plugin_dir / DAL_PLUGIN_PATH",
		                   type, hint, file, names.data ? names.data : "none",
		                   c.searched.data ? c.searched.data : "(no directory)");
		sb_free(&names);
		goto out;
	}
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

/* Fill info from lp (or err) and hand it to the caller's callback. */
static void report_plugin(struct list_ctx *c, dal_plugin_info *info,
                          const struct loaded_plugin *lp, const dal_error *err)
{
	if (info->status == DAL_OK) {
		info->name = lp->reg.name;
		info->aliases = lp->reg.aliases;
		info->version = lp->reg.version;
		info->description = lp->reg.description;
		info->abi_major = DAL_ABI_MAJOR_OF(lp->reg.abi_version);
		info->abi_minor = DAL_ABI_MINOR_OF(lp->reg.abi_version);
		info->capabilities = lp->reg.capabilities;
		info->kind = lp->reg.kind;
		info->default_port = lp->reg.default_port;
		info->dialect = lp->reg.dialect;
	} else {
		info->error = err->message;
	}
	c->count++;
	if (c->fn)
		c->fn(info, c->ud);
}

/* The preloaded plugins, each as "backend_x (preloaded)". */
static void list_preloaded(struct list_ctx *c)
{
	struct strbuf names = {0};
	dal_error err;

	pthread_mutex_lock(&cache_lock);
	if (ensure_ltdl(&err) == DAL_OK)
		preload_names(&names);
	pthread_mutex_unlock(&cache_lock);
	for (const char *p = names.data; p && *p;) {
		size_t n = strcspn(p, ":");
		char mod[128], path[160];
		const struct loaded_plugin *lp = NULL;
		dal_plugin_info info = {0};

		snprintf(mod, sizeof mod, "%.*s", (int)(n < sizeof mod ? n : sizeof mod - 1), p);
		p += n + (p[n] == ':');
		snprintf(path, sizeof path, "%s (preloaded)", mod);
		info.path = path;
		pthread_mutex_lock(&cache_lock);
		info.status = preload_open(mod, &lp, &err);
		pthread_mutex_unlock(&cache_lock);
		if (info.status == DAL_OK && !lp)
			continue; /* listed but gone: cannot happen; never report NULL */
		report_plugin(c, &info, lp, &err);
	}
	sb_free(&names);
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
		if (!plugin_file_name(e->d_name))
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
		report_plugin(c, &info, lp, &err);
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
	list_preloaded(&c);
	each_dir(pd, list_dir, &c);
	free(pd);
	return c.count;
}
