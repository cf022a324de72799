/*
 * The process-wide log sink. libdal prints nothing by itself: without a sink,
 * log lines are dropped (an embedded library must not write to stderr).
 */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static dal_log_fn log_fn;
static void *log_userdata;

void dal_log_set(dal_log_fn fn, void *userdata)
{
	log_fn = fn;
	log_userdata = userdata;
}

void dal_log_emit(dal_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_fn(level, line, log_userdata);
}

void dal_plugin_log(int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!log_fn)
		return;
	if (level < DAL_LOG_DEBUG)
		level = DAL_LOG_DEBUG;
	if (level > DAL_LOG_ERROR)
		level = DAL_LOG_ERROR;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_fn((dal_log_level)level, line, log_userdata);
}

void dal_log_emit_line(dal_log_level level, const char *line)
{
	if (log_fn)
		log_fn(level, line, log_userdata);
}
