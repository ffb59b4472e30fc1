#include "cli.h"
int cmd_search(int argc, char **argv) { (void)argc; (void)argv; cli_error("search: not built yet"); return 1; }
int cmd_calibrate(int argc, char **argv) { (void)argc; (void)argv; cli_error("calibrate: not built yet"); return 1; }
int cmd_inspect(int argc, char **argv) { (void)argc; (void)argv; cli_error("inspect: not built yet"); return 1; }
