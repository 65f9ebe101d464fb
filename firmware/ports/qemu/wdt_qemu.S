/* The QEMU apps' watchdog (app_start_qemu.c qemu_wdt_arm): exception vectors at the start of
 * IRAM (VECBASE 0x40100000; XEA2 offsets: kernel 0x30, user 0x50, double 0x70). The timer
 * interrupt (CCOMPARE0, a level-1 interrupt taken as a user exception, EXCCAUSE 4) ends the
 * run with QB_EXIT_HANG (0x53); any other exception with QB_EXIT_EXCEPTION (0x54): a crash.
 * No literals (l32r) here: the code sits at fixed offsets before anything else. */
    .section .text.qemu_wdt_vectors, "ax"
    .global qemu_wdt_vectors
    .align 4
qemu_wdt_vectors:
    .org 0x30
    rsr a2, exccause
    j .Lend
    .org 0x50
    rsr a2, exccause
    j .Lend
    .org 0x70
    movi a2, 0
.Lend:
    movi a3, 0x53
    beqi a2, 4, 1f
    movi a3, 0x54
1:  movi a2, 1        /* semihosting SYS_exit, a3 = the code */
    simcall
2:  j 2b
