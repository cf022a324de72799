/*
 * Internal: resolving one repository's settings from the INI file, the
 * environment and an explicit URL, with the source of every value.
 *
 * Precedence (highest first): explicit url argument > DB_URL / DATABASE_URL >
 * DB_* variables > INI [name] section > built-in default. The environment is
 * consulted only when use_env is set (the default repository).
 *
 * Resolving loads the plugin of the type (loader.c), because what a URL and
 * the generic keys mean depends on what the plugin declares.
 */
#ifndef DAL_CORE_SETTINGS_H
#define DAL_CORE_SETTINGS_H

#include <stddef.h>

#include <dal/dal.h>
#include <dal/plugin.h>

struct loaded_plugin;

/* The generic keys of a [name] section; order is the order `dal config`
 * prints them in. */
enum setting_key {
	SK_TYPE,
	SK_PATH,
	SK_HOST,
	SK_PORT,
	SK_NAME, /* database name */
	SK_USER,
	SK_PASSWORD,
	SK_PASSWORD_FILE,
	SK_POOL_SIZE,
	SK_MAX_RETRIES,
	SK_RETRY_DELAY,
	SK_CONNECT_TIMEOUT,
	SK_READ_TIMEOUT,
	SK_WRITE_TIMEOUT,
	SK_TELEMETRY,
	SK_SLOW_QUERY_MS,
	SK_ALLOW_EMPTY_PASSWORD,
	SK_LATENCY_BUCKETS,
	SK_MAX_OVERFLOW,
	SK_POOL_TIMEOUT,
	SK_IDLE_TIMEOUT,
	SK_MAX_LIFETIME,
	SK_PRE_PING,
	SK_RETRY_MAX_DELAY,
	SK_STATEMENT_TIMEOUT,
	SK_STATEMENT_CACHE_SIZE,
	SK_MIGRATIONS,   /* directory of migration files (core/migrate*.c) */
	SK_AUTO_MIGRATE, /* apply pending migrations when the repository opens */
	SK__COUNT
};

/* A backend-specific option: from [name.<backend>] (backend = the section
 * suffix as written) or from a URL query string (backend NULL: applies to
 * whatever backend is selected). */
struct setting_option {
	char *backend;
	char *key;
	char *value;
	char *origin; /* "etc/dal.ini:14", "url", "DB_URL" */
};

struct dal_settings {
	char *name;              /* repository name */
	char *value[SK__COUNT];  /* as text, NULL when unset (after defaults) */
	char *source[SK__COUNT]; /* "file:line", "env DB_HOST", "url", "DB_URL", "default" */

	/* Typed and validated views of value[]. */
	char *type;          /* lower-case type as given ("postgres") */
	const struct loaded_plugin *plugin; /* the plugin that answers to type */
	char *path;          /* file databases: absolute path or ":memory:" (relative paths
	                        resolved against the INI file's directory, or the
	                        cwd when there is no file) */
	unsigned port;       /* 0 = backend default */
	char *password;      /* from password or password_file; NULL if none */
	unsigned pool_size, max_overflow, max_retries;
	/* Durations, given in seconds (decimals allowed), kept in ms; 0 = off
	 * for idle_timeout and max_lifetime. */
	unsigned retry_delay_ms, retry_max_delay_ms, pool_timeout_ms;
	unsigned idle_timeout_ms, max_lifetime_ms, statement_timeout_ms;
	int pre_ping;        /* 1 on, 0 off; default: on for server backends */
	unsigned statement_cache_size; /* statements kept prepared per connection;
	                                  default: 32 for servers, 0 for files */
	unsigned connect_timeout, read_timeout, write_timeout;
	int telemetry;       /* 1 on (default), 0 off */
	unsigned slow_query_ms;
	int allow_empty_password;
	/* latency_buckets: histogram bounds in seconds; 0 = OpenTelemetry's. */
	double latency_buckets[DAL_HISTOGRAM_MAX_BUCKETS];
	unsigned n_latency_buckets;

	char *migrations;    /* absolute directory, or NULL (resolved like path) */
	int auto_migrate;    /* 1 on, 0 off (default); needs migrations */

	/* From [dal] (plugin_dir resolved against the INI file's directory). */
	char *plugin_dir;
	char *plugin_dir_source;

	struct setting_option *options;
	size_t n_options;
};

/*
 * Resolve repository `name` (NULL: [dal] default, else "main"). cfg may be
 * NULL. url may be NULL. Errors (DAL_ECONFIG) name the file:line or variable
 * and the key: bad numbers, out-of-range port, unknown type syntax, missing
 * section (when a name was asked for explicitly and cfg has no such section),
 * unreadable password_file. *out is zeroed on error.
 */
int settings_resolve(const struct dal_config *cfg, const char *name,
                     const char *url, int use_env, struct dal_settings *out,
                     dal_error *err);

/* Free a resolved struct (safe on a zeroed one). */
void settings_free(struct dal_settings *s);

/* The INI key name of k ("pool_size"). */
const char *settings_key_name(enum setting_key k);

/* 1 if name is the default repository of cfg (NULL cfg: "main"). */
int settings_is_default(const struct dal_config *cfg, const char *name);

/* The plugin_dir of cfg's [dal] section resolved to an absolute path, or
 * NULL; the caller frees. */
char *settings_plugin_dir(const struct dal_config *cfg);

#endif
