#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "linebuf.h"
#include "link.h"
#include "timefmt.h"

int link_send(int fd, enum link_frame type, const char *text, size_t len, int64_t deadline_mono)
{
	char head[2] = { (char)type, ' ' };
	struct iovec iov[3] = { { head, 2 }, { (void *)text, len }, { "\n", 1 } };

	return frame_writev_all(fd, iov, 3, deadline_mono);
}

/* Waits for a non-blocking connect to finish; 0 when connected. */
static int connect_wait(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0;
	socklen_t len = sizeof(err);

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
		return -1;
	return 0;
}

static int connect_to(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	int flags = fcntl(fd, F_GETFL);

	if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return -1;
	if (connect(fd, sa, len) != 0 && (errno != EINPROGRESS || connect_wait(fd, timeout_ms) != 0))
		return -1;
	return fcntl(fd, F_SETFL, flags);
}

static int connect_tcp(const char *hostport, int timeout_ms)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;

	if (colon == NULL || (size_t)(colon - hostport) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport), hostport);
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect_to(fd, res->ai_addr, res->ai_addrlen, timeout_ms) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	/* Frames are whole when written: waiting to fill a segment would only add latency. */
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int connect_unix(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect_to(fd, (struct sockaddr *)&sa, sizeof(sa), timeout_ms) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

int link_connect(const char *addr, int timeout_ms, int send_timeout_ms)
{
	int fd = -1;

	if (strncmp(addr, "unix:", 5) == 0)
		fd = connect_unix(addr + 5, timeout_ms);
	else if (strncmp(addr, "tcp:", 4) == 0)
		fd = connect_tcp(addr + 4, timeout_ms);
	if (fd < 0)
		return -1;
	struct timeval tv = { .tv_sec = send_timeout_ms / 1000, .tv_usec = (send_timeout_ms % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}
