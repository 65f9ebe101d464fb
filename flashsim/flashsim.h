/* flashsim: a simulated ESP8266 SPI NOR flash chip and RTC memory, with deterministic faults.
 * No global state: any number of devices per process. A device, and the snapshots taken from it,
 * belong to one thread at a time (reference counts are not atomic); fork() is fine.
 * Allocation failure aborts the process with a message (this is a host test tool).
 *
 * Rules the model follows (see README.md for the reasoning):
 *
 * Geometry. 4 KiB sectors, 64 KiB blocks, 256 B pages; erased bytes read 0xFF.
 *
 * Checks, in this order, for read/program: power (FLASHSIM_ERR_POWER while a cut is pending),
 * alignment (address and length must be multiples of 4, as for the ESP8266 ROM's SPIRead and
 * SPIWrite: FLASHSIM_ERR_ALIGN), range (FLASHSIM_ERR_RANGE; also for a NULL buffer). A zero-length
 * read or program at an in-range address succeeds and does nothing (it is not an operation).
 * Erase functions take a sector or block index; an index past the chip is FLASHSIM_ERR_RANGE.
 *
 * NOR semantics. Programming only clears bits: new = old AND data. A program may cross page
 * boundaries: it behaves like the ROM's SPIWrite, which splits the write at 256-byte page
 * boundaries into page-program commands, so the data lands linearly (no wrap-around within a
 * page, which is what a single raw page-program command would do on the chip). Erase sets every
 * bit of the sector/block to 1.
 *
 * Operation counting (what fault plans, hooks and the trace call "op N"):
 * - every program call and every sector/block erase call that passes the checks above is one
 *   operation; operations are numbered 0, 1, 2, ... over the device's life (the counter is part
 *   of the device state, so it is saved in snapshots and restored with them);
 * - an operation that fails inside the chip (fault plan, wear-out, strict mode, power cut during
 *   it) still consumes its number; a call rejected by the checks above (including calls while
 *   power is cut) does not;
 * - the pages of a program operation are its sub-steps "op N page P": page 0 is the first
 *   (possibly partial) 256-byte page the data touches, page 1 the next, and so on. An erase
 *   operation has a single step, page 0;
 * - reads, RTC accesses, peek/poke and resets are not operations.
 */
#ifndef OTASIM_FLASHSIM_H
#define OTASIM_FLASHSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FLASHSIM_SECTOR_SIZE 4096u
#define FLASHSIM_BLOCK_SIZE 65536u
#define FLASHSIM_PAGE_SIZE 256u
#define FLASHSIM_RTC_SIZE 768u /* RTC memory from 0x60001100; user area from offset 0x100 */
#define FLASHSIM_RTC_BASE 0x60001100u
#define FLASHSIM_RTC_USER_OFFSET                                                                   \
    0x100u /* 0x60001200: 512 bytes; the eboot command is the first                                \
              128 bytes of it */
#define FLASHSIM_MIN_SIZE (512u * 1024u)
#define FLASHSIM_MAX_SIZE (16u * 1024u * 1024u)
#define FLASHSIM_DEFAULT_ENDURANCE 100000u

/* Operation results. Values equal the firmware HAL's hal_status_t on purpose. */
typedef enum {
    FLASHSIM_OK = 0,
    FLASHSIM_ERR_ALIGN = 1, /* address/length not 4-byte aligned, or erase not on a boundary */
    FLASHSIM_ERR_RANGE = 2, /* out of the chip / RTC memory */
    FLASHSIM_ERR_IO = 3,    /* the chip failed the operation (fault plan, worn-out sector, strict
                               mode program over non-erased bits) */
    FLASHSIM_ERR_POWER = 4, /* power is cut: the operation did not (fully) happen, and every
                               operation fails with this until the next reset. A cut planned
                               "after" an operation also returns this from that operation, whose
                               effect is then complete: the CPU never sees its result. */
} flashsim_status_t;

typedef struct flashsim flashsim_t;

typedef struct flashsim_config {
    uint32_t size;      /* bytes: a power of two from 512 KiB to 16 MiB */
    uint32_t jedec_id;  /* 0 = derive a plausible id from size */
    uint64_t seed;      /* every random choice (torn bits, wear-out, RTC garbage) derives from it */
    bool strict;        /* reject programming over bits that are already 0 where data has 1 */
    uint32_t endurance; /* erase cycles per sector before wear-out; 0 = default 100,000 */
} flashsim_config_t;

/* NULL on an invalid config (size not a power of two in range). */
flashsim_t *flashsim_new(const flashsim_config_t *cfg);
void flashsim_free(flashsim_t *fs);

uint32_t flashsim_size(const flashsim_t *fs);
/* The derived id is Winbond-like, as the ESP8266 SDK's spi_flash_get_id() returns it:
 * 0xEF | 0x40 << 8 | log2(size) << 16 (e.g. 0x1640EF for 4 MiB). */
uint32_t flashsim_jedec_id(const flashsim_t *fs);

/* SPI flash operations with the ESP8266 ROM routines' rules. */
flashsim_status_t flashsim_read(flashsim_t *fs, uint32_t addr, void *dst, uint32_t len);
flashsim_status_t flashsim_program(flashsim_t *fs, uint32_t addr, const void *src, uint32_t len);
flashsim_status_t flashsim_erase_sector(flashsim_t *fs, uint32_t sector);
flashsim_status_t flashsim_erase_block(flashsim_t *fs, uint32_t block);

/* RTC memory, offsets from 0x60001100, 4-byte aligned. */
flashsim_status_t flashsim_rtc_read(flashsim_t *fs, uint32_t offset, void *dst, uint32_t len);
/* The RTC bytes without an operation (no trace entry, works unpowered); false out of range. */
bool flashsim_rtc_peek(const flashsim_t *fs, uint32_t offset, void *dst, uint32_t len);
flashsim_status_t flashsim_rtc_write(flashsim_t *fs, uint32_t offset, const void *src,
                                     uint32_t len);

/* Direct access for test set-up and inspection: no fault, trace, wear or time accounting.
 * Any alignment; out-of-range parts are ignored (peek fills them with 0xFF). */
void flashsim_peek(const flashsim_t *fs, uint32_t addr, void *dst, uint32_t len);
void flashsim_poke(flashsim_t *fs, uint32_t addr, const void *src, uint32_t len);

/* Resets. A warm reset (watchdog, reset pin, software restart) keeps RTC memory; power loss
 * zeroes it or fills it with seeded garbage (per the fault plan). Both clear a pending cut. */
void flashsim_warm_reset(flashsim_t *fs);
void flashsim_power_loss(flashsim_t *fs);
bool flashsim_powered(const flashsim_t *fs);

/* Operations started so far (the number the next operation gets; inside a hook callback it
 * already counts the running operation). */
uint32_t flashsim_op_count(const flashsim_t *fs);
/* Erase cycles of one sector so far (0 for an index past the chip). */
uint32_t flashsim_erase_count(const flashsim_t *fs, uint32_t sector);

typedef struct flashsim_stats {
    uint64_t reads, read_bytes;
    uint64_t programs, program_bytes;
    uint64_t sector_erases, block_erases;
    uint64_t program_nonerased_bytes; /* programmed bytes whose old value was not 0xFF */
    uint64_t program_conflict_bytes;  /* bytes where data has a 1 over a 0 (the result != data) */
    uint64_t strict_rejects;          /* programs refused by strict mode */
    uint64_t power_cuts, warm_resets, power_losses;
} flashsim_stats_t;
/* Counters since creation; part of the device state (snapshots save and restore them). */
flashsim_stats_t flashsim_stats(const flashsim_t *fs);

/* ---- Fault plans ----------------------------------------------------------------------------
 * A fault plan says which faults a device suffers; it is written as a short string (grammar in
 * README.md), e.g. "seed=7;rtc=garbage;cut@op=120:page=2:torn". Everything random in it
 * derives from its seed (the device's config seed when the plan has none). */

typedef enum {
    FLASHSIM_FAULT_CUT,    /* power cut before/after/inside an operation */
    FLASHSIM_FAULT_FAIL,   /* an operation (or reads) fails with FLASHSIM_ERR_IO, no effect */
    FLASHSIM_FAULT_FLIP,   /* one bit of the array inverts */
    FLASHSIM_FAULT_STUCK0, /* one bit of the array is stuck at 0 */
    FLASHSIM_FAULT_STUCK1, /* one bit of the array is stuck at 1 */
    FLASHSIM_FAULT_WEAR,   /* log only: a worn-out sector misbehaved */
    FLASHSIM_FAULT_RTC,    /* log only: power loss filled RTC memory with garbage */
} flashsim_fault_kind_t;

typedef enum {
    FLASHSIM_CUT_BEFORE, /* the step does not happen */
    FLASHSIM_CUT_AFTER,  /* the step completes, then power goes */
    FLASHSIM_CUT_TORN,   /* power goes during the step: a seeded subset of its bit changes land */
} flashsim_cut_mode_t;

typedef enum {
    FLASHSIM_ACCESS_ANY,
    FLASHSIM_ACCESS_READ,
    FLASHSIM_ACCESS_PROGRAM,
    FLASHSIM_ACCESS_ERASE,
} flashsim_access_t;

/* One plan item. Ops are relative to the op_base given to flashsim_set_plan(). */
typedef struct flashsim_fault {
    flashsim_fault_kind_t kind; /* CUT, FAIL, FLIP, STUCK0 or STUCK1 */
    bool at_op;                 /* CUT, FAIL: triggered by op (else FAIL by addr); FLIP: at op */
    uint32_t op;
    int32_t page;             /* CUT: the step of op (see top of file); -1 = the whole op */
    flashsim_cut_mode_t mode; /* CUT */
    bool weak;                /* CUT, torn erase: bits left at 0 may be weak (read randomly) */
    uint32_t addr;            /* FAIL by addr, FLIP, STUCK0/1: byte address */
    uint8_t bit;              /* FLIP, STUCK0/1: bit 0..7 of that byte */
    flashsim_access_t on;     /* FAIL by addr: which accesses fail */
    bool once;                /* FAIL by addr: only the first matching access fails */
} flashsim_fault_t;

typedef struct flashsim_plan flashsim_plan_t;

/* Parse a plan string. On error: NULL, and err gets "column C: what is wrong" (1-based). An
 * empty string is a valid empty plan. */
flashsim_plan_t *flashsim_plan_parse(const char *text, char *err, size_t errlen);
/* The canonical text (snprintf-style: returns the full length; print(parse(s)) is canonical and
 * parses back to an equal plan). */
int flashsim_plan_print(const flashsim_plan_t *plan, char *buf, size_t size);
flashsim_plan_t *flashsim_plan_new(void);
/* Append a item; false (and nothing added) when the item is not valid (see the grammar). */
bool flashsim_plan_add(flashsim_plan_t *plan, const flashsim_fault_t *item);
void flashsim_plan_set_seed(flashsim_plan_t *plan, uint64_t seed);
void flashsim_plan_set_rtc_garbage(flashsim_plan_t *plan, bool garbage);
size_t flashsim_plan_count(const flashsim_plan_t *plan);
const flashsim_fault_t *flashsim_plan_item(const flashsim_plan_t *plan, size_t i);
void flashsim_plan_free(flashsim_plan_t *plan);

/* Arm a device with a copy of plan (NULL disarms). Plan op N means device op op_base + N: pass
 * 0 for absolute numbers, flashsim_op_count(fs) for "counted from now" (e.g. on a device just
 * restored from a snapshot). Resets the fault log and fired counters. Flips without an op and
 * stuck bits take effect at once. FLASHSIM_ERR_RANGE (and nothing armed) when an address in
 * the plan is past the chip. Items fire every time their trigger matches (a restore that
 * rewinds the op counter lets them fire again), except FAIL with `once`. */
flashsim_status_t flashsim_set_plan(flashsim_t *fs, const flashsim_plan_t *plan, uint32_t op_base);

/* One fault that fired. */
typedef struct flashsim_fault_event {
    uint32_t op;   /* the operation it hit (for reads and plan arming: the next op's number) */
    int32_t page;  /* the step inside the op, -1 when not applicable */
    uint32_t addr; /* byte address affected (first byte of the piece/sector) */
    uint32_t bits; /* how many bits it changed (torn, flip, stuck, RTC garbage); for wear:
                      0 = the erase failed, else that many bits stuck at 0 after the erase */
    flashsim_fault_kind_t kind;
    flashsim_cut_mode_t mode; /* cuts */
    int32_t item;             /* index in the plan; -1 for wear-out and RTC garbage */
    uint64_t seed;            /* the seed its randomness came from */
} flashsim_fault_event_t;

const flashsim_fault_event_t *flashsim_fault_log(const flashsim_t *fs, size_t *count);
/* How often plan item i fired since the plan was armed (0 = it never fired). */
uint32_t flashsim_fault_fired(const flashsim_t *fs, size_t item);
/* Plan items that have not fired (a sweep branch whose fault never fired is invalid). */
size_t flashsim_faults_unfired(const flashsim_t *fs);
/* "op 120 page 2: cut torn at 0x2b5200, 517 bits, seed 7" (snprintf-style). */
int flashsim_fault_event_format(const flashsim_fault_event_t *ev, char *buf, size_t size);
const char *flashsim_fault_kind_name(flashsim_fault_kind_t kind);

/* ---- Operation hook ------------------------------------------------------------------------
 * Called around every program and erase operation. The callback may read the device
 * (peek, stats, op count) and take snapshots; it must not operate on, restore or re-arm the
 * same device (that aborts the process). */

typedef enum {
    FLASHSIM_OP_READ,
    FLASHSIM_OP_PROGRAM,
    FLASHSIM_OP_ERASE_SECTOR,
    FLASHSIM_OP_ERASE_BLOCK,
    FLASHSIM_OP_RTC_READ,
    FLASHSIM_OP_RTC_WRITE,
    FLASHSIM_OP_WARM_RESET,
    FLASHSIM_OP_POWER_LOSS,
} flashsim_op_kind_t;

typedef enum {
    FLASHSIM_HOOK_BEFORE, /* step `page` of op `op` is about to change the chip */
    FLASHSIM_HOOK_AFTER,  /* op `op` is over, whatever its status (also when a fault made it
                             fail); not called when power was cut before or inside it, called
                             before a cut planned "after" it */
} flashsim_hook_phase_t;

typedef struct flashsim_hook_event {
    flashsim_hook_phase_t phase;
    flashsim_op_kind_t kind; /* PROGRAM, ERASE_SECTOR or ERASE_BLOCK */
    uint32_t op;
    uint32_t page;            /* BEFORE: the step about to run; AFTER: the op's number of steps */
    uint32_t addr, len;       /* BEFORE of a program: this page's piece; otherwise the whole op */
    const uint8_t *data;      /* BEFORE of a program: the piece's data; otherwise NULL */
    flashsim_status_t status; /* AFTER: the op's result */
} flashsim_hook_event_t;

typedef void (*flashsim_hook_fn)(flashsim_t *fs, const flashsim_hook_event_t *ev, void *ctx);
void flashsim_set_hook(flashsim_t *fs, flashsim_hook_fn fn, void *ctx);

/* Apply the effect of a torn page program / torn sector erase directly, exactly as a planned
 * torn cut at that op and page with that seed would, but without counting an operation, a cut,
 * time or trace. For sweeps that rebuild "torn at op N page P" from a snapshot taken before it
 * (the hook's BEFORE event has the piece's address and data). A program range that crosses a
 * page boundary is torn page by page, as steps page, page+1, ... The checks are those of
 * flashsim_program()/flashsim_erase_sector() except power. */
flashsim_status_t flashsim_tear_program(flashsim_t *fs, uint32_t addr, const void *src,
                                        uint32_t len, uint64_t seed, uint32_t op, uint32_t page);
flashsim_status_t flashsim_tear_erase(flashsim_t *fs, uint32_t sector, uint64_t seed, uint32_t op,
                                      bool weak);

/* ---- Timing model --------------------------------------------------------------------------
 * Datasheet typical and maximum times of a generic 25-series SPI NOR chip (see README.md for
 * the source): they are typical values, not measurements. */

typedef enum {
    FLASHSIM_SPI_QIO = 0, /* values as in byte 2 of an ESP8266 image header */
    FLASHSIM_SPI_QOUT = 1,
    FLASHSIM_SPI_DIO = 2,
    FLASHSIM_SPI_DOUT = 3,
} flashsim_spi_mode_t;

typedef struct flashsim_chip_timing {
    const char *name;
    uint32_t page_program_us[2]; /* [typical, maximum] per page-program command */
    uint32_t sector_erase_us[2]; /* 4 KiB */
    uint32_t block_erase_us[2];  /* 64 KiB */
} flashsim_chip_timing_t;

typedef struct flashsim_timing {
    const flashsim_chip_timing_t *chip; /* NULL = flashsim_chip_generic() */
    bool worst;                         /* maximum instead of typical times */
    flashsim_spi_mode_t mode;
    uint32_t spi_mhz; /* SPI clock: 20, 26, 40 or 80 */
} flashsim_timing_t;

const flashsim_chip_timing_t *flashsim_chip_generic(void);
/* Default: generic chip, typical, DIO at 40 MHz. FLASHSIM_ERR_RANGE on a bad mode or clock. */
flashsim_status_t flashsim_set_timing(flashsim_t *fs, const flashsim_timing_t *timing);
flashsim_timing_t flashsim_get_timing(const flashsim_t *fs);
/* Simulated time spent in flash operations since creation (part of the device state). */
uint64_t flashsim_time_ns(const flashsim_t *fs);
uint64_t flashsim_time_us(const flashsim_t *fs);
/* The model's time for one read of len bytes / one program piece of len bytes. */
uint64_t flashsim_read_ns(const flashsim_timing_t *timing, uint32_t len);
uint64_t flashsim_program_piece_ns(const flashsim_timing_t *timing, uint32_t len);

/* ---- Trace ---------------------------------------------------------------------------------
 * Every read, program, erase, RTC access and reset, in order (on by default). The trace is a
 * recording: restoring a snapshot does not rewind it. */

typedef struct flashsim_trace_entry {
    uint64_t t_ns;  /* simulated time when it started */
    uint32_t op;    /* its op number; for non-operations the number the next op will get */
    uint32_t addr;  /* flash address (erases: first byte), RTC offset, 0 for resets */
    uint32_t len;   /* bytes (erases: bytes erased) */
    uint8_t kind;   /* flashsim_op_kind_t */
    uint8_t status; /* flashsim_status_t */
    uint16_t steps; /* program: pages completed; erase: 1 when completed */
} flashsim_trace_entry_t;

void flashsim_trace_enable(flashsim_t *fs, bool on);
const flashsim_trace_entry_t *flashsim_trace(const flashsim_t *fs, size_t *count);
void flashsim_trace_clear(flashsim_t *fs);
/* Also write every new entry as a text line to f (NULL stops). The caller owns f. */
void flashsim_trace_set_file(flashsim_t *fs, FILE *f);
/* Write the in-memory trace as text lines: "op kind addr len t_ns status steps". */
int flashsim_trace_write(const flashsim_t *fs, FILE *f);
void flashsim_trace_entry_print(const flashsim_trace_entry_t *e, FILE *f);
const char *flashsim_op_kind_name(flashsim_op_kind_t kind);

/* ---- Snapshots -----------------------------------------------------------------------------
 * A snapshot is an independent, reference-counted, read-only copy of the device state: flash
 * contents, erase counters, weak bits, RTC memory, power state, op counter, stats and
 * simulated time. Storage is shared sector by sector with the device and other snapshots
 * (copy on write), so taking one is cheap and restoring one costs O(changed sectors). The
 * config (size, seed, strict, endurance) travels with it. Plan, fault log, hook, timing
 * profile and trace belong to the device, not to its state: restore keeps them. */

typedef struct flashsim_snapshot flashsim_snapshot_t;

flashsim_snapshot_t *flashsim_snapshot(const flashsim_t *fs); /* reference count 1 */
flashsim_snapshot_t *flashsim_snapshot_ref(flashsim_snapshot_t *snap);
void flashsim_snapshot_unref(flashsim_snapshot_t *snap); /* NULL is fine */
/* FLASHSIM_ERR_RANGE when the snapshot comes from a chip of another size. */
flashsim_status_t flashsim_restore(flashsim_t *fs, const flashsim_snapshot_t *snap);
/* A new device in the snapshot's state (no plan, no hook, empty trace, default timing). */
flashsim_t *flashsim_new_from_snapshot(const flashsim_snapshot_t *snap);
uint32_t flashsim_snapshot_size(const flashsim_snapshot_t *snap);
uint32_t flashsim_snapshot_op_count(const flashsim_snapshot_t *snap);
void flashsim_snapshot_peek(const flashsim_snapshot_t *snap, uint32_t addr, void *dst,
                            uint32_t len);

/* ---- Image files and diffs -----------------------------------------------------------------
 * Raw images: the bytes of the chip from offset 0, as `esptool.py read_flash 0 SIZE` dumps them.
 * Loading and saving are direct access (no operation, fault, trace, wear or time). */

/* Write the file's bytes at offset (FLASHSIM_ERR_RANGE if they do not fit; FLASHSIM_ERR_IO with
 * errno set when the file cannot be read). */
flashsim_status_t flashsim_image_load(flashsim_t *fs, const char *path, uint32_t offset);
/* Save len bytes from offset (len 0: to the end of the chip). */
flashsim_status_t flashsim_image_save(const flashsim_t *fs, const char *path, uint32_t offset,
                                      uint32_t len);
/* A device holding the image. cfg->size 0 means "the file's size" (which must then be valid);
 * NULL (with errno set, EINVAL for a bad size) on failure. */
flashsim_t *flashsim_new_from_image(const char *path, const flashsim_config_t *cfg);
/* Sectors whose contents differ (erase counters are not compared). Returns how many differ and
 * stores the first `max` indices, ascending, into out; -1 when the sizes differ. */
long flashsim_diff(const flashsim_t *a, const flashsim_t *b, uint32_t *out, size_t max);
long flashsim_snapshot_diff(const flashsim_snapshot_t *a, const flashsim_snapshot_t *b,
                            uint32_t *out, size_t max);

#endif
