/* PLACEHOLDER: replaced by the real `omsi-catalog formats`. */
#include "commands.h"

#include <stdio.h>

int omsi_cmd_formats(int argc, char **argv, const omsi_cli *cli)
{
    (void)argc;
    (void)argv;
    (void)cli;
    fprintf(stderr, "omsi-catalog formats: not implemented yet\n");
    return 1;
}
