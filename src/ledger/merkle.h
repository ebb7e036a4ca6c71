/*
 * The RFC 9162 (Certificate Transparency 2.0) Merkle tree, section 2.1:
 * leaf hash H(0x00 || entry), interior hash H(0x01 || left || right), the
 * empty tree's root H(""), and the inclusion and consistency proofs.
 *
 * The tree never lives in memory. Hashes of complete, aligned subtrees are
 * stored: the node at (level, index) covers leaves
 * [index * 2^level, (index + 1) * 2^level). Callers pass a function
 * that reads those. Any other subtree hash is computed from them, so a
 * root or a proof reads O(log n) stored hashes.
 */
#ifndef CASETRAIL_MERKLE_H
#define CASETRAIL_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "crypto/crypto.h"

/* Longest possible proof for a tree of up to 2^63 leaves. */
#define MERKLE_MAX_PROOF 128
#define MERKLE_MAX_LEVELS 64

/*
 * Reads the stored hash of the complete subtree at (level, index) into out.
 * Returns 0, CT_ENOTFOUND when it is not stored, or another error.
 */
typedef int (*merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
			      uint8_t out[HASH_LEN]);

void merkle_leaf_hash(enum hash_alg alg, const void *entry, size_t len,
		      uint8_t out[HASH_LEN]);
void merkle_node_hash(enum hash_alg alg, const uint8_t left[HASH_LEN],
		      const uint8_t right[HASH_LEN], uint8_t out[HASH_LEN]);
void merkle_empty_root(enum hash_alg alg, uint8_t out[HASH_LEN]);

/* Computes MTH(D[lo:hi]) for 0 <= lo < hi from stored subtree hashes. */
int merkle_subtree_hash(enum hash_alg alg, merkle_node_fn node, void *ctx,
			uint64_t lo, uint64_t hi, uint8_t out[HASH_LEN]);

/* Computes the root of the tree of the first size leaves (size may be 0). */
int merkle_root(enum hash_alg alg, merkle_node_fn node, void *ctx,
		uint64_t size, uint8_t out[HASH_LEN]);

/*
 * Writes the inclusion proof of leaf index in the tree of size leaves
 * (RFC 9162 section 2.1.3.1) into proof; *count is the number of hashes.
 * Fails with CT_EINVAL unless index < size.
 */
int merkle_inclusion_proof(enum hash_alg alg, merkle_node_fn node, void *ctx,
			   uint64_t index, uint64_t size,
			   uint8_t proof[][HASH_LEN], size_t *count);

/*
 * Writes the consistency proof between trees of old_size and new_size
 * leaves (RFC 9162 section 2.1.4.1). Fails with CT_EINVAL unless
 * 0 < old_size <= new_size; old_size == new_size gives an empty proof.
 */
int merkle_consistency_proof(enum hash_alg alg, merkle_node_fn node,
			     void *ctx, uint64_t old_size, uint64_t new_size,
			     uint8_t proof[][HASH_LEN], size_t *count);

/*
 * Verifies an inclusion proof (RFC 9162 section 2.1.3.2). Returns 0 when
 * the leaf hash at index is in the tree of size with the given root, else
 * CT_ECRYPTO.
 */
int merkle_inclusion_verify(enum hash_alg alg, uint64_t index, uint64_t size,
			    const uint8_t leaf[HASH_LEN],
			    const uint8_t proof[][HASH_LEN], size_t count,
			    const uint8_t root[HASH_LEN]);

/*
 * Verifies a consistency proof (RFC 9162 section 2.1.4.2). Returns 0 when
 * the tree of old_size with old_root is a prefix of the tree of new_size
 * with new_root, else CT_ECRYPTO.
 */
int merkle_consistency_verify(enum hash_alg alg, uint64_t old_size,
			      uint64_t new_size,
			      const uint8_t old_root[HASH_LEN],
			      const uint8_t new_root[HASH_LEN],
			      const uint8_t proof[][HASH_LEN], size_t count);

/*
 * The right edge of a growing tree: the roots of the complete subtrees
 * that make up the first size leaves, largest first, one per set bit of
 * size. Appending a leaf merges equal-sized subtrees and reports each new
 * complete node, which is what must be stored; that costs amortised one
 * hash per leaf.
 */
struct merkle_frontier {
	enum hash_alg alg;
	uint64_t size;
	unsigned count;
	uint8_t hashes[MERKLE_MAX_LEVELS][HASH_LEN];
};

/* Called for each complete node created by an append, leaf included. */
typedef int (*merkle_emit_fn)(void *ctx, unsigned level, uint64_t index,
			      const uint8_t hash[HASH_LEN]);

void merkle_frontier_init(struct merkle_frontier *f, enum hash_alg alg);

/*
 * Loads the frontier of a tree of size leaves from stored subtree hashes
 * (one read per set bit of size).
 */
int merkle_frontier_load(struct merkle_frontier *f, enum hash_alg alg,
			 merkle_node_fn node, void *ctx, uint64_t size);

/* Appends a leaf hash; emit (may be NULL) sees every new complete node. */
int merkle_frontier_push(struct merkle_frontier *f,
			 const uint8_t leaf[HASH_LEN], merkle_emit_fn emit,
			 void *ctx);

/* Computes the root of the frontier's tree. */
void merkle_frontier_root(const struct merkle_frontier *f,
			  uint8_t out[HASH_LEN]);

#endif
