/* json_arena.c -- report JSON parsed into arena blocks (see json_arena.h).
 *
 * The hooks allocate from the arena only while this thread is inside
 * mamori_json_arena_parse (`parsing`); a free of arena memory during that
 * parse (cJSON cleaning up after invalid input) is a no-op, and the blocks
 * go at once when the tree is released. */
#include "json_arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

/* A block holds about what a 3-4 KB report's tree needs; larger reports
 * chain more blocks. */
#define ARENA_BLOCK_BYTES (16 * 1024)
#define ARENA_ALIGN       alignof(max_align_t)

struct arena_block {
    struct arena_block *next;
    size_t used, size;
    alignas(max_align_t) unsigned char data[];
};

struct mamori_json_arena {
    struct arena_block *head;
};

static _Thread_local struct mamori_json_arena *parsing;
static int installed;

static void *arena_alloc(struct mamori_json_arena *a, size_t n)
{
    struct arena_block *b = a->head;
    n = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
    if (b == NULL || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK_BYTES ? n : ARENA_BLOCK_BYTES;
        b = malloc(sizeof(*b) + size);
        if (b == NULL)
            return NULL;
        *b = (struct arena_block){.next = a->head, .size = size};
        a->head = b;
    }
    b->used += n;
    return b->data + b->used - n;
}

static int arena_owns(const struct mamori_json_arena *a, const void *p)
{
    for (const struct arena_block *b = a->head; b != NULL; b = b->next)
        if ((uintptr_t)p >= (uintptr_t)b->data && (uintptr_t)p < (uintptr_t)(b->data + b->size))
            return 1;
    return 0;
}

static void *hook_malloc(size_t n)
{
    return parsing != NULL ? arena_alloc(parsing, n) : malloc(n);
}

static void hook_free(void *p)
{
    if (parsing == NULL || !arena_owns(parsing, p))
        free(p);
}

void mamori_json_arena_install(void)
{
    cJSON_Hooks hooks = {.malloc_fn = hook_malloc, .free_fn = hook_free};
    cJSON_InitHooks(&hooks);
    installed = 1;
}

static void release(struct mamori_json_arena *a)
{
    struct arena_block *b = a->head, *next;
    for (; b != NULL; b = next) {
        next = b->next;
        free(b);
    }
    free(a);
}

cJSON *mamori_json_arena_parse(const char *json, size_t len, struct mamori_json_arena **arena)
{
    struct mamori_json_arena *a;
    cJSON *doc;

    *arena = NULL;
    if (!installed)
        return cJSON_ParseWithLength(json, len);
    if ((a = calloc(1, sizeof(*a))) == NULL)
        return NULL;
    parsing = a;
    doc = cJSON_ParseWithLength(json, len);
    parsing = NULL;
    if (doc == NULL) {
        release(a);
        return NULL;
    }
    *arena = a;
    return doc;
}

void mamori_json_arena_free(struct mamori_json_arena *arena, cJSON *doc)
{
    if (arena != NULL)
        release(arena);
    else
        cJSON_Delete(doc);
}
