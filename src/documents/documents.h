/*
 * Official documents: templates from data/documents/ filled from a case
 * and its records, laid out as A4 PDF with Cairo and Pango, numbered when
 * the source record was appended, and sealed with the bureau's SM2 seal
 * key as a detached signature recorded in the ledger.
 *
 * The first render of a document issues it: the PDF is signed and stored
 * as the attachment of a `document-issue` entry. Every later render of the
 * same document returns those stored bytes, so a re-print carries the same
 * number and is byte for byte the same file.
 */
#ifndef CASETRAIL_DOCUMENTS_H
#define CASETRAIL_DOCUMENTS_H

#include <jansson.h>
#include <stdint.h>

#include "access/access.h"
#include "cases/cases.h"
#include "common/buf.h"
#include "common/error.h"

struct documents;

/*
 * Loads the templates and the bureau settings from data_dir and the seal
 * key from the store's keys/ folder. a stays owned by the caller and must
 * outlive the handle.
 */
int documents_open(struct access *a, const char *data_dir,
		   struct documents **out, struct error *err);
void documents_close(struct documents *d);

/*
 * Renders document kind doc_kind (a template code of data/documents/) of
 * case_id from record seq, or from the case's latest record of the
 * template's source kind when seq is -1, and issues it on first render.
 * pdf receives the file. *info (may be NULL) gets {seq, document,
 * source, number, pdf: {hash, sha256, size}, signature, key, issued}.
 * Errors: CT_ENOTFOUND for an unknown case, record or template, CT_EINVAL
 * for a record whose kind the template does not print.
 */
int documents_issue(struct documents *d, const char *case_id,
		    const char *doc_kind, int64_t seq, const struct actor *by,
		    struct buf *pdf, json_t **info, struct error *err);

/*
 * Renders record seq of case_id as a plain PDF page (its kind, time,
 * actor, fields and signatures) without issuing anything: the rendering
 * that a case file holds for a record that has no template.
 */
int documents_render_record(struct documents *d, const char *case_id,
			    uint64_t seq, struct buf *pdf, struct error *err);

/*
 * Returns the documents issued for case_id, oldest first:
 * [{seq, document, source, number, pdf: {hash, sha256, size}, signature,
 * key, issued}].
 */
int documents_list(struct documents *d, const char *case_id, json_t **out,
		   struct error *err);

/* Returns the seal's public key as PEM text, or NULL when none is set. */
const char *documents_seal_public_pem(const struct documents *d);

/*
 * Resolves the source record of document doc_kind in case_id as
 * documents_issue does (seq -1: the latest) without rendering: *source
 * gets its seq and *mark the mark a reader of the document must be
 * cleared for: the record's, raised to personal when the template prints
 * the applicant's contact, address or ID number (sensitive-personal for
 * a resident identity card number). Errors as documents_issue.
 */
int documents_source(struct documents *d, const char *case_id,
		     const char *doc_kind, int64_t seq, uint64_t *source,
		     enum access_mark *mark, struct error *err);

/*
 * Reads the mark of record seq of case_id, as a reader of its plain
 * rendering must be cleared for: the security administrator's, else
 * its content's. CT_ENOTFOUND when seq is not a record of the case.
 */
int documents_record_mark(struct documents *d, const char *case_id,
			  uint64_t seq, enum access_mark *mark,
			  struct error *err);

/*
 * Reads the PDF of the document that entry seq of case_id issued into
 * pdf, checked against its hash; *info (may be NULL) as documents_issue,
 * and *mark (may be NULL) as documents_source gives for its source
 * record. CT_ENOTFOUND when seq is not a document-issue entry of the
 * case.
 */
int documents_issued(struct documents *d, const char *case_id, uint64_t seq,
		     struct buf *pdf, json_t **info, enum access_mark *mark,
		     struct error *err);

/*
 * Creates the seal key in store_dir/keys (seal.key, mode 0600, and
 * seal.pub), as `casetrail init` does. CT_EEXIST when either exists: a
 * seal key is never replaced.
 */
int documents_seal_create(const char *store_dir, struct error *err);

/*
 * Creates the seal key of an existing store and records its public key
 * in a seal-key entry by `by`; returns it as documents_seal_show does.
 */
int documents_seal_init(struct documents *d, const struct actor *by,
			json_t **out, struct error *err);

/*
 * Returns the seal key: {algorithm, distinguishing_id, key, public_key,
 * seq}, seq being its seal-key entry or null until the first document.
 * CT_ENOTFOUND when the store has none.
 */
int documents_seal_show(struct documents *d, json_t **out,
			struct error *err);

/*
 * Sets up the CJK fonts of the official documents for a caller that lays
 * out PDFs of its own (the reports module), and releases them; calls
 * nest with the documents module's own. documents_font_family returns
 * the Song family (titles) when title is set, else the FangSong family
 * (body text), valid between acquire and release.
 */
void documents_fonts_acquire(void);
void documents_fonts_release(void);
const char *documents_font_family(int title);

#endif
