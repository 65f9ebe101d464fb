/* otasim: one command, many subcommands (git-style). */
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* Subcommands live with their code (harness/, tools/); add one line here per command. */
static const otasim_command_t commands[] = {
    {"run", "run a scenario on the native device (its sweep included)", cmd_run},
    {"sweep", "cut power at every point of a scenario's update and check every recovery",
     cmd_sweep},
    {"suite", "run every scenario in a directory", cmd_suite},
    {"equiv", "compare a scenario on the native target and under QEMU, step by step", cmd_equiv},
    {"replay", "rerun one sweep branch from its replay id (--gdb: debug its recovery boot)",
     cmd_replay},
    {"report", "merge shard reports, diff two reports, render JSON as HTML or JUnit", cmd_report},
    {"bench", "benchmarks: 'bench sweep' (record-and-branch vs the naive replay, issue 5)",
     cmd_bench},
    {"demo", "a short tour of the simulated flash (torn program/erase, fault log)", cmd_demo},
    {"sign", "sign an image, or write the public-key header (signing.py)", cmd_sign},
    {"image", "build, inspect, merge ESP8266 images (elf2bin)", cmd_image},
    {"serve", "an HTTP update server for the HTTP update client (spec §5.6)", cmd_serve},
    {"upload", "upload an image to a device over the espota protocol (espota.py-compatible)",
     cmd_upload},
    {"romloader", "a simulated ESP8266 ROM loader (download mode) on a pseudo-terminal",
     cmd_romloader},
    {"flash", "write images to an ESP8266 through its ROM serial loader (esptool-like)", cmd_flash},
    {"device", "a long-running networked simulated device (web update, espota) to update by hand",
     cmd_device},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: otasim <command> [options]\n       otasim <command> --help\n\n"
                 "commands:\n");
    for (const otasim_command_t *c = commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("otasim %s\n", OTASIM_VERSION);
        return 0;
    }
    for (const otasim_command_t *c = commands; c->name; c++)
        if (!strcmp(argv[1], c->name))
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "otasim: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
