/*
 * Resolving one repository's settings: INI section, environment, URLs and
 * built-in defaults merged by precedence, each value remembering where it
 * came from, then validated into the typed fields of struct dal_settings.
 * Also dal_config_describe(), which shows the result. Reading the INI file
 * is config.c's job, URL syntax is url.c's.
 *
 * Layers, lowest first; a higher layer overrides what it sets:
 *   default < INI [name] < DB_* variables < DB_URL (or DATABASE_URL) < url
 *
 * A URL says where to connect and as whom, as a whole: applying one forgets
 * the target and the identity given by lower layers (type, host, port, name,
 * path, user, password, password_file), so that a port from the INI meant
 * for MySQL never sticks to a PostgreSQL URL, and, above all, a password
 * meant for one server is never sent to the host another URL names. To keep
 * a secret out of a URL, give `?password_file=FILE` in it. Everything else
 * (pool, retries, timeouts, telemetry, backend options) is inherited.
 *
 * Inside the INI section, `url` is the base and the component keys of the
 * same section (host, port, password_file, ...) override it, whatever their
 * order in the file: the components are the more specific statement.
 *
 * What a type is (file or server database, its default port or file) is
 * asked of its plugin: the resolver loads it (loader.c caches plugins).
 */
#define _GNU_SOURCE
#include "settings.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgfile.h"
#include "internal.h"
#include "loader.h"
#include "url.h"

/* Same order as enum setting_key. */
static const char *const key_names[SK__COUNT] = {
	"type", "path", "host", "port", "name", "user", "password",
	"password_file", "pool_size", "max_retries", "retry_delay",
	"connect_timeout", "read_timeout", "write_timeout", "telemetry",
	"slow_query_ms", "allow_empty_password", "latency_buckets",
};

/* The environment variable of each key, or NULL. */
static const char *const env_names[SK__COUNT] = {
	[SK_TYPE] = "DB_TYPE",
	[SK_HOST] = "DB_HOST",
	[SK_PORT] = "DB_PORT",
	[SK_NAME] = "DB_NAME",
	[SK_USER] = "DB_USER",
	[SK_PASSWORD] = "DB_PASS",
	[SK_POOL_SIZE] = "DB_POOL_SIZE",
	[SK_MAX_RETRIES] = "DB_MAX_RETRIES",
	[SK_RETRY_DELAY] = "DB_RETRY_DELAY",
};

/* Numeric keys: range and default (NULL default: unset). */
static const struct {
	enum setting_key key;
	unsigned min, max;
	const char *def;
} numbers[] = {
	{SK_PORT, 1, 65535, NULL},
	{SK_POOL_SIZE, 1, 10000, "10"},
	{SK_MAX_RETRIES, 0, 100, "5"},
	{SK_RETRY_DELAY, 0, 3600, "5"},
	{SK_CONNECT_TIMEOUT, 0, 86400, "10"},
	{SK_READ_TIMEOUT, 0, 86400, "0"},
	{SK_WRITE_TIMEOUT, 0, 86400, "0"},
	{SK_SLOW_QUERY_MS, 0, 86400000, "0"},
};

/* Where a value came from, by precedence. */
enum rank { R_DEFAULT, R_INI, R_ENV, R_DBURL, R_URL };

/* Option lists, in the order they are handed out: highest precedence first,
 * because a backend takes the first match. Inside the INI, [name.backend]
 * sections override the query string of the section's url. */
enum opt_slot { OS_URL, OS_DBURL, OS_INI_SECTION, OS_INI_URL, OS__COUNT };

struct resolver {
	const struct dal_config *cfg;
	const char *plugin_dir; /* [dal] plugin_dir, resolved, or NULL */
	struct dal_settings *s;
	enum rank rank[SK__COUNT];
	struct setting_option *opts[OS__COUNT];
	size_t n_opts[OS__COUNT];
	dal_error *err;
};

const char *settings_key_name(enum setting_key k)
{
	return (unsigned)k < SK__COUNT ? key_names[k] : NULL;
}

static int nomem(dal_error *err)
{
	return dal_error_set(err, DAL_ENOMEM, NULL, 0,
	                     "out of memory resolving settings");
}

/* 1 if an option key names a secret ("sslpassword"): its value is never
 * shown. */
static int key_is_secret(const char *key)
{
	return strcasestr(key, "pass") != NULL;
}

static void free_secret(char *p)
{
	if (p) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

/* ------------------------------------------------------------------------ */
/* Setting values                                                            */
/* ------------------------------------------------------------------------ */

static void unset(struct resolver *r, enum setting_key k)
{
	if (k == SK_PASSWORD)
		free_secret(r->s->value[k]);
	else
		free(r->s->value[k]);
	free(r->s->source[k]);
	r->s->value[k] = NULL;
	r->s->source[k] = NULL;
	r->rank[k] = R_DEFAULT;
}

static int set(struct resolver *r, enum setting_key k, const char *value,
               const char *source, enum rank rank)
{
	char *v = strdup(value), *src = strdup(source);

	if (!v || !src) {
		free_secret(v);
		free(src);
		return nomem(r->err);
	}
	unset(r, k);
	/* password and password_file are two ways of saying one thing: the
	 * later (higher) one replaces the other. */
	if (k == SK_PASSWORD)
		unset(r, SK_PASSWORD_FILE);
	else if (k == SK_PASSWORD_FILE)
		unset(r, SK_PASSWORD);
	r->s->value[k] = v;
	r->s->source[k] = src;
	r->rank[k] = rank;
	return DAL_OK;
}

static int add_option(struct resolver *r, enum opt_slot slot, const char *backend,
                      const char *key, const char *value, const char *origin)
{
	struct setting_option *o;

	/* A key repeated within one source ("?a=1&a=2"): the last wins, as
	 * for repeated INI lines. */
	for (size_t i = 0; i < r->n_opts[slot]; i++) {
		o = &r->opts[slot][i];
		if (strcmp(o->key, key) == 0 &&
		    ((!o->backend && !backend) ||
		     (o->backend && backend && strcmp(o->backend, backend) == 0))) {
			char *v = strdup(value);
			if (!v)
				return nomem(r->err);
			free(o->value);
			o->value = v;
			return DAL_OK;
		}
	}
	o = realloc(r->opts[slot], (r->n_opts[slot] + 1) * sizeof *o);
	if (!o)
		return nomem(r->err);
	r->opts[slot] = o;
	o += r->n_opts[slot];
	o->backend = backend ? strdup(backend) : NULL;
	o->key = strdup(key);
	o->value = strdup(value);
	o->origin = strdup(origin);
	if ((backend && !o->backend) || !o->key || !o->value || !o->origin) {
		free(o->backend);
		free(o->key);
		free(o->value);
		free(o->origin);
		return nomem(r->err);
	}
	r->n_opts[slot]++;
	return DAL_OK;
}

static void free_option(struct setting_option *o)
{
	free(o->backend);
	free(o->key);
	free(o->value);
	free(o->origin);
}

/* ------------------------------------------------------------------------ */
/* Layers                                                                    */
/* ------------------------------------------------------------------------ */

static int key_from_name(const char *name)
{
	for (int k = 0; k < SK__COUNT; k++)
		if (strcmp(key_names[k], name) == 0)
			return k;
	return -1;
}

/* A URL whose scheme no plugin claims: say so in URL terms, keeping the
 * loader's list of installed plugins and directories. */
static int url_plugin_error(struct resolver *r, const char *origin, const char *scheme,
                            int rc)
{
	char msg[DAL_ERROR_MESSAGE_SIZE];

	if (rc != DAL_EPLUGIN_NOTFOUND)
		return rc;
	memcpy(msg, r->err->message, sizeof msg);
	return dal_error_set(r->err, rc, NULL, 0, "%s: URL scheme '%s': %s", origin, scheme,
	                     msg);
}

/*
 * Apply a URL as the layer `rank`. origin names it in messages ("DB_URL",
 * "argument", "dal.ini:4"); source is what describe shows.
 */
static int apply_url(struct resolver *r, const char *text, const char *origin,
                     const char *source, enum rank rank, enum opt_slot slot)
{
	static const enum setting_key target[] = {SK_TYPE, SK_HOST, SK_PORT, SK_NAME,
	                                          SK_PATH, SK_USER, SK_PASSWORD,
	                                          SK_PASSWORD_FILE};
	const struct loaded_plugin *lp;
	struct dal_url u;
	char port[16], scheme[72];
	int rc;

	if ((rc = url_scheme(text, origin, scheme, sizeof scheme, r->err)) != DAL_OK)
		return rc;
	if ((rc = loader_find(scheme, r->plugin_dir, &lp, r->err)) != DAL_OK)
		return url_plugin_error(r, origin, scheme, rc);
	rc = url_parse(text, origin, (int)lp->reg.kind, &u, r->err);
	if (rc != DAL_OK)
		return rc;
	if (u.driver)
		dal_log_emit(DAL_LOG_DEBUG, "%s: URL driver '+%s' ignored: libdal uses its %s "
		             "plugin", origin, u.driver, lp->reg.name);
	for (size_t i = 0; i < sizeof target / sizeof target[0]; i++)
		unset(r, target[i]);
	rc = set(r, SK_TYPE, u.scheme, source, rank);
	if (rc == DAL_OK && u.host)
		rc = set(r, SK_HOST, u.host, source, rank);
	if (rc == DAL_OK && u.port) {
		snprintf(port, sizeof port, "%u", u.port);
		rc = set(r, SK_PORT, port, source, rank);
	}
	if (rc == DAL_OK && u.path)
		rc = set(r, lp->reg.kind == DAL_KIND_FILE ? SK_PATH : SK_NAME,
		         u.path, source, rank);
	if (rc == DAL_OK && u.user)
		rc = set(r, SK_USER, u.user, source, rank);
	if (rc == DAL_OK && u.password)
		rc = set(r, SK_PASSWORD, u.password, source, rank);
	/* A query key naming a generic setting sets it (the same key an INI
	 * section would use); the rest are backend options. The type comes
	 * from the scheme only. */
	for (size_t i = 0; rc == DAL_OK && i < u.n_options; i++) {
		int k = key_from_name(u.options[i].key);
		if (k >= 0 && k != SK_TYPE)
			rc = set(r, (enum setting_key)k, u.options[i].value, source,
			         rank);
		else
			rc = add_option(r, slot, NULL, u.options[i].key,
			                u.options[i].value, source);
	}
	url_free(&u);
	return rc;
}

static char *ini_source(const struct dal_config *cfg, unsigned line)
{
	char *s;

	if (asprintf(&s, "%s:%u", cfg->origin, line) < 0)
		return NULL;
	return s;
}

static int apply_ini(struct resolver *r, const char *name)
{
	const struct dal_config *cfg = r->cfg;
	const struct config_entry *e, *pw, *pwf;
	size_t prefix = strlen(name);
	char *src;
	int rc = DAL_OK;

	pw = config_find(cfg, name, "password");
	pwf = config_find(cfg, name, "password_file");
	if (pw && pwf)
		return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
		                     "%s:%u: both password (line %u) and "
		                     "password_file (line %u) are set in [%s]; "
		                     "keep one", cfg->origin,
		                     pw->line > pwf->line ? pw->line : pwf->line,
		                     pw->line, pwf->line, name);
	if ((e = config_find(cfg, name, "url"))) {
		if (!(src = ini_source(cfg, e->line)))
			return nomem(r->err);
		rc = apply_url(r, e->value, src, src, R_INI, OS_INI_URL);
		free(src);
		if (rc != DAL_OK)
			return rc;
	}
	for (int k = 0; k < SK__COUNT && rc == DAL_OK; k++) {
		if (!(e = config_find(cfg, name, key_names[k])))
			continue;
		if (!(src = ini_source(cfg, e->line)))
			return nomem(r->err);
		rc = set(r, (enum setting_key)k, e->value, src, R_INI);
		free(src);
	}
	/* [name.backend] sections, in file order; of a repeated key only the
	 * last line counts, as for every other key. */
	for (size_t i = 0; i < cfg->n_entries && rc == DAL_OK; i++) {
		e = &cfg->entries[i];
		if (strncmp(e->section, name, prefix) != 0 ||
		    e->section[prefix] != '.' || !e->section[prefix + 1] ||
		    config_find(cfg, e->section, e->key) != e)
			continue;
		if (!(src = ini_source(cfg, e->line)))
			return nomem(r->err);
		rc = add_option(r, OS_INI_SECTION, e->section + prefix + 1, e->key,
		                e->value, src);
		free(src);
	}
	return rc;
}

static int apply_env(struct resolver *r)
{
	char src[64];
	int rc = DAL_OK;

	for (int k = 0; k < SK__COUNT && rc == DAL_OK; k++) {
		const char *v;

		if (!env_names[k])
			continue;
		/* An empty variable counts as unset, as compose files and shell
		 * scripts often export empty ones. */
		v = getenv(env_names[k]);
		if (!v || !*v)
			continue;
		snprintf(src, sizeof src, "env %s", env_names[k]);
		rc = set(r, (enum setting_key)k, v, src, R_ENV);
	}
	return rc;
}

static int apply_env_url(struct resolver *r)
{
	const char *var = "DB_URL", *v = getenv(var);

	if (!v || !*v) {
		var = "DATABASE_URL";
		v = getenv(var);
	}
	if (!v || !*v)
		return DAL_OK;
	return apply_url(r, v, var, var, R_DBURL, OS_DBURL);
}

/* ------------------------------------------------------------------------ */
/* Validation                                                                */
/* ------------------------------------------------------------------------ */

/* Strict unsigned decimal in [min, max]: no sign, no blanks, no suffix. */
static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out,
                      int *range_error)
{
	unsigned long long v = 0;

	*range_error = 0;
	if (!*s)
		return 0;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return 0;
		if (v <= 0xFFFFFFFFull)
			v = v * 10 + (unsigned)(*p - '0');
	}
	if (v < min || v > max) {
		*range_error = 1;
		return 0;
	}
	*out = (unsigned)v;
	return 1;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"on", "true", "yes", "1", NULL};
	static const char *const no[] = {"off", "false", "no", "0", NULL};

	for (const char *const *p = yes; *p; p++)
		if (strcasecmp(s, *p) == 0)
			return *out = 1, 1;
	for (const char *const *p = no; *p; p++)
		if (strcasecmp(s, *p) == 0)
			return *out = 0, 1;
	return 0;
}

static int bad_value(struct resolver *r, enum setting_key k, const char *why)
{
	return dal_error_set(r->err, DAL_ECONFIG, NULL, 0, "%s: %s = '%s' %s",
	                     r->s->source[k], key_names[k], r->s->value[k], why);
}

static int check_number(struct resolver *r, enum setting_key k, unsigned min,
                        unsigned max, unsigned *out)
{
	char why[80];
	int range;

	*out = 0;
	if (!r->s->value[k])
		return DAL_OK;
	if (parse_uint(r->s->value[k], min, max, out, &range))
		return DAL_OK;
	snprintf(why, sizeof why, "%s (expected %u..%u)",
	         range ? "is out of range" : "is not a number", min, max);
	return bad_value(r, k, why);
}

/*
 * latency_buckets: histogram upper bounds in seconds, comma-separated,
 * strictly increasing, each in (0, 3600], at most DAL_HISTOGRAM_MAX_BUCKETS
 * ("0.0001, 0.00025, 0.0005, 0.001"). Fast local databases finish most
 * operations under OpenTelemetry's first default bound of 1 ms.
 */
static int check_buckets(struct resolver *r)
{
	const char *p = r->s->value[SK_LATENCY_BUCKETS];
	struct dal_settings *s = r->s;
	char why[160];

	s->n_latency_buckets = 0;
	if (!p || !*p)
		return DAL_OK;
	for (;;) {
		char *end;
		double v;

		while (*p == ' ' || *p == '\t')
			p++;
		if (s->n_latency_buckets == DAL_HISTOGRAM_MAX_BUCKETS) {
			snprintf(why, sizeof why, "has more than %d bounds",
			         DAL_HISTOGRAM_MAX_BUCKETS);
			goto bad;
		}
		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno || !(v > 0 && v <= 3600)) {
			snprintf(why, sizeof why, "has a bad bound at '%.20s' (expected "
			         "seconds, 0 < x <= 3600, comma-separated)", p);
			goto bad;
		}
		if (s->n_latency_buckets && v <= s->latency_buckets[s->n_latency_buckets - 1]) {
			snprintf(why, sizeof why, "is not strictly increasing at '%.20s'", p);
			goto bad;
		}
		s->latency_buckets[s->n_latency_buckets++] = v;
		p = end;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return DAL_OK;
		if (*p != ',') {
			snprintf(why, sizeof why, "has junk at '%.20s' (expected a comma)", p);
			goto bad;
		}
		p++;
	}
bad:
	s->n_latency_buckets = 0;
	return bad_value(r, SK_LATENCY_BUCKETS, why);
}

static int check_bool(struct resolver *r, enum setting_key k, int *out)
{
	if (!r->s->value[k] || parse_bool(r->s->value[k], out))
		return DAL_OK;
	return bad_value(r, k, "is not a boolean (use on/off, true/false, "
	                       "yes/no or 1/0)");
}

/* Relative paths from the INI file are relative to its directory; from
 * anywhere else (URL argument, environment) to the current directory. */
static char *absolute_path(struct resolver *r, enum setting_key k, const char *p)
{
	char cwd[PATH_MAX], *out;
	const char *base;

	if (p[0] == '/' || strcmp(p, ":memory:") == 0)
		return strdup(p);
	if (r->rank[k] <= R_INI && r->cfg) {
		base = r->cfg->basedir;
	} else {
		if (!getcwd(cwd, sizeof cwd))
			snprintf(cwd, sizeof cwd, "/");
		base = cwd;
	}
	if (asprintf(&out, "%s%s%s", base,
	             base[strlen(base) - 1] == '/' ? "" : "/", p) < 0)
		return NULL;
	return out;
}

/* Read a password file: the whole content, less one trailing newline. */
static int read_password_file(struct resolver *r, const char *path)
{
	enum { MAX = 64 * 1024 };
	char *buf;
	size_t n;
	FILE *f;
	int e = 0;

	f = fopen(path, "r");
	if (!f) {
		e = errno;
		goto fail;
	}
	buf = malloc(MAX + 1);
	if (!buf) {
		fclose(f);
		return nomem(r->err);
	}
	n = fread(buf, 1, MAX + 1, f);
	if (ferror(f))
		e = errno ? errno : EIO;
	fclose(f);
	if (e || n > MAX || memchr(buf, '\0', n)) {
		explicit_bzero(buf, n);
		free(buf);
		if (!e)
			return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
			                     "%s: password_file '%s' %s",
			                     r->s->source[SK_PASSWORD_FILE], path,
			                     n > MAX ? "is larger than 64 KiB"
			                             : "contains a NUL byte");
		goto fail;
	}
	if (n && buf[n - 1] == '\n')
		n--;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	r->s->password = buf;
	return DAL_OK;
fail:
	return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
	                     "%s: password_file '%s': cannot read: %s",
	                     r->s->source[SK_PASSWORD_FILE], path, strerror(e));
}

static int apply_defaults(struct resolver *r)
{
	struct dal_settings *s = r->s;
	const struct dal_plugin *reg;
	int rc = DAL_OK;

	/* The configured default type (configure --with-default-type, passed
	 * in by core/Makefile.am) is the only backend name the core holds. */
	if (!s->value[SK_TYPE])
		rc = set(r, SK_TYPE, DAL_DEFAULT_TYPE, "default", R_DEFAULT);
	if (rc != DAL_OK)
		return rc;
	s->type = strdup(s->value[SK_TYPE]);
	if (!s->type)
		return nomem(r->err);
	for (char *p = s->type; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!loader_valid_name(s->type))
		return bad_value(r, SK_TYPE, "is not a backend name (lower-case letters, "
		                             "digits and _; `dal plugins` lists them)");
	if ((rc = loader_find(s->type, r->plugin_dir, &s->plugin, r->err)) != DAL_OK) {
		if (rc == DAL_EPLUGIN_NOTFOUND) {
			char msg[DAL_ERROR_MESSAGE_SIZE];
			memcpy(msg, r->err->message, sizeof msg);
			dal_error_set(r->err, rc, NULL, 0, "%s: type = '%s': %s",
			              s->source[SK_TYPE], s->type, msg);
		}
		return rc;
	}
	reg = &s->plugin->reg;
	if (reg->kind == DAL_KIND_FILE && r->rank[SK_NAME] > r->rank[SK_PATH]) {
		/* DB_TYPE=sqlite DB_NAME=app.db: for a file database the
		 * database name is the file. */
		char *src = strdup(s->source[SK_NAME]);
		if (!src)
			return nomem(r->err);
		rc = set(r, SK_PATH, s->value[SK_NAME], src, r->rank[SK_NAME]);
		free(src);
		if (rc != DAL_OK)
			return rc;
		unset(r, SK_NAME);
	}
	if (reg->kind == DAL_KIND_FILE && !s->value[SK_PATH]) {
		if (!reg->default_path)
			return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
			                     "repository '%s': a %s database needs a path (path = "
			                     "FILE, DB_NAME, or a URL like %s:///FILE)",
			                     s->name, s->type, s->type);
		rc = set(r, SK_PATH, reg->default_path, "default", R_DEFAULT);
	}
	if (rc == DAL_OK && reg->kind == DAL_KIND_SERVER && !s->value[SK_PORT] &&
	    reg->default_port) {
		char port[16];
		snprintf(port, sizeof port, "%u", reg->default_port);
		rc = set(r, SK_PORT, port, "default", R_DEFAULT);
	}
	for (size_t i = 0; rc == DAL_OK && i < sizeof numbers / sizeof numbers[0]; i++)
		if (!s->value[numbers[i].key] && numbers[i].def)
			rc = set(r, numbers[i].key, numbers[i].def, "default", R_DEFAULT);
	if (rc == DAL_OK && !s->value[SK_TELEMETRY])
		rc = set(r, SK_TELEMETRY, "on", "default", R_DEFAULT);
	if (rc == DAL_OK && !s->value[SK_ALLOW_EMPTY_PASSWORD])
		rc = set(r, SK_ALLOW_EMPTY_PASSWORD, "off", "default", R_DEFAULT);
	return rc;
}

static int validate(struct resolver *r)
{
	struct dal_settings *s = r->s;
	unsigned *dst[SK__COUNT] = {
		[SK_PORT] = &s->port,
		[SK_POOL_SIZE] = &s->pool_size,
		[SK_MAX_RETRIES] = &s->max_retries,
		[SK_RETRY_DELAY] = &s->retry_delay,
		[SK_CONNECT_TIMEOUT] = &s->connect_timeout,
		[SK_READ_TIMEOUT] = &s->read_timeout,
		[SK_WRITE_TIMEOUT] = &s->write_timeout,
		[SK_SLOW_QUERY_MS] = &s->slow_query_ms,
	};
	const char *host = s->value[SK_HOST];
	int rc;

	for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
		rc = check_number(r, numbers[i].key, numbers[i].min, numbers[i].max,
		                  dst[numbers[i].key]);
		if (rc != DAL_OK)
			return rc;
	}
	s->telemetry = 1;
	if ((rc = check_bool(r, SK_TELEMETRY, &s->telemetry)) != DAL_OK ||
	    (rc = check_bool(r, SK_ALLOW_EMPTY_PASSWORD, &s->allow_empty_password)) ||
	    (rc = check_buckets(r)))
		return rc;
	if (s->value[SK_PATH]) {
		if (!*s->value[SK_PATH])
			return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
			                     "%s: path is empty", s->source[SK_PATH]);
		if (!(s->path = absolute_path(r, SK_PATH, s->value[SK_PATH])))
			return nomem(r->err);
	}
	if (s->value[SK_PASSWORD_FILE]) {
		char *file = absolute_path(r, SK_PASSWORD_FILE,
		                           s->value[SK_PASSWORD_FILE]);
		if (!file)
			return nomem(r->err);
		rc = read_password_file(r, file);
		free(file);
		if (rc != DAL_OK)
			return rc;
	} else if (s->value[SK_PASSWORD]) {
		if (!(s->password = strdup(s->value[SK_PASSWORD])))
			return nomem(r->err);
	}
	/* An empty password over TCP to a server is almost always a mistake
	 * (a missing secret in deployment) that would otherwise surface as a
	 * confusing authentication failure, or worse, succeed against a server
	 * with trust authentication. Sockets (host "/...", or no host: the
	 * client's local default) are left alone: peer authentication is
	 * normal there. */
	if (s->plugin->reg.kind == DAL_KIND_SERVER && host && *host && host[0] != '/' &&
	    (!s->password || !*s->password) && !s->allow_empty_password) {
		const char *user = s->value[SK_USER];
		char port[16] = "";

		if (s->port && !strchr(host, ','))
			snprintf(port, sizeof port, ":%u", s->port);
		return dal_error_set(r->err, DAL_ECONFIG, NULL, 0,
		                     "repository '%s': empty password for %s@%s%s; "
		                     "set password/password_file/DB_PASS or "
		                     "allow_empty_password = true",
		                     s->name, user && *user ? user : "(default user)",
		                     host, port);
	}
	return DAL_OK;
}

static int collect_options(struct resolver *r)
{
	struct dal_settings *s = r->s;
	size_t total = 0;

	for (int i = 0; i < OS__COUNT; i++)
		total += r->n_opts[i];
	if (!total)
		return DAL_OK;
	s->options = calloc(total, sizeof *s->options);
	if (!s->options)
		return nomem(r->err);
	/* Across slots, a key already given by a stronger source is dropped
	 * (a URL's journal_mode beats [main.sqlite] journal_mode). */
	for (int i = 0; i < OS__COUNT; i++) {
		for (size_t j = 0; j < r->n_opts[i]; j++) {
			struct setting_option *o = &r->opts[i][j];
			int dup = 0;

			for (size_t m = 0; m < s->n_options && !dup; m++) {
				const struct setting_option *p = &s->options[m];
				dup = strcmp(p->key, o->key) == 0 &&
				      (!p->backend || !o->backend ||
				       strcmp(p->backend, o->backend) == 0);
			}
			if (dup) {
				free_option(o);
			} else {
				s->options[s->n_options++] = *o;
			}
			memset(o, 0, sizeof *o);
		}
	}
	return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                              */
/* ------------------------------------------------------------------------ */

static const char *default_name(const struct dal_config *cfg, unsigned *line)
{
	const struct config_entry *e = config_find(cfg, "dal", "default");

	if (e && *e->value) {
		if (line)
			*line = e->line;
		return e->value;
	}
	return "main";
}

int settings_is_default(const struct dal_config *cfg, const char *name)
{
	return !name || strcmp(name, default_name(cfg, NULL)) == 0;
}

char *settings_plugin_dir(const struct dal_config *cfg)
{
	const struct config_entry *e = config_find(cfg, "dal", "plugin_dir");
	char *out;

	if (!e || !*e->value)
		return NULL;
	if (e->value[0] == '/')
		return strdup(e->value);
	if (asprintf(&out, "%s/%s", cfg->basedir, e->value) < 0)
		return NULL;
	return out;
}

/* "repository 'x' not found in FILE (sections: a, b)". */
static int not_found(const struct dal_config *cfg, const char *name,
                     dal_error *err)
{
	char list[300];
	size_t len = 0;

	list[0] = '\0';
	for (size_t i = 0; i < cfg->n_sections; i++) {
		const char *sec = cfg->sections[i];
		int n;

		if (strcmp(sec, "dal") == 0 || strchr(sec, '.'))
			continue;
		n = snprintf(list + len, sizeof list - len, "%s%s",
		             len ? ", " : "", sec);
		if (n < 0 || (size_t)n >= sizeof list - len)
			break;
		len += (size_t)n;
	}
	if (!cfg->path && strcmp(cfg->origin, "<no file>") == 0)
		return dal_error_set(err, DAL_ECONFIG, NULL, 0,
		                     "repository '%s' not found: no configuration "
		                     "file was loaded (set DAL_CONFIG or give a "
		                     "file)", name);
	return dal_error_set(err, DAL_ECONFIG, NULL, 0,
	                     "repository '%s' not found in %s (%s%s)", name,
	                     cfg->origin, len ? "sections: " : "no repository sections",
	                     list);
}

int settings_resolve(const struct dal_config *cfg, const char *name,
                     const char *url, int use_env, struct dal_settings *out,
                     dal_error *err)
{
	struct resolver r = {.cfg = cfg, .s = out, .err = err};
	char *plugin_dir = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	if (name && (!*name || strchr(name, '.') || strchr(name, ']')))
		return dal_error_set(err, DAL_ECONFIG, NULL, 0,
		                     "invalid repository name '%s' (it is an INI "
		                     "section name: not empty, no '.' or ']')",
		                     name);
	/* An explicit name must exist, unless it is the default repository
	 * (which may live on defaults and the environment alone) or a URL
	 * says where to connect anyway. */
	if (name && cfg && !url && !settings_is_default(cfg, name) &&
	    !config_has_section(cfg, name))
		return not_found(cfg, name, err);
	if (!name)
		name = default_name(cfg, NULL);
	out->name = strdup(name);
	if (!out->name)
		return nomem(err);

	rc = DAL_OK;
	if (cfg && config_find(cfg, "dal", "plugin_dir") && !(plugin_dir = settings_plugin_dir(cfg)))
		rc = nomem(err);
	r.plugin_dir = plugin_dir;
	if (rc == DAL_OK && cfg)
		rc = apply_ini(&r, name);
	if (rc == DAL_OK && use_env)
		rc = apply_env(&r);
	if (rc == DAL_OK && use_env)
		rc = apply_env_url(&r);
	if (rc == DAL_OK && url)
		rc = apply_url(&r, url, "argument", "url", R_URL, OS_URL);
	if (rc == DAL_OK)
		rc = apply_defaults(&r);
	if (rc == DAL_OK)
		rc = validate(&r);
	if (rc == DAL_OK)
		rc = collect_options(&r);
	if (rc == DAL_OK && cfg) {
		const struct config_entry *e = config_find(cfg, "dal", "plugin_dir");
		if (e && *e->value) {
			out->plugin_dir = settings_plugin_dir(cfg);
			out->plugin_dir_source = ini_source(cfg, e->line);
			if (!out->plugin_dir || !out->plugin_dir_source)
				rc = nomem(err);
		}
	}
	for (int i = 0; i < OS__COUNT; i++) {
		for (size_t j = 0; j < r.n_opts[i]; j++)
			free_option(&r.opts[i][j]);
		free(r.opts[i]);
	}
	free(plugin_dir);
	if (rc != DAL_OK) {
		settings_free(out);
		return rc;
	}
	dal_error_clear(err);
	return DAL_OK;
}

void settings_free(struct dal_settings *s)
{
	if (!s)
		return;
	free(s->name);
	for (int k = 0; k < SK__COUNT; k++) {
		if (k == SK_PASSWORD)
			free_secret(s->value[k]);
		else
			free(s->value[k]);
		free(s->source[k]);
	}
	free(s->type);
	free(s->path);
	free_secret(s->password);
	free(s->plugin_dir);
	free(s->plugin_dir_source);
	for (size_t i = 0; i < s->n_options; i++)
		free_option(&s->options[i]);
	free(s->options);
	memset(s, 0, sizeof *s);
}

int dal_config_describe(const dal_config *cfg, const char *name,
                        const char *url, dal_setting_fn fn, void *userdata,
                        dal_error *err)
{
	struct dal_settings s;
	char num[16], key[128];
	unsigned line = 0;
	char *src = NULL;
	int rc;

	if (!fn)
		return dal_error_set(err, DAL_EMISUSE, NULL, 0,
		                     "dal_config_describe: fn is NULL");
	rc = settings_resolve(cfg, name, url, settings_is_default(cfg, name), &s,
	                      err);
	if (rc != DAL_OK)
		return rc;
	if (name) {
		fn("repository", s.name, "argument", userdata);
	} else {
		default_name(cfg, &line);
		if (line && cfg && !(src = ini_source(cfg, line))) {
			settings_free(&s);
			return nomem(err);
		}
		fn("repository", s.name, src ? src : "default", userdata);
		free(src);
	}
	for (int k = 0; k < SK__COUNT; k++) {
		const char *v = s.value[k];

		if (!v)
			continue;
		switch (k) {
		case SK_TYPE:
			v = s.type;
			break;
		case SK_PATH:
			v = s.path;
			break;
		case SK_PASSWORD:
			v = "***";
			break;
		case SK_TELEMETRY:
			v = s.telemetry ? "on" : "off";
			break;
		case SK_ALLOW_EMPTY_PASSWORD:
			v = s.allow_empty_password ? "on" : "off";
			break;
		case SK_PORT: case SK_POOL_SIZE: case SK_MAX_RETRIES:
		case SK_RETRY_DELAY: case SK_CONNECT_TIMEOUT: case SK_READ_TIMEOUT:
		case SK_WRITE_TIMEOUT: case SK_SLOW_QUERY_MS: {
			/* Print the parsed number ("010" shows as 10). */
			unsigned n = k == SK_PORT ? s.port
			           : k == SK_POOL_SIZE ? s.pool_size
			           : k == SK_MAX_RETRIES ? s.max_retries
			           : k == SK_RETRY_DELAY ? s.retry_delay
			           : k == SK_CONNECT_TIMEOUT ? s.connect_timeout
			           : k == SK_READ_TIMEOUT ? s.read_timeout
			           : k == SK_WRITE_TIMEOUT ? s.write_timeout
			           : s.slow_query_ms;
			snprintf(num, sizeof num, "%u", n);
			v = num;
			break;
		}
		default:
			break;
		}
		fn(key_names[k], v, s.source[k], userdata);
	}
	if (s.plugin_dir)
		fn("plugin_dir", s.plugin_dir, s.plugin_dir_source, userdata);
	for (size_t i = 0; i < s.n_options; i++) {
		const struct setting_option *o = &s.options[i];
		snprintf(key, sizeof key, "%s.%s", o->backend ? o->backend : s.type,
		         o->key);
		fn(key, key_is_secret(o->key) ? "***" : o->value, o->origin,
		   userdata);
	}
	settings_free(&s);
	return DAL_OK;
}
