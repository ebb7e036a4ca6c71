/*
 * Cosignatures as C2SP tlog-cosignature defines cosignature/v1: a note
 * signature line whose signature is an 8-byte big-endian POSIX timestamp
 * followed by a signature over
 *
 *   cosignature/v1\ntime <timestamp>\n<checkpoint body>
 *
 * Ed25519 keys use the key id type 0x04 of the spec. SM2 keys sign the
 * same message (SM3 with the SM2 distinguishing ID) under the type 0xff
 * with the identifier "sm2-sm3-cosignature", as signed-note allows for
 * types it does not define.
 */
#include "common/common.h"

#include "witness.h"

#define SM2_COSIG_ID "sm2-sm3-cosignature"

uint32_t cosig_key_id(const char *name, const struct key *k)
{
	struct buf b = BUF_INIT_MAX(1024);
	uint8_t raw[128], digest[HASH_LEN];
	int n = key_public_raw(k, raw, sizeof(raw));
	uint32_t id;

	buf_puts(&b, name);
	buf_putc(&b, '\n');
	if (key_get_type(k) == KEY_ED25519) {
		buf_putc(&b, 0x04);
	} else {
		buf_putc(&b, (char)0xff);
		buf_puts(&b, SM2_COSIG_ID);
	}
	if (n > 0)
		buf_append(&b, raw, (size_t)n);
	hash_buf(HASH_SHA256, b.data, b.len, digest);
	buf_release(&b);
	id = (uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 |
	     (uint32_t)digest[2] << 8 | digest[3];
	return id;
}

static int signed_message(const char *text, size_t len, uint64_t ts,
			  struct buf *msg)
{
	int rc = buf_printf(msg, "cosignature/v1\ntime %" PRIu64 "\n", ts);

	return rc ? rc : buf_append(msg, text, len);
}

int cosig_sign(const char *name, const struct key *k, const char *text,
	       size_t len, uint64_t ts, struct buf *out, struct error *err)
{
	struct buf msg = BUF_INIT_MAX(1 << 16);
	uint8_t sig[4 + 8 + SIG_MAX];
	uint32_t id = cosig_key_id(name, k);
	size_t siglen = 0;
	int rc = signed_message(text, len, ts, &msg);

	if (rc)
		return error_set(err, rc, "checkpoint of %zu bytes is too "
				 "large to cosign", len);
	for (int i = 0; i < 4; i++)
		sig[i] = (uint8_t)(id >> (24 - 8 * i));
	for (int i = 0; i < 8; i++)
		sig[4 + i] = (uint8_t)(ts >> (56 - 8 * i));
	rc = key_sign(k, msg.data, msg.len, sig + 12, &siglen, err);
	buf_release(&msg);
	if (rc == 0)
		rc = buf_printf(out, "\xe2\x80\x94 %s ", name);
	if (rc == 0)
		rc = base64_encode(sig, 12 + siglen, out);
	if (rc == 0)
		rc = buf_putc(out, '\n');
	return rc;
}

int cosig_verify(const char *name, const struct key *k, const char *note,
		 size_t len, uint64_t *ts, struct error *err)
{
	struct note *parsed = calloc(1, sizeof(*parsed));
	uint32_t id = cosig_key_id(name, k);
	struct buf msg = BUF_INIT_MAX(1 << 16);
	int rc = parsed ? note_parse(note, len, parsed, err) : CT_ENOMEM;
	int found = 0;

	for (size_t i = 0; rc == 0 && i < parsed->nsigs; i++) {
		const struct note_sig *sg = &parsed->sigs[i];
		uint64_t t = 0;

		if (strcmp(sg->name, name) || sg->key_id != id ||
		    sg->siglen != 8 + 64)
			continue;
		for (int j = 0; j < 8; j++)
			t = t << 8 | sg->sig[j];
		buf_reset(&msg);
		rc = signed_message(note, parsed->text_len, t, &msg);
		if (rc == 0 && key_verify(k, msg.data, msg.len, sg->sig + 8,
					  64) == 0) {
			found = 1;
			*ts = t;
			break;
		}
	}
	buf_release(&msg);
	free(parsed);
	if (rc)
		return error_set(err, rc, "malformed cosigned checkpoint");
	if (!found)
		return error_set(err, CT_ECRYPTO, "no valid %s cosignature by "
				 "witness '%s' on the checkpoint",
				 key_get_type(k) == KEY_SM2 ? "SM2" : "Ed25519",
				 name);
	return 0;
}
