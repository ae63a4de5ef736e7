/* json_arena.h -- parse a report's JSON into a few large blocks.
 *
 * cJSON allocates every node and every string on its own: a 3 KB report is
 * some 300 malloc and free calls, a tenth of the collector's CPU per report
 * (docs/server.md, "Ingest rate").  mamori_json_arena_parse() builds the
 * same tree from blocks of an arena and mamori_json_arena_free() releases it
 * in one go.  The tree is read-only: no cJSON call may add to it, detach or
 * delete any part of it.
 *
 * The arena takes effect once mamori_json_arena_install() has set cJSON's
 * allocation hooks, which must happen before any thread starts (the hooks
 * are process-wide).  Only the parse on the calling thread uses the arena;
 * every other cJSON call keeps using malloc and free.  Without the hooks
 * the parse is plain cJSON and the free a cJSON_Delete. */
#ifndef MAMORI_SERVER_JSON_ARENA_H
#define MAMORI_SERVER_JSON_ARENA_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct mamori_json_arena;

void mamori_json_arena_install(void);

/* The parsed tree, or NULL (invalid JSON, no memory).  *arena is what
 * mamori_json_arena_free needs (NULL when the hooks are not installed). */
cJSON *mamori_json_arena_parse(const char *json, size_t len, struct mamori_json_arena **arena);

void mamori_json_arena_free(struct mamori_json_arena *arena, cJSON *doc);

#endif
