/* valve: the garden-valve example app (issue 6, "the seed's safety chapter"), one source for
 * every target. It drives one output, the valve (hal_output_set(VALVE_GPIO), on = open), and
 * takes updates exactly as the basic app does (firmware/apps/basic: the port's stream offers,
 * then its network transports), with one rule:
 *
 *   the valve is closed in the Updater's start callback (Update.onStart: every transport —
 *   stream/serial, espota, web upload, HTTP update — starts its update through the one
 *   Updater, after begin()'s checks and before its first flash erase), and in the port's
 *   update-attempt hook (an espota invitation or a web upload that fails authentication
 *   never reaches begin()).
 *
 * What "safe" means here: from the first sign of an update until the next boot the valve is
 * closed and locked (valve_locked). A successful update restarts into the new firmware; a
 * failed one (wrong MD5, a dropped connection, a wrong password, a refused image) leaves the
 * old firmware running with the valve locked closed: the app only decides again at its next
 * boot, when it knows which firmware it runs. Across the restart the valve is closed too: an
 * output is off at every reset (hal.h; the valve driver's pull-down), so it stays closed while
 * the bootloader copies. The cost, accepted: a failed or refused attempt stops the watering
 * until the device restarts.
 *
 * Normal operation: a watering slot starts at boot (the valve opens) and lasts while the app
 * runs; the simulated runs end inside it (a slot's end and the next slot are not modelled). */
#ifndef OTASIM_VALVE_APP_H
#define OTASIM_VALVE_APP_H

#include "basic_app.h"

#define VALVE_GPIO 5u                     /* GPIO5 (NodeMCU D1): a GPIO at reset */
#define VALVE_WATER_BEFORE_OFFER_MS 1000u /* watering before the first offer is looked at */

/* The app, and deliberately broken variants: the negative controls of the valve checks. */
typedef enum valve_variant {
    VALVE_SAFE = 0,
    VALVE_LATE,   /* closes only when the update is over (after its flash erases) */
    VALVE_NEVER,  /* never closes for an update */
    VALVE_REOPEN, /* closes at the start, but reopens at once when the update fails */
} valve_variant_t;

/* The variant an app name selects ("valve", "valve-late", "valve-never", "valve-reopen");
 * -1: not a valve app. */
int valve_variant_by_name(const char *name);

/* The port's hook for an update attempt a transport refused before begin() (espota, web
 * upload: failed authentication); set by valve_app_run, NULL otherwise. */
typedef struct valve_hooks {
    void (*attempt)(void *user);
    void *user;
} valve_hooks_t;

/* Runs the app over the basic app's port (its name must be the valve app's descriptor name);
 * `hooks` (may be NULL) receives the attempt hook for the port's transports. */
void valve_app_run(const basic_port_t *port, valve_variant_t v, valve_hooks_t *hooks);

/* Test view: the valve is locked closed until the next boot. */
bool valve_locked(void);

#endif
