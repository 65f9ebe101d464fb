/* inflate_to_stage, for a gzip upload staged compressed: write() and write(T&) push their
 * bytes while the inflater pulls its input, so it cannot run as they arrive (that is
 * updater_gzstage.c, for writeStream()). */
#include "hal.h"
#include "updater_internal.h"

/* end() inflates the compressed
 * stage, end-aligned below the filesystem as usual, into the raw stage from the first free
 * sector up: the output grows towards the input and must never reach input the inflater has
 * not consumed yet (else UPDATE_ERROR_IMAGE, GZIP_OVERLAP: the compressed stage is then
 * partly overwritten, but no boot command exists and the running sketch is untouched). The
 * signature or MD5 was checked on the compressed stage, from flash, before. Cost: the stage
 * sectors are written twice. */

typedef struct from_flash {
    updater_t *u;
    const inflate_state_t *st;
    uint32_t addr, end; /* compressed input not read yet */
    uint32_t src;       /* the compressed stage's start */
    bool overlap;
    hal_status_t erase, write;
} from_flash_t;

static int32_t ff_read(void *ctx, uint8_t *buf, uint32_t cap)
{
    from_flash_t *f = ctx;
    uint32_t n = f->end - f->addr < cap ? f->end - f->addr : cap;
    if (n > 0 && flash_read_any(f->addr, buf, n) != HAL_OK) {
        return -1;
    }
    f->addr += n;
    return (int32_t)n;
}

static int ff_write(void *ctx, const uint8_t *data, uint32_t len)
{
    from_flash_t *f = ctx;
    updater_t *u = f->u;
    uint32_t at = u->current_address;
    /* The sector erased here must lie wholly below the input still to be consumed. */
    if ((uint64_t)at + HAL_FLASH_SECTOR_SIZE > (uint64_t)f->src + inflate_total_in(f->st)) {
        f->overlap = true;
        return 1;
    }
    return updater_gzstage_put(u, data, len, &f->erase, &f->write) ? 0 : 1;
}

bool updater_gzstage_from_flash(updater_t *u)
{
    if (u->cfg.inflate_work == NULL) {
        return updater_fail_false(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_NO_WORK_AREA);
    }
    uint32_t src = u->start_address, size = u->size;
    uint32_t low = layout_roundup_sector(updater_sketch_size(u));
    if (low < LAYOUT_APP_START) {
        low = LAYOUT_APP_START;
    }
    if (low >= src) {
        return updater_fail_false(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_OVERLAP);
    }
    if (!updater_cancel_conflicting_cmd(low, src + layout_roundup_sector(size) - low)) {
        return updater_fail_false(u, UPDATE_ERROR_WRITE, UPDATER_DETAIL_BOOT_CMD);
    }
    inflate_state_t *st = u->cfg.inflate_work;
    from_flash_t f = {u, st, src, src + size, src, false, HAL_OK, HAL_OK};
    u->start_address = low;
    u->current_address = low;
    u->gz.out_len = 0;
    inflate_status_t rc = inflate_run(st, INFLATE_FORMAT_GZIP, ff_read, ff_write, &f);
    if (f.erase != HAL_OK) {
        return updater_fail_false(u, UPDATE_ERROR_ERASE, UPDATER_DETAIL_NONE);
    }
    if (f.write != HAL_OK) {
        return updater_fail_false(u, UPDATE_ERROR_WRITE, UPDATER_DETAIL_NONE);
    }
    if (f.overlap) {
        return updater_fail_false(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_OVERLAP);
    }
    if (rc == INFLATE_ERR_READ) {
        return updater_fail_false(u, UPDATE_ERROR_READ, UPDATER_DETAIL_NONE);
    }
    if (rc == INFLATE_ERR_CHECKSUM) {
        return updater_fail_false(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CHECKSUM);
    }
    if (rc != INFLATE_DONE) {
        return updater_fail_false(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_CORRUPT);
    }
    if (inflate_total_in(st) != size) {
        return updater_fail_false(u, UPDATE_ERROR_IMAGE, UPDATER_DETAIL_GZIP_TRAILING);
    }
    if (!updater_gzstage_pair_ok(u)) {
        return false;
    }
    u->size = u->gz.out_len; /* the boot command copies the raw stage */
    return true;
}
