#include "common/common.h"
#include "archive/archive.h"
int archive_verify(const char *path, const char *key_pem,
		   archive_problem_fn problem, void *ctx, struct error *err)
{
	(void)path; (void)key_pem; (void)problem; (void)ctx; (void)err;
	return 0;
}
