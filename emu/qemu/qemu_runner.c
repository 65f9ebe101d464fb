/* The QEMU runner: one boot = one qemu-system-xtensa process started in a fresh temporary
 * directory holding the two bridge FIFOs (bridge_proto.h). The runner opens both FIFOs
 * read-write (so neither side's open blocks), polls the request FIFO and QEMU's output, and
 * answers each request from flashsim before QEMU's CPU continues. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "qemu_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bridge_proto.h"
#include "hal.h"
#include "image.h"
#include "qemu_rom.h"
#include "sock_io.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void console_add(qemu_run_result_t *res, const char *buf, size_t n)
{
    size_t room = sizeof res->console - 1 - res->console_len;
    if (n > room)
        n = room;
    memcpy(res->console + res->console_len, buf, n);
    res->console_len += n;
    res->console[res->console_len] = '\0';
}

typedef struct {
    const qemu_run_cfg_t *cfg;
    qemu_run_result_t *res;
    int rsp;
    int out; /* QEMU's stdout and stderr (the console) */
    uint64_t delay_ms;
    uint8_t *buf;
    size_t cap;
} server_t;

static bool grow(server_t *s, size_t len)
{
    if (len <= s->cap)
        return true;
    uint8_t *b = realloc(s->buf, len);
    if (!b)
        return false;
    s->buf = b;
    s->cap = len;
    return true;
}

/* QB_OFFER: the offer (qb_offer_t, little-endian) into s->buf; returns 1 if there is one. */
static uint32_t serve_offer(server_t *s, uint32_t len)
{
    const qemu_run_cfg_t *c = s->cfg;
    if (!c->offer || len < QB_OFFER_SIZE)
        return 0;
    memset(s->buf, 0, len);
    put32(s->buf, c->offer_declared);
    put32(s->buf + 4, (uint32_t)c->offer_command);
    put32(s->buf + 8, (c->offer_md5 ? QB_OFFER_HAS_MD5 : 0u) |
                          (c->offer_no_restart ? QB_OFFER_NO_RESTART : 0u));
    if (c->offer_md5)
        memcpy(s->buf + 12, c->offer_md5, strnlen(c->offer_md5, 32));
    s->res->job_taken = true;
    return 1;
}

/* QB_BUILD: the app's build options (qb_build_t) into s->buf; returns 1 if there are any. */
static uint32_t serve_build(server_t *s, uint32_t len)
{
    const qemu_run_cfg_t *c = s->cfg;
    if (!c->build_layout || len < QB_BUILD_SIZE)
        return 0;
    memset(s->buf, 0, len);
    put32(s->buf, (c->build_signing ? QB_BUILD_SIGNING : 0u) |
                      (c->build_atomic_fs ? QB_BUILD_ATOMIC_FS : 0u));
    snprintf((char *)s->buf + 4, 16, "%s", c->build_layout);
    const char *pem = c->build_pubkey_pem;
    if (pem && strlen(pem) < QB_BUILD_SIZE - 20u)
        memcpy(s->buf + 20, pem, strlen(pem)); /* else left empty: the app fails closed */
    return 1;
}

static void serve_report(server_t *s, uint32_t ok, uint32_t len)
{
    qemu_run_result_t *r = s->res;
    r->job_ok = ok != 0;
    r->job_error = len >= 4 ? (int)(int32_t)get32(s->buf) : -1;
    size_t n = len > 4 ? len - 4 : 0;
    if (n >= sizeof r->job_msg)
        n = sizeof r->job_msg - 1;
    memcpy(r->job_msg, s->buf + 4, n);
    r->job_msg[n] = '\0';
}

/* Whatever QEMU printed so far, without waiting: the guest's console writes are synchronous
 * semihosting calls, so everything it printed before its current request is in the pipe. */
static void console_drain(server_t *s)
{
    struct pollfd pfd = {s->out, POLLIN, 0};
    char buf[512];
    while (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN)) {
        ssize_t n = read(s->out, buf, sizeof buf);
        if (n <= 0)
            break;
        console_add(s->res, buf, (size_t)n);
    }
}

/* QB_OUTPUT: a level change of an output, recorded where it falls in the flash operation
 * sequence, with the native device's console line at its place in the console. Returns the
 * status (HAL_ERR_RANGE for a pin the HAL does not have). */
static uint32_t serve_output(server_t *s, uint32_t pin, uint32_t level)
{
    qemu_run_result_t *r = s->res;
    if (pin >= HAL_OUTPUT_PINS || level > 1)
        return HAL_ERR_RANGE;
    uint32_t next = level ? r->pins | 1u << pin : r->pins & ~(1u << pin);
    if (next == r->pins)
        return HAL_OK; /* not a change (the port sends only changes) */
    r->pins = next;
    char line[96];
    size_t n = hdev_outputs_change(&r->outputs, pin, level != 0, r->app_started, line, sizeof line);
    console_drain(s);
    console_add(r, line, n);
    return HAL_OK;
}

uint64_t qemu_hash(const void *data, size_t len)
{
    const uint8_t *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* QB_APP_START: the native boot port's check (emu/native/native_apps.c): valid headers and app
 * checksum, a descriptor, the entry the bootloader read; the file CRC is not a condition. */
bool qemu_app_check(flashsim_t *fs, uint32_t image_addr, uint32_t entry, char *name,
                    size_t name_len, uint32_t *version)
{
    if (image_addr < IMAGE_APP_OFFSET)
        return false;
    uint32_t base = image_addr - IMAGE_APP_OFFSET, size = flashsim_size(fs);
    if (base >= size)
        return false;
    uint8_t *img = malloc(size - base);
    if (!img)
        return false;
    flashsim_peek(fs, base, img, size - base);
    image_pair_info_t info;
    image_status_t st = image_parse_pair_buffer(img, size - base, IMAGE_PARSE_CHECKSUM, &info);
    free(img);
    if ((st != IMAGE_OK && st != IMAGE_ERR_CRC) || info.app.entry != entry || !info.has_desc)
        return false;
    snprintf(name, name_len, "%s", info.desc.name);
    *version = info.desc.version;
    return true;
}

static bool app_check(server_t *s, uint32_t image_addr, uint32_t entry)
{
    if (!qemu_app_check(s->cfg->fs, image_addr, entry, s->res->app_name, sizeof s->res->app_name,
                        &s->res->app_version))
        return false;
    s->res->app_started = true;
    return true;
}

static void log_req(server_t *s, uint32_t op, uint32_t a0, uint32_t a1, uint32_t status,
                    uint32_t value, size_t payload)
{
    qemu_req_log_t *l = s->cfg->log;
    if (!l)
        return;
    if (op != QB_FLASH_READ && op != QB_FLASH_INFO && op != QB_RTC_READ && op != QB_BOOT_MODE &&
        op != QB_APP_START && op != QB_PING && op != QB_CCOUNT &&
        op != 0x100u /* a too-long read: refused */)
        l->pure = false;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        qemu_req_t *r = realloc(l->reqs, cap * sizeof *r);
        if (!r) {
            l->pure = false;
            return;
        }
        l->reqs = r, l->cap = cap;
    }
    l->reqs[l->n++] = (qemu_req_t){
        op, a0, a1, status, value, qemu_hash(s->buf, status ? 0 : payload), s->res->console_len};
}

/* Serves one request whose 12-byte header is in hdr. Returns false to end the boot (power cut,
 * broken bridge). */
static bool serve(server_t *s, int req, const uint8_t *hdr, uint64_t deadline)
{
    flashsim_t *fs = s->cfg->fs;
    uint32_t op = get32(hdr), a0 = get32(hdr + 4), a1 = get32(hdr + 8);
    uint32_t status = 0u, value = 0;
    size_t payload = 0;
    bool has_payload = op == QB_FLASH_WRITE || op == QB_RTC_WRITE || op == QB_REPORT;
    bool returns_data = op == QB_FLASH_READ || op == QB_RTC_READ;
    /* A payload the host must take in is bounded by the largest chip; a read longer than the
     * chip is answered HAL_ERR_RANGE (eboot on blank flash asks for 0xFFFFFFFF bytes). */
    if (has_payload && a1 > FLASHSIM_MAX_SIZE)
        return false;
    bool sized = returns_data || op == QB_STREAM_READ || op == QB_OFFER || op == QB_BUILD;
    if (sized && a1 > FLASHSIM_MAX_SIZE)
        a1 = 0, op = op == QB_STREAM_READ ? op : 0x100u;
    /* Only where arg1 is a length: QB_APP_START's is the entry (0x401xxxxx), and growing to it
     * allocated 1 GiB per app start (slow where malloc fills memory, MALLOC_PERTURB_). */
    if (!grow(s, (sized || has_payload) && a1 ? a1 : 1))
        return false;
    if (has_payload && !fd_read_all(req, s->buf, a1, deadline))
        return false;
    flashsim_status_t fst = FLASHSIM_OK;
    switch (op) {
    case QB_FLASH_READ:
        fst = flashsim_read(fs, a0, s->buf, a1);
        payload = a1;
        break;
    case QB_FLASH_WRITE:
        hdev_outputs_flash_op(&s->res->outputs, s->res->pins, false, s->res->app_started);
        if (s->cfg->on_write && flashsim_powered(fs))
            s->cfg->on_write(s->cfg->on_write_ctx, 0, s->res->app_started, a0, a1, s->buf);
        fst = flashsim_program(fs, a0, s->buf, a1);
        break;
    case QB_FLASH_ERASE:
        hdev_outputs_flash_op(&s->res->outputs, s->res->pins, true, s->res->app_started);
        if (s->cfg->on_write && flashsim_powered(fs))
            s->cfg->on_write(s->cfg->on_write_ctx, 1, s->res->app_started,
                             a0 * FLASHSIM_SECTOR_SIZE, FLASHSIM_SECTOR_SIZE, NULL);
        fst = flashsim_erase_sector(fs, a0);
        break;
    case QB_FLASH_INFO:
        value = a0 == 1 ? flashsim_size(fs) : flashsim_jedec_id(fs);
        break;
    case QB_RTC_READ:
        fst = flashsim_rtc_read(fs, a0, s->buf, a1);
        payload = a1;
        break;
    case QB_RTC_WRITE:
        if (s->cfg->on_write && a0 <= FLASHSIM_RTC_SIZE && a1 <= FLASHSIM_RTC_SIZE - a0) {
            uint8_t now[FLASHSIM_RTC_SIZE], after[FLASHSIM_RTC_SIZE];
            if (flashsim_rtc_read(fs, 0, now, sizeof now) == FLASHSIM_OK) {
                memcpy(after, now, sizeof now);
                memcpy(after + a0, s->buf, a1);
                if (memcmp(now, after, sizeof now) != 0)
                    s->cfg->on_write(s->cfg->on_write_ctx, 3, s->res->app_started, 0,
                                     FLASHSIM_RTC_SIZE, after);
            }
        }
        fst = flashsim_rtc_write(fs, a0, s->buf, a1);
        break;
    case QB_MILLIS:
    case QB_DELAY: {
        if (op == QB_DELAY)
            s->delay_ms += a0;
        uint64_t now = flashsim_time_us(fs) / 1000u + s->delay_ms;
        value = op == QB_MILLIS ? (uint32_t)now : 0;
        if (s->cfg->hang_virtual_ms && now >= s->cfg->hang_virtual_ms) {
            s->res->virtual_hang = true; /* the virtual watchdog: end the boot here */
            s->res->virtual_ms = now;
            return false;
        }
        break;
    }
    case QB_BOOT_MODE:
        value = s->cfg->boot_mode ? s->cfg->boot_mode : 3u;
        break;
    case QB_STREAM_READ: {
        size_t left = s->cfg->stream_len - s->res->stream_pos;
        payload = left < a1 ? left : a1;
        if (payload)
            memcpy(s->buf, s->cfg->stream + s->res->stream_pos, payload);
        s->res->stream_pos += payload;
        value = (uint32_t)payload;
        break;
    }
    case QB_PING:
        value = a0;
        break;
    case QB_OFFER:
        value = serve_offer(s, a1);
        payload = value ? a1 : 0;
        status = value ? 0u : 1u; /* no offer: no payload follows */
        break;
    case QB_REPORT:
        serve_report(s, a0, a1);
        break;
    case QB_BUILD:
        value = serve_build(s, a1);
        payload = value ? a1 : 0;
        status = value ? 0u : 1u;
        break;
    case QB_CCOUNT:
        s->res->has_boot_ccount = true;
        s->res->boot_ccount = a0;
        break;
    case QB_APP_START:
        status = app_check(s, a0, a1) ? 0u : 1u;
        break;
    case QB_OUTPUT:
        status = serve_output(s, a0, a1);
        break;
    case 0x100u:    /* a read longer than any chip */
        status = 2; /* HAL_ERR_RANGE */
        break;
    default:
        status = 3; /* HAL_ERR_IO */
        break;
    }
    s->res->requests++;
    if (getenv("OTASIM_QEMU_TRACE")) /* debugging aid: every bridge request on stderr */
        fprintf(stderr, "qemu bridge: %.3f ms op %u 0x%x 0x%x -> %u\n", now_ms(), op, a0, a1,
                (unsigned)fst);
    if (fst == FLASHSIM_ERR_POWER) {
        s->res->power_cut = true;
        return false;
    }
    if (fst != FLASHSIM_OK)
        status = (uint32_t)fst; /* flashsim's codes are hal_status_t's */
    log_req(s, op, a0, a1, status, value, payload);
    uint8_t out[8];
    put32(out, status);
    put32(out + 4, value);
    /* Header and payload in one write when they fit a FIFO write (PIPE_BUF-sized): QEMU then
     * finds the whole answer in one read. */
    size_t plen = status == 0u ? payload : 0;
    if (plen && plen <= 4096 - sizeof out) {
        uint8_t one[4096];
        memcpy(one, out, sizeof out);
        memcpy(one + sizeof out, s->buf, plen);
        return fd_write_all(s->rsp, one, sizeof out + plen);
    }
    if (!fd_write_all(s->rsp, out, sizeof out))
        return false;
    return !plen || fd_write_all(s->rsp, s->buf, plen);
}

int qemu_run(const qemu_run_cfg_t *cfg, qemu_run_result_t *res)
{
    memset(res, 0, sizeof *res);
    res->exit_code = -1;
    if (cfg->log) {
        cfg->log->n = 0;
        cfg->log->pure = true;
    }
    char dir[] = "/tmp/otasim-qemu-XXXXXX";
    if (!mkdtemp(dir)) {
        console_add(res, "mkdtemp failed\n", 15);
        return -1;
    }
    char reqp[64], rspp[64], romp[64];
    snprintf(romp, sizeof romp, "%s/rom.elf", dir);
    snprintf(reqp, sizeof reqp, "%s/%s", dir, QEMU_BRIDGE_REQ_PATH);
    snprintf(rspp, sizeof rspp, "%s/%s", dir, QEMU_BRIDGE_RSP_PATH);
    int req = -1, rsp = -1, out[2] = {-1, -1}, rc = -1;
    pid_t pid = -1;
    if (mkfifo(reqp, 0600) || mkfifo(rspp, 0600) || (req = open(reqp, O_RDWR | O_CLOEXEC)) < 0 ||
        (rsp = open(rspp, O_RDWR | O_CLOEXEC)) < 0 || pipe2(out, O_CLOEXEC)) {
        console_add(res, "bridge set-up failed\n", 21);
        goto done;
    }
    const char *elf = cfg->elf;
    if (!elf) {
        char err[160];
        int r = qemu_rom_write_elf(cfg->fs, romp, &res->rom_entry, err, sizeof err);
        if (r != 0) {
            console_add(res, err, strlen(err));
            console_add(res, "\n", 1);
            res->rom_refused = r > 0;
            rc = r > 0 ? 0 : -1;
            goto done;
        }
        elf = romp;
    }
    char loader[4200];
    snprintf(loader, sizeof loader, "loader,file=%s,cpu-num=0", elf);
    double t0 = now_ms();
    uint64_t deadline = mono_ms() + (cfg->timeout_ms ? cfg->timeout_ms : 10000u);
    pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(out[1], 2);
        if (chdir(dir) != 0)
            _exit(126);
        /* meson test's MALLOC_PERTURB_ is for our code, not for QEMU's allocator. */
        unsetenv("MALLOC_PERTURB_");
        /* -nodefaults: no default serial/parallel/VGA/network devices to create (the sim
         * machine's I/O is semihosting): about a third of QEMU's start-up here. */
        char ic[64];
        snprintf(ic, sizeof ic, "shift=%u,sleep=off", cfg->icount ? cfg->icount - 1 : 0);
        const char *argv[] = {cfg->qemu,
                              "-M",
                              "sim",
                              "-cpu",
                              "lx106",
                              "-semihosting",
                              "-nographic",
                              "-monitor",
                              "none",
                              "-nodefaults",
                              "-device",
                              loader,
                              cfg->icount ? "-icount" : NULL,
                              ic,
                              NULL};
        execv(cfg->qemu, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    out[1] = -1;
    if (pid < 0) {
        console_add(res, "fork failed\n", 12);
        goto done;
    }
    server_t s = {cfg, res, rsp, out[0], 0, NULL, 0};
    bool running = true;
    while (running) {
        struct pollfd pfd[2] = {{out[0], POLLIN, 0}, {req, POLLIN, 0}};
        uint64_t now = mono_ms();
        if (now >= deadline || poll(pfd, 2, (int)(deadline - now)) <= 0) {
            res->timed_out = true;
            break;
        }
        if (pfd[1].revents & POLLIN) {
            uint8_t hdr[12];
            if (!fd_read_all(req, hdr, sizeof hdr, deadline) || !serve(&s, req, hdr, deadline)) {
                res->bridge_error = !res->power_cut && !res->virtual_hang;
                break;
            }
        }
        if (pfd[0].revents & (POLLIN | POLLHUP)) {
            char buf[512];
            ssize_t n = read(out[0], buf, sizeof buf);
            if (n > 0)
                console_add(res, buf, (size_t)n);
            else
                running = false; /* QEMU ended */
        }
    }
    free(s.buf);
    int st = 0;
    if (!running && waitpid(pid, &st, 0) == pid) {
        if (WIFEXITED(st))
            res->exit_code = WEXITSTATUS(st);
        else if (WIFSIGNALED(st))
            res->term_signal = WTERMSIG(st);
    } else {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    /* Whatever QEMU printed before it ended. */
    char buf[512];
    ssize_t n;
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    while ((n = read(out[0], buf, sizeof buf)) > 0)
        console_add(res, buf, (size_t)n);
    /* The outputs' end of boot, as the native device's: a power cut leaves every pin off, and
     * a dead CPU prints no summary (the native device drops console output after a cut). */
    char line[128];
    size_t ln = hdev_outputs_end(&res->outputs, res->power_cut ? 0 : res->pins, line, sizeof line);
    if (!res->power_cut)
        console_add(res, line, ln);
    res->wall_ms = now_ms() - t0;
    rc = 0;
done:
    if (req >= 0)
        close(req);
    if (rsp >= 0)
        close(rsp);
    if (out[0] >= 0)
        close(out[0]);
    if (out[1] >= 0)
        close(out[1]);
    unlink(reqp);
    unlink(rspp);
    unlink(romp);
    rmdir(dir);
    return rc;
}

int qemu_run_device(const qemu_run_cfg_t *cfg, unsigned max_boots, qemu_run_result_t *res,
                    unsigned *boots)
{
    qemu_run_cfg_t c = *cfg;
    static char all[sizeof res->console];
    static hdev_outputs_t outs; /* every boot's outputs, as native_device.c merges them */
    memset(&outs, 0, sizeof outs);
    size_t all_len = 0;
    bool taken = false, ok = false;
    int err = 0;
    char msg[sizeof res->job_msg] = "";
    *boots = 0;
    for (;;) {
        if (qemu_run(&c, res) != 0)
            return -1;
        ++*boots;
        size_t n = res->console_len;
        if (n > sizeof all - 1 - all_len)
            n = sizeof all - 1 - all_len;
        memcpy(all + all_len, res->console, n);
        all_len += n;
        hdev_outputs_merge(&outs, &res->outputs, *boots - 1);
        if (res->job_taken && c.offer) {
            c.offer = false; /* taken: later boots are not offered it again */
            c.stream = NULL;
            c.stream_len = 0;
            taken = true, ok = res->job_ok, err = res->job_error;
            memcpy(msg, res->job_msg, sizeof msg);
        }
        bool restart =
            res->exit_code == QB_EXIT_RESTART_SOFT || res->exit_code == QB_EXIT_RESTART_WDT;
        if (!restart || res->power_cut || *boots >= max_boots)
            break;
        flashsim_warm_reset(c.fs);
    }
    res->job_taken = taken, res->job_ok = ok, res->job_error = err;
    memcpy(res->job_msg, msg, sizeof msg);
    res->outputs = outs;
    memcpy(res->console, all, all_len);
    res->console[all_len] = '\0';
    res->console_len = all_len;
    return 0;
}
