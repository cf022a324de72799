/*
 * Internal: what the files resolving settings share. settings.c applies the
 * layers (INI, environment, URLs) and owns the entry points; settings_check.c
 * applies defaults (asking the plugin what the type is) and validates;
 * describe.c shows the result (dal_config_describe()).
 */
#ifndef DAL_CORE_RESOLVER_H
#define DAL_CORE_RESOLVER_H

#include "hindex.h"
#include "settings.h"

struct dal_config;

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
	size_t n_opts[OS__COUNT], cap_opts[OS__COUNT];
	struct hindex opt_index[OS__COUNT]; /* (backend, key) -> opts[][] */
	dal_error *err;
};

/* Numeric keys: range and default (NULL default: unset). */
struct res_number {
	enum setting_key key;
	unsigned min, max;
	const char *def;
};
extern const struct res_number res_numbers[];
extern const size_t res_n_numbers;
/* Durations in seconds with decimals (min and max in whole seconds). */
extern const struct res_number res_durations[];
extern const size_t res_n_durations;

/* The INI key names, in the order of enum setting_key. */
extern const char *const res_key_names[SK__COUNT];

/* Set key k from a layer of rank `rank` (replacing a lower one), or unset
 * it. password and password_file replace each other. */
int res_set(struct resolver *r, enum setting_key k, const char *value, const char *source,
            enum rank rank);
void res_unset(struct resolver *r, enum setting_key k);

/* DAL_ENOMEM with a message. */
int res_nomem(dal_error *err);

/* DAL_ECONFIG "<source>: <key> = '<value>' <why>". */
int res_bad_value(struct resolver *r, enum setting_key k, const char *why);

/* 1 if an option key names a secret ("sslpassword"): its value is never
 * shown. */
int res_key_is_secret(const char *key);

/* Wipe and free a secret. NULL is a no-op. */
void res_free_secret(char *p);

/* "file:line" of cfg; the caller frees. NULL on allocation failure. */
char *res_ini_source(const struct dal_config *cfg, unsigned line);

/* The default repository's name, and its line in cfg (0 if none). */
const char *res_default_name(const struct dal_config *cfg, unsigned *line);

/* Fill what no layer set (loading the type's plugin for its defaults), then
 * check and convert every value into the typed fields. */
int res_apply_defaults(struct resolver *r);
int res_validate(struct resolver *r);

#endif
