/* otasim romloader --pty: a simulated ESP8266 in UART download mode on a pseudo-terminal
 * (spec esp8266-rom-serial.md §7.1, §7.2). It speaks the mask ROM's protocol (SYNC with 8
 * replies, READ_REG/WRITE_REG with a register model incl. the SPI user-command engine for the
 * JEDEC id, FLASH_BEGIN/DATA/END, MEM_*; unknown opcodes answered 01 05), writes into a flashsim
 * device and saves it to an image file on exit (SIGINT/SIGTERM, or --exit-after-end).
 *
 * Modelled on purpose:
 * - the ROM's FLASH_BEGIN erase-size bug (§3.2): it erases 2n sectors when the range does not
 *   cross a 64 KiB block, n + h when it does, so a flasher that sends the plain size erases
 *   data after its image (negative control); --exact-erase turns the quirk off;
 * - the line rate (--baud B): received bytes are processed no earlier than they could have
 *   arrived at B baud (10 bits a byte), replies are sent no faster than B;
 * - the boot-mode straps: the chip was reset with GPIO0 low (download) and the ROM's FLASH_END
 *   "run user code" does not reset it, so FILE.straps records "boot_mode=1 reset=no": an app
 *   started from this flash sees UART boot mode and its Updater refuses (ERROR[11], #3915).
 * - the "fake stub" of §7.4: MEM_END(0, entry != 0) after a MEM upload is taken as "stub
 *   started": the loader answers, sends OHAI and then speaks the stub's dialect (value 0,
 *   0x4000-byte blocks, exact erase, 5-word FLASH_BEGIN, CHANGE_BAUDRATE, SPI_SET_PARAMS,
 *   SPI_ATTACH, SPI_FLASH_MD5, READ_FLASH, RUN_USER_CODE). No code runs: it is a read-back path for
 * tests. Faults for tests (--fault, repeatable): flip-data=N flips a bit of the N-th FLASH_DATA
 * payload as received (the ROM answers "checksum error"; the flasher's retry gets a clean copy),
 * corrupt-write=N stores the N-th FLASH_DATA with bit 0 of its first byte inverted and answers OK
 * (a bad bit only a verify finds), checksum answers every FLASH_DATA with
 * "checksum error", silent answers nothing, silent-after-sync answers the SYNCs only, garbage /
 * bad-escape / truncate spoil the reply to FLASH_BEGIN (non-SLIP bytes before it, an invalid SLIP
 * escape in it, a 5-byte packet). */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "flashsim.h"
#include "md5.h"
#include "romproto.h"

#define REG_CLKDIV 0x60000014u
#define SPI_CMD 0x60000200u
#define SPI_USR2 0x60000224u
#define SPI_W0 0x60000240u
#define SPI_CMD_USR (1u << 18)
#define NREGS 32

typedef struct rl {
    flashsim_t *fs;
    uint32_t size;
    int master, slave;
    uint64_t byte_ns; /* 0: no line-rate model */
    uint64_t rx_clock;
    uint32_t baud;
    bool exact_erase, silent, silent_after_sync, exit_after_end, ended;
    bool stub, f_checksum, synced;
    int f_reply; /* 0, 'g' garbage, 'e' bad escape, 't' truncate: the FLASH_BEGIN reply */
    uint32_t mem_size, mem_got;
    long flip_data;     /* -1 none */
    long corrupt_write; /* -1 none: the N-th FLASH_DATA lands with a bit flipped, answered OK */
    long data_count;
    /* FLASH_BEGIN state */
    bool begun;
    uint32_t offset, blksize, nblocks;
    /* register model: address/value pairs */
    uint32_t reg_addr[NREGS], reg_val[NREGS];
    unsigned nregs;
    unsigned long frames, bad_frames;
    uint64_t bytes_written;
} rl_t;

static volatile sig_atomic_t stop;
static void on_signal(int s)
{
    (void)s;
    stop = 1;
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void sleep_until(uint64_t t)
{
    uint64_t n = now_ns();
    if (t <= n)
        return;
    uint64_t d = t - n;
    struct timespec ts = {(time_t)(d / 1000000000u), (long)(d % 1000000000u)};
    while (nanosleep(&ts, &ts) && errno == EINTR && !stop)
        ;
}

static uint32_t reg_get(rl_t *r, uint32_t a)
{
    for (unsigned i = 0; i < r->nregs; i++)
        if (r->reg_addr[i] == a)
            return r->reg_val[i];
    return 0;
}

static void reg_set(rl_t *r, uint32_t a, uint32_t v)
{
    for (unsigned i = 0; i < r->nregs; i++)
        if (r->reg_addr[i] == a) {
            r->reg_val[i] = v;
            return;
        }
    if (r->nregs < NREGS) {
        r->reg_addr[r->nregs] = a;
        r->reg_val[r->nregs++] = v;
    }
}

static uint32_t read_reg(rl_t *r, uint32_t a)
{
    switch (a) {
    case ROM_CHIP_MAGIC_REG:
        return ROM_CHIP_MAGIC_ESP8266;
    case 0x3FF00050u:
        return 0xCC000000u; /* MAC 18:fe:34:aa:bb:cc, ESP8266EX (spec §7.2) */
    case 0x3FF00054u:
        return 0x0000AABBu;
    case 0x3FF00058u:
    case 0x3FF0005Cu:
        return 0;
    case REG_CLKDIV:
        return 451; /* 2 x 26 MHz / 115200 */
    case SPI_CMD:
        return reg_get(r, a) & ~SPI_CMD_USR;
    }
    return reg_get(r, a);
}

static void spi_user_command(rl_t *r)
{
    uint8_t cmd = (uint8_t)reg_get(r, SPI_USR2);
    uint32_t w0 = 0;
    if (cmd == 0x9F)
        w0 = flashsim_jedec_id(r->fs);
    else if (cmd == 0x05 || cmd == 0x35 || cmd == 0x15)
        w0 = 0; /* status registers: idle, not protected */
    reg_set(r, SPI_W0, w0);
}

static void write_line(rl_t *r, const uint8_t *b, size_t n)
{
    if (r->byte_ns)
        sleep_until(now_ns() + n * r->byte_ns);
    size_t o = 0;
    int stalled = 0;
    while (o < n) {
        ssize_t w = write(r->master, b + o, n - o);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN && ++stalled < 30) { /* a host that reads nothing for 3 s */
                struct pollfd p = {r->master, POLLOUT, 0};
                poll(&p, 1, 100);
                continue;
            }
            return;
        }
        stalled = 0;
        o += (size_t)w;
    }
}

static void reply_data(rl_t *r, uint8_t op, uint32_t value, const uint8_t *d, uint16_t len,
                       uint8_t status, uint8_t err)
{
    uint8_t pkt[64], framed[140];
    if (r->stub && op != ROM_READ_REG)
        value = 0; /* the stub answers value 0 (esptool tells ROM from stub by it) */
    size_t n = romproto_build_response(op, value, d, len, status, err, pkt, sizeof(pkt));
    if (op == ROM_FLASH_BEGIN && r->f_reply == 't')
        n = 5; /* fault: a truncated reply */
    size_t f = romproto_slip_encode(pkt, n, framed, sizeof(framed));
    if (op == ROM_FLASH_BEGIN && r->f_reply == 'g')
        write_line(r, (const uint8_t *)"garbage", 7);
    if (op == ROM_FLASH_BEGIN && r->f_reply == 'e') {
        framed[3] = ROM_SLIP_ESC; /* fault: DB followed by a plain byte */
        framed[4] = 0x00;
    }
    write_line(r, framed, f);
}

static void reply(rl_t *r, uint8_t op, uint32_t value, uint8_t status, uint8_t err)
{
    reply_data(r, op, value, NULL, 0, status, err);
}

static void send_frame(rl_t *r, const uint8_t *d, size_t n)
{
    uint8_t framed[16];
    size_t f = romproto_slip_encode(d, n, framed, sizeof(framed));
    write_line(r, framed, f);
}

static void do_flash_begin(rl_t *r, const rom_req_t *q)
{
    if (q->size != 16 && q->size != 20) {
        reply(r, q->op, 0, 1, ROM_E_BAD_MESSAGE);
        return;
    }
    uint32_t erase = romproto_word(q, 0), nblocks = romproto_word(q, 1);
    uint32_t blksize = romproto_word(q, 2), offset = romproto_word(q, 3);
    if (erase == 0 && nblocks == 0) { /* attach only */
        reply(r, q->op, 0, 0, 0);
        return;
    }
    if (offset % 4 || blksize == 0 || blksize > 0x4000 || offset >= r->size ||
        (uint64_t)offset + (uint64_t)nblocks * blksize > r->size) {
        reply(r, q->op, 0, 1, ROM_E_INVALID_PARAM);
        return;
    }
    uint32_t first = offset / 4096;
    /* The stub erases exactly the sectors the size covers; the ROM has the bug. */
    uint32_t nsec = r->exact_erase || r->stub ? (uint32_t)(((uint64_t)erase + 4095) / 4096)
                                              : romproto_rom_erase_sectors(offset, erase);
    for (uint32_t s = first; s < first + nsec && s < r->size / 4096; s++)
        flashsim_erase_sector(r->fs, s);
    r->begun = true;
    r->offset = offset;
    r->blksize = blksize;
    r->nblocks = nblocks;
    reply(r, q->op, 0, 0, 0);
}

static void do_flash_data(rl_t *r, rom_req_t *q)
{
    uint32_t seq, dlen;
    const uint8_t *d;
    r->data_count++;
    if (r->flip_data >= 0 && r->data_count - 1 == r->flip_data && q->size > 16)
        ((uint8_t *)q->data)[16] ^= 0x01;
    romp_status_t st = romproto_check_data(q, &seq, &d, &dlen);
    if (st == ROMP_BAD_CHECKSUM || (st == ROMP_OK && r->f_checksum)) {
        reply(r, q->op, 0, 1, ROM_E_CHECKSUM);
        return;
    }
    if (st != ROMP_OK || !r->begun || seq >= r->nblocks || dlen > r->blksize) {
        reply(r, q->op, 0, 1, st != ROMP_OK ? ROM_E_BAD_MESSAGE : ROM_E_INVALID_PARAM);
        return;
    }
    uint32_t addr = r->offset + seq * r->blksize;
    uint8_t buf[0x4000 + 4], back[0x4000 + 4];
    uint32_t n = (dlen + 3) & ~3u;
    memset(buf, 0xFF, n);
    memcpy(buf, d, dlen);
    if (addr + n > r->size || flashsim_program(r->fs, addr, buf, n) != FLASHSIM_OK) {
        reply(r, q->op, 0, 1, ROM_E_FLASH_WRITE);
        return;
    }
    if (r->corrupt_write >= 0 && r->data_count - 1 == r->corrupt_write) {
        uint8_t b = (uint8_t)(buf[0] ^ 0x01); /* a bit the chip got wrong; the ROM misses it */
        flashsim_poke(r->fs, addr, &b, 1);
        flashsim_read(r->fs, addr, back, n);
        memcpy(back, buf, n);
    } else {
        flashsim_read(r->fs, addr, back, n);
    }
    r->bytes_written += dlen;
    /* the ROM checks what it wrote: NOR AND-write over unerased bits shows here */
    reply(r, q->op, 0, memcmp(back, buf, n) ? 1 : 0, memcmp(back, buf, n) ? ROM_E_FLASH_WRITE : 0);
}

/* READ_FLASH (§7.4): reply, then frames of `packet` bytes, never more than `inflight` ahead of
 * the host's acks (4-byte running totals), then the MD5 of all the data. A host that stops
 * acknowledging for 3 s ends it. */
static void read_flash(rl_t *r, const rom_req_t *q)
{
    uint32_t a = romproto_word(q, 0), n = romproto_word(q, 1);
    uint32_t packet = romproto_word(q, 2), inflight = romproto_word(q, 3);
    if ((uint64_t)a + n > r->size || packet == 0 || packet > 0x1000 || inflight == 0) {
        reply(r, q->op, 0, 1, ROM_E_INVALID_PARAM);
        return;
    }
    reply(r, q->op, 0, 0, 0);
    uint8_t buf[0x1000], framed[2 * 0x1000 + 2], ackbuf[64], in[256];
    slip_dec_t ack;
    romproto_slip_init(&ack, ackbuf, sizeof(ackbuf));
    uint32_t sent = 0, acked = 0;
    md5_ctx_t c;
    md5_init(&c);
    while (acked < n && !stop) {
        while (sent < n && (sent - acked) / packet < inflight) {
            uint32_t k = n - sent < packet ? n - sent : packet;
            flashsim_peek(r->fs, a + sent, buf, k);
            md5_update(&c, buf, k);
            write_line(r, framed, romproto_slip_encode(buf, k, framed, sizeof(framed)));
            sent += k;
        }
        struct pollfd p = {r->master, POLLIN, 0};
        if (poll(&p, 1, 3000) <= 0)
            return; /* the host gave up */
        ssize_t got = read(r->master, in, sizeof(in));
        for (ssize_t i = 0; i < got; i++)
            if (romproto_slip_feed(&ack, in[i]) == SLIP_FRAME && ack.len == 4)
                acked = romproto_get32(ack.buf);
    }
    uint8_t dig[MD5_DIGEST_LEN];
    md5_final(&c, dig);
    write_line(r, framed, romproto_slip_encode(dig, sizeof(dig), framed, sizeof(framed)));
}

/* The fake stub's own commands (§7.4). Returns false for an opcode it does not know. */
static bool stub_command(rl_t *r, const rom_req_t *q)
{
    switch (q->op) {
    case ROM_SPI_SET_PARAMS:
    case ROM_SPI_ATTACH:
        reply(r, q->op, 0, 0, 0);
        return true;
    case ROM_CHANGE_BAUDRATE:
        if (q->size != 8 || romproto_word(q, 0) == 0) {
            reply(r, q->op, 0, 1, ROM_E_INVALID_PARAM);
            return true;
        }
        reply(r, q->op, 0, 0, 0); /* at the old rate; the host switches after the reply */
        if (r->byte_ns)
            r->byte_ns = 10000000000ull / romproto_word(q, 0);
        r->baud = romproto_word(q, 0);
        return true;
    case ROM_SPI_FLASH_MD5: {
        if (q->size != 16) {
            reply(r, q->op, 0, 1, ROM_E_BAD_MESSAGE);
            return true;
        }
        uint32_t a = romproto_word(q, 0), n = romproto_word(q, 1);
        if ((uint64_t)a + n > r->size) {
            reply(r, q->op, 0, 1, ROM_E_INVALID_PARAM);
            return true;
        }
        md5_ctx_t c;
        uint8_t buf[4096], dig[MD5_DIGEST_LEN];
        md5_init(&c);
        for (uint32_t o = 0; o < n; o += sizeof(buf)) {
            uint32_t k = n - o < sizeof(buf) ? n - o : (uint32_t)sizeof(buf);
            flashsim_peek(r->fs, a + o, buf, k);
            md5_update(&c, buf, k);
        }
        md5_final(&c, dig);
        reply_data(r, q->op, 0, dig, MD5_DIGEST_LEN, 0, 0);
        return true;
    }
    case ROM_READ_FLASH:
        if (q->size != 16)
            reply(r, q->op, 0, 1, ROM_E_BAD_MESSAGE);
        else
            read_flash(r, q);
        return true;
    case ROM_RUN_USER_CODE:
        r->ended = true; /* no reply: the app starts (without a reset) */
        return true;
    }
    return false;
}

static void handle(rl_t *r, uint8_t *f, size_t len)
{
    rom_req_t q;
    r->frames++;
    romp_status_t st = romproto_parse_request(f, len, &q);
    if (st != ROMP_OK) {
        r->bad_frames++;
        if (len >= 2 && f[0] == 0)
            reply(r, f[1], 0, 1, ROM_E_BAD_MESSAGE);
        return;
    }
    if (r->silent_after_sync && r->synced)
        return;
    switch (q.op) {
    case ROM_SYNC:
        if (romproto_check_sync(&q) != ROMP_OK) {
            reply(r, q.op, 0, 1, ROM_E_BAD_MESSAGE);
            return;
        }
        for (unsigned i = 0; i < ROM_SYNC_REPLIES; i++)
            reply(r, q.op, ROM_SYNC_VALUE, 0, 0);
        r->synced = true;
        return;
    case ROM_READ_REG:
        if (q.size != 4) {
            reply(r, q.op, 0, 1, ROM_E_BAD_MESSAGE);
            return;
        }
        reply(r, q.op, read_reg(r, romproto_word(&q, 0)), 0, 0);
        return;
    case ROM_WRITE_REG:
        if (q.size == 0 || q.size % 16) {
            reply(r, q.op, 0, 1, ROM_E_BAD_MESSAGE);
            return;
        }
        for (unsigned g = 0; g < q.size / 16u; g++) {
            uint32_t a = romproto_word(&q, 4 * g), v = romproto_word(&q, 4 * g + 1);
            uint32_t m = romproto_word(&q, 4 * g + 2);
            uint32_t nv = (reg_get(r, a) & ~m) | (v & m);
            reg_set(r, a, nv);
            if (a == SPI_CMD && (nv & SPI_CMD_USR)) {
                spi_user_command(r);
                reg_set(r, a, nv & ~SPI_CMD_USR);
            }
        }
        reply(r, q.op, 0, 0, 0);
        return;
    case ROM_FLASH_BEGIN:
        do_flash_begin(r, &q);
        return;
    case ROM_FLASH_DATA:
        do_flash_data(r, &q);
        return;
    case ROM_FLASH_END:
        reply(r, q.op, 0, 0, 0);
        r->begun = false;
        /* ROM: 1 = "run user code", the loader is left without a reset. Stub: 1 = stay. */
        if (!r->stub && q.size >= 4 && romproto_word(&q, 0) == 1)
            r->ended = true;
        if (r->stub && q.size >= 4 && romproto_word(&q, 0) == 0)
            r->stub = false; /* stub: 0 = reboot into the ROM loader */
        return;
    case ROM_MEM_BEGIN:
        if (q.size != 16) {
            reply(r, q.op, 0, 1, ROM_E_BAD_MESSAGE);
            return;
        }
        r->mem_size = romproto_word(&q, 0);
        r->mem_got = 0;
        reply(r, q.op, 0, 0, 0);
        return;
    case ROM_MEM_END: {
        if (q.size != 8) {
            reply(r, q.op, 0, 1, ROM_E_BAD_MESSAGE);
            return;
        }
        uint32_t flag = romproto_word(&q, 0), entry = romproto_word(&q, 1);
        reply(r, q.op, 0, 0, 0);
        if (flag == 0 && entry != 0) {
            /* "Stub started" (§7.4): answer first, then the unsolicited OHAI frame. */
            send_frame(r, (const uint8_t *)"OHAI", 4);
            r->stub = true;
        }
        return;
    }
    case ROM_MEM_DATA: {
        uint32_t seq, dlen;
        const uint8_t *d;
        st = romproto_check_data(&q, &seq, &d, &dlen);
        if (st == ROMP_OK)
            r->mem_got += dlen; /* RAM contents are not kept: nothing runs them */
        reply(r, q.op, 0, st == ROMP_OK ? 0 : 1,
              st == ROMP_OK             ? 0
              : st == ROMP_BAD_CHECKSUM ? ROM_E_CHECKSUM
                                        : ROM_E_BAD_MESSAGE);
        return;
    }
    default:
        if (r->stub && stub_command(r, &q))
            return;
        reply(r, q.op, 0, 1, ROM_E_BAD_MESSAGE);
    }
}

static int write_straps(const char *image)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s.straps", image);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "# otasim romloader: strap state of the simulated board after serial flashing\n"
               "boot_mode=1\n"
               "reset=no\n");
    return fclose(f);
}

static void usage(void)
{
    fprintf(
        stderr,
        "usage: otasim romloader --pty --image FILE [--size BYTES] [--baud B] [--link PATH]\n"
        "                        [--exact-erase] [--exit-after-end]\n"
        "                        [--fault F]...  F: flip-data=N corrupt-write=N checksum silent\n"
        "                        silent-after-sync garbage bad-escape truncate\n"
        "  a simulated ESP8266 in UART download mode on a pseudo-terminal; prints\n"
        "  'pty: /dev/pts/N'; FILE is loaded if it exists and saved on exit (with\n"
        "  FILE.straps: boot_mode=1 reset=no)\n");
}

int cmd_romloader(int argc, char **argv)
{
    static const struct option lo[] = {{"pty", no_argument, 0, 'p'},
                                       {"image", required_argument, 0, 'i'},
                                       {"size", required_argument, 0, 's'},
                                       {"baud", required_argument, 0, 'b'},
                                       {"link", required_argument, 0, 'l'},
                                       {"exact-erase", no_argument, 0, 'x'},
                                       {"exit-after-end", no_argument, 0, 'e'},
                                       {"fault", required_argument, 0, 'f'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    rl_t r;
    memset(&r, 0, sizeof(r));
    r.flip_data = -1;
    r.corrupt_write = -1;
    r.size = 4u << 20;
    bool pty = false;
    const char *image = NULL, *link = NULL;
    long baud = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'p':
            pty = true;
            break;
        case 'i':
            image = optarg;
            break;
        case 's':
            r.size = (uint32_t)strtoul(optarg, NULL, 0);
            break;
        case 'b':
            baud = strtol(optarg, NULL, 10);
            break;
        case 'l':
            link = optarg;
            break;
        case 'x':
            r.exact_erase = true;
            break;
        case 'e':
            r.exit_after_end = true;
            break;
        case 'f':
            if (strncmp(optarg, "flip-data=", 10) == 0)
                r.flip_data = strtol(optarg + 10, NULL, 10);
            else if (strncmp(optarg, "corrupt-write=", 14) == 0)
                r.corrupt_write = strtol(optarg + 14, NULL, 10);
            else if (strcmp(optarg, "silent") == 0)
                r.silent = true;
            else if (strcmp(optarg, "silent-after-sync") == 0)
                r.silent_after_sync = true;
            else if (strcmp(optarg, "checksum") == 0)
                r.f_checksum = true;
            else if (strcmp(optarg, "garbage") == 0)
                r.f_reply = 'g';
            else if (strcmp(optarg, "bad-escape") == 0)
                r.f_reply = 'e';
            else if (strcmp(optarg, "truncate") == 0)
                r.f_reply = 't';
            else {
                fprintf(stderr, "romloader: unknown fault '%s'\n", optarg);
                return 2;
            }
            break;
        default:
            usage();
            return 2;
        }
    }
    if (!pty || !image || baud < 0 || optind != argc) {
        usage();
        return 2;
    }
    if (baud > 0)
        r.byte_ns = 10000000000ull / (uint64_t)baud;
    flashsim_config_t cfg = {.size = r.size, .seed = 1};
    if (access(image, F_OK) == 0) {
        r.fs = flashsim_new_from_image(image, &cfg);
        if (!r.fs) {
            fprintf(stderr, "romloader: cannot load %s as a %u-byte flash: %s\n", image, r.size,
                    strerror(errno));
            return 1;
        }
    } else {
        r.fs = flashsim_new(&cfg);
        if (!r.fs) {
            fprintf(stderr, "romloader: invalid flash size %u\n", r.size);
            return 2;
        }
    }
    r.master = posix_openpt(O_RDWR | O_NOCTTY);
    if (r.master < 0 || grantpt(r.master) || unlockpt(r.master)) {
        fprintf(stderr, "romloader: posix_openpt: %s\n", strerror(errno));
        flashsim_free(r.fs);
        return 1;
    }
    const char *sname = ptsname(r.master);
    /* Hold the slave open so the master never sees EIO between flasher runs; raw mode. */
    r.slave = open(sname, O_RDWR | O_NOCTTY);
    struct termios t;
    if (r.slave >= 0 && tcgetattr(r.slave, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(r.slave, TCSANOW, &t);
    }
    fcntl(r.master, F_SETFL, fcntl(r.master, F_GETFL) | O_NONBLOCK);
    if (link) {
        unlink(link);
        if (symlink(sname, link)) {
            fprintf(stderr, "romloader: symlink %s: %s\n", link, strerror(errno));
            return 1;
        }
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    printf("pty: %s\n", sname);
    fflush(stdout);

    uint8_t fbuf[0x4000 + 64];
    slip_dec_t dec;
    romproto_slip_init(&dec, fbuf, sizeof(fbuf));
    uint8_t in[4096];
    while (!stop && !(r.exit_after_end && r.ended)) {
        struct pollfd p = {r.master, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t n = read(r.master, in, sizeof(in));
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO)
                break;
            if (n < 0 && errno == EIO)
                usleep(10000);
            continue;
        }
        uint64_t t = now_ns();
        if (r.byte_ns) {
            if (r.rx_clock < t)
                r.rx_clock = t;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (r.byte_ns)
                r.rx_clock += r.byte_ns;
            slip_event_t ev = romproto_slip_feed(&dec, in[i]);
            if (ev == SLIP_FRAME && !r.silent) {
                if (r.byte_ns)
                    sleep_until(r.rx_clock);
                handle(&r, dec.buf, dec.len);
            } else if (ev == SLIP_BAD_ESCAPE || ev == SLIP_OVERSIZE) {
                r.bad_frames++;
            }
        }
    }
    /* Closing the master drops what the flasher has not read yet: after the loader was left,
     * wait (up to 2 s) until the flasher closes its side (POLLHUP once no slave fd is open). */
    if (r.ended && r.slave >= 0) {
        close(r.slave);
        r.slave = -1;
        for (int i = 0; i < 200 && !stop; i++) {
            struct pollfd p = {r.master, POLLIN, 0};
            if (poll(&p, 1, 10) > 0 && (p.revents & POLLHUP))
                break;
            if (p.revents & POLLIN)
                (void)!read(r.master, in, sizeof(in));
        }
    }
    int rc = 0;
    if (flashsim_image_save(r.fs, image, 0, 0) != FLASHSIM_OK || write_straps(image)) {
        fprintf(stderr, "romloader: cannot save %s: %s\n", image, strerror(errno));
        rc = 1;
    }
    fprintf(stderr, "romloader: %lu frames (%lu bad), %llu bytes written, saved %s\n", r.frames,
            r.bad_frames, (unsigned long long)r.bytes_written, image);
    if (link)
        unlink(link);
    if (r.slave >= 0)
        close(r.slave);
    close(r.master);
    flashsim_free(r.fs);
    return rc;
}
