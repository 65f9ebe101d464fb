/* The HTTP update client on the native device's network: the firmware's httpupdate over
 * lwIP connects out to 10.0.2.2 (libslirp's host alias) -> 127.0.0.1, where `otasim serve`
 * runs with a device database and its server-side faults — the path a real device's update
 * check takes. Each decision of spec §5.6 and each fault, and the result the device ends
 * with. OTASIM names the binary. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "httpupdate_lwip.h"
#include "netsim.h"
#include "updater_util.h"

static tdev_t *dev;
static httpupdate_config_t cfg;
static char dir[] = "/tmp/otasim-hnet-XXXXXX";
static uint8_t *img;
static size_t img_len;
static pid_t server = -1;
static unsigned port;

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
        const char *argv[16] = {bin,      "serve", "--db",        db,    "--root", dir,
                                "--port", "0",     "--port-file", portf, "--log",  logf};
        int n = 12;
        if (fault) {
            argv[n++] = "--fault";
            argv[n++] = fault;
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

TestSuite(httpupdate_net, .init = setup, .fini = teardown, .timeout = 30);

static uint32_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)(t.tv_sec * 1000u + t.tv_nsec / 1000000u);
}

/* One session over lwIP + slirp; the client's read timeout shortened to 1 s for the test. */
static httpupdate_t s;
static void run_session(void)
{
    char url[64];
    snprintf(url, sizeof(url), "http://10.0.2.2:%u/update", port);
    cr_assert(httpupdate_begin(&s, &cfg, url));
    netsim_t *n = netsim_new(cfg.id.sta_mac);
    cr_assert_not_null(n);
    httpupdate_lwip_t *h = httpupdate_lwip_start(&s, now_ms(), 1000);
    cr_assert_not_null(h);
    uint32_t t0 = now_ms();
    while (!httpupdate_lwip_poll(h, now_ms())) {
        netsim_poll(n, 1);
        cr_assert_lt(now_ms() - t0, 20000u, "the session never ended");
    }
    httpupdate_lwip_free(h);
    for (int i = 0; i < 5; i++)
        netsim_poll(n, 1);
    netsim_free(n);
}

Test(httpupdate_net, newer_version_is_installed)
{
    start_server(NULL);
    run_session();
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_OK, "error %d", httpupdate_last_error(&s));
    cr_assert(httpupdate_should_reboot(&s));
    uu_expect_copy_cmd(dev, dev->layout.fs_start - uu_round4k((uint32_t)img_len), 0,
                       (uint32_t)img_len);
}

Test(httpupdate_net, same_version_is_304)
{
    start_server(NULL);
    cfg.current_version = "2";
    run_session();
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_NO_UPDATES, "error %d",
                 httpupdate_last_error(&s));
    uu_expect_no_cmd(dev);
}

Test(httpupdate_net, unknown_device_is_404)
{
    start_server(NULL);
    cfg.id.sta_mac[5] = 0x01; /* not in the database */
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTP_UE_SERVER_FILE_NOT_FOUND);
    uu_expect_no_cmd(dev);
}

Test(httpupdate_net, forbidden_403_and_server_error_500)
{
    start_server("status=403");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTP_UE_SERVER_FORBIDDEN);
    stop_server();
    start_server("status=500");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTP_UE_SERVER_WRONG_HTTP_CODE);
    uu_expect_no_cmd(dev);
}

Test(httpupdate_net, missing_content_length_2598)
{
    start_server("no-length");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTP_UE_SERVER_NOT_REPORT_SIZE);
    uu_expect_no_cmd(dev);
}

Test(httpupdate_net, wrong_x_md5)
{
    start_server("bad-md5");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), 7, "the Updater's MD5 error, got %d",
                 httpupdate_last_error(&s));
    uu_expect_no_cmd(dev);
}

Test(httpupdate_net, dropped_and_stalled_bodies_leave_the_old_app)
{
    start_server("drop=5000");
    run_session();
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_FAILED);
    cr_assert_not(updater_is_running(&dev->up));
    uu_expect_no_cmd(dev);
    stop_server();
    start_server("stall=5000");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTPC_ERROR_READ_TIMEOUT, "the device times out");
    cr_assert_not(updater_is_running(&dev->up));
    uu_expect_no_cmd(dev);
}

Test(httpupdate_net, no_server_is_connection_failed)
{
    port = 1; /* nothing listens on the host's port 1 */
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTPC_ERROR_CONNECTION_FAILED, "got %d",
                 httpupdate_last_error(&s));
}
