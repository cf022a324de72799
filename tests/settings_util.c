/* Helpers of the settings suites; see settings_util.h. */
#include <check.h>
#include <string.h>

#include "settings_util.h"

void su_resolve_ok(const dal_config *cfg, const char *name, const char *url,
                   struct dal_settings *s)
{
	dal_error e;
	int rc = settings_resolve(cfg, name, url, settings_is_default(cfg, name), s, &e);

	ck_assert_msg(rc == DAL_OK, "resolve failed: %s", e.message);
}

void su_resolve_bad(const dal_config *cfg, const char *name, const char *url, dal_error *e)
{
	struct dal_settings s;
	int rc;

	/* Garbage in: the NULLs below must be settings_resolve()'s doing. */
	memset(&s, 0xa5, sizeof s);
	rc = settings_resolve(cfg, name, url, settings_is_default(cfg, name), &s, e);
	ck_assert_msg(rc == DAL_ECONFIG, "expected DAL_ECONFIG, got %d", rc);
	ck_assert_ptr_null(s.name); /* zeroed on error */
	ck_assert_ptr_null(s.password);
}
