/*
 * The system-call filter every sandbox runs under, passed to bubblewrap, which
 * loads it after building the sandbox and right before exec, with no_new_privs.
 *
 * Default allow, with the calls that reach past a function's own process denied:
 * tracing other processes, mounts and namespaces (sandboxes within the sandbox),
 * kernel modules, keyrings, BPF, perf, io_uring, sockets of any family but unix
 * and IP, and the like. A denied call fails with EPERM
 * rather than killing the process, so a runtime that merely probes keeps working.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"

static int program_fd = -1;

static const char *const denied[] = {
	/* other processes' memory */
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
	/* mounts and roots */
	"mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen",
	"fsconfig", "fsmount", "fspick", "mount_setattr", "name_to_handle_at", "open_by_handle_at",
	/* namespaces */
	"unshare", "setns",
	/* the kernel itself */
	"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
	"swapon", "swapoff", "syslog", "acct", "quotactl", "lookup_dcookie", "iopl", "ioperm",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "vhangup",
	/* keyrings, BPF, perf, and userfaultfd (a favourite of kernel exploits) */
	"add_key", "request_key", "keyctl", "bpf", "perf_event_open", "userfaultfd", "fanotify_init",
	/* io_uring: its operations run in the kernel's own threads, where this filter never looks */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	/* device nodes */
	"mknod", "mknodat",
};

/*
 * The socket families a function may open: unix and IP, which its network
 * namespace confines to its own loopback. Others reach past it (AF_VSOCK reaches
 * the hypervisor's listeners on a VM runner) or into kernel subsystems.
 */
static const int allowed_families[] = { AF_UNIX, AF_INET, AF_INET6 };
#define FAMILY_LIMIT 64  /* above every family the kernel knows (AF_MAX is 46) */

static bool family_allowed(int f)
{
	for (size_t i = 0; i < TF_ARRAY_LEN(allowed_families); i++)
		if (allowed_families[i] == f)
			return true;
	return false;
}

static int add_socket_rules(scmp_filter_ctx ctx)
{
	for (int f = 0; f < FAMILY_LIMIT; f++)
		if (!family_allowed(f) &&
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f)) != 0)
			return -1;
	/* Whatever the upper bits: the kernel reads an int, so anything past the known families goes. */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
	                        SCMP_A0(SCMP_CMP_GE, (scmp_datum_t)FAMILY_LIMIT));
}

/* Namespace flags of clone(2): a process with any of them would start a sandbox of its own. */
static const unsigned long namespace_flags[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

static int add_rules(scmp_filter_ctx ctx)
{
	for (size_t i = 0; i < TF_ARRAY_LEN(denied); i++) {
		int nr = seccomp_syscall_resolve_name(denied[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;  /* not a call on this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0) != 0)
			return -1;
	}
	for (size_t i = 0; i < TF_ARRAY_LEN(namespace_flags); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                     SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i])) != 0)
			return -1;
	/* clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc use clone. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) != 0 || add_socket_rules(ctx) != 0)
		return -1;
	/* Typing into the terminal of whoever holds it. */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, TIOCSTI));
}

int seccomp_prepare(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int fd = -1;

	if (ctx == NULL)
		return -1;
	if (add_rules(ctx) != 0 || (fd = memfd_create("tf-seccomp", MFD_CLOEXEC)) < 0 || seccomp_export_bpf(ctx, fd) != 0) {
		log_error("cannot build the seccomp filter: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		seccomp_release(ctx);
		return -1;
	}
	seccomp_release(ctx);
	program_fd = fd;
	return 0;
}

int seccomp_program_fd(void)
{
	char path[64];

	if (program_fd < 0)
		return -1;
	/* A fresh open file: each sandbox reads the program from its start. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", program_fd);
	return open(path, O_RDONLY | O_CLOEXEC);
}
