/* omsi-convert: convert raw MSI datasets into one OpenMSI HDF5 file, like
 * BASTet's convertToOMSI, but streaming and atomic. */
#include "writer/convert.h"
#include "report/json_doc.h"
#include "report/convert_json.h"
#include "cli/progress.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_text[] =
    "Usage: omsi-convert [OPTIONS] INPUT... OUTPUT.h5\n"
    "\n"
    "Convert mass spectrometry imaging datasets (Analyze 7.5, imzML, mzML, Bruker\n"
    "flex) into one OpenMSI HDF5 file that BASTet, h5py and HDFView open. Each\n"
    "INPUT becomes its own experiment (/entry_N); each dataset (mzML scan type)\n"
    "and region (Bruker flex) its own /entry_N/data_M, with dependency links.\n"
    "The file is written under a temporary name beside OUTPUT and renamed into\n"
    "place when complete: on any error or interruption no OUTPUT is left and\n"
    "inputs are never modified.\n"
    "\n"
    "Options:\n"
    "  -f, --format FMT        auto (default), img, imzml, mzml or bruckerflex\n"
    "  -r, --regions MODE      split+merge (default), split or merge: region\n"
    "                          datasets, the merged cube, or both\n"
    "      --auto-chunking     spectrum-chunked data_0 plus an image-chunked copy\n"
    "                          data_1, chunk shapes by BASTet's rule (default)\n"
    "      --chunking X Y Z    chunk data_0 as X x Y x Z (clipped to the cube);\n"
    "                          no copy\n"
    "      --no-chunking       contiguous data_0, no copy, no compression\n"
    "  -c, --compression LEVEL gzip level 0-9 for the intensity data (default 4)\n"
    "      --no-compression    no filter\n"
    "      --no-summaries      no /entry_N/analysis_M with the TIC and base-peak\n"
    "                          images, mean and max spectra and the peaks of the\n"
    "                          mean spectrum (computed in the same pass by default)\n"
    "  -e, --experiment-id ID  experiment identifier (default: the input's base\n"
    "                          name; further inputs get ID_1, ID_2, ...)\n"
    "      --axis MODE         exact (default: union of all m/z values, lossless)\n"
    "                          or ppm:N (bins N ppm wide) for processed/centroid data\n"
    "      --max-axis N        refuse an exact m/z axis longer than N values\n"
    "      --force-unsigned    read Analyze datatype 4 as uint16 (BASTet's reading)\n"
    "      --calibration MODE  Bruker flex m/z: auto (default: high-precision\n"
    "                          calibration where the acqu declares it), plain (the\n"
    "                          TOF formula only) or hpc (refuse files without HPC)\n"
    "      --strict-checksums  a declared checksum that does not match (imzML .ibd\n"
    "                          MD5/SHA-1, indexed mzML fileChecksum) fails the\n"
    "                          conversion (default: a warning; the metadata entry\n"
    "                          checksum says ok, mismatch or absent)\n"
    "      --memory-limit BYTES bound the memory of the whole conversion (suffix\n"
    "                          K, M, G; default 256M); a file that needs more\n"
    "                          (one huge spectrum, an absurd grid) is refused\n"
    "  -j, --threads N         compression threads (default: online CPUs)\n"
    "      --overwrite         replace OUTPUT if it exists\n"
    "      --json              print a JSON summary on stdout\n"
    "  -q, --quiet             no progress, errors only\n"
    "  -v, --verbose           more log output\n"
    "  -h, --help              this text\n"
    "  -V, --version           print the version\n"
    "\n"
    "Progress goes to stderr: on a terminal one line per phase, updated in place\n"
    "(percentage, rate, time left); otherwise a line at most every 10 s; -q: none.\n"
    "Exit status: 0 converted, 1 conversion failed (OUTPUT not created),\n"
    "2 usage error.\n";

/* The only state a signal handler may touch: set by SIGINT/SIGTERM, polled
 * by the converter between spectra. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    enum { OPT_AUTO = 256, OPT_CHUNKING, OPT_NO_CHUNKING, OPT_NO_COMPRESSION, OPT_OVERWRITE,
           OPT_JSON, OPT_AXIS, OPT_MAX_AXIS, OPT_FORCE_UNSIGNED, OPT_MEMORY_LIMIT, OPT_CALIBRATION, OPT_STRICT_CHECKSUMS,
           OPT_NO_SUMMARIES };
    static const struct option options[] = {
        {"format", required_argument, NULL, 'f'},
        {"regions", required_argument, NULL, 'r'},
        {"auto-chunking", no_argument, NULL, OPT_AUTO},
        {"chunking", required_argument, NULL, OPT_CHUNKING},
        {"no-chunking", no_argument, NULL, OPT_NO_CHUNKING},
        {"compression", required_argument, NULL, 'c'},
        {"no-compression", no_argument, NULL, OPT_NO_COMPRESSION},
        {"no-summaries", no_argument, NULL, OPT_NO_SUMMARIES},
        {"experiment-id", required_argument, NULL, 'e'},
        {"axis", required_argument, NULL, OPT_AXIS},
        {"max-axis", required_argument, NULL, OPT_MAX_AXIS},
        {"force-unsigned", no_argument, NULL, OPT_FORCE_UNSIGNED},
        {"calibration", required_argument, NULL, OPT_CALIBRATION},
        {"strict-checksums", no_argument, NULL, OPT_STRICT_CHECKSUMS},
        {"memory-limit", required_argument, NULL, OPT_MEMORY_LIMIT},
        {"threads", required_argument, NULL, 'j'},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE},
        {"json", no_argument, NULL, OPT_JSON},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    omsi_convert_options o = omsi_convert_options_default();
    bool overwrite = false, json = false;
    int verbosity = OMSI_LOG_NOTICE, opt;
    while ((opt = getopt_long(argc, argv, "f:r:c:e:j:qvhV", options, NULL)) != -1) {
        switch (opt) {
        case 'f':
            if (strcmp(optarg, "auto") != 0 && !omsi_format_by_name(optarg)) {
                fprintf(stderr, "omsi-convert: unknown format '%s' (auto, img, imzml, mzml, bruckerflex)\n", optarg);
                return 2;
            }
            o.format = optarg;
            break;
        case 'r':
            if (strcmp(optarg, "split+merge") == 0) o.regions = OMSI_REGIONS_SPLIT_MERGE;
            else if (strcmp(optarg, "split") == 0) o.regions = OMSI_REGIONS_SPLIT;
            else if (strcmp(optarg, "merge") == 0) o.regions = OMSI_REGIONS_MERGE;
            else {
                fprintf(stderr, "omsi-convert: --regions takes split+merge, split or merge, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_AUTO: o.chunking = OMSI_CHUNK_AUTO; break;
        case OPT_CHUNKING:
            /* --chunking X Y Z: optarg is X, the next two arguments Y and Z. */
            if (optind + 1 >= argc || parse_u64(optarg, &o.chunk[0]) || parse_u64(argv[optind], &o.chunk[1]) ||
                parse_u64(argv[optind + 1], &o.chunk[2]) || !o.chunk[0] || !o.chunk[1] || !o.chunk[2]) {
                fprintf(stderr, "omsi-convert: --chunking needs three positive integers X Y Z\n");
                return 2;
            }
            optind += 2;
            o.chunking = OMSI_CHUNK_EXPLICIT;
            break;
        case OPT_NO_CHUNKING: o.chunking = OMSI_CHUNK_NONE; break;
        case 'c': {
            uint64_t level;
            if (parse_u64(optarg, &level) || level > 9) {
                fprintf(stderr, "omsi-convert: --compression takes a gzip level 0-9, not '%s'\n", optarg);
                return 2;
            }
            o.compression_level = (int)level;
            break;
        }
        case OPT_NO_COMPRESSION: o.compression_level = -1; break;
        case OPT_NO_SUMMARIES: o.summaries = false; break;
        case 'e': o.experiment_id = optarg; break;
        case OPT_AXIS:
            if (strcmp(optarg, "exact") == 0) {
                o.reader.axis_mode = OMSI_AXIS_EXACT;
            } else if (strncmp(optarg, "ppm:", 4) == 0 && atof(optarg + 4) > 0) {
                o.reader.axis_mode = OMSI_AXIS_BIN_PPM;
                o.reader.ppm = atof(optarg + 4);
            } else {
                fprintf(stderr, "omsi-convert: --axis takes exact or ppm:N, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_MAX_AXIS:
            if (parse_u64(optarg, &o.reader.max_axis_points)) {
                fprintf(stderr, "omsi-convert: --max-axis takes a count, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_FORCE_UNSIGNED: o.reader.force_unsigned = true; break;
        case OPT_STRICT_CHECKSUMS:
            o.reader.strict_checksums = true;
            break;
        case OPT_CALIBRATION:
            if (strcmp(optarg, "auto") == 0) o.reader.calibration = OMSI_CALIBRATION_AUTO;
            else if (strcmp(optarg, "plain") == 0) o.reader.calibration = OMSI_CALIBRATION_PLAIN;
            else if (strcmp(optarg, "hpc") == 0) o.reader.calibration = OMSI_CALIBRATION_HPC;
            else {
                fprintf(stderr, "omsi-convert: --calibration takes auto, plain or hpc, not '%s'\n", optarg);
                return 2;
            }
            break;
        case OPT_MEMORY_LIMIT:
            if (omsi_parse_bytes(optarg, &o.reader.memory_limit) ||
                o.reader.memory_limit < OMSI_MEMORY_LIMIT_MIN) {
                fprintf(stderr, "omsi-convert: --memory-limit takes a size of at least 16M (e.g. 256M, 2G), not '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'j': {
            uint64_t n;
            if (parse_u64(optarg, &n) || n < 1 || n > 256) {
                fprintf(stderr, "omsi-convert: --threads takes a count 1-256, not '%s'\n", optarg);
                return 2;
            }
            o.threads = (unsigned)n;
            break;
        }
        case OPT_OVERWRITE: overwrite = true; break;
        case OPT_JSON: json = true; break;
        case 'q': verbosity = OMSI_LOG_ERR; break;
        case 'v': verbosity++; break;
        case 'h': fputs(usage_text, stdout); return 0;
        case 'V': printf("omsi-convert %s\n", PACKAGE_VERSION); return 0;
        default: fputs(usage_text, stderr); return 2;
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, "omsi-convert: need at least one INPUT and the OUTPUT file\n\n%s", usage_text);
        return 2;
    }
    omsi_logger log = omsi_logger_make("omsi-convert", verbosity);
    o.log = &log;
    o.reader.log = &log;
    omsi_progress progress;
    omsi_progress_init(&progress, "omsi-convert", stderr, verbosity > OMSI_LOG_ERR, isatty(STDERR_FILENO));
    o.progress = omsi_progress_update;
    o.progress_ctx = &progress;
    o.cancel = &stop_requested;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    const char *output = argv[argc - 1];
    omsi_convert_result result;
    omsi_error err = {0};
    /* An existing output is a refusal, not a usage error: exit 1. The
     * writer checks again (and reports it as a usage error, exit 2) should
     * the file appear between here and there. */
    struct stat existing;
    if (!overwrite && lstat(output, &existing) == 0) {
        omsi_log(&log, OMSI_LOG_ERR, "%s: already exists (use --overwrite to replace it)", output);
        return 1;
    }
    int rc = omsi_convert((const char *const *)argv + optind, (size_t)(argc - optind - 1), output,
                          overwrite, &o, &result, &err);
    omsi_progress_finish(&progress);
    if (rc) {
        omsi_log(&log, OMSI_LOG_ERR, "%s", err.message);
        return omsi_exit_code(err.status);
    }
    if (json) {
        json_object *summary = omsi_convert_result_json(&result);
        omsi_json_print(summary, stdout);
        json_object_put(summary);
    }
    omsi_log(&log, OMSI_LOG_NOTICE, "%s: %zu experiment(s), %zu dataset(s), %.1f MB in, %.1f MB out, %.2f s",
             output, result.n_experiments, result.n_datasets, (double)result.bytes_in / 1e6,
             (double)result.bytes_out / 1e6, result.seconds);
    omsi_convert_result_free(&result);
    return 0;
}
