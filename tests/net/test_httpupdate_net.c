/* The HTTP update client on the native device's network: the firmware's httpupdate over
 * lwIP connects out to 10.0.2.2 (libslirp's host alias) -> 127.0.0.1, where `otasim serve`
 * runs with a device database and its server-side faults — the path a real device's update
 * check takes. Each decision of spec §5.6 and each fault, and the result the device ends
 * with (the cases tests/ota's socket test runs too are in tests/ota/httpupdate_cases.h).
 * OTASIM names the binary. */
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

#define SERVE_FIXTURE_DIR "/tmp/otasim-hnet-XXXXXX"
#include "serve_fixture.h"

TestSuite(httpupdate_net, .init = setup, .fini = teardown, .timeout = 30);

/* The cases both transports share; this file's run_session() below is the transport. */
#define HTTPUPDATE_CASES_SUITE httpupdate_net
#include "httpupdate_cases.h"

static uint32_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)(t.tv_sec * 1000u + t.tv_nsec / 1000000u);
}

/* One session over lwIP + slirp; the client's read timeout shortened to 1 s for the test. */
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

Test(httpupdate_net, no_server_is_connection_failed)
{
    port = 1; /* nothing listens on the host's port 1 */
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTPC_ERROR_CONNECTION_FAILED, "got %d",
                 httpupdate_last_error(&s));
}
