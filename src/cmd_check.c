/* PLACEHOLDER: replaced by the real `omsi-catalog check`. */
#include "commands.h"

#include <stdio.h>

int omsi_cmd_check(int argc, char **argv, const omsi_cli *cli)
{
    (void)argc;
    (void)argv;
    (void)cli;
    fprintf(stderr, "omsi-catalog check: not implemented yet\n");
    return 1;
}
