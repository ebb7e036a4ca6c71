/*
 * Ledger tests against a real store in a temporary folder: concurrent
 * appends through group commit, two writers on one store (as the CLI and
 * the server are), proofs against the stored tree, checkpoints and
 * verify.
 */
#include "common/common.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>
#include <unistd.h>

#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/verify.h"

struct fixture {
	char dir[300];
	char tmp[256];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct error err = { 0 };

	snprintf(f->tmp, sizeof(f->tmp), "/tmp/casetrail-ledger-XXXXXX");
	assert_non_null(mkdtemp(f->tmp));
	snprintf(f->dir, sizeof(f->dir), "%s/store", f->tmp);
	assert_int_equal(ledger_create(f->dir, "gm", "test.example", &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->tmp);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int append_note(struct ledger *l, const char *text,
		       struct ledger_receipt *r)
{
	json_t *fields = json_pack("{s:s}", "text", text);
	struct ledger_record rec = { .kind = "note", .case_id = "C-1",
				     .actor = "tester", .fields = fields,
				     .supersedes = -1 };
	struct error err = { 0 };
	int rc = ledger_append(l, &rec, r, &err);

	json_decref(fields);
	return rc;
}

static uint64_t verify_problems(const char *dir)
{
	struct verify_options opt = { .check_blobs = 1, .out = stderr };
	struct verify_result res;
	struct error err = { 0 };

	assert_int_equal(ledger_verify(dir, &opt, &res, &err), 0);
	return res.problems;
}

struct worker {
	struct ledger *l;
	int id, count;
	uint64_t *seqs;
};

static void *append_worker(void *arg)
{
	struct worker *w = arg;
	struct ledger_receipt r;
	char text[64];

	for (int i = 0; i < w->count; i++) {
		snprintf(text, sizeof(text), "worker %d note %d", w->id, i);
		if (append_note(w->l, text, &r) != 0)
			return (void *)1;
		w->seqs[i] = r.seq;
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* 16 threads x 50 appends: every seq from 0 to 799 exactly once. */
static void concurrent_appends_get_unique_seqs(void **state)
{
	struct fixture *f = *state;
	enum { THREADS = 16, EACH = 50 };
	static uint64_t seqs[THREADS * EACH];
	struct worker w[THREADS];
	pthread_t t[THREADS];
	struct ledger *l;
	struct error err = { 0 };
	uint64_t size;

	assert_int_equal(ledger_open(f->dir, 0, &l, &err), 0);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ l, i, EACH, seqs + i * EACH };
		assert_int_equal(pthread_create(&t[i], NULL, append_worker,
						&w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		assert_null(ret);
	}
	qsort(seqs, THREADS * EACH, sizeof(seqs[0]), cmp_u64);
	for (uint64_t i = 0; i < THREADS * EACH; i++)
		assert_int_equal(seqs[i], i);
	assert_int_equal(ledger_size(l, &size, &err), 0);
	assert_int_equal(size, THREADS * EACH);
	ledger_close(l);
	assert_int_equal(verify_problems(f->dir), 0);
}

/* Two handles on one store append in turn, as the CLI and a server do. */
static void two_writers_share_one_tree(void **state)
{
	struct fixture *f = *state;
	struct ledger *a, *b;
	struct ledger_receipt r;
	struct error err = { 0 };
	uint8_t proof[MERKLE_MAX_PROOF][HASH_LEN], root[HASH_LEN],
		leaf[HASH_LEN];
	uint64_t size;
	size_t n;

	assert_int_equal(ledger_open(f->dir, 0, &a, &err), 0);
	assert_int_equal(ledger_open(f->dir, 0, &b, &err), 0);
	for (int i = 0; i < 37; i++) {
		assert_int_equal(append_note(i % 3 ? a : b, "turn", &r), 0);
		assert_int_equal(r.seq, (uint64_t)i);
		assert_int_equal(r.tree_size, (uint64_t)i + 1);
	}
	/* Every leaf proves against the root either handle computes. */
	assert_int_equal(ledger_root(b, 37, root, &err), 0);
	for (uint64_t s = 0; s < 37; s++) {
		assert_int_equal(ledger_inclusion(a, s, 37, proof, &n, &size,
						  &err), 0);
		assert_int_equal(ledger_leaf(a, s, leaf, &err), 0);
		assert_int_equal(merkle_inclusion_verify(HASH_SM3, s, 37, leaf,
							 (const uint8_t(*)[
								 HASH_LEN])proof,
							 n, root), 0);
	}
	ledger_close(a);
	ledger_close(b);
	assert_int_equal(verify_problems(f->dir), 0);
}

/* A checkpoint signs the current root and verifies with the public keys. */
static void checkpoint_signs_current_root(void **state)
{
	struct fixture *f = *state;
	struct buf note = BUF_INIT_MAX(1 << 16);
	struct note_key keys[2];
	struct checkpoint cp;
	struct ledger_receipt r;
	struct ledger *l;
	struct error err = { 0 };
	uint8_t root[HASH_LEN];
	uint64_t size;
	size_t n;

	assert_int_equal(ledger_open(f->dir, 0, &l, &err), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(append_note(l, "signed", &r), 0);
	assert_int_equal(ledger_checkpoint(l, 0, &note, &size, &err), 0);
	assert_int_equal(size, 5);
	assert_int_equal(ledger_note_keys(l, keys, &n, 0, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(checkpoint_verify(note.data, note.len, keys, n, &cp,
					   &err), 0);
	assert_int_equal(cp.size, 5);
	assert_int_equal(ledger_root(l, 5, root, &err), 0);
	assert_memory_equal(cp.root, root, HASH_LEN);
	/* Nothing new: the latest checkpoint is returned, not a new one. */
	assert_int_equal(ledger_checkpoint(l, 0, &note, &size, &err), 0);
	assert_int_equal(size, 5);
	ledger_close(l);
	buf_release(&note);
}

/* The signer covers an append within 250 ms. */
static void signer_covers_appends_quickly(void **state)
{
	struct fixture *f = *state;
	struct buf note = BUF_INIT_MAX(1 << 16);
	struct ledger_receipt r;
	struct ledger *l;
	struct error err = { 0 };
	uint64_t size = 0;
	int64_t start;

	assert_int_equal(ledger_open(f->dir, 0, &l, &err), 0);
	assert_int_equal(ledger_signer_start(l, &err), 0);
	assert_int_equal(append_note(l, "watched", &r), 0);
	start = ledger_now_ms();
	while (size < r.seq + 1 && ledger_now_ms() - start < 2000) {
		usleep(5000);
		ledger_checkpoint_latest(l, &note, &size, &err);
	}
	assert_true(size >= r.seq + 1);
	assert_true(ledger_now_ms() - start <= 250);
	ledger_signer_stop(l);
	ledger_close(l);
	buf_release(&note);
}

/* Invalid records are rejected before anything is written. */
static void invalid_records_rejected(void **state)
{
	struct fixture *f = *state;
	json_t *fields = json_pack("{s:s}", "text", "x");
	struct ledger_record rec = { .kind = "note", .case_id = "../etc",
				     .actor = "tester", .fields = fields,
				     .supersedes = -1 };
	struct ledger_receipt r;
	struct ledger *l;
	struct error err = { 0 };
	uint64_t size;

	assert_int_equal(ledger_open(f->dir, 0, &l, &err), 0);
	assert_int_equal(ledger_append(l, &rec, &r, &err), CT_EINVAL);
	assert_non_null(strstr(err.msg, "case id"));
	error_clear(&err);
	rec.case_id = "C-1";
	rec.kind = "expunge";
	assert_int_equal(ledger_append(l, &rec, &r, &err), CT_EINVAL);
	error_clear(&err);
	rec.kind = "note";
	rec.actor = "";
	assert_int_equal(ledger_append(l, &rec, &r, &err), CT_EINVAL);
	assert_int_equal(ledger_size(l, &size, &err), 0);
	assert_int_equal(size, 0);
	ledger_close(l);
	json_decref(fields);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			concurrent_appends_get_unique_seqs, setup, teardown),
		cmocka_unit_test_setup_teardown(two_writers_share_one_tree,
						setup, teardown),
		cmocka_unit_test_setup_teardown(checkpoint_signs_current_root,
						setup, teardown),
		cmocka_unit_test_setup_teardown(signer_covers_appends_quickly,
						setup, teardown),
		cmocka_unit_test_setup_teardown(invalid_records_rejected,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
