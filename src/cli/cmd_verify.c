/* omsi-catalog verify: recorded output files against the disk. */
#include "report/json_doc.h"
#include "cli/catalog_output.h"
#include "cli/commands.h"
#include "catalog/verify.h"

#include <string.h>

static const char usage_text[] =
    "Usage: omsi-catalog [--catalog FILE] verify [--repair] [--json]\n"
    "\n"
    "Check every output file the catalog records: it must exist, be a regular\n"
    "file and have the SHA-256 recorded when it was written. Each problem is\n"
    "listed with its source id, source path and output path.\n"
    "\n"
    "Options:\n"
    "  --repair   mark each broken output and queue its source again as a pending\n"
    "             job: omsi-watchd (or the next `omsi-catalog ingest` of the\n"
    "             path) converts it again and records the new file\n"
    "  --json     {\"checked\": N, \"problems\": [{source_id, path, output, problem, ...}]}\n"
    "  -h, --help this text\n"
    "\n"
    "Catalog: --catalog FILE (before or after the command), else $OMSI_CATALOG,\n"
    "else /var/lib/omsi-catalog/catalog.sqlite.\n"
    "Exit status: 0 all output files as recorded, 1 problems found (also when\n"
    "repaired) or catalog error, 2 usage error.\n";

static json_object *problem_json(const omsi_output_problem *p, bool repaired, int64_t job_id)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "source_id", json_object_new_int64(p->source_id));
    json_object_object_add(o, "path", json_object_new_string(p->path));
    json_object_object_add(o, "format", json_object_new_string(p->format));
    json_object_object_add(o, "output", json_object_new_string(p->output));
    json_object_object_add(o, "problem", json_object_new_string(p->problem));
    json_object_object_add(o, "detail", json_object_new_string(p->detail));
    json_object_object_add(o, "current", json_object_new_boolean(p->current));
    if (repaired)
        json_object_object_add(o, "job_id", job_id ? json_object_new_int64(job_id) : NULL);
    return o;
}

int omsi_cmd_verify(int argc, char **argv, const omsi_cli *cli)
{
    bool json = false, repair = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--repair") == 0) {
            repair = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        } else {
            fprintf(stderr, "omsi-catalog verify: unexpected argument '%s'\n\n%s", argv[i], usage_text);
            return 2;
        }
    }
    omsi_catalog *cat;
    if (omsi_open_cli_catalog(cli, repair ? OMSI_CATALOG_READ_WRITE : OMSI_CATALOG_READ_ONLY, &cat))
        return 1;
    omsi_verify_report report;
    omsi_error err = {0};
    int rc = omsi_catalog_verify(cat, &report, &err);
    json_object *problems = json_object_new_array();
    for (size_t i = 0; !rc && i < report.count; i++) {
        const omsi_output_problem *p = &report.problems[i];
        int64_t job_id = 0;
        if (repair && (rc = omsi_catalog_verify_repair(cat, p, &job_id, &err)))
            break;
        json_object_array_add(problems, problem_json(p, repair, job_id));
        if (json)
            continue;
        printf("%-17s source %lld  %s  -> %s (%s)", p->problem, (long long)p->source_id, p->path,
               p->output, p->detail);
        if (repair && job_id)
            printf("; queued as job %lld", (long long)job_id);
        else if (repair)
            printf("; marked (superseded version, not queued)");
        putchar('\n');
    }
    if (rc) {
        omsi_log(cli->log, OMSI_LOG_ERR, "%s", err.message);
    } else if (json) {
        json_object *o = omsi_json_doc();
        json_object_object_add(o, "checked", json_object_new_int64((int64_t)report.checked));
        json_object_object_add(o, "problems", json_object_get(problems));
        json_object_object_add(o, "repaired", json_object_new_boolean(repair));
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else {
        printf("%zu output file(s) checked, %zu problem(s)%s\n", report.checked, report.count,
               repair && report.count ? ", re-queued" : "");
    }
    json_object_put(problems);
    int status = rc || report.count ? 1 : 0;
    omsi_verify_report_free(&report);
    omsi_catalog_close(cat);
    return status;
}
