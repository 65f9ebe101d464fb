/* The otasim subcommands. Each returns the process exit code: 0 success, 1 failure of the
 * operation, 2 usage error (after printing usage to stderr). */
#ifndef OTASIM_COMMANDS_H
#define OTASIM_COMMANDS_H

typedef int (*otasim_cmd_fn)(int argc, char **argv);

typedef struct otasim_command {
    const char *name;
    const char *summary;
    otasim_cmd_fn run; /* argv[0] is the subcommand name */
} otasim_command_t;

int cmd_demo(int argc, char **argv);
int cmd_bench(int argc, char **argv);            /* cmd_bench.c: 'bench sweep' */
int cmd_bench_primitives(int argc, char **argv); /* cmd_bench_primitives.c */
int cmd_bench_gzstage(int argc, char **argv);    /* cmd_bench_gzstage.c */
int cmd_bench_net(int argc, char **argv);        /* cmd_bench_net.c: 'bench net' */
/* cmd_bench_qemu.c: 'bench sweep --target qemu' (0 pass, 1 fail, 77 skipped) */
int bench_sweep_qemu(unsigned jobs, unsigned long long seed, unsigned long long size);
int bench_boot_insns(int argc, char **argv); /* cmd_bench_qemu.c: 'bench boot-insns' */
int cmd_run(int argc, char **argv);          /* cmd_run.c: scenarios */
int cmd_sweep(int argc, char **argv);
int cmd_suite(int argc, char **argv);
int cmd_equiv(int argc, char **argv);       /* cmd_equiv.c */
int cmd_replay(int argc, char **argv);      /* replay.c */
int cmd_report(int argc, char **argv);      /* cmd_report.c */
int cmd_sign(int argc, char **argv);        /* tools/cmd_sign.c */
int cmd_image(int argc, char **argv);       /* tools/cmd_image.c */
int cmd_serve(int argc, char **argv);       /* tools/cmd_serve.c */
int cmd_upload(int argc, char **argv);      /* tools/cmd_upload.c */
int cmd_romloader(int argc, char **argv);   /* tools/cmd_romloader.c */
int cmd_flash(int argc, char **argv);       /* tools/cmd_flash.c */
int cmd_bench_flash(int argc, char **argv); /* tools/cmd_bench_flash.c: 'bench flash' */
int cmd_device(int argc, char **argv);      /* cmd_device.c */

#endif
