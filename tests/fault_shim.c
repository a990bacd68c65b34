/* fault_shim.so: an LD_PRELOAD library for tests/e2e/faults.sh. It counts
 * the calls that write to the file system (HDF5's sec2 driver, SQLite and
 * our own code all go through these libc entry points) and makes call
 * number OMSI_FAULT_AT fail with OMSI_FAULT_ERRNO (EIO, ENOSPC or a number;
 * EIO by default), without doing it.
 *
 *   OMSI_FAULT_AT=N        fail the Nth counted call (0 or unset: count only)
 *   OMSI_FAULT_ERRNO=E     EIO (default), ENOSPC, EDQUOT, EROFS or a number
 *   OMSI_FAULT_STICKY=1    fail every counted call from N on (a full disk)
 *   OMSI_FAULT_ACTION=stop raise SIGSTOP at call N and then do the call
 *                          (a process frozen in the middle of its work)
 *   OMSI_FAULT_CALL=NAME   count only the calls of NAME (e.g. rename)
 *   OMSI_FAULT_REPORT=F    append "calls=<count> failed=<name>" to F at exit
 *
 * Counted: open/openat/creat (only with O_CREAT, O_WRONLY, O_RDWR or
 * O_TRUNC), mkstemp/mkostemp, write/pwrite/pwrite64/writev, fsync,
 * fdatasync, ftruncate, rename/renameat, link/linkat. Calls on fds 0-2 and
 * on devices (/dev/null) are not counted (the error message must get out;
 * a full disk does not fill /dev/null), nor are unlink and close:
 * a failed unlink of a partial file leaves it by definition, and close is
 * where errors are reported, not made.
 *
 * Built for `make check` only (tests/tests.am), outside libomsi and without
 * sanitizers; the sanitizer build preloads it with
 * ASAN_OPTIONS=verify_asan_link_order=0. State is per process and set up
 * once from the environment; the counter is atomic because the writer has
 * threads. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static atomic_long calls;
static long fault_at;
static int fault_errno = EIO;
static int sticky, stop_action;
static const char *report_path, *only_call;
static char failed_name[64];
static atomic_int configured;

static void configure(void)
{
    if (atomic_load(&configured))
        return;
    const char *at = getenv("OMSI_FAULT_AT"), *e = getenv("OMSI_FAULT_ERRNO");
    const char *st = getenv("OMSI_FAULT_STICKY"), *act = getenv("OMSI_FAULT_ACTION");
    fault_at = at ? strtol(at, NULL, 10) : 0;
    if (e && strcmp(e, "ENOSPC") == 0)
        fault_errno = ENOSPC;
    else if (e && strcmp(e, "EDQUOT") == 0)
        fault_errno = EDQUOT;
    else if (e && strcmp(e, "EROFS") == 0)
        fault_errno = EROFS;
    else if (e && atoi(e) > 0)
        fault_errno = atoi(e);
    sticky = st && strcmp(st, "1") == 0;
    stop_action = act && strcmp(act, "stop") == 0;
    report_path = getenv("OMSI_FAULT_REPORT");
    only_call = getenv("OMSI_FAULT_CALL");
    atomic_store(&configured, 1);
}

/* Counts one call; nonzero when it is to fail (errno is set then). */
static int fault(const char *name)
{
    configure();
    if (only_call && strcmp(only_call, name) != 0)
        return 0;
    long n = atomic_fetch_add(&calls, 1) + 1;
    if (fault_at <= 0 || n < fault_at || (n > fault_at && !sticky))
        return 0;
    if (n == fault_at)
        snprintf(failed_name, sizeof failed_name, "%s", name);
    if (stop_action) {
        if (n == fault_at)
            raise(SIGSTOP);
        return 0;
    }
    errno = fault_errno;
    return 1;
}

/* A full or failing disk does not stop /dev/null (where the writer sends
 * what HDF5 still writes of a file it gives up): devices are not counted. */
static int writes(const char *path, int flags)
{
    return (flags & (O_CREAT | O_WRONLY | O_RDWR | O_TRUNC)) != 0 && strncmp(path, "/dev/", 5) != 0;
}

static int on_disk(int fd)
{
    struct stat st;
    return fd > 2 && (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode));
}

#define REAL(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

/* open and openat take a mode only with O_CREAT or O_TMPFILE. */
#define MODE_ARG(flags, mode)                                  \
    do {                                                       \
        if ((flags) & (O_CREAT | O_TMPFILE)) {                 \
            va_list ap;                                        \
            va_start(ap, flags);                               \
            mode = (mode_t)va_arg(ap, int);                    \
            va_end(ap);                                        \
        }                                                      \
    } while (0)

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    if (writes(path, flags) && fault("open"))
        return -1;
    return REAL(open)(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    if (writes(path, flags) && fault("open64"))
        return -1;
    return REAL(open64)(path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    if (writes(path, flags) && fault("openat"))
        return -1;
    return REAL(openat)(dir, path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...)
{
    mode_t mode = 0;
    MODE_ARG(flags, mode);
    if (writes(path, flags) && fault("openat64"))
        return -1;
    return REAL(openat64)(dir, path, flags, mode);
}

int creat(const char *path, mode_t mode)
{
    return fault("creat") ? -1 : REAL(creat)(path, mode);
}

/* mkstemp opens inside glibc, where the open above does not see it. */
int mkstemp(char *tmpl)
{
    return fault("mkstemp") ? -1 : REAL(mkstemp)(tmpl);
}

int mkostemp(char *tmpl, int flags)
{
    return fault("mkostemp") ? -1 : REAL(mkostemp)(tmpl, flags);
}

ssize_t write(int fd, const void *buf, size_t n)
{
    if (on_disk(fd) && fault("write"))
        return -1;
    return REAL(write)(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int count)
{
    if (on_disk(fd) && fault("writev"))
        return -1;
    return REAL(writev)(fd, iov, count);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    return on_disk(fd) && fault("pwrite") ? -1 : REAL(pwrite)(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    return on_disk(fd) && fault("pwrite64") ? -1 : REAL(pwrite64)(fd, buf, n, off);
}

int fsync(int fd) { return on_disk(fd) && fault("fsync") ? -1 : REAL(fsync)(fd); }

int fdatasync(int fd) { return on_disk(fd) && fault("fdatasync") ? -1 : REAL(fdatasync)(fd); }

int ftruncate(int fd, off_t len) { return on_disk(fd) && fault("ftruncate") ? -1 : REAL(ftruncate)(fd, len); }

int ftruncate64(int fd, off64_t len) { return on_disk(fd) && fault("ftruncate64") ? -1 : REAL(ftruncate64)(fd, len); }

int rename(const char *from, const char *to) { return fault("rename") ? -1 : REAL(rename)(from, to); }

int renameat(int fd1, const char *from, int fd2, const char *to)
{
    return fault("renameat") ? -1 : REAL(renameat)(fd1, from, fd2, to);
}

int link(const char *from, const char *to) { return fault("link") ? -1 : REAL(link)(from, to); }

int linkat(int fd1, const char *from, int fd2, const char *to, int flags)
{
    return fault("linkat") ? -1 : REAL(linkat)(fd1, from, fd2, to, flags);
}

/* The count of this process, for the script to know how far to go. */
__attribute__((destructor)) static void report(void)
{
    configure();
    if (!report_path)
        return;
    int fd = REAL(open)(report_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return;
    char line[128];
    int n = snprintf(line, sizeof line, "calls=%ld failed=%s\n", atomic_load(&calls),
                     failed_name[0] ? failed_name : "-");
    if (n > 0)
        (void)!REAL(write)(fd, line, (size_t)n);
    REAL(close)(fd);
}
