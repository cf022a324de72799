#include <dal/plugin.h>
#include <string.h>

/* In a backend: report a client library's failure with its SQLSTATE, from
 * which the kit derives the portable category. */
int report_failure(dal_error *err, const char *sqlstate, long native, const char *msg)
{
	return dal_error_set(err, dal_sqlstate_category(sqlstate), sqlstate, native,
	                     "step: %s", msg);
}
