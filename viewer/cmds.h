/* The subcommands: each takes its own argv (argv[0] is the command name) and returns the exit
 * status. */
#ifndef IOTV_CMDS_H
#define IOTV_CMDS_H

/* Exit statuses shared by every command. */
#define IOTV_EXIT_OK 0
#define IOTV_EXIT_USAGE 1
#define IOTV_EXIT_INPUT 2 /* an input was unreadable or damaged; what could be read was output */

int iotv_cmd_summary(int argc, char **argv);
int iotv_cmd_timeline(int argc, char **argv);
int iotv_cmd_export(int argc, char **argv);
int iotv_cmd_render(int argc, char **argv);
int iotv_cmd_run(int argc, char **argv);

/* Prints "iotrace: message" and the command's usage line to stderr; returns IOTV_EXIT_USAGE. */
int iotv_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
