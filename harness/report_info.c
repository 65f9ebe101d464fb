/* The report's view of a scenario run (report_model.h), taken from the engine's state right
 * after the control, before any branch runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "journal.h"

void report_scenario_info_free(report_scenario_info_t *info)
{
    free(info->control_console);
    free(info->ops);
    free(info->wear);
    memset(info, 0, sizeof(*info));
}

static void region(report_scenario_info_t *info, const char *name, uint32_t start, uint32_t end)
{
    if (end <= start || info->nregions >= REPORT_MAX_REGIONS)
        return;
    report_region_t *r = &info->regions[info->nregions++];
    snprintf(r->name, sizeof(r->name), "%s", name);
    r->start = start;
    r->end = end;
}

/* The op's duration on the chip's timing model (what the device would spend in it). */
static uint32_t op_time_us(const flashsim_timing_t *t, const hdev_rec_t *r)
{
    const flashsim_chip_timing_t *chip = t->chip ? t->chip : flashsim_chip_generic();
    unsigned w = t->worst ? 1 : 0;
    switch (r->kind) {
    case HDEV_REC_PROGRAM: {
        uint64_t ns = 0;
        for (uint32_t off = 0; off < r->len;) {
            uint32_t page_left = 256u - ((r->addr + off) & 255u);
            uint32_t n = r->len - off < page_left ? r->len - off : page_left;
            ns += flashsim_program_piece_ns(t, n);
            off += n;
        }
        return (uint32_t)((ns + 999u) / 1000u);
    }
    case HDEV_REC_ERASE_SECTOR:
        return chip->sector_erase_us[w];
    case HDEV_REC_ERASE_BLOCK:
        return chip->block_erase_us[w];
    case HDEV_REC_RTC:
        return 0;
    }
    return 0;
}

void report_info_fill(const engine_t *e, const bstate_t *s, const hdev_recording_t *rec,
                      report_scenario_info_t *info)
{
    report_scenario_info_free(info);
    info->filled = true;
    const flash_layout_t *l = &e->eff_layout;
    snprintf(info->boot, sizeof(info->boot), "%s",
             e->dev_cfg.boot != SCN_BOOT_SAFE ? "eboot"
             : e->dev_cfg.safe_raw            ? "safe-raw"
                                              : "safe");
    snprintf(info->layout, sizeof(info->layout), "%s", e->layout.name);
    info->flash_size = e->layout.flash_size;
    info->control_passed = s->failures == 0;
    snprintf(info->control_failure, sizeof(info->control_failure), "%s",
             s->failures ? s->first_failure : "");
    info->control_console = strdup(s->console ? s->console : "");

    region(info, "boot", 0, 0x1000);
    uint32_t app_end = l->fs_end > l->fs_start ? l->fs_start : l->eeprom_start;
    uint32_t journal = journal_area(l->flash_size);
    bool safe = e->dev_cfg.boot == SCN_BOOT_SAFE;
    if (safe && journal < app_end)
        app_end = journal;
    region(info, "app+stage", 0x1000, app_end);
    region(info, "fs", l->fs_start, l->fs_end);
    if (safe)
        region(info, "journal", journal, journal + JOURNAL_AREA_SIZE);
    region(info, "eeprom", l->eeprom_start, l->eeprom_start + 0x1000);
    region(info, "rf-cal", l->rfcal_start, l->rfcal_start + 0x1000);
    region(info, "wifi", l->wifi_start, l->flash_size);

    info->nsectors = e->nsectors;
    info->wear = calloc(e->nsectors ? e->nsectors : 1, sizeof(uint32_t));
    if (!info->wear)
        abort();
    for (uint32_t i = 0; i < e->nsectors; i++)
        info->wear[i] = flashsim_erase_count(e->fs, i) - e->baseline_erases[i];

    for (size_t i = 0; i < e->scn->nsteps; i++) {
        const scn_step_t *st = &e->scn->steps[i];
        if (st->verb != SCN_EXPECT || st->u.expect.kind != SCN_EXP_SWEEP ||
            info->nexps >= REPORT_MAX_SWEEP_EXPS)
            continue;
        report_sweep_exp_t *x = &info->exps[info->nexps++];
        x->line = st->line;
        x->outcome = st->u.expect.sweep_outcome;
        x->cmp = st->u.expect.sweep_cmp;
        x->count = st->u.expect.sweep_count;
    }

    if (!rec)
        return;
    info->sweep = true;
    flashsim_timing_t t = flashsim_get_timing(e->fs);
    info->nops = rec->nrecs;
    info->ops = calloc(rec->nrecs ? rec->nrecs : 1, sizeof(report_op_t));
    if (!info->ops)
        abort();
    static const char kinds[] = {'P', 'E', 'B', 'R'};
    for (size_t i = 0; i < rec->nrecs; i++) {
        const hdev_rec_t *r = &rec->recs[i];
        report_op_t *o = &info->ops[i];
        o->kind = kinds[r->kind];
        o->phase = (uint8_t)r->phase;
        o->addr = r->addr;
        o->len = r->kind == HDEV_REC_RTC ? 0 : r->len;
        o->time_us = op_time_us(&t, r);
    }
}
