/* ibc — the school's digital information-library centre.
 *
 * main() only hands the command line to the CLI dispatcher (src/cli). */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
