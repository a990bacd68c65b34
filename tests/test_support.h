/* Helpers for the Check suites: find ../shared (skip cleanly without it),
 * read expected.json, make temporary directories, run a suite. */
#ifndef OMSI_TEST_SUPPORT_H
#define OMSI_TEST_SUPPORT_H

#include <check.h>
#include <json-c/json.h>
#include <stdbool.h>

/* Exit status automake reads as "skipped". */
#define OMSI_TEST_SKIP 77

/* The shared corpus directory ($OMSI_SHARED, else ../shared beside the
 * source tree), or NULL when absent. */
const char *omsi_test_shared_dir(void);
/* malloc'ed "<shared>/testdata/<rel>"; NULL when shared is absent. */
char *omsi_test_shared_path(const char *rel);
/* expected.json "datasets"[key] (borrowed; lives until exit), NULL if absent. */
json_object *omsi_test_expected(const char *key);
/* Accessors that fail the current test when the key is missing. */
double omsi_test_jdouble(json_object *obj, const char *key);
long long omsi_test_jint(json_object *obj, const char *key);
const char *omsi_test_jstring(json_object *obj, const char *key);
json_object *omsi_test_jget(json_object *obj, const char *key);

/* A fresh directory under $TMPDIR (malloc'ed); removed by omsi_test_rmtree. */
char *omsi_test_mkdtemp(const char *tag);
void omsi_test_rmtree(const char *dir);
/* Names in a folder other than "." and ".." (the folder must exist: an
 * absent one fails the test instead of counting as empty). */
size_t omsi_test_count_entries(const char *dir);
/* Path of a built program ($OMSI_BUILDDIR/name), malloc'ed. */
char *omsi_test_program(const char *name);

/* Prints "SKIP: <what>: ../shared not found (set OMSI_SHARED)" once. */
void omsi_test_say_skipped(const char *what);

/* Runs the suite; returns the process exit status (0 pass, 1 fail, or
 * OMSI_TEST_SKIP when the suite ran no test and skip_if_empty is set). */
int omsi_test_run(Suite *suite, bool skip_if_empty);

/* Relative comparison for values rounded to 12 significant digits. */
#define OMSI_ASSERT_CLOSE(a, b, rel)                                                      \
    do {                                                                                  \
        double _a = (a), _b = (b);                                                        \
        double _tol = (rel) * (fabs(_b) > 1 ? fabs(_b) : 1.0);                            \
        ck_assert_msg(fabs(_a - _b) <= _tol, "%s = %.12g, expected %.12g", #a, _a, _b);   \
    } while (0)

#endif
