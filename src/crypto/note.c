/*
 * Signed notes as specified by C2SP signed-note: a UTF-8 text ending in a
 * newline, a blank line, and one line per signature,
 *
 *   — <key name> <base64(key id || signature)>
 *
 * where the em dash is U+2014. The parser follows the grammar of the
 * spec: no control characters other than newline anywhere, the last
 * blank line separates text from signatures, key names are non-empty and
 * free of Unicode white space and '+'.
 *
 * Key ids are always the first four bytes of a SHA-256 digest, as the
 * spec fixes them, also in stores whose own hash is SM3.
 */
#include "common/common.h"

#include "crypto/crypto.h"

/* The em dash U+2014 and a space that start every signature line. */
static const char sig_prefix[] = "\xe2\x80\x94 ";
#define SIG_PREFIX_LEN (sizeof(sig_prefix) - 1)

/* The signature type byte 0xff is followed by this identifier for SM2. */
static const char sm2_type_id[] = "sm2-sm3";

/* Key id and the largest signature a note_sig keeps, as decoded. */
#define SIG_KEPT_MAX (4 + sizeof(((struct note_sig *)0)->sig))

/*
 * Decodes the UTF-8 sequence at s[*i], rejecting overlong forms,
 * surrogates and values above U+10FFFF, and advances *i past it.
 * Returns the code point or -1.
 */
static long utf8_next(const uint8_t *s, size_t len, size_t *i)
{
	static const long min_value[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint8_t c = s[*i];
	size_t n;
	long cp;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return -1;
	if (len - *i < n)
		return -1;
	for (size_t k = 1; k < n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[*i + k] & 0x3f);
	}
	if (cp < min_value[n] || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n;
	return cp;
}

int note_check_text(const char *s, size_t len, const char *what,
		    struct error *err)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t line = 1;

	for (size_t i = 0; i < len;) {
		size_t at = i;
		long cp = utf8_next(p, len, &i);

		if (cp < 0)
			return error_set(err, CT_EINVAL,
					 "%s line %zu: invalid UTF-8 at byte %zu",
					 what, line, at);
		if (cp == '\n')
			line++;
		else if (cp < 0x20 || cp == 0x7f)
			return error_set(err, CT_EINVAL,
					 "%s line %zu: control character 0x%02lx at byte %zu is not allowed (only newline is)",
					 what, line, cp, at);
	}
	return 0;
}

/* Reports whether cp has the Unicode White_Space property. */
static bool is_unicode_space(long cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
	       cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	       cp == 0x3000;
}

/* Checks a key name: non-empty UTF-8, no white space, no '+', fits. */
static int check_key_name(const char *name, size_t len, struct error *err)
{
	const uint8_t *p = (const uint8_t *)name;
	size_t max = sizeof(((struct note_sig *)0)->name) - 1;

	if (len == 0)
		return error_set(err, CT_EINVAL, "key name is empty");
	if (len > max)
		return error_set(err, CT_EINVAL,
				 "key name of %zu bytes is longer than %zu bytes",
				 len, max);
	for (size_t i = 0; i < len;) {
		long cp = utf8_next(p, len, &i);

		if (cp < 0 || cp < 0x20 || cp == 0x7f)
			return error_set(err, CT_EINVAL,
					 "key name '%.*s' is not printable UTF-8",
					 (int)len, name);
		if (cp == '+' || is_unicode_space(cp))
			return error_set(err, CT_EINVAL,
					 "key name '%.*s' contains a space or '+'; key names may contain neither",
					 (int)len, name);
	}
	return 0;
}

uint32_t note_key_id(const struct note_key *nk)
{
	uint8_t raw[80];
	uint8_t digest[HASH_LEN];
	struct hasher *h = hasher_new(HASH_SHA256);
	int rawlen = key_public_raw(nk->key, raw, sizeof(raw));

	/* Both fail only when OpenSSL cannot allocate. */
	if (!h || rawlen < 0) {
		fprintf(stderr, "casetrail: cannot compute a note key id\n");
		abort();
	}
	hasher_update(h, nk->name, strlen(nk->name));
	hasher_update(h, "\n", 1);
	if (key_get_type(nk->key) == KEY_ED25519) {
		hasher_update(h, "\x01", 1);
	} else {
		hasher_update(h, "\xff", 1);
		hasher_update(h, sm2_type_id, strlen(sm2_type_id));
	}
	hasher_update(h, raw, (size_t)rawlen);
	hasher_final(h, digest);
	hasher_free(h);
	return (uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 |
	       (uint32_t)digest[2] << 8 | digest[3];
}

/* Appends the signature line of one key over text to out. */
static int append_sig_line(const char *text, size_t len,
			   const struct note_key *nk, struct buf *out,
			   struct error *err)
{
	uint8_t value[4 + SIG_MAX];
	uint32_t id = note_key_id(nk);
	size_t siglen = 0;
	int rc;

	rc = key_sign(nk->key, text, len, value + 4, &siglen, err);
	if (rc)
		return rc;
	value[0] = (uint8_t)(id >> 24);
	value[1] = (uint8_t)(id >> 16);
	value[2] = (uint8_t)(id >> 8);
	value[3] = (uint8_t)id;

	rc = buf_puts(out, sig_prefix);
	if (!rc)
		rc = buf_puts(out, nk->name);
	if (!rc)
		rc = buf_putc(out, ' ');
	if (!rc)
		rc = base64_encode(value, 4 + siglen, out);
	if (!rc)
		rc = buf_putc(out, '\n');
	if (rc)
		return error_set(err, rc, "cannot append a signature line: %s",
				 ct_strerror(rc));
	return 0;
}

int note_sign(const char *text, size_t len, const struct note_key *keys,
	      size_t n, struct buf *out, struct error *err)
{
	int rc;

	if (len == 0 || text[len - 1] != '\n')
		return error_set(err, CT_EINVAL,
				 "note text must end in a newline");
	rc = note_check_text(text, len, "note text", err);
	if (rc)
		return rc;
	if (n == 0 || n > NOTE_MAX_SIGS)
		return error_set(err, CT_EINVAL,
				 "a note needs 1 to %d signing keys, not %zu",
				 NOTE_MAX_SIGS, n);
	for (size_t i = 0; i < n; i++) {
		rc = check_key_name(keys[i].name, strlen(keys[i].name), err);
		if (rc)
			return rc;
	}

	rc = buf_append(out, text, len);
	if (!rc)
		rc = buf_putc(out, '\n');
	if (rc)
		return error_set(err, rc, "cannot append the note text: %s",
				 ct_strerror(rc));
	for (size_t i = 0; i < n; i++) {
		rc = append_sig_line(text, len, &keys[i], out, err);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Checks base64 that decodes to more than SIG_KEPT_MAX bytes without
 * keeping it, and decodes the key id from its start. Only the last group
 * of four characters may carry padding.
 */
static int decode_long_sig(const char *b64, size_t len, struct note_sig *sig)
{
	uint8_t chunk[96];

	if (memchr(b64, '=', len - 4))
		return CT_EINVAL;
	for (size_t i = 0; i < len; i += 128) {
		size_t n = len - i < 128 ? len - i : 128;

		if (base64_decode(b64 + i, n, chunk, sizeof(chunk)) < 0)
			return CT_EINVAL;
		if (i == 0)
			sig->key_id = (uint32_t)chunk[0] << 24 |
				      (uint32_t)chunk[1] << 16 |
				      (uint32_t)chunk[2] << 8 | chunk[3];
	}
	sig->siglen = 0;
	return 0;
}

/* Decodes base64(key id || signature) into sig. */
static int decode_sig(const char *b64, size_t len, struct note_sig *sig,
		      size_t line, struct error *err)
{
	uint8_t value[SIG_KEPT_MAX];
	size_t decoded;
	long got;

	if (len == 0 || len % 4 != 0)
		goto invalid;
	decoded = len / 4 * 3 - (b64[len - 1] == '=') - (b64[len - 2] == '=');
	if (decoded < 5)
		return error_set(err, CT_EINVAL,
				 "signature line %zu: the signature decodes to %zu bytes, fewer than a key id and a signature",
				 line, decoded);
	if (decoded > sizeof(value)) {
		if (decode_long_sig(b64, len, sig))
			goto invalid;
		return 0;
	}
	got = base64_decode(b64, len, value, sizeof(value));
	if (got < 5)
		goto invalid;
	sig->key_id = (uint32_t)value[0] << 24 | (uint32_t)value[1] << 16 |
		      (uint32_t)value[2] << 8 | value[3];
	sig->siglen = (size_t)got - 4;
	memcpy(sig->sig, value + 4, sig->siglen);
	return 0;

invalid:
	return error_set(err, CT_EINVAL,
			 "signature line %zu: the signature is not valid standard base64 with padding",
			 line);
}

/* Parses one signature line, without its newline, into sig. */
static int parse_sig_line(const char *s, size_t len, struct note_sig *sig,
			  size_t line, struct error *err)
{
	struct error name_err = { 0 };
	const char *name, *space;
	size_t namelen;
	int rc;

	if (len < SIG_PREFIX_LEN || memcmp(s, sig_prefix, SIG_PREFIX_LEN))
		return error_set(err, CT_EINVAL,
				 "signature line %zu does not start with an em dash (U+2014) and a space",
				 line);
	name = s + SIG_PREFIX_LEN;
	space = memchr(name, ' ', len - SIG_PREFIX_LEN);
	if (!space)
		return error_set(err, CT_EINVAL,
				 "signature line %zu has no space between key name and signature",
				 line);
	namelen = (size_t)(space - name);
	rc = check_key_name(name, namelen, &name_err);
	if (rc)
		return error_set(err, rc, "signature line %zu: %s", line,
				 name_err.msg);
	memcpy(sig->name, name, namelen);
	sig->name[namelen] = '\0';
	return decode_sig(space + 1, (size_t)(s + len - space - 1), sig, line,
			  err);
}

/* Returns the offset of the last "\n\n" in s, or len when there is none. */
static size_t find_last_blank_line(const char *s, size_t len)
{
	for (size_t i = len - 1; i > 0; i--) {
		if (s[i] == '\n' && s[i - 1] == '\n')
			return i - 1;
	}
	return len;
}

int note_parse(const char *note, size_t len, struct note *out,
	       struct error *err)
{
	size_t sep, line, pos;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = note_check_text(note, len, "note", err);
	if (rc)
		return rc;
	if (len == 0 || note[len - 1] != '\n')
		return error_set(err, CT_EINVAL,
				 "note does not end in a newline");
	sep = find_last_blank_line(note, len);
	if (sep == len)
		return error_set(err, CT_EINVAL,
				 "note has no blank line between text and signatures");
	out->text_len = sep + 1;
	if (sep + 2 == len)
		return error_set(err, CT_EINVAL,
				 "note has no signature lines after its last blank line");

	/* Signature lines are counted from the note's first line. */
	line = 1;
	for (size_t i = 0; i <= sep + 1; i++)
		line += note[i] == '\n';
	for (pos = sep + 2; pos < len; line++) {
		const char *end = memchr(note + pos, '\n', len - pos);
		size_t n = (size_t)(end - (note + pos));

		if (out->nsigs == NOTE_MAX_SIGS)
			return error_set(err, CT_EINVAL,
					 "note has more than %d signatures",
					 NOTE_MAX_SIGS);
		rc = parse_sig_line(note + pos, n, &out->sigs[out->nsigs],
				    line, err);
		if (rc)
			return rc;
		out->nsigs++;
		pos += n + 1;
	}
	return 0;
}

/* Checks every signature line of nk in parsed and returns their count. */
static int verify_key(const char *note, const struct note *parsed,
		      const struct note_key *nk, struct error *err)
{
	uint32_t id = note_key_id(nk);
	int found = 0;

	for (size_t i = 0; i < parsed->nsigs; i++) {
		const struct note_sig *sig = &parsed->sigs[i];

		if (sig->key_id != id || strcmp(sig->name, nk->name) != 0)
			continue;
		if (key_verify(nk->key, note, parsed->text_len, sig->sig,
			       sig->siglen))
			return error_set(err, CT_ECRYPTO,
					 "signature %zu by key '%s' (id %08" PRIx32 ") does not verify; the note was altered or signed by another key",
					 i + 1, nk->name, id);
		found++;
	}
	if (!found)
		return error_set(err, CT_ECRYPTO,
				 "note has no signature by key '%s' (id %08" PRIx32 ")",
				 nk->name, id);
	return found;
}

int note_verify(const char *note, const struct note *parsed,
		const struct note_key *keys, size_t n, struct error *err)
{
	if (n == 0)
		return error_set(err, CT_EINVAL,
				 "no keys given to verify the note with");
	for (size_t i = 0; i < n; i++) {
		int rc = verify_key(note, parsed, &keys[i], err);

		if (rc < 0)
			return rc;
	}
	return 0;
}
