/*
 * Internal: database URL parsing (liburiparser).
 *
 *   sqlite:///abs/path.db   sqlite:rel.db   sqlite::memory:
 *   mysql://user:pass@host:3306/db?opt=v   (also mariadb://)
 *   postgresql://user:pass@h1:5432,h2/db?sslmode=require  (also postgres://, pgsql://)
 *
 * User, password and query values are percent-decoded. No message ever
 * contains the password: errors quote the URL with its password as ***.
 */
#ifndef DAL_CORE_URL_H
#define DAL_CORE_URL_H

#include <stddef.h>

#include <dal/error.h>

struct url_option {
	char *key;
	char *value;
};

struct dal_url {
	char *scheme;   /* lower-case, as written: "postgres" */
	char *user;     /* decoded, or NULL */
	char *password; /* decoded, or NULL */
	char *host;     /* NULL for sqlite; "h1,h2" for several hosts */
	unsigned port;  /* 0 if absent */
	char *path;     /* sqlite: file path (may be relative) or ":memory:";
	                   servers: database name without '/', or NULL */
	struct url_option *options;
	size_t n_options;
};

/* Parse url into *out. On error returns DAL_ECONFIG with a message naming
 * `origin` (e.g. "DB_URL") and what is wrong; *out is then empty. */
int url_parse(const char *url, const char *origin, struct dal_url *out,
              dal_error *err);

/* Free what url_parse() allocated. Safe on a zeroed struct. */
void url_free(struct dal_url *u);

/* Copy url into buf with any password replaced by ***; always NUL-terminates. */
void url_redact(const char *url, char *buf, size_t size);

#endif
