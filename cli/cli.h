/*
 * Internal to the `dal` command-line tool: the state one invocation shares
 * between its chained commands, the command table (cmdtable.c), the
 * commands themselves (commands.c) and the result formatters (format.c).
 * Nothing here is part of libdal.
 */
#ifndef DAL_CLI_H
#define DAL_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <dal/dal.h>

/* Help texts of the commands in their own files. */
#define MIGRATE_HELP                                                              \
	"Usage: dal migrate up [--to N] | down [--to N] | status | history |\n"  \
	"                   stamp N | verify [--dir DIR] [--lock-timeout SECONDS]\n" \
	"Versioned schema migrations from the repository's migrations directory\n" \
	"(migrations = DIR in its INI section, or --dir): files NNNN_name.sql,\n"    \
	"NNNN_name.<type>.sql and NNNN_name.down.sql; applied ones are recorded\n" \
	"in the table schema_version (docs/migrations.md).\n"                       \
	"\n"                                                                         \
	"  up [--to N]    apply pending migrations (up to version N)\n"             \
	"  down [--to N]  revert the newest migration (or all above version N;\n"   \
	"                 --to 0: all) with its down file\n"                        \
	"  status         every migration: applied, pending, modified, missing,\n" \
	"                 dirty; exit 1 if any is modified, missing or dirty\n"     \
	"  history        applied migrations in the order they were applied\n"     \
	"  stamp N        record version N as applied without running anything\n"  \
	"                 (0: none), e.g. after repairing a dirty migration\n"      \
	"  verify         check applied migrations against their files; exit 1\n"  \
	"                 if any was modified, is missing or dirty\n"              \
	"  --dir DIR      the migrations directory, instead of the setting\n"      \
	"  --lock-timeout SECONDS\n"                                                \
	"                 wait this long for another migrator (default 60)\n"      \
	"A modified or dirty migration makes up and down refuse to run.\n"          \
	"auto_migrate is not applied when dal migrate opens the repository.\n"
#define DB_RESET_HELP                                                             \
	"Usage: dal db-reset --dry-run | --yes\n"                                    \
	"Drop every table, view and sequence of the repository's own database\n"   \
	"(SQLite: the main database; MySQL/MariaDB: the current database;\n"       \
	"PostgreSQL: the current schema). Nothing of another database or schema\n" \
	"is touched.\n"                                                             \
	"  --dry-run  list what would be dropped, drop nothing\n"                  \
	"  --yes      really drop (required: without it nothing happens)\n"        \
	"auto_migrate is not applied when db-reset opens the repository.\n"

/* Exit statuses. */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* Output formats of `query` and `stats`. */
enum out_format { FMT_TABLE = 0, FMT_CSV, FMT_JSON, FMT_TEXT, FMT_PROMETHEUS };

/* The state of one invocation. The configuration, the repository and the
 * connection are opened on first use, so `dal plugins` works without any
 * database, and one process's chained commands share one connection (one
 * session: what `exec` changes, a later `query` sees) and one repository's
 * statistics. The connection is released before the repository is closed. */
struct cli {
	const char *config_path; /* -c, or NULL */
	const char *repo_name;   /* -r, or NULL */
	const char *url;         /* -u, or NULL */
	int quiet;               /* -q */
	int verbose;             /* -v: also the statement log */
	dal_config *cfg;
	int cfg_loaded;
	dal_repo *repo;
	dal_conn *conn;          /* acquired from repo for the whole chain */
	/* Set while the tool parses configuration text it made itself, whose
	 * warnings were already logged once (see health.c). */
	int mute_log;
	/* Strings that must never reach the terminal: passwords given through
	 * -u, DB_PASS, DB_URL or DATABASE_URL (raw and percent-decoded). */
	char *secrets[8];
	size_t n_secrets;
};

/* One parsed command of the chain. */
struct command;
typedef int (*command_fn)(struct cli *cli, const struct command *cmd);

struct command {
	const char *name;
	const char *arg;        /* the SQL of exec/query, else NULL */
	enum out_format format;
	unsigned timeout_s;     /* health --timeout */
	int keep_going;         /* shell --continue */
	command_fn run;
	/* Commands that parse their own arguments (migrate, db-reset): the
	 * arguments after the command name, checked when the line was parsed. */
	char **args;
	int nargs;
};

/* A parser of a command's own arguments, run when the command line is
 * parsed (before anything runs): argv[*i] is the first argument after the
 * command's name; advance *i past what belongs to the command and fill
 * cmd->args/nargs. Returns -1 when fine, else an exit status (help printed:
 * EXIT_OK; a usage error printed: EXIT_USAGE). */
typedef int (*command_parse_fn)(const char *help, struct command *cmd, int argc,
                                char **argv, int *i);

/* The command table (cmdtable.c): what each command accepts on the command
 * line, the function that runs it and its --help text. */
struct command_def {
	const char *name;
	int takes_sql;
	int formats; /* bit mask of accepted output options */
	command_fn run;
	const char *help;
};

#define ACCEPT_CSV_JSON 1
#define ACCEPT_FORMAT 2
#define ACCEPT_HEALTH 4 /* --timeout SECONDS, --json */
#define ACCEPT_SHELL 8 /* --continue */

/* The text of `dal --help`. */
extern const char cli_usage_text[];
/* The table's entry for a command name, or NULL. */
const struct command_def *cli_find_command(const char *name);
/* The parser of a command that parses its own arguments, or NULL. */
command_parse_fn cli_own_parser(command_fn run);

/* Print "dal: <cmd>: <message>; try 'dal <cmd> --help'" on stderr (cmd
 * NULL: "dal: <message>; try 'dal --help'"); returns EXIT_USAGE (dal.c). */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Print "dal: <cmd>: <message>" on stderr as one line, passwords removed.
 * cmd may be NULL. */
void cli_fail(const struct cli *cli, const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

/* Print "dal: <cmd>: DAL_EXXX: <message> [SQLSTATE]" on stderr for err. */
void cli_fail_error(const struct cli *cli, const char *cmd, const dal_error *err);

/* Print a log line as libdal's own are printed (subject to -q and -v). */
void cli_log(const struct cli *cli, dal_log_level level, const char *msg);

/* Load the configuration (once). Returns 0, or prints the error for cmd and
 * returns -1. */
int cli_config(struct cli *cli, const char *cmd);

/* Open the repository (once). Returns 0, or prints the error and returns -1. */
int cli_repo(struct cli *cli, const char *cmd);

/* Open the repository and acquire the invocation's connection (once).
 * Returns 0, or prints the error and returns -1. */
int cli_conn(struct cli *cli, const char *cmd);

/* Write s to buf (size > 0) with every secret replaced by "***" and every
 * URL password redacted; always NUL-terminates, truncating if needed. */
void cli_redact(const struct cli *cli, const char *s, char *buf, size_t size);

/* cli_redact(), then made one line: control characters become blanks. */
void cli_clean(const struct cli *cli, const char *s, char *buf, size_t size);

/* Commands (commands.c). Each returns EXIT_OK or EXIT_RUNTIME, having printed
 * its own error. */
int cmd_exec(struct cli *cli, const struct command *cmd);
int cmd_query(struct cli *cli, const struct command *cmd);
int cmd_ping(struct cli *cli, const struct command *cmd);
int cmd_stats(struct cli *cli, const struct command *cmd);
int cmd_plugins(struct cli *cli, const struct command *cmd);
int cmd_config(struct cli *cli, const struct command *cmd);

/* shell.c: the interactive shell and script runner, and its --help. */
int cmd_shell(struct cli *cli, const struct command *cmd);
extern const char cmd_shell_help[];
/* cmd_migrate.c: `dal migrate`; cmd_reset.c: `dal db-reset`. */
int cmd_migrate(struct cli *cli, const struct command *cmd);
int parse_migrate(const char *help, struct command *cmd, int argc, char **argv, int *i);
int cmd_db_reset(struct cli *cli, const struct command *cmd);
int parse_db_reset(const char *help, struct command *cmd, int argc, char **argv, int *i);

/* health.c. The default and the largest --timeout, in seconds. */
#define HEALTH_TIMEOUT_DEFAULT 5
#define HEALTH_TIMEOUT_MAX 3600
int cmd_health(struct cli *cli, const struct command *cmd);

/* Commands that take the rest of the command line as their own arguments
 * (struct command args/nargs, given by parse_whole_line()) and must be the
 * only command: cmd_copy.c, cmd_backup.c. They check their arguments when
 * they run, before opening anything, and return EXIT_USAGE for bad ones. */
int parse_whole_line(const char *help, struct command *cmd, int argc, char **argv, int *i);
int cmd_copy(struct cli *cli, const struct command *cmd);
extern const char cmd_copy_help[];
int cmd_backup(struct cli *cli, const struct command *cmd);
extern const char cmd_backup_help[];
int cmd_restore(struct cli *cli, const struct command *cmd);
extern const char cmd_restore_help[];

/* Result formatters (format.c). Each streams the rows of a statement whose
 * first dal_stmt_step() returned first_rc (DAL_ROW or DAL_DONE) to out, and
 * returns DAL_OK or the failing step's code (the statement then holds the
 * error). *nrows gets the number of rows written. */
int format_table(FILE *out, dal_stmt *stmt, int first_rc, uint64_t *nrows);
int format_csv(FILE *out, dal_stmt *stmt, int first_rc, uint64_t *nrows);
int format_json(FILE *out, dal_stmt *stmt, int first_rc, uint64_t *nrows);

/* Print the result of a statement whose first dal_stmt_step() returned rc,
 * in format (FMT_CSV, FMT_JSON, else the table): its rows, or for a
 * statement without columns "<n> row(s) affected" (table), "[]" (JSON) or
 * nothing (CSV). Returns DAL_OK or the failing step's code (the statement
 * then holds the error). */
int cli_print_rows(FILE *out, dal_stmt *stmt, int rc, enum out_format format,
                   uint64_t *nrows);

/* Write s[0..len) to out as a JSON string literal, quotes included. Invalid
 * UTF-8 bytes become U+FFFD. */
void json_string(FILE *out, const char *s, size_t len);

/* Write the figures of a pool as a JSON object: {"max":...,"acquired":...},
 * the names of dal_pool_stats and of the library's JSON export. */
void json_pool(FILE *out, const dal_pool_stats *ps);

/* Rows the table format buffers to compute column widths; later rows are
 * streamed with the widths found. Also a byte budget for the buffer. */
#define TABLE_BUFFER_ROWS 1000
#define TABLE_BUFFER_BYTES (16u << 20)

#endif
