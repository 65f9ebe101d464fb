/* --target qemu (engine.h): whether a scenario can run under QEMU, and why not. Every reason
 * is printed as an explicit skip (never a pass). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "qemu_device.h"

#define SAFE_GZIP_WHY                                                                              \
    "boot=safe: safe mode with the inflater does not fit the 4 KiB sector 0 on lx106 (no QEMU "    \
    "image); boot=safe-raw runs on both targets"

static int skip(char *why, size_t n, const char *fmt, const char *arg)
{
    snprintf(why, n, fmt, arg);
    return 1;
}

/* The apps images/meson.build builds for QEMU (NAME-vN-qemu.img); any other is a skip. */
static int app_ok(const scn_image_ref_t *r, char *why, size_t n)
{
    static const char *const built[] = {"basic",      "spin",        "valve",
                                        "valve-late", "valve-never", "valve-reopen"};
    for (size_t i = 0; i < sizeof built / sizeof *built; i++)
        if (!strcmp(r->name, built[i]))
            return 0;
    return skip(why, n, "app %s has no QEMU build (only basic, spin and the valve apps)", r->name);
}

int target_qemu_check(const scenario_t *s, const himages_t *im, char *why, size_t n)
{
    for (size_t i = 0; i < s->nsteps; i++)
        if (s->steps[i].verb == SCN_NET)
            return skip(why, n, "%s",
                        "net: the QEMU device has no network (lwIP + libslirp run on the "
                        "native target only)");
    if (!qemu_device_find())
        return skip(why, n, "%s", "qemu-system-xtensa not found: apt-get install qemu-system-misc");
    static const char *need[] = {"boot-eboot-qemu.img", "basic-v1-qemu.img", "basic-v2-qemu.img"};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
        uint8_t *b;
        size_t len;
        char e[256];
        if (!im->have_dir || imagekit_load(&im->dir, need[i], &b, &len, e, sizeof e) != 0)
            return skip(why, n,
                        "no %s in the images directory: the lx106 cross build is missing "
                        "(apt-get install gcc-xtensa-lx106 binutils-xtensa-lx106 "
                        "picolibc-xtensa-lx106-elf, then meson setup -Dlx106=enabled)",
                        need[i]);
        free(b);
    }
    const scn_device_t *d = &s->steps[0].u.device;
    /* Safe mode with the inflater is 912 B over sector 0 on lx106 (firmware/boot/README.md):
     * no image exists to flash, so it cannot run here; safe-raw (the ESP8266's build) can. */
    if (d->boot == SCN_BOOT_SAFE && !d->safe_raw)
        return skip(why, n, "%s", SAFE_GZIP_WHY);
    /* signing=, atomic_fs= and the layout reach the QEMU app over the bridge (QB_BUILD). */
    for (size_t i = 0; i < s->nsteps; i++) {
        const scn_step_t *st = &s->steps[i];
        if (st->verb == SCN_FLASH) {
            if (st->u.flash.bootloader == SCN_BL_SAFE || st->u.flash.bootloader == SCN_BL_SAFE_REV2)
                return skip(why, n, "%s", SAFE_GZIP_WHY);
            if (app_ok(&st->u.flash.app, why, n))
                return 1;
        } else if (st->verb == SCN_UPDATE && !st->u.update.fs) {
            if (st->u.update.bootloader == SCN_BL_SAFE ||
                st->u.update.bootloader == SCN_BL_SAFE_REV2)
                return skip(why, n, "%s", SAFE_GZIP_WHY);
            if (app_ok(&st->u.update.image, why, n))
                return 1;
        }
    }
    return 0;
}
