/*
 * The bureau's data as loaded by cases_open (matters, record kinds, the
 * law library) and its users, read-only. Lists are paged with offset and
 * limit. The law list gives each law's id, title and versions without
 * their articles, which /api/v1/laws/{id} returns in full.
 */
#include "common/common.h"

#include <jansson.h>

#include "api.h"

static const char *const page_names[] = { "offset", "limit", NULL };

/* Returns a new array of the elements of items whose key equals value. */
static json_t *filter_items(const json_t *items, const char *key,
			    const char *value)
{
	json_t *out = json_array(), *item;
	size_t i;

	json_array_foreach(items, i, item)
	{
		const char *text = json_string_value(json_object_get(item, key));

		if (out && text && !strcmp(text, value) &&
		    json_array_append(out, item) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

/*
 * Replies with a page of items, keeping those whose key equals the value
 * of query parameter filter when it is given.
 */
static int reply_filtered(struct api_call *call, const json_t *items,
			  const char *filter, const char *key,
			  struct reply *r, struct error *err)
{
	const char *const names[] = { filter, "offset", "limit", NULL };
	const char *value = NULL;
	size_t offset, limit;
	json_t *matching;
	int rc;

	rc = query_check(call->c, filter ? names : page_names, r);
	if (rc == 0 && filter)
		rc = query_text(call->c, filter, &value, r);
	if (rc == 0)
		rc = query_page(call->c, &offset, &limit, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	if (!items)
		return error_set(err, CT_ECORRUPT, "the bureau data has no "
				 "list of this resource");
	if (!value)
		return reply_page(r, items, offset, limit);
	matching = filter_items(items, key, value);
	if (!matching)
		return CT_ENOMEM;
	rc = reply_page(r, matching, offset, limit);
	json_decref(matching);
	return rc;
}

/* Replies with the element of items whose key is the path parameter. */
static int reply_one(struct api_call *call, const json_t *items,
		     const char *key, const char *what, struct reply *r,
		     struct error *err)
{
	const char *value = call->params[0];
	const json_t *item;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	if (!items)
		return error_set(err, CT_ECORRUPT, "the bureau data has no "
				 "list of %ss", what);
	item = api_find(items, key, value);
	if (!item)
		return reply_problem_of(r, PROBLEM_NOT_FOUND,
					"%s '%s' not found", what, value);
	return reply_json(r, json_incref((json_t *)item), CACHE_NONE);
}

int serve_matters(struct api_call *call, struct reply *r, struct error *err)
{
	return reply_filtered(call,
			      api_items(cases_matters(call->s->cases),
					"matters"),
			      "type", "type", r, err);
}

int serve_matter(struct api_call *call, struct reply *r, struct error *err)
{
	return reply_one(call,
			 api_items(cases_matters(call->s->cases), "matters"),
			 "code", "matter", r, err);
}

int serve_kinds(struct api_call *call, struct reply *r, struct error *err)
{
	return reply_filtered(call,
			      api_items(cases_kinds(call->s->cases), "kinds"),
			      "stage", "stage", r, err);
}

int serve_kind(struct api_call *call, struct reply *r, struct error *err)
{
	return reply_one(call,
			 api_items(cases_kinds(call->s->cases), "kinds"),
			 "code", "record kind", r, err);
}

/* Returns {id, title, versions: [{version, effective}]} of a law. */
static json_t *law_summary(const json_t *law)
{
	json_t *versions = json_array(), *version;
	size_t i;

	json_array_foreach(json_object_get(law, "versions"), i, version)
	{
		json_t *v = json_pack("{s:O?, s:O?}", "version",
				      json_object_get(version, "version"),
				      "effective",
				      json_object_get(version, "effective"));

		if (!versions || json_array_append_new(versions, v) != 0) {
			json_decref(versions);
			return NULL;
		}
	}
	return json_pack("{s:O?, s:O?, s:o*}", "id",
			 json_object_get(law, "id"), "title",
			 json_object_get(law, "title"), "versions", versions);
}

int serve_laws(struct api_call *call, struct reply *r, struct error *err)
{
	const json_t *laws = api_items(cases_laws(call->s->cases), "laws");
	json_t *summaries, *law;
	size_t i;
	int rc;

	if (!laws)
		return reply_filtered(call, NULL, NULL, NULL, r, err);
	summaries = json_array();
	json_array_foreach(laws, i, law)
	{
		if (!summaries ||
		    json_array_append_new(summaries, law_summary(law)) != 0) {
			json_decref(summaries);
			return CT_ENOMEM;
		}
	}
	rc = reply_filtered(call, summaries, NULL, NULL, r, err);
	json_decref(summaries);
	return rc;
}

int serve_law(struct api_call *call, struct reply *r, struct error *err)
{
	return reply_one(call, api_items(cases_laws(call->s->cases), "laws"),
			 "id", "law", r, err);
}

int serve_users(struct api_call *call, struct reply *r, struct error *err)
{
	json_t *users = NULL;
	int rc;

	rc = cases_user_list(call->s->cases, &users, err);
	if (rc)
		return reply_error(r, rc, err);
	rc = reply_filtered(call, api_items(users, "items"), NULL, NULL, r,
			    err);
	json_decref(users);
	return rc;
}

int serve_user(struct api_call *call, struct reply *r, struct error *err)
{
	json_t *user = NULL;
	int rc;

	rc = query_check(call->c, (const char *const[]){ NULL }, r);
	if (rc)
		return rc == CT_EINVAL ? 0 : rc;
	rc = cases_user_get(call->s->cases, call->params[0], &user, err);
	if (rc)
		return reply_error(r, rc, err);
	return reply_json(r, user, CACHE_NONE);
}
