/*
 * The workflow's public calls (cases.h): opening the workflow on a
 * ledger, cases, records and corrections, users and tokens, queries.
 */
#include "common/common.h"

#include "common/jcs.h"
#include "common/log.h"
#include "content/content.h"
#include "internal.h"

/* How far in the future an event time may lie (clock skew). */
static int load_calendar(struct cases *c, struct error *err)
{
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s/calendar", c->cat.dir);
	c->cal = calendar_new();
	if (!c->cal)
		return error_set(err, CT_ENOMEM, "out of memory");
	return calendar_load_dir(c->cal, dir, err);
}

static int catch_up(void *ctx, struct store *s, struct error *err)
{
	return project_catch_up(ctx, s, err);
}

/* Applies the calendar years imported into the log. */
static int apply_imported(void *ctx, int year, uint64_t seq, const char *body)
{
	struct cases *c = ctx;
	json_t *v = json_loads(body, 0, NULL);
	int rc = v ? calendar_add_year(c->cal, json_object_get(v, "file"), NULL)
		   : 0;

	(void)year;
	(void)seq;
	json_decref(v);
	return rc;
}

static int read_imported(struct cases *c, struct error *err)
{
	struct store *s;
	int rc = ledger_read_begin(c->ledger, &s, err);

	if (rc)
		return rc;
	rc = store_calendar_scan(s, apply_imported, c, err);
	ledger_read_end(c->ledger, s);
	return rc;
}

int cases_open(struct ledger *l, const char *data_dir, struct cases **out,
	       struct error *err)
{
	return cases_open_with(l, data_dir, NULL, out, err);
}

int cases_open_with(struct ledger *l, const char *data_dir,
		    const struct cases_projector *extra, struct cases **out,
		    struct error *err)
{
	struct cases *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return error_set(err, CT_ENOMEM, "out of memory");
	c->ledger = l;
	c->alg = ledger_config(l)->alg;
	if (extra)
		c->extra = *extra;
	c->cache = json_object();
	c->tokens = json_object();
	c->states = calloc(STATE_CACHE_SLOTS, sizeof(*c->states));
	if (!c->cache || !c->tokens || !c->states) {
		json_decref(c->cache);
		json_decref(c->tokens);
		free(c->states);
		free(c);
		return error_set(err, CT_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&c->cal_mu, NULL);
	pthread_mutex_init(&c->cache_mu, NULL);
	rc = catalogue_load(&c->cat, data_dir, err);
	if (rc == 0)
		rc = load_calendar(c, err);
	if (rc == 0)
		rc = read_imported(c, err);
	if (rc == 0) {
		ledger_set_hook(l, project_entry, c);
		rc = ledger_write(l, catch_up, c, err);
		/* A read-only store is projected as far as it was. */
		if (rc == CT_EPERM)
			rc = 0;
	}
	if (rc) {
		cases_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

void cases_close(struct cases *c)
{
	if (!c)
		return;
	if (c->ledger)
		ledger_set_hook(c->ledger, NULL, NULL);
	state_cache_clear(c);
	free(c->states);
	catalogue_release(&c->cat);
	calendar_free(c->cal);
	json_decref(c->cache);
	json_decref(c->tokens);
	pthread_mutex_destroy(&c->cal_mu);
	pthread_mutex_destroy(&c->cache_mu);
	free(c);
}

const json_t *cases_matters(const struct cases *c)
{
	return c->cat.matters;
}

const json_t *cases_kinds(const struct cases *c)
{
	return c->cat.kinds;
}

const json_t *cases_laws(const struct cases *c)
{
	return c->cat.laws;
}

struct ledger *cases_ledger(struct cases *c)
{
	return c->ledger;
}

const char *cases_data_dir(const struct cases *c)
{
	return c->cat.dir;
}

const struct calendar *cases_calendar_get(struct cases *c)
{
	return c->cal;
}

/* --- appending ----------------------------------------------------------- */

static int append(struct cases *c, const char *kind, const char *case_id,
		  const json_t *fields, const struct ledger_attachment *atts,
		  size_t natts, int has_at, int64_t at_ms, int64_t supersedes,
		  const struct actor *by, struct ledger_receipt *receipt,
		  struct error *err)
{
	struct ledger_record rec = {
		.kind = kind, .case_id = case_id, .actor = by->user,
		.os_user = by->os_user, .has_at = has_at, .at_ms = at_ms,
		.fields = fields, .attachments = atts, .nattachments = natts,
		.supersedes = supersedes,
	};

	return ledger_append(c->ledger, &rec, receipt, err);
}

struct counter_ctx {
	const char *name;
	uint64_t value;
};

static int next_counter(void *ctx, struct store *s, struct error *err)
{
	struct counter_ctx *cc = ctx;

	return store_counter_next(s, cc->name, &cc->value, err);
}

/* Draws the next value of a counter, durably, so it is never reused. */
int cases_counter_next(struct cases *c, const char *name, uint64_t *value,
		       struct error *err)
{
	struct counter_ctx cc = { name, 0 };
	int rc = ledger_write(c->ledger, next_counter, &cc, err);

	*value = cc.value;
	return rc;
}

/* --- users and tokens ---------------------------------------------------- */

static int valid_login(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > USER_NAME_MAX)
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

static int known_role(const struct cases *c, const char *role)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(c->cat.kinds, "roles"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "code")) ?: "",
			    role))
			return 1;
	return 0;
}

/*
 * The three administration roles are never held by one person. A user
 * may have no role yet: the security administrator grants them later.
 */
static int check_roles(const struct cases *c, const json_t *roles,
		       struct error *err)
{
	static const char *const admin[] = { "sysadmin", "secadmin", "auditor" };
	int admins = 0;
	json_t *r;
	size_t i;

	if (roles && !json_is_array(roles))
		return error_set(err, CT_EINVAL, "a user's roles are a list, "
				 "for example --role handler,reviewer");
	json_array_foreach(roles, i, r) {
		const char *code = json_string_value(r);

		if (!code || !known_role(c, code))
			return error_set(err, CT_EINVAL, "role '%s' is unknown; "
					 "the roles are listed in "
					 "record-kinds.json", code ?: "");
		for (size_t j = 0; j < ARRAY_SIZE(admin); j++)
			admins += !strcmp(code, admin[j]);
	}
	if (admins && json_array_size(roles) > 1 && admins == 1)
		return error_set(err, CT_EINVAL, "an administration role "
				 "(sysadmin, secadmin, auditor) is never held "
				 "with another role, since administrators read "
				 "no case content");
	if (admins > 1)
		return error_set(err, CT_EINVAL, "the system administrator, "
				 "security administrator and security auditor "
				 "roles must be held by different people");
	return 0;
}

int cases_user_add(struct cases *c, const json_t *user,
		   const struct actor *by, json_t **out, struct error *err)
{
	static const char *const allowed[] = {
		"name", "display_name", "roles", "unit", "superior",
		"credential", "credential_valid_until",
	};
	const char *name = json_string_value(json_object_get(user, "name"));
	const char *until = json_string_value(json_object_get(
		user, "credential_valid_until"));
	struct ledger_receipt receipt;
	const char *key;
	json_t *v;
	int32_t day;
	int rc;

	json_object_foreach((json_t *)user, key, v) {
		size_t i = 0;

		while (i < ARRAY_SIZE(allowed) && strcmp(key, allowed[i]))
			i++;
		if (i == ARRAY_SIZE(allowed) || !(json_is_string(v) ||
						  json_is_array(v)))
			return error_set(err, CT_EINVAL, "user field '%s' is "
					 "unknown or not text", key);
	}
	if (!name || !valid_login(name))
		return error_set(err, CT_EINVAL, "user name '%s' is invalid; use "
				 "1 to %d of a-z, 0-9, '.', '_' and '-'",
				 name ?: "", USER_NAME_MAX);
	rc = check_roles(c, json_object_get(user, "roles"), err);
	if (rc)
		return rc;
	if (json_object_get(user, "superior")) {
		json_t *sup = NULL;
		const char *sname = json_string_value(json_object_get(
			user, "superior"));

		if (!sname || cases_user_get(c, sname, &sup, NULL) != 0)
			return error_set(err, CT_EINVAL, "superior '%s' is not "
					 "a registered user; add the superior "
					 "first", sname ?: "");
		json_decref(sup);
	}
	if (json_object_get(user, "credential") && (!until ||
						    day_parse(until, &day)))
		return error_set(err, CT_EINVAL, "credential_valid_until '%s' "
				 "must be a real date (YYYY-MM-DD) when a "
				 "credential is given", until ?: "");
	rc = append(c, KIND_USER, NULL, user, NULL, 0, 0, 0, -1, by, &receipt,
		    err);
	if (rc == 0 && out)
		rc = cases_user_get(c, name, out, err);
	if (rc == 0)
		log_info("cases", "user added", "user=%s seq=%" PRIu64, name,
			 receipt.seq);
	return rc;
}

int cases_user_get(struct cases *c, const char *name, json_t **out,
		   struct error *err)
{
	struct store *s;
	int rc = ledger_read_begin(c->ledger, &s, err);

	if (rc)
		return rc;
	*out = user_read(s, name);
	ledger_read_end(c->ledger, s);
	if (!*out)
		return error_set(err, CT_ENOTFOUND, "user '%s' not found; add "
				 "users with 'casetrail user add'", name);
	return 0;
}

static int collect_json(void *ctx, const char *text, size_t len)
{
	json_t *v = json_loadb(text, len, 0, NULL);

	if (v)
		json_array_append_new(ctx, v);
	return 0;
}

int cases_user_list(struct cases *c, json_t **out, struct error *err)
{
	struct store *s;
	json_t *items = json_array();
	int rc = ledger_read_begin(c->ledger, &s, err);

	if (rc == 0) {
		rc = store_user_list(s, collect_json, items, err);
		ledger_read_end(c->ledger, s);
	}
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o, s:I}", "items", items, "total",
			 (json_int_t)json_array_size(items));
	return 0;
}

