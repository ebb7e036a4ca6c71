/*
 * libFuzzer target for the checkpoint and signed-note parsers, which read
 * checkpoints from witnesses, monitors and files outside casetrail's
 * control. Every input that checkpoint_parse accepts is formatted again.
 * The result must be the start of the signed text byte for byte, because
 * the grammar admits one text per checkpoint and a second spelling would
 * let two notes with different bytes claim the same tree head.
 */
#include "common/common.h"

#include "ledger/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks what the parser promises about an accepted note. */
static void check_accepted(const char *note, const struct checkpoint *cp,
			   const struct note *parsed)
{
	struct buf body = BUF_INIT_MAX(BUF_DEFAULT_MAX);
	struct error err;

	error_clear(&err);
	if (checkpoint_format_body(cp, &body, &err)) {
		fprintf(stderr, "cannot format a parsed checkpoint: %s\n",
			err.msg);
		abort();
	}
	if (body.len > parsed->text_len ||
	    memcmp(body.data, note, body.len) != 0) {
		fprintf(stderr, "formatted checkpoint differs from the note\n");
		abort();
	}
	if (parsed->nsigs == 0 || parsed->nsigs > NOTE_MAX_SIGS) {
		fprintf(stderr, "parsed note has %zu signatures\n",
			parsed->nsigs);
		abort();
	}
	buf_release(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct checkpoint cp;
	struct note parsed;
	struct error err;

	error_clear(&err);
	if (checkpoint_parse((const char *)data, size, &cp, &parsed, &err) == 0)
		check_accepted((const char *)data, &cp, &parsed);
	return 0;
}
