/* SPDX-License-Identifier: BSD-2-Clause */
/* Ready reports over the flowlogs table, as SQL.
 * spec: docs/aws-mirroring.md s6.5 (traffic-path), s6.6 (pkt-* addresses) */
#include <string.h>

#include "flowlogs/flowlogs.h"

/* Services on which traffic is expected. A destination port neither here
 * nor in the ephemeral range (>= 32768, Linux's default start) nor a reply
 * (source port below 1024 or in this list) is "unusual". */
#define COMMON_PORTS                                                                          \
    "(20,21,22,23,25,53,67,68,80,88,110,111,123,135,137,138,139,143,161,162,179,389,443,445," \
    "465,514,587,636,853,873,993,995,1433,1521,2049,2379,2380,3128,3306,3389,5432,5439,5671," \
    "5672,6379,6443,8080,8443,9092,9200,9300,10250,11211,27017)"

/* The address of the ENI in a record: egress records come from it. */
#define LOCAL_ADDR "CASE flow_direction WHEN 'egress' THEN srcaddr ELSE dstaddr END"

/* Real destination: pkt-dstaddr when logged (through a NAT gateway the
 * ENI's dstaddr is the gateway's address). */
#define DST "coalesce(f.pkt_dstaddr, f.dstaddr)"

/* sensor-gap: a sensor flow s and a flow-log record f are the same
 * traffic when their keys agree - the protocol and the 5-tuple with the
 * lower (address, port) end first, so that either direction of a flow
 * matches (flow logs have one record per direction; the packet-level
 * addresses when logged; ICMP has no ports) - the interfaces agree where
 * both have one, and the times overlap. Flow-log start and end may lag the
 * packets by up to 60 s (s6.3), hence the slack. Only times both were
 * recording count: a sensor flow needs some flow-log record of its time,
 * a flow-log record some sensor flow of its time. The keys are compared
 * through SQLite's automatic index on the materialized CTE, the times
 * through the start index of flows and the block time ranges of flowlogs,
 * bounded by the longest record of each table. */
#define KEY_OF(a, b, sp, dp)                                                                       \
    "CASE WHEN protocol IN (1, 58) THEN protocol || ' ' || min(" a ", " b ") || ' ' || max(" a     \
    ", " b ") WHEN " a " < " b " OR (" a " = " b " AND coalesce(" sp ", 0) <= coalesce(" dp        \
    ", 0)) THEN protocol || ' ' || " a " || ' ' || coalesce(" sp ", 0) || ' ' || " b " || ' ' || " \
    "coalesce(" dp ", 0) ELSE protocol || ' ' || " b " || ' ' || coalesce(" dp ", 0) || ' ' || " a \
    " || ' ' || coalesce(" sp ", 0) END"
#define SAME_TIME "f.start <= s.\"end\" + 60 AND f.\"end\" >= s.start - 60"
#define SAME_FLOW              \
    "f.k = s.k AND " SAME_TIME \
    " AND (s.interface_id IS NULL OR f.interface_id IS NULL OR f.interface_id = s.interface_id)"

/* Traffic flow logs never record (s6.7): instance metadata and Amazon
 * Time Sync, over IPv4 and IPv6. */
#define NOT_LOGGED "('169.254.169.254', '169.254.169.123', 'fd00:ec2::254', 'fd00:ec2::123')"

static const struct ps_fl_report reports[] = {
    {"top-talkers", "address pairs by bytes: bytes, packets, records, destination ports",
     "SELECT srcaddr, dstaddr, sum(bytes) AS bytes, sum(packets) AS packets, count(*) AS records,"
     " count(DISTINCT dstport) AS dstports FROM flowlogs WHERE srcaddr IS NOT NULL"
     " GROUP BY srcaddr, dstaddr ORDER BY bytes DESC, records DESC, srcaddr, dstaddr"
     " LIMIT :limit",
     NULL, NULL},
    {"rejected", "REJECT records by source and destination port: records, packets, targets",
     "SELECT srcaddr, dstport, protocol, count(*) AS records, sum(packets) AS packets,"
     " count(DISTINCT dstaddr) AS targets, max(reject_reason) AS reject_reason,"
     " datetime(min(start), 'unixepoch') AS first, datetime(max(\"end\"), 'unixepoch') AS last"
     " FROM flowlogs WHERE action = 'REJECT'"
     " GROUP BY srcaddr, dstport, protocol ORDER BY records DESC, packets DESC, srcaddr, dstport"
     " LIMIT :limit",
     NULL, NULL},
    {"unusual-ports",
     "TCP/UDP destination ports that are neither common services nor ephemeral (< 32768)",
     "SELECT dstport, protocol, count(*) AS records, sum(bytes) AS bytes,"
     " count(DISTINCT srcaddr) AS sources, count(DISTINCT dstaddr) AS destinations,"
     " sum(action = 'ACCEPT') AS accepted, sum(action = 'REJECT') AS rejected"
     " FROM flowlogs WHERE protocol IN (6, 17) AND dstport < 32768 AND dstport NOT IN " COMMON_PORTS
     " AND srcport >= 1024 AND srcport NOT IN " COMMON_PORTS
     " GROUP BY dstport, protocol ORDER BY sources DESC, records DESC, dstport LIMIT :limit",
     NULL, NULL},
    {"exfil",
     "bytes out per interface to addresses outside the VPC (--vpc-cidr): exfiltration candidates",
     "SELECT f.interface_id, f.srcaddr, sum(f.bytes) AS bytes_out, sum(f.packets) AS packets,"
     " count(DISTINCT " DST ") AS destinations, count(*) AS records,"
     " datetime(min(f.start), 'unixepoch') AS first, datetime(max(f.\"end\"), 'unixepoch') AS last"
     " FROM flowlogs f WHERE (f.action IS NULL OR f.action = 'ACCEPT')"
     " AND (f.flow_direction IS NULL OR f.flow_direction = 'egress')"
     " AND in_vpc(f.srcaddr) AND NOT in_vpc(" DST ")"
     " GROUP BY f.interface_id, f.srcaddr ORDER BY bytes_out DESC, f.interface_id LIMIT :limit",
     NULL, NULL},
    {"cross-az", "egress bytes between availability zones (needs az-id and flow-direction)",
     "WITH local AS (SELECT addr, min(az_id) AS az_id FROM (SELECT " LOCAL_ADDR " AS addr, az_id"
     " FROM flowlogs WHERE az_id IS NOT NULL AND flow_direction IS NOT NULL) GROUP BY addr)"
     " SELECT f.az_id AS src_az, l.az_id AS dst_az, count(*) AS records, sum(f.bytes) AS bytes,"
     " count(DISTINCT f.interface_id) AS interfaces"
     " FROM flowlogs f JOIN local l ON l.addr = " DST
     " WHERE f.flow_direction = 'egress' AND f.az_id IS NOT NULL AND l.az_id <> f.az_id"
     " GROUP BY 1, 2 ORDER BY bytes DESC, 1, 2 LIMIT :limit",
     "SELECT count(*) FROM flowlogs WHERE az_id IS NOT NULL AND flow_direction IS NOT NULL",
     "no records with both az-id and flow-direction: use a custom format with both (version 5)"},
    {"inter-vpc",
     "egress bytes to other VPCs: peers seen in the data, or traffic-path 4/5 (VPC peering)",
     "WITH local AS (SELECT addr, min(vpc_id) AS vpc_id FROM (SELECT " LOCAL_ADDR " AS addr,"
     " vpc_id FROM flowlogs WHERE vpc_id IS NOT NULL AND flow_direction IS NOT NULL)"
     " GROUP BY addr)"
     " SELECT f.vpc_id AS src_vpc, coalesce(l.vpc_id, CASE f.traffic_path"
     " WHEN 4 THEN 'peering (intra-Region)' WHEN 5 THEN 'peering (inter-Region)' END) AS dst_vpc,"
     " count(*) AS records, sum(f.bytes) AS bytes, count(DISTINCT f.interface_id) AS interfaces"
     " FROM flowlogs f LEFT JOIN local l ON l.addr = " DST
     " WHERE f.flow_direction = 'egress' AND f.vpc_id IS NOT NULL"
     " AND ((l.vpc_id IS NOT NULL AND l.vpc_id <> f.vpc_id)"
     " OR (l.vpc_id IS NULL AND f.traffic_path IN (4, 5)))"
     " GROUP BY 1, 2 ORDER BY bytes DESC, 1, 2 LIMIT :limit",
     "SELECT count(*) FROM flowlogs WHERE vpc_id IS NOT NULL AND flow_direction IS NOT NULL",
     "no records with both vpc-id and flow-direction: use a custom format with both (version 5)"},
    {"sensor-gap",
     "sensor flows (table flows) no flow-log record shows, and flow-log records the sensor "
     "never saw",
     "WITH fl AS MATERIALIZED (SELECT interface_id, coalesce(pkt_srcaddr, srcaddr) AS srcaddr,"
     " srcport, coalesce(pkt_dstaddr, dstaddr) AS dstaddr, dstport, protocol, packets, bytes,"
     " start, \"end\", action, " KEY_OF(
         "coalesce(pkt_srcaddr, srcaddr)", "coalesce(pkt_dstaddr, dstaddr)", "srcport",
         "dstport") " AS k FROM flowlogs WHERE (log_status IS NULL OR log_status = 'OK') AND "
                    "srcaddr IS NOT NULL"
                    " AND dstaddr IS NOT NULL AND start IS NOT NULL AND \"end\" IS NOT NULL),"
                    " sf AS MATERIALIZED (SELECT *, " KEY_OF(
                        "srcaddr", "dstaddr", "srcport",
                        "dstport") " AS k FROM flows WHERE start IS NOT NULL AND \"end\" IS NOT "
                                   "NULL),"
                                   " fli AS MATERIALIZED (SELECT DISTINCT interface_id FROM "
                                   "flowlogs),"
                                   " w AS (SELECT (SELECT coalesce(max(\"end\" - start), 0) FROM "
                                   "flowlogs) AS fl_long,"
                                   " (SELECT coalesce(max(\"end\" - start), 0) FROM flows) AS "
                                   "s_long)"
                                   " SELECT 'sensor only' AS seen_by, s.interface_id, s.srcaddr, "
                                   "s.srcport, s.dstaddr,"
                                   " s.dstport, s.protocol, coalesce(s.packets, 0) + "
                                   "coalesce(s.packets_rev, 0) AS packets,"
                                   " coalesce(s.bytes, 0) + coalesce(s.bytes_rev, 0) AS bytes,"
                                   " datetime(s.start, 'unixepoch') AS first, datetime(s.\"end\", "
                                   "'unixepoch') AS last,"
                                   " CASE WHEN s.srcaddr IN " NOT_LOGGED
                                   " OR s.dstaddr IN " NOT_LOGGED
                                   " THEN 'flow logs never log metadata and time sync traffic'"
                                   " WHEN s.protocol = 17 AND (s.srcport IN (67, 68) OR s.dstport "
                                   "IN (67, 68)) THEN 'DHCP:"
                                   " flow logs never log it'"
                                   " WHEN s.srcport = 53 OR s.dstport = 53 THEN 'DNS: not logged "
                                   "when sent to the Amazon DNS"
                                   " server'"
                                   " WHEN s.interface_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                                   "fli WHERE"
                                   " interface_id = s.interface_id) THEN 'no flow-log records of "
                                   "this interface' END AS note"
                                   " FROM sf s, w WHERE EXISTS (SELECT 1 FROM flowlogs f WHERE "
                                   "f.start BETWEEN"
                                   " s.start - 60 - w.fl_long AND s.\"end\" + 60 AND f.\"end\" >= "
                                   "s.start - 60"
                                   " AND (f.log_status IS NULL OR f.log_status = 'OK'))"
                                   " AND NOT EXISTS (SELECT 1 FROM fl f WHERE " SAME_FLOW ")"
                                   " UNION ALL"
                                   " SELECT 'flow logs only', f.interface_id, f.srcaddr, "
                                   "f.srcport, f.dstaddr, f.dstport,"
                                   " f.protocol, sum(f.packets), sum(f.bytes), "
                                   "datetime(min(f.start), 'unixepoch'),"
                                   " datetime(max(f.\"end\"), 'unixepoch'),"
                                   " CASE WHEN f.action = 'REJECT' THEN 'rejected at the source: "
                                   "never mirrored'"
                                   " WHEN f.interface_id IS NOT NULL AND EXISTS (SELECT 1 FROM "
                                   "flows WHERE interface_id IS NOT"
                                   " NULL) AND NOT EXISTS (SELECT 1 FROM flows WHERE interface_id "
                                   "= f.interface_id)"
                                   " THEN 'the sensor has no flows of this interface' END"
                                   " FROM fl f, w WHERE EXISTS (SELECT 1 FROM flows s WHERE "
                                   "s.start BETWEEN"
                                   " f.start - 60 - w.s_long AND f.\"end\" + 60 AND s.\"end\" >= "
                                   "f.start - 60)"
                                   " AND NOT EXISTS (SELECT 1 FROM sf s WHERE " SAME_FLOW ")"
                                   " GROUP BY f.interface_id, f.srcaddr, f.srcport, f.dstaddr, "
                                   "f.dstport, f.protocol, f.action"
                                   " ORDER BY seen_by DESC, bytes DESC, srcaddr, srcport, dstaddr, "
                                   "dstport LIMIT :limit",
     "SELECT (SELECT count(*) FROM flows) > 0 AND (SELECT count(*) FROM flowlogs) > 0",
     "needs both sensor flows (periscope read --db or listen) and flow logs (periscope flowlogs "
     "import) in the same store"},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct ps_fl_report *ps_fl_reports(void)
{
    return reports;
}

const struct ps_fl_report *ps_fl_report_find(const char *name)
{
    for (const struct ps_fl_report *r = reports; r->name; r++) {
        if (strcmp(r->name, name) == 0)
            return r;
    }
    return NULL;
}
