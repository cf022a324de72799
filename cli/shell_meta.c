/*
 * The backslash commands of `dal shell`: \tables, \describe, \timing,
 * \format, \quit and \help. Catalog queries come from shell_catalog.c;
 * results print as statements' do (shell.c).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

static const char help_text[] =
	"Statements end with ';' and may span lines; a ';' inside quotes,\n"
	"comments or dollar-quoted strings does not end one.\n"
	"\n"
	"  \\tables, \\dt            list tables and views\n"
	"  \\describe T, \\d T       columns of table T: type, nullable, primary key\n"
	"  \\timing [on|off]        show how long each statement takes (toggles)\n"
	"  \\format table|csv|json  output format of results\n"
	"  \\help, \\?               this help\n"
	"  \\quit, \\q               leave (so does end of input, ^D)\n";

/* Strip one pair of quotes around an identifier part ("x", `x`, [x]). */
static void unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && ((s[0] == '"' && s[n - 1] == '"') || (s[0] == '`' && s[n - 1] == '`') ||
	               (s[0] == '[' && s[n - 1] == ']'))) {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

/* Bind :name to text, or NULL when text is NULL, if the query has it. */
static int bind_opt(dal_stmt *stmt, const char *name, const char *text)
{
	unsigned idx = dal_stmt_param_index(stmt, name);

	if (!idx)
		return DAL_OK;
	return text ? dal_stmt_bind_text(stmt, idx, text, -1) : dal_stmt_bind_null(stmt, idx);
}

/* Run a catalog query; with table set, bind it (split into :schema and
 * :table, and whole as :name) and fail when it has no rows. */
static int catalog_query(struct shell *sh, const char *sql, const char *table)
{
	long long start = shell_now_ns();
	char *schema = NULL, *name = NULL, *dot;
	dal_stmt *stmt;
	int rc;

	if (dal_stmt_prepare(sh->cli->conn, sql, &stmt) != DAL_OK) {
		shell_fail_error(sh, dal_conn_error(sh->cli->conn));
		return -1;
	}
	if (table) {
		if (!(name = strdup(table))) {
			dal_stmt_close(stmt);
			shell_fail(sh, "out of memory");
			return -1;
		}
		if ((dot = strrchr(name, '.')) != NULL) {
			*dot = '\0';
			schema = name;
			name = dot + 1;
			unquote(schema);
		}
		unquote(name);
		if (bind_opt(stmt, "schema", schema) != DAL_OK ||
		    bind_opt(stmt, "table", name) != DAL_OK ||
		    bind_opt(stmt, "name", table) != DAL_OK) {
			shell_fail_error(sh, dal_stmt_error(stmt));
			free(schema ? schema : name);
			dal_stmt_close(stmt);
			return -1;
		}
		free(schema ? schema : name);
	}
	rc = dal_stmt_step(stmt);
	if (table && rc == DAL_DONE) {
		dal_stmt_close(stmt);
		shell_fail(sh, "\\describe: no table or view '%s'", table);
		return -1;
	}
	rc = shell_print_result(sh, stmt, rc, start);
	dal_stmt_close(stmt);
	return rc;
}

/* Split "\cmd args" into the command name and its argument (trimmed, a
 * final ';' dropped; "" if none). Modifies line. */
static void split(char *line, char **cmd, char **arg)
{
	char *p = line + 1, *end;

	*cmd = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	if (*p)
		*p++ = '\0';
	while (isspace((unsigned char)*p))
		p++;
	*arg = p;
	end = p + strlen(p);
	while (end > p && (isspace((unsigned char)end[-1]) || end[-1] == ';'))
		*--end = '\0';
	/* "\tables;" */
	end = *cmd + strlen(*cmd);
	while (end > *cmd && end[-1] == ';')
		*--end = '\0';
}

static int no_argument(struct shell *sh, const char *cmd, const char *arg)
{
	if (!*arg)
		return 0;
	shell_fail(sh, "\\%s takes no argument (got '%s')", cmd, arg);
	return -1;
}

static int meta_run(struct shell *sh, const char *cmd, const char *arg)
{
	struct catalog cat;

	if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "q") == 0) {
		if (no_argument(sh, cmd, arg))
			return -1;
		sh->quit = 1;
		return 0;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "?") == 0) {
		fputs(help_text, stdout);
		return 0;
	}
	if (strcmp(cmd, "tables") == 0 || strcmp(cmd, "dt") == 0) {
		if (no_argument(sh, cmd, arg))
			return -1;
		return catalog_query(sh, catalog_for(sh->cli->repo, &cat)->tables_sql, NULL);
	}
	if (strcmp(cmd, "describe") == 0 || strcmp(cmd, "d") == 0) {
		if (!*arg) {
			shell_fail(sh, "\\%s needs a table name: \\%s TABLE", cmd, cmd);
			return -1;
		}
		return catalog_query(sh, catalog_for(sh->cli->repo, &cat)->describe_sql, arg);
	}
	if (strcmp(cmd, "timing") == 0) {
		if (!*arg)
			sh->timing = !sh->timing;
		else if (strcmp(arg, "on") == 0)
			sh->timing = 1;
		else if (strcmp(arg, "off") == 0)
			sh->timing = 0;
		else {
			shell_fail(sh, "\\timing: '%s' is not on or off", arg);
			return -1;
		}
		printf("Timing is %s.\n", sh->timing ? "on" : "off");
		return 0;
	}
	if (strcmp(cmd, "format") == 0) {
		if (strcmp(arg, "table") == 0)
			sh->format = FMT_TABLE;
		else if (strcmp(arg, "csv") == 0)
			sh->format = FMT_CSV;
		else if (strcmp(arg, "json") == 0)
			sh->format = FMT_JSON;
		else {
			shell_fail(sh, "\\format: '%s' is not table, csv or json", arg);
			return -1;
		}
		return 0;
	}
	shell_fail(sh, "unknown command '\\%s'; \\help lists the commands", cmd);
	return -1;
}

int shell_meta(struct shell *sh, const char *line)
{
	char *copy = strdup(line), *cmd, *arg;
	int rc;

	if (!copy) {
		shell_fail(sh, "out of memory");
		return -1;
	}
	split(copy, &cmd, &arg);
	rc = meta_run(sh, cmd, arg);
	fflush(stdout);
	free(copy);
	return rc;
}
