/*
 * Shared by the suites that resolve settings through the core's internal
 * settings_resolve() (test_settings.c, test_envmap.c): each check fails
 * the test with the library's message.
 */
#ifndef DAL_TEST_SETTINGS_UTIL_H
#define DAL_TEST_SETTINGS_UTIL_H

#include <dal/dal.h>

#include "settings.h"

/* Resolve repository name (NULL: the default) of cfg, with url as the
 * explicit URL (may be NULL), into *s; it must succeed. */
void su_resolve_ok(const dal_config *cfg, const char *name, const char *url,
                   struct dal_settings *s);

/* The same resolution must fail with DAL_ECONFIG, leaving nothing in the
 * settings; the error in *e. */
void su_resolve_bad(const dal_config *cfg, const char *name, const char *url, dal_error *e);

#endif
