/* omsi-catalog show: everything recorded about one source. */
#include "cli/catalog_output.h"
#include "cli/commands.h"
#include "report/json_doc.h"
#include "report/catalog_json.h"

#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: omsi-catalog [--catalog FILE] show ID [--json]\n"
    "\n"
    "Print everything the catalog holds about source ID (the SOURCE column of\n"
    "`omsi-catalog query`): path, format, version history, fingerprint, output\n"
    "file, experiments, datasets with regions, dependencies and metadata, and\n"
    "the job history of its path.\n"
    "\n"
    "Catalog: --catalog FILE (before or after the command), else $OMSI_CATALOG,\n"
    "else /var/lib/omsi-catalog/catalog.sqlite.\n"
    "Exit status: 0 shown, 1 no such source or catalog error, 2 usage error.\n";

int omsi_cmd_show(int argc, char **argv, const omsi_cli *cli)
{
    bool json = false;
    const char *id_text = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!id_text && argv[i][0] != '-') {
            id_text = argv[i];
        } else {
            fprintf(stderr, "omsi-catalog show: unexpected argument '%s'\n\n%s", argv[i], usage_text);
            return 2;
        }
    }
    char *end = NULL;
    long long id = id_text ? strtoll(id_text, &end, 10) : 0;
    if (!id_text || *end || id <= 0) {
        fprintf(stderr, "omsi-catalog show: need a source ID (a positive number)\n\n%s", usage_text);
        return 2;
    }
    omsi_catalog *cat;
    if (omsi_open_cli_catalog(cli, OMSI_CATALOG_READ_ONLY, &cat))
        return 1;
    json_object *o = NULL;
    omsi_error err = {0};
    int rc = omsi_show_json_doc(cat, id, &o, &err);
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
