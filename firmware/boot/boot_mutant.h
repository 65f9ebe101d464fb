/* Negative controls: deliberately broken bootloaders, chosen at build time with
 * -Dboot_mutant=<name> (meson), which defines BOOT_MUTANT to one of these. The test suite and
 * the scenario suite must fail on each (firmware/boot/README.md lists which test catches it). */
#ifndef OTASIM_BOOT_MUTANT_H
#define OTASIM_BOOT_MUTANT_H

#define BOOT_MUTANT_NONE 0
#define BOOT_MUTANT_CLEAR_FIRST 1 /* both modes: clear the RTC command before copying */
#define BOOT_MUTANT_SKIP_ERASE 2  /* both modes: program destination sectors without erasing */
#define BOOT_MUTANT_SKIP_CHECK 3  /* safe mode: no staged-image verification before the copy */
#define BOOT_MUTANT_NO_JOURNAL 4  /* safe mode: ignore (never read nor write) the journal */

#ifndef BOOT_MUTANT
#define BOOT_MUTANT BOOT_MUTANT_NONE
#endif

#define BOOT_IS_MUTANT(m) (BOOT_MUTANT == BOOT_MUTANT_##m)

#endif
