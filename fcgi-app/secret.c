/*
 * The key that signs platform API tokens: 32 random bytes in a file only root can
 * read, made at first start. Two processes starting at once agree on one key:
 * the file is created exclusively, and the loser reads the winner's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "ids.h"
#include "log.h"

#define SECRET_BYTES 32

static int read_secret(const char *path, unsigned char *key, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) == 0)
		n = read(fd, key, TF_MAX_SECRET);
	close(fd);
	if (n < 0)
		fatal("%s must be readable by its owner only (mode 0600)", path);
	if (n < SECRET_BYTES)
		return -1;
	*len = (size_t)n;
	return 0;
}

void secret_load(const char *path, unsigned char *key, size_t *len)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		if (read_secret(path, key, len) == 0)
			return;
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd < 0 && errno != EEXIST)
			fatal("cannot create the token key %s: %s", path, strerror(errno));
		if (fd >= 0) {
			unsigned char fresh[SECRET_BYTES];
			random_bytes(fresh, sizeof(fresh));
			if (write(fd, fresh, sizeof(fresh)) != (ssize_t)sizeof(fresh) || fsync(fd) != 0)
				fatal("cannot write the token key %s", path);
			close(fd);
			log_info("created the token key %s", path);
		} else {
			usleep(20000);  /* another process is writing it */
		}
	}
	fatal("cannot read the token key %s", path);
}
