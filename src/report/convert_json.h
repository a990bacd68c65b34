/* The JSON summary of a conversion (omsi-convert --json, ingest reports). */
#ifndef OMSI_CONVERT_JSON_H
#define OMSI_CONVERT_JSON_H

#include "writer/convert.h"

#include <json-c/json.h>

json_object *omsi_convert_result_json(const omsi_convert_result *res);

#endif
