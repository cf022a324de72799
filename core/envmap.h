/*
 * Internal: the environment variables a repository reads (envmap.c): the
 * contract's DB_* names by default, or those its INI section names with
 * env_prefix and a [name.env] section.
 */
#ifndef DAL_CORE_ENVMAP_H
#define DAL_CORE_ENVMAP_H

#include <dal/dal.h>

#include "settings.h"

struct config_entry;

/* Slots: one per setting key, and one for a whole URL. */
#define ENVMAP_URL SK__COUNT
#define ENVMAP_SLOTS (SK__COUNT + 1)
/* Variables tried per slot, in order (DECNET_DB_PASSWORD, DECNET_DB_PASS). */
#define ENVMAP_NAMES 2

struct envmap {
	char *names[ENVMAP_SLOTS][ENVMAP_NAMES]; /* NULL-terminated per slot */
	int named; /* the INI named the variables (env_prefix or [name.env]) */
	const struct config_entry *prefix; /* the env_prefix line, or NULL */
};

/*
 * Build the map of repository repo from cfg (may be NULL: the defaults).
 * DAL_ECONFIG with file:line for an unknown setting in [repo.env] or a
 * malformed variable name; DAL_ENOMEM. On error nothing is left to free.
 */
int envmap_init(struct envmap *m, const struct dal_config *cfg, const char *repo,
                dal_error *err);

/* The value of the first variable of slot that is set and not empty, or
 * NULL; *var gets the variable's name (valid until envmap_free()). */
const char *envmap_get(const struct envmap *m, int slot, const char **var);

void envmap_free(struct envmap *m);

/* 1 if section is repo's variable map ("main.env"), not backend options. */
int envmap_is_section(const char *repo, const char *section);

#endif
