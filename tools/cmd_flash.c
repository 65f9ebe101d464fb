/* otasim flash: an esptool-like serial flasher for the ESP8266 mask-ROM download protocol
 * (spec esp8266-rom-serial.md §5, §8): DTR/RTS reset into the bootloader (ignored where the
 * port has no modem lines, e.g. a pty), SYNC with retries, chip check by READ_REG, attach with
 * FLASH_BEGIN(0, 0), then per file FLASH_BEGIN with the ROM erase-size workaround (§3.2) and
 * 0x400-byte FLASH_DATA blocks (0xFF padded, 3 tries each), and FLASH_BEGIN(0,0) + FLASH_END(1)
 * to leave the loader without a reset. --flash-mode/-size/-freq patch the header of the image
 * written at 0 as esptool does (§5.4).
 *
 * The ESP8266 ROM cannot change its baud rate or verify; both need a stub. `--stub fake`
 * uploads a placeholder stub that only `otasim romloader` pretends to run (§7.4); it then
 * switches to --baud, writes 0x4000-byte blocks without the workaround and verifies each file
 * by SPI_FLASH_MD5 (--verify) or by reading it back with READ_FLASH (--read-back). On a real chip
 * it would crash: the esptool stub is not bundled (§8).
 *
 * Every read has a deadline; every failure prints one line naming it and exits 1. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "imagekit.h"
#include "md5.h"
#include "romproto.h"

#define ROM_BAUD 115200u
#define STUB_BLOCK 0x4000u
#define MAX_FILES 8

typedef struct fl {
    int fd;
    slip_dec_t dec;
    uint8_t buf[STUB_BLOCK + 64];
    bool synced; /* after sync, any byte outside a frame is fatal (esptool's rule) */
    bool stub;
    unsigned timeout_ms;
    char err[256];
} fl_t;

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

static speed_t speed_of(unsigned baud)
{
    switch (baud) {
    case 9600:
        return B9600;
    case 57600:
        return B57600;
    case 115200:
        return B115200;
    case 230400:
        return B230400;
    case 460800:
        return B460800;
    case 921600:
        return B921600;
    case 1500000:
        return B1500000;
    }
    return 0;
}

static int set_baud(fl_t *f, unsigned baud)
{
    struct termios t;
    if (tcgetattr(f->fd, &t)) {
        snprintf(f->err, sizeof(f->err), "the port is not a serial port: %s", strerror(errno));
        return -1;
    }
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    cfsetspeed(&t, speed_of(baud));
    if (tcsetattr(f->fd, TCSANOW, &t)) {
        snprintf(f->err, sizeof(f->err), "cannot set %u baud: %s", baud, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_all(fl_t *f, const uint8_t *b, size_t n)
{
    uint64_t deadline = now_ms() + 10000; /* esptool's serial write timeout */
    size_t o = 0;
    while (o < n) {
        ssize_t w = write(f->fd, b + o, n - o);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno == EAGAIN) {
            if (now_ms() > deadline) {
                snprintf(f->err, sizeof(f->err), "write timeout: the port does not drain");
                return -1;
            }
            struct pollfd p = {f->fd, POLLOUT, 0};
            poll(&p, 1, 50);
            continue;
        }
        if (w < 0) {
            snprintf(f->err, sizeof(f->err), "write to the port: %s", strerror(errno));
            return -1;
        }
        o += (size_t)w;
    }
    return 0;
}

static int send_packet(fl_t *f, const uint8_t *pkt, size_t n)
{
    static uint8_t framed[2 * (STUB_BLOCK + 64) + 2];
    size_t k = romproto_slip_encode(pkt, n, framed, sizeof(framed));
    return write_all(f, framed, k);
}

/* Next SLIP frame within timeout_ms: its length, 0 on timeout, -1 on a framing error. */
static long read_frame(fl_t *f, unsigned timeout_ms)
{
    uint64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        uint64_t t = now_ms();
        if (t >= deadline)
            return 0;
        struct pollfd p = {f->fd, POLLIN, 0};
        int pr = poll(&p, 1, (int)(deadline - t));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return 0;
        uint8_t b;
        ssize_t n = read(f->fd, &b, 1);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0) {
            snprintf(f->err, sizeof(f->err), "read from the port: %s",
                     n == 0 ? "end of file" : strerror(errno));
            return -1;
        }
        slip_event_t ev = romproto_slip_feed(&f->dec, b);
        if (ev == SLIP_FRAME)
            return (long)f->dec.len;
        if (ev == SLIP_GARBAGE && !f->synced)
            continue; /* boot text before the connection is expected */
        if (ev == SLIP_GARBAGE || ev == SLIP_BAD_ESCAPE || ev == SLIP_OVERSIZE) {
            snprintf(f->err, sizeof(f->err), "bad frame from the device: %s (byte 0x%02x)",
                     romproto_slip_event_name(ev), b);
            return -1;
        }
    }
}

/* Send one request and wait for the response with its opcode (others are skipped, as esptool
 * does, e.g. the remaining SYNC replies). 0 ok, -1 with f->err set. */
static int command(fl_t *f, const uint8_t *pkt, size_t n, unsigned timeout_ms, rom_resp_t *out)
{
    uint8_t op = pkt[1];
    if (send_packet(f, pkt, n))
        return -1;
    for (int i = 0; i < 100; i++) {
        long k = read_frame(f, timeout_ms);
        if (k < 0)
            return -1;
        if (k == 0) {
            snprintf(f->err, sizeof(f->err), "timeout: no reply to %s within %u ms",
                     romproto_op_name(op), timeout_ms);
            return -1;
        }
        rom_resp_t r;
        romp_status_t st = romproto_parse_response(f->dec.buf, (size_t)k, &r);
        if (st == ROMP_BAD_DIRECTION)
            continue;
        if (st != ROMP_OK) {
            snprintf(f->err, sizeof(f->err), "bad reply to %s: %s", romproto_op_name(op),
                     romproto_strerror(st));
            return -1;
        }
        if (r.op != op)
            continue;
        if (r.status != 0) {
            snprintf(f->err, sizeof(f->err), "%s failed: status %u, error 0x%02x (%s)",
                     romproto_op_name(op), r.status, r.error, romproto_rom_error_name(r.error));
            return -1;
        }
        if (out)
            *out = r;
        return 0;
    }
    snprintf(f->err, sizeof(f->err), "no reply to %s among 100 packets", romproto_op_name(op));
    return -1;
}

static int words(fl_t *f, uint8_t op, const uint32_t *w, unsigned n, unsigned timeout_ms,
                 rom_resp_t *out)
{
    uint8_t pkt[80];
    size_t k = romproto_build_words(op, w, n, pkt, sizeof(pkt));
    return command(f, pkt, k, timeout_ms, out);
}

/* DTR/RTS into download mode (UnixTight, §1.4). A pty has no modem lines: that is fine. */
static void reset_into_bootloader(fl_t *f, unsigned delay_ms)
{
    int dtr = TIOCM_DTR, rts = TIOCM_RTS;
    int seq[4] = {0, dtr | rts, rts, dtr}; /* RTS = EN low (reset), DTR = GPIO0 low */
    for (int i = 0; i < 4; i++) {
        int m = 0;
        if (ioctl(f->fd, TIOCMGET, &m))
            return;
        m = (m & ~(dtr | rts)) | seq[i];
        if (ioctl(f->fd, TIOCMSET, &m))
            return;
        if (i == 2)
            usleep(100000);
    }
    usleep(delay_ms * 1000u);
    int m = 0;
    if (ioctl(f->fd, TIOCMGET, &m) == 0) {
        m &= ~(dtr | rts);
        ioctl(f->fd, TIOCMSET, &m);
    }
}

static int connect_rom(fl_t *f, unsigned attempts)
{
    uint8_t pkt[64];
    size_t n = romproto_build_sync(pkt, sizeof(pkt));
    for (unsigned a = 0; a < attempts; a++) {
        reset_into_bootloader(f, a % 2 ? 550 : 50);
        for (int t = 0; t < 5; t++) {
            tcflush(f->fd, TCIOFLUSH);
            romproto_slip_init(&f->dec, f->buf, sizeof(f->buf));
            f->synced = false;
            if (send_packet(f, pkt, n))
                return -1;
            unsigned replies = 0;
            unsigned wait = 100; /* SYNC_TIMEOUT for the first reply */
            for (;;) {
                long k = read_frame(f, wait);
                if (k <= 0)
                    break;
                rom_resp_t r;
                if (romproto_parse_response(f->dec.buf, (size_t)k, &r) == ROMP_OK &&
                    r.op == ROM_SYNC && r.status == 0)
                    replies++;
                wait = 200; /* the other 7 replies: keep reading until a 200 ms gap */
            }
            if (replies > 0) {
                f->synced = true;
                return 0;
            }
            usleep(50000);
        }
    }
    snprintf(f->err, sizeof(f->err),
             "no sync: the device did not answer SYNC (%u attempts x 5); is it in download mode "
             "(GPIO0 low at reset)?",
             attempts);
    return -1;
}

typedef struct region {
    uint32_t addr;
    uint8_t *data;
    uint32_t len, file_len;
} region_t;

/* --flash-mode/--flash-size/--flash-freq: -1 = keep (esptool's default). */
typedef struct flash_params {
    int mode, size, freq;
} flash_params_t;

static int lookup(const char *v, const char *const *names, const int *codes, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i]))
            return codes[i];
    return -2;
}

/* Header bytes 2-3 of the image written at 0 (spec §5.4), as esptool patches them. Unlike
 * esptool, an elf2bin pair whose CRC words were valid gets them refreshed, or the app's
 * ESP.checkFlashCRC() would fail after the patch (esp8266-ota.md §2.5). */
static void patch_header(region_t *g, const flash_params_t *p, bool quiet)
{
    if (g->addr != 0 || g->file_len < 8 || g->data[0] != 0xE9 ||
        (p->mode < 0 && p->size < 0 && p->freq < 0))
        return;
    uint8_t *copy = malloc(g->file_len);
    if (!copy)
        abort();
    memcpy(copy, g->data, g->file_len);
    char err[200];
    bool pair = imagekit_fill_crc(copy, g->file_len, err, sizeof(err)) == 0 &&
                memcmp(copy, g->data, g->file_len) == 0;
    free(copy);
    if (p->mode >= 0)
        g->data[2] = (uint8_t)p->mode;
    if (p->size >= 0)
        g->data[3] = (uint8_t)((g->data[3] & 0x0F) | p->size);
    if (p->freq >= 0)
        g->data[3] = (uint8_t)((g->data[3] & 0xF0) | p->freq);
    if (pair)
        imagekit_fill_crc(g->data, g->file_len, err, sizeof(err));
    if (!quiet)
        fprintf(stderr, "Flash parameters set to 0x%02x%02x%s\n", g->data[2], g->data[3],
                pair ? " (elf2bin CRC words refreshed)" : "");
}

static int load_region(const char *addr_s, const char *path, region_t *r, char *err, size_t cap)
{
    char *end;
    errno = 0;
    unsigned long a = strtoul(addr_s, &end, 0);
    if (errno || *end || a > 0xFFFFFFu) {
        snprintf(err, cap, "bad flash address '%s'", addr_s);
        return -1;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, cap, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    if (sz <= 0 || sz > (16l << 20)) {
        fclose(fp);
        snprintf(err, cap, "%s: %s", path, sz == 0 ? "empty file" : "not a flash image size");
        return -1;
    }
    /* Unaligned start: prefix 0xFF back to the sector start (as esptool for the ROM); pad the
     * end to 4 bytes. */
    uint32_t pre = (uint32_t)(a % 4096);
    uint32_t len = (pre + (uint32_t)sz + 3) & ~3u;
    r->data = malloc(len);
    if (!r->data)
        abort();
    memset(r->data, 0xFF, len);
    if (fread(r->data + pre, 1, (size_t)sz, fp) != (size_t)sz) {
        fclose(fp);
        free(r->data);
        snprintf(err, cap, "cannot read %s", path);
        return -1;
    }
    fclose(fp);
    r->addr = (uint32_t)a - pre;
    r->len = len;
    r->file_len = (uint32_t)sz;
    return 0;
}

static void progress(const char *what, uint32_t done, uint32_t total, bool quiet)
{
    if (quiet)
        return;
    int pct = total ? (int)((uint64_t)done * 100 / total) : 100;
    fprintf(stderr, "\r%s %3d %%", what, pct);
    if (done == total)
        fputc('\n', stderr);
}

static int write_region(fl_t *f, const region_t *g, bool workaround, bool quiet)
{
    uint32_t blk = f->stub ? STUB_BLOCK : ROM_FLASH_BLOCK;
    uint32_t nblocks = (g->len + blk - 1) / blk;
    uint32_t erase =
        !f->stub && workaround ? romproto_erase_size_workaround(g->addr, g->len) : g->len;
    uint32_t w[5] = {erase, nblocks, blk, g->addr, 0};
    /* The ROM erases before it answers: max(3 s, 40 s per MB). */
    unsigned t = (unsigned)((uint64_t)g->len * 40000u / 1000000u);
    if (t < f->timeout_ms)
        t = f->timeout_ms;
    if (words(f, ROM_FLASH_BEGIN, w, f->stub ? 5 : 4, t, NULL))
        return -1;
    static uint8_t block[STUB_BLOCK], pkt[STUB_BLOCK + 64];
    for (uint32_t s = 0; s < nblocks; s++) {
        uint32_t o = s * blk, k = g->len - o < blk ? g->len - o : blk;
        memset(block, 0xFF, blk); /* the last block is padded to the full size */
        memcpy(block, g->data + o, k);
        size_t n = romproto_build_data(ROM_FLASH_DATA, s, block, (uint16_t)blk, pkt, sizeof(pkt));
        int rc = -1;
        for (int attempt = 0; attempt < 3 && rc; attempt++) {
            rc = command(f, pkt, n, f->timeout_ms, NULL);
            /* Only a reply that says the block was bad is worth a retry; a broken link is not. */
            if (rc && !strstr(f->err, "FLASH_DATA failed"))
                break;
        }
        if (rc) {
            size_t l = strlen(f->err);
            snprintf(f->err + l, sizeof(f->err) - l, " (block %u of %u at 0x%06x)", s + 1, nblocks,
                     g->addr + o);
            return -1;
        }
        progress("Writing", s + 1, nblocks, quiet);
    }
    return 0;
}

static int verify_region(fl_t *f, const region_t *g)
{
    uint8_t want[MD5_DIGEST_LEN];
    md5_ctx_t c;
    md5_init(&c);
    md5_update(&c, g->data, g->len);
    md5_final(&c, want);
    uint32_t w[4] = {g->addr, g->len, 0, 0};
    rom_resp_t r;
    unsigned t = (unsigned)((uint64_t)g->len * 8000u / 1000000u) + f->timeout_ms;
    if (words(f, ROM_SPI_FLASH_MD5, w, 4, t, &r))
        return -1;
    if (r.data_len != MD5_DIGEST_LEN) {
        snprintf(f->err, sizeof(f->err), "SPI_FLASH_MD5: %zu-byte digest, expected 16", r.data_len);
        return -1;
    }
    if (memcmp(r.data, want, MD5_DIGEST_LEN)) {
        snprintf(f->err, sizeof(f->err),
                 "verify failed: the flash at 0x%06x..0x%06x differs from the file (MD5)", g->addr,
                 g->addr + g->len);
        return -1;
    }
    return 0;
}

/* READ_FLASH (§7.4): 0x1000-byte frames, each acknowledged with the running total, then the
 * MD5 of the data; compared byte for byte with what was written. */
static int read_back_region(fl_t *f, const region_t *g)
{
    uint32_t w[4] = {g->addr, g->len, 0x1000, 64};
    if (words(f, ROM_READ_FLASH, w, 4, f->timeout_ms, NULL))
        return -1;
    md5_ctx_t c;
    md5_init(&c);
    uint32_t got = 0;
    while (got < g->len) {
        long k = read_frame(f, f->timeout_ms);
        if (k <= 0) {
            if (k == 0)
                snprintf(f->err, sizeof(f->err), "read-back: timeout after %u of %u bytes", got,
                         g->len);
            return -1;
        }
        if ((uint32_t)k > g->len - got || ((uint32_t)k < 0x1000 && got + (uint32_t)k < g->len)) {
            snprintf(f->err, sizeof(f->err), "read-back: a %ld-byte frame at %u of %u bytes", k,
                     got, g->len);
            return -1;
        }
        md5_update(&c, f->dec.buf, (size_t)k);
        for (long i = 0; i < k; i++)
            if (f->dec.buf[i] != g->data[got + i]) {
                snprintf(f->err, sizeof(f->err),
                         "read-back: flash 0x%06x reads 0x%02x, the file has 0x%02x",
                         g->addr + got + (uint32_t)i, f->dec.buf[i], g->data[got + i]);
                return -1;
            }
        got += (uint32_t)k;
        uint8_t ack[4];
        romproto_put32(ack, got);
        if (send_packet(f, ack, 4))
            return -1;
    }
    long k = read_frame(f, f->timeout_ms);
    uint8_t dig[MD5_DIGEST_LEN];
    md5_final(&c, dig);
    if (k != MD5_DIGEST_LEN || memcmp(f->dec.buf, dig, MD5_DIGEST_LEN)) {
        if (k >= 0)
            snprintf(f->err, sizeof(f->err), "read-back: %s",
                     k == 0 ? "no MD5 frame" : "the MD5 frame does not match the data");
        return -1;
    }
    return 0;
}

/* The placeholder stub: 16 bytes at the v2 stub's address, entry just after (§7.4). */
static int upload_fake_stub(fl_t *f)
{
    static const uint8_t text[16] = "otasim fake stub";
    uint32_t mb[4] = {sizeof(text), 1, ROM_RAM_BLOCK, 0x4010C500u};
    if (words(f, ROM_MEM_BEGIN, mb, 4, f->timeout_ms, NULL))
        return -1;
    uint8_t pkt[64];
    size_t n = romproto_build_data(ROM_MEM_DATA, 0, text, sizeof(text), pkt, sizeof(pkt));
    if (command(f, pkt, n, f->timeout_ms, NULL))
        return -1;
    uint32_t me[2] = {0, 0x4010C504u};
    if (words(f, ROM_MEM_END, me, 2, f->timeout_ms, NULL))
        return -1;
    long k = read_frame(f, f->timeout_ms);
    if (k != 4 || memcmp(f->dec.buf, "OHAI", 4)) {
        if (k >= 0)
            snprintf(f->err, sizeof(f->err),
                     "the stub did not start (no OHAI): a real ESP8266 needs the esptool stub, "
                     "which is not bundled");
        return -1;
    }
    f->stub = true;
    return 0;
}

static void usage(void)
{
    fprintf(
        stderr,
        "usage: otasim flash --port DEV [--baud B] [--stub fake] [--verify] [--read-back]\n"
        "                    [--no-erase-workaround] [--after run|stay] [--connect-attempts N]\n"
        "                    [--timeout MS] [--quiet] [--flash-mode qio|qout|dio|dout]\n"
        "                    [--flash-size 512KB|256KB|1MB|2MB|4MB|2MB-c1|4MB-c1|8MB|16MB]\n"
        "                    [--flash-freq 40m|26m|20m|80m] ADDR FILE [ADDR FILE]...\n"
        "  writes FILEs at ADDRs through the ESP8266 ROM serial loader (115200 baud: the\n"
        "  ROM cannot change its rate). --stub fake (otasim romloader only): switch to\n"
        "  --baud, --verify by MD5, --read-back by READ_FLASH. --after run (default) leaves\n"
        "  the loader without a reset: the chip stays strapped for UART boot until it is\n"
        "  reset (#3915). --flash-*: patch the header of the image at 0 (keep by default).\n");
}

int cmd_flash(int argc, char **argv)
{
    static const struct option lo[] = {{"port", required_argument, 0, 'p'},
                                       {"baud", required_argument, 0, 'b'},
                                       {"stub", required_argument, 0, 's'},
                                       {"verify", no_argument, 0, 'v'},
                                       {"read-back", no_argument, 0, 'r'},
                                       {"no-erase-workaround", no_argument, 0, 'n'},
                                       {"after", required_argument, 0, 'a'},
                                       {"connect-attempts", required_argument, 0, 'c'},
                                       {"timeout", required_argument, 0, 't'},
                                       {"quiet", no_argument, 0, 'q'},
                                       {"flash-mode", required_argument, 0, 'M'},
                                       {"flash-size", required_argument, 0, 'S'},
                                       {"flash-freq", required_argument, 0, 'F'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    const char *port = NULL;
    unsigned baud = ROM_BAUD, attempts = 7, timeout_ms = 3000;
    bool read_back = false;
    bool fake_stub = false, verify = false, workaround = true, stay = false, quiet = false;
    flash_params_t fp = {-1, -1, -1};
    static const char *const modes[] = {"keep", "qio", "qout", "dio", "dout"};
    static const int mode_codes[] = {-1, 0, 1, 2, 3};
    static const char *const sizes[] = {"keep", "512KB",  "256KB",  "1MB", "2MB",
                                        "4MB",  "2MB-c1", "4MB-c1", "8MB", "16MB"};
    static const int size_codes[] = {-1, 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x80, 0x90};
    static const char *const freqs[] = {"keep", "40m", "26m", "20m", "80m"};
    static const int freq_codes[] = {-1, 0x0, 0x1, 0x2, 0xF};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'p':
            port = optarg;
            break;
        case 'b':
            baud = (unsigned)strtoul(optarg, NULL, 10);
            if (!speed_of(baud)) {
                fprintf(stderr, "flash: unsupported baud rate '%s'\n", optarg);
                return 2;
            }
            break;
        case 's':
            if (strcmp(optarg, "fake")) {
                fprintf(stderr, "flash: --stub: only 'fake' (no real stub is bundled)\n");
                return 2;
            }
            fake_stub = true;
            break;
        case 'v':
            verify = true;
            break;
        case 'r':
            read_back = true;
            break;
        case 'n':
            workaround = false;
            break;
        case 'a':
            if (strcmp(optarg, "run") && strcmp(optarg, "stay")) {
                usage();
                return 2;
            }
            stay = strcmp(optarg, "stay") == 0;
            break;
        case 'c':
            attempts = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 't':
            timeout_ms = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'q':
            quiet = true;
            break;
        case 'M':
        case 'S':
        case 'F': {
            int v = c == 'M'   ? lookup(optarg, modes, mode_codes, 5)
                    : c == 'S' ? lookup(optarg, sizes, size_codes, 10)
                               : lookup(optarg, freqs, freq_codes, 5);
            if (v == -2) {
                fprintf(stderr, "flash: unknown --flash-%s '%s'\n",
                        c == 'M'   ? "mode"
                        : c == 'S' ? "size"
                                   : "freq",
                        optarg);
                return 2;
            }
            *(c == 'M' ? &fp.mode : c == 'S' ? &fp.size : &fp.freq) = v;
            break;
        }
        default:
            usage();
            return 2;
        }
    }
    int nargs = argc - optind;
    if (!port || nargs < 2 || nargs % 2 || nargs / 2 > MAX_FILES || attempts == 0 ||
        timeout_ms == 0) {
        usage();
        return 2;
    }
    if ((verify || read_back) && !fake_stub) {
        fprintf(stderr, "flash: --verify needs a stub: the ESP8266 ROM has no read-back or MD5 "
                        "command (use --stub fake with otasim romloader)\n");
        return 2;
    }
    region_t regs[MAX_FILES];
    unsigned nregs = 0;
    char err[300];
    int rc = 1;
    for (int i = optind; i < argc; i += 2) {
        if (load_region(argv[i], argv[i + 1], &regs[nregs], err, sizeof(err))) {
            fprintf(stderr, "flash: %s\n", err);
            goto out;
        }
        patch_header(&regs[nregs], &fp, quiet);
        nregs++;
    }
    /* Overlapping files (sector-aligned, as written) would overwrite each other. */
    for (unsigned i = 0; i < nregs; i++)
        for (unsigned j = i + 1; j < nregs; j++) {
            uint32_t ie = (regs[i].addr + regs[i].len + 4095) & ~4095u;
            uint32_t je = (regs[j].addr + regs[j].len + 4095) & ~4095u;
            if (regs[i].addr < je && regs[j].addr < ie) {
                fprintf(stderr,
                        "flash: files %u (0x%06x..0x%06x) and %u (0x%06x..0x%06x) overlap\n", i + 1,
                        regs[i].addr, ie, j + 1, regs[j].addr, je);
                goto out;
            }
        }
    static fl_t f;
    memset(&f, 0, sizeof(f));
    f.timeout_ms = timeout_ms;
    f.fd = open(port, O_RDWR | O_NOCTTY | O_NONBLOCK);
    if (f.fd < 0) {
        fprintf(stderr, "flash: cannot open %s: %s\n", port, strerror(errno));
        goto out;
    }
    romproto_slip_init(&f.dec, f.buf, sizeof(f.buf));
    if (set_baud(&f, ROM_BAUD) || connect_rom(&f, attempts))
        goto fail;
    rom_resp_t r;
    uint32_t magic = ROM_CHIP_MAGIC_REG;
    if (words(&f, ROM_READ_REG, &magic, 1, timeout_ms, &r))
        goto fail;
    if (r.value != ROM_CHIP_MAGIC_ESP8266) {
        snprintf(f.err, sizeof(f.err), "not an ESP8266: chip magic 0x%08x, expected 0x%08x",
                 r.value, ROM_CHIP_MAGIC_ESP8266);
        goto fail;
    }
    if (!quiet)
        fprintf(stderr, "Connected to ESP8266 (ROM loader)\n");
    if (fake_stub) {
        if (upload_fake_stub(&f))
            goto fail;
        if (baud != ROM_BAUD) {
            uint32_t w[2] = {baud, ROM_BAUD};
            if (words(&f, ROM_CHANGE_BAUDRATE, w, 2, timeout_ms, NULL) || set_baud(&f, baud))
                goto fail;
            usleep(50000); /* esptool: let the device switch */
            tcflush(f.fd, TCIFLUSH);
        }
    } else if (baud != ROM_BAUD) {
        fprintf(stderr, "flash: the ROM cannot change its baud rate; keeping %u\n", ROM_BAUD);
    }
    uint32_t attach[5] = {0, 0, f.stub ? STUB_BLOCK : ROM_FLASH_BLOCK, 0, 0};
    if (words(&f, ROM_FLASH_BEGIN, attach, f.stub ? 5 : 4, timeout_ms, NULL))
        goto fail;
    for (unsigned i = 0; i < nregs; i++) {
        if (!quiet)
            fprintf(stderr, "Writing %u bytes at 0x%06x\n", regs[i].len, regs[i].addr);
        if (write_region(&f, &regs[i], workaround, quiet))
            goto fail;
        if (verify && verify_region(&f, &regs[i]))
            goto fail;
        if (verify && !quiet)
            fprintf(stderr, "Hash of data verified.\n");
        if (read_back && read_back_region(&f, &regs[i]))
            goto fail;
        if (read_back && !quiet)
            fprintf(stderr, "Read back: identical.\n");
    }
    if (!stay) {
        if (f.stub) {
            /* RUN_USER_CODE: the app starts; no reply. */
            uint8_t pkt[16];
            size_t n = romproto_build_request(ROM_RUN_USER_CODE, NULL, 0, 0, pkt, sizeof(pkt));
            if (send_packet(&f, pkt, n))
                goto fail;
        } else {
            uint32_t w1 = 1;
            if (words(&f, ROM_FLASH_BEGIN, attach, 4, timeout_ms, NULL) ||
                words(&f, ROM_FLASH_END, &w1, 1, timeout_ms, NULL))
                goto fail;
        }
        tcdrain(f.fd);
        if (!quiet)
            fprintf(stderr, "Leaving the loader without a reset: reset the board before an OTA "
                            "update (#3915).\n");
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "\nflash: %s\n", f.err);
done:
    close(f.fd);
out:
    for (unsigned i = 0; i < nregs; i++)
        free(regs[i].data);
    return rc;
}
