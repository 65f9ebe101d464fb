/* The scenario engine's network updates (engine_net.c): the `net` step and the expectations
 * about it (scenarios/README.md "Network updates"). */
#ifndef OTASIM_HARNESS_ENGINE_NET_H
#define OTASIM_HARNESS_ENGINE_NET_H

#include "native_device.h"
#include "scenario.h"

struct engine;
struct bstate;

/* Runs a net step: the file built as for an update (the transaction set in s), one networked
 * hdev_run() with its peer (recorded into rec when given). -1 on a setup error (printed). */
int engine_net_step(struct engine *e, struct bstate *s, const scn_step_t *st, hdev_recording_t *rec,
                    hdev_result_t *res);

/* Checks an expectation about the last net step (SCN_EXP_UPLOAD .. SCN_EXP_IDLE). */
void engine_net_expect(struct engine *e, struct bstate *s, const scn_step_t *st);

#endif
