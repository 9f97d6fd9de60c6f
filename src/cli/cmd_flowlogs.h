/* SPDX-License-Identifier: BSD-2-Clause */
/* `periscope flowlogs import|query|report`: VPC Flow Logs into the store. */
#ifndef PS_CLI_CMD_FLOWLOGS_H
#define PS_CLI_CMD_FLOWLOGS_H

/* argv[0] is "flowlogs". Returns the exit status: 0 success, 1 bad usage
 * or input that cannot be read (a one-line message names the file). */
int ps_cmd_flowlogs(int argc, char **argv);

#endif
