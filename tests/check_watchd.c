/* Unit tests of omsi-watchd's pure parts: config parsing, grouping files
 * into datasets, the settle rule with a fake clock (on real generated
 * Analyze 7.5 datasets, so the reader's VALID/INCOMPLETE verdict is real),
 * folder scans, the inotify watcher's dirty-folder reports, and the job
 * queue rules the daemon relies on (owners, unchanged datasets, bounded
 * history, release from quarantine), and classification in child
 * processes with CPU and wall-time limits. */
#include "base/omsi_proc.h"
#include "catalog/catalog.h"
#include "tools/gen.h"
#include "tests/test_support.h"
#include "watchd/watchd_classify.h"
#include "watchd/watchd_config.h"
#include "watchd/watchd_group.h"
#include "watchd/watchd_inotify.h"
#include "watchd/watchd_partials.h"
#include "watchd/watchd_scan.h"
#include "watchd/watchd_settle.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_text(const char *dir, const char *name, const char *text)
{
    omsi_error err = {0};
    ck_assert_msg(omsi_gen_write_file(dir, name, text, strlen(text), &err) == 0, "%s", err.message);
}

static char *join(const char *a, const char *b)
{
    char *p = omsi_path_join(a, b);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* ---- config ---- */

START_TEST(config_parses_keys_comments_quotes_and_repeats)
{
    watchd_config c;
    watchd_config_init(&c);
    omsi_error err = {0};
    const char *text = "# comment\n"
                       "\n"
                       "watch = /data/drop1\n"
                       "  watch=\"/data/drop 2 \"  \n"
                       "output_dir = /data/out\r\n"
                       "catalog = /var/lib/x.sqlite\n"
                       "settle = 2.5\n"
                       "workers = 3\n"
                       "poll = 10\n"
                       "max_attempts = 4\n"
                       "retry_backoff = 7\n"
                       "calibration = plain\n"
                       "strict_checksums = true\n"
                       "log_level = debug";
    ck_assert_int_eq(watchd_config_parse(&c, text, "t.conf", &err), 0);
    ck_assert_uint_eq(c.watch.count, 2);
    ck_assert_str_eq(c.watch.paths[0], "/data/drop1");
    ck_assert_str_eq(c.watch.paths[1], "/data/drop 2 ");
    ck_assert_str_eq(c.output_dir, "/data/out");
    ck_assert_str_eq(c.catalog, "/var/lib/x.sqlite");
    ck_assert_double_eq(c.settle_seconds, 2.5);
    ck_assert_uint_eq(c.workers, 3);
    ck_assert_double_eq(c.poll_seconds, 10);
    ck_assert_uint_eq(c.max_attempts, 4);
    ck_assert_double_eq(c.retry_backoff, 7);
    ck_assert_int_eq(c.log_level, OMSI_LOG_DEBUG);
    ck_assert_int_eq(c.calibration, OMSI_CALIBRATION_PLAIN);
    ck_assert(c.strict_checksums);
    ck_assert_int_eq(watchd_config_validate(&c, &err), 0);
    watchd_config_free(&c);
}
END_TEST

START_TEST(config_defaults_and_validation)
{
    watchd_config c;
    watchd_config_init(&c);
    omsi_error err = {0};
    ck_assert_double_eq(c.settle_seconds, WATCHD_DEFAULT_SETTLE);
    ck_assert_uint_eq(c.workers, 1);
    ck_assert_double_eq(c.poll_seconds, 0);
    ck_assert_int_eq(c.calibration, OMSI_CALIBRATION_AUTO);
    ck_assert(!c.strict_checksums);
    ck_assert_int_eq(watchd_config_validate(&c, &err), OMSI_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "no drop folder"));
    ck_assert_int_eq(watchd_config_set(&c, "watch", "/a", "--watch", &err), 0);
    ck_assert_int_eq(watchd_config_validate(&c, &err), OMSI_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "no output folder"));
    watchd_config_free(&c);
}
END_TEST

START_TEST(config_errors_name_file_and_line)
{
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"watch = /a\nspeed = 3\n", "x.conf:2: unknown key 'speed'"},
        {"\n\nworkers = 0\n", "x.conf:3: workers must be a whole number 1..256, not '0'"},
        {"workers = -2\n", "x.conf:1: workers must be a whole number"},
        {"settle = soon\n", "x.conf:1: settle must be a number of seconds >= 0, not 'soon'"},
        {"settle = -1\n", "x.conf:1: settle must be a number"},
        {"settle = nan\n", "x.conf:1: settle must be a number"},
        {"watch /a\n", "x.conf:1: expected 'key = value'"},
        {" = /a\n", "x.conf:1: missing key before '='"},
        {"watch =\n", "x.conf:1: watch needs a path"},
        {"log_level = loud\n", "x.conf:1: log_level must be error, warning"},
        {"calibration = best\n", "x.conf:1: calibration must be auto, plain or hpc, not 'best'"},
        {"strict_checksums = yes\n", "x.conf:1: strict_checksums must be true or false, not 'yes'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        watchd_config c;
        watchd_config_init(&c);
        omsi_error err = {0};
        ck_assert_int_eq(watchd_config_parse(&c, cases[i].text, "x.conf", &err), OMSI_ERR_USAGE);
        ck_assert_msg(strstr(err.message, cases[i].message), "case %zu: got '%s'", i, err.message);
        watchd_config_free(&c);
    }
}
END_TEST

START_TEST(config_load_reads_a_file_and_reports_a_missing_one)
{
    char *dir = omsi_test_mkdtemp("watchd-conf");
    write_text(dir, "w.conf", "watch = /d\noutput_dir = /o\n");
    char *path = join(dir, "w.conf");
    watchd_config c;
    watchd_config_init(&c);
    omsi_error err = {0};
    ck_assert_int_eq(watchd_config_load(&c, path, &err), 0);
    ck_assert_str_eq(c.output_dir, "/o");
    char *missing = join(dir, "none.conf");
    ck_assert_int_ne(watchd_config_load(&c, missing, &err), 0);
    ck_assert_ptr_nonnull(strstr(err.message, "none.conf"));
    watchd_config_free(&c);
    free(missing);
    free(path);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- grouping ---- */

START_TEST(group_files_by_stem_and_kind)
{
    static const struct {
        const char *name;
        watchd_kind kind;
        const char *stem;
        bool primary;
    } cases[] = {
        {"brain.hdr", WATCHD_KIND_IMG, "brain", true},
        {"brain.t2m", WATCHD_KIND_IMG, "brain", false},
        {"brain.IMG", WATCHD_KIND_IMG, "brain", false},
        {"a.b.imzML", WATCHD_KIND_IMZML, "a.b", true},
        {"a.b.ibd", WATCHD_KIND_IMZML, "a.b", false},
        {"run.mzML", WATCHD_KIND_MZML, "run", true},
        {"run.mzml", WATCHD_KIND_MZML, "run", true},
        {"plate1 Spot List.txt", WATCHD_KIND_BRUKER, "plate1", true},
        {"plate1_spot_list.txt", WATCHD_KIND_BRUKER, "plate1", true},
        {"notes.txt", WATCHD_KIND_NONE, NULL, false},
        {".brain.img.partial", WATCHD_KIND_NONE, NULL, false},
        {".hidden.hdr", WATCHD_KIND_NONE, NULL, false},
        {".hdr", WATCHD_KIND_NONE, NULL, false},
        {"x.h5", WATCHD_KIND_NONE, NULL, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *stem = NULL;
        bool primary = true;
        watchd_kind kind = watchd_group_file(cases[i].name, &stem, &primary);
        ck_assert_msg(kind == cases[i].kind, "%s: kind %d", cases[i].name, (int)kind);
        if (cases[i].stem)
            ck_assert_str_eq(stem, cases[i].stem);
        else
            ck_assert_ptr_null(stem);
        ck_assert_msg(primary == cases[i].primary, "%s: primary", cases[i].name);
        free(stem);
    }
    char *key = watchd_group_key("/d", "brain", WATCHD_KIND_IMG);
    ck_assert_str_eq(key, "/d/brain#img");
    free(key);
    ck_assert_str_eq(watchd_kind_format(WATCHD_KIND_BRUKER), "bruckerflex");
}
END_TEST

START_TEST(group_spot_names_and_bruker_parent)
{
    ck_assert(watchd_is_spot_name("0_R00X012Y006"));
    ck_assert(watchd_is_spot_name("R1X2Y3"));
    ck_assert(watchd_is_spot_name("chipA_R01X1Y10"));
    ck_assert(watchd_is_spot_name("0_A1"));
    ck_assert(watchd_is_spot_name("0_B12"));
    ck_assert(!watchd_is_spot_name("A1"));
    ck_assert(!watchd_is_spot_name("x_A1"));
    ck_assert(!watchd_is_spot_name("0_A"));
    ck_assert(!watchd_is_spot_name("0_12"));
    ck_assert(!watchd_is_spot_name("R00X012"));
    ck_assert(!watchd_is_spot_name("_R1X2Y3"));
    ck_assert(!watchd_is_spot_name("R1X2Y3Z"));
    ck_assert(!watchd_is_spot_name("ROXY"));
    char *p = watchd_group_bruker_parent("/drop/lab/run7/0_R00X001Y002/1/1SLin");
    ck_assert_str_eq(p, "/drop/lab");
    free(p);
    p = watchd_group_bruker_parent("/drop/lab/run7/0_R00X001Y002");
    ck_assert_str_eq(p, "/drop/lab");
    free(p);
    ck_assert_ptr_null(watchd_group_bruker_parent("/drop/lab/run7"));
}
END_TEST

/* ---- the settle rule ---- */

START_TEST(settle_state_machine_with_fake_clock)
{
    watchd_table t;
    watchd_table_init(&t);
    watchd_signature a = {.files = 3, .bytes = 100, .mtime_ns = 5};
    watchd_signature grown = {.files = 3, .bytes = 150, .mtime_ns = 6};
    watchd_candidate *c = watchd_table_observe(&t, "/d/x#img", "/d", "/d/x.hdr", WATCHD_KIND_IMG, a, 0.0);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->state, WATCHD_WAITING);
    ck_assert(!watchd_settled(c, 9.9, 10));
    /* Same signature later: the quiet period keeps running. */
    c = watchd_table_observe(&t, "/d/x#img", "/d", "/d/x.hdr", WATCHD_KIND_IMG, a, 5.0);
    ck_assert_double_eq(c->changed_at, 0.0);
    /* Growth at t=8 restarts it. */
    c = watchd_table_observe(&t, "/d/x#img", "/d", "/d/x.hdr", WATCHD_KIND_IMG, grown, 8.0);
    ck_assert_double_eq(c->changed_at, 8.0);
    ck_assert(!watchd_settled(c, 10.0, 10));
    ck_assert(!watchd_settled(c, 17.9, 10));
    ck_assert(watchd_settled(c, 18.0, 10));
    /* Companions missing: parked, not queued, until the signature changes. */
    ck_assert(!watchd_apply_validity(c, OMSI_INCOMPLETE));
    ck_assert_int_eq(c->state, WATCHD_INCOMPLETE);
    ck_assert(!watchd_settled(c, 100.0, 10));
    c = watchd_table_observe(&t, "/d/x#img", "/d", "/d/x.hdr", WATCHD_KIND_IMG, grown, 100.0);
    ck_assert_int_eq(c->state, WATCHD_INCOMPLETE);
    watchd_signature complete = {.files = 3, .bytes = 200, .mtime_ns = 7};
    c = watchd_table_observe(&t, "/d/x#img", "/d", "/d/x.hdr", WATCHD_KIND_IMG, complete, 101.0);
    ck_assert_int_eq(c->state, WATCHD_WAITING);
    ck_assert(watchd_settled(c, 111.0, 10));
    ck_assert(watchd_apply_validity(c, OMSI_VALID));
    ck_assert_int_eq(c->state, WATCHD_QUEUED);
    /* Queued with this signature: seen again unchanged, it stays queued. */
    c = watchd_table_observe(&t, "/d/x#img", "/d", "/d/x.hdr", WATCHD_KIND_IMG, complete, 500.0);
    ck_assert_int_eq(c->state, WATCHD_QUEUED);
    ck_assert(!watchd_settled(c, 1000.0, 10));
    /* Rewritten later: a new version waits again. */
    complete.mtime_ns = 9;
    c = watchd_table_observe(&t, "/d/x#img", "/d", "/d/x.hdr", WATCHD_KIND_IMG, complete, 600.0);
    ck_assert_int_eq(c->state, WATCHD_WAITING);
    /* Not a dataset: ignored; broken: queued (to be quarantined with its error). */
    ck_assert(!watchd_apply_validity(c, OMSI_NOT_THIS_FORMAT));
    ck_assert_int_eq(c->state, WATCHD_IGNORED);
    ck_assert(watchd_apply_validity(c, OMSI_BROKEN));
    /* The primary file arriving counts as a change. */
    c = watchd_table_observe(&t, "/d/y#img", "/d", NULL, WATCHD_KIND_IMG, a, 0.0);
    omsi_error why = {0};
    ck_assert_int_eq(watchd_probe(c, &why), OMSI_INCOMPLETE);
    ck_assert_ptr_nonnull(strstr(why.message, "missing"));
    c = watchd_table_observe(&t, "/d/y#img", "/d", "/d/y.hdr", WATCHD_KIND_IMG, a, 3.0);
    ck_assert_double_eq(c->changed_at, 3.0);
    ck_assert_uint_eq(t.count, 2);
    ck_assert_uint_eq(watchd_table_waiting(&t), 1);
    /* A scan of /d that no longer sees x drops it. */
    watchd_table_begin_scan(&t, "/d");
    watchd_table_observe(&t, "/d/y#img", "/d", "/d/y.hdr", WATCHD_KIND_IMG, a, 4.0);
    ck_assert_uint_eq(watchd_table_end_scan(&t, "/d"), 1);
    ck_assert_uint_eq(t.count, 1);
    ck_assert_ptr_null(watchd_table_find(&t, "/d/x#img"));
    watchd_table_free(&t);
}
END_TEST

static watchd_candidate *only_candidate(watchd_table *t, watchd_kind kind)
{
    watchd_candidate *found = NULL;
    for (size_t i = 0; i < t->count; i++) {
        if (t->items[i].kind == kind) {
            ck_assert_ptr_null(found);
            found = &t->items[i];
        }
    }
    ck_assert_ptr_nonnull(found);
    return found;
}

/* A real Analyze dataset written in steps: the settle rule and the img
 * reader's verdict together decide when it is taken. */
START_TEST(settle_growing_analyze_dataset)
{
    char *dir = omsi_test_mkdtemp("watchd-settle");
    char *src = omsi_test_mkdtemp("watchd-settle-src");
    omsi_gen_params p = omsi_gen_params_default();
    omsi_error err = {0};
    char *made = NULL;
    ck_assert_msg(omsi_gen_img(src, "brain", &p, &made, &err) == 0, "%s", err.message);
    free(made);
    /* The .hdr first, half of the .img, no .t2m yet. */
    char *buf = NULL;
    size_t img_len = 0;
    char *src_img = join(src, "brain.img");
    ck_assert_int_eq(omsi_read_small_file(src_img, 1 << 20, &buf, &img_len, &err), 0);
    char *hdr_text = NULL, *t2m = NULL;
    size_t hdr_len = 0, t2m_len = 0;
    char *src_hdr = join(src, "brain.hdr"), *src_t2m = join(src, "brain.t2m");
    ck_assert_int_eq(omsi_read_small_file(src_hdr, 1 << 20, &hdr_text, &hdr_len, &err), 0);
    ck_assert_int_eq(omsi_read_small_file(src_t2m, 1 << 20, &t2m, &t2m_len, &err), 0);
    ck_assert_int_eq(omsi_gen_write_file(dir, "brain.hdr", hdr_text, hdr_len, &err), 0);
    ck_assert_int_eq(omsi_gen_write_file(dir, "brain.img", buf, img_len / 2, &err), 0);

    watchd_table t;
    watchd_table_init(&t);
    const double settle = 10;
    ck_assert_int_eq(watchd_scan_dir(&t, dir, false, 0.0, NULL, &err), 0);
    watchd_candidate *c = only_candidate(&t, WATCHD_KIND_IMG);
    ck_assert_uint_eq(c->sig.files, 2);
    ck_assert(watchd_settled(c, settle, settle));
    omsi_error why = {0};
    ck_assert_int_eq(watchd_probe(c, &why), OMSI_INCOMPLETE);
    ck_assert_msg(strstr(why.message, "brain.t2m"), "%s", why.message);
    ck_assert(!watchd_apply_validity(c, OMSI_INCOMPLETE));

    /* .t2m arrives: a change; the .img still short: incomplete. */
    ck_assert_int_eq(omsi_gen_write_file(dir, "brain.t2m", t2m, t2m_len, &err), 0);
    ck_assert_int_eq(watchd_scan_dir(&t, dir, false, 20.0, NULL, &err), 0);
    c = only_candidate(&t, WATCHD_KIND_IMG);
    ck_assert_int_eq(c->state, WATCHD_WAITING);
    ck_assert_uint_eq(c->sig.files, 3);
    ck_assert(!watchd_settled(c, 29.0, settle));
    ck_assert(watchd_settled(c, 30.0, settle));
    ck_assert_int_eq(watchd_probe(c, &why), OMSI_INCOMPLETE);
    ck_assert(!watchd_apply_validity(c, OMSI_INCOMPLETE));

    /* The rest of the .img: waits the settle time again, then VALID. */
    ck_assert_int_eq(omsi_gen_write_file(dir, "brain.img", buf, img_len, &err), 0);
    ck_assert_int_eq(watchd_scan_dir(&t, dir, false, 40.0, NULL, &err), 0);
    c = only_candidate(&t, WATCHD_KIND_IMG);
    ck_assert_uint_eq(c->sig.bytes, hdr_len + t2m_len + img_len);
    ck_assert(!watchd_settled(c, 45.0, settle));
    ck_assert_int_eq(watchd_scan_dir(&t, dir, false, 50.0, NULL, &err), 0);
    c = only_candidate(&t, WATCHD_KIND_IMG);
    ck_assert(watchd_settled(c, 50.0, settle));
    ck_assert_int_eq(watchd_probe(c, &why), OMSI_VALID);
    ck_assert(watchd_apply_validity(c, OMSI_VALID));
    char *hdr = join(dir, "brain.hdr");
    ck_assert_str_eq(c->path, hdr);

    /* Removing a companion after queueing is a change (a new version would wait). */
    char *t2m_path = join(dir, "brain.t2m");
    ck_assert_int_eq(unlink(t2m_path), 0);
    ck_assert_int_eq(watchd_scan_dir(&t, dir, false, 60.0, NULL, &err), 0);
    c = only_candidate(&t, WATCHD_KIND_IMG);
    ck_assert_int_eq(c->state, WATCHD_WAITING);
    ck_assert_int_eq(watchd_probe(c, &why), OMSI_INCOMPLETE);

    watchd_table_free(&t);
    free(t2m_path);
    free(hdr);
    free(buf);
    free(hdr_text);
    free(t2m);
    free(src_img);
    free(src_hdr);
    free(src_t2m);
    omsi_test_rmtree(dir);
    omsi_test_rmtree(src);
    free(dir);
    free(src);
}
END_TEST

static void mkdirs(const char *base, const char *rel)
{
    char *path = join(base, rel);
    for (char *p = path + strlen(base) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    mkdir(path, 0755);
    free(path);
}

START_TEST(scan_groups_a_mixed_folder)
{
    char *dir = omsi_test_mkdtemp("watchd-scan");
    write_text(dir, "a.hdr", "h");
    write_text(dir, "a.t2m", "tt");
    write_text(dir, "a.img", "iii");
    write_text(dir, "b.imzML", "<x/>");
    write_text(dir, "b.ibd", "12345");
    write_text(dir, "c.mzML", "<mzML/>");
    write_text(dir, "notes.txt", "n");
    write_text(dir, ".a.img.partial", "p");
    write_text(dir, "run7 Spot List.txt", "# list\n");
    mkdirs(dir, "run7/0_R00X001Y002/1/1SLin");
    mkdirs(dir, "run7/0_R00X002Y002/1/1SLin");
    char *spot1 = join(dir, "run7/0_R00X001Y002/1/1SLin");
    char *spot2 = join(dir, "run7/0_R00X002Y002/1/1SLin");
    write_text(spot1, "acqu", "##$TD= 4\n");
    write_text(spot1, "fid", "1234");
    write_text(spot2, "acqu", "##$TD= 4\n");
    mkdirs(dir, "sub/deeper");
    char *deeper = join(dir, "sub/deeper");
    write_text(deeper, "d.mzML", "<mzML/>");
    char *link = join(dir, "link.mzML");
    char *target = join(dir, "c.mzML");
    ck_assert_int_eq(symlink(target, link), 0);

    watchd_table t;
    watchd_table_init(&t);
    omsi_error err = {0};
    ck_assert_int_eq(watchd_scan_dir(&t, dir, false, 0.0, NULL, &err), 0);
    ck_assert_uint_eq(t.count, 4);
    watchd_candidate *img = only_candidate(&t, WATCHD_KIND_IMG);
    ck_assert_uint_eq(img->sig.files, 3);
    ck_assert_uint_eq(img->sig.bytes, 6);
    watchd_candidate *imzml = only_candidate(&t, WATCHD_KIND_IMZML);
    ck_assert_uint_eq(imzml->sig.files, 2);
    char *expect = join(dir, "b.imzML");
    ck_assert_str_eq(imzml->path, expect);
    free(expect);
    watchd_candidate *mzml = only_candidate(&t, WATCHD_KIND_MZML);
    ck_assert_uint_eq(mzml->sig.files, 1); /* the symlink is not followed */
    watchd_candidate *bruker = only_candidate(&t, WATCHD_KIND_BRUKER);
    ck_assert_uint_eq(bruker->sig.files, 4); /* spot list + 3 spot files */
    expect = join(dir, "run7 Spot List.txt"); /* the list wins over the folder */
    ck_assert_str_eq(bruker->path, expect);
    free(expect);
    char *run7 = join(dir, "run7");
    ck_assert(watchd_is_bruker_run(run7));
    free(run7);

    /* Recursive: the sub-folder's dataset too, with its own folder. */
    ck_assert_int_eq(watchd_scan_dir(&t, dir, true, 1.0, NULL, &err), 0);
    ck_assert_uint_eq(t.count, 5);
    char *key = watchd_group_key(deeper, "d", WATCHD_KIND_MZML);
    watchd_candidate *d = watchd_table_find(&t, key);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->dir, deeper);
    free(key);

    /* A new spot file changes the Bruker signature. */
    write_text(spot2, "fid", "5678");
    ck_assert_int_eq(watchd_scan_dir(&t, dir, false, 2.0, NULL, &err), 0);
    bruker = only_candidate(&t, WATCHD_KIND_BRUKER);
    ck_assert_uint_eq(bruker->sig.files, 5);
    ck_assert_double_eq(bruker->changed_at, 2.0);

    watchd_table_free(&t);
    free(link);
    free(target);
    free(spot1);
    free(spot2);
    free(deeper);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* The shared Bruker corpus, scanned in place (read only): the two spot
 * trees are datasets the reader calls valid; the spot list without its run
 * folder is one it calls incomplete. */
START_TEST(scan_shared_bruker_trees)
{
    char *root = omsi_test_shared_path("brukerflex");
    watchd_table t;
    watchd_table_init(&t);
    omsi_error err = {0};
    ck_assert_int_eq(watchd_scan_dir(&t, root, true, 0.0, NULL, &err), 0);
    ck_assert_uint_eq(t.count, 3);
    unsigned valid = 0, incomplete = 0;
    for (size_t i = 0; i < t.count; i++) {
        watchd_candidate *c = &t.items[i];
        ck_assert_int_eq(c->kind, WATCHD_KIND_BRUKER);
        ck_assert_ptr_nonnull(c->path);
        omsi_error why = {0};
        omsi_validity v = watchd_probe(c, &why);
        if (strstr(c->path, "_spot_list.txt")) {
            ck_assert_int_eq(v, OMSI_INCOMPLETE);
            incomplete++;
        } else {
            ck_assert_msg(v == OMSI_VALID, "%s: %s", c->path, why.message);
            ck_assert(c->sig.files >= 2); /* acqu + fid at least */
            valid++;
        }
    }
    ck_assert_uint_eq(valid, 2);
    ck_assert_uint_eq(incomplete, 1);
    watchd_table_free(&t);
    free(root);
}
END_TEST

START_TEST(inotify_reports_changed_and_new_folders)
{
    char *dir = omsi_test_mkdtemp("watchd-inotify");
    mkdirs(dir, "old/inner");
    watchd_watcher w;
    omsi_error err = {0};
    ck_assert_int_eq(watchd_watcher_open(&w, NULL, &err), 0);
    omsi_path_list added;
    omsi_path_list_init(&added);
    ck_assert_int_eq(watchd_watcher_add_tree(&w, dir, &added, &err), 0);
    ck_assert_uint_eq(w.count, 3);
    ck_assert_uint_eq(added.count, 3);
    omsi_path_list_free(&added);

    char *inner = join(dir, "old/inner");
    write_text(inner, "x.mzML", "<mzML/>");
    mkdirs(dir, "new/deep");
    char *deep = join(dir, "new/deep");
    omsi_path_list dirty;
    omsi_path_list_init(&dirty);
    bool overflow = false;
    ck_assert_int_eq(watchd_watcher_read(&w, &dirty, &overflow, &err), 0);
    ck_assert(!overflow);
    bool saw_inner = false, saw_root = false, saw_deep = false;
    for (size_t i = 0; i < dirty.count; i++) {
        saw_inner |= strcmp(dirty.paths[i], inner) == 0;
        saw_root |= strcmp(dirty.paths[i], dir) == 0;
        saw_deep |= strcmp(dirty.paths[i], deep) == 0;
    }
    ck_assert(saw_inner && saw_root && saw_deep);
    ck_assert_uint_eq(w.count, 5); /* new and new/deep are watched now */
    omsi_path_list_free(&dirty);

    /* A file in the new deep folder is reported. */
    omsi_path_list_init(&dirty);
    write_text(deep, "y.mzML", "<mzML/>");
    ck_assert_int_eq(watchd_watcher_read(&w, &dirty, &overflow, &err), 0);
    ck_assert_uint_eq(dirty.count, 1);
    ck_assert_str_eq(dirty.paths[0], deep);
    omsi_path_list_free(&dirty);

    watchd_watcher_close(&w);
    free(inner);
    free(deep);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(config_settle_bruker)
{
    watchd_config c;
    watchd_config_init(&c);
    omsi_error err = {0};
    /* Default: 4 x settle, 120 s at the default settle. */
    ck_assert_double_eq(watchd_config_settle_bruker(&c), 120.0);
    ck_assert_int_eq(watchd_config_set(&c, "settle", "2", "--settle", &err), 0);
    ck_assert_double_eq(watchd_config_settle_bruker(&c), 8.0);
    ck_assert_int_eq(watchd_config_set(&c, "settle_bruker", "300", "f:3", &err), 0);
    ck_assert_double_eq(watchd_config_settle_bruker(&c), 300.0);
    ck_assert_int_eq(watchd_config_set(&c, "settle_bruker", "soon", "f:4", &err), OMSI_ERR_USAGE);
    ck_assert_ptr_nonnull(strstr(err.message, "f:4: settle_bruker must be a number of seconds"));
    watchd_config_free(&c);
}
END_TEST

/* ---- process identity and the job queue ---- */

START_TEST(proc_identity_tells_a_dead_or_other_process)
{
    uint64_t mine = 0;
    ck_assert(omsi_proc_start_time(getpid(), &mine));
    ck_assert(mine > 0);
    ck_assert(omsi_proc_alive(getpid(), mine));
    ck_assert(omsi_proc_alive(getpid(), 0));
    ck_assert(!omsi_proc_alive(getpid(), mine + 1)); /* a reused pid */
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0)
        _exit(0);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(!omsi_proc_alive(child, 0));
    ck_assert(!omsi_proc_alive(0, 0));
}
END_TEST

static omsi_catalog *fresh_catalog(char **dir)
{
    *dir = omsi_test_mkdtemp("watchd-jobs");
    char *path = join(*dir, "c.sqlite");
    omsi_catalog *cat = NULL;
    omsi_error err = {0};
    ck_assert_msg(omsi_catalog_open(path, OMSI_CATALOG_READ_WRITE, &cat, &err) == 0, "%s", err.message);
    free(path);
    return cat;
}

static omsi_job_state state_of(omsi_catalog *cat, int64_t id)
{
    omsi_job_state st = OMSI_JOB_PENDING;
    omsi_error err = {0};
    ck_assert_msg(omsi_catalog_job_state(cat, id, &st, &err) == 0, "%s", err.message);
    return st;
}

static bool exists_in(const char *dir, const char *name)
{
    char *p = join(dir, name);
    bool yes = access(p, F_OK) == 0;
    free(p);
    return yes;
}

/* A job taken over: the names its stem had before this worker's are
 * removed where the catalog holds none; the stem is the name without the
 * "-N.h5" publish gave, even when it ends in digits of its own. */
START_TEST(unrecorded_outputs_of_a_taken_over_job)
{
    char *dir;
    omsi_catalog *cat = fresh_catalog(&dir);
    static const char *const names[] = {"d62.h5", "d62-2.h5", "d62-000103262319.h5", "a-0123456789ab.h5",
                                        "a-0123456789ab-2.h5", "a-0123456789ab-3.h5", "a-0123456789ab-4.h5",
                                        "a.h5"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        write_text(dir, names[i], "x");
    omsi_logger quiet = {0};
    /* the first name of a stem that ends in decimal digits: nothing before it */
    char *out = join(dir, "d62-000103262319.h5");
    watchd_remove_unrecorded_outputs(cat, out, 1, &quiet);
    free(out);
    ck_assert(exists_in(dir, "d62.h5") && exists_in(dir, "d62-2.h5") && exists_in(dir, "d62-000103262319.h5"));
    /* a number that is not the name's: nothing */
    out = join(dir, "a-0123456789ab-3.h5");
    watchd_remove_unrecorded_outputs(cat, out, 4, &quiet);
    ck_assert(exists_in(dir, "a-0123456789ab.h5") && exists_in(dir, "a-0123456789ab-2.h5"));
    /* the third name: the first two go, the output, later names and other stems stay */
    watchd_remove_unrecorded_outputs(cat, out, 3, &quiet);
    free(out);
    ck_assert(!exists_in(dir, "a-0123456789ab.h5"));
    ck_assert(!exists_in(dir, "a-0123456789ab-2.h5"));
    ck_assert(exists_in(dir, "a-0123456789ab-3.h5") && exists_in(dir, "a-0123456789ab-4.h5") && exists_in(dir, "a.h5"));
    ck_assert(exists_in(dir, "d62.h5") && exists_in(dir, "d62-2.h5"));
    omsi_catalog_close(cat);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(jobs_claim_records_the_owner)
{
    char *dir;
    omsi_catalog *cat = fresh_catalog(&dir);
    omsi_error err = {0};
    int64_t id = 0;
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/drop/a.hdr", "img", &id, &err), 0);
    omsi_job job;
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 10, &job, &err), 1);
    omsi_job_free(&job);
    omsi_job_owner *owners = NULL;
    size_t n = 0;
    ck_assert_int_eq(omsi_catalog_job_running_owners(cat, &owners, &n, &err), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(owners[0].job_id, id);
    ck_assert_int_eq(owners[0].pid, getpid());
    uint64_t start = 0;
    ck_assert(omsi_proc_start_time(getpid(), &start));
    ck_assert_uint_eq(owners[0].start, start);
    free(owners);
    ck_assert_int_eq(omsi_catalog_job_done(cat, id, &err), 0);
    ck_assert_int_eq(omsi_catalog_job_running_owners(cat, &owners, &n, &err), 0);
    ck_assert_uint_eq(n, 0);
    free(owners);
    omsi_catalog_close(cat);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(jobs_unchanged_dataset_is_not_queued_again)
{
    char *dir;
    omsi_catalog *cat = fresh_catalog(&dir);
    omsi_error err = {0};
    omsi_job_seen seen = {.files = 3, .bytes = 1000, .mtime_ns = 123456789};
    int64_t id = 0, again = 0;
    bool unchanged = true;
    ck_assert_int_eq(omsi_catalog_job_enqueue_seen(cat, "/drop/a.hdr", "img", &seen, &id, &unchanged, &err), 0);
    ck_assert(!unchanged);
    /* Still pending: the same job. */
    ck_assert_int_eq(omsi_catalog_job_enqueue_seen(cat, "/drop/a.hdr", "img", &seen, &again, &unchanged, &err), 0);
    ck_assert_int_eq(again, id);
    ck_assert(!unchanged);
    omsi_job job;
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 10, &job, &err), 1);
    omsi_job_free(&job);
    ck_assert_int_eq(omsi_catalog_job_done(cat, id, &err), 0);
    /* Done and unchanged (a restart): nothing new. */
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(omsi_catalog_job_enqueue_seen(cat, "/drop/a.hdr", "img", &seen, &again, &unchanged, &err), 0);
        ck_assert(unchanged);
        ck_assert_int_eq(again, id);
    }
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 20, &job, &err), 0);
    /* Any change of count, size or newest mtime queues it again. */
    seen.mtime_ns++;
    ck_assert_int_eq(omsi_catalog_job_enqueue_seen(cat, "/drop/a.hdr", "img", &seen, &again, &unchanged, &err), 0);
    ck_assert(!unchanged);
    ck_assert_int_gt(again, id);
    ck_assert_int_eq(state_of(cat, again), OMSI_JOB_PENDING);
    omsi_catalog_close(cat);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(jobs_history_is_bounded)
{
    char *dir;
    omsi_catalog *cat = fresh_catalog(&dir);
    omsi_error err = {0};
    int64_t first = 0, other = 0, id = 0;
    ck_assert_int_eq(omsi_catalog_job_enqueue(cat, "/drop/other.hdr", "img", &other, &err), 0);
    for (int i = 0; i < OMSI_JOB_HISTORY + 5; i++) {
        omsi_job_seen seen = {.files = 3, .bytes = 1000, .mtime_ns = i};
        ck_assert_int_eq(omsi_catalog_job_enqueue_seen(cat, "/drop/a.hdr", "img", &seen, &id, NULL, &err), 0);
        if (i == 0)
            first = id;
        ck_assert_int_eq(omsi_catalog_job_done(cat, id, &err), 0);
    }
    omsi_job_state st;
    /* The oldest 5 of the path are gone, the newest 20 and other paths stay. */
    for (int64_t k = first; k < first + 5; k++)
        ck_assert_int_eq(omsi_catalog_job_state(cat, k, &st, &err), OMSI_ERR_USAGE);
    for (int64_t k = first + 5; k <= id; k++)
        ck_assert_int_eq(state_of(cat, k), OMSI_JOB_DONE);
    ck_assert_int_eq(state_of(cat, other), OMSI_JOB_PENDING);
    omsi_catalog_close(cat);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(jobs_quarantine_and_release_by_a_change)
{
    char *dir;
    omsi_catalog *cat = fresh_catalog(&dir);
    omsi_error err = {0};
    omsi_job_seen seen = {.files = 3, .bytes = 1000, .mtime_ns = 5};
    int64_t id = 0, again = 0;
    bool unchanged = false;
    ck_assert_int_eq(omsi_catalog_job_quarantine_now(cat, "/drop/a.hdr", "img", &seen,
                                                     "a.img: 1200 bytes, need 2400", &id, &err), 0);
    ck_assert_int_eq(state_of(cat, id), OMSI_JOB_QUARANTINED);
    /* Unchanged: stays quarantined, not queued, not quarantined twice. */
    ck_assert_int_eq(omsi_catalog_job_enqueue_seen(cat, "/drop/a.hdr", "img", &seen, &again, &unchanged, &err), 0);
    ck_assert(unchanged);
    ck_assert_int_eq(again, id);
    ck_assert_int_eq(omsi_catalog_job_quarantine_now(cat, "/drop/a.hdr", "img", &seen, "again", &again, &err), 0);
    ck_assert_int_eq(again, id);
    /* Changed: a new pending job; the old one leaves quarantine, saying why. */
    seen.bytes = 2400;
    ck_assert_int_eq(omsi_catalog_job_enqueue_seen(cat, "/drop/a.hdr", "img", &seen, &again, &unchanged, &err), 0);
    ck_assert(!unchanged);
    ck_assert_int_gt(again, id);
    ck_assert_int_eq(state_of(cat, again), OMSI_JOB_PENDING);
    ck_assert_int_eq(state_of(cat, id), OMSI_JOB_DONE);
    omsi_job job;
    ck_assert_int_eq(omsi_catalog_job_claim(cat, 10, &job, &err), 1);
    ck_assert_int_eq(job.id, again);
    omsi_job_free(&job);
    /* A quarantine verdict while a job is on its way changes nothing. */
    ck_assert_int_eq(omsi_catalog_job_quarantine_now(cat, "/drop/a.hdr", "img", &seen, "x", &id, &err), 0);
    ck_assert_int_eq(id, again);
    ck_assert_int_eq(state_of(cat, again), OMSI_JOB_RUNNING);
    omsi_catalog_close(cat);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

/* ---- classification in child processes ---- */

/* Collects until one verdict comes (hang guard: 30 s), at time now. */
static watchd_verdict one_verdict(watchd_classifiers *set, double now)
{
    watchd_verdict v[WATCHD_CLASSIFY_SLOTS];
    for (int i = 0; i < 3000; i++) {
        size_t n = watchd_classify_collect(set, now, v, WATCHD_CLASSIFY_SLOTS);
        if (n) {
            ck_assert_uint_eq(n, 1);
            return v[0];
        }
        usleep(10 * 1000);
    }
    ck_abort_msg("no verdict from the classifier");
    return v[0];
}

/* Reaps what is left (a killed classifier gives no second verdict). */
static void drain(watchd_classifiers *set)
{
    watchd_verdict v[WATCHD_CLASSIFY_SLOTS];
    for (int i = 0; i < 3000 && watchd_classify_running(set); i++) {
        ck_assert_uint_eq(watchd_classify_collect(set, 0, v, WATCHD_CLASSIFY_SLOTS), 0);
        usleep(10 * 1000);
    }
    ck_assert_uint_eq(watchd_classify_running(set), 0);
}

/* An mzML whose root start tag has 60000 attributes: libxml2 2.9 checks
 * them pairwise, tens of seconds of CPU just to see the root. */
static void write_slow_mzml(const char *dir)
{
    size_t cap = 60000 * 16 + 256, len = 0;
    char *text = malloc(cap);
    ck_assert_ptr_nonnull(text);
    len += (size_t)snprintf(text, cap, "<?xml version=\"1.0\"?>\n<mzML xmlns=\"http://psi.hupo.org/ms/mzml\"");
    for (int i = 0; i < 60000; i++)
        len += (size_t)snprintf(text + len, cap - len, " a%d=\"\"", i);
    len += (size_t)snprintf(text + len, cap - len, ">\n<run id=\"r\"/></mzML>\n");
    omsi_error err = {0};
    ck_assert_int_eq(omsi_gen_write_file(dir, "slow.mzML", text, len, &err), 0);
    free(text);
}

START_TEST(classify_in_a_child_valid_and_incomplete)
{
    char *dir = omsi_test_mkdtemp("watchd-classify");
    omsi_gen_params p = omsi_gen_params_default();
    omsi_error err = {0};
    char *made = NULL;
    ck_assert_msg(omsi_gen_img(dir, "brain", &p, &made, &err) == 0, "%s", err.message);
    free(made);
    watchd_table t;
    watchd_table_init(&t);
    ck_assert_int_eq(watchd_scan_dir(&t, dir, false, 0.0, NULL, &err), 0);
    watchd_candidate *c = only_candidate(&t, WATCHD_KIND_IMG);
    watchd_classifiers set;
    watchd_classifiers_init(&set, 30);
    pid_t pid = 0;
    ck_assert_msg(watchd_classify_start(&set, c, false, 0.0, &pid, &err) == 0, "%s", err.message);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(c->state, WATCHD_CLASSIFYING);
    ck_assert(watchd_classify_busy(&set, c->key));
    ck_assert(!watchd_classify_full(&set));
    ck_assert_uint_eq(watchd_table_waiting(&t), 1); /* not decided yet */
    watchd_verdict v = one_verdict(&set, 0.0);
    ck_assert(!v.failed);
    ck_assert_int_eq(v.validity, OMSI_VALID);
    ck_assert_str_eq(v.key, c->key);
    ck_assert_uint_eq(v.sig.files, 3);
    ck_assert_uint_eq(watchd_classify_running(&set), 0);
    ck_assert(!watchd_classify_busy(&set, c->key));
    watchd_verdict_free(&v);

    /* Without its .t2m: INCOMPLETE, with the reader's reason. */
    char *t2m = join(dir, "brain.t2m");
    ck_assert_int_eq(unlink(t2m), 0);
    ck_assert_int_eq(watchd_scan_dir(&t, dir, false, 1.0, NULL, &err), 0);
    c = only_candidate(&t, WATCHD_KIND_IMG);
    ck_assert_int_eq(watchd_classify_start(&set, c, true, 1.0, NULL, &err), 0);
    v = one_verdict(&set, 1.0);
    ck_assert(!v.failed);
    ck_assert(v.stuck);
    ck_assert_int_eq(v.validity, OMSI_INCOMPLETE);
    ck_assert_msg(strstr(v.why.message, "brain.t2m"), "%s", v.why.message);
    watchd_verdict_free(&v);
    free(t2m);
    watchd_table_free(&t);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(classify_limits_wall_cpu_and_signals)
{
    char *dir = omsi_test_mkdtemp("watchd-classify-slow");
    write_slow_mzml(dir);
    omsi_error err = {0};
    watchd_table t;
    watchd_table_init(&t);
    ck_assert_int_eq(watchd_scan_dir(&t, dir, false, 0.0, NULL, &err), 0);
    watchd_candidate *c = only_candidate(&t, WATCHD_KIND_MZML);
    watchd_classifiers set;

    /* Wall time: past its deadline (a fake clock) it is killed at once,
     * and the verdict names the file and the limit. */
    watchd_classifiers_init(&set, 5);
    pid_t pid = 0;
    ck_assert_int_eq(watchd_classify_start(&set, c, false, 0.0, &pid, &err), 0);
    watchd_verdict v = one_verdict(&set, 5.5);
    ck_assert(v.failed);
    ck_assert_msg(strstr(v.why.message, "slow.mzML: classification exceeded 5 s CPU/wall time"), "%s",
                  v.why.message);
    watchd_verdict_free(&v);
    drain(&set);
    ck_assert_int_ne(kill(pid, 0), 0);

    /* Killed from outside: the signal is the reason (SIGUSR1: sanitizers
     * catch SIGSEGV themselves and exit instead). */
    ck_assert_int_eq(watchd_classify_start(&set, c, false, 0.0, &pid, &err), 0);
    ck_assert_int_eq(kill(pid, SIGUSR1), 0);
    v = one_verdict(&set, 0.0);
    ck_assert(v.failed);
    char expected[64];
    snprintf(expected, sizeof expected, "classification killed by signal %d", SIGUSR1);
    ck_assert_msg(strstr(v.why.message, expected), "%s", v.why.message);
    watchd_verdict_free(&v);

    /* CPU: RLIMIT_CPU ends it after 1 s of CPU even when the clock says
     * there is time left. */
    set.timeout = 1;
    ck_assert_int_eq(watchd_classify_start(&set, c, false, 0.0, &pid, &err), 0);
    v = one_verdict(&set, 0.0);
    ck_assert(v.failed);
    ck_assert_msg(strstr(v.why.message, "classification exceeded 1 s CPU/wall time"), "%s", v.why.message);
    watchd_verdict_free(&v);

    /* Stop kills and reaps whatever runs. */
    ck_assert_int_eq(watchd_classify_start(&set, c, false, 0.0, &pid, &err), 0);
    watchd_classify_stop(&set);
    ck_assert_uint_eq(watchd_classify_running(&set), 0);
    ck_assert_int_ne(kill(pid, 0), 0);
    watchd_table_free(&t);
    omsi_test_rmtree(dir);
    free(dir);
}
END_TEST

START_TEST(config_classify_timeout)
{
    watchd_config c;
    watchd_config_init(&c);
    omsi_error err = {0};
    ck_assert_double_eq(c.classify_timeout, WATCHD_DEFAULT_CLASSIFY_TIMEOUT);
    ck_assert_int_eq(watchd_config_parse(&c, "classify_timeout_seconds = 2.5\n", "t.conf", &err), 0);
    ck_assert_double_eq(c.classify_timeout, 2.5);
    ck_assert_int_eq(watchd_config_parse(&c, "classify_timeout_seconds = 0\n", "t.conf", &err), OMSI_ERR_USAGE);
    ck_assert_msg(strstr(err.message, "t.conf:1: classify_timeout_seconds must be"), "%s", err.message);
    watchd_config_free(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("watchd");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, config_parses_keys_comments_quotes_and_repeats);
    tcase_add_test(tc, config_defaults_and_validation);
    tcase_add_test(tc, config_errors_name_file_and_line);
    tcase_add_test(tc, config_load_reads_a_file_and_reports_a_missing_one);
    tcase_add_test(tc, config_settle_bruker);
    tcase_add_test(tc, config_classify_timeout);
    suite_add_tcase(s, tc);
    tc = tcase_create("jobs");
    tcase_add_test(tc, proc_identity_tells_a_dead_or_other_process);
    tcase_add_test(tc, jobs_claim_records_the_owner);
    tcase_add_test(tc, unrecorded_outputs_of_a_taken_over_job);
    tcase_add_test(tc, jobs_unchanged_dataset_is_not_queued_again);
    tcase_add_test(tc, jobs_history_is_bounded);
    tcase_add_test(tc, jobs_quarantine_and_release_by_a_change);
    suite_add_tcase(s, tc);
    tc = tcase_create("group");
    tcase_add_test(tc, group_files_by_stem_and_kind);
    tcase_add_test(tc, group_spot_names_and_bruker_parent);
    suite_add_tcase(s, tc);
    tc = tcase_create("settle");
    tcase_add_test(tc, settle_state_machine_with_fake_clock);
    tcase_add_test(tc, settle_growing_analyze_dataset);
    suite_add_tcase(s, tc);
    tc = tcase_create("classify");
    tcase_add_test(tc, classify_in_a_child_valid_and_incomplete);
    tcase_add_test(tc, classify_limits_wall_cpu_and_signals);
    suite_add_tcase(s, tc);
    tc = tcase_create("scan");
    tcase_add_test(tc, scan_groups_a_mixed_folder);
    tcase_add_test(tc, inotify_reports_changed_and_new_folders);
    suite_add_tcase(s, tc);
    if (omsi_test_shared_dir()) {
        tc = tcase_create("shared");
        tcase_add_test(tc, scan_shared_bruker_trees);
        suite_add_tcase(s, tc);
    } else {
        omsi_test_say_skipped("watchd: scans of the shared Bruker corpus");
    }
    return omsi_test_run(s, false);
}
