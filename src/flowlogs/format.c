/* SPDX-License-Identifier: BSD-2-Clause */
/* Flow-log fields and formats: the field table, header lines, --format.
 * spec: docs/aws-mirroring.md s6.2, s6.3, s6.8 (header line) */
#include <stdio.h>
#include <string.h>

#include "flowlogs/flowlogs.h"

#define T   PS_FL_K_TEXT
#define I   PS_FL_K_INT
#define A   PS_FL_K_ADDR
#define I32 2147483647LL
#define I64 9223372036854775807LL

/* Numbers are bounded by what the field can hold: ports 16 bits, protocol
 * 8 bits, INT_32 and INT_64 as in AWS's Parquet types (s6.3). */
static const struct ps_fl_field_info fields[PS_FL_NFIELDS] = {
    [PS_FL_VERSION] = {"version", "version", 2, I, 255},
    [PS_FL_ACCOUNT_ID] = {"account-id", "account_id", 2, T, 0},
    [PS_FL_INTERFACE_ID] = {"interface-id", "interface_id", 2, T, 0},
    [PS_FL_SRCADDR] = {"srcaddr", "srcaddr", 2, A, 0},
    [PS_FL_DSTADDR] = {"dstaddr", "dstaddr", 2, A, 0},
    [PS_FL_SRCPORT] = {"srcport", "srcport", 2, I, 65535},
    [PS_FL_DSTPORT] = {"dstport", "dstport", 2, I, 65535},
    [PS_FL_PROTOCOL] = {"protocol", "protocol", 2, I, 255},
    [PS_FL_PACKETS] = {"packets", "packets", 2, I, I64},
    [PS_FL_BYTES] = {"bytes", "bytes", 2, I, I64},
    [PS_FL_START] = {"start", "start", 2, I, I64},
    [PS_FL_END] = {"end", "end", 2, I, I64},
    [PS_FL_ACTION] = {"action", "action", 2, T, 0},
    [PS_FL_LOG_STATUS] = {"log-status", "log_status", 2, T, 0},
    [PS_FL_VPC_ID] = {"vpc-id", "vpc_id", 3, T, 0},
    [PS_FL_SUBNET_ID] = {"subnet-id", "subnet_id", 3, T, 0},
    [PS_FL_INSTANCE_ID] = {"instance-id", "instance_id", 3, T, 0},
    [PS_FL_TCP_FLAGS] = {"tcp-flags", "tcp_flags", 3, I, I32},
    [PS_FL_TYPE] = {"type", "type", 3, T, 0},
    [PS_FL_PKT_SRCADDR] = {"pkt-srcaddr", "pkt_srcaddr", 3, A, 0},
    [PS_FL_PKT_DSTADDR] = {"pkt-dstaddr", "pkt_dstaddr", 3, A, 0},
    [PS_FL_REGION] = {"region", "region", 4, T, 0},
    [PS_FL_AZ_ID] = {"az-id", "az_id", 4, T, 0},
    [PS_FL_SUBLOCATION_TYPE] = {"sublocation-type", "sublocation_type", 4, T, 0},
    [PS_FL_SUBLOCATION_ID] = {"sublocation-id", "sublocation_id", 4, T, 0},
    [PS_FL_PKT_SRC_AWS_SERVICE] = {"pkt-src-aws-service", "pkt_src_aws_service", 5, T, 0},
    [PS_FL_PKT_DST_AWS_SERVICE] = {"pkt-dst-aws-service", "pkt_dst_aws_service", 5, T, 0},
    [PS_FL_FLOW_DIRECTION] = {"flow-direction", "flow_direction", 5, T, 0},
    [PS_FL_TRAFFIC_PATH] = {"traffic-path", "traffic_path", 5, I, I32},
    [PS_FL_ECS_CLUSTER_ARN] = {"ecs-cluster-arn", "ecs_cluster_arn", 7, T, 0},
    [PS_FL_ECS_CLUSTER_NAME] = {"ecs-cluster-name", "ecs_cluster_name", 7, T, 0},
    [PS_FL_ECS_CONTAINER_INSTANCE_ARN] = {"ecs-container-instance-arn",
                                          "ecs_container_instance_arn", 7, T, 0},
    [PS_FL_ECS_CONTAINER_INSTANCE_ID] = {"ecs-container-instance-id", "ecs_container_instance_id",
                                         7, T, 0},
    [PS_FL_ECS_CONTAINER_ID] = {"ecs-container-id", "ecs_container_id", 7, T, 0},
    [PS_FL_ECS_SECOND_CONTAINER_ID] = {"ecs-second-container-id", "ecs_second_container_id", 7, T,
                                       0},
    [PS_FL_ECS_SERVICE_NAME] = {"ecs-service-name", "ecs_service_name", 7, T, 0},
    [PS_FL_ECS_TASK_DEFINITION_ARN] = {"ecs-task-definition-arn", "ecs_task_definition_arn", 7, T,
                                       0},
    [PS_FL_ECS_TASK_ARN] = {"ecs-task-arn", "ecs_task_arn", 7, T, 0},
    [PS_FL_ECS_TASK_ID] = {"ecs-task-id", "ecs_task_id", 7, T, 0},
    [PS_FL_REJECT_REASON] = {"reject-reason", "reject_reason", 8, T, 0},
    /* Newer fields whose version AWS's pages do not state (s6.3, s10). */
    [PS_FL_RESOURCE_ID] = {"resource-id", "resource_id", 0, T, 0},
    [PS_FL_ENCRYPTION_STATUS] = {"encryption-status", "encryption_status", 0, I, I32},
};

const struct ps_fl_field_info *ps_fl_field(int id)
{
    return &fields[id];
}

int ps_fl_field_lookup(const char *s, size_t n)
{
    for (int i = 0; i < PS_FL_NFIELDS; i++) {
        if (strlen(fields[i].name) == n && memcmp(fields[i].name, s, n) == 0)
            return i;
    }
    return PS_FL_UNKNOWN;
}

void ps_fl_format_default(struct ps_fl_format *f)
{
    static const char v2[] = "version account-id interface-id srcaddr dstaddr srcport dstport "
                             "protocol packets bytes start end action log-status";
    char err[8];
    ps_fl_format_parse(f, v2, sizeof(v2) - 1, err, sizeof(err));
}

static bool is_sep(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A field name: [a-z][a-z0-9-]*, at most PS_FL_MAX_NAME - 1 bytes. */
static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= PS_FL_MAX_NAME || s[0] < 'a' || s[0] > 'z')
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

/* Strip "${" and "}" around a token. */
static void unwrap(const char **s, size_t *n)
{
    if (*n >= 3 && (*s)[0] == '$' && (*s)[1] == '{' && (*s)[*n - 1] == '}') {
        *s += 2;
        *n -= 3;
    }
}

/* The next field name of a format or header line from *i on, unwrapped
 * from ${...}; false at the end. */
static bool next_field_name(const char *s, size_t n, size_t *i, const char **tok, size_t *len)
{
    while (*i < n && is_sep(s[*i]))
        (*i)++;
    if (*i >= n)
        return false;
    size_t b = *i;
    while (*i < n && !is_sep(s[*i]))
        (*i)++;
    *tok = s + b;
    *len = *i - b;
    unwrap(tok, len);
    return true;
}

int ps_fl_format_parse(struct ps_fl_format *f, const char *s, size_t n, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    for (int i = 0; i < PS_FL_NFIELDS; i++)
        f->col_of[i] = -1;
    size_t i = 0, names_used = 0;
    while (i < n) {
        const char *tok;
        size_t len;
        if (!next_field_name(s, n, &i, &tok, &len))
            break;
        if (!name_ok(tok, len)) {
            snprintf(err, errlen, "bad field name '%.*s'", (int)(len > 64 ? 64 : len), tok);
            return -1;
        }
        if (f->ncols >= PS_FL_MAX_COLS) {
            snprintf(err, errlen, "more than %d fields", PS_FL_MAX_COLS);
            return -1;
        }
        int id = ps_fl_field_lookup(tok, len);
        int c = f->ncols++;
        f->field[c] = (int16_t)id;
        f->kind[c] = id != PS_FL_UNKNOWN ? ps_fl_field(id)->kind : PS_FL_K_TEXT;
        f->max[c] = id != PS_FL_UNKNOWN ? ps_fl_field(id)->max : 0;
        if (id != PS_FL_UNKNOWN) {
            if (f->col_of[id] >= 0) {
                snprintf(err, errlen, "field '%.*s' given twice", (int)len, tok);
                return -1;
            }
            f->col_of[id] = (int16_t)c;
            continue;
        }
        for (int k = 0; k < c; k++) {
            if (f->field[k] == PS_FL_UNKNOWN && f->name_len[k] == len &&
                memcmp(f->names + f->name_off[k], tok, len) == 0) {
                snprintf(err, errlen, "field '%.*s' given twice", (int)len, tok);
                return -1;
            }
        }
        memcpy(f->names + names_used, tok, len);
        f->name_off[c] = (uint16_t)names_used;
        f->name_len[c] = (uint8_t)len;
        names_used += len;
        f->nunknown++;
    }
    if (f->ncols == 0) {
        snprintf(err, errlen, "no fields");
        return -1;
    }
    return 0;
}

bool ps_fl_is_header(const char *s, size_t n)
{
    int ntok = 0, known = 0;
    size_t i = 0;
    while (i < n) {
        const char *tok;
        size_t len;
        if (!next_field_name(s, n, &i, &tok, &len))
            break;
        if (!name_ok(tok, len))
            return false;
        ntok++;
        if (ps_fl_field_lookup(tok, len) != PS_FL_UNKNOWN)
            known++;
    }
    return ntok > 0 && ntok <= PS_FL_MAX_COLS && known * 2 >= ntok;
}
