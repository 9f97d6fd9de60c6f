/* SPDX-License-Identifier: BSD-2-Clause */
/* `periscope report`: the visibility report (src/report). */
#ifndef PS_CLI_CMD_REPORT_H
#define PS_CLI_CMD_REPORT_H

/* argv[0] is "report". Returns 0 on success, 1 on bad usage or a store or
 * capture that cannot be read. */
int ps_cmd_report(int argc, char **argv);

#endif
