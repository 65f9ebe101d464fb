/* What the bootloader needs from its target beyond hal.h: putting an app image's RAM segments
 * in place and jumping to it. On lx106 that is SPIRead into IRAM/DRAM and a jump to the entry;
 * on the native target the port checks the image and runs the host build of the app named by
 * its descriptor (DESIGN.md, "How a device boots"). */
#ifndef OTASIM_BOOT_PORT_H
#define OTASIM_BOOT_PORT_H

#include <stdint.h>

#include "hal.h"

/* Load `len` bytes at flash `flash_addr` to RAM address `load_addr` (a segment eboot loads:
 * DRAM < 0x40000000, IRAM 0x40100000..0x4010C000, or >= 0x60000000). */
hal_status_t boot_port_load_segment(uint32_t load_addr, uint32_t flash_addr, uint32_t len);

/* Start the app whose image header is at flash `image_addr` (the pair base + 0x1000) with the
 * given entry point. Does not return when the app starts; returns a non-zero eboot-style error
 * code when the target cannot start it (native: bad header/checksum, unknown descriptor). */
int boot_port_start_app(uint32_t image_addr, uint32_t entry);

#endif
