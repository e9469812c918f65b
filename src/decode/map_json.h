/* map_json.h - a MAP/TCAP record (decode/map.h) as JSON fields, for `decode --trace`. */
#ifndef CW_MAP_JSON_H
#define CW_MAP_JSON_H

#include "decode/map.h"

struct cw_json;

/** Write @p r's fields (without braces) into an open JSON object; absent ones omitted. */
void cw_map_rec_json(struct cw_json *j, const struct cw_map_rec *r);

#endif
