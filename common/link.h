/*
 * The runner link: the connection each tf-api process keeps to each runner,
 * over which a synchronous invocation goes straight to a runner and its outcome
 * comes back, without Redis in between (docs/invocation-path.md). A frame is
 * one line: a letter, a space, and its text, which holds no newline (JSON text
 * as json-c writes it escapes every control character).
 */
#ifndef TF_LINK_H
#define TF_LINK_H

#include <stddef.h>
#include <stdint.h>

/* A 6 MB payload or result, escaped as JSON, with the job or outcome around it. */
#define TF_LINK_MAX_FRAME (20 * 1024 * 1024)
#define TF_LINK_TOKEN_LEN 43       /* a runner's token: what a tf-api proves it read from the registry */

enum link_frame {
	LINK_HELLO = 'H',    /* tf-api: the runner's token, before anything else */
	LINK_JOB = 'J',      /* tf-api: a job to run (job_to_json) */
	LINK_OUTCOME = 'O',  /* runner: "<idle> <outcome JSON>", idle = its version's idle warm instances after it */
	LINK_REFUSED = 'R',  /* runner: {"requestId", "reason"}: not run (draining, no room); another runner may */
	LINK_STATE = 'S',    /* runner: {"busy", "slots", "draining", "idle": {"<fn>@<v>": n}}, on connect and every so often */
};

/* Sends one frame, waiting for room until deadline_mono (mono_ms); -1 on error or past it. */
int link_send(int fd, enum link_frame type, const char *text, size_t len, int64_t deadline_mono);
/*
 * Connects to "unix:/path" or "tcp:host:port" within timeout_ms; the descriptor
 * is blocking, close-on-exec, and its writes give up after send_timeout_ms. -1 on failure.
 */
int link_connect(const char *addr, int timeout_ms, int send_timeout_ms);

#endif
