/*
 * Standard base64 (RFC 4648 section 4) as checkpoints and signed notes
 * use it: with padding, without line breaks.
 *
 * The decoder accepts exactly one spelling of each byte string. It
 * rejects whitespace, missing or misplaced padding, and padding bits that
 * are not zero, so that a signature line or a root hash cannot be
 * re-encoded into a second text that decodes to the same bytes.
 */
#include "common/common.h"

#include "crypto/crypto.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int base64_encode(const void *data, size_t len, struct buf *out)
{
	const uint8_t *p = data;
	char quad[4];
	int rc;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (uint32_t)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		quad[0] = alphabet[v >> 18 & 0x3f];
		quad[1] = alphabet[v >> 12 & 0x3f];
		quad[2] = left > 1 ? alphabet[v >> 6 & 0x3f] : '=';
		quad[3] = left > 2 ? alphabet[v & 0x3f] : '=';
		rc = buf_append(out, quad, sizeof(quad));
		if (rc)
			return rc;
	}
	return 0;
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decodes one group of four characters into up to three bytes. Only the
 * last group may end in padding. Returns the byte count or CT_EINVAL.
 */
static int decode_quad(const char *q, bool last, uint8_t bytes[3])
{
	int pad = 0;
	uint32_t v = 0;

	if (last && q[3] == '=')
		pad = q[2] == '=' ? 2 : 1;
	for (int i = 0; i < 4 - pad; i++) {
		int s = sextet(q[i]);

		if (s < 0)
			return CT_EINVAL;
		v = v << 6 | (uint32_t)s;
	}
	v <<= 6 * pad;

	/* The bits that padding leaves over must be zero. */
	if ((pad == 1 && (v & 0xff)) || (pad == 2 && (v & 0xffff)))
		return CT_EINVAL;
	bytes[0] = (uint8_t)(v >> 16);
	bytes[1] = (uint8_t)(v >> 8);
	bytes[2] = (uint8_t)v;
	return 3 - pad;
}

long base64_decode(const char *text, size_t len, uint8_t *out, size_t max)
{
	size_t n = 0;

	if (len % 4 != 0)
		return CT_EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		uint8_t bytes[3];
		int got = decode_quad(text + i, i + 4 == len, bytes);

		if (got < 0)
			return CT_EINVAL;
		if ((size_t)got > max - n)
			return CT_EINVAL;
		memcpy(out + n, bytes, (size_t)got);
		n += (size_t)got;
	}
	return (long)n;
}
