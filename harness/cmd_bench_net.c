/* otasim bench net: network upload throughput of a native device (issue 6). The same seeded
 * bytes go, as a filesystem image, (1) through `otasim upload` (espota: invitation, reverse TCP
 * connection, 1460-byte chunks each acknowledged, final OK) and (2) as a multipart POST to the
 * web update server, into a networked native device (`otasim device`'s: lwIP + libslirp, the
 * basic app's Updater with MD5 and flash writes into flashsim). After each upload the device's
 * FS area must hold the bytes. In the same run a plain TCP transfer of the bytes over loopback
 * is the baseline (ratios), and the rate a real ESP8266 would reach is estimated from the flash
 * timing model plus a stated Wi-Fi TCP throughput. Machine-readable: one `bench-net` JSON
 * object per line on stdout. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "himages.h"
#include "native_device.h"
#include "peer_proc.h"
#include "sock_io.h"

/* Wi-Fi assumption for the real-device estimate: an ESP8266 in station mode on 802.11n
 * (HT20) moves about 5 Mbit/s of TCP payload into lwIP with the Arduino core's default
 * lwIP variant (TCP_MSS 536 / small windows). A planning figure, not a measurement. */
#define WIFI_TCP_BYTES_PER_S (5e6 / 8)

typedef struct bopts {
    size_t size;
    unsigned long long seed;
    const char *layout;
    bool no_web, no_espota;
    unsigned repeat;
} bopts_t;

#define MAX_REPEAT 50

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- the baseline: the bytes over a loopback TCP connection to a child that reads them ---- */

/* chunk 0: one stream; else chunk-sized writes, each answered by a 4-byte ack (espota's
 * lock-step, without a device). Returns seconds, < 0 on failure. */
static double loopback(const uint8_t *data, size_t len, size_t chunk)
{
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    if (srv < 0 || bind(srv, (struct sockaddr *)&a, sizeof(a)) || listen(srv, 1) ||
        getsockname(srv, (struct sockaddr *)&a, &l))
        return -1;
    fflush(NULL);
    pid_t c = fork();
    if (c == 0) {
        int fd = accept(srv, NULL, NULL);
        static uint8_t buf[65536];
        size_t got = 0;
        while (got < len) {
            size_t want = chunk ? chunk - got % chunk : sizeof(buf);
            ssize_t r = recv(fd, buf, want < sizeof(buf) ? want : sizeof(buf), 0);
            if (r <= 0)
                _exit(1);
            got += (size_t)r;
            if (chunk && (got % chunk == 0 || got == len) && send(fd, "1460", 4, 0) != 4)
                _exit(1);
        }
        _exit(send(fd, "K", 1, 0) == 1 ? 0 : 1);
    }
    close(srv);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    double t0 = now_s();
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    char ack[8];
    for (size_t off = 0; ok && off < len;) {
        size_t k = chunk ? (len - off < chunk ? len - off : chunk) : len;
        ok = sock_send_all(fd, data + off, k);
        off += k;
        if (ok && chunk)
            ok = recv(fd, ack, 4, MSG_WAITALL) == 4;
    }
    ok = ok && recv(fd, ack, 1, 0) == 1;
    double t = now_s() - t0;
    close(fd);
    int st;
    waitpid(c, &st, 0);
    return ok && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? t : -1;
}

/* ---- the device and its driver ---- */

typedef enum { VIA_ESPOTA, VIA_ESPOTA_STREAM, VIA_WEB, VIA_COUNT } via_t;

/* What the driver reports: it runs in a process of its own (peer_proc.h: the device's boots
 * are forks of this process, so it is not a thread) and sends this as it is. */
typedef struct drive_result {
    double seconds;
    bool ok;
    char why[300];
} drive_result_t;

typedef struct drive {
    via_t via;
    const char *file; /* the image on disk (espota) */
    const uint8_t *data;
    size_t len;
    hdev_net_t *net;
    int con_fd, stop_fd;
    char console[16384];
    size_t con_len;
    drive_result_t r;
} drive_t;

/* Reads the device's console until `text` shows up (false after 20 s). */
static bool wait_console(drive_t *d, const char *text)
{
    for (int waited = 0; waited < 20000;) {
        if (strstr(d->console, text))
            return true;
        struct pollfd p = {.fd = d->con_fd, .events = POLLIN};
        if (poll(&p, 1, 100) > 0) {
            if (d->con_len >= sizeof(d->console) - 1) /* keep the tail */
                d->con_len = 0;
            ssize_t k =
                read(d->con_fd, d->console + d->con_len, sizeof(d->console) - 1 - d->con_len);
            if (k > 0)
                d->con_len += (size_t)k;
            d->console[d->con_len] = 0;
        } else {
            waited += 100;
        }
    }
    return false;
}

/* otasim upload -s: this binary again, its output discarded. The time includes its start. */
static bool via_espota(drive_t *d)
{
    char port[16];
    snprintf(port, sizeof(port), "%u", (unsigned)d->net->ota_port);
    pid_t c = fork();
    if (c == 0) {
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 1);
        dup2(nul, 2);
        char *argv[] = {"otasim",
                        "upload",
                        "-i",
                        "127.0.0.1",
                        "-I",
                        "127.0.0.1",
                        "-p",
                        port,
                        "-s",
                        "-t",
                        "10",
                        "-f",
                        (char *)d->file,
                        d->via == VIA_ESPOTA_STREAM ? "--stream" : NULL,
                        NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int st;
    waitpid(c, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(d->r.why, sizeof(d->r.why), "otasim upload failed (exit %d)",
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return false;
    }
    return true;
}

/* A browser's form POST: multipart/form-data, the bytes as the "filesystem" file part. */
static bool via_web(drive_t *d)
{
    static const char bnd[] = "----otasimbenchnet7MA4YWxkTrZu0gW";
    char pre[400], head[1000], post[64];
    int pl = snprintf(pre, sizeof(pre),
                      "--%s\r\nContent-Disposition: form-data; name=\"filesystem\"; "
                      "filename=\"fs.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                      bnd);
    int tl = snprintf(post, sizeof(post), "\r\n--%s--\r\n", bnd);
    int hl = snprintf(head, sizeof(head),
                      "POST /update HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nConnection: close\r\n"
                      "Content-Type: multipart/form-data; boundary=%s\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      (unsigned)d->net->web_port, bnd, (size_t)pl + d->len + (size_t)tl);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons(d->net->web_port)};
    int one = 1;
    if (fd >= 0) /* as curl does: small header writes must not wait for a delayed ACK */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memcpy(head + hl, pre, (size_t)pl + 1);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
              sock_send_all(fd, head, (size_t)(hl + pl)) && sock_send_all(fd, d->data, d->len) &&
              sock_send_all(fd, post, (size_t)tl);
    char resp[2048];
    size_t rl = 0;
    while (ok && rl < sizeof(resp) - 1) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20000) <= 0)
            break;
        ssize_t r = recv(fd, resp + rl, sizeof(resp) - 1 - rl, 0);
        if (r <= 0)
            break;
        rl += (size_t)r;
    }
    resp[rl] = 0;
    if (fd >= 0)
        close(fd);
    if (!ok || strncmp(resp, "HTTP/1.1 200", 12) || !strstr(resp, "Update Success")) {
        snprintf(d->r.why, sizeof(d->r.why), "the web POST failed: %.200s",
                 ok ? resp : "no connection");
        return false;
    }
    return true;
}

static void driver(void *arg, int wr)
{
    drive_t *d = arg;
    const char *ready = d->via == VIA_WEB ? "net: web update server" : "net: espota on";
    if (!wait_console(d, ready)) {
        snprintf(d->r.why, sizeof(d->r.why), "the device did not come up");
    } else {
        double t0 = now_s();
        d->r.ok = d->via == VIA_WEB ? via_web(d) : via_espota(d);
        d->r.seconds = now_s() - t0;
        /* The device restarts after a good update: let that boot come up before stopping. */
        if (d->r.ok && !wait_console(d, "restarting")) {
            d->r.ok = false;
            snprintf(d->r.why, sizeof(d->r.why), "the device did not finish the update");
        }
    }
    if (write(d->stop_fd, "x", 1) != 1)
        abort();
    peer_proc_send(wr, &d->r, sizeof(d->r));
}

/* One upload into a fresh device; seconds, < 0 on failure (message on stderr). */
static double upload(const bopts_t *o, via_t via, const char *file, const uint8_t *data, size_t len,
                     double *flash_virtual_s)
{
    int stop[2], con[2];
    if (pipe(stop) || pipe(con))
        return -1;
    hdev_net_t net = {.stop_fd = stop[0], .console_fd = con[1]};
    if (via == VIA_WEB)
        net.web_port = sock_free_port(false);
    else
        net.ota_port = sock_free_port(true);
    hdev_config_t cfg = {.seed = o->seed, .net = &net, .max_boots = 4};
    double t = -1;
    hdev_t *dev = NULL;
    if (!layout_by_name(o->layout, 0, &cfg.layout) ||
        len > cfg.layout.fs_end - cfg.layout.fs_start) {
        fprintf(stderr, "otasim bench net: %zu bytes do not fit the FS of layout %s\n", len,
                o->layout);
        goto out;
    }
    dev = hdev_new(&cfg);
    himages_t im;
    himages_init(&im, NULL);
    scn_image_ref_t ref = {.version = 1};
    snprintf(ref.name, sizeof(ref.name), "basic");
    hbuf_t pair;
    char err[256];
    int rc = himages_pair(&im, SCN_BL_SAFE, &ref, cfg.layout.flash_size, &pair, err, sizeof(err));
    himages_free(&im);
    if (!dev || rc) {
        fprintf(stderr, "otasim bench net: no device: %s\n", rc ? err : "hdev_new failed");
        goto out;
    }
    static uint8_t ff[4096];
    memset(ff, 0xFF, sizeof(ff));
    for (uint32_t a = 0; a < cfg.layout.flash_size; a += sizeof(ff))
        flashsim_poke(hdev_flash(dev), a, ff, sizeof(ff));
    flashsim_poke(hdev_flash(dev), 0, pair.data, (uint32_t)pair.len);
    hbuf_free(&pair);
    uint64_t ft0 = flashsim_time_ns(hdev_flash(dev));
    static drive_t d;
    d = (drive_t){.via = via,
                  .file = file,
                  .data = data,
                  .len = len,
                  .net = &net,
                  .con_fd = con[0],
                  .stop_fd = stop[1]};
    peer_proc_t drv;
    const int theirs[] = {con[1], stop[0]};
    if (!peer_proc_start(&drv, driver, &d, theirs, 2)) {
        fprintf(stderr, "otasim bench net: cannot start the driver: %s\n", strerror(errno));
        goto out;
    }
    hdev_result_t r;
    hdev_run(dev, NULL, NULL, &r);
    hdev_result_free(&r);
    bool got = peer_proc_recv(&drv, &d.r, sizeof(d.r), 60000);
    peer_proc_end(&drv, 5000);
    if (!got)
        d.r = (drive_result_t){.why = "the driver ended without its result"};
    *flash_virtual_s = (double)(flashsim_time_ns(hdev_flash(dev)) - ft0) / 1e9;
    if (!d.r.ok) {
        fprintf(stderr, "otasim bench net: %s upload: %s\n", via == VIA_WEB ? "web" : "espota",
                d.r.why);
        goto out;
    }
    /* Honesty: the device really wrote the bytes. */
    uint8_t *back = malloc(len);
    flashsim_peek(hdev_flash(dev), cfg.layout.fs_start, back, (uint32_t)len);
    /* The negative control of this check (tests/net/test_bench_net.sh): one byte of what is
     * read back flipped must fail the benchmark. */
    if (back && getenv("OTASIM_BENCH_NET_FLIP"))
        back[len / 2] ^= 0x01;
    bool same = back && !memcmp(back, data, len);
    free(back);
    if (!same)
        fprintf(stderr, "otasim bench net: after the %s upload the FS area differs\n",
                via == VIA_WEB ? "web" : "espota");
    else
        t = d.r.seconds;
out:
    hdev_free(dev);
    close(stop[0]);
    close(stop[1]);
    close(con[0]);
    close(con[1]);
    return t;
}

static const char usage[] =
    "usage: otasim bench net [--size BYTES] [--seed N] [--repeat N] [--layout L] [--no-web]\n"
    "                        [--no-espota]\n"
    "Uploads --size seeded random bytes (default 1048576; N, Nk, NM) as a filesystem image\n"
    "into a networked native device (lwIP + libslirp, the basic app; layout default 4m2m,\n"
    "auto-16m for larger sizes) with otasim upload (espota) and as a multipart POST to its\n"
    "web update server, checks the FS area afterwards, and measures a plain loopback TCP\n"
    "transfer of the same bytes in the same run. One JSON object per line on stdout:\n"
    "{\"bench\":\"net\",\"path\":P,\"bytes\":N,\"seconds\":S,\"mb_per_s\":R,...}; the\n"
    "'estimate' line is the timing model's ESP8266 time (flash) plus the stated Wi-Fi rate.\n"
    "--repeat N rounds (default 5): each figure is its path's best round (median printed).\n"
    "espota runs twice: lock-step as espota.py, and otasim upload --stream.\n";

static bool parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end == 'k' || *end == 'K')
        v *= 1024, end++;
    else if (*end == 'M')
        v *= 1024 * 1024, end++;
    if (errno || *end || v == 0 || v > (64u << 20))
        return false;
    *out = (size_t)v;
    return true;
}

/* One figure: the best round's time, and its ratio to the plain loopback transfer's. */
static void line(const char *path, size_t len, double s, double base_s, const char *extra)
{
    printf("{\"bench\":\"net\",\"path\":\"%s\",\"bytes\":%zu,\"seconds\":%.6f,"
           "\"mb_per_s\":%.2f,\"vs_loopback\":%.4f%s}\n",
           path, len, s, (double)len / s / 1e6, base_s / s, extra ? extra : "");
}

int cmd_bench_net(int argc, char **argv)
{
    static const struct option opts[] = {
        {"size", required_argument, 0, 'z'},   {"seed", required_argument, 0, 's'},
        {"layout", required_argument, 0, 'l'}, {"no-web", no_argument, 0, 'W'},
        {"no-espota", no_argument, 0, 'E'},    {"repeat", required_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    bopts_t o = {.size = 1u << 20, .seed = 1, .repeat = 5};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'z':
            if (!parse_size(optarg, &o.size)) {
                fprintf(stderr, "otasim bench net: --size is 1..64M bytes, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 's':
            o.seed = strtoull(optarg, NULL, 0);
            break;
        case 'l':
            o.layout = optarg;
            break;
        case 'r':
            o.repeat = (unsigned)strtoul(optarg, NULL, 10);
            if (o.repeat < 1 || o.repeat > MAX_REPEAT) {
                fprintf(stderr, "otasim bench net: --repeat is 1..%d, got '%s'\n", MAX_REPEAT,
                        optarg);
                return 2;
            }
            break;
        case 'W':
            o.no_web = true;
            break;
        case 'E':
            o.no_espota = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fputs(usage, stderr);
        return 2;
    }
    if (!o.layout)
        o.layout = o.size > (2u << 20) - (8u << 10) ? "auto-16m" : "4m2m";
    flash_layout_t lay;
    if (!layout_by_name(o.layout, 0, &lay)) {
        fprintf(stderr, "otasim bench net: unknown layout '%s'\n", o.layout);
        return 2;
    }
    uint8_t *data = malloc(o.size);
    if (!data)
        return 1;
    uint64_t x = o.seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < o.size; i++) { /* xorshift64: incompressible, seeded */
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        data[i] = (uint8_t)(x >> 32);
    }
    char file[] = "/tmp/otasim-bench-net-XXXXXX";
    int fd = mkstemp(file);
    bool wrote = fd >= 0 && fd_write_all(fd, data, o.size);
    if (fd >= 0)
        close(fd);
    if (!wrote) {
        fprintf(stderr, "otasim bench net: cannot write %s\n", file);
        free(data);
        return 1;
    }
    fprintf(stderr, "otasim bench net: %zu bytes, seed %llu, layout %s\n", o.size, o.seed,
            o.layout);
    int rc = 0;
    /* Rounds interleave the paths so that load from other processes hits them alike; each
     * path's best round is its figure (the median is printed too). */
    enum { P_BASE, P_LOCK, P_VIA0, P_COUNT = P_VIA0 + VIA_COUNT };
    static const char *const names[P_COUNT] = {"loopback-tcp", "loopback-lockstep-1460", "espota",
                                               "espota-stream", "web"};
    double t[P_COUNT][MAX_REPEAT], flash_s = 0;
    for (unsigned r = 0; r < o.repeat && !rc; r++) {
        t[P_BASE][r] = loopback(data, o.size, 0);
        t[P_LOCK][r] = loopback(data, o.size, 1460);
        if (t[P_BASE][r] < 0 || t[P_LOCK][r] < 0) {
            fprintf(stderr, "otasim bench net: the loopback baseline failed\n");
            rc = 1;
        }
        for (int v = 0; v < VIA_COUNT && !rc; v++) {
            if (v == VIA_WEB ? o.no_web : o.no_espota)
                continue;
            t[P_VIA0 + v][r] = upload(&o, (via_t)v, file, data, o.size, &flash_s);
            if (t[P_VIA0 + v][r] < 0)
                rc = 1;
        }
    }
    if (rc)
        goto out;
    double best[P_COUNT], med[P_COUNT];
    for (int p = 0; p < P_COUNT; p++) {
        qsort(t[p], o.repeat, sizeof(double), cmp_double);
        best[p] = t[p][0];
        med[p] = t[p][o.repeat / 2];
    }
    for (int p = 0; p < P_COUNT; p++) {
        if (p >= P_VIA0 && (p == P_VIA0 + VIA_WEB ? o.no_web : o.no_espota))
            continue;
        char extra[160];
        snprintf(extra, sizeof(extra), ",\"median_s\":%.6f,\"rounds\":%u%s", med[p], o.repeat,
                 p >= P_VIA0 ? ",\"fs_verified\":true" : "");
        line(names[p], o.size, best[p], best[P_BASE], extra);
    }
    if (flash_s > 0) {
        /* Flash work and Wi-Fi receive overlap only within lwIP's window on the device; the
         * Arduino Updater writes each 4 KiB buffer synchronously, so they add up. */
        double wifi_s = (double)o.size / WIFI_TCP_BYTES_PER_S;
        printf("{\"bench\":\"net\",\"path\":\"esp8266-estimate\",\"bytes\":%zu,"
               "\"seconds\":%.3f,\"flash_model_s\":%.3f,\"wifi_s\":%.3f,"
               "\"wifi_tcp_bytes_per_s\":%.0f}\n",
               o.size, flash_s + wifi_s, flash_s, wifi_s, WIFI_TCP_BYTES_PER_S);
    }
out:
    unlink(file);
    free(data);
    return rc;
}
