/* Unit tests of omsi-watchd's systemd notifications: STATUS= at most once a
 * second, identical texts skipped, the last one always sent (after its
 * second, or on stop). A fake NOTIFY_SOCKET (a unix datagram socket this
 * test listens on) counts what sd_notify sends; the clock is passed in. */
#include "tests/test_support.h"
#include "watchd/watchd_notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct fake_systemd {
    char dir[32];
    char path[96];
    int fd;
} fake_systemd;

static void fake_systemd_start(fake_systemd *f)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/omsi-notify-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/notify", f->dir);
    f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(f->fd, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->path);
    ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    setenv("NOTIFY_SOCKET", f->path, 1);
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

/* The messages received since the last call, joined by '|' (newlines in a
 * message as ';'); the count in *n. */
static char *fake_systemd_take(fake_systemd *f, int *n)
{
    static char all[8192];
    all[0] = '\0';
    *n = 0;
    char msg[4096];
    ssize_t len;
    while ((len = recv(f->fd, msg, sizeof msg - 1, 0)) > 0) {
        msg[len] = '\0';
        for (char *p = msg; *p; p++)
            if (*p == '\n')
                *p = ';';
        if (*n)
            strncat(all, "|", sizeof all - strlen(all) - 1);
        strncat(all, msg, sizeof all - strlen(all) - 1);
        (*n)++;
    }
    return all;
}

static void fake_systemd_stop(fake_systemd *f)
{
    close(f->fd);
    unlink(f->path);
    rmdir(f->dir);
    unsetenv("NOTIFY_SOCKET");
}

START_TEST(status_is_rate_limited_and_the_last_one_sent)
{
    fake_systemd f;
    fake_systemd_start(&f);
    watchd_notifier n;
    watchd_notify_init(&n);
    int count;

    watchd_notify_ready(&n, "running");
    ck_assert_str_eq(fake_systemd_take(&f, &count), "READY=1;STATUS=running");

    /* the loop's 38 identical reports in one second: one message */
    for (int i = 0; i < 38; i++)
        watchd_notify_status(&n, 100.0 + i * 0.025, "%d settling", 1);
    ck_assert_str_eq(fake_systemd_take(&f, &count), "STATUS=1 settling");
    ck_assert_int_eq(count, 1);

    /* changes within the second are held back; only the newest counts */
    watchd_notify_status(&n, 100.2, "%d settling", 2);
    watchd_notify_status(&n, 100.5, "%d settling", 3);
    fake_systemd_take(&f, &count);
    ck_assert_int_eq(count, 0);
    ck_assert(watchd_notify_next(&n, 100.5) <= 0.5 + 1e-9);
    watchd_notify_watchdog(&n, 100.9); /* the second is not over yet */
    fake_systemd_take(&f, &count);
    ck_assert_int_eq(count, 0);
    watchd_notify_watchdog(&n, 101.0); /* now it is: flushed */
    ck_assert_str_eq(fake_systemd_take(&f, &count), "STATUS=3 settling");
    ck_assert_int_eq(watchd_notify_next(&n, 101.0) > 1000, 1); /* nothing due */

    /* a held-back change that is undone is not sent at all */
    watchd_notify_status(&n, 101.3, "%d settling", 4);
    watchd_notify_status(&n, 101.4, "%d settling", 3);
    watchd_notify_watchdog(&n, 103.0);
    fake_systemd_take(&f, &count);
    ck_assert_int_eq(count, 0);

    /* after a second, a change goes out at once */
    watchd_notify_status(&n, 103.0, "%d settling", 5);
    ck_assert_str_eq(fake_systemd_take(&f, &count), "STATUS=5 settling");

    /* a reload shows its own text; the same status as before is sent again */
    watchd_notify_reloading(&n);
    watchd_notify_ready(&n, "running");
    watchd_notify_status(&n, 104.5, "%d settling", 5);
    ck_assert_str_eq(fake_systemd_take(&f, &count),
                     "RELOADING=1;STATUS=reloading the configuration|READY=1;STATUS=running|"
                     "STATUS=5 settling");

    /* on stop the held-back state goes out first */
    watchd_notify_status(&n, 104.7, "%d settling", 6);
    watchd_notify_stopping(&n);
    ck_assert_str_eq(fake_systemd_take(&f, &count), "STATUS=6 settling|STOPPING=1;STATUS=stopping");

    /* a run that ends (--once) flushes what is held back; nothing twice */
    watchd_notify_status(&n, 106.0, "%d settling", 7);
    watchd_notify_status(&n, 106.1, "%d settling", 8);
    watchd_notify_flush(&n);
    watchd_notify_flush(&n);
    ck_assert_str_eq(fake_systemd_take(&f, &count), "STATUS=7 settling|STATUS=8 settling");

    /* a newline in a status cannot start another assignment */
    watchd_notify_status(&n, 200.0, "%s", "a\nREADY=1");
    ck_assert_str_eq(fake_systemd_take(&f, &count), "STATUS=a\\nREADY=1");
    fake_systemd_stop(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("watchd_notify");
    TCase *tc = tcase_create("notify");
    tcase_add_test(tc, status_is_rate_limited_and_the_last_one_sent);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
