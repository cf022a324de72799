/*
 * Which environment variables a repository reads, and reading them.
 *
 * By default the variables of the configuration contract: DB_TYPE, DB_HOST,
 * DB_PORT, DB_NAME, DB_USER, DB_PASS, DB_POOL_SIZE, DB_MAX_RETRIES,
 * DB_RETRY_DELAY, DB_MAX_OVERFLOW, DB_POOL_TIMEOUT, DB_POOL_RECYCLE,
 * DB_POOL_PRE_PING, DB_REPLICAS, DB_MAX_REPLICA_LAG, DB_ECHO, and DB_URL (else
 * DATABASE_URL) for a URL.
 *
 * A repository that already has variables of its own names them in its INI
 * section instead, in two ways that combine:
 *
 *   [main]
 *   env_prefix = DECNET_DB_     ; DECNET_DB_HOST -> host, DECNET_DB_URL -> url,
 *                               ; every setting by its upper-cased key, plus
 *                               ; the contract's aliases (_PASS, _POOL_RECYCLE,
 *                               ; _POOL_PRE_PING, _ECHO)
 *   [main.env]
 *   host = MARIADB_HOST         ; one setting, one variable (beats the prefix)
 *   url = MARIADB_URI
 *   type = DATABASE_TYPE
 *   user =                      ; empty: this setting is not read at all
 *
 * A repository that names its variables reads only those: a stray DB_HOST
 * meant for another program does not leak in. The mapping is validated when
 * settings are resolved: an unknown setting or a malformed variable name is
 * DAL_ECONFIG with file:line.
 *
 * Not settings.c: that file applies the layers; this one only says which
 * variable feeds which setting (settings.c asks envmap_get()).
 */
#define _GNU_SOURCE
#include "envmap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgfile.h"
#include "resolver.h"

/* The contract's variables: "DB_" + suffix. A prefix replaces "DB_"; under
 * a prefix every other setting is read by its upper-cased key too. */
static const char *const default_suffix[ENVMAP_SLOTS] = {
	[SK_TYPE] = "TYPE",
	[SK_HOST] = "HOST",
	[SK_PORT] = "PORT",
	[SK_NAME] = "NAME",
	[SK_USER] = "USER",
	[SK_PASSWORD] = "PASS",
	[SK_POOL_SIZE] = "POOL_SIZE",
	[SK_MAX_RETRIES] = "MAX_RETRIES",
	[SK_RETRY_DELAY] = "RETRY_DELAY",
	[SK_MAX_OVERFLOW] = "MAX_OVERFLOW",
	[SK_POOL_TIMEOUT] = "POOL_TIMEOUT",
	[SK_MAX_LIFETIME] = "POOL_RECYCLE",
	[SK_PRE_PING] = "POOL_PRE_PING",
	[SK_LOG_STATEMENTS] = "ECHO",
	[SK_REPLICAS] = "REPLICAS",
	[SK_MAX_REPLICA_LAG] = "MAX_REPLICA_LAG",
	[ENVMAP_URL] = "URL",
};

static int valid_var_name(const char *s)
{
	if (!*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static int add_name(struct envmap *m, int slot, const char *a, const char *b)
{
	char *n;

	for (int i = 0; i < ENVMAP_NAMES; i++) {
		if (m->names[slot][i]) {
			/* The same name twice (PASSWORD and PASS are distinct;
			 * NAME is its own alias): keep one. */
			if (strncmp(m->names[slot][i], a, strlen(a)) == 0 &&
			    strcmp(m->names[slot][i] + strlen(a), b) == 0)
				return DAL_OK;
			continue;
		}
		if (asprintf(&n, "%s%s", a, b) < 0)
			return DAL_ENOMEM;
		m->names[slot][i] = n;
		return DAL_OK;
	}
	return DAL_OK;
}

static void clear_slot(struct envmap *m, int slot)
{
	for (int i = 0; i < ENVMAP_NAMES; i++) {
		free(m->names[slot][i]);
		m->names[slot][i] = NULL;
	}
}

/* "url", or the setting key of slot. */
static const char *slot_key(int slot)
{
	return slot == ENVMAP_URL ? "url" : res_key_names[slot];
}

static int slot_of(const char *key)
{
	for (int k = 0; k < ENVMAP_SLOTS; k++)
		if (strcmp(slot_key(k), key) == 0)
			return k;
	return -1;
}

static int bad_entry(const struct dal_config *cfg, const struct config_entry *e,
                     const char *what, dal_error *err)
{
	return dal_error_set(err, DAL_ECONFIG, NULL, 0, "%s:%u: %s", cfg->origin, e->line, what);
}

/* [name.env]: one line per setting. */
static int apply_map_section(struct envmap *m, const struct dal_config *cfg,
                             const char *section, dal_error *err)
{
	char why[600];

	for (size_t i = 0; i < cfg->n_entries; i++) {
		const struct config_entry *e = &cfg->entries[i];
		int slot;

		if (strcmp(e->section, section) != 0 || config_find(cfg, section, e->key) != e)
			continue;
		m->named = 1;
		if ((slot = slot_of(e->key)) < 0) {
			size_t len = 0;
			len += (size_t)snprintf(why, sizeof why,
			                        "unknown setting '%.60s' in [%.60s] (known: url", e->key,
			                        section);
			for (int k = 0; k < SK__COUNT && len < sizeof why; k++)
				len += (size_t)snprintf(why + len, sizeof why - len, ", %s",
				                        res_key_names[k]);
			if (len < sizeof why)
				snprintf(why + len, sizeof why - len, ")");
			return bad_entry(cfg, e, why, err);
		}
		if (*e->value && !valid_var_name(e->value)) {
			snprintf(why, sizeof why,
			         "%s = '%.80s' in [%.60s] is not an environment variable name "
			         "(letters, digits and '_', not starting with a digit)",
			         e->key, e->value, section);
			return bad_entry(cfg, e, why, err);
		}
		clear_slot(m, slot);
		if (*e->value && add_name(m, slot, "", e->value) != DAL_OK)
			return res_nomem(err);
	}
	return DAL_OK;
}

int envmap_init(struct envmap *m, const struct dal_config *cfg, const char *repo,
                dal_error *err)
{
	const struct config_entry *pe = cfg ? config_find(cfg, repo, "env_prefix") : NULL;
	const char *prefix = "DB_";
	char *section = NULL, up[64];
	int rc = DAL_OK;

	memset(m, 0, sizeof *m);
	if (pe) {
		if (!valid_var_name(pe->value)) {
			char why[320];
			snprintf(why, sizeof why,
			         "env_prefix = '%.80s' in [%.60s] is not the start of an environment "
			         "variable name (letters, digits and '_', e.g. MYAPP_DB_)",
			         pe->value, repo);
			return bad_entry(cfg, pe, why, err);
		}
		prefix = pe->value;
		m->named = 1;
		m->prefix = pe;
	}
	for (int k = 0; k < ENVMAP_SLOTS && rc == DAL_OK; k++) {
		if (pe) {
			/* Every setting by its own name first, then the alias. */
			size_t j = 0;
			for (const char *p = slot_key(k); *p && j + 1 < sizeof up; p++)
				up[j++] = (char)toupper((unsigned char)*p);
			up[j] = '\0';
			rc = add_name(m, k, prefix, up);
		}
		if (rc == DAL_OK && default_suffix[k])
			rc = add_name(m, k, prefix, default_suffix[k]);
	}
	/* The contract's second name for a URL. */
	if (rc == DAL_OK && !pe)
		rc = add_name(m, ENVMAP_URL, "", "DATABASE_URL");
	if (rc != DAL_OK) {
		envmap_free(m);
		return res_nomem(err);
	}
	if (cfg) {
		if (asprintf(&section, "%s.env", repo) < 0) {
			envmap_free(m);
			return res_nomem(err);
		}
		if (config_has_section(cfg, section)) {
			/* A map without a prefix: only what it names is read. */
			if (!pe)
				for (int k = 0; k < ENVMAP_SLOTS; k++)
					clear_slot(m, k);
			m->named = 1;
			rc = apply_map_section(m, cfg, section, err);
		}
		free(section);
	}
	if (rc != DAL_OK)
		envmap_free(m);
	return rc;
}

const char *envmap_get(const struct envmap *m, int slot, const char **var)
{
	for (int i = 0; i < ENVMAP_NAMES && m->names[slot][i]; i++) {
		const char *v = getenv(m->names[slot][i]);
		/* An empty variable counts as unset, as compose files and shell
		 * scripts often export empty ones. */
		if (v && *v) {
			*var = m->names[slot][i];
			return v;
		}
	}
	return NULL;
}

void envmap_free(struct envmap *m)
{
	for (int k = 0; k < ENVMAP_SLOTS; k++)
		clear_slot(m, k);
	m->named = 0;
}

int envmap_is_section(const char *repo, const char *section)
{
	size_t n = strlen(repo);

	return strncmp(section, repo, n) == 0 && strcmp(section + n, ".env") == 0;
}
