/*
 * Line-oriented reading of a pipe or socket, bounded, and writing with a
 * deadline: the runtime protocol (docs/runtime-protocol.md), where the instance
 * is the untrusted side, and the runner link (docs/invocation-path.md).
 */
#include <errno.h>
#include <poll.h>
#include <sys/uio.h>
#include <string.h>
#include <unistd.h>

#include "linebuf.h"
#include "timefmt.h"
#include "xalloc.h"

#define READ_CHUNK 65536
#define LINEBUF_READ_MIN 16384  /* the least room a read is given */

void linebuf_init(struct linebuf *lb, size_t max)
{
	memset(lb, 0, sizeof(*lb));
	lb->max = max;
}

void linebuf_free(struct linebuf *lb)
{
	buf_free(&lb->b);
}

int linebuf_fill(struct linebuf *lb, int fd)
{
	char chunk[READ_CHUNK];

	/* Never holds more than max: a full buffer waits for the caller to take lines. */
	while (lb->b.len < lb->max) {
		size_t want = lb->max - lb->b.len < sizeof(chunk) ? lb->max - lb->b.len : sizeof(chunk);
		ssize_t n = read(fd, chunk, want);
		if (n > 0) {
			buf_append(&lb->b, chunk, (size_t)n);
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	}
	return 0;
}

int linebuf_read(struct linebuf *lb, int fd, bool once)
{
	while (lb->b.len < lb->max) {
		/* Room for at least LINEBUF_READ_MIN bytes, and the NUL after them. */
		if (lb->b.cap < lb->b.len + LINEBUF_READ_MIN + 1) {
			size_t cap = lb->b.cap ? lb->b.cap : 256;
			while (cap < lb->b.len + LINEBUF_READ_MIN + 1)
				cap *= 2;
			lb->b.data = xrealloc(lb->b.data, cap);
			lb->b.cap = cap;
		}
		size_t want = lb->b.cap - lb->b.len - 1;
		if (want > lb->max - lb->b.len)
			want = lb->max - lb->b.len;
		ssize_t n = read(fd, lb->b.data + lb->b.len, want);
		if (n > 0) {
			lb->b.len += (size_t)n;
			lb->b.data[lb->b.len] = '\0';
			if (once || (size_t)n < want)
				return 0;
			continue;
		}
		if (n == 0)
			return 1;
		if (errno == EINTR)
			continue;
		/* A blocking socket's receive timeout (EAGAIN) ends its wait as an error. */
		return !once && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
	}
	return 0;
}

static void take(struct linebuf *lb, size_t n, size_t skip, struct buf *out)
{
	buf_reset(out);
	buf_append(out, lb->b.data, n);
	memmove(lb->b.data, lb->b.data + n + skip, lb->b.len - n - skip);
	lb->b.len -= n + skip;
	lb->b.data[lb->b.len] = '\0';
}

bool linebuf_next(struct linebuf *lb, struct buf *out)
{
	char *nl = lb->b.len ? memchr(lb->b.data, '\n', lb->b.len) : NULL;

	lb->overflow = false;
	if (nl != NULL) {
		take(lb, (size_t)(nl - lb->b.data), 1, out);
		return true;
	}
	if (lb->b.len >= lb->max) {
		/* A line longer than the bound comes out cut, and says so. */
		take(lb, lb->b.len, 0, out);
		lb->overflow = true;
		return true;
	}
	return false;
}

bool linebuf_rest(struct linebuf *lb, struct buf *out)
{
	if (lb->b.len == 0)
		return false;
	take(lb, lb->b.len, 0, out);
	return true;
}

int frame_writev_all(int fd, struct iovec *iov, int n, int64_t deadline_mono)
{
	while (n > 0) {
		if (iov->iov_len == 0) {
			iov++, n--;
			continue;
		}
		ssize_t w = writev(fd, iov, n);
		if (w > 0) {
			/* Past what went out: whole pieces, then into the one it stopped in. */
			for (size_t done = (size_t)w; n > 0 && done > 0;) {
				size_t k = done < iov->iov_len ? done : iov->iov_len;
				iov->iov_base = (char *)iov->iov_base + k;
				iov->iov_len -= k;
				done -= k;
				if (iov->iov_len == 0)
					iov++, n--;
			}
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		int64_t left = deadline_mono - mono_ms();
		if (left <= 0)
			return -1;
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

int frame_write_all(int fd, const char *p, size_t n, int64_t deadline_mono)
{
	struct iovec iov = { (void *)p, n };
	return frame_writev_all(fd, &iov, 1, deadline_mono);
}
