/* The fixture of the HTTP update client tests that run against `otasim serve` (tests/ota's
 * BSD-socket test and tests/net's lwIP one): a simulated device, a client config with the
 * device's identity, update files and a device database in a temporary folder, and the server
 * process started in setup() and stopped in teardown(). Define SERVE_FIXTURE_DIR (a mkdtemp
 * template) before including it; include it once, from the test file itself. */
#ifndef OTASIM_SERVE_FIXTURE_H
#define OTASIM_SERVE_FIXTURE_H

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "httpupdate.h"
#include "updater_util.h"

static tdev_t *dev;
static httpupdate_config_t cfg;
static char dir[] = SERVE_FIXTURE_DIR;
static uint8_t *img;
static size_t img_len;
static pid_t server = -1;
static unsigned port;
/* Set both to serve HTTPS (otasim serve --tls CERT KEY). */
static const char *serve_tls_cert, *serve_tls_key;

static void write_file(const char *name, const void *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Starts otasim serve with `fault` (NULL: none) and waits for its port. */
static void start_server(const char *fault)
{
    const char *bin = getenv("OTASIM");
    cr_assert_not_null(bin, "OTASIM must name the otasim binary");
    char db[256], portf[256], logf[256];
    snprintf(db, sizeof(db), "%s/devices.json", dir);
    snprintf(portf, sizeof(portf), "%s/port", dir);
    snprintf(logf, sizeof(logf), "%s/access.log", dir);
    unlink(portf);
    server = fork();
    cr_assert_neq(server, -1);
    if (server == 0) {
        const char *argv[20] = {bin,      "serve", "--db",        db,    "--root", dir,
                                "--port", "0",     "--port-file", portf, "--log",  logf};
        int n = 12;
        if (fault) {
            argv[n++] = "--fault";
            argv[n++] = fault;
        }
        if (serve_tls_cert) {
            argv[n++] = "--tls";
            argv[n++] = serve_tls_cert;
            argv[n++] = serve_tls_key;
        }
        argv[n] = NULL;
        freopen("/dev/null", "w", stdout);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(portf, "r");
        if (f && fscanf(f, "%u", &port) == 1) {
            fclose(f);
            return;
        }
        if (f)
            fclose(f);
        usleep(10000);
    }
    cr_assert_fail("otasim serve did not start");
}

static void stop_server(void)
{
    if (server > 0) {
        kill(server, SIGTERM);
        int st;
        waitpid(server, &st, 0);
        cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "otasim serve exits cleanly on SIGTERM");
        server = -1;
    }
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
    dev = tdev_new("4m2m");
    updater_config_t c = tdev_config(dev);
    tdev_init_updater(dev, &c);
    cfg = (httpupdate_config_t){.id = {.chip_id = 1234,
                                       .sta_mac = {0x5c, 0xcf, 0x7f, 0x01, 0x02, 0x0a},
                                       .ap_mac = {0x5e, 0xcf, 0x7f, 0x01, 0x02, 0x0a},
                                       .sdk_version = "2.2.2-dev(38a443e)"},
                                .mode = HTTPUPDATE_SKETCH,
                                .current_version = "1",
                                .reboot_on_update = true,
                                .updater = &dev->up,
                                .layout = &dev->layout};
    img = uu_small_pair(2, 0x40, 99, &img_len);
    write_file("app-v2.bin", img, img_len);
    uint8_t *fs = uu_pattern(20000, 3);
    write_file("fs-v2.bin", fs, 20000);
    free(fs);
    const char *db = "{\"5C:CF:7F:01:02:0A\": {\"file\": \"app-v2.bin\", \"version\": \"2\","
                     " \"fs\": {\"file\": \"fs-v2.bin\", \"version\": \"2\"}},"
                     " \"5C:CF:7F:0F:0F:0F\": {\"file\": \"missing.bin\", \"version\": \"2\"}}";
    write_file("devices.json", db, strlen(db));
}

static void teardown(void)
{
    stop_server();
    free(img);
    tdev_free(dev);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

#endif
