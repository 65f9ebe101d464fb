/* The HTTP update cases both transports run against `otasim serve`: tests/ota's BSD-socket
 * test (httpupdate_live) and tests/net's lwIP one (httpupdate_net) — the same update checks
 * and server-side faults, with the same results on the device, written once here. Include it
 * after serve_fixture.h, with HTTPUPDATE_CASES_SUITE naming the file's TestSuite; the file
 * then defines run_session(), its transport: one update check of `s` (httpupdate_begin with
 * `cfg`) against the server on `port`, with the client's read timeout shortened to 1 s (the
 * stalled body below relies on it). Include it once, from the test file itself. */
#ifndef OTASIM_HTTPUPDATE_CASES_H
#define OTASIM_HTTPUPDATE_CASES_H

#ifndef HTTPUPDATE_CASES_SUITE
#error "define HTTPUPDATE_CASES_SUITE (the TestSuite name) before including httpupdate_cases.h"
#endif

static httpupdate_t s;
static void run_session(void);

Test(HTTPUPDATE_CASES_SUITE, newer_version_is_installed)
{
    start_server(NULL);
    run_session();
    cr_assert_eq(httpupdate_result(&s), HTTP_UPDATE_OK, "error %d", httpupdate_last_error(&s));
    cr_assert(httpupdate_should_reboot(&s));
    uu_expect_copy_cmd(dev, dev->layout.fs_start - uu_round4k((uint32_t)img_len), 0,
                       (uint32_t)img_len);
}

Test(HTTPUPDATE_CASES_SUITE, missing_content_length_2598)
{
    start_server("no-length");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), HTTP_UE_SERVER_NOT_REPORT_SIZE);
    uu_expect_no_cmd(dev);
}

Test(HTTPUPDATE_CASES_SUITE, wrong_x_md5)
{
    start_server("bad-md5");
    run_session();
    cr_assert_eq(httpupdate_last_error(&s), 7, "the Updater's MD5 error, got %d",
                 httpupdate_last_error(&s));
    uu_expect_no_cmd(dev);
}

Test(HTTPUPDATE_CASES_SUITE, dropped_and_stalled_bodies_leave_the_old_app)
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

#endif
