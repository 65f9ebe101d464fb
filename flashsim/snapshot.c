/* Copy-on-write snapshots: a snapshot holds references to the device's chunks (see storage.c),
 * so taking one copies a table of nchunks pointers, and restoring swaps only the chunks that
 * differ. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

flashsim_snapshot_t *flashsim_snapshot(const flashsim_t *fs)
{
    flashsim_snapshot_t *snap = fs_xmalloc(sizeof *snap + fs->nchunks * sizeof(fs_chunk_t *));
    snap->refs = 1;
    snap->cfg = fs->cfg;
    snap->nsectors = fs->nsectors;
    snap->nchunks = fs->nchunks;
    snap->chunks = (fs_chunk_t **)(snap + 1);
    snap->st = fs->st;
    for (uint32_t i = 0; i < fs->nchunks; i++) {
        snap->chunks[i] = fs->chunks[i];
        if (snap->chunks[i])
            snap->chunks[i]->refs++;
    }
    return snap;
}

flashsim_snapshot_t *flashsim_snapshot_ref(flashsim_snapshot_t *snap)
{
    snap->refs++;
    return snap;
}

void flashsim_snapshot_unref(flashsim_snapshot_t *snap)
{
    if (!snap || --snap->refs)
        return;
    for (uint32_t i = 0; i < snap->nchunks; i++)
        fs_chunk_unref(snap->chunks[i]);
    free(snap);
}

flashsim_status_t flashsim_restore(flashsim_t *fs, const flashsim_snapshot_t *snap)
{
    if (fs->in_hook) {
        fprintf(stderr, "flashsim: flashsim_restore() called from a hook callback\n");
        abort();
    }
    if (snap->cfg.size != fs->cfg.size)
        return FLASHSIM_ERR_RANGE;
    for (uint32_t i = 0; i < fs->nchunks; i++) {
        fs_chunk_t *c = snap->chunks[i];
        if (fs->chunks[i] == c)
            continue;
        if (c)
            c->refs++;
        fs_chunk_unref(fs->chunks[i]);
        fs->chunks[i] = c;
    }
    fs->st = snap->st;
    fs_force_stuck(fs, 0, fs->cfg.size, fs->st.op_count); /* an armed plan's stuck bits */
    return FLASHSIM_OK;
}

flashsim_t *flashsim_new_from_snapshot(const flashsim_snapshot_t *snap)
{
    flashsim_t *fs = flashsim_new(&snap->cfg);
    if (fs)
        flashsim_restore(fs, snap);
    return fs;
}

uint32_t flashsim_snapshot_size(const flashsim_snapshot_t *snap)
{
    return snap->cfg.size;
}

uint32_t flashsim_snapshot_op_count(const flashsim_snapshot_t *snap)
{
    return snap->st.op_count;
}

void flashsim_snapshot_peek(const flashsim_snapshot_t *snap, uint32_t addr, void *dst, uint32_t len)
{
    fs_chunks_peek(snap->chunks, snap->cfg.size, addr, dst, len);
}
