/* SPDX-License-Identifier: BSD-2-Clause */
/* `periscope cost`: the mirroring cost and coverage planner. */
#ifndef PS_CLI_CMD_COST_H
#define PS_CLI_CMD_COST_H

/* argv[0] is "cost". Returns the exit status: 0 success, 1 bad usage or
 * input that cannot be read (a one-line message names the file). */
int ps_cmd_cost(int argc, char **argv);

#endif
