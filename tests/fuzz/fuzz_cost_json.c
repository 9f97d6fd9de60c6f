/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness: the JSON inputs of `periscope cost`. The first byte
 * picks which AWS CLI answer the rest is read as (interfaces, instances,
 * subnets, sessions, filters, targets, or a price or instance-type data
 * file); the estate is then priced and written out, so that odd values
 * reach the planner and both outputs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cost/cost.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A valid estate to combine the fuzzed input with. */
static const char ifs[] =
    "{\"NetworkInterfaces\":[{\"NetworkInterfaceId\":\"eni-1\",\"InterfaceType\":\"interface\","
    "\"AvailabilityZone\":\"us-east-1a\",\"SubnetId\":\"subnet-1\",\"VpcId\":\"vpc-1\","
    "\"PrivateIpAddress\":\"10.0.0.1\",\"Attachment\":{\"InstanceId\":\"i-1\"}},"
    "{\"NetworkInterfaceId\":\"eni-2\",\"AvailabilityZone\":\"us-east-1b\","
    "\"Description\":\"ELB net/n/1\",\"InterfaceType\":\"network_load_balancer\"}]}";
static const char ses[] =
    "{\"TrafficMirrorSessions\":[{\"TrafficMirrorSessionId\":\"tms-1\",\"NetworkInterfaceId\":"
    "\"eni-1\",\"TrafficMirrorTargetId\":\"tmt-1\",\"TrafficMirrorFilterId\":\"tmf-1\","
    "\"SessionNumber\":1,\"PacketLength\":64}]}";
static const char tgt[] =
    "{\"TrafficMirrorTargets\":[{\"TrafficMirrorTargetId\":\"tmt-1\",\"Type\":"
    "\"network-load-balancer\",\"NetworkLoadBalancerArn\":\"a:loadbalancer/net/n/1\"}]}";
static const char prices[] =
    "{\"version\":\"f\",\"source\":\"f\",\"date\":\"f\",\"hours_per_month\":730,\"bytes_per_gb\":"
    "1e9,"
    "\"prices\":{\"mirror_eni_hour\":{\"usd\":0.015},\"cross_az_out_gb\":{\"usd\":0.01},"
    "\"cross_az_in_gb\":{\"usd\":0.01},\"peering_same_az_gb\":{\"usd\":0},\"nlb_hour\":{\"usd\":0."
    "02,"
    "\"confirmed\":false},\"nlcu_hour\":{\"usd\":0.006},\"gwlb_hour\":{\"usd\":0.0125},"
    "\"glcu_hour\":{\"usd\":0.004},\"gwlbe_hour\":{\"usd\":0.01},\"gwlbe_gb\":{\"usd\":0.0035}}}";
static const char types[] =
    "{\"version\":\"f\",\"source\":\"f\",\"date\":\"f\",\"xen_supported\":[\"m4\"],\"not_"
    "supported\":"
    "[\"t2\"],\"nitro_excluded\":[\"m6i\"],\"nitro\":[\"c5\"],\"largest_sizes\":[\"c5.18xlarge\"],"
    "\"eni_target_sources\":10,\"eni_target_sources_largest\":100}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned which = data[0] % 8;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char err[512];
    static struct ps_cost_prices p;
    static struct ps_cost_types t;
    memset(&p, 0, sizeof(p));
    memset(&t, 0, sizeof(t));
    if (ps_cost_prices_parse(&p, prices, strlen(prices), err, sizeof(err)) != 0 ||
        ps_cost_types_parse(&t, types, strlen(types), err, sizeof(err)) != 0)
        abort();
    if (which == 6) {
        if (ps_cost_prices_parse(&p, text, len, err, sizeof(err)) != 0)
            return 0;
    } else if (which == 7) {
        if (ps_cost_types_parse(&t, text, len, err, sizeof(err)) != 0)
            return 0;
    }
    struct ps_cost c;
    ps_cost_init(&c);
    ps_cost_add_json(&c, PS_IN_INTERFACES, ifs, strlen(ifs), err, sizeof(err));
    ps_cost_add_json(&c, PS_IN_SESSIONS, ses, strlen(ses), err, sizeof(err));
    ps_cost_add_json(&c, PS_IN_TARGETS, tgt, strlen(tgt), err, sizeof(err));
    if (which < 6)
        ps_cost_add_json(&c, (enum ps_cost_input)which, text, len, err, sizeof(err));
    struct ps_cost_opts o = {0, 0.01};
    ps_cost_compute(&c, &p, &t, &o);
    FILE *out = fopen("/dev/null", "w");
    if (out) {
        ps_cost_print_table(&c, &p, &t, out);
        ps_cost_print_json(&c, &p, &t, out);
        fclose(out);
    }
    ps_cost_free(&c);
    return 0;
}
