/*
 * Audio-visual evidence: ingest, capture time, the 24-hour rule, links to
 * records, custody and retention.
 *
 * Every file is streamed into the blob store: hashed with the store's
 * hash and SHA-256 in one pass, fsynced and renamed to its hash. A
 * separate `casetrail probe` process probes it. One ledger entry of kind
 * media-ingest records it, with the file as its first attachment and its
 * thumbnail or poster frame, when there is one, as its second. The same
 * content ingested twice is one blob referenced by two entries.
 *
 * Entry kinds (fields in docs/media.md):
 *   media-ingest   a file reached the store; its capture time, delay, flags
 *   media-link     a file is evidence of a record of its case
 *   media-capture  the officer states the capture time, with a reason
 *   media-justify  an approved reason for a late upload
 *   media-access   a playback or download session began
 *   media-hold     footage is held from purging; media-release ends it
 *   purge          (the ledger's own) a file was purged under a rule
 *
 * Every call is safe from several threads. Errors: CT_EINVAL names the
 * bad value, CT_ENOTFOUND the unknown seq, case or hash, CT_ESTATE an act
 * the file's state does not allow (linking a purged file).
 */
#ifndef CASETRAIL_MEDIA_H
#define CASETRAIL_MEDIA_H

#include <jansson.h>
#include <stdint.h>

#include "cases/cases.h"
#include "common/error.h"
#include "ledger/ledger.h"

#define MEDIA_KIND_INGEST "media-ingest"
#define MEDIA_KIND_LINK "media-link"
#define MEDIA_KIND_CAPTURE "media-capture"
#define MEDIA_KIND_JUSTIFY "media-justify"
#define MEDIA_KIND_ACCESS "media-access"
#define MEDIA_KIND_HOLD "media-hold"
#define MEDIA_KIND_RELEASE "media-release"

/* The 24-hour rule: from the end of the recording to the store. */
#define MEDIA_UPLOAD_LIMIT_MS (24 * 3600 * 1000LL)
/* Window surveillance is kept at least this many days. */
#define MEDIA_SURVEILLANCE_DAYS_MIN 60

struct media;

struct media_config {
	const char *probe_exe;   /* the casetrail binary; NULL: /proc/self/exe */
	int probe_seconds;       /* wall-clock limit of one probe; 0: 20 */
	int probe_memory_mb;     /* resident limit of one probe; 0: 512 */
	int utc_offset_min;      /* the bureau's zone for cameras' local
				    times without an offset: +480 (UTC+8) */
	int surveillance_days;   /* retention, at least 60; 0: 60 */
};

int media_open(struct cases *c, struct ledger *l,
	       const struct media_config *cfg, struct media **out,
	       struct error *err);
void media_close(struct media *m);

struct media_ingest_req {
	int fd;                  /* an open file, read from its offset; or -1 */
	const char *path;        /* else the file at path */
	const char *name;        /* the file's own name, kept as data */
	const char *case_id;     /* NULL: not (yet) evidence of a case */
	int64_t record_seq;      /* link to this record of the case; -1 none */
	const char *type;        /* photo, audio, video, surveillance; NULL:
				    from the content */
	const char *device;      /* the camera or recorder; required */
	const char *officer;     /* who recorded; NULL: the acting user */
	const char *window;      /* the window camera; surveillance only */
	int has_captured;        /* the officer states the capture start */
	int64_t captured_ms;
	const char *captured_reason; /* why, when has_captured */
	int device_copy_deleted; /* the device's copy was deleted */
	const char *mark;        /* raises the type's confidentiality mark
				    (docs/access.md); NULL: the default */
	int64_t now_ms;          /* the ingest time for tests; 0: the clock */
};

/*
 * Ingests one file and returns {"seq", "hash", "sha256", "size",
 * "media_type", "type", "captured": {"start", "end", "duration_ms",
 * "source", "trusted"}, "delay_ms", "flags": [...], "thumbnail",
 * "case", "record", "duplicates": [seqs of earlier ingests of the same
 * content]}. A damaged file is stored and flagged, never refused.
 */
int media_ingest(struct media *m, const struct media_ingest_req *req,
		 const struct actor *by, json_t **out, struct error *err);

/*
 * Checks everything about an ingest that does not need the file: the
 * options, the acting user and officer, the case and the record. A tus
 * upload is checked so when it is created, before its bytes arrive.
 */
int media_ingest_check(struct media *m, const struct media_ingest_req *req,
		       const struct actor *by, struct error *err);

/*
 * Ingests every regular file under dir (recursively, in name order) that
 * is not yet stored from this device, so a run that was interrupted adds
 * only what is missing. req gives the device, officer, case and type for
 * all. Returns {"ingested": [...], "skipped": n, "failed": [...]}.
 */
int media_import_dir(struct media *m, const char *dir,
		     const struct media_ingest_req *req,
		     const struct actor *by, json_t **out, struct error *err);

/* The file of ingest seq with its links, stated times and flags. */
int media_get(struct media *m, uint64_t seq, json_t **out,
	      struct error *err);

struct media_query {
	const char *case_id;
	const char *type;
	const char *window;
	const char *hash;
	size_t offset, limit;
};

/* Returns {"items": [...], "total", "offset", "limit"}. */
int media_list(struct media *m, const struct media_query *q, json_t **out,
	       struct error *err);

/* Links the file of media_seq to record_seq of its case (or of the
 * record's case, for a file not yet in a case). */
int media_link(struct media *m, uint64_t media_seq, uint64_t record_seq,
	       const struct actor *by, json_t **out, struct error *err);

/* The officer states the capture start of a file whose own time cannot
 * be trusted. */
int media_state_capture(struct media *m, uint64_t media_seq, int64_t start_ms,
			const char *reason, const struct actor *by,
			json_t **out, struct error *err);

/* Records an approved reason for a late upload; the finding stays. */
int media_justify(struct media *m, uint64_t media_seq, const char *reason,
		  const char *approved_by, const struct actor *by,
		  json_t **out, struct error *err);

/* Records the start of a playback or download session ("playback",
 * "download"); session names it, so that its Range requests need none. */
int media_access(struct media *m, uint64_t media_seq, const char *mode,
		 const char *session, const struct actor *by, json_t **out,
		 struct error *err);

/* Returns the chain of custody of a blob: every entry that touched it,
 * {"hash", "sha256", "size", "events": [{seq, ts, kind, actor, ...}]}. */
int media_custody(struct media *m, const char *hash, json_t **out,
		  struct error *err);

/*
 * Writes the path of the stored file of ingest seq (which = "file") or
 * of its thumbnail (which = "thumbnail") and its size and media type.
 * CT_ENOTFOUND when purged or never made.
 */
int media_file(struct media *m, uint64_t seq, const char *which, char *path,
	       size_t n, uint64_t *size, char *media_type, size_t type_n,
	       struct error *err);

/* Retention of window surveillance (retention.c). */
struct retention_opts {
	int64_t now_ms;  /* 0: the clock; a run that purges takes no later */
	int dry_run;     /* list what is due and purge nothing */
	int days;        /* ahead, for media_retention_upcoming */
};

/*
 * Purges every unheld window segment past its last retention day, acting
 * as by, and logs each purge. Returns {"now", "rule", "retention_days",
 * "dry_run", "purged": [{"seq", "hash", "window", "purge_from",
 * "counted_from", "captured_end", "purge_seq"}], "held": [...],
 * "failed": [{..., "error"}], "kept": n}. A segment whose purge fails is
 * listed in failed and the run goes on.
 */
int media_retention_run(struct media *m, const struct retention_opts *o,
			const struct actor *by, json_t **out,
			struct error *err);
/* Lists what a run within o->days days would purge: {"now", "rule",
 * "retention_days", "until", "items": [...], "held": n}. */
int media_retention_upcoming(struct media *m, const struct retention_opts *o,
			     json_t **out, struct error *err);

struct media_hold_req {
	const char *basis;    /* case, complaint, copy-request */
	const char *ref;      /* the case id, complaint or request number */
	const char *window;   /* hold a window's footage ... */
	int64_t from_ms, to_ms; /* ... whose capture overlaps [from, to) */
	int64_t media_seq;    /* or one file; -1 */
	const char *reason;
};
/*
 * Places a hold as a media-hold entry, by a registered user. Its id is
 * H-<n>, where n is usually the entry's seq. A case basis names an
 * existing case. Returns the entry's fields with "seq" and "ts".
 */
int media_hold(struct media *m, const struct media_hold_req *req,
	       const struct actor *by, json_t **out, struct error *err);
/* Ends a hold in force with a media-release entry; CT_ESTATE when it
 * was released already. Returns {"hold", "reason", "seq", "ts"}. */
int media_release(struct media *m, const char *hold_id, const char *reason,
		  const struct actor *by, json_t **out, struct error *err);
/* Returns {"items": [holds]}; only those in force with active. */
int media_holds(struct media *m, int active, json_t **out,
		struct error *err);

#endif
