#include "tests/test_support.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *omsi_test_shared_dir(void)
{
    static char resolved[4096];
    const char *env = getenv("OMSI_SHARED");
    const char *candidates[] = {env, "../shared", "../../shared"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        if (!candidates[i] || !candidates[i][0])
            continue;
        char probe[4096];
        snprintf(probe, sizeof probe, "%s/testdata/expected.json", candidates[i]);
        if (access(probe, R_OK) == 0) {
            snprintf(resolved, sizeof resolved, "%s", candidates[i]);
            return resolved;
        }
    }
    return NULL;
}

char *omsi_test_shared_path(const char *rel)
{
    const char *shared = omsi_test_shared_dir();
    if (!shared)
        return NULL;
    size_t n = strlen(shared) + strlen(rel) + 16;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/testdata/%s", shared, rel);
    return p;
}

json_object *omsi_test_expected(const char *key)
{
    static json_object *root;
    if (!root) {
        char *path = omsi_test_shared_path("expected.json");
        if (!path)
            return NULL;
        root = json_object_from_file(path);
        free(path);
        if (!root)
            return NULL;
    }
    json_object *datasets, *entry;
    if (!json_object_object_get_ex(root, "datasets", &datasets) ||
        !json_object_object_get_ex(datasets, key, &entry))
        return NULL;
    return entry;
}

json_object *omsi_test_jget(json_object *obj, const char *key)
{
    json_object *v = NULL;
    ck_assert_msg(obj && json_object_object_get_ex(obj, key, &v),
                  "expected.json: key '%s' missing", key);
    return v;
}

double omsi_test_jdouble(json_object *obj, const char *key)
{
    return json_object_get_double(omsi_test_jget(obj, key));
}

long long omsi_test_jint(json_object *obj, const char *key)
{
    return (long long)json_object_get_int64(omsi_test_jget(obj, key));
}

const char *omsi_test_jstring(json_object *obj, const char *key)
{
    return json_object_get_string(omsi_test_jget(obj, key));
}

char *omsi_test_mkdtemp(const char *tag)
{
    const char *tmp = getenv("TMPDIR");
    char templ[4096];
    snprintf(templ, sizeof templ, "%s/omsi-test-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", tag);
    char *dir = mkdtemp(templ);
    return dir ? strdup(dir) : NULL;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void omsi_test_rmtree(const char *dir)
{
    if (dir)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *omsi_test_program(const char *name)
{
    const char *build = getenv("OMSI_BUILDDIR");
    size_t n = strlen(build ? build : ".") + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", build ? build : ".", name);
    return p;
}

void omsi_test_say_skipped(const char *what)
{
    printf("SKIP: %s: ../shared not found (set OMSI_SHARED to the shared corpus)\n", what);
    fflush(stdout);
}

int omsi_test_run(Suite *suite, bool skip_if_empty)
{
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int run = srunner_ntests_run(runner);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    if (run == 0 && skip_if_empty)
        return OMSI_TEST_SKIP;
    return failed == 0 ? 0 : 1;
}

size_t omsi_test_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "%s: cannot open the folder", dir);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}
