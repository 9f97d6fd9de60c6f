/* SPDX-License-Identifier: BSD-2-Clause */
/* `periscope report --db STORE | -r CAPTURE [-o page.html] [--cost cost.json]` */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cmd_report.h"
#include "report/report.h"

static const char usage[] =
    "usage: periscope report (--db STORE | -r CAPTURE) [-o PAGE.html] [--cost COST.json]\n"
    "\n"
    "Do I have the visibility I think I have? Reads the SQLite store that\n"
    "'periscope read -l DIR' writes (DIR/periscope.db), or runs 'periscope read'\n"
    "on a capture into a temporary store, and prints the share of flows and bytes\n"
    "per visibility class, per mirror session and per source ENI, what the mirror\n"
    "lost (truncated, one-sided, gaps, duplicated; bytes never mirrored), the top\n"
    "encrypted destinations by SNI and alerts per detector over time.\n"
    "\n"
    "  --db STORE        the store to read\n"
    "  -r CAPTURE        a pcap/pcapng file instead: read into a temporary store\n"
    "  --sessions FILE   with -r: mirror session names (as for 'periscope read')\n"
    "  -o PAGE.html      also write one self-contained HTML page (inline SVG)\n"
    "  --cost FILE       add the numbers of 'periscope cost --json' output\n"
    "  --title TEXT      title of the page\n"
    "  -h, --help        this help\n"
    "\n"
    "Exit status: 0 on success, 1 on bad usage or input that cannot be read.\n";

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[4096];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

/* `periscope read -q -l DIR [--sessions FILE] CAPTURE` as a child. */
static int read_capture(const char *cap, const char *sessions, const char *dir)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        char *args[10];
        int n = 0;
        args[n++] = (char *)"periscope";
        args[n++] = (char *)"read";
        args[n++] = (char *)"-q";
        args[n++] = (char *)"-l";
        args[n++] = (char *)dir;
        if (sessions) {
            args[n++] = (char *)"--sessions";
            args[n++] = (char *)sessions;
        }
        args[n++] = (char *)cap;
        args[n] = NULL;
        execv("/proc/self/exe", args);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int ps_cmd_report(int argc, char **argv)
{
    enum { O_DB = 256, O_COST, O_TITLE, O_SESSIONS };
    static const struct option longopts[] = {{"db", required_argument, NULL, O_DB},
                                             {"cost", required_argument, NULL, O_COST},
                                             {"title", required_argument, NULL, O_TITLE},
                                             {"sessions", required_argument, NULL, O_SESSIONS},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct ps_report_opts o = {0};
    const char *cap = NULL, *sessions = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case O_DB:
            o.db = optarg;
            break;
        case O_COST:
            o.cost = optarg;
            break;
        case O_TITLE:
            o.title = optarg;
            break;
        case O_SESSIONS:
            sessions = optarg;
            break;
        case 'r':
            cap = optarg;
            break;
        case 'o':
            o.html = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 1;
        }
    }
    if (optind < argc || !o.db == !cap) {
        fprintf(stderr, "periscope report: give one of --db STORE or -r CAPTURE\n");
        fputs(usage, stderr);
        return 1;
    }
    char tmp[] = "/tmp/periscope-report.XXXXXX";
    char dbpath[sizeof(tmp) + 16];
    if (cap) {
        if (!mkdtemp(tmp)) {
            perror("periscope report: mkdtemp");
            return 1;
        }
        if (read_capture(cap, sessions, tmp) != 0) {
            fprintf(stderr, "periscope report: %s: 'periscope read' failed\n", cap);
            rm_tree(tmp);
            return 1;
        }
        snprintf(dbpath, sizeof(dbpath), "%s/periscope.db", tmp);
        o.db = dbpath;
    }
    char err[512] = "";
    int rc = ps_report_run(&o, stdout, err, sizeof(err));
    if (rc)
        fprintf(stderr, "periscope report: %s\n", err);
    if (cap)
        rm_tree(tmp);
    return rc ? 1 : 0;
}
