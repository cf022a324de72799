/*
 * The verification checksum of the copy layer: a table's row count and a
 * 64-bit content sum, computed the same way on any backend over the values
 * as libdal fetches them.
 *
 * Each value is put into a canonical encoding chosen by its column's type
 * class (copy_int.h), so that the same data reads the same on SQLite,
 * MariaDB and PostgreSQL although the servers print it differently:
 * integers and doubles as their 8 bytes, booleans as one byte, text and
 * blobs as length and bytes, exact decimals without trailing fractional
 * zeros ("2.50" and "2.5"), timestamps with a blank between date and time
 * and without trailing fractional zeros ("2024-01-02T03:04:05.500000" and
 * "2024-01-02 03:04:05.5"). NULL has its own tag, so NULL, 0 and '' differ.
 *
 * A row's hash is FNV-1a over its encoded values, mixed by the splitmix64
 * finaliser; the table's sum is the sum of its row hashes modulo 2^64.
 * The sum does not depend on the order of the rows, which matters because
 * the backends order text keys by different collations: "ordered by the
 * primary key" is not one order across servers. A changed, missing or
 * extra row changes the sum (with probability 1 - 2^-64 for a change that
 * is not crafted to collide; this is a check against accidents, not
 * against an adversary).
 */
#include <math.h>
#include <string.h>

#include "copy_int.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	unsigned char b[8];

	for (int i = 7; i >= 0; i--, v >>= 8)
		b[i] = (unsigned char)(v & 0xff);
	return fnv(h, b, 8);
}

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Hash text of n bytes with a tag and its length. */
static uint64_t tagged(uint64_t h, char tag, const char *s, size_t n)
{
	h = fnv(h, &tag, 1);
	h = fnv_u64(h, n);
	return fnv(h, s, n);
}

/* "+002.500" -> "2.5", "-0.00" -> "0", "7" -> "7". Exponent forms are left
 * as they are. */
static uint64_t numeric(uint64_t h, const char *s, size_t n)
{
	const char *end = s + n;
	int neg = 0;

	while (s < end && *s == ' ')
		s++;
	while (end > s && end[-1] == ' ')
		end--;
	if (s < end && (*s == '+' || *s == '-'))
		neg = *s++ == '-';
	if (!memchr(s, 'e', (size_t)(end - s)) && !memchr(s, 'E', (size_t)(end - s))) {
		while (end - s > 1 && s[0] == '0' && s[1] != '.')
			s++;
		if (memchr(s, '.', (size_t)(end - s))) {
			while (end > s && end[-1] == '0')
				end--;
			if (end > s && end[-1] == '.')
				end--;
		}
		if (end == s || (end - s == 1 && *s == '0'))
			return tagged(h, 'M', "0", 1);
	}
	if (neg)
		h = fnv(h, "-", 1);
	return tagged(h, 'M', s, (size_t)(end - s));
}

/* "2024-01-02T03:04:05.500000" -> "2024-01-02 03:04:05.5". */
static uint64_t timestamp(uint64_t h, const char *s, size_t n)
{
	char buf[64];
	const char *dot;

	if (n >= sizeof buf)
		return tagged(h, 'S', s, n);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (n > 10 && buf[10] == 'T')
		buf[10] = ' ';
	if ((dot = strchr(buf, '.')) != NULL) {
		while (n > 0 && buf[n - 1] == '0')
			n--;
		if (n > 0 && buf[n - 1] == '.')
			n--;
	}
	return tagged(h, 'S', buf, n);
}

/* Hash column col of the current row of st, read as class cls. */
static uint64_t value(uint64_t h, dal_stmt *st, unsigned col, enum copy_class cls)
{
	const char *s;
	size_t n;

	if (dal_stmt_column_is_null(st, col))
		return fnv(h, "N", 1);
	switch (cls) {
	case CC_INT:
		h = fnv(h, "I", 1);
		return fnv_u64(h, (uint64_t)dal_stmt_column_int64(st, col));
	case CC_DOUBLE: {
		double d = dal_stmt_column_double(st, col);
		uint64_t bits;

		if (d == 0.0)
			d = 0.0; /* -0 and 0 alike */
		if (isnan(d))
			d = NAN;
		memcpy(&bits, &d, sizeof bits);
		h = fnv(h, "D", 1);
		return fnv_u64(h, bits);
	}
	case CC_BOOL: {
		char b[2] = { 'B', dal_stmt_column_bool(st, col) ? '1' : '0' };

		return fnv(h, b, 2);
	}
	case CC_BLOB:
		s = dal_stmt_column_blob(st, col, &n);
		return tagged(h, 'X', s ? s : "", s ? n : 0);
	case CC_NUMERIC:
		s = dal_stmt_column_text(st, col, &n);
		return numeric(h, s ? s : "", s ? n : 0);
	case CC_TIMESTAMP:
	case CC_DATE:
		s = dal_stmt_column_text(st, col, &n);
		return timestamp(h, s ? s : "", s ? n : 0);
	case CC_TEXT:
	case CC_TSTZ:
	default:
		s = dal_stmt_column_text(st, col, &n);
		return tagged(h, 'T', s ? s : "", s ? n : 0);
	}
}

int copy_table_sum(dal_conn *c, const struct copy_table *t, int64_t *rows,
                   uint64_t *sum, dal_error *err)
{
	const char *q = dal_repo_ident_quote(dal_conn_repo(c));
	struct strbuf sql = { 0 };
	dal_stmt *st = NULL;
	uint64_t total = 0;
	int64_t n = 0;
	int rc;

	sb_puts(&sql, "SELECT ");
	for (unsigned i = 0; i < t->ncols; i++) {
		sb_puts(&sql, i ? ", " : "");
		copy_quote(&sql, q, t->cols[i].name);
	}
	sb_puts(&sql, " FROM ");
	copy_quote(&sql, q, t->name);
	if (sql.failed)
		return copy_err(err, DAL_ENOMEM, "copy: out of memory");
	rc = dal_stmt_prepare(c, sql.data, &st);
	sb_free(&sql);
	if (rc != DAL_OK)
		return copy_err_from(err, dal_conn_error(c), "copy: checksum of %s in %s",
		                     t->name, dal_repo_name(dal_conn_repo(c)));
	while ((rc = dal_stmt_step(st)) == DAL_ROW) {
		uint64_t h = FNV_OFFSET;

		for (unsigned i = 0; i < t->ncols; i++)
			h = value(h, st, i, t->cols[i].cls);
		total += mix(h);
		n++;
	}
	if (rc != DAL_DONE) {
		rc = copy_err_from(err, dal_stmt_error(st), "copy: checksum of %s in %s",
		                   t->name, dal_repo_name(dal_conn_repo(c)));
		dal_stmt_close(st);
		return rc;
	}
	dal_stmt_close(st);
	*rows = n;
	*sum = total;
	return DAL_OK;
}
