/* src/cli/progress: what a terminal and a log see, on a fake clock. */
#include "cli/progress.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test_support.h"

static double fake_time;
static double fake_now(void) { return fake_time; }

static char *run(bool terminal, bool enabled, void (*script)(omsi_progress *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    omsi_progress p;
    fake_time = 100;
    omsi_progress_init(&p, "prog", out, enabled, terminal);
    p.now = fake_now;
    p.stage_start = p.last_print = fake_time;
    script(&p);
    omsi_progress_finish(&p);
    fclose(out);
    return buf;
}

/* 100 updates a second for 30 s, then a second phase of 0.5 s. */
static void two_phases(omsi_progress *p)
{
    for (int i = 0; i <= 3000; i++) {
        fake_time = 100 + i * 0.01;
        omsi_progress_update(p, "spectra", (uint64_t)i, 3000);
    }
    for (int i = 0; i <= 50; i++) {
        fake_time = 130 + i * 0.01;
        omsi_progress_update(p, "image copy", (uint64_t)i * 60, 3000);
    }
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

START_TEST(log_lines_every_ten_seconds)
{
    char *s = run(false, true, two_phases);
    /* At 10 s, 20 s and 30 s (the last one the phase's end); the short phase
     * gets none; no carriage returns or escapes. */
    ck_assert_uint_eq(count(s, "\n"), 3);
    ck_assert_msg(strstr(s, "prog: spectra  33.3 % (1000/3000, 100/s, ETA 0:20)\n") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "prog: spectra 100.0 % (3000/3000, 100/s, took 0:30)\n") != NULL, "%s", s);
    ck_assert_ptr_null(strchr(s, '\r'));
    ck_assert_ptr_null(strchr(s, '\033'));
    free(s);
}
END_TEST

START_TEST(terminal_rewrites_one_line_per_phase)
{
    char *s = run(true, true, two_phases);
    /* One line per phase (two newlines), updated in place at most 5 times a
     * second: 30 s -> about 150 rewrites, each starting with \r ESC[K. */
    ck_assert_uint_eq(count(s, "\n"), 2);
    size_t rewrites = count(s, "\r\033[K");
    ck_assert_uint_ge(rewrites, 140);
    ck_assert_uint_le(rewrites, 165);
    ck_assert_uint_eq(count(s, "spectra 100.0 %"), 1); /* 100 % once */
    ck_assert_uint_eq(count(s, "image copy 100.0 %"), 1);
    ck_assert_msg(strstr(s, "ETA --:--") != NULL, "the first update has no rate yet: %s", s);
    free(s);
}
END_TEST

START_TEST(quiet_prints_nothing)
{
    char *s = run(true, false, two_phases);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("progress");
    TCase *tc = tcase_create("progress");
    tcase_add_test(tc, log_lines_every_ten_seconds);
    tcase_add_test(tc, terminal_rewrites_one_line_per_phase);
    tcase_add_test(tc, quiet_prints_nothing);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
