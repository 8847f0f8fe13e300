/* A bounded line reader over one descriptor, and writes with a deadline. */
#ifndef TF_LINEBUF_H
#define TF_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct linebuf {
	struct buf b;
	size_t max;
	bool overflow;
};

void linebuf_init(struct linebuf *lb, size_t max);
void linebuf_free(struct linebuf *lb);
/* Reads what the fd has, up to the bound; 0 on data or EAGAIN, 1 at end of file, -1 on error. */
int linebuf_fill(struct linebuf *lb, int fd);
/*
 * Reads into the buffer in place, up to the bound: once, one read of a blocking
 * descriptor (its receive timeout is an error); else what a poll announced on a
 * pipe, which a read that leaves room has emptied. 0 on data (or EAGAIN, not
 * once), 1 at end of file, -1 on error.
 */
int linebuf_read(struct linebuf *lb, int fd, bool once);
/*
 * Takes the next line (without its newline) into out; false if none is whole.
 * A line longer than the bound comes out cut, with lb->overflow set.
 */
bool linebuf_next(struct linebuf *lb, struct buf *out);
/* Takes an unterminated last line, at end of file. */
bool linebuf_rest(struct linebuf *lb, struct buf *out);
/* Writes all of p, waiting for room until deadline_mono (mono_ms); -1 past it or on error. */
int frame_write_all(int fd, const char *p, size_t n, int64_t deadline_mono);
struct iovec;
/* The same for pieces, with one writev(2) when the descriptor takes them all (iov is consumed). */
int frame_writev_all(int fd, struct iovec *iov, int n, int64_t deadline_mono);

#endif
