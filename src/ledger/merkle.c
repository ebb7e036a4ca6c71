/*
 * The ledger's Merkle tree (RFC 9162 section 2.1) over stored subtree
 * hashes. Every hash this file computes is MTH of some leaf range, and a
 * range that is a complete, aligned subtree is never recomputed: it is one
 * read through the caller's merkle_node_fn. Roots, inclusion proofs and
 * consistency proofs are therefore built from O(log n) stored hashes, and
 * the frontier keeps the right edge of the tree so that an append costs
 * amortised one interior hash.
 *
 * Proofs follow the recursive definitions of RFC 9162 (PATH and SUBPROOF)
 * walked top-down with a loop, and the verifiers follow the step lists of
 * sections 2.1.3.2 and 2.1.4.2.
 */
#include "common/common.h"

#include "ledger/merkle.h"

/* Domain separation prefixes of RFC 9162 section 2.1.1. */
#define LEAF_PREFIX 0x00
#define NODE_PREFIX 0x01

/* Entries up to this size are hashed from a stack copy, without malloc. */
#define LEAF_STACK_MAX 512

void merkle_leaf_hash(enum hash_alg alg, const void *entry, size_t len,
		      uint8_t out[HASH_LEN])
{
	uint8_t prefix = LEAF_PREFIX;
	uint8_t small[1 + LEAF_STACK_MAX];
	struct hasher *h;

	if (len <= LEAF_STACK_MAX) {
		small[0] = LEAF_PREFIX;
		if (len)
			memcpy(small + 1, entry, len);
		hash_buf(alg, small, 1 + len, out);
		return;
	}

	/*
	 * The void contract leaves no way to report a failed allocation, and
	 * a wrong leaf hash would be sealed into the ledger, so stop here.
	 */
	h = hasher_new(alg);
	if (!h) {
		fprintf(
		    stderr,
		    "casetrail: out of memory while hashing a Merkle leaf\n");
		abort();
	}
	hasher_update(h, &prefix, 1);
	hasher_update(h, entry, len);
	hasher_final(h, out);
	hasher_free(h);
}

void merkle_node_hash(enum hash_alg alg, const uint8_t left[HASH_LEN],
		      const uint8_t right[HASH_LEN], uint8_t out[HASH_LEN])
{
	uint8_t in[1 + 2 * HASH_LEN];

	in[0] = NODE_PREFIX;
	memcpy(in + 1, left, HASH_LEN);
	memcpy(in + 1 + HASH_LEN, right, HASH_LEN);
	hash_buf(alg, in, sizeof(in), out);
}

void merkle_empty_root(enum hash_alg alg, uint8_t out[HASH_LEN])
{
	hash_buf(alg, "", 0, out);
}

/* Returns the largest power of two strictly below n, for n >= 2. */
static uint64_t split_point(uint64_t n)
{
	uint64_t k = (uint64_t)1 << (63 - __builtin_clzll(n));

	return k == n ? k >> 1 : k;
}

static bool is_pow2(uint64_t n)
{
	return n && !(n & (n - 1));
}

static unsigned log2_floor(uint64_t n)
{
	return 63 - (unsigned)__builtin_clzll(n);
}

/*
 * Computes MTH(D[lo:hi]) by the definition of RFC 9162 section 2.1.1:
 * split at the largest power of two below the range size. A complete,
 * aligned range is one stored node.
 *
 * When lo is a multiple of the smallest power of two >= hi - lo, as it is
 * for every range that a root or a proof requests, each left part is
 * complete and aligned, so the walk reads at most one node per level.
 * NOTE: for other ranges the left parts are unaligned too and the reads
 * grow with hi - lo. The recursion depth stays below 64 in every case.
 */
static int range_hash(enum hash_alg alg, merkle_node_fn node, void *ctx,
		      uint64_t lo, uint64_t hi, uint8_t out[HASH_LEN])
{
	uint8_t left[HASH_LEN], right[HASH_LEN];
	uint64_t n = hi - lo, k;
	int rc;

	if (is_pow2(n) && lo % n == 0)
		return node(ctx, log2_floor(n), lo >> log2_floor(n), out);

	k = split_point(n);
	rc = range_hash(alg, node, ctx, lo, lo + k, left);
	if (rc)
		return rc;
	rc = range_hash(alg, node, ctx, lo + k, hi, right);
	if (rc)
		return rc;
	merkle_node_hash(alg, left, right, out);
	return 0;
}

int merkle_subtree_hash(enum hash_alg alg, merkle_node_fn node, void *ctx,
			uint64_t lo, uint64_t hi, uint8_t out[HASH_LEN])
{
	if (lo >= hi)
		return CT_EINVAL;
	return range_hash(alg, node, ctx, lo, hi, out);
}

int merkle_root(enum hash_alg alg, merkle_node_fn node, void *ctx,
		uint64_t size, uint8_t out[HASH_LEN])
{
	if (size == 0) {
		merkle_empty_root(alg, out);
		return 0;
	}
	return range_hash(alg, node, ctx, 0, size, out);
}

/* Reverses proof[0 .. count), which the top-down walks fill root first. */
static void reverse_proof(uint8_t proof[][HASH_LEN], size_t count)
{
	uint8_t tmp[HASH_LEN];
	size_t i;

	for (i = 0; i < count / 2; i++) {
		memcpy(tmp, proof[i], HASH_LEN);
		memcpy(proof[i], proof[count - 1 - i], HASH_LEN);
		memcpy(proof[count - 1 - i], tmp, HASH_LEN);
	}
}

/*
 * PATH(m, D[n]) of RFC 9162 section 2.1.3.1, unrolled. At each level of
 * the recursion on D[lo:hi] the proof gains the MTH of the half that does
 * not hold the leaf, and the RFC lists the deepest sibling first.
 *
 * Each range D[lo:hi] starts at a multiple of its split point k, so a
 * left sibling D[lo:lo+k] is always one stored node. A right sibling
 * D[lo+k:hi] is incomplete only while hi is still the tree size, which
 * happens at most once because the walk then enters a complete subtree.
 */
int merkle_inclusion_proof(enum hash_alg alg, merkle_node_fn node, void *ctx,
			   uint64_t index, uint64_t size,
			   uint8_t proof[][HASH_LEN], size_t *count)
{
	uint64_t lo = 0, hi = size, k;
	size_t n = 0;
	int rc;

	*count = 0;
	if (index >= size)
		return CT_EINVAL;

	while (hi - lo > 1) {
		k = split_point(hi - lo);
		if (index < lo + k) {
			rc = range_hash(alg, node, ctx, lo + k, hi, proof[n]);
			hi = lo + k;
		} else {
			rc = range_hash(alg, node, ctx, lo, lo + k, proof[n]);
			lo += k;
		}
		if (rc)
			return rc;
		n++;
	}

	reverse_proof(proof, n);
	*count = n;
	return 0;
}

/*
 * PROOF(m, D[n]) = SUBPROOF(m, D[n], true) of RFC 9162 section 2.1.4.1,
 * unrolled. The flag starts true and turns false once the walk enters a
 * right half. The walk ends where the old tree's size equals the range
 * size, and that range is itself part of the proof unless the flag is
 * still true, because the verifier then has it already as the old root.
 *
 * As with inclusion proofs, every hash but at most one is a stored node,
 * and the end range is complete because the walk must have gone left at
 * least once to stop before hi reaches the new size.
 */
int merkle_consistency_proof(enum hash_alg alg, merkle_node_fn node, void *ctx,
			     uint64_t old_size, uint64_t new_size,
			     uint8_t proof[][HASH_LEN], size_t *count)
{
	uint64_t lo = 0, hi = new_size, k;
	bool whole_old_tree = true;
	size_t n = 0;
	int rc;

	*count = 0;
	if (old_size == 0 || old_size > new_size)
		return CT_EINVAL;

	for (;;) {
		if (old_size == hi) {
			if (!whole_old_tree) {
				rc = range_hash(alg, node, ctx, lo, hi,
						proof[n]);
				if (rc)
					return rc;
				n++;
			}
			break;
		}

		k = split_point(hi - lo);
		if (old_size - lo <= k) {
			rc = range_hash(alg, node, ctx, lo + k, hi, proof[n]);
			hi = lo + k;
		} else {
			rc = range_hash(alg, node, ctx, lo, lo + k, proof[n]);
			lo += k;
			whole_old_tree = false;
		}
		if (rc)
			return rc;
		n++;
	}

	reverse_proof(proof, n);
	*count = n;
	return 0;
}

/*
 * Shifts fn and sn right together until fn is odd or zero, as steps
 * 2.1.3.2 (4.b.ii) and 2.1.4.2 (6.b.iii) of RFC 9162 ask.
 */
static void shift_to_odd(uint64_t *fn, uint64_t *sn)
{
	while (*fn && !(*fn & 1)) {
		*fn >>= 1;
		*sn >>= 1;
	}
}

int merkle_inclusion_verify(enum hash_alg alg, uint64_t index, uint64_t size,
			    const uint8_t leaf[HASH_LEN],
			    const uint8_t proof[][HASH_LEN], size_t count,
			    const uint8_t root[HASH_LEN])
{
	uint8_t r[HASH_LEN];
	uint64_t fn, sn;
	size_t i;

	if (index >= size)
		return CT_ECRYPTO;

	/* fn walks up from the leaf and sn from the last leaf of the tree. */
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, HASH_LEN);
	for (i = 0; i < count; i++) {
		if (sn == 0)
			return CT_ECRYPTO;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(alg, proof[i], r, r);
			shift_to_odd(&fn, &sn);
		} else {
			merkle_node_hash(alg, r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}

	/* A proof that stops below the root leaves sn above zero. */
	if (sn != 0 || memcmp(r, root, HASH_LEN) != 0)
		return CT_ECRYPTO;
	return 0;
}

/*
 * Verifies a consistency proof for 0 < old_size < new_size by the steps of
 * RFC 9162 section 2.1.4.2: the proof is folded twice at once, into fr
 * (the old root, from the hashes left of the old edge) and into sr (the
 * new root, from all of them).
 */
static int consistency_fold(enum hash_alg alg, uint64_t old_size,
			    uint64_t new_size, const uint8_t old_root[HASH_LEN],
			    const uint8_t new_root[HASH_LEN],
			    const uint8_t proof[][HASH_LEN], size_t count)
{
	uint8_t fr[HASH_LEN], sr[HASH_LEN];
	const uint8_t *first;
	uint64_t fn = old_size - 1, sn = new_size - 1;
	size_t i = 0;

	if (count == 0)
		return CT_ECRYPTO;

	/*
	 * A power-of-two old tree is a complete subtree of the new one, so
	 * the proof omits its hash and the old root is used in its place.
	 */
	if (is_pow2(old_size)) {
		first = old_root;
	} else {
		first = proof[0];
		i = 1;
	}

	/* Skip the levels where the old edge is a right child. */
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}

	memcpy(fr, first, HASH_LEN);
	memcpy(sr, first, HASH_LEN);
	for (; i < count; i++) {
		if (sn == 0)
			return CT_ECRYPTO;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(alg, proof[i], fr, fr);
			merkle_node_hash(alg, proof[i], sr, sr);
			shift_to_odd(&fn, &sn);
		} else {
			merkle_node_hash(alg, sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}

	if (sn != 0 || memcmp(fr, old_root, HASH_LEN) != 0 ||
	    memcmp(sr, new_root, HASH_LEN) != 0)
		return CT_ECRYPTO;
	return 0;
}

/*
 * RFC 9162 defines consistency proofs for 0 < old_size < new_size. Equal
 * sizes need no proof, only equal roots, and an old size of 0 is rejected
 * because merkle_consistency_proof never produces such a proof.
 */
int merkle_consistency_verify(enum hash_alg alg, uint64_t old_size,
			      uint64_t new_size,
			      const uint8_t old_root[HASH_LEN],
			      const uint8_t new_root[HASH_LEN],
			      const uint8_t proof[][HASH_LEN], size_t count)
{
	if (old_size == 0 || old_size > new_size)
		return CT_ECRYPTO;

	if (old_size == new_size) {
		if (count != 0 || memcmp(old_root, new_root, HASH_LEN) != 0)
			return CT_ECRYPTO;
		return 0;
	}

	return consistency_fold(alg, old_size, new_size, old_root, new_root,
				proof, count);
}

void merkle_frontier_init(struct merkle_frontier *f, enum hash_alg alg)
{
	memset(f, 0, sizeof(*f));
	f->alg = alg;
}

/*
 * The frontier of size leaves contains one complete subtree per set bit of
 * size, largest first: the subtree of 2^level leaves for bit level starts
 * right after the larger ones. f is left unchanged on failure.
 */
int merkle_frontier_load(struct merkle_frontier *f, enum hash_alg alg,
			 merkle_node_fn node, void *ctx, uint64_t size)
{
	struct merkle_frontier next;
	uint64_t start = 0;
	unsigned level;
	int rc;

	merkle_frontier_init(&next, alg);
	for (level = MERKLE_MAX_LEVELS; level-- > 0;) {
		if (!(size & ((uint64_t)1 << level)))
			continue;
		rc = node(ctx, level, start >> level, next.hashes[next.count]);
		if (rc)
			return rc;
		next.count++;
		start += (uint64_t)1 << level;
	}

	next.size = size;
	*f = next;
	return 0;
}

/*
 * Appending leaf number size works like incrementing a binary counter.
 * Each trailing set bit of size is a complete subtree of the same height
 * as the carry, so the two merge into a node one level up that ends at
 * the new leaf. emit sees the leaf first, then each merged node upwards.
 * When emit fails, f is left unchanged so that the caller can retry the
 * same leaf.
 */
int merkle_frontier_push(struct merkle_frontier *f,
			 const uint8_t leaf[HASH_LEN], merkle_emit_fn emit,
			 void *ctx)
{
	uint8_t carry[HASH_LEN];
	uint64_t index = f->size;
	unsigned level = 0, count = f->count;
	int rc;

	if (index == UINT64_MAX)
		return CT_ETOOBIG;

	memcpy(carry, leaf, HASH_LEN);
	if (emit) {
		rc = emit(ctx, 0, index, carry);
		if (rc)
			return rc;
	}

	/* f is written after the last emit, so a failure changes nothing. */
	while (index & ((uint64_t)1 << level)) {
		count--;
		level++;
		merkle_node_hash(f->alg, f->hashes[count], carry, carry);
		if (emit) {
			rc = emit(ctx, level, index >> level, carry);
			if (rc)
				return rc;
		}
	}

	memcpy(f->hashes[count], carry, HASH_LEN);
	f->count = count + 1;
	f->size = index + 1;
	return 0;
}

/*
 * Folds the frontier right to left: MTH of the first size leaves is the
 * largest complete subtree joined with MTH of the rest (RFC 9162 2.1.1).
 */
void merkle_frontier_root(const struct merkle_frontier *f,
			  uint8_t out[HASH_LEN])
{
	uint8_t r[HASH_LEN];
	unsigned i;

	if (f->count == 0) {
		merkle_empty_root(f->alg, out);
		return;
	}

	memcpy(r, f->hashes[f->count - 1], HASH_LEN);
	for (i = f->count - 1; i-- > 0;)
		merkle_node_hash(f->alg, f->hashes[i], r, r);
	memcpy(out, r, HASH_LEN);
}
