/* The power-fail-safe mode (firmware/boot/README.md has the whole algorithm and the markers).
 * In short: the pending update lives in the flash journal (journal.h) as well as in RTC
 * memory; the staged image is verified and its destination CRC computed before the first
 * destructive write; a changed sector 0 is stashed first and written last; a copy whose
 * destination overwrites its own source records its progress before it destroys a source
 * sector a resumed copy would need; the destination is verified against the CRC at the end. */
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

static journal_t jn;
static boot_flash_src_t in;

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
    return journal_append(&jn, r) == HAL_OK ? 0 : BOOT_CP_WRITE;
}

/* ---- Producing the destination content, sector by sector ---- */

static void gzip_start(const journal_rec_t *r)
{
    in.pos = r->src;
    in.end = r->src + r->size;
    inflate_init(&boot_inflate, INFLATE_FORMAT_GZIP, boot_flash_src_read, &in);
}

/* Destination sector `k` into boot_buf. gzip: must be called for k = 0, 1, 2... in order.
 * Returns 0, or 1 at the end of a gzip stream (nothing produced), or an error. */
static int produce(const journal_rec_t *r, uint32_t k)
{
    if (!(r->flags & JOURNAL_F_GZIP))
        return hal_flash_read(r->src + k * BOOT_SECTOR, boot_buf, BOOT_SECTOR) == HAL_OK
                   ? 0
                   : BOOT_CP_READ;
    uint32_t got = 0;
    inflate_status_t st = boot_inflate_fill(boot_buf, BOOT_SECTOR, &got, true);
    if (BOOT_IS_MUTANT(SKIP_CHECK) && st < 0)
        st = INFLATE_DONE; /* the mutant takes whatever came out */
    if (st < 0)
        return SAFE_BAD_GZIP;
    if (got == 0)
        return 1;
    memset(boot_buf + got, 0xFF, BOOT_SECTOR - got);
    return 0;
}

/* ---- Verification before anything is destroyed ---- */

/* The staged pair: both image magics and the file CRC elf2bin stores in __crc_len/__crc_val
 * (CRC-32/MPEG-2 of the whole .bin with those two words read as zero), which covers every
 * byte, image checksums included. The Updater may have patched the flash-mode byte (offset 2,
 * spec §2.5) after the CRC was computed: the byte is also tried as each of the four modes. */
static bool pair_valid(const journal_rec_t *r)
{
    uint32_t w[2];
    if (hal_flash_read(r->src + IMAGE_CRC_LEN_OFFSET, w, 8) != HAL_OK)
        return false;
    uint32_t len = le32_load((const uint8_t *)&w[0]), val = le32_load((const uint8_t *)&w[1]);
    if (len < IMAGE_CRC_VAL_OFFSET + 4u || len > r->size || (len & 3u) != 0)
        return false;
    for (int mode = -1; mode < 4; mode++) {
        uint32_t crc = CRC32_MPEG2_INIT;
        for (uint32_t off = 0; off < len; off += BOOT_SECTOR) {
            uint32_t n = len - off < BOOT_SECTOR ? len - off : BOOT_SECTOR;
            if (hal_flash_read(r->src + off, boot_buf, n) != HAL_OK ||
                (off <= BOOT_SECTOR && boot_buf[0] != IMAGE_MAGIC))
                return false;
            if (off == 0 && mode >= 0)
                boot_buf[2] = (uint8_t)mode;
            if (off == BOOT_SECTOR)
                memset(boot_buf + 0x10, 0, 8); /* the CRC words at pair offset 0x1010 */
            crc = crc32_mpeg2(crc, boot_buf, n);
        }
        if (crc == val)
            return true;
    }
    return false;
}

/* Store a new sector 0 (in boot_buf) in the stash sector and check it. */
static int stash(journal_rec_t *r)
{
    uint32_t at = journal_stash_addr(jn.base);
    if (boot_write_sector(at, boot_buf) != 0 ||
        hal_flash_read(at, boot_buf2, BOOT_SECTOR) != HAL_OK ||
        memcmp(boot_buf, boot_buf2, BOOT_SECTOR) != 0)
        return SAFE_BAD_STASH;
    r->flags |= JOURNAL_F_STASH;
    r->boot_crc = crc32_gzip(0, boot_buf, BOOT_SECTOR);
    return 0;
}

/* One pass over the staged image: format checks, the destination's length and CRC, overlap,
 * and the stash of a changed sector 0. Nothing outside the stash sector is written. */
static int check_stage(journal_rec_t *r)
{
    uint32_t flash = hal_flash_real_size();
    uint8_t head[2] = {0, 0};
    if (((r->src | r->dst) & (BOOT_SECTOR - 1u)) != 0 || r->size == 0 || r->src >= flash ||
        r->size > flash - r->src || hal_flash_read(r->src, boot_buf, 4) != HAL_OK)
        return SAFE_BAD_ARGS;
    memcpy(head, boot_buf, 2);
    r->flags = 0;
    if (head[0] == IMAGE_GZIP_MAGIC0 && head[1] == IMAGE_GZIP_MAGIC1) {
        r->flags |= JOURNAL_F_GZIP;
        gzip_start(r);
    } else if (r->dst == 0 && !BOOT_IS_MUTANT(SKIP_CHECK) && !pair_valid(r)) {
        return SAFE_BAD_IMAGE;
    }
    uint32_t crc = 0, k = 0;
    for (;; k++) {
        if (!(r->flags & JOURNAL_F_GZIP) && k * BOOT_SECTOR >= r->size)
            break;
        int p = produce(r, k);
        if (p == 1)
            break;
        if (p != 0)
            return p;
        /* A gzip sketch must decompress to a pair: eboot at 0, the app image at 0x1000. */
        if ((r->flags & JOURNAL_F_GZIP) && r->dst == 0 && k < 2u && boot_buf[0] != IMAGE_MAGIC &&
            !BOOT_IS_MUTANT(SKIP_CHECK))
            return SAFE_BAD_GZIP;
        crc = crc32_gzip(crc, boot_buf, BOOT_SECTOR);
        if (k == 0 && r->dst == 0) {
            if (hal_flash_read(0, boot_buf2, BOOT_SECTOR) != HAL_OK)
                return BOOT_CP_READ;
            int s = memcmp(boot_buf, boot_buf2, BOOT_SECTOR) != 0 ? stash(r) : 0;
            if (s != 0)
                return s;
        }
    }
    if (k == 0)
        return SAFE_BAD_GZIP;
    r->out_len = k * BOOT_SECTOR;
    r->out_crc = crc;
    uint32_t src_end = r->src + ((r->size + BOOT_SECTOR - 1u) & ~(BOOT_SECTOR - 1u));
    uint32_t dst_end = r->dst + r->out_len;
    if (r->out_len > flash || dst_end > flash || dst_end < r->dst ||
        (r->dst < jn.base + JOURNAL_AREA_SIZE && dst_end > jn.base) ||
        (r->src < jn.base + JOURNAL_AREA_SIZE && src_end > jn.base) ||
        (r->dst > r->src && r->dst < src_end))
        return SAFE_BAD_RANGE;
    if (r->dst < r->src && dst_end > r->src) {
        if (r->flags & JOURNAL_F_GZIP)
            return SAFE_GZIP_OVERLAP;
        r->flags |= JOURNAL_F_OVERLAP;
    }
    return 0;
}

/* ---- The copy ---- */

/* Write boot_buf to `addr` unless it already holds it; check it afterwards. */
static int put_sector(uint32_t addr)
{
    if (hal_flash_read(addr, boot_buf2, BOOT_SECTOR) != HAL_OK)
        return BOOT_CP_READ;
    if (memcmp(boot_buf, boot_buf2, BOOT_SECTOR) == 0) {
        if (addr == 0)
            boot_putc('B');
        return 0;
    }
    int w = boot_write_sector(addr, boot_buf);
    if (w != 0)
        return w;
    if (hal_flash_read(addr, boot_buf2, BOOT_SECTOR) != HAL_OK ||
        memcmp(boot_buf, boot_buf2, BOOT_SECTOR) != 0)
        return BOOT_CP_WRITE;
    return 0;
}

static int copy(journal_rec_t *r)
{
    uint32_t n = r->out_len / BOOT_SECTOR;
    /* Sector 0 of a sketch update is handled last (from the stash, if it changes). */
    uint32_t first = r->dst == 0 ? 1u : 0u;
    uint32_t start = first;
    /* Source sector k - gap is destroyed by destination sector k. */
    uint32_t gap = (r->src - r->dst) / BOOT_SECTOR;
    if ((r->flags & JOURNAL_F_OVERLAP) && r->progress > start)
        start = r->progress;
    if (r->flags & JOURNAL_F_GZIP)
        gzip_start(r);
    for (uint32_t k = (r->flags & JOURNAL_F_GZIP) ? 0u : start; k < n; k++) {
        int p = produce(r, k);
        if (p != 0)
            return p == 1 ? BOOT_CP_INFLATE : p;
        if (k < start)
            continue;
        /* Before overwriting a source sector a resume from the recorded progress would still
         * read, move the recorded progress up to k (everything below k is done). */
        if ((r->flags & JOURNAL_F_OVERLAP) && k >= gap && k - gap >= r->progress) {
            r->state = JOURNAL_COPYING;
            r->progress = k;
            int j = record(r);
            if (j != 0)
                return j;
        }
        int w = put_sector(r->dst + k * BOOT_SECTOR);
        if (w != 0)
            return w;
    }
    if (first && !(r->flags & JOURNAL_F_STASH))
        boot_putc('B'); /* sector 0 unchanged: skipped, as eboot reports it */
    if (first && (r->flags & JOURNAL_F_STASH)) {
        if (hal_flash_read(journal_stash_addr(jn.base), boot_buf, BOOT_SECTOR) != HAL_OK ||
            crc32_gzip(0, boot_buf, BOOT_SECTOR) != r->boot_crc)
            return SAFE_BAD_STASH;
        return put_sector(0);
    }
    return 0;
}

static int verify_dest(const journal_rec_t *r)
{
    uint32_t crc = 0;
    for (uint32_t off = 0; off < r->out_len; off += BOOT_SECTOR) {
        if (hal_flash_read(r->dst + off, boot_buf2, BOOT_SECTOR) != HAL_OK)
            return BOOT_CP_READ;
        crc = crc32_gzip(crc, boot_buf2, BOOT_SECTOR);
    }
    return crc == r->out_crc ? 0 : BOOT_CP_VERIFY;
}

/* Run (or resume) the update of record `r` to its end. Returns 0 when the new image is in
 * place and verified. */
static int run_update(journal_rec_t *r)
{
    int c;
    if (r->state == JOURNAL_PENDING) {
        c = check_stage(r);
        put_code("chk:", (uint32_t)c);
        if (c != 0) {
            r->state = JOURNAL_FAILED;
            r->progress = (uint32_t)c;
            record(r);
            return c;
        }
        r->state = JOURNAL_VERIFIED;
        r->progress = 0;
        if ((c = record(r)) != 0)
            return c; /* nothing was destroyed yet */
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

static bool same_update(const journal_rec_t *r, const boot_cmd_t *cmd)
{
    return r->src == cmd->args[0] && r->dst == cmd->args[1] && r->size == cmd->args[2];
}

int boot_safe(void)
{
    boot_print_version();
    boot_cmd_t cmd;
    bool valid = false;
    if (boot_cmd_read(&cmd, &valid) != HAL_OK)
        valid = false;
    boot_putc(valid ? '@' : '~');
    if (valid && BOOT_IS_MUTANT(CLEAR_FIRST))
        boot_cmd_clear();

    memset(&jn, 0, sizeof(jn));
    jn.base = journal_area(hal_flash_real_size());
    if (!BOOT_IS_MUTANT(NO_JOURNAL) && journal_open(&jn, jn.base) != HAL_OK)
        jn.have = false;
    put_code("s:", jn.have ? jn.last.state : 0u);

    uint32_t load = 0;
    journal_rec_t r;
    if (journal_active(&jn)) {
        r = jn.last;
        run_update(&r);
    } else if (valid && cmd.action == BOOT_CMD_COPY_RAW) {
        if (jn.have && same_update(&jn.last, &cmd)) {
            boot_puts("=\n"); /* finished before the reboot cleared the command */
        } else {
            memset(&r, 0, sizeof(r));
            r.state = JOURNAL_PENDING;
            r.src = cmd.args[0];
            r.dst = cmd.args[1];
            r.size = cmd.args[2];
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
