/* fuzz_ledger.c -- libFuzzer target for the registered-media ledger CSV reader
 * (files exported from spreadsheets anyone in the office may have edited). */
#include <stdint.h>
#include <string.h>

#include "ledger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mamori_ledger l;
    struct mamori_ledger_error err;

    if (mamori_ledger_parse((const char *)data, size, MAMORI_LEDGER_AUTO, &l, &err) == 0) {
        cJSON *allow = mamori_ledger_allow_json(&l, NULL, 0);

        cJSON_Delete(allow);
        mamori_ledger_free(&l);
    } else if (err.message[0] == '\0') {
        __builtin_trap(); /* every rejection must explain itself */
    }
    return 0;
}
