/*
 * The system-call filter every sandbox runs under, passed to bubblewrap, which
 * loads it after building the sandbox and right before exec, with no_new_privs.
 *
 * Default deny: only the calls a process uses on its own files, memory, threads,
 * children, signals, time and unix or IP sockets are allowed (the list follows the
 * profile container runtimes ship, less what this platform refuses). A call not
 * listed fails with ENOSYS, as on an older kernel, so libraries fall back as they
 * do there; the calls that reach past a function's own process (tracing, mounts
 * and namespaces, kernel modules, keyrings, BPF, perf, io_uring, and the like) fail
 * with EPERM, and so do sockets of any family but unix and IP. Nothing is killed:
 * a runtime that merely probes keeps working.
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

/* Allowed without condition. socket, clone and ioctl are allowed below, by their arguments. */
static const char *const allowed[] = {
	/* files and directories */
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
	"open", "openat", "openat2", "creat", "close", "close_range", "lseek", "stat", "fstat", "lstat",
	"newfstatat", "statx", "statfs", "fstatfs", "access", "faccessat", "faccessat2", "pipe", "pipe2", "dup",
	"dup2", "dup3", "fcntl", "flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "truncate",
	"ftruncate", "fallocate", "fadvise64", "readahead", "getdents", "getdents64", "getcwd", "chdir",
	"fchdir", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "link", "linkat", "unlink",
	"unlinkat", "symlink", "symlinkat", "readlink", "readlinkat", "chmod", "fchmod", "fchmodat", "fchmodat2",
	"chown", "fchown", "lchown", "fchownat", "umask", "utime", "utimes", "utimensat", "futimesat",
	"getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr", "flistxattr", "setxattr", "lsetxattr",
	"fsetxattr", "removexattr", "lremovexattr", "fremovexattr", "sendfile", "splice", "tee", "vmsplice",
	"copy_file_range", "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	"fanotify_mark", "memfd_create", "cachestat",
	/* waiting on descriptors */
	"select", "pselect6", "poll", "ppoll", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
	"epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create",
	"timerfd_settime", "timerfd_gettime",
	/* Linux AIO, which runs in the caller (unlike io_uring) */
	"io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
	/* sockets, once opened */
	"socketpair", "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "setsockopt", "getsockopt",
	/* memory */
	"brk", "mmap", "munmap", "mprotect", "mremap", "madvise", "mincore", "msync", "remap_file_pages",
	"mlock", "mlock2", "munlock", "mlockall", "munlockall", "pkey_alloc", "pkey_free", "pkey_mprotect",
	"membarrier", "get_mempolicy", "map_shadow_stack", "mseal",
	/* processes, threads and signals */
	"fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "kill", "tkill",
	"tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
	"rt_sigtimedwait", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "sigaltstack", "pause", "alarm",
	"getitimer", "setitimer", "restart_syscall", "set_tid_address", "set_robust_list", "get_robust_list",
	"futex", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue", "rseq", "arch_prctl", "prctl",
	"personality", "capget", "capset", "seccomp", "landlock_create_ruleset", "landlock_add_rule",
	"landlock_restrict_self", "pidfd_open", "pidfd_send_signal",
	/* identity, limits and scheduling, within the sandbox's own */
	"getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
	"getgroups", "setgroups", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
	"setfsuid", "setfsgid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid", "getrlimit", "setrlimit",
	"prlimit64", "getrusage", "getpriority", "setpriority", "ioprio_get", "ioprio_set", "sched_yield",
	"sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam", "sched_getscheduler",
	"sched_setscheduler", "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
	"sched_getattr", "sched_setattr", "getcpu",
	/* time and the system's description */
	"nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
	"timer_create", "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete", "uname",
	"sysinfo", "times", "getrandom",
	/* System V and POSIX IPC, within the sandbox's own ipc namespace */
	"shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop", "msgget", "msgsnd",
	"msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify",
	"mq_getsetattr",
};

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
		if (seccomp_rule_add(ctx, family_allowed(f) ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
		                     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)f)) != 0)
			return -1;
	/* Whatever the upper bits: the kernel reads an int, so anything past the known families goes. */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
	                        SCMP_A0(SCMP_CMP_GE, (scmp_datum_t)FAMILY_LIMIT));
}

/* Namespace flags of clone(2): a process with any of them would start a sandbox of its own. */
static const unsigned long namespace_flags[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

/* The same action for each named call this architecture has (an unknown name is skipped). */
static int add_named(scmp_filter_ctx ctx, uint32_t action, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;  /* not a call on this architecture, or newer than libseccomp */
		if (seccomp_rule_add(ctx, action, nr, 0) != 0)
			return -1;
	}
	return 0;
}

static int add_rules(scmp_filter_ctx ctx)
{
	unsigned long any_namespace = 0;

	if (add_named(ctx, SCMP_ACT_ALLOW, allowed, TF_ARRAY_LEN(allowed)) != 0 ||
	    add_named(ctx, SCMP_ACT_ERRNO(EPERM), denied, TF_ARRAY_LEN(denied)) != 0)
		return -1;
	for (size_t i = 0; i < TF_ARRAY_LEN(namespace_flags); i++) {
		any_namespace |= namespace_flags[i];
		if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
		                     SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i])) != 0)
			return -1;
	}
	/* Threads and processes: a clone without any namespace flag. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, any_namespace, 0)) != 0)
		return -1;
	/*
	 * clone3 passes its flags in memory a filter cannot read: it is left to the
	 * default, ENOSYS, which makes libc fall back to clone.
	 */
	if (add_socket_rules(ctx) != 0)
		return -1;
	/* Typing into the terminal of whoever holds it; any other ioctl is the descriptor's own business. */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, TIOCSTI)) != 0 ||
	               seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_NE, TIOCSTI)) != 0
	           ? -1 : 0;
}

int seccomp_prepare(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
	int fd = -1;

	if (ctx == NULL)
		return -1;
	/* A binary tree of the calls, not a list: a few comparisons a call, however long the list. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0 || add_rules(ctx) != 0 || (fd = memfd_create("tf-seccomp", MFD_CLOEXEC)) < 0 || seccomp_export_bpf(ctx, fd) != 0) {
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
