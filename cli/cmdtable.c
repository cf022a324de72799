/*
 * The command table of the `dal` tool: each command's name, what it
 * accepts, the function that runs it and its --help text, and the text of
 * `dal --help`. Parsing the command line against this table is dal.c's; the
 * commands themselves are in commands.c, health.c, shell.c and cmd_*.c.
 */
#include <string.h>

#include "cli.h"

const char cli_usage_text[] =
	"Usage: dal [OPTION]... COMMAND [ARG]... [COMMAND [ARG]...]...\n"
	"Run commands against a libdal repository. Several commands may follow\n"
	"one another; they share one connection (one session), run in order and\n"
	"stop at the first failure.\n"
	"\n"
	"Options (before the first command):\n"
	"  -c, --config FILE  configuration file (default: $DAL_CONFIG, else the\n"
	"                     installed dal.ini if present, else none)\n"
	"  -r, --repo NAME    repository to use (default: [dal] default, else main)\n"
	"  -u, --url URL      database URL, overriding the default repository's\n"
	"                     connection settings (not with -r)\n"
	"  -q, --quiet        print no log lines (health: print nothing at all)\n"
	"  -v, --verbose      also print debug log lines and every statement run\n"
	"  -h, --help         print this help; 'dal COMMAND --help' for a command\n"
	"      --version      print the version\n"
	"\n"
	"Commands:\n"
	"  exec SQL                    run SQL, print the number of rows affected\n"
	"  query [--csv|--json] SQL    run SQL, print the rows it returns\n"
	"  ping                        check the connection, print the round trip\n"
	"  stats [--format F]          telemetry and pool figures (text, json,\n"
	"                              prometheus)\n"
	"  health [--timeout S] [--json]\n"
	"                              health check for containers: exit 0 healthy,\n"
	"                              1 unhealthy, within S seconds (default 5);\n"
	"                              the only command of its invocation\n"
	"  plugins                     list backend plugins and where they were sought\n"
	"  config                      print the resolved settings and their sources\n"
	"  shell [--csv|--json] [--continue]\n"
	"                              interactive SQL shell (line editing and\n"
	"                              history when built with libedit, else plain\n"
	"                              lines); runs stdin as a script when it is not\n"
	"                              a terminal\n"
	"  copy --from NAME --to NAME [--tables a,b] [--batch N] [--resume]\n"
	"       [--backup FILE] [--no-verify]\n"
	"                              copy tables between repositories, verified\n"
	"  backup --to FILE            online backup of a SQLite repository\n"
	"  restore --from FILE         restore a SQLite repository from a backup\n"
	"  migrate up|down|status|history|stamp|verify\n"
	"                              versioned schema migrations (dal migrate --help)\n"
	"  db-reset --dry-run|--yes    drop every table, view and sequence of the\n"
	"                              repository's database\n"
	"\n"
	"Example:\n"
	"  dal -u sqlite:////tmp/x.db exec \"CREATE TABLE t(x)\" \\\n"
	"      exec \"INSERT INTO t VALUES (1)\" query \"SELECT * FROM t\" stats\n"
	"\n"
	"Exit status: 0 success, 1 a command failed, 2 usage error.\n";

static const struct command_def command_defs[] = {
	{ "exec", 1, 0, cmd_exec,
	  "Usage: dal exec SQL\n"
	  "Run SQL that returns no rows (DDL, INSERT, UPDATE, ...) and print\n"
	  "\"<n> row(s) affected\". Backends that can run several statements at\n"
	  "once accept them separated by ';'.\n" },
	{ "query", 1, ACCEPT_CSV_JSON, cmd_query,
	  "Usage: dal query [--csv|--json] SQL\n"
	  "Run one SQL statement and print its rows.\n"
	  "\n"
	  "  (default)  an aligned table with a header, NULL shown as NULL and\n"
	  "             control characters escaped; widths come from the first\n"
	  "             1000 rows\n"
	  "  --csv      RFC 4180 CSV with a header line and CRLF line ends; NULL\n"
	  "             is an empty field, an empty string is \"\"\n"
	  "  --json     one JSON array of objects; numbers as numbers, NULL as\n"
	  "             null, blobs as base64 strings\n"
	  "\n"
	  "Blobs are shown as \\x and hex in the table and in CSV.\n"
	  "An SQL argument that starts with '-' goes after '--'.\n" },
	{ "ping", 0, 0, cmd_ping,
	  "Usage: dal ping\n"
	  "Check the invocation's connection with one round trip and print\n"
	  "\"ok: <repository> (<backend>, <server kind>) in <ms> ms, tls: <how>\",\n"
	  "<how> being the protocol and cipher (\"TLSv1.3 TLS_AES_256_GCM_SHA384\")\n"
	  "or \"none\" when the connection is not encrypted (no tls part for an\n"
	  "embedded database).\n" },
	{ "stats", 0, ACCEPT_FORMAT, cmd_stats,
	  "Usage: dal stats [--format text|json|prometheus]\n"
	  "Print the telemetry figures of this process's repository, per\n"
	  "operation: calls, errors, rows, total, mean and max latency, and its\n"
	  "connection pool: max, idle_max, idle, used, pending, timeouts,\n"
	  "created, closed, acquired. Run it after other commands in the same\n"
	  "invocation, e.g.\n"
	  "  dal exec \"...\" query \"...\" stats\n"
	  "  --format text        two aligned tables (the default)\n"
	  "  --format json        the figures with latency histograms, errors by\n"
	  "                       type and the pool, as one JSON object\n"
	  "  --format prometheus  the Prometheus text exposition (OpenTelemetry\n"
	  "                       names: db_client_operation_duration_seconds,\n"
	  "                       db_client_connections, ...)\n"
	  "With telemetry = off it prints \"telemetry is off for <repository>\"\n"
	  "followed by the pool table in text format; as a comment line in\n"
	  "prometheus format; {\"telemetry\":false,\"pool\":{...}} in json.\n" },
	{ "plugins", 0, 0, cmd_plugins,
	  "Usage: dal plugins\n"
	  "List the directories searched for backend plugins, then every\n"
	  "backend_* file found: name, version, file, aliases, ABI version,\n"
	  "kind, SQL dialect, capabilities and description, or why it cannot be\n"
	  "used. Exits 1 if no plugin is usable.\n" },
	{ "config", 0, 0, cmd_config,
	  "Usage: dal config\n"
	  "Print every setting of the selected repository as it would be used to\n"
	  "connect, with its source (file:line, env DB_*, url, default), then any\n"
	  "configuration file warnings. Passwords are shown as ***. For a backend\n"
	  "with TLS, <backend>.tls_mode is shown as it resolves (default prefer,\n"
	  "or verify-ca with a CA), and TLS options given under an older name\n"
	  "(ssl_mode, sslrootcert, ...) under their tls_* name too. Nothing is\n"
	  "connected.\n" },
	{ "health", 0, ACCEPT_HEALTH, cmd_health,
	  "Usage: dal health [--timeout SECONDS] [--json]\n"
	  "A health check for containers and scripts: open the repository, take a\n"
	  "connection from its pool, make one round trip, and print one line:\n"
	  "  healthy: <backend> <server kind> at <target>, ping <ms> ms, pool <used>/<max> used,\n"
	  "           tls: <protocol and cipher, or none> (no tls part for an embedded database)\n"
	  "  unhealthy: <DAL_CODE>: <message>\n"
	  "Exit status 0 when healthy, 1 when not.\n"
	  "\n"
	  "  --timeout SECONDS  give up after this many whole seconds (1 to 3600,\n"
	  "                     default 5): the check ends within the limit even\n"
	  "                     when the server is down or never answers; connect\n"
	  "                     failures are not retried (max_retries = 0) and the\n"
	  "                     connect, read and write timeouts are set to at\n"
	  "                     most SECONDS - 1 (at least 1)\n"
	  "  --json             one JSON object instead: status, repository,\n"
	  "                     backend, server_kind, target, latency_ms, pool,\n"
	  "                     encrypted, tls, timeout_s, error\n"
	  "\n"
	  "health must be the only command of its invocation; with -q it prints\n"
	  "nothing, the exit status says it all. Example (Docker):\n"
	  "  HEALTHCHECK --timeout=10s CMD dal -q health --timeout 5\n" },
	{ "shell", 0, ACCEPT_CSV_JSON | ACCEPT_SHELL, cmd_shell, cmd_shell_help },
	{ "migrate", 0, 0, cmd_migrate, MIGRATE_HELP },
	{ "db-reset", 0, 0, cmd_db_reset, DB_RESET_HELP },
	{ "copy", 0, 0, cmd_copy, cmd_copy_help },
	{ "backup", 0, 0, cmd_backup, cmd_backup_help },
	{ "restore", 0, 0, cmd_restore, cmd_restore_help },
};

/* Commands that parse their own arguments. */
static const struct {
	command_fn run;
	command_parse_fn parse;
} own_parsers[] = {
	{ cmd_migrate, parse_migrate },
	{ cmd_db_reset, parse_db_reset },
	{ cmd_copy, parse_whole_line },
	{ cmd_backup, parse_whole_line },
	{ cmd_restore, parse_whole_line },
};

#define N_COMMANDS (sizeof command_defs / sizeof command_defs[0])

command_parse_fn cli_own_parser(command_fn run)
{
	for (size_t k = 0; k < sizeof own_parsers / sizeof own_parsers[0]; k++)
		if (own_parsers[k].run == run)
			return own_parsers[k].parse;
	return NULL;
}

const struct command_def *cli_find_command(const char *name)
{
	for (size_t k = 0; k < N_COMMANDS; k++)
		if (strcmp(command_defs[k].name, name) == 0)
			return &command_defs[k];
	return NULL;
}
