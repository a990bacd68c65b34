/* omsi-catalog formats [--json]: the registered input formats, in probe
 * order, with their capabilities. */
#include "report/json_doc.h"
#include "cli/commands.h"
#include "readers/reader.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const char formats_usage[] =
    "Usage: omsi-catalog formats [--json]\n"
    "\n"
    "List the raw input formats this build reads, in the order auto-detection\n"
    "probes them (most specific first), with their capabilities:\n"
    "\n"
    "  name            the name for --format (BASTet's option name)\n"
    "  bastet          BASTet's reader class (file_reader_base subclass)\n"
    "  regions         the format has named regions of the image (Bruker flex)\n"
    "  multidata       one file holds several datasets (mzML scan types)\n"
    "  multiexperiment one file holds several experiments\n"
    "  description     files that make up one dataset\n"
    "\n"
    "Options:\n"
    "  --json      print {\"formats\": [{\"name\", \"bastet_name\", \"description\",\n"
    "              \"supports_regions\", \"supports_multidata\",\n"
    "              \"supports_multiexperiment\", \"probe_order\"}, ...]}\n"
    "  -h, --help  this text\n"
    "\n"
    "Exit status: 0 success, 2 usage error.\n";

static const char *yes_no(bool b) { return b ? "yes" : "no"; }

int omsi_cmd_formats(int argc, char **argv, const omsi_cli *cli)
{
    (void)cli;
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    bool json = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'j': json = true; break;
        case 'h': fputs(formats_usage, stdout); return 0;
        default: fputs(formats_usage, stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "omsi-catalog formats: unexpected argument '%s'\n\n%s", argv[optind],
                formats_usage);
        return 2;
    }
    size_t n = 0;
    const omsi_format *const *formats = omsi_available_formats(&n);
    if (json) {
        json_object *list = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
            const omsi_format *f = formats[i];
            json_object *o = json_object_new_object();
            json_object_object_add(o, "name", json_object_new_string(f->name));
            json_object_object_add(o, "bastet_name", json_object_new_string(f->bastet_name));
            json_object_object_add(o, "description", json_object_new_string(f->description));
            json_object_object_add(o, "supports_regions", json_object_new_boolean(f->supports_regions));
            json_object_object_add(o, "supports_multidata",
                                   json_object_new_boolean(f->supports_multidata));
            json_object_object_add(o, "supports_multiexperiment",
                                   json_object_new_boolean(f->supports_multiexperiment));
            json_object_object_add(o, "probe_order", json_object_new_int64((int64_t)i));
            json_object_array_add(list, o);
        }
        json_object *root = omsi_json_doc();
        json_object_object_add(root, "formats", list);
        puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(root);
    } else {
        int wname = 4, wbastet = 6;
        for (size_t i = 0; i < n; i++) {
            if ((int)strlen(formats[i]->name) > wname)
                wname = (int)strlen(formats[i]->name);
            if ((int)strlen(formats[i]->bastet_name) > wbastet)
                wbastet = (int)strlen(formats[i]->bastet_name);
        }
        printf("%-*s  %-*s  %-7s  %-9s  %-15s  %s\n", wname, "name", wbastet, "bastet", "regions",
               "multidata", "multiexperiment", "description");
        for (size_t i = 0; i < n; i++) {
            const omsi_format *f = formats[i];
            printf("%-*s  %-*s  %-7s  %-9s  %-15s  %s\n", wname, f->name, wbastet, f->bastet_name,
                   yes_no(f->supports_regions), yes_no(f->supports_multidata),
                   yes_no(f->supports_multiexperiment), f->description);
        }
    }
    if (fflush(stdout) != 0) {
        perror("omsi-catalog formats: stdout");
        return 1;
    }
    return 0;
}
