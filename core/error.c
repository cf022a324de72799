/*
 * Error codes: names, descriptions, the transient classification and the
 * SQLSTATE -> category mapping every backend shares.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <dal/error.h>
#include <dal/plugin.h>

static const struct {
	int code;
	const char *name;
	const char *text;
} codes[] = {
	/* name: dal_code_name(); text: dal_strerror(); the error_type label is
	 * the name without "DAL_E", lower-case (dal_code_label()). */
	{DAL_OK, "DAL_OK", "success"},
	{DAL_ROW, "DAL_ROW", "row available"},
	{DAL_DONE, "DAL_DONE", "no more rows"},
	{DAL_EMISUSE, "DAL_EMISUSE", "library used incorrectly"},
	{DAL_ENOMEM, "DAL_ENOMEM", "out of memory"},
	{DAL_ECONFIG, "DAL_ECONFIG", "configuration error"},
	{DAL_EPLUGIN_NOTFOUND, "DAL_EPLUGIN_NOTFOUND", "backend plugin not found"},
	{DAL_EPLUGIN_INVALID, "DAL_EPLUGIN_INVALID", "not a valid libdal plugin"},
	{DAL_EPLUGIN_ABI, "DAL_EPLUGIN_ABI", "plugin ABI version mismatch"},
	{DAL_EPLUGIN_LOAD, "DAL_EPLUGIN_LOAD", "plugin could not be loaded"},
	{DAL_ECONNECT, "DAL_ECONNECT", "connection failed or lost"},
	{DAL_EAUTH, "DAL_EAUTH", "authentication failed"},
	{DAL_ETIMEOUT, "DAL_ETIMEOUT", "timeout expired"},
	{DAL_EBUSY, "DAL_EBUSY", "database busy, locked or in conflict"},
	{DAL_ECONSTRAINT, "DAL_ECONSTRAINT", "constraint violation"},
	{DAL_ESYNTAX, "DAL_ESYNTAX", "SQL syntax error or access rule violation"},
	{DAL_ENOTFOUND, "DAL_ENOTFOUND", "object not found"},
	{DAL_EDATA, "DAL_EDATA", "invalid data value"},
	{DAL_EREADONLY, "DAL_EREADONLY", "database is read-only"},
	{DAL_EUNSUPPORTED, "DAL_EUNSUPPORTED", "not supported by this backend"},
	{DAL_EBACKEND, "DAL_EBACKEND", "database error"},
	{DAL_EOUTCOME, "DAL_EOUTCOME", "outcome unknown: connection lost after the request was sent"},
	{DAL_ECANCELED, "DAL_ECANCELED", "statement cancelled"},
};

const char *dal_code_name(int code)
{
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (codes[i].code == code)
			return codes[i].name;
	return "DAL_E?";
}

const char *dal_strerror(int code)
{
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
		if (codes[i].code == code)
			return codes[i].text;
	return "unknown error code";
}

const char *dal_code_label(int code)
{
	static const char *const labels[] = {
		[-DAL_EMISUSE] = "misuse", [-DAL_ENOMEM] = "nomem", [-DAL_ECONFIG] = "config",
		[-DAL_EPLUGIN_NOTFOUND] = "plugin_notfound", [-DAL_EPLUGIN_INVALID] = "plugin_invalid",
		[-DAL_EPLUGIN_ABI] = "plugin_abi", [-DAL_EPLUGIN_LOAD] = "plugin_load",
		[-DAL_ECONNECT] = "connect", [-DAL_EAUTH] = "auth", [-DAL_ETIMEOUT] = "timeout",
		[-DAL_EBUSY] = "busy", [-DAL_ECONSTRAINT] = "constraint", [-DAL_ESYNTAX] = "syntax",
		[-DAL_ENOTFOUND] = "notfound", [-DAL_EDATA] = "data", [-DAL_EREADONLY] = "readonly",
		[-DAL_EUNSUPPORTED] = "unsupported", [-DAL_EBACKEND] = "backend",
		[-DAL_EOUTCOME] = "outcome_unknown", [-DAL_ECANCELED] = "canceled",
	};
	if (code < 0 && (size_t)-code < sizeof labels / sizeof labels[0] && labels[-code])
		return labels[-code];
	return code < 0 ? "_OTHER" : "";
}

int dal_code_is_transient(int code)
{
	return code == DAL_ECONNECT || code == DAL_ETIMEOUT || code == DAL_EBUSY;
}

int dal_sqlstate_category(const char *st)
{
	if (!st || strlen(st) != 5)
		return DAL_EBACKEND;
	/* Exact codes first: they refine their class. */
	static const struct {
		const char *state;
		int code;
	} exact[] = {
		{"57014", DAL_ETIMEOUT},  /* query_canceled (statement_timeout) */
		{"HYT00", DAL_ETIMEOUT},  {"HYT01", DAL_ETIMEOUT},
		{"57P01", DAL_ECONNECT},  /* admin_shutdown */
		{"57P02", DAL_ECONNECT},  {"57P03", DAL_ECONNECT},
		{"55P03", DAL_EBUSY},     /* lock_not_available */
		{"42P01", DAL_ENOTFOUND}, /* undefined_table */
		{"42703", DAL_ENOTFOUND}, /* undefined_column */
		{"42883", DAL_ENOTFOUND}, /* undefined_function */
		{"42704", DAL_ENOTFOUND}, /* undefined_object */
		{"3F000", DAL_ENOTFOUND}, /* invalid_schema_name */
		{"3D000", DAL_ENOTFOUND}, /* invalid_catalog_name */
		{"42S02", DAL_ENOTFOUND}, /* base table not found (ODBC/MySQL) */
		{"42S22", DAL_ENOTFOUND}, /* column not found */
		{"25006", DAL_EREADONLY}, /* read_only_sql_transaction */
		{"0A000", DAL_EUNSUPPORTED},
		{"53100", DAL_EBACKEND},  /* disk_full */
		{"53200", DAL_ENOMEM},    /* out_of_memory */
		{"HY001", DAL_ENOMEM},
	};
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (memcmp(st, exact[i].state, 5) == 0)
			return exact[i].code;

	static const struct {
		const char *cls;
		int code;
	} classes[] = {
		{"08", DAL_ECONNECT},   {"23", DAL_ECONSTRAINT}, {"28", DAL_EAUTH},
		{"40", DAL_EBUSY},      {"42", DAL_ESYNTAX},     {"22", DAL_EDATA},
		{"21", DAL_EDATA},      {"25", DAL_EMISUSE},     {"26", DAL_EMISUSE},
		{"24", DAL_EMISUSE},    {"0B", DAL_EMISUSE},     {"2D", DAL_EMISUSE},
		{"0L", DAL_EAUTH},      {"0P", DAL_EAUTH},       {"57", DAL_EBACKEND},
		{"53", DAL_EBACKEND},   {"54", DAL_EBACKEND},
	};
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (st[0] == classes[i].cls[0] && st[1] == classes[i].cls[1])
			return classes[i].code;
	return DAL_EBACKEND;
}

int dal_error_set(dal_error *err, int code, const char *sqlstate, long native,
                  const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	if (!sqlstate || strlen(sqlstate) != 5)
		sqlstate = code == DAL_OK ? "00000" : "HY000";
	memcpy(err->sqlstate, sqlstate, 6);
	err->native = native;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return code;
}

void dal_error_clear(dal_error *err)
{
	if (!err)
		return;
	err->code = DAL_OK;
	memcpy(err->sqlstate, "00000", 6);
	err->native = 0;
	err->message[0] = '\0';
}
