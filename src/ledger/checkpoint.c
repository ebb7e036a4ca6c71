/*
 * Checkpoint text (C2SP tlog-checkpoint): formatting, signing, the
 * grammar of its three lines and extension lines, and verification of the
 * signed note that carries it.
 *
 * The grammar admits exactly one text for each (origin, size, root)
 * triple: sizes have no leading zeros and the base64 decoder rejects
 * non-canonical encodings. So a witness or monitor that reformats a parsed
 * checkpoint gets the bytes that were signed.
 */
#include "common/common.h"

#include "ledger/checkpoint.h"

/* How much of an invalid value an error message quotes. */
#define QUOTE_MAX 64

static int check_origin(const char *origin, size_t len, struct error *err)
{
	int rc;

	if (len == 0)
		return error_set(err, CT_EINVAL, "checkpoint origin is empty");
	if (len >= CHECKPOINT_ORIGIN_MAX)
		return error_set(err, CT_EINVAL,
				 "checkpoint origin of %zu bytes is longer than %d bytes",
				 len, CHECKPOINT_ORIGIN_MAX - 1);
	if (memchr(origin, '\n', len))
		return error_set(err, CT_EINVAL,
				 "checkpoint origin contains a newline");
	rc = note_check_text(origin, len, "checkpoint origin", err);
	return rc;
}

int checkpoint_format_body(const struct checkpoint *cp, struct buf *out,
			   struct error *err)
{
	size_t len = strnlen(cp->origin, sizeof(cp->origin));
	int rc;

	rc = check_origin(cp->origin, len, err);
	if (rc)
		return rc;
	if (cp->size > CHECKPOINT_SIZE_MAX)
		return error_set(err, CT_EINVAL,
				 "tree size %" PRIu64 " exceeds the checkpoint maximum 2^63 - 1",
				 cp->size);

	rc = buf_printf(out, "%s\n%" PRIu64 "\n", cp->origin, cp->size);
	if (!rc)
		rc = base64_encode(cp->root, HASH_LEN, out);
	if (!rc)
		rc = buf_putc(out, '\n');
	if (rc)
		return error_set(err, rc, "cannot format checkpoint: %s",
				 ct_strerror(rc));
	return 0;
}

int checkpoint_sign(const struct checkpoint *cp, const struct note_key *keys,
		    size_t n, struct buf *out, struct error *err)
{
	struct buf body = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	int rc;

	rc = checkpoint_format_body(cp, &body, err);
	if (!rc)
		rc = note_sign(body.data, body.len, keys, n, out, err);
	buf_release(&body);
	return rc;
}

/*
 * Parses a decimal tree size without sign, leading zeros or overflow
 * beyond CHECKPOINT_SIZE_MAX.
 */
static int parse_size(const char *s, size_t len, uint64_t *size,
		      struct error *err)
{
	int quoted = (int)(len < QUOTE_MAX ? len : QUOTE_MAX);
	uint64_t v = 0;

	if (len == 0)
		return error_set(err, CT_EINVAL,
				 "checkpoint line 2: tree size is empty");
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return error_set(err, CT_EINVAL,
					 "checkpoint line 2: tree size '%.*s' is not a decimal number",
					 quoted, s);
	}
	if (len > 1 && s[0] == '0')
		return error_set(err, CT_EINVAL,
				 "checkpoint line 2: tree size '%.*s' has a leading zero",
				 quoted, s);

	for (size_t i = 0; i < len; i++) {
		unsigned digit = (unsigned)(s[i] - '0');

		if (v > (CHECKPOINT_SIZE_MAX - digit) / 10)
			return error_set(err, CT_EINVAL,
					 "checkpoint line 2: tree size '%.*s' exceeds 2^63 - 1",
					 quoted, s);
		v = v * 10 + digit;
	}
	*size = v;
	return 0;
}

static int parse_root(const char *s, size_t len, uint8_t root[HASH_LEN],
		      struct error *err)
{
	if (base64_decode(s, len, root, HASH_LEN) != HASH_LEN)
		return error_set(err, CT_EINVAL,
				 "checkpoint line 3: root hash '%.*s' is not canonical base64 of %d bytes",
				 (int)(len < QUOTE_MAX ? len : QUOTE_MAX), s,
				 HASH_LEN);
	return 0;
}

/*
 * Finds the line starting at text[*pos], sets *line_len to its length
 * without the newline and moves *pos past the newline. Returns false at
 * the end of text or when the line has no newline.
 */
static bool next_line(const char *text, size_t len, size_t *pos,
		      size_t *line_len)
{
	const char *end;

	if (*pos >= len)
		return false;
	end = memchr(text + *pos, '\n', len - *pos);
	if (!end)
		return false;
	*line_len = (size_t)(end - (text + *pos));
	*pos += *line_len + 1;
	return true;
}

/* Checks that every line after the root hash is non-empty. */
static int check_extensions(const char *text, size_t len, size_t pos,
			    struct error *err)
{
	size_t n, line = 4;

	for (; next_line(text, len, &pos, &n); line++) {
		if (n == 0)
			return error_set(err, CT_EINVAL,
					 "checkpoint line %zu: extension lines must not be empty",
					 line);
	}
	return 0;
}

int checkpoint_parse_body(const char *text, size_t len, struct checkpoint *cp,
			  struct error *err)
{
	static const char *const names[] = { "origin", "tree size",
					     "root hash" };
	size_t start[3], n[3], pos = 0;
	int rc;

	memset(cp, 0, sizeof(*cp));
	if (len == 0 || text[len - 1] != '\n')
		return error_set(err, CT_EINVAL,
				 "checkpoint text does not end in a newline");
	for (int i = 0; i < 3; i++) {
		start[i] = pos;
		if (!next_line(text, len, &pos, &n[i]))
			return error_set(err, CT_EINVAL,
					 "checkpoint has no line %d (%s)",
					 i + 1, names[i]);
	}

	rc = check_origin(text, n[0], err);
	if (!rc)
		rc = parse_size(text + start[1], n[1], &cp->size, err);
	if (!rc)
		rc = parse_root(text + start[2], n[2], cp->root, err);
	if (!rc)
		rc = check_extensions(text, len, pos, err);
	if (rc) {
		memset(cp, 0, sizeof(*cp));
		return rc;
	}
	memcpy(cp->origin, text, n[0]);
	cp->origin[n[0]] = '\0';
	return 0;
}

int checkpoint_parse(const char *note, size_t len, struct checkpoint *cp,
		     struct note *parsed, struct error *err)
{
	struct note local;
	struct note *p = parsed ? parsed : &local;
	int rc;

	rc = note_parse(note, len, p, err);
	if (rc) {
		memset(cp, 0, sizeof(*cp));
		return rc;
	}
	return checkpoint_parse_body(note, p->text_len, cp, err);
}

int checkpoint_verify(const char *note, size_t len,
		      const struct note_key *keys, size_t n,
		      struct checkpoint *cp, struct error *err)
{
	struct checkpoint parsed_cp;
	struct note parsed;
	int rc;

	memset(cp, 0, sizeof(*cp));
	rc = checkpoint_parse(note, len, &parsed_cp, &parsed, err);
	if (rc)
		return rc;
	rc = note_verify(note, &parsed, keys, n, err);
	if (rc)
		return rc;
	*cp = parsed_cp;
	return 0;
}
