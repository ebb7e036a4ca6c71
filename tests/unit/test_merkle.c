/*
 * Tests of the ledger's Merkle tree. Known answers come from the test
 * vectors of transparency-dev/merkle (proof/verify_test.go and
 * rfc6962/rfc6962_test.go), which follow RFC 6962, the same tree as
 * RFC 9162. Beyond those, every root and proof that merkle.c builds from
 * stored nodes is compared byte for byte with a naive reference written
 * here straight from the recursive definitions of RFC 9162 section 2.1
 * (MTH, PATH, SUBPROOF), on every tree size up to RANDOM_LEAVES.
 */
#include "common/common.h"

#include <setjmp.h>
#include <cmocka.h>

#include "crypto/crypto.h"
#include "ledger/merkle.h"

#define RANDOM_LEAVES UINT64_C(2000)
#define FRONTIER_LEAVES UINT64_C(700)
#define EXHAUSTIVE_MAX 64
#define SAMPLES_PER_SIZE 8
#define STORE_LEVELS 16

/* Reference hashing, written apart from merkle.c on top of hash_buf. */

static void ref_leaf_hash(enum hash_alg alg, const void *entry, size_t len,
			  uint8_t out[HASH_LEN])
{
	uint8_t in[1 + 64];

	assert_true(len <= 64);
	in[0] = 0x00;
	if (len)
		memcpy(in + 1, entry, len);
	hash_buf(alg, in, 1 + len, out);
}

static void ref_node_hash(enum hash_alg alg, const uint8_t *left,
			  const uint8_t *right, uint8_t out[HASH_LEN])
{
	uint8_t in[1 + 2 * HASH_LEN];

	in[0] = 0x01;
	memcpy(in + 1, left, HASH_LEN);
	memcpy(in + 1 + HASH_LEN, right, HASH_LEN);
	hash_buf(alg, in, sizeof(in), out);
}

/* The largest power of two strictly below n, found by doubling. */
static uint64_t ref_split(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

/*
 * Memoised MTH of complete, aligned subtrees of one leaf array, so that
 * the random tests can afford many proofs per size. Each entry is filled
 * by ref_mth's own recursion the first time it is needed.
 */
static struct {
	uint8_t (*base)[HASH_LEN];
	uint64_t size;
	uint8_t (*hash[STORE_LEVELS])[HASH_LEN];
	bool *known[STORE_LEVELS];
} memo;

static void ref_mth(enum hash_alg alg, uint8_t (*leaves)[HASH_LEN], uint64_t n,
		    uint8_t out[HASH_LEN]);

static void ref_mth_uncached(enum hash_alg alg, uint8_t (*leaves)[HASH_LEN],
			     uint64_t n, uint8_t out[HASH_LEN])
{
	uint8_t left[HASH_LEN], right[HASH_LEN];
	uint64_t k;

	if (n == 0) {
		hash_buf(alg, "", 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[0], HASH_LEN);
		return;
	}
	k = ref_split(n);
	ref_mth(alg, leaves, k, left);
	ref_mth(alg, leaves + k, n - k, right);
	ref_node_hash(alg, left, right, out);
}

/*
 * MTH(D[n]) of RFC 9162 2.1.1 over leaf hashes, by recursion, taking
 * complete aligned subtrees from the memo while one is active.
 */
static void ref_mth(enum hash_alg alg, uint8_t (*leaves)[HASH_LEN], uint64_t n,
		    uint8_t out[HASH_LEN])
{
	uint64_t lo = (uint64_t)(leaves - memo.base);
	unsigned level = 0;

	if (!memo.base || n < 2 || (n & (n - 1)) || lo % n ||
	    lo + n > memo.size) {
		ref_mth_uncached(alg, leaves, n, out);
		return;
	}
	while (((uint64_t)1 << level) < n)
		level++;
	if (level >= STORE_LEVELS) {
		ref_mth_uncached(alg, leaves, n, out);
		return;
	}
	if (!memo.known[level][lo >> level]) {
		ref_mth_uncached(alg, leaves, n, memo.hash[level][lo >> level]);
		memo.known[level][lo >> level] = true;
	}
	memcpy(out, memo.hash[level][lo >> level], HASH_LEN);
}

static void memo_start(uint8_t (*leaves)[HASH_LEN], uint64_t size)
{
	unsigned l;

	memo.base = leaves;
	memo.size = size;
	for (l = 0; l < STORE_LEVELS; l++) {
		memo.hash[l] = calloc((size >> l) + 1, HASH_LEN);
		memo.known[l] = calloc((size >> l) + 1, sizeof(bool));
		assert_non_null(memo.hash[l]);
		assert_non_null(memo.known[l]);
	}
}

static void memo_stop(void)
{
	unsigned l;

	for (l = 0; l < STORE_LEVELS; l++) {
		free(memo.hash[l]);
		free(memo.known[l]);
	}
	memset(&memo, 0, sizeof(memo));
}

/* PATH(m, D[n]) of RFC 9162 2.1.3.1, appending to proof[*count]. */
static void ref_path(enum hash_alg alg, uint8_t (*leaves)[HASH_LEN], uint64_t m,
		     uint64_t n, uint8_t (*proof)[HASH_LEN], size_t *count)
{
	uint64_t k;

	if (n == 1)
		return;
	k = ref_split(n);
	if (m < k) {
		ref_path(alg, leaves, m, k, proof, count);
		ref_mth(alg, leaves + k, n - k, proof[(*count)++]);
	} else {
		ref_path(alg, leaves + k, m - k, n - k, proof, count);
		ref_mth(alg, leaves, k, proof[(*count)++]);
	}
}

/* SUBPROOF(m, D[n], b) of RFC 9162 2.1.4.1, appending to proof. */
static void ref_subproof(enum hash_alg alg, uint8_t (*leaves)[HASH_LEN],
			 uint64_t m, uint64_t n, bool b,
			 uint8_t (*proof)[HASH_LEN], size_t *count)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			ref_mth(alg, leaves, n, proof[(*count)++]);
		return;
	}
	k = ref_split(n);
	if (m <= k) {
		ref_subproof(alg, leaves, m, k, b, proof, count);
		ref_mth(alg, leaves + k, n - k, proof[(*count)++]);
	} else {
		ref_subproof(alg, leaves + k, m - k, n - k, false, proof,
			     count);
		ref_mth(alg, leaves, k, proof[(*count)++]);
	}
}

/*
 * Recomputes the root from an inclusion proof by walking PATH's recursion
 * instead of the bit loop of RFC 9162 2.1.3.2: the last hash is the
 * sibling at the top. Returns false when the proof has the wrong length.
 */
static bool ref_inclusion_root(enum hash_alg alg, uint64_t m, uint64_t n,
			       const uint8_t *leaf,
			       const uint8_t (*proof)[HASH_LEN], size_t count,
			       uint8_t out[HASH_LEN])
{
	uint8_t below[HASH_LEN];
	uint64_t k;

	if (n == 1) {
		memcpy(out, leaf, HASH_LEN);
		return count == 0;
	}
	if (count == 0)
		return false;
	k = ref_split(n);
	if (m < k) {
		if (!ref_inclusion_root(alg, m, k, leaf, proof, count - 1,
					below))
			return false;
		ref_node_hash(alg, below, proof[count - 1], out);
	} else {
		if (!ref_inclusion_root(alg, m - k, n - k, leaf, proof,
					count - 1, below))
			return false;
		ref_node_hash(alg, proof[count - 1], below, out);
	}
	return true;
}

/*
 * Recomputes both roots from a consistency proof by walking SUBPROOF's
 * recursion: old_out is MTH of the old leaves inside the range and
 * new_out MTH of the whole range. While b is still true, old_root is
 * used for the end range, because the RFC leaves it out of the proof.
 */
static bool ref_consistency_roots(enum hash_alg alg, uint64_t m, uint64_t n,
				  bool b, const uint8_t *old_root,
				  const uint8_t (*proof)[HASH_LEN],
				  size_t count, uint8_t old_out[HASH_LEN],
				  uint8_t new_out[HASH_LEN])
{
	uint8_t old_below[HASH_LEN], new_below[HASH_LEN];
	const uint8_t *side;
	uint64_t k;

	if (m == n) {
		if (b && count != 0)
			return false;
		if (!b && count != 1)
			return false;
		memcpy(old_out, b ? old_root : proof[0], HASH_LEN);
		memcpy(new_out, old_out, HASH_LEN);
		return true;
	}
	if (count == 0)
		return false;
	side = proof[count - 1];
	k = ref_split(n);
	if (m <= k) {
		if (!ref_consistency_roots(alg, m, k, b, old_root, proof,
					   count - 1, old_out, new_below))
			return false;
		ref_node_hash(alg, new_below, side, new_out);
		return true;
	}
	if (!ref_consistency_roots(alg, m - k, n - k, false, old_root, proof,
				   count - 1, old_below, new_below))
		return false;
	ref_node_hash(alg, side, old_below, old_out);
	ref_node_hash(alg, side, new_below, new_out);
	return true;
}

/* The number of hashes in PATH(m, D[n]), without hashing. */
static size_t ref_path_length(uint64_t m, uint64_t n)
{
	uint64_t k;

	if (n == 1)
		return 0;
	k = ref_split(n);
	if (m < k)
		return ref_path_length(m, k) + 1;
	return ref_path_length(m - k, n - k) + 1;
}

/* The number of hashes in SUBPROOF(m, D[n], b), without hashing. */
static size_t ref_subproof_length(uint64_t m, uint64_t n, bool b)
{
	uint64_t k;

	if (m == n)
		return b ? 0 : 1;
	k = ref_split(n);
	if (m <= k)
		return ref_subproof_length(m, k, b) + 1;
	return ref_subproof_length(m - k, n - k, false) + 1;
}

static bool ref_inclusion_ok(enum hash_alg alg, uint64_t m, uint64_t n,
			     const uint8_t *leaf,
			     const uint8_t (*proof)[HASH_LEN], size_t count,
			     const uint8_t *root)
{
	uint8_t got[HASH_LEN];

	if (m >= n || !ref_inclusion_root(alg, m, n, leaf, proof, count, got))
		return false;
	return memcmp(got, root, HASH_LEN) == 0;
}

static bool ref_consistency_ok(enum hash_alg alg, uint64_t m, uint64_t n,
			       const uint8_t *old_root, const uint8_t *new_root,
			       const uint8_t (*proof)[HASH_LEN], size_t count)
{
	uint8_t old_got[HASH_LEN], new_got[HASH_LEN];

	if (m == 0 || m > n)
		return false;
	if (!ref_consistency_roots(alg, m, n, true, old_root, proof, count,
				   old_got, new_got))
		return false;
	return memcmp(old_got, old_root, HASH_LEN) == 0 &&
	       memcmp(new_got, new_root, HASH_LEN) == 0;
}

/*
 * A node store holding every complete, aligned subtree of a tree, one
 * array per level. limit is the size of the tree a query is about: a
 * node reaching past it is not part of that tree and reads as not found,
 * so merkle.c cannot borrow nodes from a later, larger tree unnoticed.
 */
struct test_store {
	enum hash_alg alg;
	uint64_t size;
	uint64_t limit;
	unsigned long reads;
	uint8_t (*level[STORE_LEVELS])[HASH_LEN];
};

static void store_build(struct test_store *s, enum hash_alg alg,
			uint8_t (*leaves)[HASH_LEN], uint64_t size)
{
	unsigned l;
	uint64_t i, n;

	memset(s, 0, sizeof(*s));
	s->alg = alg;
	s->size = size;
	s->limit = size;
	s->level[0] = calloc(size, HASH_LEN);
	assert_non_null(s->level[0]);
	memcpy(s->level[0], leaves, size * HASH_LEN);
	for (l = 1; l < STORE_LEVELS && (size >> l) > 0; l++) {
		n = size >> l;
		s->level[l] = calloc(n, HASH_LEN);
		assert_non_null(s->level[l]);
		for (i = 0; i < n; i++)
			ref_node_hash(alg, s->level[l - 1][2 * i],
				      s->level[l - 1][2 * i + 1],
				      s->level[l][i]);
	}
}

static void store_release(struct test_store *s)
{
	unsigned l;

	for (l = 0; l < STORE_LEVELS; l++)
		free(s->level[l]);
	memset(s, 0, sizeof(*s));
}

static int store_read(void *ctx, unsigned level, uint64_t index,
		      uint8_t out[HASH_LEN])
{
	struct test_store *s = ctx;

	s->reads++;
	if (level >= STORE_LEVELS || !s->level[level])
		return CT_ENOTFOUND;
	if (index >= (s->limit >> level))
		return CT_ENOTFOUND;
	memcpy(out, s->level[level][index], HASH_LEN);
	return 0;
}

/* A store read that always fails, to see errors come back unchanged. */
static int store_read_io_error(void *ctx, unsigned level, uint64_t index,
			       uint8_t out[HASH_LEN])
{
	(void)ctx;
	(void)level;
	(void)index;
	memset(out, 0, HASH_LEN);
	return CT_EIO;
}

static unsigned bit_length(uint64_t n)
{
	unsigned b = 0;

	while (n) {
		b++;
		n >>= 1;
	}
	return b;
}

static unsigned popcount64(uint64_t n)
{
	unsigned c = 0;

	for (; n; n &= n - 1)
		c++;
	return c;
}

/* Allowed node reads for one proof or root of a tree of n leaves. */
static unsigned long read_budget(uint64_t n)
{
	return 2ul * bit_length(n) + 2;
}

/* Known answers, SHA-256. */

static void hex_decode(const char *hex, uint8_t *out, size_t len)
{
	size_t i;
	unsigned v;

	assert_int_equal(strlen(hex), 2 * len);
	for (i = 0; i < len; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* The leaf entries of proof/verify_test.go. */
static const struct {
	const char *data;
	size_t len;
} kat_entries[8] = {
    {"", 0},
    {"\x00", 1},
    {"\x10", 1},
    {"\x20\x21", 2},
    {"\x30\x31", 2},
    {"\x40\x41\x42\x43", 4},
    {"\x50\x51\x52\x53\x54\x55\x56\x57", 8},
    {"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f", 16},
};

/* Roots of the trees of the first 1 .. 8 entries, proof/verify_test.go. */
static const char *const kat_roots[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/*
 * Inclusion proofs from proof/verify_test.go. The Go vectors number
 * leaves from 1, and index here is the 0-based leaf index.
 */
/* clang-format off */
static const struct {
	uint64_t index, size;
	size_t count;
	const char *proof[3];
} kat_inclusion[] = {
	{ 0, 1, 0, { NULL } },
	{ 0, 8, 3, {
	  "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	} },
	{ 5, 8, 3, {
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	} },
	{ 2, 3, 1, {
	  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	} },
	{ 1, 5, 3, {
	  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	} },
};
/* clang-format on */

/* Consistency proofs from proof/verify_test.go. */
/* clang-format off */
static const struct {
	uint64_t old_size, new_size;
	size_t count;
	const char *proof[3];
} kat_consistency[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, {
	  "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	} },
	{ 6, 8, 3, {
	  "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	} },
	{ 2, 5, 2, {
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	} },
	{ 6, 7, 3, {
	  "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	  "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	} },
};
/* clang-format on */

static void kat_store(struct test_store *s)
{
	uint8_t leaves[8][HASH_LEN];
	size_t i;

	for (i = 0; i < 8; i++)
		merkle_leaf_hash(HASH_SHA256, kat_entries[i].data,
				 kat_entries[i].len, leaves[i]);
	store_build(s, HASH_SHA256, leaves, 8);
}

static void test_hashes_known_answers(void **state)
{
	uint8_t got[HASH_LEN], want[HASH_LEN];

	(void)state;

	merkle_empty_root(HASH_SHA256, got);
	hex_decode("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
		   "7852b855",
		   want, HASH_LEN);
	assert_memory_equal(got, want, HASH_LEN);

	/* SM3 of the empty string, GB/T 32905 (openssl dgst -sm3). */
	merkle_empty_root(HASH_SM3, got);
	hex_decode("1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb"
		   "5082aa2b",
		   want, HASH_LEN);
	assert_memory_equal(got, want, HASH_LEN);

	/* rfc6962/rfc6962_test.go: the empty leaf and the leaf "L123456". */
	merkle_leaf_hash(HASH_SHA256, "", 0, got);
	hex_decode(kat_roots[0], want, HASH_LEN);
	assert_memory_equal(got, want, HASH_LEN);

	merkle_leaf_hash(HASH_SHA256, "L123456", 7, got);
	hex_decode("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639"
		   "252b4d56",
		   want, HASH_LEN);
	assert_memory_equal(got, want, HASH_LEN);
}

static void test_root_known_answers(void **state)
{
	struct test_store s;
	uint8_t got[HASH_LEN], want[HASH_LEN];
	uint64_t size;

	(void)state;
	kat_store(&s);
	for (size = 1; size <= 8; size++) {
		s.limit = size;
		assert_int_equal(
		    merkle_root(HASH_SHA256, store_read, &s, size, got), 0);
		hex_decode(kat_roots[size - 1], want, HASH_LEN);
		assert_memory_equal(got, want, HASH_LEN);
	}

	s.limit = 0;
	assert_int_equal(merkle_root(HASH_SHA256, store_read, &s, 0, got), 0);
	merkle_empty_root(HASH_SHA256, want);
	assert_memory_equal(got, want, HASH_LEN);
	store_release(&s);
}

static void test_inclusion_known_answers(void **state)
{
	struct test_store s;
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN], want[HASH_LEN];
	uint8_t root[HASH_LEN];
	size_t i, j, count;

	(void)state;
	kat_store(&s);
	for (i = 0; i < ARRAY_SIZE(kat_inclusion); i++) {
		s.limit = kat_inclusion[i].size;
		assert_int_equal(merkle_inclusion_proof(
				     HASH_SHA256, store_read, &s,
				     kat_inclusion[i].index,
				     kat_inclusion[i].size, proof, &count),
				 0);
		assert_int_equal(count, kat_inclusion[i].count);
		for (j = 0; j < count; j++) {
			hex_decode(kat_inclusion[i].proof[j], want, HASH_LEN);
			assert_memory_equal(proof[j], want, HASH_LEN);
		}

		hex_decode(kat_roots[kat_inclusion[i].size - 1], root,
			   HASH_LEN);
		assert_int_equal(
		    merkle_inclusion_verify(HASH_SHA256, kat_inclusion[i].index,
					    kat_inclusion[i].size,
					    s.level[0][kat_inclusion[i].index],
					    (const uint8_t(*)[HASH_LEN])proof,
					    count, root),
		    0);
	}
	store_release(&s);
}

static void test_consistency_known_answers(void **state)
{
	struct test_store s;
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN], want[HASH_LEN];
	uint8_t old_root[HASH_LEN], new_root[HASH_LEN];
	size_t i, j, count;

	(void)state;
	kat_store(&s);
	for (i = 0; i < ARRAY_SIZE(kat_consistency); i++) {
		s.limit = kat_consistency[i].new_size;
		assert_int_equal(
		    merkle_consistency_proof(HASH_SHA256, store_read, &s,
					     kat_consistency[i].old_size,
					     kat_consistency[i].new_size, proof,
					     &count),
		    0);
		assert_int_equal(count, kat_consistency[i].count);
		for (j = 0; j < count; j++) {
			hex_decode(kat_consistency[i].proof[j], want, HASH_LEN);
			assert_memory_equal(proof[j], want, HASH_LEN);
		}

		hex_decode(kat_roots[kat_consistency[i].old_size - 1], old_root,
			   HASH_LEN);
		hex_decode(kat_roots[kat_consistency[i].new_size - 1], new_root,
			   HASH_LEN);
		assert_int_equal(merkle_consistency_verify(
				     HASH_SHA256, kat_consistency[i].old_size,
				     kat_consistency[i].new_size, old_root,
				     new_root,
				     (const uint8_t(*)[HASH_LEN])proof, count),
				 0);
	}
	store_release(&s);
}

static void test_invalid_arguments(void **state)
{
	struct test_store s;
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN], h[HASH_LEN];
	size_t count = 99;

	(void)state;
	kat_store(&s);

	assert_int_equal(merkle_inclusion_proof(HASH_SHA256, store_read, &s, 8,
						8, proof, &count),
			 CT_EINVAL);
	assert_int_equal(count, 0);
	assert_int_equal(merkle_inclusion_proof(HASH_SHA256, store_read, &s, 0,
						0, proof, &count),
			 CT_EINVAL);
	assert_int_equal(merkle_consistency_proof(HASH_SHA256, store_read, &s,
						  0, 8, proof, &count),
			 CT_EINVAL);
	assert_int_equal(merkle_consistency_proof(HASH_SHA256, store_read, &s,
						  5, 4, proof, &count),
			 CT_EINVAL);
	assert_int_equal(
	    merkle_subtree_hash(HASH_SHA256, store_read, &s, 3, 3, h),
	    CT_EINVAL);
	assert_int_equal(
	    merkle_subtree_hash(HASH_SHA256, store_read, &s, 4, 2, h),
	    CT_EINVAL);

	/* A missing node and a failing store both come back unchanged. */
	s.limit = 4;
	assert_int_equal(merkle_root(HASH_SHA256, store_read, &s, 5, h),
			 CT_ENOTFOUND);
	assert_int_equal(merkle_inclusion_proof(HASH_SHA256,
						store_read_io_error, NULL, 1, 5,
						proof, &count),
			 CT_EIO);
	assert_int_equal(merkle_consistency_proof(HASH_SHA256,
						  store_read_io_error, NULL, 3,
						  5, proof, &count),
			 CT_EIO);
	store_release(&s);
}

/* Random trees checked against the reference. */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

/* xorshift64*, seeded with a constant so that failures repeat. */
static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1du;
}

static uint64_t rng_below(uint64_t n)
{
	return rng_next() % n;
}

static uint8_t (*random_leaves(enum hash_alg alg, uint64_t n))[HASH_LEN]
{
	uint8_t(*leaves)[HASH_LEN] = calloc(n, HASH_LEN);
	uint8_t entry[64], check[HASH_LEN];
	size_t len, j;
	uint64_t i;

	assert_non_null(leaves);
	for (i = 0; i < n; i++) {
		len = (size_t)rng_below(sizeof(entry) + 1);
		for (j = 0; j < len; j++)
			entry[j] = (uint8_t)rng_next();
		ref_leaf_hash(alg, entry, len, leaves[i]);
		merkle_leaf_hash(alg, entry, len, check);
		assert_memory_equal(check, leaves[i], HASH_LEN);
	}
	return leaves;
}

typedef uint8_t hash_t[HASH_LEN];

/*
 * Chooses the proof elements to corrupt: all of them in small trees, and
 * in large ones the first, the last and one in four of the rest, which
 * keeps the random tests within seconds under the sanitizers.
 */
static bool tamper_element(size_t i, size_t count, uint64_t n)
{
	if (n <= EXHAUSTIVE_MAX || i == 0 || i + 1 == count)
		return true;
	return rng_below(4) == 0;
}

/*
 * Checks that tampered inclusion proofs fail. An inclusion proof binds the
 * tree size only through its length and the fold directions. So a wrong
 * size must fail only when the reference path for that size has a
 * different length, and it is the signed checkpoint that binds a size to
 * its root.
 */
static void check_inclusion_tampered(enum hash_alg alg, hash_t *leaves,
				     uint64_t m, uint64_t n, hash_t *proof,
				     size_t count, const uint8_t *root)
{
	hash_t bad[MERKLE_MAX_PROOF + 1];
	const uint64_t sizes[] = {n - 1, n + 1, n * 2, n / 2};
	size_t i;

	for (i = 0; i < count; i++) {
		if (!tamper_element(i, count, n))
			continue;
		memcpy(bad, proof, count * HASH_LEN);
		bad[i][rng_below(HASH_LEN)] ^= (uint8_t)(1u << rng_below(8));
		assert_int_equal(merkle_inclusion_verify(alg, m, n, leaves[m],
							 (const hash_t *)bad,
							 count, root),
				 CT_ECRYPTO);
		assert_false(ref_inclusion_ok(
		    alg, m, n, leaves[m], (const hash_t *)bad, count, root));
	}

	memcpy(bad, proof, count * HASH_LEN);
	if (count > 0) {
		assert_int_equal(merkle_inclusion_verify(alg, m, n, leaves[m],
							 (const hash_t *)bad,
							 count - 1, root),
				 CT_ECRYPTO);
		assert_int_equal(merkle_inclusion_verify(
				     alg, m, n, leaves[m],
				     (const hash_t *)bad + 1, count - 1, root),
				 CT_ECRYPTO);
	}
	memcpy(bad[count], root, HASH_LEN);
	assert_int_equal(merkle_inclusion_verify(alg, m, n, leaves[m],
						 (const hash_t *)bad, count + 1,
						 root),
			 CT_ECRYPTO);

	/* Another index of the same tree changes a fold direction. */
	if (n > 1)
		assert_int_equal(
		    merkle_inclusion_verify(alg, (m + 1) % n, n, leaves[m],
					    (const hash_t *)proof, count, root),
		    CT_ECRYPTO);
	assert_int_equal(merkle_inclusion_verify(alg, n, n, leaves[m],
						 (const hash_t *)proof, count,
						 root),
			 CT_ECRYPTO);

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (sizes[i] <= m || sizes[i] == n)
			continue;
		if (ref_path_length(m, sizes[i]) == count)
			continue;
		assert_int_equal(
		    merkle_inclusion_verify(alg, m, sizes[i], leaves[m],
					    (const hash_t *)proof, count, root),
		    CT_ECRYPTO);
	}
}

static void check_inclusion(enum hash_alg alg, struct test_store *s,
			    hash_t *leaves, uint64_t m, uint64_t n,
			    const uint8_t *root)
{
	hash_t proof[MERKLE_MAX_PROOF], ref[MERKLE_MAX_PROOF];
	size_t count, ref_count = 0;

	s->limit = n;
	s->reads = 0;
	assert_int_equal(
	    merkle_inclusion_proof(alg, store_read, s, m, n, proof, &count), 0);
	assert_true(s->reads <= read_budget(n));

	ref_path(alg, leaves, m, n, ref, &ref_count);
	assert_int_equal(count, ref_count);
	assert_memory_equal(proof, ref, count * HASH_LEN);

	assert_int_equal(merkle_inclusion_verify(alg, m, n, leaves[m],
						 (const hash_t *)proof, count,
						 root),
			 0);
	assert_true(ref_inclusion_ok(alg, m, n, leaves[m],
				     (const hash_t *)proof, count, root));
	check_inclusion_tampered(alg, leaves, m, n, proof, count, root);
}

/* Checks that tampered consistency proofs fail, as for inclusion. */
static void check_consistency_tampered(enum hash_alg alg, uint64_t m,
				       uint64_t n, hash_t *proof, size_t count,
				       const uint8_t *old_root,
				       const uint8_t *new_root)
{
	hash_t bad[MERKLE_MAX_PROOF + 1];
	const uint64_t olds[] = {m - 1, m + 1};
	size_t i;

	for (i = 0; i < count; i++) {
		if (!tamper_element(i, count, n))
			continue;
		memcpy(bad, proof, count * HASH_LEN);
		bad[i][rng_below(HASH_LEN)] ^= (uint8_t)(1u << rng_below(8));
		assert_int_equal(
		    merkle_consistency_verify(alg, m, n, old_root, new_root,
					      (const hash_t *)bad, count),
		    CT_ECRYPTO);
		assert_false(ref_consistency_ok(alg, m, n, old_root, new_root,
						(const hash_t *)bad, count));
	}

	memcpy(bad, proof, count * HASH_LEN);
	if (count > 0) {
		assert_int_equal(
		    merkle_consistency_verify(alg, m, n, old_root, new_root,
					      (const hash_t *)bad, count - 1),
		    CT_ECRYPTO);
		assert_int_equal(merkle_consistency_verify(
				     alg, m, n, old_root, new_root,
				     (const hash_t *)bad + 1, count - 1),
				 CT_ECRYPTO);
		assert_int_equal(
		    merkle_consistency_verify(alg, m, n, new_root, old_root,
					      (const hash_t *)bad, count),
		    CT_ECRYPTO);
	}
	memcpy(bad[count], new_root, HASH_LEN);
	assert_int_equal(
	    merkle_consistency_verify(alg, m, n, old_root, new_root,
				      (const hash_t *)bad, count + 1),
	    CT_ECRYPTO);

	for (i = 0; i < ARRAY_SIZE(olds); i++) {
		if (olds[i] == 0 || olds[i] > n)
			continue;
		if (ref_subproof_length(olds[i], n, true) == count)
			continue;
		assert_int_equal(merkle_consistency_verify(
				     alg, olds[i], n, old_root, new_root,
				     (const hash_t *)proof, count),
				 CT_ECRYPTO);
	}
}

static void check_consistency(enum hash_alg alg, struct test_store *s,
			      hash_t *leaves, uint64_t m, uint64_t n,
			      const uint8_t *old_root, const uint8_t *new_root)
{
	hash_t proof[MERKLE_MAX_PROOF], ref[MERKLE_MAX_PROOF];
	size_t count, ref_count = 0;

	s->limit = n;
	s->reads = 0;
	assert_int_equal(
	    merkle_consistency_proof(alg, store_read, s, m, n, proof, &count),
	    0);
	assert_true(s->reads <= read_budget(n));

	ref_subproof(alg, leaves, m, n, true, ref, &ref_count);
	assert_int_equal(count, ref_count);
	assert_memory_equal(proof, ref, count * HASH_LEN);

	assert_int_equal(
	    merkle_consistency_verify(alg, m, n, old_root, new_root,
				      (const hash_t *)proof, count),
	    0);
	assert_true(ref_consistency_ok(alg, m, n, old_root, new_root,
				       (const hash_t *)proof, count));
	check_consistency_tampered(alg, m, n, proof, count, old_root, new_root);
}

/*
 * Checks one tree size against the reference: the root, with exactly one
 * node read per set bit of the size, and SAMPLES_PER_SIZE inclusion and
 * consistency proofs. Sizes up to EXHAUSTIVE_MAX check every index and
 * every old size.
 */
static void check_size(enum hash_alg alg, struct test_store *s, hash_t *leaves,
		       hash_t *roots, uint64_t n)
{
	uint8_t got[HASH_LEN];
	uint64_t picks[SAMPLES_PER_SIZE], m;
	size_t i;

	s->limit = n;
	s->reads = 0;
	assert_int_equal(merkle_root(alg, store_read, s, n, got), 0);
	assert_memory_equal(got, roots[n], HASH_LEN);
	assert_int_equal(s->reads, popcount64(n));

	if (n <= EXHAUSTIVE_MAX) {
		for (m = 0; m < n; m++) {
			check_inclusion(alg, s, leaves, m, n, roots[n]);
			check_consistency(alg, s, leaves, m + 1, n,
					  roots[m + 1], roots[n]);
		}
		return;
	}

	/* Both edges, where proofs are shortest and longest, then random. */
	picks[0] = 0;
	picks[1] = n - 1;
	for (i = 2; i < ARRAY_SIZE(picks); i++)
		picks[i] = rng_below(n);
	for (i = 0; i < ARRAY_SIZE(picks); i++)
		check_inclusion(alg, s, leaves, picks[i], n, roots[n]);

	picks[0] = 1;
	picks[1] = n - 1;
	picks[2] = n;
	for (i = 3; i < ARRAY_SIZE(picks); i++)
		picks[i] = 1 + rng_below(n);
	for (i = 0; i < ARRAY_SIZE(picks); i++)
		check_consistency(alg, s, leaves, picks[i], n, roots[picks[i]],
				  roots[n]);
}

static void check_random_trees(enum hash_alg alg, uint64_t max)
{
	struct test_store s;
	hash_t *leaves = random_leaves(alg, max);
	hash_t *roots = calloc(max + 1, HASH_LEN);
	uint64_t n;

	assert_non_null(roots);
	store_build(&s, alg, leaves, max);
	memo_start(leaves, max);
	hash_buf(alg, "", 0, roots[0]);
	for (n = 1; n <= max; n++)
		ref_mth(alg, leaves, n, roots[n]);

	for (n = 1; n <= max; n++)
		check_size(alg, &s, leaves, roots, n);

	memo_stop();
	store_release(&s);
	free(roots);
	free(leaves);
}

static void test_random_trees_sha256(void **state)
{
	(void)state;
	check_random_trees(HASH_SHA256, RANDOM_LEAVES);
}

static void test_random_trees_sm3(void **state)
{
	(void)state;
	check_random_trees(HASH_SM3, RANDOM_LEAVES / 4);
}

/*
 * Subtree hashes of ranges that are not aligned: still MTH of the range,
 * with the cost growing with the range.
 */
static void test_subtree_hash_any_range(void **state)
{
	struct test_store s;
	hash_t *leaves = random_leaves(HASH_SHA256, 40);
	uint8_t got[HASH_LEN], want[HASH_LEN];
	uint64_t lo, hi;

	(void)state;
	store_build(&s, HASH_SHA256, leaves, 40);
	for (lo = 0; lo < 40; lo++) {
		for (hi = lo + 1; hi <= 40; hi++) {
			assert_int_equal(merkle_subtree_hash(HASH_SHA256,
							     store_read, &s, lo,
							     hi, got),
					 0);
			ref_mth(HASH_SHA256, leaves + lo, hi - lo, want);
			assert_memory_equal(got, want, HASH_LEN);
		}
	}
	store_release(&s);
	free(leaves);
}

/* Frontier. */

/* Records every node a frontier emits, one slot per aligned subtree. */
struct emit_log {
	uint64_t capacity;
	unsigned long calls;
	unsigned long fail_at;
	unsigned *times[STORE_LEVELS];
	hash_t *hashes[STORE_LEVELS];
};

static void emit_log_init(struct emit_log *e, uint64_t capacity)
{
	unsigned l;

	memset(e, 0, sizeof(*e));
	e->capacity = capacity;
	for (l = 0; l < STORE_LEVELS; l++) {
		e->times[l] = calloc((capacity >> l) + 1, sizeof(unsigned));
		e->hashes[l] = calloc((capacity >> l) + 1, HASH_LEN);
		assert_non_null(e->times[l]);
		assert_non_null(e->hashes[l]);
	}
}

static void emit_log_release(struct emit_log *e)
{
	unsigned l;

	for (l = 0; l < STORE_LEVELS; l++) {
		free(e->times[l]);
		free(e->hashes[l]);
	}
}

static int emit_record(void *ctx, unsigned level, uint64_t index,
		       const uint8_t hash[HASH_LEN])
{
	struct emit_log *e = ctx;

	e->calls++;
	if (e->fail_at && e->calls == e->fail_at)
		return CT_EIO;
	assert_true(level < STORE_LEVELS);
	assert_true(index < (e->capacity >> level));
	e->times[level][index]++;
	memcpy(e->hashes[level][index], hash, HASH_LEN);
	return 0;
}

/* Serves the emitted nodes as a node store, for merkle_frontier_load. */
static int emit_log_read(void *ctx, unsigned level, uint64_t index,
			 uint8_t out[HASH_LEN])
{
	struct emit_log *e = ctx;

	e->calls++;
	if (level >= STORE_LEVELS || index >= (e->capacity >> level) ||
	    e->times[level][index] == 0)
		return CT_ENOTFOUND;
	memcpy(out, e->hashes[level][index], HASH_LEN);
	return 0;
}

static unsigned trailing_ones(uint64_t n)
{
	unsigned c = 0;

	while (n & 1) {
		c++;
		n >>= 1;
	}
	return c;
}

static void check_frontier(enum hash_alg alg)
{
	struct merkle_frontier f, loaded;
	struct test_store s;
	struct emit_log e;
	hash_t *leaves = random_leaves(alg, FRONTIER_LEAVES);
	uint8_t got[HASH_LEN], want[HASH_LEN];
	unsigned long before;
	uint64_t n, index;
	unsigned l;

	store_build(&s, alg, leaves, FRONTIER_LEAVES);
	emit_log_init(&e, FRONTIER_LEAVES);
	merkle_frontier_init(&f, alg);
	merkle_frontier_root(&f, got);
	hash_buf(alg, "", 0, want);
	assert_memory_equal(got, want, HASH_LEN);

	for (n = 1; n <= FRONTIER_LEAVES; n++) {
		/* Leaf n - 1 completes one node per trailing one bit. */
		before = e.calls;
		assert_int_equal(
		    merkle_frontier_push(&f, leaves[n - 1], emit_record, &e),
		    0);
		assert_int_equal(e.calls - before, 1 + trailing_ones(n - 1));
		assert_int_equal(f.size, n);
		assert_int_equal(f.count, popcount64(n));

		merkle_frontier_root(&f, got);
		ref_mth(alg, leaves, n, want);
		assert_memory_equal(got, want, HASH_LEN);

		before = e.calls;
		assert_int_equal(
		    merkle_frontier_load(&loaded, alg, emit_log_read, &e, n),
		    0);
		assert_int_equal(e.calls - before, popcount64(n));
		assert_int_equal(loaded.alg, alg);
		assert_int_equal(loaded.size, f.size);
		assert_int_equal(loaded.count, f.count);
		assert_memory_equal(loaded.hashes, f.hashes,
				    f.count * HASH_LEN);
	}

	/* Exactly the complete aligned nodes, each once, each correct. */
	for (l = 0; l < STORE_LEVELS; l++) {
		for (index = 0; index <= (FRONTIER_LEAVES >> l); index++) {
			if (index == (FRONTIER_LEAVES >> l)) {
				assert_int_equal(e.times[l][index], 0);
				continue;
			}
			assert_int_equal(e.times[l][index], 1);
			assert_memory_equal(e.hashes[l][index],
					    s.level[l][index], HASH_LEN);
		}
	}

	emit_log_release(&e);
	store_release(&s);
	free(leaves);
}

static void test_frontier_sha256(void **state)
{
	(void)state;
	check_frontier(HASH_SHA256);
}

static void test_frontier_sm3(void **state)
{
	(void)state;
	check_frontier(HASH_SM3);
}

/* A failed emit leaves the frontier as it was, so the push can repeat. */
static void test_frontier_emit_failure(void **state)
{
	struct merkle_frontier f, saved;
	struct emit_log e;
	hash_t *leaves = random_leaves(HASH_SHA256, 8);
	uint64_t i;

	(void)state;
	emit_log_init(&e, 8);
	merkle_frontier_init(&f, HASH_SHA256);
	for (i = 0; i < 7; i++)
		assert_int_equal(
		    merkle_frontier_push(&f, leaves[i], NULL, NULL), 0);

	/* Leaf 7 emits the leaf, then levels 1, 2 and 3: fail the third. */
	saved = f;
	e.fail_at = 3;
	assert_int_equal(merkle_frontier_push(&f, leaves[7], emit_record, &e),
			 CT_EIO);
	assert_memory_equal(&f, &saved, sizeof(f));

	e.fail_at = 0;
	assert_int_equal(merkle_frontier_push(&f, leaves[7], emit_record, &e),
			 0);
	assert_int_equal(f.size, 8);
	assert_int_equal(f.count, 1);
	assert_int_equal(e.times[3][0], 1);

	/* A missing node fails the load and leaves the frontier alone. */
	saved = f;
	assert_int_equal(
	    merkle_frontier_load(&f, HASH_SHA256, emit_log_read, &e, 9),
	    CT_ENOTFOUND);
	assert_memory_equal(&f, &saved, sizeof(f));

	emit_log_release(&e);
	free(leaves);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hashes_known_answers),
	    cmocka_unit_test(test_root_known_answers),
	    cmocka_unit_test(test_inclusion_known_answers),
	    cmocka_unit_test(test_consistency_known_answers),
	    cmocka_unit_test(test_invalid_arguments),
	    cmocka_unit_test(test_subtree_hash_any_range),
	    cmocka_unit_test(test_random_trees_sha256),
	    cmocka_unit_test(test_random_trees_sm3),
	    cmocka_unit_test(test_frontier_sha256),
	    cmocka_unit_test(test_frontier_sm3),
	    cmocka_unit_test(test_frontier_emit_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
