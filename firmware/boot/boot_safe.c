/* The power-fail-safe mode (firmware/boot/README.md has the whole algorithm and the markers).
 * In short: the pending update lives in the flash journal (journal.h) as well as in RTC
 * memory; the staged image is verified and its destination CRC computed before the first
 * destructive write; a changed sector 0 is stashed first and written last; a copy whose
 * destination overwrites its own source records its progress before it destroys a source
 * sector a resumed copy would need; the destination is verified against the CRC at the end. */
#include <stddef.h>
#include <string.h>

#include "boot_internal.h"
#include "byteorder.h"
#include "crc32.h"
#include "image.h"
#include "journal.h"

/* Why an update was refused or failed (the progress field of a FAILED record, "chk:N"). */
enum {
    SAFE_BAD_ARGS = 10,     /* unaligned, empty, or outside the chip */
    SAFE_BAD_IMAGE = 11,    /* the staged pair fails its header/checksum/file CRC check */
    SAFE_BAD_GZIP = 12,     /* gzip header, data, CRC-32 or ISIZE wrong, or not an image */
    SAFE_GZIP_OVERLAP = 13, /* a gzip copy that overwrites its own input cannot be resumed */
    SAFE_BAD_RANGE = 14,    /* destination runs into the journal area, past the chip, or over
                               the source from below */
    SAFE_BAD_STASH = 15,    /* the stashed sector 0 does not read back */
};

_Static_assert(offsetof(journal_rec_t, size) == offsetof(journal_rec_t, src) + 8u,
               "src, dst, size are consecutive words, like the command's args[0..2]");

/* The mode's state in one place (one base address for the code to load). */
static struct safe_state {
    journal_t jn;
    journal_rec_t *cur; /* the update being checked or copied, for the sector callbacks */
    uint32_t crc;       /* the callbacks' running CRC */
    uint32_t start;     /* the first sector copy() writes */
} S;

static void put_code(const char *tag, uint32_t code)
{
    boot_puts(tag);
    boot_put_dec(code);
    boot_putc('\n');
}

/* Append a record (a no-op for the no-journal mutant). */
static int record(journal_rec_t *r)
{
    if (BOOT_IS_MUTANT(NO_JOURNAL))
        return 0;
    return journal_append(&S.jn, r) == HAL_OK ? 0 : BOOT_CP_WRITE;
}

/* Read the sector at `addr` into boot_buf2: 0 when it equals boot_buf, 1 when it differs,
 * -1 when it cannot be read. */
static int compare_sector(uint32_t addr)
{
    if (hal_flash_read(addr, boot_buf2, BOOT_SECTOR) != HAL_OK)
        return -1;
    return memcmp(boot_buf, boot_buf2, BOOT_SECTOR) != 0;
}

/* BOOT_SAFE_GZIP=0 builds safe mode without the inflater (the 4 KiB ESP8266 sector has no
 * room for both, BENCHMARKS.md): a gzip stage is then refused before anything is written
 * (SAFE_BAD_GZIP, the old app boots), and the boot descriptor says so (BOOT_DESC_NAME_SAFE_RAW)
 * so that the Updater inflates a gzip upload itself and stages it raw (inflate_to_stage). */
#ifndef BOOT_SAFE_GZIP
#define BOOT_SAFE_GZIP 1
#endif

/* ---- Content, sector by sector ---- */

/* Hand sectors k, k+1... of the content to fn in boot_buf: read from the `size` bytes of flash
 * at `src`, or (gzip: `src` and `size` the stream; k must be 0) inflated, the last sector
 * padded with 0xFF. Returns 0 when all went through, else fn's or the read's code. */
static int each_sector(uint32_t src, uint32_t size, bool gzip, uint32_t k, boot_sector_fn fn)
{
    if (BOOT_SAFE_GZIP && gzip) {
        inflate_status_t st = boot_inflate_sectors(src, src + size, fn);
        if (boot_gz.err != 0)
            return boot_gz.err;
        if (BOOT_IS_MUTANT(SKIP_CHECK))
            st = INFLATE_DONE; /* the mutant takes whatever came out */
        return st == INFLATE_DONE ? 0 : SAFE_BAD_GZIP;
    }
    for (; k * BOOT_SECTOR < size; k++) {
        if (hal_flash_read(src + k * BOOT_SECTOR, boot_buf, BOOT_SECTOR) != HAL_OK)
            return BOOT_CP_READ;
        int e = fn(k);
        if (e != 0)
            return e;
    }
    return 0;
}

/* Sector callback: the running CRC of the content. */
static int crc_sector(uint32_t k)
{
    (void)k;
    S.crc = crc32_gzip(S.crc, boot_buf, BOOT_SECTOR);
    return 0;
}

/* ---- Verification before anything is destroyed ---- */

/* The staged pair's file CRC, which elf2bin stores in __crc_len/__crc_val (CRC-32/MPEG-2 of
 * the whole .bin with those two words read as zero): it covers every byte, image checksums
 * included (check_stage() checks the two image magics). The Updater may have patched the
 * flash-mode byte (offset 2, spec §2.5) after the CRC was computed: pass 0 takes the byte as
 * staged, passes 1..4 as each of the four modes. */
static bool pair_valid(const journal_rec_t *r)
{
    _Static_assert(IMAGE_CRC_VAL_OFFSET == IMAGE_CRC_LEN_OFFSET + 4u, "two adjacent words");
    uint32_t w[2]; /* __crc_len, __crc_val */
    if (hal_flash_read(r->src + IMAGE_CRC_LEN_OFFSET, w, 8) != HAL_OK)
        return false;
    uint32_t len = w[0], val = w[1];
    if (len < IMAGE_CRC_VAL_OFFSET + 4u || len > r->size || (len & 3u) != 0)
        return false;
    for (uint32_t pass = 0; pass < 5u; pass++) {
        uint32_t crc = CRC32_MPEG2_INIT;
        for (uint32_t off = 0; off < len; off += BOOT_SECTOR) {
            uint32_t n = len - off < BOOT_SECTOR ? len - off : BOOT_SECTOR;
            if (hal_flash_read(r->src + off, boot_buf, n) != HAL_OK)
                return false;
            if (off == 0 && pass > 0)
                boot_buf[2] = (uint8_t)(pass - 1u);
            if (off == BOOT_SECTOR)
                memset(boot_buf + 0x10, 0, 8); /* the CRC words at pair offset 0x1010 */
            crc = crc32_mpeg2(crc, boot_buf, n);
        }
        if (crc == val)
            return true;
    }
    return false;
}

/* Sector callback of check_stage(): a sketch is a pair, eboot at 0 and the app image at 0x1000
 * (checked before sector 0 is stashed; a raw stage's CRC was checked by pair_valid()); the
 * destination CRC and length; a changed sector 0 goes to the stash sector (written and read
 * back). */
static int check_sector(uint32_t k)
{
    journal_rec_t *r = S.cur;
    bool sketch = r->dst == 0;
    if (sketch && k < 2u && boot_buf[0] != IMAGE_MAGIC && !BOOT_IS_MUTANT(SKIP_CHECK))
        return (r->flags & JOURNAL_F_GZIP) ? SAFE_BAD_GZIP : SAFE_BAD_IMAGE;
    crc_sector(k);
    r->out_len = (k + 1u) * BOOT_SECTOR;
    if (k == 0 && sketch) {
        int c = compare_sector(0);
        if (c < 0)
            return BOOT_CP_READ;
        if (c > 0) {
            uint32_t at = journal_stash_addr(S.jn.base);
            if (boot_write_sector(at, boot_buf) != 0 || compare_sector(at) != 0)
                return SAFE_BAD_STASH;
            r->flags |= JOURNAL_F_STASH;
            r->boot_crc = crc32_gzip(0, boot_buf, BOOT_SECTOR);
        }
    }
    return 0;
}

/* One pass over the staged image: format checks, the destination's length and CRC, overlap,
 * and the stash of a changed sector 0. Nothing outside the stash sector is written. */
static int check_stage(journal_rec_t *r)
{
    uint32_t flash = hal_flash_real_size();
    if (((r->src | r->dst) & (BOOT_SECTOR - 1u)) != 0 || r->size == 0 || r->src >= flash ||
        r->size > flash - r->src || hal_flash_read(r->src, boot_buf, 4) != HAL_OK)
        return SAFE_BAD_ARGS;
    bool gzip = boot_buf[0] == IMAGE_GZIP_MAGIC0 && boot_buf[1] == IMAGE_GZIP_MAGIC1;
    r->flags = gzip ? JOURNAL_F_GZIP : 0u;
    if (gzip && !BOOT_SAFE_GZIP)
        return SAFE_BAD_GZIP;
    if (!gzip && r->dst == 0 && !BOOT_IS_MUTANT(SKIP_CHECK) && !pair_valid(r))
        return SAFE_BAD_IMAGE;
    S.cur = r;
    S.crc = 0;
    r->out_len = 0;
    int p = each_sector(r->src, r->size, gzip, 0, check_sector);
    if (p != 0)
        return p;
    if (r->out_len == 0)
        return SAFE_BAD_GZIP;
    r->out_crc = S.crc;
    uint32_t src_end = r->src + ((r->size + BOOT_SECTOR - 1u) & ~(BOOT_SECTOR - 1u));
    uint32_t dst_end = r->dst + r->out_len;
    uint32_t jn_end = S.jn.base + JOURNAL_AREA_SIZE;
    if (r->out_len > flash || dst_end > flash || dst_end < r->dst ||
        (r->dst < jn_end && dst_end > S.jn.base) || (r->src < jn_end && src_end > S.jn.base) ||
        (r->dst > r->src && r->dst < src_end))
        return SAFE_BAD_RANGE;
    if (r->dst < r->src && dst_end > r->src) {
        if (gzip)
            return SAFE_GZIP_OVERLAP;
        r->flags |= JOURNAL_F_OVERLAP;
    }
    return 0;
}

/* ---- The copy ---- */

/* Write boot_buf to `addr` unless it already holds it; check it afterwards. */
static int put_sector(uint32_t addr)
{
    int c = compare_sector(addr);
    if (c < 0)
        return BOOT_CP_READ;
    if (c == 0) {
        if (addr == 0)
            boot_putc('B');
        return 0;
    }
    int w = boot_write_sector(addr, boot_buf);
    if (w != 0)
        return w;
    return compare_sector(addr) != 0 ? BOOT_CP_WRITE : 0;
}

/* Sector callback of copy(). */
static int copy_sector(uint32_t k)
{
    journal_rec_t *r = S.cur;
    if (k >= r->out_len / BOOT_SECTOR)
        return BOOT_CP_INFLATE; /* more than the check saw */
    if (k < S.start)
        return 0;
    /* Before overwriting a source sector a resume from the recorded progress would still
     * read, move the recorded progress up to k (everything below k is done). Source sector
     * k - gap is destroyed by destination sector k. */
    uint32_t gap = (r->src - r->dst) / BOOT_SECTOR;
    if ((r->flags & JOURNAL_F_OVERLAP) && k >= gap && k - gap >= r->progress) {
        r->state = JOURNAL_COPYING;
        r->progress = k;
        int j = record(r);
        if (j != 0)
            return j;
    }
    return put_sector(r->dst + k * BOOT_SECTOR);
}

static int copy(journal_rec_t *r)
{
    bool gzip = (r->flags & JOURNAL_F_GZIP) != 0;
    /* Sector 0 of a sketch update is handled last (from the stash, if it changes). */
    uint32_t first = r->dst == 0 ? 1u : 0u;
    S.start = first;
    if ((r->flags & JOURNAL_F_OVERLAP) && r->progress > first)
        S.start = r->progress;
    S.cur = r;
    int e = each_sector(r->src, r->size, gzip, gzip ? 0u : S.start, copy_sector);
    if (e != 0)
        return e;
    if (gzip && boot_gz.k != r->out_len / BOOT_SECTOR)
        return BOOT_CP_INFLATE; /* less than the check saw */
    if (!first)
        return 0;
    if (!(r->flags & JOURNAL_F_STASH)) {
        boot_putc('B'); /* sector 0 unchanged: skipped, as eboot reports it */
        return 0;
    }
    if (hal_flash_read(journal_stash_addr(S.jn.base), boot_buf, BOOT_SECTOR) != HAL_OK ||
        crc32_gzip(0, boot_buf, BOOT_SECTOR) != r->boot_crc)
        return SAFE_BAD_STASH;
    return put_sector(0);
}

/* The destination against the CRC computed before the copy. */
static int verify_dest(const journal_rec_t *r)
{
    S.crc = 0;
    int p = each_sector(r->dst, r->out_len, false, 0, crc_sector);
    if (p != 0)
        return p;
    return S.crc == r->out_crc ? 0 : BOOT_CP_VERIFY;
}

/* Run (or resume) the update of record `r` to its end. Returns 0 when the new image is in
 * place and verified. */
static int run_update(journal_rec_t *r)
{
    int c;
    if (r->state == JOURNAL_PENDING) {
        c = check_stage(r);
        put_code("chk:", (uint32_t)c);
        r->state = c == 0 ? JOURNAL_VERIFIED : JOURNAL_FAILED;
        r->progress = (uint32_t)c;
        int j = record(r);
        if (c != 0 || j != 0)
            return c != 0 ? c : j; /* nothing was destroyed yet */
    } else {
        put_code("rs:", r->progress);
    }
    boot_puts("cp:");
    c = copy(r);
    if (c == 0)
        c = verify_dest(r);
    put_code("", (uint32_t)c);
    r->state = c == 0 ? JOURNAL_DONE : JOURNAL_FAILED;
    r->progress = (uint32_t)c;
    int j = record(r);
    return c != 0 ? c : j;
}

int boot_safe(void)
{
    boot_print_version();
    boot_cmd_t cmd;
    bool valid = false;
    boot_cmd_read(&cmd, &valid); /* valid stays false when it fails */
    boot_putc(valid ? '@' : '~');
    if (valid && BOOT_IS_MUTANT(CLEAR_FIRST))
        boot_cmd_clear();

    /* journal_open() sets every field; when it fails (or for the no-journal mutant) the
     * journal is empty and appends go to log sector 0 slot 0 of the area. */
    uint32_t base = journal_area(hal_flash_real_size());
    if (BOOT_IS_MUTANT(NO_JOURNAL) || journal_open(&S.jn, base) != HAL_OK) {
        memset(&S.jn, 0, sizeof(S.jn));
        S.jn.base = base;
    }
    put_code("s:", S.jn.have ? S.jn.last.state : 0u);

    uint32_t load = 0;
    journal_rec_t r = S.jn.last;
    if (journal_active(&S.jn)) {
        run_update(&r);
    } else if (valid && cmd.action == BOOT_CMD_COPY_RAW) {
        /* src, dst, size are three consecutive words in both (one compare, one copy). */
        if (S.jn.have && memcmp(&r.src, cmd.args, 12) == 0) {
            boot_puts("=\n"); /* finished before the reboot cleared the command */
        } else {
            memset(&r, 0, sizeof(r));
            r.state = JOURNAL_PENDING;
            memcpy(&r.src, cmd.args, 12);
            if (record(&r) == 0)
                run_update(&r);
        }
    } else if (valid && cmd.action == BOOT_CMD_LOAD_APP) {
        load = cmd.args[0];
    }
    /* After an update (sketch or filesystem) the app at 0 runs: the new one or the old one. */
    if (valid)
        boot_cmd_clear();
    boot_puts("ld\n");
    int res = boot_load_app(load);
    put_code("e:", (uint32_t)res);
    return res;
}
