/* Reading test data files into exact-size heap buffers (so ASan catches any read past the end). */
#ifndef OTASIM_TEST_FILES_H
#define OTASIM_TEST_FILES_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads dir/name fully; aborts the test if it is missing. */
static inline uint8_t *read_test_file(const char *dir, const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open test data %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(size > 0 ? (size_t)size : 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return buf;
}

/* An exact-size heap copy. */
static inline uint8_t *dup_exact(const void *p, size_t len)
{
    uint8_t *q = malloc(len ? len : 1);
    cr_assert_not_null(q);
    if (len)
        memcpy(q, p, len);
    return q;
}

#endif
