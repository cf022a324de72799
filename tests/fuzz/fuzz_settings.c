/*
 * libFuzzer target: settings resolution, settings_resolve() and
 * dal_config_describe() (core/settings.c, settings_check.c, describe.c),
 * with a fuzzed INI file, URL argument, repository name and environment.
 *
 * Input: text. Lines starting with '@' are directives, every other line is
 * INI text (so any INI file is a valid input):
 *   @url URL          the url argument
 *   @name NAME        the repository name (else NULL: the default)
 *   @env VAR=VALUE    set VAR, one of DB_TYPE DB_URL DATABASE_URL DB_HOST
 *                     DB_PORT DB_NAME DB_USER DB_PASS DB_POOL_SIZE ...
 *   @noenv            use_env = 0 (the environment is ignored)
 *   @nocfg            no INI file (cfg = NULL)
 *
 * Plugins. Resolving loads the type's plugin, since what a URL and the keys
 * mean depends on it. The harness loads no file: it preloads, through
 * libltdl's preopen mechanism (what a static binary linked with -dlpreopen
 * does), three stub plugins that register exactly as the real ones do
 * (names, aliases, kind, default port or file, dialect): sqlite (alias
 * sqlite3, file, dal.db), mysql (mariadb, server, 3306) and postgresql
 * (pgsql, postgres, server, 5432); their functions are never called.
 * DAL_PLUGIN_PATH is unset, the compiled-in plugin directory does not exist
 * (tests/fuzz/fuzz.mk), and a [dal] plugin_dir is kept but pointed at a
 * directory that does not exist, so other types are searched for and not
 * found, and no file is ever loaded.
 *
 * Files. password_file is read through open_regular_file(), which the link
 * wraps (-Wl,--wrap=open_regular_file): no file is opened; a path naming
 * "missing" does not exist, "dir" is not a regular file, "big" is over
 * 64 KiB, "nul" holds a NUL byte, and any other path holds FUZZ_SECRET.
 *
 * Secrets: FUZZ_SECRET is planted as the value of every INI secret line
 * (password, sslpassword, ...), in DB_PASS, in every password file, and as
 * the password of every URL (argument, DB_URL, DATABASE_URL, INI url) that
 * has one by RFC 3986 (one '@' in the authority, a ':' before it). No error
 * message, log line or value shown by dal_config_describe() may show it.
 * Other checks: only DAL_OK, DAL_ECONFIG and DAL_EPLUGIN_NOTFOUND (never
 * DAL_ENOMEM: nothing runs out of memory here), and on success the typed
 * fields are in range and agree with the plugin's kind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ltdl.h>

#include <dal/dal.h>
#include <dal/plugin.h>

#include "cfgfile.h"
#include "fuzz_common.h"
#include "loader.h"
#include "settings.h"

/* ---- stub plugins --------------------------------------------------------- */

static int stub_connect(const struct dal_driver *self, const struct dal_connect_params *p,
                        dal_bconn **out, dal_error *err)
{
	(void)self;
	(void)p;
	(void)out;
	return dal_error_set(err, DAL_EUNSUPPORTED, NULL, 0, "stub");
}
static void stub_disconnect(dal_bconn *c) { (void)c; }
static int stub_conn(dal_bconn *c, dal_error *err)
{
	(void)c;
	return dal_error_set(err, DAL_EUNSUPPORTED, NULL, 0, "stub");
}
static int stub_prepare(dal_bconn *c, const char *sql, size_t len, unsigned n,
                        dal_bstmt **out, dal_error *err)
{
	(void)c, (void)sql, (void)len, (void)n, (void)out;
	return dal_error_set(err, DAL_EUNSUPPORTED, NULL, 0, "stub");
}
static int stub_bind(dal_bstmt *s, unsigned pos, const dal_value *v, dal_error *err)
{
	(void)s, (void)pos, (void)v;
	return dal_error_set(err, DAL_EUNSUPPORTED, NULL, 0, "stub");
}
static int stub_stmt(dal_bstmt *s, dal_error *err)
{
	(void)s;
	return dal_error_set(err, DAL_EUNSUPPORTED, NULL, 0, "stub");
}
static void stub_finalize(dal_bstmt *s) { (void)s; }
static unsigned stub_column_count(dal_bstmt *s) { (void)s; return 0; }
static const char *stub_column_name(dal_bstmt *s, unsigned col) { (void)s, (void)col; return ""; }
static void stub_column_value(dal_bstmt *s, unsigned col, dal_value *v)
{
	(void)s, (void)col;
	v->type = DAL_TYPE_NULL;
}
static int64_t stub_rows_affected(dal_bstmt *s) { (void)s; return 0; }

static const struct dal_driver stub_driver = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_driver),
	.connect = stub_connect,
	.disconnect = stub_disconnect,
	.ping = stub_conn,
	.prepare = stub_prepare,
	.bind = stub_bind,
	.step = stub_stmt,
	.reset = stub_stmt,
	.finalize = stub_finalize,
	.column_count = stub_column_count,
	.column_name = stub_column_name,
	.column_value = stub_column_value,
	.rows_affected = stub_rows_affected,
};

static const char *const sqlite_aliases[] = {"sqlite3", NULL};
static const char *const mysql_aliases[] = {"mariadb", NULL};
static const char *const pgsql_aliases[] = {"pgsql", "postgres", NULL};

static const struct dal_plugin stub_sqlite = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "sqlite",
	.aliases = sqlite_aliases,
	.version = "fuzz",
	.description = "stub of backend_sqlite (tests/fuzz)",
	.kind = DAL_KIND_FILE,
	.default_path = "dal.db",
	.param_style = DAL_PARAM_QMARK,
	.syntax = DAL_SYNTAX_BACKTICK | DAL_SYNTAX_BRACKET_IDENT,
	.driver = &stub_driver,
};
static const struct dal_plugin stub_mysql = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "mysql",
	.aliases = mysql_aliases,
	.version = "fuzz",
	.description = "stub of backend_mysql (tests/fuzz)",
	.kind = DAL_KIND_SERVER,
	.default_port = 3306,
	.param_style = DAL_PARAM_QMARK,
	.syntax = DAL_SYNTAX_BACKSLASH_ESCAPE | DAL_SYNTAX_HASH_COMMENT | DAL_SYNTAX_BACKTICK,
	.ident_quote = "``",
	.driver = &stub_driver,
};
static const struct dal_plugin stub_pgsql = {
	.abi_version = DAL_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct dal_plugin),
	.name = "postgresql",
	.aliases = pgsql_aliases,
	.version = "fuzz",
	.description = "stub of backend_pgsql (tests/fuzz)",
	.kind = DAL_KIND_SERVER,
	.default_port = 5432,
	.param_style = DAL_PARAM_DOLLAR,
	.syntax = DAL_SYNTAX_DOLLAR_QUOTE | DAL_SYNTAX_NESTED_COMMENT,
	.driver = &stub_driver,
};

#define STUB_ENTRY(module, reg)                                                    \
	static const struct dal_plugin *module##_init(uint32_t core_abi, dal_error *err) \
	{                                                                          \
		return dal_plugin_accept(core_abi, &reg, err);                     \
	}
STUB_ENTRY(backend_sqlite, stub_sqlite)
STUB_ENTRY(backend_mysql, stub_mysql)
STUB_ENTRY(backend_postgresql, stub_pgsql)

/* What libtool's -dlpreopen generates: the originator, then per module its
 * old archive name (libltdl looks preloaded modules up as "<module>.a") and
 * its symbols. */
static const lt_dlsymlist stub_symbols[] = {
	{"@PROGRAM@", NULL},
	{"backend_sqlite.a", NULL},
	{"backend_sqlite_LTX_dal_plugin_init", (void *)backend_sqlite_init},
	{"backend_mysql.a", NULL},
	{"backend_mysql_LTX_dal_plugin_init", (void *)backend_mysql_init},
	{"backend_postgresql.a", NULL},
	{"backend_postgresql_LTX_dal_plugin_init", (void *)backend_postgresql_init},
	{NULL, NULL},
};

/* ---- the fake file system for password_file -------------------------------- */

FILE *__wrap_open_regular_file(const char *path, int *not_regular);

FILE *__wrap_open_regular_file(const char *path, int *not_regular)
{
	static char big[64 * 1024 + 2];
	static char nul[] = "pass\0word\n";
	static char secret[] = FUZZ_SECRET "\n";

	*not_regular = 0;
	if (strstr(path, "missing")) {
		errno = ENOENT;
		return NULL;
	}
	if (strstr(path, "dir")) {
		*not_regular = 1;
		errno = EINVAL;
		return NULL;
	}
	if (strstr(path, "big")) {
		memset(big, 'b', sizeof big);
		return fmemopen(big, sizeof big, "r");
	}
	if (strstr(path, "nul"))
		return fmemopen(nul, sizeof nul - 1, "r");
	return fmemopen(secret, sizeof secret - 1, "r");
}

/* ---- input ----------------------------------------------------------------- */

static const char *const env_vars[] = {
	"DB_TYPE", "DB_URL", "DATABASE_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER",
	"DB_PASS", "DB_POOL_SIZE", "DB_MAX_OVERFLOW", "DB_POOL_TIMEOUT", "DB_POOL_RECYCLE",
	"DB_POOL_PRE_PING", "DB_MAX_RETRIES", "DB_RETRY_DELAY", NULL,
};

/* A URL with its RFC 3986 password (if any) replaced by FUZZ_SECRET. */
static char *plant_url(const char *url, int *planted)
{
	const char *sep = url + strcspn(url, ":/?#"), *a, *e, *at = NULL, *colon;
	char *out;
	int ats = 0;

	/* An authority only right after the scheme: "scheme://". */
	if (sep > url && strncmp(sep, "://", 3) == 0) {
		a = sep + 3;
		e = a + strcspn(a, "/?#");
		for (const char *p = a; p < e; p++)
			if (*p == '@')
				at = p, ats++;
		colon = at ? memchr(a, ':', (size_t)(at - a)) : NULL;
		if (ats == 1 && colon &&
		    asprintf(&out, "%.*s%s%s", (int)(colon + 1 - url), url, FUZZ_SECRET, at) >= 0) {
			*planted = 1;
			return out;
		}
	}
	if (!(out = strdup(url)))
		abort();
	return out;
}

struct input {
	char *ini;  /* the INI text, secrets planted */
	char *url;  /* @url, or NULL */
	char *name; /* @name, or NULL */
	int use_env, use_cfg;
};

static void set_env(const char *assignment, int *planted)
{
	const char *eq = strchr(assignment, '=');

	if (!eq)
		return;
	for (const char *const *v = env_vars; *v; v++) {
		size_t n = strlen(*v);
		char *value;

		if ((size_t)(eq - assignment) != n || memcmp(assignment, *v, n) != 0)
			continue;
		if (strcmp(*v, "DB_PASS") == 0) {
			setenv(*v, FUZZ_SECRET, 1);
			*planted = 1;
		} else if (strstr(*v, "URL")) {
			value = plant_url(eq + 1, planted);
			setenv(*v, value, 1);
			free(value);
		} else {
			setenv(*v, eq + 1, 1);
		}
	}
}

static void read_input(const char *text, struct input *in, int *planted)
{
	size_t n = strlen(text);
	char *ini = malloc(n + 1), *o = ini, *raw;
	const char *p = text;

	if (!ini)
		abort();
	memset(in, 0, sizeof *in);
	in->use_env = 1;
	in->use_cfg = 1;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) + 1 : strlen(p);
		char *line = strndup(p, eol ? len - 1 : len);

		if (!line)
			abort();
		if (line[0] != '@') {
			memcpy(o, p, len);
			o += len;
		} else if (strncmp(line, "@url ", 5) == 0) {
			free(in->url);
			in->url = plant_url(line + 5, planted);
		} else if (strncmp(line, "@name ", 6) == 0) {
			free(in->name);
			if (!(in->name = strdup(line + 6)))
				abort();
		} else if (strncmp(line, "@env ", 5) == 0) {
			set_env(line + 5, planted);
		} else if (strcmp(line, "@noenv") == 0) {
			in->use_env = 0;
		} else if (strcmp(line, "@nocfg") == 0) {
			in->use_cfg = 0;
		}
		free(line);
		p += len;
	}
	*o = '\0';
	raw = ini;
	in->ini = fuzz_plant_ini(raw, planted);
	free(raw);
}

/* Plant FUZZ_SECRET in the repositories' url entries, point plugin_dir
 * nowhere. */
static void fix_config(struct dal_config *cfg, int *planted)
{
	for (size_t i = 0; i < cfg->n_entries; i++) {
		struct config_entry *e = &cfg->entries[i];
		char *v = NULL;

		/* url of a repository section (in [name.backend] it is just a
		 * backend option, shown as it is). */
		if (strcmp(e->key, "url") == 0 && !strchr(e->section, '.'))
			v = plant_url(e->value, planted);
		else if (strcmp(e->section, "dal") == 0 && strcmp(e->key, "plugin_dir") == 0 &&
		         *e->value)
			v = strdup(e->value[0] == '/' ? "/nonexistent/dal-fuzz-plugins"
			                              : "nonexistent-dal-fuzz-plugins");
		if (v) {
			free(e->value);
			e->value = v;
		}
	}
}

/* ---- checks ---------------------------------------------------------------- */

static void on_setting(const char *key, const char *value, const char *source, void *ud)
{
	(void)ud;
	FUZZ_CHECK(key && value && source, "dal_config_describe: NULL key, value or source");
	fuzz_check_message("a value shown by dal_config_describe()", value);
	fuzz_check_message("a source shown by dal_config_describe()", source);
}

static void check_code(int rc, const dal_error *err, const char *what)
{
	FUZZ_CHECK(rc == DAL_OK || rc == DAL_ECONFIG || rc == DAL_EPLUGIN_NOTFOUND,
	           "%s: code %d (%s): %s", what, rc, dal_code_name(rc), err->message);
	FUZZ_CHECK(rc == DAL_OK || *err->message, "%s: code %d without a message", what, rc);
	fuzz_check_message(what, err->message);
}

static void check_settings(const struct dal_settings *s)
{
	const struct dal_plugin *reg;

	FUZZ_CHECK(s->name && s->type && s->plugin, "resolved without name, type or plugin");
	FUZZ_CHECK(loader_matches(s->plugin, s->type), "type '%s' resolved to plugin '%s'",
	           s->type, s->plugin->reg.name);
	reg = &s->plugin->reg;
	for (int k = 0; k < SK__COUNT; k++)
		FUZZ_CHECK(!s->value[k] == !s->source[k], "%s: value and source disagree",
		           settings_key_name((enum setting_key)k));
	FUZZ_CHECK(s->port <= 65535, "port %u", s->port);
	FUZZ_CHECK(s->pool_size >= 1 && s->pool_size <= 10000, "pool_size %u", s->pool_size);
	FUZZ_CHECK(s->retry_delay_ms <= 3600000 && s->pool_timeout_ms <= 86400000 &&
	               s->idle_timeout_ms <= 7 * 86400000u && s->max_lifetime_ms <= 7 * 86400000u,
	           "a duration out of range");
	FUZZ_CHECK(s->n_latency_buckets <= DAL_HISTOGRAM_MAX_BUCKETS, "%u buckets",
	           s->n_latency_buckets);
	for (unsigned i = 1; i < s->n_latency_buckets; i++)
		FUZZ_CHECK(s->latency_buckets[i] > s->latency_buckets[i - 1],
		           "buckets not increasing");
	/* A file database: an absolute path, or a ':' name the backend gives
	 * a meaning (":memory:"). */
	if (reg->kind == DAL_KIND_FILE)
		FUZZ_CHECK(s->path && (s->path[0] == '/' || s->path[0] == ':'),
		           "a file database without an absolute path: '%s'",
		           s->path ? s->path : "(null)");
	if (reg->kind == DAL_KIND_SERVER && s->value[SK_HOST] && *s->value[SK_HOST] &&
	    s->value[SK_HOST][0] != '/' && !s->allow_empty_password)
		FUZZ_CHECK(s->password && *s->password, "an empty password over TCP went through");
	for (size_t i = 0; i < s->n_options; i++)
		FUZZ_CHECK(s->options[i].key && s->options[i].value && s->options[i].origin,
		           "option %zu incomplete", i);
}

/* ---- the target ------------------------------------------------------------ */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const types[] = {"sqlite", "mysql", "postgresql"};
	const struct loaded_plugin *lp;
	dal_error err;

	(void)argc;
	(void)argv;
	unsetenv("DAL_PLUGIN_PATH");
	unsetenv("DAL_CONFIG");
	if (lt_dlpreload_default(stub_symbols) != 0) {
		fprintf(stderr, "fuzz_settings: lt_dlpreload_default failed\n");
		abort();
	}
	for (size_t i = 0; i < 3; i++)
		if (loader_find(types[i], NULL, &lp, &err) != DAL_OK) {
			fprintf(stderr, "fuzz_settings: stub plugin %s: %s\n", types[i], err.message);
			abort();
		}
	dal_log_set(fuzz_log_sink, NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct dal_config *cfg = NULL;
	struct dal_settings s;
	struct input in;
	dal_error err;
	int planted = 0, rc;

	fuzz_secret_planted = 0;
	for (const char *const *v = env_vars; *v; v++)
		unsetenv(*v);
	read_input(text, &in, &planted);
	/* Pieces of the secret in the input itself could be quoted. */
	fuzz_secret_planted = planted && !fuzz_has_secret_piece(text);

	if (in.use_cfg) {
		rc = dal_config_parse(&cfg, in.ini, "fuzz.ini", &err);
		check_code(rc, &err, "dal_config_parse");
		if (rc != DAL_OK)
			goto out;
		fix_config(cfg, &planted);
		fuzz_secret_planted = planted && !fuzz_has_secret_piece(text);
	}

	memset(&err, 0, sizeof err);
	rc = settings_resolve(cfg, in.name, in.url, in.use_env, &s, &err);
	check_code(rc, &err, "settings_resolve");
	if (rc == DAL_OK) {
		check_settings(&s);
		settings_free(&s);
	}
	settings_free(&s); /* safe on a zeroed struct */

	memset(&err, 0, sizeof err);
	rc = dal_config_describe(cfg, in.name, in.url, on_setting, NULL, &err);
	check_code(rc, &err, "dal_config_describe");
out:
	dal_config_free(cfg);
	free(in.ini);
	free(in.url);
	free(in.name);
	free(text);
	return 0;
}
