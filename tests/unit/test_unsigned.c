/*
 * The unsigned-record finding (src/cases/evaluate.c): a staff signature
 * named in a record counts only once the person's SM2 signature entry
 * exists. The evaluation runs on a real case at chosen times, with a
 * stand-in for the module that records signatures. So the deadline, the
 * end of the day after the record was written, passes without waiting.
 */
#include "common/common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <unistd.h>

#include "cases/internal.h"

#define DAY (24 * 3600 * 1000LL)

/* What the stand-in returns, and the request it last got. */
static int64_t signed_time = -1;
static uint64_t asked_seq;
static char asked_user[64], asked_role[64];

static int64_t stub_signed_at(void *ctx, struct store *s, uint64_t seq,
			      const char *user, const char *role)
{
	(void)ctx, (void)s;
	asked_seq = seq;
	snprintf(asked_user, sizeof(asked_user), "%s", user);
	snprintf(asked_role, sizeof(asked_role), "%s", role);
	return signed_time;
}

struct fixture {
	char tmp[256], dir[300];
	struct ledger *l;
	struct cases *c;
	char case_id[CASE_ID_MAX + 1];
	uint64_t seq;  /* the assignment, signed by its approver */
	int64_t ts_ms; /* when it was written */
};

static void add_user(struct cases *c, const char *name, const char *role)
{
	struct actor by = { "tester", NULL };
	struct error err = { 0 };
	json_t *u = json_pack("{s:s, s:[s], s:s}", "name", name, "roles", role,
			      "unit", "licensing");
	json_t *out = NULL;

	assert_int_equal(cases_user_add(c, u, &by, &out, &err), 0);
	json_decref(out);
	json_decref(u);
}

static int setup(void **state)
{
	struct cases_projector proj = { NULL, NULL, NULL, stub_signed_at };
	struct fixture *f = calloc(1, sizeof(*f));
	struct actor by = { "li.clerk", NULL };
	struct error err = { 0 };
	const char *data = getenv("CASETRAIL_DATA");
	char today[32];
	json_t *req, *out = NULL, *fields;
	struct record_request q = { 0 };

	assert_non_null(data);
	snprintf(f->tmp, sizeof(f->tmp), "/tmp/casetrail-unsigned-XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	snprintf(f->dir, sizeof(f->dir), "%s/store", f->tmp);
	assert_int_equal(ledger_create(f->dir, "gm", "test.example", &err), 0);
	assert_int_equal(ledger_open(f->dir, 0, &f->l, &err), 0);
	assert_int_equal(cases_open_with(f->l, data, &proj, &f->c, &err), 0);
	add_user(f->c, "li.clerk", "clerk");
	add_user(f->c, "zhao.handler", "handler");
	add_user(f->c, "qian.reviewer", "reviewer");
	add_user(f->c, "zhang.head", "approver");

	cases_time_format(ledger_now_ms(), today);
	req = json_pack("{s:s, s:s, s:s}", "matter", "spjy-xk", "applicant",
			"某某餐饮有限公司", "received", today);
	assert_int_equal(cases_new(f->c, req, &by, &out, &err), 0);
	snprintf(f->case_id, sizeof(f->case_id), "%s",
		 json_string_value(json_object_get(out, "id")));
	json_decref(out);
	json_decref(req);

	fields = json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:s}]}", "handler",
			   "zhao.handler", "reviewer", "qian.reviewer",
			   "signatures", "role", "approver", "person",
			   "zhang.head", "method", "staff", "at", today);
	q.case_id = f->case_id;
	q.kind = "assignment";
	q.fields = fields;
	by.user = "zhang.head";
	if (cases_record_add(f->c, &q, &by, &out, &err) != 0)
		fail_msg("assignment: %s", err.msg);
	f->seq = (uint64_t)json_integer_value(json_object_get(out, "seq"));
	f->ts_ms = json_integer_value(json_object_get(out, "ts"));
	json_decref(out);
	json_decref(fields);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[600];

	cases_close(f->c);
	ledger_close(f->l);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->tmp);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Evaluates the case at now_ms; returns its unsigned-record finding. */
static json_t *evaluate(struct fixture *f, int64_t now_ms, bool checked)
{
	struct check_env env = { &f->c->cat, f->c->cal,
				 (user_lookup_fn)user_read, NULL,
				 checked ? stub_signed_at : NULL, NULL, NULL };
	json_t *deadlines = json_object(), *found = json_array(), *hit = NULL;
	struct error err = { 0 };
	struct case_state cs;
	struct store *s;
	json_t *v;
	size_t i;

	assert_int_equal(ledger_read_begin(f->l, &s, &err), 0);
	env.user_ctx = env.store = s;
	assert_int_equal(case_load(f->c, s, f->case_id, &cs, &err), 0);
	assert_int_equal(case_evaluate(&cs, &env, now_ms, deadlines, found), 0);
	case_state_release(&cs);
	ledger_read_end(f->l, s);
	json_array_foreach(found, i, v)
		if (!strcmp(json_string_value(json_object_get(v, "code")),
			    "unsigned-record"))
			hit = json_incref(v);
	json_decref(found);
	json_decref(deadlines);
	return hit;
}

static void test_unsigned_after_next_day(void **state)
{
	struct fixture *f = *state;
	int64_t due = day_start_ms(day_of_ms(f->ts_ms) + 2);
	json_t *hit;

	signed_time = -1;
	assert_null(evaluate(f, f->ts_ms + 3600 * 1000, true));
	assert_null(evaluate(f, due - 1, true));
	hit = evaluate(f, due, true);
	assert_non_null(hit);
	assert_int_equal(json_integer_value(json_object_get(hit, "detected")),
			 due);
	assert_int_equal(json_integer_value(json_object_get(hit, "record")),
			 f->seq);
	assert_string_equal(json_string_value(json_object_get(hit,
							      "responsible")),
			    "zhang.head");
	assert_string_equal(json_string_value(json_object_get(hit, "key")),
			    "approver/zhang.head");
	json_decref(hit);
	/* The signature asked for is the approver's, over the record. */
	assert_int_equal(asked_seq, f->seq);
	assert_string_equal(asked_user, "zhang.head");
	assert_string_equal(asked_role, "approver");
	/* Without a module that records signatures nothing is raised. */
	assert_null(evaluate(f, due + DAY, false));
}

static void test_late_signature_cures(void **state)
{
	struct fixture *f = *state;
	int64_t due = day_start_ms(day_of_ms(f->ts_ms) + 2);
	json_t *hit;

	signed_time = f->ts_ms + 60 * 1000;
	assert_null(evaluate(f, due + 10 * DAY, true));
	/* Signed late: open until the signature, which cures it. */
	signed_time = due + 2 * DAY;
	hit = evaluate(f, due + DAY, true);
	assert_non_null(hit);
	json_decref(hit);
	assert_null(evaluate(f, due + 2 * DAY, true));
	signed_time = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_unsigned_after_next_day, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_late_signature_cures, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
