/*
 * Shared by the files of the media module: the handle and the helpers
 * that read the projection of audio-visual files.
 */
#ifndef CASETRAIL_MEDIA_INTERNAL_H
#define CASETRAIL_MEDIA_INTERNAL_H

#include <limits.h>

#include "media.h"
#include "store/media.h"

struct media {
	struct cases *cases;
	struct ledger *ledger;
	char probe_exe[PATH_MAX];
	int probe_seconds;
	int probe_memory_mb;
	int utc_offset_min;
	int surveillance_days;
};

/*
 * Reads the projection row of the file of ingest seq (see
 * src/cases/media_proj.c for its fields): {"seq", "hash", "sha256",
 * "size", "media_type", "type", "case", "window", "device", "officer",
 * "captured": {"start", "end", "duration_ms", "source", "trusted"},
 * "ingested", "delay_ms", "flags", "links", "thumbnail", "purged", ...}.
 */
int media_row_read(struct media *m, uint64_t seq, json_t **out,
		   struct error *err);

/*
 * Checks a text option: valid UTF-8, and no control characters except,
 * with multiline, line feeds and tabs. what names the option.
 */
int media_check_text(const char *what, const char *text, int multiline,
		     struct error *err);

/*
 * Writes the case of record seq into case_id. The record must be one a
 * file can document: not an audio-visual, correction, expunge or finding
 * entry, and of a case.
 */
int media_record_case(struct media *m, uint64_t seq, char *case_id,
		      size_t n, struct error *err);

/* Checks that the acting user is registered staff. */
int media_check_actor(struct media *m, const struct actor *by,
		      struct error *err);

/* Appends one entry through the workflow's hook; fills *seq. */
int media_append(struct media *m, const char *kind, const char *case_id,
		 const json_t *fields, const struct ledger_attachment *atts,
		 size_t natts, const struct actor *by, uint64_t *seq,
		 int64_t *ts_ms, struct error *err);

/* Formats ms as RFC 3339 in China Standard Time with milliseconds. */
void media_time_format(int64_t ms, char out[40]);

#endif
