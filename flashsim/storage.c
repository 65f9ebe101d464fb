/* Copy-on-write sector storage (see internal.h). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t n)
{
    fprintf(stderr, "flashsim: out of memory (%zu bytes)\n", n);
    abort();
}

void *fs_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *fs_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n * size);
    return p;
}

void *fs_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

fs_chunk_t **fs_chunks_new(uint32_t nchunks)
{
    return fs_xcalloc(nchunks, sizeof(fs_chunk_t *));
}

static void sector_unref(fs_sector_t *s)
{
    if (s && --s->refs == 0) {
        free(s->weak);
        free(s->data);
        free(s);
    }
}

void fs_chunk_unref(fs_chunk_t *c)
{
    if (!c || --c->refs)
        return;
    for (uint32_t i = 0; i < SECTORS_PER_CHUNK; i++)
        sector_unref(c->sec[i]);
    free(c);
}

void fs_chunks_free(fs_chunk_t **chunks, uint32_t nchunks)
{
    if (!chunks)
        return;
    for (uint32_t i = 0; i < nchunks; i++)
        fs_chunk_unref(chunks[i]);
    free(chunks);
}

void fs_chunks_peek(fs_chunk_t *const *chunks, uint32_t size, uint32_t addr, void *dst,
                    uint32_t len)
{
    uint8_t *out = dst;
    while (len) {
        uint32_t off = addr % FLASHSIM_SECTOR_SIZE;
        uint32_t n = FLASHSIM_SECTOR_SIZE - off;
        if (n > len)
            n = len;
        const fs_sector_t *s =
            addr < size ? fs_chunks_sector(chunks, addr / FLASHSIM_SECTOR_SIZE) : NULL;
        if (s)
            memcpy(out, s->data + off, n);
        else
            memset(out, 0xFF, n);
        out += n;
        len -= n;
        if (addr > UINT32_MAX - n) { /* the rest is past 4 GiB: out of range */
            memset(out, 0xFF, len);
            return;
        }
        addr += n;
    }
}

static fs_chunk_t *chunk_mut(flashsim_t *fs, uint32_t index)
{
    fs_chunk_t *c = fs->chunks[index];
    if (c && c->refs == 1)
        return c;
    fs_chunk_t *copy = fs_xmalloc(sizeof *copy);
    copy->refs = 1;
    if (c) {
        memcpy(copy->sec, c->sec, sizeof copy->sec);
        for (uint32_t i = 0; i < SECTORS_PER_CHUNK; i++)
            if (copy->sec[i])
                copy->sec[i]->refs++;
        c->refs--; /* still referenced elsewhere, so it cannot reach 0 here */
    } else {
        memset(copy->sec, 0, sizeof copy->sec);
    }
    fs->chunks[index] = copy;
    return copy;
}

fs_sector_t *fs_sector_mut(flashsim_t *fs, uint32_t sector)
{
    fs_chunk_t *c = chunk_mut(fs, sector / SECTORS_PER_CHUNK);
    fs_sector_t **slot = &c->sec[sector % SECTORS_PER_CHUNK];
    fs_sector_t *s = *slot;
    if (s && s->refs == 1)
        return s;
    fs_sector_t *copy = fs_xmalloc(sizeof *copy);
    copy->data = fs_xmalloc(FLASHSIM_SECTOR_SIZE);
    copy->refs = 1;
    if (s) {
        copy->erase_count = s->erase_count;
        memcpy(copy->data, s->data, FLASHSIM_SECTOR_SIZE);
        copy->weak = NULL;
        if (s->weak) {
            copy->weak = fs_xmalloc(FLASHSIM_SECTOR_SIZE);
            memcpy(copy->weak, s->weak, FLASHSIM_SECTOR_SIZE);
        }
        s->refs--;
    } else {
        copy->erase_count = 0;
        copy->weak = NULL;
        memset(copy->data, 0xFF, FLASHSIM_SECTOR_SIZE);
    }
    *slot = copy;
    return copy;
}
