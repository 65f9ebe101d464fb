/* Entry of the otasim bootloader under QEMU (boot.ld: ENTRY(boot_start)): the stack at
 * 0x3FFFFFF0, then boot_cstart (boot_start_qemu.c). */
    .section .text.boot_start, "ax"
    .global boot_start
    .type boot_start, @function
    .align 4
    .literal_position
    .literal .Lbstack, 0x3FFFFFF0
    .literal .Lbcstart, boot_cstart
boot_start:
    l32r a1, .Lbstack
    l32r a0, .Lbcstart
    callx0 a0
