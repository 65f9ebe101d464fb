/* Replay ids (engine.h): TARGET:SCENARIO-PATH:SEED:BRANCH-ID, TARGET native (the scenario's
 * own cut line) or native-cut (a cut from the command line, rebuilt from the branch id);
 * qemu and qemu-cut: the same for a --target qemu sweep (the replay runs under QEMU). */
#ifndef OTASIM_HARNESS_REPLAY_H
#define OTASIM_HARNESS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

typedef struct replay_id {
    bool cmdline_cut; /* native-cut, qemu-cut */
    bool qemu;        /* qemu, qemu-cut: replay under QEMU */
    char path[512];
    uint64_t seed;
    char branch[96];
    scn_cut_t cut; /* cmdline_cut: the cut that selects the branch */
    uint32_t dbl_op;
    bool dbl;
} replay_id_t;

/* Parses an id; false with a message naming what was expected. */
bool replay_parse(const char *text, replay_id_t *id, char *err, size_t errsize);

/* The gdb command line for `otasim replay ID --gdb`: argv (NULL-terminated, into argv[0..n))
 * and the gdb script written to script_path. exe is the otasim executable. Returns argc, or -1
 * when it does not fit. */
int replay_gdb_command(const char *exe, const char *id_text, const replay_id_t *id,
                       const char *script_path, const char **argv, size_t n);
/* The script text: follow the recovery boot's fork, stop at its flash op of interest. */
int replay_gdb_script(const replay_id_t *id, char *buf, size_t size);

#endif
