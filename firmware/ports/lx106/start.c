/* Reset entry for lx106 programs loaded straight into RAM (QEMU's generic loader sets the PC to
 * the ELF entry; the ESP8266 ROM jumps to the image entry). Sets the stack, clears .bss and calls
 * lx106_main(), which the program provides. */
#include <stdint.h>

extern uint32_t _bss_start[], _bss_end[], _stack_top[];
int lx106_main(void);
void lx106_exit(int code) __attribute__((noreturn));
void lx106_start(void) __attribute__((noreturn));

/* C entry once a stack exists. */
__attribute__((noreturn, used)) static void lx106_cstart(void)
{
    for (uint32_t *p = _bss_start; p < _bss_end; p++)
        *p = 0;
    lx106_exit(lx106_main());
}

__asm__(".section .text.lx106_start,\"ax\"\n"
        ".global lx106_start\n"
        ".type lx106_start,@function\n"
        ".align 4\n"
        ".literal_position\n"
        ".literal .Lstack, _stack_top\n"
        ".literal .Lcstart, lx106_cstart\n"
        "lx106_start:\n"
        "  l32r a1, .Lstack\n"
        "  l32r a0, .Lcstart\n"
        "  callx0 a0\n");
