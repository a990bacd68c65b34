/* PLACEHOLDER: replaced by the real `omsi-catalog show`. */
#include "commands.h"

#include <stdio.h>

int omsi_cmd_show(int argc, char **argv, const omsi_cli *cli)
{
    (void)argc;
    (void)argv;
    (void)cli;
    fprintf(stderr, "omsi-catalog show: not implemented yet\n");
    return 1;
}
