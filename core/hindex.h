/*
 * Internal: a hash index over an array the caller owns, so that looking up
 * a name among n takes constant time instead of n comparisons (INI keys,
 * placeholder names, backend options: inputs of a megabyte must parse in
 * time linear in their size). Open addressing with linear probing,
 * power-of-two capacity, at most half full. A slot holds an array index + 1
 * (0: empty); the array and how its elements compare are the caller's.
 */
#ifndef DAL_CORE_HINDEX_H
#define DAL_CORE_HINDEX_H

#include <stddef.h>
#include <stdint.h>

struct hindex {
	size_t *slots;
	size_t cap, n; /* n: slots in use */
};

#define HINDEX_SEED 1469598103934665603ull

/* FNV-1a over len bytes, continuing from h (start with HINDEX_SEED). */
uint64_t hindex_hash(uint64_t h, const void *p, size_t len);

/* 1 if element i of ctx's array is key. */
typedef int (*hindex_match_fn)(const void *ctx, size_t i, const void *key);
/* The hash of element i, as it was computed when it was stored. */
typedef uint64_t (*hindex_rehash_fn)(const void *ctx, size_t i);

/*
 * The slot for key (hash h): the one holding it, or the empty slot it would
 * take. Store an index with hindex_set(). An index with no capacity yet
 * (never reserved) gives NULL.
 */
size_t *hindex_find(const struct hindex *ix, uint64_t h, hindex_match_fn match,
                    const void *ctx, const void *key);

/* Make room for one more element; call before hindex_find() for an insert,
 * since growing moves the slots. 0 on allocation failure (ix unchanged). */
int hindex_reserve(struct hindex *ix, hindex_rehash_fn rehash, const void *ctx);

/* Store array index i in a slot hindex_find() returned. */
void hindex_set(struct hindex *ix, size_t *slot, size_t i);

void hindex_free(struct hindex *ix);

#endif
