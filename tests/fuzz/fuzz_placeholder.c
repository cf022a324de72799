/*
 * libFuzzer target: the placeholder rewriter, ph_rewrite() (core/placeholder.c).
 *
 * Input: byte 0 selects the dialect, the rest is the SQL text.
 *   bits 0-5 of byte 0: DAL_SYNTAX_* flags (BACKSLASH_ESCAPE, HASH_COMMENT,
 *                       BACKTICK, DOLLAR_QUOTE, NESTED_COMMENT, BRACKET_IDENT)
 * The SQL is rewritten in both parameter styles (QMARK and DOLLAR), and the
 * two results are checked against each other and against the input:
 *  - success (the rewriter fails only for want of memory), len == strlen(sql);
 *  - both styles see the same parameters with the same names; names are
 *    distinct, non-empty identifiers; numbering is by first appearance;
 *  - QMARK: the position map exists exactly when a :name repeats;
 *    DOLLAR: one marker per parameter, no map;
 *  - the lengths add up: each marker occurrence changes the text by exactly
 *    what replacing it with "?" or "$n" accounts for, nothing else moves.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dal/plugin.h>

#include "fuzz_common.h"
#include "placeholder.h"

static int ident_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80 ||
	       (c >= '0' && c <= '9');
}

static size_t digits(unsigned v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ph_result q, d;
	dal_error err;
	unsigned syntax;
	char *sql;
	size_t n, removed = 0, dollar_len;

	if (size < 1)
		return 0;
	syntax = data[0] & 0x3f;
	sql = fuzz_cstr(data + 1, size - 1);
	n = strlen(sql);

	FUZZ_CHECK(ph_rewrite(sql, DAL_PARAM_QMARK, syntax, &q, &err) == DAL_OK,
	           "ph_rewrite(QMARK) failed: %s", err.message);
	FUZZ_CHECK(ph_rewrite(sql, DAL_PARAM_DOLLAR, syntax, &d, &err) == DAL_OK,
	           "ph_rewrite(DOLLAR) failed: %s", err.message);

	FUZZ_CHECK(q.sql && strlen(q.sql) == q.len, "QMARK: len %zu != strlen", q.len);
	FUZZ_CHECK(d.sql && strlen(d.sql) == d.len, "DOLLAR: len %zu != strlen", d.len);
	FUZZ_CHECK(q.nparams == d.nparams, "QMARK %u params, DOLLAR %u", q.nparams, d.nparams);
	FUZZ_CHECK(q.nparams == 0 || q.names, "names missing");
	FUZZ_CHECK(d.npos == d.nparams && !d.pos_param, "DOLLAR: npos %u nparams %u map %p",
	           d.npos, d.nparams, (void *)d.pos_param);
	FUZZ_CHECK(q.npos >= q.nparams, "QMARK: %u markers < %u params", q.npos, q.nparams);

	for (unsigned k = 0; k < q.nparams; k++) {
		const char *a = q.names[k], *b = d.names[k];

		FUZZ_CHECK((!a) == (!b) && (!a || strcmp(a, b) == 0),
		           "parameter %u named differently in the two styles", k + 1);
		if (!a)
			continue;
		FUZZ_CHECK(*a && !(a[0] >= '0' && a[0] <= '9'), "parameter %u: bad name '%s'",
		           k + 1, a);
		for (const char *p = a; *p; p++)
			FUZZ_CHECK(ident_char((unsigned char)*p), "parameter %u: bad name '%s'", k + 1,
			           a);
	}
	/* Distinct names (a sorted copy: n log n, so that a timeout is the
	 * rewriter's, never the harness's). */
	if (q.nparams > 1) {
		char **sorted = malloc(q.nparams * sizeof *sorted);
		unsigned named = 0;

		if (!sorted)
			abort();
		for (unsigned k = 0; k < q.nparams; k++)
			if (q.names[k])
				sorted[named++] = q.names[k];
		qsort(sorted, named, sizeof *sorted, cmp_str);
		for (unsigned k = 1; k < named; k++)
			FUZZ_CHECK(strcmp(sorted[k - 1], sorted[k]) != 0,
			           "name '%s' given two indexes", sorted[k]);
		free(sorted);
	}

	/* The marker occurrences, in order: the map, or parameter i at i. */
	if (q.pos_param) {
		unsigned seen = 0;
		int repeat = 0;

		for (unsigned i = 0; i < q.npos; i++) {
			unsigned idx = q.pos_param[i];

			FUZZ_CHECK(idx >= 1 && idx <= q.nparams, "map[%u] = %u of %u", i, idx,
			           q.nparams);
			FUZZ_CHECK(idx <= seen + 1, "map[%u] = %u skips a number", i, idx);
			if (idx == seen + 1) {
				seen++;
			} else {
				repeat = 1;
				FUZZ_CHECK(q.names[idx - 1],
				           "an anonymous ? used twice (map[%u] = %u)", i, idx);
			}
		}
		FUZZ_CHECK(seen == q.nparams && repeat, "map without a repeat or a gap");
	} else {
		FUZZ_CHECK(q.npos == q.nparams, "QMARK: %u markers, %u params, no map", q.npos,
		           q.nparams);
	}

	/* Lengths: QMARK turns ":name" into "?" and leaves "?" alone; DOLLAR
	 * turns each occurrence into "$<index>". */
	dollar_len = n;
	for (unsigned i = 0; i < q.npos; i++) {
		unsigned idx = q.pos_param ? q.pos_param[i] : i + 1;
		size_t marker = q.names[idx - 1] ? 1 + strlen(q.names[idx - 1]) : 1;

		removed += marker - 1;
		dollar_len = dollar_len - marker + 1 + digits(idx);
	}
	FUZZ_CHECK(q.len == n - removed, "QMARK: %zu bytes out, expected %zu", q.len,
	           n - removed);
	FUZZ_CHECK(d.len == dollar_len, "DOLLAR: %zu bytes out, expected %zu", d.len,
	           dollar_len);

	ph_free(&q);
	ph_free(&d);
	free(sql);
	return 0;
}
