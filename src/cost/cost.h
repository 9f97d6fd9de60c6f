/* SPDX-License-Identifier: BSD-2-Clause */
/* The mirroring cost and coverage planner behind `periscope cost`: reads
 * the JSON the AWS CLI prints (describe-network-interfaces, -instances,
 * -subnets, -traffic-mirror-sessions, -filters, -targets), flow-log volumes
 * from the store, and the versioned price and instance-type data files;
 * says per interface whether AWS can mirror it, what mirroring costs a
 * month, and what it misses. Configuration-time code: it allocates.
 * spec: docs/aws-mirroring.md s1.7 (never mirrored), s1.8 (sessions), s2
 * (filters), s3 (targets, quotas), s4 (instance types), s5 (prices) */
#ifndef PS_COST_COST_H
#define PS_COST_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

/* Where `make install` puts the data files (data/ of the source tree). */
#ifndef PS_DATADIR
#define PS_DATADIR "/usr/local/share/periscope"
#endif

#define PS_COST_ID      96  /* bytes of an id, ARN or type name */
#define PS_COST_TEXT    200 /* bytes of a description */
#define PS_COST_MSG     512 /* bytes of a reason or an alternative */
#define PS_COST_MAX_IPS 16  /* private addresses kept per interface */
#define PS_COST_MAX_SES 8   /* sessions kept per interface (more are counted) */
#define PS_COST_MAX_RUL 32  /* rules kept per filter (more are counted) */
#define PS_COST_MAX_AZS 16  /* zones of a load balancer */
#define PS_COST_MAX_LST 256 /* names in one list of the instance-type file */

/* One price of the price file. */
struct ps_cost_price {
    double usd;
    bool confirmed; /* false: the data file marks it as not confirmed */
};

enum ps_cost_price_id {
    PS_P_MIRROR_ENI_HOUR,
    PS_P_CROSS_AZ_OUT_GB,
    PS_P_CROSS_AZ_IN_GB,
    PS_P_PEERING_SAME_AZ_GB,
    PS_P_NLB_HOUR,
    PS_P_NLCU_HOUR,
    PS_P_GWLB_HOUR,
    PS_P_GLCU_HOUR,
    PS_P_GWLBE_HOUR,
    PS_P_GWLBE_GB,
    PS_P__COUNT
};

/* The names of the prices in the file ("mirror_eni_hour"...). */
extern const char *const ps_cost_price_names[PS_P__COUNT];

/* A versioned data file: where it came from. */
struct ps_cost_datafile {
    char path[4096];
    char version[64];
    char source[512];
    char date[32];
};

struct ps_cost_prices {
    struct ps_cost_datafile file;
    char region[32];
    char currency[8];
    double hours_per_month;
    double bytes_per_gb;
    struct ps_cost_price p[PS_P__COUNT];
};

struct ps_cost_namelist {
    int n;
    char name[PS_COST_MAX_LST][32];
};

struct ps_cost_types {
    struct ps_cost_datafile file;
    struct ps_cost_namelist xen_supported, not_supported, nitro_excluded, nitro, largest;
    int eni_target_sources;         /* sources per ENI target, most sizes */
    int eni_target_sources_largest; /* for the sizes in `largest` */
};

/* Load a price file or an instance-type file. Returns 0, or -1 with err
 * naming the file and the missing or bad member. */
int ps_cost_prices_load(struct ps_cost_prices *p, const char *path, char *err, size_t errlen);
int ps_cost_types_load(struct ps_cost_types *t, const char *path, char *err, size_t errlen);
int ps_cost_prices_parse(struct ps_cost_prices *p, const char *text, size_t len, char *err,
                         size_t errlen);
int ps_cost_types_parse(struct ps_cost_types *t, const char *text, size_t len, char *err,
                        size_t errlen);

/* Find data file `name` ("aws/prices-us-east-1.json"): in the compiled-in
 * data directory (PS_DATADIR), then in data/ next to the executable's
 * parent directory (a build in the source tree), then in ./data. Writes
 * the path found to out and returns 0, or -1 (out lists the places
 * tried). */
int ps_cost_find_data(const char *name, char *out, size_t outlen);

/* ---- the estate, as the AWS CLI describes it ---- */

enum ps_cost_elig {
    PS_ELIG_YES,     /* AWS can mirror it */
    PS_ELIG_NO,      /* AWS cannot mirror it: reason says why */
    PS_ELIG_UNKNOWN, /* not decidable from the inputs (instance type unknown) */
};

struct ps_cost_iface {
    char id[PS_COST_ID];
    char type[PS_COST_ID]; /* InterfaceType */
    char desc[PS_COST_TEXT];
    char requester[PS_COST_ID];
    bool requester_managed;
    char az[PS_COST_ID];
    char subnet[PS_COST_ID];
    char vpc[PS_COST_ID];
    char instance_id[PS_COST_ID];
    char instance_type[PS_COST_ID];
    int nips;
    uint8_t ips[PS_COST_MAX_IPS][16];
    /* results */
    enum ps_cost_elig elig;
    char reason[PS_COST_MSG];
    char alternative[PS_COST_MSG];
    char kind[32]; /* what it is: instance, lambda, nat-gateway, ... */
    int nsessions; /* all sessions with this source */
    int ses[PS_COST_MAX_SES];
    bool is_target;               /* the ENI of a mirror target */
    double fl_bytes, fl_packets;  /* flow-log totals (ACCEPT), observed */
    double rej_bytes;             /* REJECT records: never mirrored, observed */
    double obs_mirrored;          /* observed bytes the sessions mirror, + encapsulation */
    double obs_plan;              /* observed bytes + encapsulation, no filter */
    double month_bytes;           /* fl_bytes scaled to a month */
    double mirrored_bytes;        /* a month, after filters and truncation, + encapsulation */
    double plan_bytes;            /* a month, all traffic untruncated + encapsulation */
    double usd_eni, usd_transfer; /* a month: session ENI-hours, data transfer */
    double usd_processing;        /* a month: per-GB load balancer charges */
    double usd_total;             /* the three above */
    double usd_if_mirrored;       /* no session yet: same-AZ target, no filter */
};

struct ps_cost_rule {
    int number;
    bool egress;
    bool accept;
    int proto; /* -1: any (Protocol omitted) */
    struct ps_cidr src, dst;
    bool has_src, has_dst;
    bool has_sport, has_dport;
    uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
};

struct ps_cost_filter {
    char id[PS_COST_ID];
    int nrules; /* rules in the file, both directions */
    int ningress, negress;
    int nkept;
    struct ps_cost_rule rule[PS_COST_MAX_RUL]; /* in evaluation order */
    bool amazon_dns;
};

enum ps_cost_tkind { PS_T_ENI, PS_T_NLB, PS_T_GWLBE, PS_T_UNKNOWN };

struct ps_cost_target {
    char id[PS_COST_ID];
    enum ps_cost_tkind kind;
    char ref[PS_COST_TEXT]; /* ENI id, NLB ARN or endpoint id */
    int naz;
    char az[PS_COST_MAX_AZS][PS_COST_ID]; /* zones it has a node in (known from the ENIs) */
    char vpc[PS_COST_ID];
    char instance_type[PS_COST_ID]; /* ENI target: the sensor's type, if known */
    int nsources;                   /* distinct source interfaces */
    int max_sources;                /* ENI target quota; 0: no limit */
    double mirrored_bytes;          /* a month */
    double usd_fixed;               /* hourly charges a month */
    double usd_processing;          /* per-GB charges a month */
};

struct ps_cost_session {
    char id[PS_COST_ID];
    char eni[PS_COST_ID];
    char target[PS_COST_ID];
    char filter[PS_COST_ID];
    int number;
    int packet_length;     /* 0: whole packet */
    long vni;              /* -1: not given */
    int iface, tgt, flt;   /* indexes, -1 when unknown */
    double obs_bytes;      /* observed bytes it mirrors, + encapsulation */
    double mirrored_bytes; /* a month */
    double usd_transfer;
    const char *path; /* "same-az", "cross-az", "peering-same-az", "peering-cross-az", "unknown" */
};

struct ps_cost_gap {
    char kind[32];
    char subject[PS_COST_ID];
    char detail[3 * PS_COST_MSG];
};

struct ps_cost_reco {
    char az[PS_COST_ID];
    int interfaces;
    double cross_az_gb;
    double cross_az_usd;
    double new_target_usd;
    double saving_usd;
};

struct ps_cost_opts {
    double hours;         /* hours in the month (0: the price file's) */
    double target_hourly; /* USD/h of one more sensor instance, for the recommendation */
};

/* The whole model. Arrays grow with the inputs (malloc). */
struct ps_cost {
    struct ps_cost_iface *ifs;
    int nifs, capifs;
    struct ps_cost_session *ses;
    int nses, capses;
    struct ps_cost_filter *flt;
    int nflt, capflt;
    struct ps_cost_target *tgt;
    int ntgt, captgt;
    struct ps_cost_gap *gaps;
    int ngaps, capgaps;
    struct ps_cost_reco *reco;
    int nreco, capreco;
    /* instance id -> type, subnet id -> (ipv6-only, az) */
    struct ps_cost_inst {
        char id[PS_COST_ID];
        char type[PS_COST_ID];
    } * inst;
    int ninst, capinst;
    struct ps_cost_subnet {
        char id[PS_COST_ID];
        char az[PS_COST_ID];
        char vpc[PS_COST_ID];
        bool ipv6_only;
    } * sub;
    int nsub, capsub;
    bool have_instances, have_sessions, have_filters, have_targets, have_subnets;
    /* flow logs */
    bool have_flowlogs;
    double fl_span_s;  /* seconds the records cover */
    double fl_records; /* records used */
    double fl_unknown; /* records of interfaces not in the inputs */
    /* totals, a month */
    double hours;
    double usd_eni, usd_transfer, usd_processing, usd_targets, usd_total;
    double usd_if_all_mirrored; /* current + every mirrorable interface without a session */
    double mirrored_gb;
};

void ps_cost_init(struct ps_cost *c);
void ps_cost_free(struct ps_cost *c);

/* Which AWS CLI answer a file is. */
enum ps_cost_input {
    PS_IN_INTERFACES,
    PS_IN_INSTANCES,
    PS_IN_SUBNETS,
    PS_IN_SESSIONS,
    PS_IN_FILTERS,
    PS_IN_TARGETS,
};

/* Add the answer text[0..len) of kind `in` to the model. Unknown members
 * are ignored; a missing top-level array is an error (the wrong file).
 * Returns 0, or -1 with err. */
int ps_cost_add_json(struct ps_cost *c, enum ps_cost_input in, const char *text, size_t len,
                     char *err, size_t errlen);
int ps_cost_add_file(struct ps_cost *c, enum ps_cost_input in, const char *path, char *err,
                     size_t errlen);

/* Read flow-log volumes per interface from an open store (table
 * flowlogs). Returns 0, or -1 with err. */
int ps_cost_add_flowlogs(struct ps_cost *c, struct ps_store *st, char *err, size_t errlen);

/* Decide eligibility, evaluate the filters over the flow logs, price
 * everything, list the gaps and the recommendations. */
void ps_cost_compute(struct ps_cost *c, const struct ps_cost_prices *p,
                     const struct ps_cost_types *t, const struct ps_cost_opts *o);

/* Output: a readable report, or one JSON document. */
void ps_cost_print_table(const struct ps_cost *c, const struct ps_cost_prices *p,
                         const struct ps_cost_types *t, FILE *out);
void ps_cost_print_json(const struct ps_cost *c, const struct ps_cost_prices *p,
                        const struct ps_cost_types *t, FILE *out);

#endif
