/*
 * Thumbnails and poster frames: the first decoded picture is scaled with
 * libswscale to RGB24 at thumbnail size, turned upright by its EXIF
 * orientation, converted to full-range YUV 4:2:0 and encoded with
 * libavcodec's MJPEG encoder into a baseline JPEG file.
 */
#include "common/common.h"

#include <fcntl.h>
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
#include <unistd.h>

#include "probe_internal.h"

/* MJPEG quantiser scale: 2 is near lossless, 31 the coarsest. */
#define THUMB_QSCALE 4

/* Scales width x height to fit side, keeping the aspect ratio; never
 * enlarges. */
static void fit(int width, int height, int side, int *w, int *h)
{
	int longest = width > height ? width : height;

	*w = width;
	*h = height;
	if (longest <= side)
		return;
	*w = (int)((int64_t)width * side / longest);
	*h = (int)((int64_t)height * side / longest);
	if (*w < 1)
		*w = 1;
	if (*h < 1)
		*h = 1;
}

/* Converts src to RGB24 at the size that fits p->max_side. */
static void scale_to_picture(struct probe *p, const uint8_t *const src[],
			     const int stride[], enum AVPixelFormat format,
			     int width, int height)
{
	struct SwsContext *sws;
	AVFrame *dst;
	int w, h;

	if (width <= 0 || height <= 0 || !sws_isSupportedInput(format)) {
		probe_problem(p, "decode failed: cannot convert a %dx%d "
			      "picture in pixel format %s", width, height,
			      av_get_pix_fmt_name(format) ?
				      av_get_pix_fmt_name(format) : "none");
		return;
	}
	fit(width, height, p->max_side, &w, &h);
	dst = av_frame_alloc();
	sws = sws_getContext(width, height, format, w, h, AV_PIX_FMT_RGB24,
			     SWS_AREA, NULL, NULL, NULL);
	free(p->picture.rgb);
	p->picture.rgb = malloc((size_t)w * h * 3);
	/* swscale's SIMD code writes past the end of a row, so it writes
	 * into a padded frame, which is then copied row by row. */
	if (dst) {
		dst->format = AV_PIX_FMT_RGB24;
		dst->width = w;
		dst->height = h;
	}
	if (!sws || !p->picture.rgb || !dst ||
	    av_frame_get_buffer(dst, 0) < 0) {
		free(p->picture.rgb);
		p->picture.rgb = NULL;
		probe_problem(p, "decode failed: out of memory");
		goto out_free;
	}
	sws_scale(sws, src, stride, 0, height, dst->data, dst->linesize);
	for (int y = 0; y < h; y++)
		memcpy(p->picture.rgb + (size_t)y * w * 3,
		       dst->data[0] + (size_t)y * dst->linesize[0],
		       (size_t)w * 3);
	p->picture.width = w;
	p->picture.height = h;
out_free:
	sws_freeContext(sws);
	av_frame_free(&dst);
}

void probe_picture_from_frame(struct probe *p, const struct AVFrame *frame)
{
	scale_to_picture(p, (const uint8_t *const *)frame->data,
			 frame->linesize, frame->format, frame->width,
			 frame->height);
}

void probe_picture_from_rgb(struct probe *p, const uint8_t *rgb, int stride,
			    int width, int height)
{
	const uint8_t *src[4] = { rgb, NULL, NULL, NULL };
	int strides[4] = { stride, 0, 0, 0 };

	scale_to_picture(p, src, strides, AV_PIX_FMT_RGB24, width, height);
}

/*
 * Returns a new buffer holding pic turned upright for EXIF orientation o,
 * with its size in *w and *h. Orientations 5-8 swap width and height.
 * For each output pixel (x, y) the source pixel is, with W x H the source
 * size:
 *   1 (x, y)          2 (W-1-x, y)       3 (W-1-x, H-1-y)   4 (x, H-1-y)
 *   5 (y, x)          6 (y, H-1-x)       7 (W-1-y, H-1-x)   8 (W-1-y, x)
 */
static uint8_t *orient(const struct probe_picture *pic, int o, int *w,
		       int *h)
{
	int sw = pic->width, sh = pic->height;
	int swap = o >= 5 && o <= 8;
	uint8_t *out;

	*w = swap ? sh : sw;
	*h = swap ? sw : sh;
	/* The padding lets swscale's SIMD code read past the last row. */
	out = malloc((size_t)sw * sh * 3 + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!out)
		return NULL;
	for (int y = 0; y < *h; y++) {
		for (int x = 0; x < *w; x++) {
			int sx, sy;

			switch (o) {
			case 2: sx = sw - 1 - x; sy = y; break;
			case 3: sx = sw - 1 - x; sy = sh - 1 - y; break;
			case 4: sx = x; sy = sh - 1 - y; break;
			case 5: sx = y; sy = x; break;
			case 6: sx = y; sy = sh - 1 - x; break;
			case 7: sx = sw - 1 - y; sy = sh - 1 - x; break;
			case 8: sx = sw - 1 - y; sy = x; break;
			default: sx = x; sy = y; break;
			}
			memcpy(out + ((size_t)y * *w + x) * 3,
			       pic->rgb + ((size_t)sy * sw + sx) * 3, 3);
		}
	}
	return out;
}

/* Converts an RGB24 image to a YUVJ420P frame for the MJPEG encoder. */
static AVFrame *to_yuv(const uint8_t *rgb, int w, int h)
{
	const uint8_t *src[4] = { rgb, NULL, NULL, NULL };
	int stride[4] = { w * 3, 0, 0, 0 };
	AVFrame *frame = av_frame_alloc();
	struct SwsContext *sws;

	if (!frame)
		return NULL;
	frame->format = AV_PIX_FMT_YUVJ420P;
	frame->width = w;
	frame->height = h;
	sws = sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, AV_PIX_FMT_YUVJ420P,
			     SWS_BILINEAR, NULL, NULL, NULL);
	if (!sws || av_frame_get_buffer(frame, 0) < 0) {
		sws_freeContext(sws);
		av_frame_free(&frame);
		return NULL;
	}
	sws_scale(sws, src, stride, 0, h, frame->data, frame->linesize);
	sws_freeContext(sws);
	return frame;
}

/* Encodes one frame as JPEG into *pkt. Returns 0 or an AVERROR. */
static int encode_jpeg(AVFrame *frame, AVPacket *pkt)
{
	const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
	AVCodecContext *ctx;
	int rc;

	if (!codec)
		return AVERROR_ENCODER_NOT_FOUND;
	ctx = avcodec_alloc_context3(codec);
	if (!ctx)
		return AVERROR(ENOMEM);
	ctx->width = frame->width;
	ctx->height = frame->height;
	ctx->pix_fmt = AV_PIX_FMT_YUVJ420P;
	ctx->time_base = (AVRational){ 1, 25 };
	ctx->flags |= AV_CODEC_FLAG_QSCALE;
	ctx->global_quality = FF_QP2LAMBDA * THUMB_QSCALE;
	frame->quality = ctx->global_quality;
	frame->pts = 0;
	rc = avcodec_open2(ctx, codec, NULL);
	if (rc >= 0)
		rc = avcodec_send_frame(ctx, frame);
	if (rc >= 0)
		rc = avcodec_send_frame(ctx, NULL);
	if (rc >= 0)
		rc = avcodec_receive_packet(ctx, pkt);
	avcodec_free_context(&ctx);
	return rc < 0 ? rc : 0;
}

static int write_file(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (close(fd) != 0 || done < len) {
		int saved = done < len && errno == 0 ? EIO : errno;

		unlink(path);
		errno = saved;
		return -1;
	}
	return 0;
}

int probe_thumb_write(struct probe *p, const char *out)
{
	int o = p->orientation_applied ? 1 : p->orientation;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *frame = NULL;
	uint8_t *upright = NULL;
	char msg[128];
	int w, h, rc = -1;

	if (!p->picture.rgb) {
		probe_problem(p, "no thumbnail: no picture was decoded");
		goto out_free;
	}
	upright = orient(&p->picture, o, &w, &h);
	frame = upright ? to_yuv(upright, w, h) : NULL;
	if (!pkt || !frame) {
		probe_problem(p, "no thumbnail: out of memory");
		goto out_free;
	}
	rc = encode_jpeg(frame, pkt);
	if (rc < 0) {
		if (av_strerror(rc, msg, sizeof(msg)) < 0)
			snprintf(msg, sizeof(msg), "error %d", rc);
		probe_problem(p, "no thumbnail: JPEG encoding failed: %s", msg);
		rc = -1;
		goto out_free;
	}
	rc = write_file(out, pkt->data, (size_t)pkt->size);
	if (rc < 0)
		probe_problem(p, "no thumbnail: cannot write it: %s",
			      strerror(errno));
out_free:
	av_frame_free(&frame);
	av_packet_free(&pkt);
	free(upright);
	return rc;
}
