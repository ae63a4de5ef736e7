/* fuzz_usb_descriptors.c -- libFuzzer target for the USB descriptor parser.
 * A BadUSB device chooses its descriptors: any bytes must parse or be
 * refused cleanly, never read out of bounds. */
#include <stdint.h>
#include <string.h>

#include "usb_descriptors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mamori_usb_descriptors d;
    char err[256];

    if (mamori_usb_parse_descriptors(data, size, &d, err, sizeof(err)) == 0) {
        if (d.n_interfaces > MAMORI_USB_MAX_INTERFACES)
            __builtin_trap();
    } else if (strncmp(err, "malformed USB descriptors", 25) != 0) {
        __builtin_trap();
    }
    return 0;
}
