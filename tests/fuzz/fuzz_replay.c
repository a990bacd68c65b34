/* Replays fuzz inputs without libFuzzer (run by `make check`, so every
 * crash once found stays a regression test, under ASan in CI's second pass).
 *
 *   fuzz_replay TARGET FILE|DIR...     run each input (a DIR: every file in it)
 *   fuzz_replay --pack TARGET DIR OUT  pack DIR's files into a seed input
 */
#include "tests/fuzz/fuzz_targets.h"

#include "base/omsi_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int replay_file(const omsi_fuzz_target *t, const char *path, int *count)
{
    char *data = NULL;
    size_t len = 0;
    omsi_error err = {0};
    if (omsi_read_small_file(path, 256u << 20, &data, &len, &err)) {
        fprintf(stderr, "fuzz_replay: %s\n", err.message);
        return 1;
    }
    omsi_fuzz_run(t, (const uint8_t *)data, len);
    free(data);
    (*count)++;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const omsi_fuzz_target *t, const char *dir, int *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0; /* no regressions recorded for this target yet */
    omsi_path_list names;
    omsi_path_list_init(&names);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            omsi_path_list_add(&names, e->d_name);
    closedir(d);
    if (names.count > 1)
        qsort(names.paths, names.count, sizeof *names.paths, compare_names);
    int rc = 0;
    for (size_t i = 0; i < names.count && rc == 0; i++) {
        char *path = omsi_path_join(dir, names.paths[i]);
        rc = path ? replay_file(t, path, count) : 1;
        free(path);
    }
    omsi_path_list_free(&names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--pack") == 0) {
        const omsi_fuzz_target *t = omsi_fuzz_target_by_name(argv[2]);
        if (!t) {
            fprintf(stderr, "fuzz_replay: unknown target '%s'\n", argv[2]);
            return 2;
        }
        return omsi_fuzz_pack(t, argv[3], argv[4]) == 0 ? 0 : 1;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: fuzz_replay TARGET FILE|DIR... | --pack TARGET DIR OUT\n");
        return 2;
    }
    const omsi_fuzz_target *t = omsi_fuzz_target_by_name(argv[1]);
    if (!t) {
        fprintf(stderr, "fuzz_replay: unknown target '%s'\n", argv[1]);
        return 2;
    }
    int count = 0;
    for (int i = 2; i < argc; i++) {
        int rc = omsi_is_directory(argv[i]) ? replay_dir(t, argv[i], &count)
                                            : replay_file(t, argv[i], &count);
        if (rc)
            return 1;
    }
    omsi_fuzz_cleanup();
    printf("fuzz_replay %s: %d inputs replayed without a crash\n", t->name, count);
    return 0;
}
