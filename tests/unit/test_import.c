/*
 * ledger_import against real stores: entries of one store imported at
 * the end of a backup of it, as a restore does with a witness's
 * entries. Nothing is stored unless every entry is well formed and the
 * whole tree has the expected root.
 */
#include "common/common.h"

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "ledger/ledger.h"
#include "ledger/verify.h"

#define BACKUP_SIZE 3
#define TOTAL 8

struct fixture {
	char tmp[256];
	char dir[300], backup[300];
	struct buf bodies[TOTAL];
	struct ledger_import_entry entries[TOTAL];
	uint8_t root[HASH_LEN];
};

static void append_note(struct ledger *l, int i)
{
	json_t *fields = json_pack("{s:i}", "n", i);
	struct ledger_record rec = { .kind = "note", .case_id = "C-1",
				     .actor = "tester", .fields = fields,
				     .supersedes = -1 };
	struct ledger_receipt r;
	struct error err = { 0 };

	assert_int_equal(ledger_append(l, &rec, &r, &err), 0);
	json_decref(fields);
}

/* A store of TOTAL notes, a backup of its first BACKUP_SIZE, and the
 * entries and root of the whole log. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct error err = { 0 };
	struct ledger *l;
	int i;

	snprintf(f->tmp, sizeof(f->tmp), "/tmp/casetrail-import-XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	snprintf(f->dir, sizeof(f->dir), "%s/store", f->tmp);
	snprintf(f->backup, sizeof(f->backup), "%s/backup", f->tmp);
	assert_int_equal(ledger_create(f->dir, "gm", "test.example", &err), 0);
	assert_int_equal(ledger_open(f->dir, 0, &l, &err), 0);
	for (i = 0; i < TOTAL; i++) {
		append_note(l, i);
		if (i == BACKUP_SIZE - 1)
			assert_int_equal(ledger_backup(l, f->backup, &err), 0);
	}
	for (i = 0; i < TOTAL; i++) {
		buf_init(&f->bodies[i], LEDGER_ENTRY_MAX + 1);
		assert_int_equal(ledger_entry(l, (uint64_t)i, &f->bodies[i],
					      &err), 0);
		f->entries[i].body = f->bodies[i].data;
		f->entries[i].len = f->bodies[i].len;
	}
	assert_int_equal(ledger_root(l, TOTAL, f->root, &err), 0);
	ledger_close(l);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[600];

	for (int i = 0; i < TOTAL; i++)
		buf_release(&f->bodies[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->tmp);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static uint64_t size_of(const char *dir)
{
	struct error err = { 0 };
	struct ledger *l;
	uint64_t size = 0;

	assert_int_equal(ledger_open(dir, LEDGER_READONLY, &l, &err), 0);
	assert_int_equal(ledger_size(l, &size, &err), 0);
	ledger_close(l);
	return size;
}

/* Imports the n entries e at the end of the backup, checked against root. */
static int import(struct fixture *f, const struct ledger_import_entry *e,
		  size_t n, const uint8_t *root, unsigned flags,
		  struct error *err)
{
	struct ledger *l;
	int rc;

	assert_int_equal(ledger_open(f->backup, 0, &l, err), 0);
	rc = ledger_import(l, BACKUP_SIZE, e, n, root, flags, NULL, NULL,
			   err);
	ledger_close(l);
	return rc;
}

static void import_stores_entries_and_tree(void **state)
{
	struct fixture *f = *state;
	struct verify_options opt = { .check_blobs = 1, .out = stderr };
	struct verify_result res;
	struct error err = { 0 };

	assert_int_equal(import(f, &f->entries[BACKUP_SIZE],
				TOTAL - BACKUP_SIZE, f->root, 0, &err), 0);
	assert_int_equal(size_of(f->backup), TOTAL);
	/* The tree and entries verify; only the content is missing. */
	assert_int_equal(ledger_verify(f->backup, &opt, &res, &err), 0);
	assert_int_equal(res.entries, TOTAL);
	assert_int_equal(res.problems, TOTAL - BACKUP_SIZE);
}

static void check_only_stores_nothing(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };

	assert_int_equal(import(f, &f->entries[BACKUP_SIZE],
				TOTAL - BACKUP_SIZE, f->root,
				LEDGER_IMPORT_CHECK, &err), 0);
	assert_int_equal(size_of(f->backup), BACKUP_SIZE);
}

static void wrong_root_stores_nothing(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	uint8_t root[HASH_LEN];

	memcpy(root, f->root, HASH_LEN);
	root[0] ^= 1;
	assert_int_equal(import(f, &f->entries[BACKUP_SIZE],
				TOTAL - BACKUP_SIZE, root, 0, &err),
			 CT_ECORRUPT);
	assert_non_null(strstr(err.msg, "root"));
	assert_int_equal(size_of(f->backup), BACKUP_SIZE);
	/* Fewer entries than the root covers fail the same way. */
	error_clear(&err);
	assert_int_equal(import(f, &f->entries[BACKUP_SIZE],
				TOTAL - BACKUP_SIZE - 1, f->root, 0, &err),
			 CT_ECORRUPT);
	assert_int_equal(size_of(f->backup), BACKUP_SIZE);
}

static void swapped_entries_are_refused(void **state)
{
	struct fixture *f = *state;
	struct ledger_import_entry e[TOTAL - BACKUP_SIZE];
	struct error err = { 0 };

	memcpy(e, &f->entries[BACKUP_SIZE], sizeof(e));
	e[0] = f->entries[BACKUP_SIZE + 1];
	e[1] = f->entries[BACKUP_SIZE];
	assert_int_equal(import(f, e, TOTAL - BACKUP_SIZE, f->root, 0, &err),
			 CT_EINVAL);
	assert_non_null(strstr(err.msg, "carries seq"));
	assert_int_equal(size_of(f->backup), BACKUP_SIZE);
}

static void non_canonical_entry_is_refused(void **state)
{
	struct fixture *f = *state;
	struct ledger_import_entry e[TOTAL - BACKUP_SIZE];
	struct buf spaced = BUF_INIT_MAX(LEDGER_ENTRY_MAX + 2);
	struct error err = { 0 };

	memcpy(e, &f->entries[BACKUP_SIZE], sizeof(e));
	assert_int_equal(buf_putc(&spaced, ' '), 0);
	assert_int_equal(buf_append(&spaced, e[2].body, e[2].len), 0);
	e[2].body = spaced.data;
	e[2].len = spaced.len;
	assert_int_equal(import(f, e, TOTAL - BACKUP_SIZE, f->root, 0, &err),
			 CT_EINVAL);
	assert_non_null(strstr(err.msg, "canonical"));
	assert_int_equal(size_of(f->backup), BACKUP_SIZE);
	buf_release(&spaced);
}

static void import_only_at_the_end(void **state)
{
	struct fixture *f = *state;
	struct error err = { 0 };
	struct ledger *l;

	assert_int_equal(ledger_open(f->backup, 0, &l, &err), 0);
	assert_int_equal(ledger_import(l, BACKUP_SIZE - 1,
				       &f->entries[BACKUP_SIZE - 1],
				       TOTAL - BACKUP_SIZE + 1, f->root, 0,
				       NULL, NULL, &err), CT_ESTATE);
	ledger_close(l);
	assert_int_equal(size_of(f->backup), BACKUP_SIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(import_stores_entries_and_tree,
						setup, teardown),
		cmocka_unit_test_setup_teardown(check_only_stores_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_root_stores_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(swapped_entries_are_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(non_canonical_entry_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(import_only_at_the_end, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
