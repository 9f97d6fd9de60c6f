/* SPDX-License-Identifier: BSD-2-Clause */
#include <stdio.h>
#include <string.h>

#include "detect/alert.h"

const struct ps_sig_info ps_sig_table[PS_SIG__COUNT] = {
#define PS_X(id, sid, det, sev, msg) [PS_SIG_##id] = {sid, det, sev, msg},
    PS_SIGNATURES(PS_X)
#undef PS_X
};

void ps_alert_from_pkt(struct ps_alert *a, enum ps_sig sig, const struct ps_pkt *p)
{
    memset(a, 0, sizeof(*a) - sizeof(a->ev));
    a->ev.n = 0;
    a->sig = sig;
    a->ts_us = p->ts_us;
    a->ipver = p->ipver;
    a->proto = p->proto;
    memcpy(a->src, p->src, 16);
    memcpy(a->dst, p->dst, 16);
    a->has_ports = p->has_ports && (p->proto == 6 || p->proto == 17);
    a->sport = p->sport;
    a->dport = p->dport;
    a->m = p->m;
}

void ps_ev_num(struct ps_alert *a, const char *key, uint64_t v)
{
    if (a->ev.n >= PS_EV_MAX)
        return;
    a->ev.v[a->ev.n].key = key;
    a->ev.v[a->ev.n].is_str = false;
    a->ev.v[a->ev.n].num = v;
    a->ev.n++;
}

void ps_ev_str(struct ps_alert *a, const char *key, const char *s)
{
    if (a->ev.n >= PS_EV_MAX)
        return;
    a->ev.v[a->ev.n].key = key;
    a->ev.v[a->ev.n].is_str = true;
    snprintf(a->ev.v[a->ev.n].str, sizeof(a->ev.v[0].str), "%s", s);
    a->ev.n++;
}

void ps_ev_hex(struct ps_alert *a, const char *key, const uint8_t *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    char s[2 * 64 + 4];
    size_t k = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        s[k++] = hex[b[i] >> 4];
        s[k++] = hex[b[i] & 15];
    }
    if (n > 64) {
        memcpy(s + k, "...", 3);
        k += 3;
    }
    s[k] = 0;
    ps_ev_str(a, key, s);
}
