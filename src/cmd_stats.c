/* PLACEHOLDER: replaced by the real `omsi-catalog stats`. */
#include "commands.h"

#include <stdio.h>

int omsi_cmd_stats(int argc, char **argv, const omsi_cli *cli)
{
    (void)argc;
    (void)argv;
    (void)cli;
    fprintf(stderr, "omsi-catalog stats: not implemented yet\n");
    return 1;
}
