/* SPDX-License-Identifier: BSD-2-Clause */
/* `periscope mirror`: Traffic Mirroring for the hosts AWS cannot mirror. */
#ifndef PS_CLI_CMD_MIRROR_H
#define PS_CLI_CMD_MIRROR_H

/* argv[0] is "mirror". Returns the exit status: 0 after a signal, --count or
 * --check, 1 on bad usage or configuration (a one-line message). */
int ps_cmd_mirror(int argc, char **argv);

#endif
