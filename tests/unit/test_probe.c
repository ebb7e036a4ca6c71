/*
 * probe_run() against stand-in probers: shell scripts that print a
 * report, hang, crash, print garbage or grow past the memory limit. The
 * parent must return a report in every case and an error only when the
 * program cannot be started.
 */
#include "common/common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "media/probe.h"

static char dir[] = "/tmp/casetrail-probe-run-XXXXXX";

/* Writes an executable shell script named name and returns its path. */
static const char *script(const char *name, const char *body)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

static json_t *run(const char *exe, int seconds, int memory_mb)
{
	struct probe_limits lim = { .seconds = seconds,
				    .memory_mb = memory_mb };
	struct error err = { 0 };
	json_t *result = NULL;

	assert_int_equal(probe_run(exe, "/dev/null", NULL, &lim, &result,
				   &err), 0);
	assert_non_null(result);
	return result;
}

/* Returns the first problem of an unprobeable result. */
static const char *unprobeable_reason(json_t *result)
{
	assert_true(json_is_true(json_object_get(result, "unprobeable")));
	return json_string_value(json_array_get(
		json_object_get(result, "problems"), 0));
}

static void report_passes_through(void **state)
{
	const char *exe = script("ok", "echo '{\"kind\": \"other\", "
				       "\"problems\": []}'");
	json_t *r = run(exe, 5, 0);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(r, "kind")),
			    "other");
	assert_null(json_object_get(r, "unprobeable"));
	json_decref(r);
}

static void hang_times_out(void **state)
{
	const char *exe = script("hang", "exec sleep 30");
	time_t start = time(NULL);
	json_t *r = run(exe, 1, 0);

	(void)state;
	assert_string_equal(unprobeable_reason(r),
			    "unprobeable: timed out after 1 s");
	assert_true(time(NULL) - start < 5);
	json_decref(r);
}

static void crash_is_unprobeable(void **state)
{
	const char *exe = script("crash", "kill -SEGV $$");
	json_t *r = run(exe, 5, 0);

	(void)state;
	assert_string_equal(unprobeable_reason(r),
			    "unprobeable: killed by signal 11");
	json_decref(r);
}

static void garbage_is_unprobeable(void **state)
{
	const char *exe = script("garbage", "echo 'not json'");
	json_t *r = run(exe, 5, 0);

	(void)state;
	assert_string_equal(unprobeable_reason(r),
			    "unprobeable: output is not a JSON object");
	json_decref(r);
}

static void failure_status_is_unprobeable(void **state)
{
	const char *exe = script("fail", "echo '{}'; exit 3");
	json_t *r = run(exe, 5, 0);

	(void)state;
	assert_string_equal(unprobeable_reason(r),
			    "unprobeable: exited with status 3");
	json_decref(r);
}

static void memory_hog_is_killed(void **state)
{
	/* Python fills 400 MiB of resident memory and waits. */
	const char *exe = script("hog", "exec python3 -c 'import time; "
				       "b = bytearray(400 << 20); "
				       "time.sleep(30)'");
	json_t *r = run(exe, 20, 64);

	(void)state;
	assert_string_equal(unprobeable_reason(r),
			    "unprobeable: used more than 64 MiB");
	json_decref(r);
}

static void flood_is_killed(void **state)
{
	const char *exe = script("flood", "exec cat /dev/zero");
	json_t *r = run(exe, 20, 0);

	(void)state;
	assert_string_equal(unprobeable_reason(r),
			    "unprobeable: printed more than 1048576 bytes");
	json_decref(r);
}

static void missing_program_is_error(void **state)
{
	struct error err = { 0 };
	json_t *result = NULL;
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/absent", dir);
	assert_int_equal(probe_run(path, "/dev/null", NULL, NULL, &result,
				   &err), CT_EIO);
	assert_null(result);
	assert_non_null(strstr(err.msg, "absent"));
}

static int make_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	static const char *const names[] = { "ok", "hang", "crash",
					     "garbage", "fail", "hog",
					     "flood" };
	char path[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(report_passes_through),
		cmocka_unit_test(hang_times_out),
		cmocka_unit_test(crash_is_unprobeable),
		cmocka_unit_test(garbage_is_unprobeable),
		cmocka_unit_test(failure_status_is_unprobeable),
		cmocka_unit_test(memory_hog_is_killed),
		cmocka_unit_test(flood_is_killed),
		cmocka_unit_test(missing_program_is_error),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
