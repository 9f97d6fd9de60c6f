/* SPDX-License-Identifier: BSD-2-Clause */
/* EVE JSON `flow` and `stats` events, in Suricata's field names where
 * Suricata has the field, plus the `mirror` object (docs/events.md). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>

#include "output/clickhouse.h"
#include "output/db.h"
#include "app/applayer.h"
#include "app/visibility.h"
#include "output/output.h"

void ps_out_init(struct ps_out *o)
{
    memset(o, 0, sizeof(*o) - sizeof(o->buf));
    ps_json_init(&o->j, o->buf, sizeof(o->buf) - 1);
}

const char *ps_proto_name(uint8_t proto, char out[8])
{
    switch (proto) {
    case 1:
        return "ICMP";
    case 6:
        return "TCP";
    case 17:
        return "UDP";
    case 47:
        return "GRE";
    case 50:
        return "ESP";
    case 51:
        return "AH";
    case 58:
        return "IPv6-ICMP";
    case 132:
        return "SCTP";
    default:
        snprintf(out, 8, "%u", proto);
        return out;
    }
}

const char *ps_addr_str(uint8_t ver, const uint8_t *a, char out[46])
{
    if (ver == 6) {
        if (!inet_ntop(AF_INET6, a, out, 46))
            out[0] = 0;
        return out;
    }
    /* Dotted quad by hand: glibc's inet_ntop goes through sprintf. */
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        if (i)
            out[n++] = '.';
        n += ps_fmt_u64(out + n, a[i]);
    }
    out[n] = 0;
    return out;
}

/* Every finished EVE record ends here: the EVE file f (NULL: none) and the
 * ClickHouse sink, which takes the record as it is (clickhouse.h). */
static void write_line(struct ps_out *o, FILE *f)
{
    if (o->j.overflow) {
        o->overflow++;
        return;
    }
    if (o->ch)
        ps_ch_record(o->ch, o->j.buf, o->j.len);
    if (!f)
        return;
    o->j.buf[o->j.len] = '\n';
    fwrite(o->j.buf, 1, o->j.len + 1, f);
    o->eve_records++;
}

void ps_out_write(struct ps_out *o)
{
    write_line(o, o->eve);
}

static void hex64(char out[17], uint64_t v)
{
    snprintf(out, 17, "%016" PRIx64, v);
}

void ps_out_mirror(struct ps_out *o, const struct ps_mirror *m, const struct ps_flow *f,
                   const struct ps_session *reply)
{
    struct ps_json *j = &o->j;
    char a[46], h[17];
    ps_json_obj_begin(j, "mirror");
    ps_json_ascii(j, "encap", ps_encap_name(m->encap));
    if (m->encap != PS_ENCAP_NONE) {
        if (m->has_vni)
            ps_json_u64(j, "vni", m->vni);
        if (m->has_erspan_id)
            ps_json_u64(j, "erspan_id", m->erspan_id);
        if (m->outer_ver) {
            /* Most flows come through one session: format its addresses once. */
            if (o->mc_ver != m->outer_ver || memcmp(o->mc_src, m->src, 16) != 0 ||
                memcmp(o->mc_dst, m->dst, 16) != 0) {
                o->mc_ver = m->outer_ver;
                memcpy(o->mc_src, m->src, 16);
                memcpy(o->mc_dst, m->dst, 16);
                ps_addr_str(m->outer_ver, m->src, o->mc_src_s);
                ps_addr_str(m->outer_ver, m->dst, o->mc_dst_s);
            }
            ps_json_ascii(j, "source", o->mc_src_s);
            ps_json_ascii(j, "dest", o->mc_dst_s);
        }
        if (m->has_gwlb) {
            hex64(h, m->gwlb_endpoint);
            ps_json_ascii(j, "gwlb_endpoint", h);
            hex64(h, m->gwlb_attachment);
            ps_json_ascii(j, "gwlb_attachment", h);
            if (f && f->has_cookie) {
                snprintf(h, sizeof(h), "%08" PRIx32, f->flow_cookie);
                ps_json_ascii(j, "flow_cookie", h);
            }
        }
        if (reply && reply->m.outer_ver &&
            (memcmp(reply->m.src, m->src, 16) != 0 || reply->m.vni != m->vni))
            ps_json_ascii(j, "reply_source", ps_addr_str(reply->m.outer_ver, reply->m.src, a));
    }
    ps_json_obj_end(j);
}

static void tcp_flags_hex(char out[3], uint8_t v)
{
    static const char hex[] = "0123456789abcdef";
    out[0] = hex[v >> 4];
    out[1] = hex[v & 15];
    out[2] = 0;
}

static const char *state_name(const struct ps_flow *f)
{
    switch (f->tclass) {
    case PS_TC_TCP_NEW:
        return "new";
    case PS_TC_TCP_CLOSED:
        return "closed";
    case PS_TC_TCP_EST:
        return "established";
    default:
        return f->pkts[0] && f->pkts[1] ? "established" : "new";
    }
}

void ps_out_flow_mirror(struct ps_out *o, const struct ps_flow *f)
{
    const struct ps_session *s0 = o->sessions ? ps_session_get(o->sessions, f->sess[0]) : NULL;
    const struct ps_session *s1 = o->sessions ? ps_session_get(o->sessions, f->sess[1]) : NULL;
    if (s0)
        ps_out_mirror(o, &s0->m, f, s1);
    else if (s1)
        ps_out_mirror(o, &s1->m, f, NULL);
    else {
        struct ps_mirror none;
        memset(&none, 0, sizeof(none));
        ps_out_mirror(o, &none, f, NULL);
    }
}

void ps_out_flow_visibility(struct ps_json *j, const struct ps_flow *f)
{
    unsigned fl = ps_vis_flags(f);
    ps_json_obj_begin(j, "visibility");
    ps_json_ascii(j, "class", ps_vis_class_name(ps_vis_class(f)));
    ps_json_arr_begin(j, "flags");
    for (unsigned i = 0; i < PS_VIS_F__COUNT; i++)
        if (fl & (1u << i))
            ps_json_ascii(j, NULL, ps_vis_flag_name(i));
    ps_json_arr_end(j);
    ps_json_obj_end(j);
}

void ps_out_flow_end(void *ctx, const struct ps_flow *f, enum ps_flow_end why)
{
    struct ps_out *o = ctx;
    if (!o->eve && !o->db && !o->ch)
        return;
    struct ps_json *j = &o->j;
    const struct ps_flow_key *k = &f->key;
    const uint8_t *src = f->init_is_lo ? k->lo : k->hi;
    const uint8_t *dst = f->init_is_lo ? k->hi : k->lo;
    uint16_t sp = f->init_is_lo ? k->plo : k->phi;
    uint16_t dp = f->init_is_lo ? k->phi : k->plo;
    char ts[32], a[46], pn[8], fl[3];

    ps_json_reset(j);
    ps_json_obj_begin(j, NULL);
    ps_json_time(ts, f->last_us);
    ps_json_ascii(j, "timestamp", ts);
    ps_json_u64(j, "flow_id", f->id);
    ps_json_ascii(j, "event_type", "flow");
    if (k->nvlan) {
        ps_json_arr_begin(j, "vlan");
        for (int i = 0; i < k->nvlan; i++)
            ps_json_u64(j, NULL, k->vlan[i]);
        ps_json_arr_end(j);
    }
    bool ports = k->proto == 6 || k->proto == 17 || k->proto == 132;
    ps_json_ascii(j, "src_ip", ps_addr_str(k->ipver, src, a));
    if (ports)
        ps_json_u64(j, "src_port", sp);
    ps_json_ascii(j, "dest_ip", ps_addr_str(k->ipver, dst, a));
    if (ports)
        ps_json_u64(j, "dest_port", dp);
    ps_json_ascii(j, "proto", ps_proto_name(k->proto, pn));
    if (k->proto == 1 || k->proto == 58) {
        ps_json_u64(j, "icmp_type", f->icmp_type);
        ps_json_u64(j, "icmp_code", f->icmp_code);
    }

    const char *ap = ps_app_proto_name(f->app_proto);
    if (ap)
        ps_json_ascii(j, "app_proto", ap);
    const struct ps_session *s0 = o->sessions ? ps_session_get(o->sessions, f->sess[0]) : NULL;
    const struct ps_session *s1 = o->sessions ? ps_session_get(o->sessions, f->sess[1]) : NULL;
    ps_out_flow_mirror(o, f);
    ps_out_flow_visibility(j, f);

    ps_json_obj_begin(j, "flow");
    ps_json_u64(j, "pkts_toserver", f->pkts[0]);
    ps_json_u64(j, "pkts_toclient", f->pkts[1]);
    ps_json_u64(j, "bytes_toserver", f->bytes[0]);
    ps_json_u64(j, "bytes_toclient", f->bytes[1]);
    ps_json_time(ts, f->first_us);
    ps_json_ascii(j, "start", ts);
    ps_json_time(ts, f->last_us);
    ps_json_ascii(j, "end", ts);
    ps_json_u64(j, "age", (f->last_us - f->first_us) / 1000000);
    ps_json_ascii(j, "state", state_name(f));
    ps_json_ascii(j, "reason", ps_flow_end_name(why));
    ps_json_bool(j, "alerted", false);
    ps_json_u64(j, "pkts_truncated", f->trunc_pkts);
    ps_json_u64(j, "pkts_duplicated", f->dup_pkts);
    ps_json_obj_end(j);

    if (k->proto == 6) {
        uint8_t all = f->flags[0] | f->flags[1];
        ps_json_obj_begin(j, "tcp");
        tcp_flags_hex(fl, all);
        ps_json_ascii(j, "tcp_flags", fl);
        tcp_flags_hex(fl, f->flags[0]);
        ps_json_ascii(j, "tcp_flags_ts", fl);
        tcp_flags_hex(fl, f->flags[1]);
        ps_json_ascii(j, "tcp_flags_tc", fl);
        ps_json_u64(j, "missing_bytes_toserver", f->missing[0]);
        ps_json_u64(j, "missing_bytes_toclient", f->missing[1]);
        static const struct {
            uint8_t bit;
            const char *name;
        } names[] = {{PS_TH_SYN, "syn"}, {PS_TH_FIN, "fin"}, {PS_TH_RST, "rst"},
                     {PS_TH_PSH, "psh"}, {PS_TH_ACK, "ack"}, {PS_TH_URG, "urg"},
                     {PS_TH_ECE, "ecn"}, {PS_TH_CWR, "cwr"}};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (all & names[i].bit)
                ps_json_bool(j, names[i].name, true);
        ps_json_obj_end(j);
    }
    ps_json_obj_end(j);
    write_line(o, o->eve);
    if (o->db && !j->overflow) {
        const char *eni = s0 && s0->m.has_vni ? ps_eni_lookup(o->eni, s0->m.vni) : NULL;
        ps_dbsink_flow(o->db, f, why, s0 ? s0 : s1, eni, j->buf, j->len);
    }
}

void ps_out_stats(struct ps_out *o, uint64_t ts_us, const struct ps_counters *c,
                  uint64_t active_flows)
{
    if (!o->eve && !o->ch)
        return;
    struct ps_json *j = &o->j;
    char ts[32];
    ps_json_reset(j);
    ps_json_obj_begin(j, NULL);
    ps_json_time(ts, ts_us);
    ps_json_ascii(j, "timestamp", ts);
    ps_json_ascii(j, "event_type", "stats");
    ps_json_obj_begin(j, "stats");

    /* Groups by the first component of the dotted name, in table order. */
    char group[32] = "";
    for (int i = 0; i < PS_C__COUNT; i++) {
        if (!o->ch && i >= PS_C_CH_ROWS_SENT && i <= PS_C_CH_DROP_SHUTDOWN)
            continue; /* the clickhouse object only with --clickhouse */
        const char *name = ps_counter_table[i].name;
        const char *dot = strchr(name, '.');
        size_t gl = (size_t)(dot - name);
        if (strlen(group) != gl || strncmp(group, name, gl) != 0) {
            if (group[0])
                ps_json_obj_end(j);
            snprintf(group, sizeof(group), "%.*s", (int)gl, name);
            ps_json_obj_begin(j, group);
            if (strcmp(group, "flow") == 0)
                ps_json_u64(j, "active", active_flows);
        }
        ps_json_u64(j, dot + 1, c->v[i]);
        if (i == PS_C_PKTS_DECODED)
            ps_json_u64(j, "dropped", ps_counters_dropped(c));
    }
    if (group[0])
        ps_json_obj_end(j);

    if (o->sessions) {
        ps_json_arr_begin(j, "mirror_sessions");
        for (uint32_t i = 0; i < o->sessions->cap; i++) {
            const struct ps_session *s = &o->sessions->s[i];
            if (!s->used)
                continue;
            ps_json_obj_begin(j, NULL);
            ps_out_mirror(o, &s->m, NULL, NULL);
            ps_json_u64(j, "pkts", s->pkts);
            ps_json_u64(j, "bytes", s->bytes);
            ps_json_u64(j, "truncated", s->truncated);
            ps_json_u64(j, "flows", s->flows);
            ps_json_obj_end(j);
        }
        ps_json_arr_end(j);
    }
    ps_json_obj_end(j);
    ps_json_obj_end(j);
    write_line(o, o->eve);
}

/* Common head of packet-derived events: time, type, addresses, mirror. */
static void event_head(struct ps_out *o, const char *type, uint64_t ts, uint8_t ver, uint8_t proto,
                       const uint8_t *src, const uint8_t *dst, bool ports, uint16_t sp, uint16_t dp,
                       const struct ps_mirror *m)
{
    struct ps_json *j = &o->j;
    char ts_s[32], a[46], pn[8];
    ps_json_reset(j);
    ps_json_obj_begin(j, NULL);
    ps_json_time(ts_s, ts);
    ps_json_ascii(j, "timestamp", ts_s);
    ps_json_ascii(j, "event_type", type);
    if (ver) {
        ps_json_ascii(j, "src_ip", ps_addr_str(ver, src, a));
        if (ports)
            ps_json_u64(j, "src_port", sp);
        ps_json_ascii(j, "dest_ip", ps_addr_str(ver, dst, a));
        if (ports)
            ps_json_u64(j, "dest_port", dp);
        ps_json_ascii(j, "proto", ps_proto_name(proto, pn));
    }
    ps_out_mirror(o, m, NULL, NULL);
}

void ps_out_alert(void *ctx, const struct ps_alert *al)
{
    struct ps_out *o = ctx;
    if (!o->eve && !o->db && !o->ch)
        return;
    const struct ps_sig_info *si = &ps_sig_table[al->sig];
    struct ps_json *j = &o->j;
    event_head(o, "alert", al->ts_us, al->ipver, al->proto, al->src, al->dst, al->has_ports,
               al->sport, al->dport, &al->m);
    ps_json_obj_begin(j, "alert");
    ps_json_ascii(j, "action", "allowed");
    ps_json_u64(j, "gid", 1);
    ps_json_u64(j, "signature_id", si->sid);
    ps_json_u64(j, "rev", 1);
    ps_json_ascii(j, "signature", si->msg);
    ps_json_ascii(j, "category", "Packet-level attack");
    ps_json_u64(j, "severity", si->severity);
    ps_json_ascii(j, "detector", si->detector);
    ps_json_obj_begin(j, "evidence");
    for (uint32_t i = 0; i < al->ev.n; i++) {
        if (al->ev.v[i].is_str)
            ps_json_str(j, al->ev.v[i].key, al->ev.v[i].str);
        else
            ps_json_u64(j, al->ev.v[i].key, al->ev.v[i].num);
    }
    ps_json_obj_end(j);
    ps_json_obj_end(j);
    ps_json_obj_end(j);
    write_line(o, o->eve);
    if (o->db && !j->overflow)
        ps_dbsink_alert(o->db, al, j->buf, j->len);
}

void ps_out_anomaly(void *ctx, const struct ps_pkt *p, const char *name)
{
    struct ps_out *o = ctx;
    if (!o->eve && !o->ch)
        return;
    struct ps_json *j = &o->j;
    bool ports = p->has_ports && (p->proto == 6 || p->proto == 17);
    event_head(o, "anomaly", p->ts_us, p->ipver, p->proto, p->src, p->dst, ports, p->sport,
               p->dport, &p->m);
    ps_json_obj_begin(j, "anomaly");
    ps_json_ascii(j, "type", "decode");
    ps_json_ascii(j, "event", name);
    ps_json_obj_end(j);
    ps_json_obj_end(j);
    write_line(o, o->eve);
}
