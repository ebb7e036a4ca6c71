/*
 * libFuzzer target for the JPEG segment walk that marks copies of
 * photos (media/stamp.c), which the server runs on stored files in its
 * own process. Any input must be rejected or give a JPEG that starts
 * with SOI, states the mark and ends with the input's last byte, since
 * everything from the scan on is copied unchanged.
 */
#include "common/common.h"

#include "media/stamp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char mark[] = "复制件 — 申请编号 复制〔2026〕1号 申请人 张三 "
			   "日期 2026-12-05 份号 00000000";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT_MAX((size_t)64 << 20);
	struct error err;

	error_clear(&err);
	if (stamp_jpeg_data(data, size, mark, (int)(size % 10), &out,
			    &err) != 0) {
		buf_release(&out);
		return 0;
	}
	if (out.len < 2 || (uint8_t)out.data[0] != 0xff ||
	    (uint8_t)out.data[1] != 0xd8)
		abort();
	if (!memmem(out.data, out.len, mark, strlen(mark)))
		abort();
	if (out.data[out.len - 1] != (char)data[size - 1])
		abort();
	buf_release(&out);
	return 0;
}
