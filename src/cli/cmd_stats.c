/* omsi-catalog stats: counts by format and job state, bytes in and out. */
#include "cli/catalog_output.h"
#include "cli/commands.h"
#include "report/json_doc.h"
#include "report/catalog_json.h"

#include <string.h>

static const char usage_text[] =
    "Usage: omsi-catalog [--catalog FILE] stats [--json]\n"
    "\n"
    "Summarise the catalog: current sources, datasets and bytes (raw in, HDF5\n"
    "out) per format, superseded versions, and jobs per state.\n"
    "\n"
    "Catalog: --catalog FILE (before or after the command), else $OMSI_CATALOG,\n"
    "else /var/lib/omsi-catalog/catalog.sqlite.\n"
    "Exit status: 0 success, 1 catalog error, 2 usage error.\n";

int omsi_cmd_stats(int argc, char **argv, const omsi_cli *cli)
{
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else {
            fprintf(stderr, "omsi-catalog stats: unexpected argument '%s'\n\n%s", argv[i], usage_text);
            return 2;
        }
    }
    omsi_catalog *cat;
    if (omsi_open_cli_catalog(cli, OMSI_CATALOG_READ_ONLY, &cat))
        return 1;
    json_object *o = NULL;
    omsi_error err = {0};
    int rc = omsi_stats_json_doc(cat, &o, &err);
    if (rc) {
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
    } else if (json) {
        omsi_json_print(o, stdout);
    } else {
        json_object_object_del(o, "schema_version"); /* for scripts only */
        omsi_print_json_as_text(o, stdout, 0);
    }
    json_object_put(o);
    omsi_catalog_close(cat);
    return rc ? 1 : 0;
}
