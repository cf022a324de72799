/* Hash index over a caller's array: see hindex.h. */
#include "hindex.h"

#include <stdlib.h>

uint64_t hindex_hash(uint64_t h, const void *p, size_t len)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

size_t *hindex_find(const struct hindex *ix, uint64_t h, hindex_match_fn match,
                    const void *ctx, const void *key)
{
	size_t mask;

	if (!ix->cap)
		return NULL;
	mask = ix->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask)
		if (!ix->slots[i] || match(ctx, ix->slots[i] - 1, key))
			return &ix->slots[i];
}

int hindex_reserve(struct hindex *ix, hindex_rehash_fn rehash, const void *ctx)
{
	size_t cap, *slots;

	if (ix->cap && (ix->n + 1) * 2 <= ix->cap)
		return 1;
	cap = ix->cap ? ix->cap * 2 : 16;
	if (!(slots = calloc(cap, sizeof *slots)))
		return 0;
	/* The stored keys are distinct: each goes to the first empty slot. */
	for (size_t k = 0; k < ix->cap; k++) {
		size_t v = ix->slots[k], i;

		if (!v)
			continue;
		for (i = (size_t)rehash(ctx, v - 1) & (cap - 1); slots[i]; i = (i + 1) & (cap - 1))
			;
		slots[i] = v;
	}
	free(ix->slots);
	ix->slots = slots;
	ix->cap = cap;
	return 1;
}

void hindex_set(struct hindex *ix, size_t *slot, size_t i)
{
	if (!*slot)
		ix->n++;
	*slot = i + 1;
}

void hindex_free(struct hindex *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->cap = ix->n = 0;
}
