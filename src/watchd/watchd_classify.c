/* Classification in child processes (see watchd_classify.h). */
#include "watchd/watchd_classify.h"

#include "watchd/watchd_workers.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* AddressSanitizer and ThreadSanitizer reserve terabytes of address space
 * for their shadow memory: under them RLIMIT_AS would kill every child. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CLASSIFY_NO_AS_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define CLASSIFY_NO_AS_LIMIT 1
#endif
#endif

void watchd_classifiers_init(watchd_classifiers *set, double timeout)
{
    memset(set, 0, sizeof *set);
    for (size_t i = 0; i < WATCHD_CLASSIFY_SLOTS; i++)
        set->slot[i].fd = -1;
    set->timeout = timeout;
}

bool watchd_classify_busy(const watchd_classifiers *set, const char *key)
{
    for (size_t i = 0; i < WATCHD_CLASSIFY_SLOTS; i++)
        if (set->slot[i].pid > 0 && !set->slot[i].killed && strcmp(set->slot[i].key, key) == 0)
            return true;
    return false;
}

unsigned watchd_classify_running(const watchd_classifiers *set)
{
    unsigned n = 0;
    for (size_t i = 0; i < WATCHD_CLASSIFY_SLOTS; i++)
        n += set->slot[i].pid > 0;
    return n;
}

bool watchd_classify_full(const watchd_classifiers *set)
{
    return watchd_classify_running(set) == WATCHD_CLASSIFY_SLOTS;
}

/* Whole seconds of CPU for a timeout (at least 1: RLIMIT_CPU counts seconds). */
static rlim_t cpu_seconds(double timeout)
{
    double s = ceil(timeout);
    return s < 1 ? 1 : (rlim_t)s;
}

/* The address space in use now (/proc/self/statm), 0 when unknown. */
static uint64_t address_space_now(void)
{
    FILE *f = fopen("/proc/self/statm", "re");
    unsigned long long pages = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%llu", &pages) != 1)
        pages = 0;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? pages * (uint64_t)page : 0;
}

static void set_limits(double timeout)
{
    /* SIGXCPU at the soft limit, SIGKILL one second later. */
    rlim_t cpu = cpu_seconds(timeout);
    struct rlimit lim = {.rlim_cur = cpu, .rlim_max = cpu + 1};
    setrlimit(RLIMIT_CPU, &lim);
    struct rlimit no_core = {0, 0}; /* SIGXCPU would dump core */
    setrlimit(RLIMIT_CORE, &no_core);
#ifndef CLASSIFY_NO_AS_LIMIT
    uint64_t in_use = address_space_now();
    if (in_use) {
        struct rlimit as = {.rlim_cur = (rlim_t)(in_use + WATCHD_CLASSIFY_MEMORY),
                            .rlim_max = (rlim_t)(in_use + WATCHD_CLASSIFY_MEMORY)};
        setrlimit(RLIMIT_AS, &as);
    }
#else
    (void)address_space_now;
#endif
}

static void write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the daemon is gone or gave up on us */
        p += n;
        len -= (size_t)n;
    }
}

/* The child: never returns. */
static void classify_child(int fd, pid_t parent, const watchd_candidate *c, double timeout)
{
    /* Default dispositions, nothing blocked (the daemon blocks its signals
     * for its signalfd), and SIGKILL when the daemon dies: a classifier holds
     * nothing worth a clean exit. */
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    watchd_close_fds_except(fd);
    set_limits(timeout);
    omsi_error why = {0};
    omsi_validity v = watchd_probe(c, &why);
    watchd_classify_msg msg;
    memset(&msg, 0, sizeof msg);
    msg.validity = (int32_t)v;
    memcpy(msg.message, why.message, sizeof msg.message);
    msg.message[sizeof msg.message - 1] = '\0';
    write_all(fd, &msg, sizeof msg);
    close(fd);
    _exit(0); /* no atexit handlers of the daemon in the child */
}

int watchd_classify_start(watchd_classifiers *set, watchd_candidate *c, bool stuck, double now,
                          pid_t *pid_out, omsi_error *err)
{
    watchd_classifier *slot = NULL;
    for (size_t i = 0; !slot && i < WATCHD_CLASSIFY_SLOTS; i++)
        if (set->slot[i].pid == 0)
            slot = &set->slot[i];
    if (!slot)
        return omsi_error_set(err, OMSI_ERR_INTERNAL, "%s: every classifier slot is busy", c->key);
    char *key = strdup(c->key);
    char *label = strdup(c->path ? c->path : c->key);
    if (!key || !label) {
        free(key);
        free(label);
        return omsi_error_set(err, OMSI_ERR_NOMEM, "out of memory");
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        free(key);
        free(label);
        return omsi_error_errno(err, OMSI_ERR_IO, errno, "%s: pipe for its classifier", c->key);
    }
    pid_t parent = getpid();
    watchd_fork_hold(&set->guard);
    pid_t pid = fork();
    if (pid != 0)
        watchd_fork_release(&set->guard);
    if (pid == 0) {
        close(fds[0]);
        classify_child(fds[1], parent, c, set->timeout);
    }
    close(fds[1]);
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        free(key);
        free(label);
        return omsi_error_errno(err, OMSI_ERR_IO, e, "%s: fork of its classifier", c->key);
    }
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    memset(slot, 0, sizeof *slot);
    slot->pid = pid;
    slot->fd = fds[0];
    slot->key = key;
    slot->label = label;
    slot->sig = c->sig;
    slot->stuck = stuck;
    slot->deadline = now + set->timeout;
    c->state = WATCHD_CLASSIFYING;
    if (pid_out)
        *pid_out = pid;
    return 0;
}

size_t watchd_classify_pollfds(const watchd_classifiers *set, struct pollfd *fds)
{
    size_t n = 0;
    for (size_t i = 0; i < WATCHD_CLASSIFY_SLOTS; i++)
        if (set->slot[i].pid > 0 && set->slot[i].fd >= 0)
            fds[n++] = (struct pollfd){.fd = set->slot[i].fd, .events = POLLIN};
    return n;
}

double watchd_classify_next_deadline(const watchd_classifiers *set, double now)
{
    double next = 1e9;
    for (size_t i = 0; i < WATCHD_CLASSIFY_SLOTS; i++) {
        const watchd_classifier *k = &set->slot[i];
        if (k->pid > 0 && !k->killed && k->deadline - now < next)
            next = k->deadline - now;
    }
    return next;
}

void watchd_verdict_free(watchd_verdict *v)
{
    free(v->key);
    v->key = NULL;
}

/* Drains the pipe; closes it at EOF. */
static void read_result(watchd_classifier *k)
{
    while (k->fd >= 0) {
        char *dst = (char *)&k->msg + k->got;
        size_t room = sizeof k->msg - k->got;
        char sink[256];
        ssize_t n = room ? read(k->fd, dst, room) : read(k->fd, sink, sizeof sink);
        if (n > 0) {
            if (room)
                k->got += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        close(k->fd); /* EOF or an error: nothing more will come */
        k->fd = -1;
    }
}

static void slot_clear(watchd_classifier *k)
{
    if (k->fd >= 0)
        close(k->fd);
    free(k->key);
    free(k->label);
    memset(k, 0, sizeof *k);
    k->fd = -1;
}

/* Moves the slot's identity into a verdict (the key changes hands). */
static watchd_verdict *verdict_for(watchd_classifier *k, watchd_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->key = k->key;
    k->key = NULL;
    v->sig = k->sig;
    v->stuck = k->stuck;
    return v;
}

static double cpu_used(const struct rusage *ru)
{
    return (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 + (double)ru->ru_stime.tv_sec +
           ru->ru_stime.tv_usec / 1e6;
}

/* The verdict of a classifier that ended (status from wait4). */
static void finished(watchd_classifier *k, int status, const struct rusage *ru, double timeout,
                     watchd_verdict *v)
{
    verdict_for(k, v);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && k->got == sizeof k->msg) {
        v->validity = (omsi_validity)k->msg.validity;
        k->msg.message[sizeof k->msg.message - 1] = '\0';
        if (k->msg.message[0])
            omsi_error_set(&v->why, OMSI_ERR_FORMAT, "%s", k->msg.message);
        return;
    }
    v->failed = true;
    int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    /* RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL at the hard one. */
    if (sig == SIGXCPU || (sig == SIGKILL && cpu_used(ru) >= (double)cpu_seconds(timeout)))
        omsi_error_set(&v->why, OMSI_ERR_FORMAT, "%s: classification exceeded %g s CPU/wall time",
                       k->label, timeout);
    else if (sig)
        omsi_error_set(&v->why, OMSI_ERR_FORMAT, "%s: classification killed by signal %d (%s)",
                       k->label, sig, strsignal(sig));
    else
        omsi_error_set(&v->why, OMSI_ERR_FORMAT,
                       "%s: classification failed (exit status %d, %zu of %zu result bytes)", k->label,
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1, k->got, sizeof k->msg);
}

size_t watchd_classify_collect(watchd_classifiers *set, double now, watchd_verdict *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < WATCHD_CLASSIFY_SLOTS && n < max; i++) {
        watchd_classifier *k = &set->slot[i];
        if (k->pid <= 0)
            continue;
        read_result(k);
        int status = 0;
        struct rusage ru;
        memset(&ru, 0, sizeof ru);
        pid_t got = wait4(k->pid, &status, WNOHANG, &ru);
        if (got == k->pid || (got < 0 && errno == ECHILD)) {
            if (k->killed) { /* its verdict was given when it was killed */
                slot_clear(k);
                continue;
            }
            read_result(k); /* what it wrote before exiting */
            if (got > 0) {
                finished(k, status, &ru, set->timeout, &out[n++]);
            } else { /* reaped by someone else: a bug, but no reason to stall */
                watchd_verdict *v = verdict_for(k, &out[n++]);
                v->failed = true;
                omsi_error_set(&v->why, OMSI_ERR_INTERNAL, "%s: classifier %d vanished", k->label,
                               (int)k->pid);
            }
            slot_clear(k);
            continue;
        }
        if (!k->killed && now >= k->deadline) {
            /* Wall time is up. The verdict is given now; the slot stays
             * taken until the child is reaped (SIGCHLD wakes the loop), and
             * the loop never blocks waiting for it. */
            kill(k->pid, SIGKILL);
            k->killed = true;
            watchd_verdict *v = verdict_for(k, &out[n++]);
            v->failed = true;
            omsi_error_set(&v->why, OMSI_ERR_FORMAT, "%s: classification exceeded %g s CPU/wall time",
                           k->label, set->timeout);
            if (k->fd >= 0) {
                close(k->fd);
                k->fd = -1;
            }
        }
    }
    return n;
}

void watchd_classify_stop(watchd_classifiers *set)
{
    for (size_t i = 0; i < WATCHD_CLASSIFY_SLOTS; i++)
        if (set->slot[i].pid > 0)
            kill(set->slot[i].pid, SIGKILL);
    struct timespec tick = {0, 10 * 1000 * 1000};
    for (int round = 0; round < 300 && watchd_classify_running(set); round++) {
        for (size_t i = 0; i < WATCHD_CLASSIFY_SLOTS; i++) {
            watchd_classifier *k = &set->slot[i];
            if (k->pid <= 0)
                continue;
            pid_t got = waitpid(k->pid, NULL, WNOHANG);
            if (got == k->pid || (got < 0 && errno == ECHILD))
                slot_clear(k);
        }
        if (watchd_classify_running(set))
            nanosleep(&tick, NULL);
    }
    for (size_t i = 0; i < WATCHD_CLASSIFY_SLOTS; i++)
        if (set->slot[i].pid > 0)
            slot_clear(&set->slot[i]); /* left to die; init reaps it after we exit */
}
