#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "timefmt.h"

static const char *proc_name = "tf";
static enum tflog_level min_level = TFLOG_INFO;
static const char *const level_names[] = { "debug", "info", "warn", "error" };

void log_init(const char *process, enum tflog_level level)
{
	proc_name = process;
	min_level = level;
}

int log_level_parse(const char *s, enum tflog_level *out)
{
	for (size_t i = 0; i < TF_ARRAY_LEN(level_names); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum tflog_level)i;
			return 0;
		}
	}
	return -1;
}

static void line_start(struct buf *b, const char *level)
{
	char ts[40];

	iso8601_ms(now_ms(), ts, sizeof(ts));
	buf_puts(b, "{\"ts\":\"");
	buf_puts(b, ts);
	buf_puts(b, "\",\"level\":\"");
	buf_puts(b, level);
	buf_puts(b, "\",\"proc\":\"");
	buf_puts(b, proc_name);
	buf_puts(b, "\",\"msg\":");
}

/* One write per line keeps lines whole when threads log at once. */
static void line_emit(struct buf *b)
{
	buf_puts(b, "}\n");
	ssize_t off = 0;
	while ((size_t)off < b->len) {
		ssize_t n = write(STDERR_FILENO, b->data + off, b->len - (size_t)off);
		if (n <= 0)
			break;
		off += n;
	}
	buf_free(b);
}

static void log_vmsg(const char *level, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	line_start(&b, level);
	buf_json_string(&b, msg, strlen(msg));
	line_emit(&b);
}

void log_msg(enum tflog_level level, const char *fmt, ...)
{
	va_list ap;

	if (level < min_level)
		return;
	va_start(ap, fmt);
	log_vmsg(level_names[level], fmt, ap);
	va_end(ap);
}

void log_fields(enum tflog_level level, const char *msg, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;
	const char *k;

	if (level < min_level)
		return;
	line_start(&b, level_names[level]);
	buf_json_string(&b, msg, strlen(msg));
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		buf_putc(&b, ',');
		buf_json_string(&b, k, strlen(k));
		buf_putc(&b, ':');
		if (v == NULL)
			buf_puts(&b, "null");
		else
			buf_json_string(&b, v, strlen(v));
	}
	va_end(ap);
	line_emit(&b);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg("fatal", fmt, ap);
	va_end(ap);
	exit(1);
}
