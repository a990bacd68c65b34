/* Unit tests of the text that meets terminals and logs: escaping control
 * characters (omsi_escape), log lines of hostile names, and error messages
 * too long for their buffer (the middle is shortened, the reason kept). */
#include "base/omsi_error.h"
#include "base/omsi_escape.h"
#include "base/omsi_log.h"
#include "tests/test_support.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *escaped(const char *text)
{
    static char buf[256];
    ck_assert_uint_eq(omsi_escape(buf, sizeof buf, text), strlen(buf));
    return buf;
}

START_TEST(escape_control_characters)
{
    ck_assert_str_eq(escaped("plain name.imzML"), "plain name.imzML");
    ck_assert_str_eq(escaped("a\nb\tc\rd"), "a\\nb\\tc\\rd");
    ck_assert_str_eq(escaped("\x1b[31mred"), "\\e[31mred");
    ck_assert_str_eq(escaped("back\\slash"), "back\\\\slash");
    ck_assert_str_eq(escaped("bell\a del\x7f"), "bell\\x07 del\\x7f");
    /* valid UTF-8 passes; invalid bytes, C1 controls and bidi overrides do not */
    ck_assert_str_eq(escaped("Gewebe_\xc3\xbc.img"), "Gewebe_\xc3\xbc.img");
    ck_assert_str_eq(escaped("bad\xff\xc3"), "bad\\xff\\xc3");
    ck_assert_str_eq(escaped("c1\xc2\x9b"), "c1\\xc2\\x9b");
    ck_assert_str_eq(escaped("rlo\xe2\x80\xae"), "rlo\\xe2\\x80\\xae");
    ck_assert(!omsi_needs_escape("ok.h5"));
    ck_assert(omsi_needs_escape("x\ny"));
    /* a short buffer is cut between escapes, and the full length returned */
    char small[6];
    ck_assert_uint_eq(omsi_escape(small, sizeof small, "ab\n\ncd"), 8);
    ck_assert_str_eq(small, "ab\\n");
    char *dup = omsi_escape_dup("x\ty");
    ck_assert_str_eq(dup, "x\\ty");
    free(dup);
}
END_TEST

/* Runs omsi_log with stderr redirected to a file; returns what it wrote. */
static char *capture_log(const omsi_logger *log, const char *name)
{
    char path[] = "/tmp/omsi-log-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(2);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_eq(dup2(fd, 2), 2);
    omsi_log(log, OMSI_LOG_ERR, "%s: not a dataset", name);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *text = calloc(1, 65536);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_ge(pread(fd, text, 65535, 0), 0);
    close(fd);
    unlink(path);
    return text;
}

START_TEST(log_line_of_a_name_with_a_newline)
{
    omsi_logger log = {.program = "omsi-watchd", .max_priority = OMSI_LOG_INFO};
    char *text = capture_log(&log, "/drop/x.imzML\nomsi-watchd: job 7 done\x1b[2J");
    ck_assert_str_eq(text, "omsi-watchd: error: /drop/x.imzML\\nomsi-watchd: job 7 done\\e[2J: not a dataset\n");
    free(text);
    log.journald_prefixes = true;
    text = capture_log(&log, "tab\there");
    ck_assert_str_eq(text, "<3>tab\\there: not a dataset\n");
    free(text);
    /* a very long name keeps the end of the line */
    char *name = malloc(20001);
    memset(name, 'n', 20000);
    name[20000] = '\0';
    text = capture_log(&log, name);
    size_t n = strlen(text);
    ck_assert_uint_lt(n, 9000);
    ck_assert_str_eq(text + n - strlen(": not a dataset\n"), ": not a dataset\n");
    ck_assert_ptr_nonnull(strstr(text, "..."));
    free(text);
    free(name);
}
END_TEST

/* Prefixes only when stderr is the journal: JOURNAL_STREAM must name the
 * device:inode of the file the descriptor is open on. */
START_TEST(journal_stream_must_be_stderr)
{
    char path[] = "/tmp/omsi-journal-XXXXXX", other[] = "/tmp/omsi-journal-XXXXXX";
    int fd = mkstemp(path), fd2 = mkstemp(other);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_ge(fd2, 0);
    struct stat st, st2;
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert_int_eq(fstat(fd2, &st2), 0);
    char same[64], wrong[64], trailing[80];
    snprintf(same, sizeof same, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
    snprintf(wrong, sizeof wrong, "%ju:%ju", (uintmax_t)st2.st_dev, (uintmax_t)st2.st_ino);
    snprintf(trailing, sizeof trailing, "%sx", same);
    ck_assert(omsi_log_fd_is_journal(same, fd));
    ck_assert(!omsi_log_fd_is_journal(wrong, fd)); /* set, but for another file */
    ck_assert(omsi_log_fd_is_journal(wrong, fd2));
    ck_assert(!omsi_log_fd_is_journal(NULL, fd));
    ck_assert(!omsi_log_fd_is_journal("", fd));
    ck_assert(!omsi_log_fd_is_journal("garbage", fd));
    ck_assert(!omsi_log_fd_is_journal(trailing, fd));
    ck_assert(!omsi_log_fd_is_journal(same, -1));

    /* omsi_logger_make looks at stderr (fd 2) itself */
    int saved = dup(2);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_eq(dup2(fd, 2), 2);
    setenv("JOURNAL_STREAM", same, 1);
    bool on = omsi_logger_make("t", OMSI_LOG_INFO).journald_prefixes;
    setenv("JOURNAL_STREAM", wrong, 1);
    bool off = omsi_logger_make("t", OMSI_LOG_INFO).journald_prefixes;
    unsetenv("JOURNAL_STREAM");
    bool unset = omsi_logger_make("t", OMSI_LOG_INFO).journald_prefixes;
    ck_assert_int_eq(dup2(saved, 2), 2);
    close(saved);
    ck_assert(on);
    ck_assert(!off);
    ck_assert(!unset);
    close(fd);
    close(fd2);
    unlink(path);
    unlink(other);
}
END_TEST

START_TEST(long_error_message_keeps_its_end)
{
    char *path = malloc(3001);
    ck_assert_ptr_nonnull(path);
    memcpy(path, "/data/", 6);
    memset(path + 6, 'd', 2994);
    path[3000] = '\0';
    omsi_error err = {0};
    omsi_error_set(&err, OMSI_ERR_FORMAT, "%s.img: 801680 bytes, expected 801684", path);
    ck_assert_str_eq(err.message + strlen(err.message) - strlen("801680 bytes, expected 801684"),
                     "801680 bytes, expected 801684");
    ck_assert_int_eq(strncmp(err.message, "/data/ddd", 9), 0);
    /* errno text is the reason: it survives too */
    omsi_error_errno(&err, OMSI_ERR_IO, ENOENT, "%s/%s/%s", path, path, path);
    ck_assert_uint_lt(strlen(err.message), OMSI_ERROR_MESSAGE_MAX);
    const char *why = ": No such file or directory";
    ck_assert_str_eq(err.message + strlen(err.message) - strlen(why), why);
    ck_assert_ptr_nonnull(strstr(err.message, "..."));
    ck_assert_int_eq(strncmp(err.message, "/data/ddd", 9), 0);
    /* a prefix on a long message keeps prefix and reason */
    omsi_error_set(&err, OMSI_ERR_FORMAT, "%s%s: odd length", path, path);
    omsi_error_prefix(&err, "job %d", 12);
    ck_assert_int_eq(strncmp(err.message, "job 12: /data/", 14), 0);
    ck_assert_str_eq(err.message + strlen(err.message) - strlen(": odd length"), ": odd length");
    ck_assert_int_eq(err.status, OMSI_ERR_FORMAT);
    /* short messages are unchanged */
    omsi_error_set(&err, OMSI_ERR_FORMAT, "%s", "short");
    ck_assert_str_eq(err.message, "short");
    free(path);
}
END_TEST

START_TEST(copy_middle_respects_utf8)
{
    char out[12];
    /* 20 two-byte characters: the cut never splits one */
    char text[41];
    for (int i = 0; i < 20; i++)
        memcpy(text + 2 * i, "\xc3\xbc", 2);
    text[40] = '\0';
    ck_assert_uint_eq(omsi_copy_middle(out, sizeof out, text), 40);
    ck_assert_ptr_nonnull(strstr(out, "..."));
    const char *dots = strstr(out, "...");
    ck_assert_int_eq((int)(dots - out) % 2, 0);
    ck_assert_int_eq((int)strlen(dots + 3) % 2, 0);
    ck_assert_uint_lt(strlen(out), sizeof out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("escape");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, escape_control_characters);
    tcase_add_test(tc, log_line_of_a_name_with_a_newline);
    tcase_add_test(tc, long_error_message_keeps_its_end);
    tcase_add_test(tc, journal_stream_must_be_stderr);
    tcase_add_test(tc, copy_middle_respects_utf8);
    suite_add_tcase(s, tc);
    return omsi_test_run(s, false);
}
