/* The networked native app's loop (native_device.h: hdev_net_t), run inside a boot's process:
 * a fresh lwIP + libslirp network every boot (a reboot drops every connection, as on a real
 * device), the configured host ports forwarded to the device's web server (:80) and espota
 * responder (:8266), then ArduinoOTA.handle() / server.handleClient() turns until an update
 * succeeds or the runner asks the device to stop. Network time is wall-clock time (the peers
 * are real programs); flash time stays the port's virtual time. */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "espota_lwip.h"
#include "hal.h"
#include "httpupdate_lwip.h"
#include "mdns_lwip.h"
#include "native_device_internal.h"
#include "netsim.h"
#include "updater.h"
#include "webupdate_lwip.h"

static uint32_t wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint32_t)((uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u);
}

static void say(const char *s)
{
    hal_console_write(s, strlen(s));
}

static bool stop_asked(int fd)
{
    if (fd < 0)
        return false;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

/* espota's last error callback (ota_error_t), -1: none. */
static int last_ota_error = -1;

/* ArduinoOTA.onError: an attempt the responder refused (authentication) is still an update
 * attempt for the app (valve_app.h); errors after begin() reach the app through the Updater. */
static void ota_error(void *user, ota_error_t e)
{
    hdev_child_t *c = user;
    last_ota_error = (int)e;
    if (e == OTA_AUTH_ERROR && c->app_hooks.attempt)
        c->app_hooks.attempt(c->app_hooks.user);
}

/* The web server refused an upload's credentials: the same kind of attempt. */
static void web_refused(void *user)
{
    hdev_child_t *c = user;
    if (c->app_hooks.attempt)
        c->app_hooks.attempt(c->app_hooks.user);
}

bool hdev_net_serve(hdev_child_t *c, struct updater *up, const flash_layout_t *layout)
{
    const hdev_net_t *nc = c->cfg->net;
    static const uint8_t zero[6];
    netsim_t *n = netsim_new(memcmp(nc->mac, zero, 6) ? nc->mac : NULL);
    if (!n) {
        say("net: no network\n");
        return false;
    }
    if (nc->faults)
        netsim_set_faults(n, nc->faults);
    char line[600];
    bool ok = true, restart = false;
    int wire_error = 0; /* an error the transport reported that the Updater no longer holds */
    last_ota_error = -1;
    static webupdate_config_t wcfg;
    webupdate_lwip_t *web = NULL;
    if (nc->web_port) {
        bool auth = nc->password && nc->password[0];
        wcfg = (webupdate_config_t){.path = "/update",
                                    .auth = {auth ? (nc->user ? nc->user : "admin") : NULL,
                                             auth ? nc->password : NULL, "Login Required"},
                                    .updater = up,
                                    .layout = layout,
                                    .on_refused = web_refused,
                                    .user = c};
        web = webupdate_lwip_start(&wcfg, 80);
        ok = web && netsim_forward(n, false, nc->web_port, 80);
        snprintf(line, sizeof(line), "net: web update server http://127.0.0.1:%u/update%s\n",
                 (unsigned)nc->web_port, ok ? "" : " FAILED (host port busy?)");
        say(line);
    }
    static espota_t ota;
    espota_lwip_t *eg = NULL;
    if (ok && nc->ota_port) {
        espota_config_t ec;
        espota_default_config(&ec);
        ec.password = nc->password;
        ec.updater = up;
        ec.layout = layout;
        ec.callbacks = (espota_callbacks_t){.on_error = ota_error, .user = c};
        espota_init(&ota, &ec);
        eg = espota_lwip_start(&ota, ESPOTA_PORT);
        ok = eg && netsim_forward(n, true, nc->ota_port, ESPOTA_PORT);
        snprintf(line, sizeof(line), "net: espota on 127.0.0.1:%u/udp%s\n", (unsigned)nc->ota_port,
                 ok ? "" : " FAILED (host port busy?)");
        say(line);
    }
    /* ArduinoOTA.begin()'s MDNS.begin(hostname) + enableArduino(port, auth): the default
     * hostname from the chip id, the OTA port, the device's own address. */
    static mdns_t md;
    mdns_lwip_t *mg = NULL;
    if (ok && nc->mdns_port) {
        static char host[17];
        mdns_arduino_hostname(hal_flash_chip_id(), host);
        mdns_config_t mc;
        bool auth = nc->password && nc->password[0];
        mdns_arduino_config(&mc, host, 0x0A00020Fu, ESPOTA_PORT, "generic", auth);
        ok = mdns_init(&md, &mc) && (mg = mdns_lwip_start(&md, wall_ms(), false)) != NULL &&
             netsim_forward(n, true, nc->mdns_port, MDNS_PORT);
        snprintf(line, sizeof(line), "net: mDNS %s.local, _arduino._tcp on 127.0.0.1:%u/udp%s\n",
                 host, (unsigned)nc->mdns_port, ok ? "" : " FAILED (host port busy?)");
        say(line);
    }
    /* ESPhttpUpdate.update(url, version) once at boot, as the httpUpdate example does. */
    static tls_trust_t *trust;
    static tls_client_config_t tc;
    if (ok && nc->update_url && (nc->update_ca || nc->update_pin || nc->update_fingerprint)) {
        char err[300];
        bool pin = nc->update_pin != NULL;
        if (nc->update_fingerprint)
            trust = tls_trust_from_fingerprint(nc->update_fingerprint, err, sizeof(err));
        else
            trust =
                tls_trust_from_file(pin ? nc->update_pin : nc->update_ca, pin, err, sizeof(err));
        tc = (tls_client_config_t){
            .trust = trust, .rx_buf = nc->tls_rx_buf, .tx_buf = nc->tls_tx_buf};
        snprintf(line, sizeof(line), "httpupdate: TLS %s %s%s%s\n",
                 nc->update_fingerprint ? "fingerprint"
                 : pin                  ? "pinned key"
                                        : "CA",
                 nc->update_fingerprint ? nc->update_fingerprint
                 : pin                  ? nc->update_pin
                                        : nc->update_ca,
                 trust ? "" : ": ", trust ? "" : err);
        say(line);
    }
    static httpupdate_t hs;
    static httpupdate_config_t hc;
    static char version[16];
    httpupdate_lwip_t *hu = NULL;
    if (ok && nc->update_url) {
        snprintf(version, sizeof(version), "%u", (unsigned)c->end.app_version);
        static const uint8_t dflt[6] = {0x02, 0, 0, 0, 0, 0x01};
        hc = (httpupdate_config_t){
            .id = {.chip_id = hal_flash_chip_id(), .sdk_version = "2.2.2-dev(38a443e)"},
            .mode = nc->update_fs ? HTTPUPDATE_FS : HTTPUPDATE_SKETCH,
            .current_version = version,
            .follow = HTTPC_STRICT_FOLLOW_REDIRECTS,
            .reboot_on_update = true,
            .updater = up,
            .layout = layout};
        memcpy(hc.id.sta_mac, memcmp(nc->mac, zero, 6) ? nc->mac : dflt, 6);
        memcpy(hc.id.ap_mac, hc.id.sta_mac, 6);
        hc.id.ap_mac[0] |= 0x02; /* the soft-AP MAC: locally administered variant */
        if (!httpupdate_begin(&hs, &hc, nc->update_url)) {
            say("httpupdate: not an http URL\n");
        } else {
            hu = httpupdate_lwip_start_tls(&hs, wall_ms(), 0, trust ? &tc : NULL);
            snprintf(line, sizeof(line), "httpupdate: asking %s (version %s)\n", nc->update_url,
                     version);
            say(line);
        }
    }
    while (ok) {
        bool was_running = updater_is_running(up);
        netsim_poll(n, 5);
        uint32_t now = wall_ms();
        if (hu && httpupdate_lwip_poll(hu, now)) {
            httpupdate_result_t res = httpupdate_result(&hs);
            char es[256];
            httpupdate_error_string(&hs, es, sizeof(es));
            char en[24] = "";
            if (res == HTTP_UPDATE_FAILED)
                snprintf(en, sizeof(en), " (error %d)", httpupdate_last_error(&hs));
            snprintf(line, sizeof(line), "httpupdate: %s%s%s%s\n",
                     res == HTTP_UPDATE_OK           ? "update ok"
                     : res == HTTP_UPDATE_NO_UPDATES ? "no update"
                                                     : "failed: ",
                     res == HTTP_UPDATE_FAILED ? es : "", en,
                     httpupdate_should_reboot(&hs) ? ", restarting" : "");
            say(line);
            httpupdate_lwip_free(hu);
            hu = NULL;
            if (httpupdate_should_reboot(&hs)) {
                restart = true;
                break;
            }
        }
        if (web) {
            webupdate_lwip_poll(web, now);
            if (webupdate_lwip_reboot_due(web)) {
                say("web: update ok, restarting\n");
                restart = true;
                break;
            }
        }
        if (eg) {
            espota_lwip_poll(eg, now);
            bool done;
            if (espota_lwip_finished(eg, &done)) {
                if (!done) {
                    char es[160];
                    updater_format_error(up, es, sizeof(es));
                    /* The receive timeout clears the Updater's error: the device told the
                     * uploader "ERROR[6]: Stream Read Timeout" (espota.c). */
                    if (last_ota_error == OTA_RECEIVE_ERROR && !updater_get_error(up)) {
                        snprintf(es, sizeof(es), "ERROR[6]: Stream Read Timeout\n");
                        wire_error = 6;
                    }
                    snprintf(line, sizeof(line), "espota: update failed: %s%s", es,
                             es[0] && es[strlen(es) - 1] == '\n' ? "" : "\n");
                    say(line);
                } else if (ota.cfg.reboot_on_success) {
                    say("espota: update ok, restarting\n");
                    restart = true;
                    break;
                }
            }
        }
        /* A web upload cut short (reset, idle timeout) ends without a response: say so, as
         * espota and httpupdate say how their updates ended. */
        if (web && was_running && !updater_is_running(up) && !webupdate_lwip_reboot_due(web)) {
            char es[160] = "";
            if (updater_get_error(up))
                updater_format_error(up, es, sizeof(es));
            snprintf(line, sizeof(line), "net: update ended unfinished%s%s", es[0] ? ": " : "\n",
                     es);
            say(line);
        }
        if (mg)
            mdns_lwip_poll(mg, now);
        if (stop_asked(nc->stop_fd)) {
            say("net: stopped\n");
            break;
        }
    }
    /* No new web connections while going down (a success page was delivered already); then
     * let the last segments (espota's final OK, a FIN) leave before the process goes. */
    if (web)
        webupdate_lwip_stop(web);
    /* At least 20 turns and 20 ms, plus a round trip of the link's latency fault: a delayed
     * final OK is still in the fault queue (a loaded host stretches the turns too). */
    uint32_t drain_ms = 20u + (nc->faults ? 2u * (nc->faults->latency_us / 1000u) : 0u);
    uint32_t t0 = wall_ms();
    for (int i = 0; i < 20 || wall_ms() - t0 < drain_ms; i++)
        netsim_poll(n, 1);
    httpupdate_lwip_free(hu);
    tls_trust_free(trust);
    trust = NULL;
    if (eg)
        espota_lwip_stop(eg);
    if (mg)
        mdns_lwip_stop(mg);
    netsim_free(n);
    /* The boot's result (hdev_result_t job_*): an update that succeeded (restart) or the
     * Updater's error of one that failed; nothing when no update began. */
    int err = updater_get_error(up) ? (int)updater_get_error(up) : wire_error;
    if (restart || err) {
        c->end.job_taken = 1;
        c->end.job_ok = restart;
        c->end.job_error = restart ? 0 : err;
        if (!restart && updater_get_error(up))
            updater_format_error(up, c->end.job_msg, sizeof(c->end.job_msg));
    }
    return restart;
}
