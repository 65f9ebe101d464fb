/* The start of an app on lx106, shared by the esp8266 and qemu boot ports: the stack pointer
 * at 0x3FFFFFF0 (the top of DRAM, as eboot's load_app_from_flash_raw() sets it), then a jump
 * to the entry point from the image header. Never returns. */
#ifndef OTASIM_LX106_APP_JUMP_H
#define OTASIM_LX106_APP_JUMP_H

#include <stdint.h>

static inline __attribute__((noreturn)) void lx106_jump_to_app(uint32_t entry)
{
    __asm__ volatile("mov a1, %0\n"
                     "jx %1\n"
                     :
                     : "r"(0x3FFFFFF0u), "r"(entry)
                     : "memory");
    __builtin_unreachable();
}

#endif
