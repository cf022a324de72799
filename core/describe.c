/*
 * dal_config_describe(): every resolved setting of a repository with where
 * it came from, passwords shown as ***. Resolution itself is settings.c's.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgfile.h"
#include "resolver.h"

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
		res_default_name(cfg, &line);
		if (line && cfg && !(src = res_ini_source(cfg, line))) {
			settings_free(&s);
			return res_nomem(err);
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
		case SK_PRE_PING:
			v = s.pre_ping ? "on" : "off";
			break;
		case SK_MIGRATIONS:
			v = s.migrations;
			break;
		case SK_AUTO_MIGRATE:
			v = s.auto_migrate ? "on" : "off";
			break;
		case SK_RETRY_DELAY: case SK_RETRY_MAX_DELAY: case SK_POOL_TIMEOUT:
		case SK_IDLE_TIMEOUT: case SK_MAX_LIFETIME: case SK_STATEMENT_TIMEOUT: {
			/* Seconds, as parsed ("0.250" shows as 0.25). */
			unsigned ms = k == SK_RETRY_DELAY ? s.retry_delay_ms
			            : k == SK_RETRY_MAX_DELAY ? s.retry_max_delay_ms
			            : k == SK_POOL_TIMEOUT ? s.pool_timeout_ms
			            : k == SK_IDLE_TIMEOUT ? s.idle_timeout_ms
			            : k == SK_MAX_LIFETIME ? s.max_lifetime_ms
			            : s.statement_timeout_ms;
			snprintf(num, sizeof num, "%g", ms / 1000.0);
			v = num;
			break;
		}
		case SK_PORT: case SK_POOL_SIZE: case SK_MAX_OVERFLOW: case SK_MAX_RETRIES:
		case SK_CONNECT_TIMEOUT: case SK_READ_TIMEOUT:
		case SK_WRITE_TIMEOUT: case SK_SLOW_QUERY_MS: case SK_STATEMENT_CACHE_SIZE: {
			/* Print the parsed number ("010" shows as 10). */
			unsigned n = k == SK_PORT ? s.port
			           : k == SK_POOL_SIZE ? s.pool_size
			           : k == SK_MAX_OVERFLOW ? s.max_overflow
			           : k == SK_MAX_RETRIES ? s.max_retries
			           : k == SK_CONNECT_TIMEOUT ? s.connect_timeout
			           : k == SK_READ_TIMEOUT ? s.read_timeout
			           : k == SK_WRITE_TIMEOUT ? s.write_timeout
			           : k == SK_STATEMENT_CACHE_SIZE ? s.statement_cache_size
			           : s.slow_query_ms;
			snprintf(num, sizeof num, "%u", n);
			v = num;
			break;
		}
		default:
			break;
		}
		fn(res_key_names[k], v, s.source[k], userdata);
	}
	if (s.plugin_dir)
		fn("plugin_dir", s.plugin_dir, s.plugin_dir_source, userdata);
	for (size_t i = 0; i < s.n_options; i++) {
		const struct setting_option *o = &s.options[i];
		snprintf(key, sizeof key, "%s.%s", o->backend ? o->backend : s.type,
		         o->key);
		fn(key, res_key_is_secret(o->key) ? "***" : o->value, o->origin,
		   userdata);
	}
	settings_free(&s);
	return DAL_OK;
}
