/*
 * Official documents (see documents.h).
 */
#include "common/common.h"

#include "documents.h"

struct documents {
	struct access *a;
};

int documents_open(struct access *a, const char *data_dir,
		   struct documents **out, struct error *err)
{
	struct documents *d = calloc(1, sizeof(*d));

	(void)data_dir;
	if (!d)
		return error_set(err, CT_ENOMEM, "out of memory");
	d->a = a;
	*out = d;
	return 0;
}

void documents_close(struct documents *d)
{
	free(d);
}

int documents_issue(struct documents *d, const char *case_id,
		    const char *doc_kind, int64_t seq, const struct actor *by,
		    struct buf *pdf, json_t **info, struct error *err)
{
	(void)d, (void)case_id, (void)doc_kind, (void)seq, (void)by;
	(void)pdf, (void)info;
	return error_set(err, CT_EINVAL, "documents are not built yet");
}

int documents_render_record(struct documents *d, const char *case_id,
			    uint64_t seq, struct buf *pdf, struct error *err)
{
	(void)d, (void)case_id, (void)seq, (void)pdf;
	return error_set(err, CT_EINVAL, "documents are not built yet");
}

int documents_list(struct documents *d, const char *case_id, json_t **out,
		   struct error *err)
{
	(void)d, (void)case_id, (void)err;
	*out = json_array();
	return 0;
}

const char *documents_seal_public_pem(const struct documents *d)
{
	(void)d;
	return NULL;
}
