/* SPDX-License-Identifier: BSD-2-Clause */
/* `periscope cost`: reads the AWS CLI's JSON and flow logs in the store,
 * prints per-interface mirror eligibility, monthly cost, coverage gaps and
 * the saving of a target per zone. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_cost.h"
#include "cost/cost.h"
#include "store/store.h"

static const char usage_cost[] =
    "usage: periscope cost --interfaces FILE [OPTIONS]\n"
    "\n"
    "Plan AWS Traffic Mirroring: for every network interface, whether AWS can mirror it\n"
    "(and if not, why and what to do instead), what its sessions cost a month, and\n"
    "what the mirror misses. Inputs are the JSON the AWS CLI prints, unchanged:\n"
    "\n"
    "      --interfaces FILE   aws ec2 describe-network-interfaces (required)\n"
    "      --instances FILE    aws ec2 describe-instances (instance types)\n"
    "      --subnets FILE      aws ec2 describe-subnets (IPv6-only subnets, zones)\n"
    "      --sessions FILE     aws ec2 describe-traffic-mirror-sessions\n"
    "      --filters FILE      aws ec2 describe-traffic-mirror-filters (rules applied to\n"
    "                          the flow-log traffic; without it sessions mirror all)\n"
    "      --targets FILE      aws ec2 describe-traffic-mirror-targets\n"
    "      --db PATH           a store with flow logs (periscope flowlogs import): the\n"
    "                          traffic of each interface, scaled to a month\n"
    "\n"
    "Cost a month: session ENI-hours; mirrored bytes (after the filters and each\n"
    "session's PacketLength, plus 36 bytes of outer IPv4, UDP and VXLAN per packet)\n"
    "times the data-transfer price of the path to the target (same zone free, across\n"
    "zones or over cross-zone peering charged); NLB and GWLB endpoint hours and\n"
    "capacity units. Recommends a target in a zone when that is cheaper than sending\n"
    "across zones. Coverage gaps: interfaces without a session, interfaces AWS cannot\n"
    "mirror (Lambda, NAT gateway, endpoints, load balancers, unsupported instance\n"
    "types, IPv6-only subnets), quota breaches (sessions per interface, rules per\n"
    "filter, sources per interface target), traffic AWS never mirrors.\n"
    "\n"
    "Options:\n"
    "      --prices FILE       price file (default: aws/prices-us-east-1.json in the data\n"
    "                          directory " PS_DATADIR ", else in ../data\n"
    "                          from the binary's directory (a build in the source\n"
    "                          tree), else in ./data)\n"
    "      --instance-types FILE  instance-type lists (default:\n"
    "                          aws/mirror-instance-types.json, looked for the same way)\n"
    "      --hours N           hours in a month (default: the price file's, 730)\n"
    "      --target-hourly USD the hourly price of one more sensor instance, counted\n"
    "                          for interface targets and recommended new targets\n"
    "                          (default 0: not included)\n"
    "      --json              one JSON document instead of the report\n"
    "  -h, --help              this help\n"
    "\n"
    "The output names the version, date and source of the data files it used.\n"
    "Exit status: 0 on success, 1 on bad usage or an input that cannot be read.\n";

static int usage_err(const char *msg, const char *arg)
{
    fprintf(stderr, "periscope: %s%s%s\nTry 'periscope cost --help'.\n", msg, arg ? ": " : "",
            arg ? arg : "");
    return 1;
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

static int data_file(const char *given, const char *name, char *out, size_t outlen)
{
    if (given) {
        snprintf(out, outlen, "%s", given);
        return 0;
    }
    char tried[4096];
    if (ps_cost_find_data(name, tried, sizeof(tried)) != 0) {
        fprintf(stderr, "periscope: cost: %s not found (tried %s); give it with --%s\n", name,
                tried, strstr(name, "prices") ? "prices" : "instance-types");
        return -1;
    }
    snprintf(out, outlen, "%s", tried);
    return 0;
}

int ps_cmd_cost(int argc, char **argv)
{
    enum {
        O_IFS = 256,
        O_INST,
        O_SUB,
        O_SES,
        O_FLT,
        O_TGT,
        O_DB,
        O_PRICES,
        O_TYPES,
        O_HOURS,
        O_THOURLY,
        O_JSON
    };
    static const struct option lopts[] = {
        {"interfaces", required_argument, NULL, O_IFS},
        {"instances", required_argument, NULL, O_INST},
        {"subnets", required_argument, NULL, O_SUB},
        {"sessions", required_argument, NULL, O_SES},
        {"filters", required_argument, NULL, O_FLT},
        {"targets", required_argument, NULL, O_TGT},
        {"db", required_argument, NULL, O_DB},
        {"prices", required_argument, NULL, O_PRICES},
        {"instance-types", required_argument, NULL, O_TYPES},
        {"hours", required_argument, NULL, O_HOURS},
        {"target-hourly", required_argument, NULL, O_THOURLY},
        {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *in[6] = {NULL};
    const char *db = NULL, *prices = NULL, *types = NULL;
    struct ps_cost_opts o = {0, 0};
    bool json = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
        switch (ch) {
        case O_IFS:
        case O_INST:
        case O_SUB:
        case O_SES:
        case O_FLT:
        case O_TGT:
            in[ch - O_IFS] = optarg;
            break;
        case O_DB:
            db = optarg;
            break;
        case O_PRICES:
            prices = optarg;
            break;
        case O_TYPES:
            types = optarg;
            break;
        case O_HOURS:
            if (parse_num(optarg, 1, 100000, &o.hours) != 0)
                return usage_err("invalid --hours (1..100000)", optarg);
            break;
        case O_THOURLY:
            if (parse_num(optarg, 0, 10000, &o.target_hourly) != 0)
                return usage_err("invalid --target-hourly (0..10000)", optarg);
            break;
        case O_JSON:
            json = true;
            break;
        case 'h':
            fputs(usage_cost, stdout);
            return 0;
        default:
            return usage_err("bad option", NULL);
        }
    }
    if (optind < argc)
        return usage_err("unexpected argument", argv[optind]);
    if (!in[PS_IN_INTERFACES])
        return usage_err("--interfaces FILE is required (aws ec2 describe-network-interfaces)",
                         NULL);
    char err[1024];
    char ppath[4096], tpath[4096];
    static struct ps_cost_prices pr;
    static struct ps_cost_types ty;
    if (data_file(prices, "aws/prices-us-east-1.json", ppath, sizeof(ppath)) != 0 ||
        data_file(types, "aws/mirror-instance-types.json", tpath, sizeof(tpath)) != 0)
        return 1;
    if (ps_cost_prices_load(&pr, ppath, err, sizeof(err)) != 0 ||
        ps_cost_types_load(&ty, tpath, err, sizeof(err)) != 0) {
        fprintf(stderr, "periscope: %s\n", err);
        return 1;
    }
    struct ps_cost c;
    ps_cost_init(&c);
    int status = 0;
    for (int k = 0; k < 6 && !status; k++) {
        if (in[k] && ps_cost_add_file(&c, (enum ps_cost_input)k, in[k], err, sizeof(err)) != 0) {
            fprintf(stderr, "periscope: %s\n", err);
            status = 1;
        }
    }
    if (!status && db) {
        struct ps_store st;
        if (ps_store_open(&st, db, true, err, sizeof(err)) != 0 ||
            ps_cost_add_flowlogs(&c, &st, err, sizeof(err)) != 0) {
            fprintf(stderr, "periscope: %s%s%s\n", st.db ? db : "", st.db ? ": " : "", err);
            status = 1;
        }
        ps_store_close(&st);
    }
    if (!status) {
        ps_cost_compute(&c, &pr, &ty, &o);
        if (json)
            ps_cost_print_json(&c, &pr, &ty, stdout);
        else
            ps_cost_print_table(&c, &pr, &ty, stdout);
    }
    ps_cost_free(&c);
    return status;
}
