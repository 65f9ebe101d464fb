/* The mask ROM of the QEMU target: reads the bootloader image at flash offset 0 (the ESP8266
 * image format, parsed by the firmware core's image.c) and writes its segments as the PT_LOAD
 * program headers of a small ELF, which QEMU's generic loader (`-device loader,file=`) loads
 * and whose entry it sets as the PC. The flash is peeked (no flash operation is counted), and
 * the image must fit sector 0 and carry a valid checksum, the same condition as the native
 * device's ROM check (emu/native/native_device.c), so both targets brick on the same flash. */
#ifndef OTASIM_EMU_QEMU_ROM_H
#define OTASIM_EMU_QEMU_ROM_H

#include <stddef.h>
#include <stdint.h>

#include "flashsim.h"

/* Writes the ELF to `path`. Returns 0 with *entry set, 1 when flash offset 0 holds no bootable
 * image (reason in err), -1 when the file cannot be written. */
int qemu_rom_write_elf(flashsim_t *fs, const char *path, uint32_t *entry, char *err, size_t errlen);

#endif
