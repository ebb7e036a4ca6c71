/*
 * Checkpoints as specified by C2SP tlog-checkpoint: a signed note whose
 * text is
 *
 *   <origin>\n<tree size in decimal>\n<base64 root hash>\n
 *
 * optionally followed by non-empty extension lines. casetrail's origin is
 * "<host>/casetrail/<store-id>/<hash alg>", and its keys sign under the
 * name the ledger passes in (the origin, for the store's own keys).
 */
#ifndef CASETRAIL_CHECKPOINT_H
#define CASETRAIL_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "crypto/crypto.h"

#define CHECKPOINT_ORIGIN_MAX 256
/* Tree sizes are at most 2^63 - 1, so that they fit an int64_t. */
#define CHECKPOINT_SIZE_MAX ((uint64_t)INT64_MAX)

struct checkpoint {
	char origin[CHECKPOINT_ORIGIN_MAX]; /* NUL-terminated, non-empty */
	uint64_t size;                      /* number of leaves */
	uint8_t root[HASH_LEN];             /* Merkle tree root hash */
};

/*
 * Appends the note text of cp (three lines, no extension lines) to out.
 * Fails with CT_EINVAL when the origin is empty, is not UTF-8, contains a
 * control character or fills all of origin[], or when the size exceeds
 * CHECKPOINT_SIZE_MAX.
 */
int checkpoint_format_body(const struct checkpoint *cp, struct buf *out,
			   struct error *err);

/*
 * Appends the signed note of cp, signed by each of the n keys, to out.
 * Errors are those of checkpoint_format_body and note_sign.
 */
int checkpoint_sign(const struct checkpoint *cp, const struct note_key *keys,
		    size_t n, struct buf *out, struct error *err);

/*
 * Parses the note text of a checkpoint (text[0 .. len), ending in a
 * newline) into cp. The size must be decimal without leading zeros (a lone
 * "0" is allowed) and at most CHECKPOINT_SIZE_MAX, and the root hash must
 * be canonical base64 of exactly HASH_LEN bytes. Extension lines are
 * checked to be non-empty and otherwise ignored. Returns 0 or CT_EINVAL
 * with err naming the bad line.
 */
int checkpoint_parse_body(const char *text, size_t len, struct checkpoint *cp,
			  struct error *err);

/*
 * Parses a signed checkpoint note: note_parse for the note grammar, then
 * checkpoint_parse_body for its text. Verifies no signature. parsed may be
 * NULL when the caller does not need the signature lines. Returns 0 or
 * CT_EINVAL.
 */
int checkpoint_parse(const char *note, size_t len, struct checkpoint *cp,
		     struct note *parsed, struct error *err);

/*
 * Parses a signed checkpoint note and checks that each of the n keys (at
 * least one) has a valid signature on it. Signatures by other keys are
 * ignored, as the signed-note spec requires. Returns 0, CT_EINVAL for a
 * malformed note or CT_ECRYPTO when a key's signature is missing or
 * invalid. cp is filled only on success.
 */
int checkpoint_verify(const char *note, size_t len,
		      const struct note_key *keys, size_t n,
		      struct checkpoint *cp, struct error *err);

#endif
