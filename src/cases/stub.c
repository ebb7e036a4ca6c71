/* Not yet built: every call fails with CT_ESTATE. */
#include "common/common.h"

#include "cases.h"

int cases_open(struct ledger *l, const char *data_dir, struct cases **out,
	       struct error *err)
{
	(void)l;
	(void)data_dir;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

void cases_close(struct cases *c)
{
	(void)c;
}

int cases_user_add(struct cases *c, const json_t *user,
		   const struct actor *by, json_t **out, struct error *err)
{
	(void)c;
	(void)user;
	(void)by;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_user_get(struct cases *c, const char *name, json_t **out,
		   struct error *err)
{
	(void)c;
	(void)name;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_user_list(struct cases *c, json_t **out, struct error *err)
{
	(void)c;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_token_create(struct cases *c, const char *user,
		       const struct actor *by, char *token,
		       struct error *err)
{
	(void)c;
	(void)user;
	(void)by;
	(void)token;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_token_user(struct cases *c, const char *token, char *user,
		     size_t n, struct error *err)
{
	(void)c;
	(void)token;
	(void)user;
	(void)n;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_new(struct cases *c, const json_t *req, const struct actor *by,
	      json_t **out, struct error *err)
{
	(void)c;
	(void)req;
	(void)by;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_list(struct cases *c, const struct case_query *q, json_t **out,
	       struct error *err)
{
	(void)c;
	(void)q;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_show(struct cases *c, const char *id, json_t **out,
	       struct error *err)
{
	(void)c;
	(void)id;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_show_json(struct cases *c, const char *id, struct buf *out,
		    uint64_t *last_seq, struct error *err)
{
	(void)c;
	(void)id;
	(void)out;
	(void)last_seq;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_record_check(struct cases *c, const struct record_request *r,
		       const struct actor *by, struct error *err)
{
	(void)c;
	(void)r;
	(void)by;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_record_add(struct cases *c, const struct record_request *r,
		     const struct actor *by, json_t **out, struct error *err)
{
	(void)c;
	(void)r;
	(void)by;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_record_correct(struct cases *c, uint64_t seq, const char *reason,
			 const json_t *fields, const struct actor *by,
			 json_t **out, struct error *err)
{
	(void)c;
	(void)seq;
	(void)reason;
	(void)fields;
	(void)by;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_record_get(struct cases *c, uint64_t seq, json_t **out,
		     struct error *err)
{
	(void)c;
	(void)seq;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_findings(struct cases *c, const struct finding_query *q,
		   json_t **out, struct error *err)
{
	(void)c;
	(void)q;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_sweep(struct cases *c, struct error *err)
{
	(void)c;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_calendar_import(struct cases *c, const json_t *year_file,
			  const char *source, const struct actor *by,
			  json_t **out, struct error *err)
{
	(void)c;
	(void)year_file;
	(void)source;
	(void)by;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_calendar(struct cases *c, json_t **out, struct error *err)
{
	(void)c;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_import_line(struct cases *c, const json_t *line,
		      const struct actor *by, json_t **out,
		      struct error *err)
{
	(void)c;
	(void)line;
	(void)by;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int cases_rebuild(struct cases *c, json_t **out, struct error *err)
{
	(void)c;
	(void)out;
	(void)err;
	return error_set(err, CT_ESTATE, "not built yet");
}

int record_kind_check(const struct cases *c, const char *kind,
		      const json_t *fields, struct error *err)
{
	const json_t *text = json_object_get(fields, "text");

	(void)c;
	if (strcmp(kind, "note") != 0)
		return error_set(err, CT_EINVAL, "unknown record kind '%s'",
				 kind);
	if (!json_is_object(fields) || json_object_size(fields) != 1 ||
	    !json_is_string(text) || json_string_length(text) == 0)
		return error_set(err, CT_EINVAL,
				 "field 'text' is missing or empty");
	return 0;
}
