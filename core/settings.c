/*
 * Resolving one repository's settings: INI section, environment, URLs and
 * built-in defaults merged by precedence, each value remembering where it
 * came from, then validated into the typed fields of struct dal_settings.
 * Defaults and validation are in settings_check.c, dal_config_describe()
 * in describe.c (resolver.h is what they share). Reading the INI file is
 * config.c's job, URL syntax is url.c's.
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
#include "resolver.h"
#include "internal.h"
#include "loader.h"
#include "url.h"

/* Same order as enum setting_key. */
const char *const res_key_names[SK__COUNT] = {
	"type", "path", "host", "port", "name", "user", "password",
	"password_file", "pool_size", "max_retries", "retry_delay",
	"connect_timeout", "read_timeout", "write_timeout", "telemetry",
	"slow_query_ms", "allow_empty_password", "latency_buckets",
	"max_overflow", "pool_timeout", "idle_timeout", "max_lifetime", "pre_ping",
	"retry_max_delay", "statement_timeout", "statement_cache_size", "migrations",
	"auto_migrate",
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
	[SK_MAX_OVERFLOW] = "DB_MAX_OVERFLOW",
	[SK_POOL_TIMEOUT] = "DB_POOL_TIMEOUT",
	[SK_MAX_LIFETIME] = "DB_POOL_RECYCLE",
	[SK_PRE_PING] = "DB_POOL_PRE_PING",
};

/* Numeric keys: range and default (NULL default: unset). */
const struct res_number res_numbers[] = {
	{SK_PORT, 1, 65535, NULL},
	{SK_POOL_SIZE, 1, 10000, "10"},
	{SK_MAX_OVERFLOW, 0, 10000, "10"},
	{SK_MAX_RETRIES, 0, 100, "5"},
	{SK_CONNECT_TIMEOUT, 0, 86400, "10"},
	{SK_READ_TIMEOUT, 0, 86400, "0"},
	{SK_WRITE_TIMEOUT, 0, 86400, "0"},
	{SK_SLOW_QUERY_MS, 0, 86400000, "0"},
	{SK_STATEMENT_CACHE_SIZE, 0, 10000, NULL}, /* default by kind: settings_check.c */
};
const size_t res_n_numbers = sizeof res_numbers / sizeof res_numbers[0];

/* Durations in seconds, decimals allowed ("0.25"): maximum and default. */
const struct res_number res_durations[] = {
	{SK_RETRY_DELAY, 0, 3600, "5"},
	{SK_RETRY_MAX_DELAY, 0, 3600, "30"},
	{SK_POOL_TIMEOUT, 0, 86400, "30"},
	{SK_IDLE_TIMEOUT, 0, 86400 * 7, "600"},
	{SK_MAX_LIFETIME, 0, 86400 * 7, "0"},
	{SK_STATEMENT_TIMEOUT, 0, 86400, "0"},
};
const size_t res_n_durations = sizeof res_durations / sizeof res_durations[0];


const char *settings_key_name(enum setting_key k)
{
	return (unsigned)k < SK__COUNT ? res_key_names[k] : NULL;
}

int res_nomem(dal_error *err)
{
	return dal_error_set(err, DAL_ENOMEM, NULL, 0,
	                     "out of memory resolving settings");
}

/* 1 if an option key names a secret ("sslpassword"): its value is never
 * shown. */
int res_key_is_secret(const char *key)
{
	return strcasestr(key, "pass") != NULL;
}

void res_free_secret(char *p)
{
	if (p) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

/* ------------------------------------------------------------------------ */
/* Setting values                                                            */
/* ------------------------------------------------------------------------ */

void res_unset(struct resolver *r, enum setting_key k)
{
	if (k == SK_PASSWORD)
		res_free_secret(r->s->value[k]);
	else
		free(r->s->value[k]);
	free(r->s->source[k]);
	r->s->value[k] = NULL;
	r->s->source[k] = NULL;
	r->rank[k] = R_DEFAULT;
}

int res_set(struct resolver *r, enum setting_key k, const char *value,
               const char *source, enum rank rank)
{
	char *v = strdup(value), *src = strdup(source);

	if (!v || !src) {
		res_free_secret(v);
		free(src);
		return res_nomem(r->err);
	}
	res_unset(r, k);
	/* password and password_file are two ways of saying one thing: the
	 * later (higher) one replaces the other. */
	if (k == SK_PASSWORD)
		res_unset(r, SK_PASSWORD_FILE);
	else if (k == SK_PASSWORD_FILE)
		res_unset(r, SK_PASSWORD);
	r->s->value[k] = v;
	r->s->source[k] = src;
	r->rank[k] = rank;
	return DAL_OK;
}

/*
 * Options are indexed by (backend, key) so that a megabyte of them resolves
 * in time linear in its size (a duplicate search per option was quadratic).
 * NULL backend: an option for whatever backend the type names.
 */
struct opt_key {
	const char *backend, *key;
};

static uint64_t opt_hash(const char *backend, const char *key)
{
	uint64_t h = hindex_hash(HINDEX_SEED, key, strlen(key) + 1);

	return backend ? hindex_hash(h, backend, strlen(backend)) : hindex_hash(h, "\xff", 1);
}

static int opt_is(const struct setting_option *o, const struct opt_key *k)
{
	return strcmp(o->key, k->key) == 0 &&
	       (o->backend ? k->backend && strcmp(o->backend, k->backend) == 0 : !k->backend);
}

static int opt_array_is(const void *ctx, size_t i, const void *key)
{
	return opt_is(&(*(const struct setting_option *const *)ctx)[i], key);
}

static uint64_t opt_array_hash(const void *ctx, size_t i)
{
	const struct setting_option *o = &(*(const struct setting_option *const *)ctx)[i];

	return opt_hash(o->backend, o->key);
}

static int add_option(struct resolver *r, enum opt_slot slot, const char *backend,
                      const char *key, const char *value, const char *origin)
{
	struct opt_key k = {backend, key};
	struct setting_option *o;
	size_t *at;

	if (!hindex_reserve(&r->opt_index[slot], opt_array_hash, &r->opts[slot]))
		return res_nomem(r->err);
	at = hindex_find(&r->opt_index[slot], opt_hash(backend, key), opt_array_is,
	                 &r->opts[slot], &k);
	/* A key repeated within one source ("?a=1&a=2"): the last wins, as
	 * for repeated INI lines. */
	if (*at) {
		char *v = strdup(value);

		if (!v)
			return res_nomem(r->err);
		o = &r->opts[slot][*at - 1];
		free(o->value);
		o->value = v;
		return DAL_OK;
	}
	if (r->n_opts[slot] == r->cap_opts[slot]) {
		size_t nc = r->cap_opts[slot] ? 2 * r->cap_opts[slot] : 8;

		if (!(o = realloc(r->opts[slot], nc * sizeof *o)))
			return res_nomem(r->err);
		r->opts[slot] = o;
		r->cap_opts[slot] = nc;
	}
	o = r->opts[slot] + r->n_opts[slot];
	o->backend = backend ? strdup(backend) : NULL;
	o->key = strdup(key);
	o->value = strdup(value);
	o->origin = strdup(origin);
	if ((backend && !o->backend) || !o->key || !o->value || !o->origin) {
		free(o->backend);
		free(o->key);
		free(o->value);
		free(o->origin);
		return res_nomem(r->err);
	}
	hindex_set(&r->opt_index[slot], at, r->n_opts[slot]++);
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
		if (strcmp(res_key_names[k], name) == 0)
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
		res_unset(r, target[i]);
	rc = res_set(r, SK_TYPE, u.scheme, source, rank);
	if (rc == DAL_OK && u.host)
		rc = res_set(r, SK_HOST, u.host, source, rank);
	if (rc == DAL_OK && u.port) {
		snprintf(port, sizeof port, "%u", u.port);
		rc = res_set(r, SK_PORT, port, source, rank);
	}
	if (rc == DAL_OK && u.path)
		rc = res_set(r, lp->reg.kind == DAL_KIND_FILE ? SK_PATH : SK_NAME,
		         u.path, source, rank);
	if (rc == DAL_OK && u.user)
		rc = res_set(r, SK_USER, u.user, source, rank);
	if (rc == DAL_OK && u.password)
		rc = res_set(r, SK_PASSWORD, u.password, source, rank);
	/* A query key naming a generic setting sets it (the same key an INI
	 * section would use); the rest are backend options. The type comes
	 * from the scheme only. */
	for (size_t i = 0; rc == DAL_OK && i < u.n_options; i++) {
		int k = key_from_name(u.options[i].key);
		if (k >= 0 && k != SK_TYPE)
			rc = res_set(r, (enum setting_key)k, u.options[i].value, source,
			         rank);
		else
			rc = add_option(r, slot, NULL, u.options[i].key,
			                u.options[i].value, source);
	}
	url_free(&u);
	return rc;
}

char *res_ini_source(const struct dal_config *cfg, unsigned line)
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
		if (!(src = res_ini_source(cfg, e->line)))
			return res_nomem(r->err);
		rc = apply_url(r, e->value, src, src, R_INI, OS_INI_URL);
		free(src);
		if (rc != DAL_OK)
			return rc;
	}
	for (int k = 0; k < SK__COUNT && rc == DAL_OK; k++) {
		if (!(e = config_find(cfg, name, res_key_names[k])))
			continue;
		if (!(src = res_ini_source(cfg, e->line)))
			return res_nomem(r->err);
		rc = res_set(r, (enum setting_key)k, e->value, src, R_INI);
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
		if (!(src = res_ini_source(cfg, e->line)))
			return res_nomem(r->err);
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
		rc = res_set(r, (enum setting_key)k, v, src, R_ENV);
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

/* An index by key alone, whatever the backend. */
static int key_is(const void *ctx, size_t i, const void *key)
{
	return strcmp((*(const struct setting_option *const *)ctx)[i].key, key) == 0;
}

static uint64_t key_hash(const void *ctx, size_t i)
{
	const char *key = (*(const struct setting_option *const *)ctx)[i].key;

	return hindex_hash(HINDEX_SEED, key, strlen(key));
}

static int collect_options(struct resolver *r)
{
	struct dal_settings *s = r->s;
	struct hindex by_pair = {0}, by_key = {0};
	size_t total = 0;
	int rc = DAL_OK;

	for (int i = 0; i < OS__COUNT; i++)
		total += r->n_opts[i];
	if (!total)
		return DAL_OK;
	s->options = calloc(total, sizeof *s->options);
	if (!s->options)
		return res_nomem(r->err);
	/* Across slots, a key already given by a stronger source is dropped
	 * (a URL's journal_mode beats [main.sqlite] journal_mode): for an option
	 * of any backend, the same key for any backend; for one of a named
	 * backend, the same key for that backend or for any. */
	for (int i = 0; i < OS__COUNT && rc == DAL_OK; i++) {
		for (size_t j = 0; j < r->n_opts[i]; j++) {
			struct setting_option *o = &r->opts[i][j];
			struct opt_key any = {NULL, o->key};
			size_t *pair, *key;
			int dup;

			if (!hindex_reserve(&by_pair, opt_array_hash, &s->options) ||
			    !hindex_reserve(&by_key, key_hash, &s->options)) {
				rc = res_nomem(r->err);
				break;
			}
			key = hindex_find(&by_key, hindex_hash(HINDEX_SEED, o->key, strlen(o->key)),
			                  key_is, &s->options, o->key);
			pair = hindex_find(&by_pair, opt_hash(o->backend, o->key), opt_array_is,
			                   &s->options, &(struct opt_key){o->backend, o->key});
			if (!o->backend)
				dup = *key != 0;
			else
				dup = *pair || *hindex_find(&by_pair, opt_hash(NULL, o->key),
				                            opt_array_is, &s->options, &any);
			if (dup) {
				free_option(o);
			} else {
				s->options[s->n_options] = *o;
				hindex_set(&by_pair, pair, s->n_options);
				if (!*key)
					hindex_set(&by_key, key, s->n_options);
				s->n_options++;
			}
			memset(o, 0, sizeof *o);
		}
	}
	hindex_free(&by_pair);
	hindex_free(&by_key);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Entry points                                                              */
/* ------------------------------------------------------------------------ */

const char *res_default_name(const struct dal_config *cfg, unsigned *line)
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
	return !name || strcmp(name, res_default_name(cfg, NULL)) == 0;
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
		name = res_default_name(cfg, NULL);
	out->name = strdup(name);
	if (!out->name)
		return res_nomem(err);

	rc = DAL_OK;
	{
		const struct config_entry *pd = cfg ? config_find(cfg, "dal", "plugin_dir") : NULL;
		/* An empty plugin_dir means none (settings_plugin_dir() says NULL). */
		if (pd && *pd->value && !(plugin_dir = settings_plugin_dir(cfg)))
			rc = res_nomem(err);
	}
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
		rc = res_apply_defaults(&r);
	if (rc == DAL_OK)
		rc = res_validate(&r);
	if (rc == DAL_OK)
		rc = collect_options(&r);
	if (rc == DAL_OK && cfg) {
		const struct config_entry *e = config_find(cfg, "dal", "plugin_dir");
		if (e && *e->value) {
			out->plugin_dir = settings_plugin_dir(cfg);
			out->plugin_dir_source = res_ini_source(cfg, e->line);
			if (!out->plugin_dir || !out->plugin_dir_source)
				rc = res_nomem(err);
		}
	}
	for (int i = 0; i < OS__COUNT; i++) {
		for (size_t j = 0; j < r.n_opts[i]; j++)
			free_option(&r.opts[i][j]);
		free(r.opts[i]);
		hindex_free(&r.opt_index[i]);
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
			res_free_secret(s->value[k]);
		else
			free(s->value[k]);
		free(s->source[k]);
	}
	free(s->type);
	free(s->path);
	free(s->migrations);
	res_free_secret(s->password);
	free(s->plugin_dir);
	free(s->plugin_dir_source);
	for (size_t i = 0; i < s->n_options; i++)
		free_option(&s->options[i]);
	free(s->options);
	memset(s, 0, sizeof *s);
}
