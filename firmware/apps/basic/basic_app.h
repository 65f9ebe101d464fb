/* basic: the example app, one source for every target (issue 4 §2, issue 7's serial app).
 *
 * It prints its name and version (from its descriptor, given by the port), checks the
 * filesystem area (fs_check.h), then takes each update its port offers through the Updater's
 * stream interface exactly as the Arduino core's stream update does (begin(size, command),
 * setMD5, writeStream, end) and restarts after a successful end(). The port supplies the
 * offers (native: the scenario's job; esp8266: an "update" line on UART0), the layout and the
 * signing configuration. */
#ifndef OTASIM_BASIC_APP_H
#define OTASIM_BASIC_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "layout.h"
#include "update_stream.h"
#include "updater.h"

typedef struct basic_offer {
    uint32_t declared; /* the size given to begin() */
    int command;       /* U_FLASH or U_FS */
    bool has_md5;
    char md5[33];
    bool no_restart; /* rebootOnUpdate=false: stay idle after a successful end() */
    update_stream_t stream;
} basic_offer_t;

typedef struct basic_result {
    bool ok;
    int32_t
        error;    /* update_error_t; -1 when refused without a code (the original's silent cases) */
    char msg[96]; /* updater_format_error() */
} basic_result_t;

typedef struct basic_port {
    const char *name;
    uint32_t version;
    const flash_layout_t *layout; /* the layout the app was built for */
    bool atomic_fs;               /* built with ATOMIC_FS_UPDATE */
    void *ctx;
    /* Adds what the build chose (signing key, ...) to the Updater's configuration; may be NULL. */
    void (*configure)(void *ctx, updater_config_t *cfg);
    /* The next update offered; false when there is none (the app then returns). */
    bool (*next_offer)(void *ctx, basic_offer_t *offer);
    /* The outcome of an offer, before the app restarts or goes on; may be NULL. */
    void (*report)(void *ctx, const basic_result_t *res);
    /* The app's loop() once no more offers come: the port's network transports (espota, the
     * web update server, the HTTP update client) writing into `up`, the app's Updater
     * configured as the build says. Returns true when the app should restart (an update
     * succeeded). NULL: none (the app returns). */
    bool (*serve)(void *ctx, updater_t *up, const flash_layout_t *layout);
} basic_port_t;

/* Runs the app; returns when no more updates are offered (or after an update with
 * no_restart). A successful update calls hal_restart(HAL_RESTART_SOFT). */
void basic_app_run(const basic_port_t *port);

#endif
