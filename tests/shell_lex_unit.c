/*
 * The statement splitter of `dal shell` (cli/shell_lex.c), compiled into
 * test_shell so that it can be tested directly. Included rather than
 * listed as a source: its object files belong to the cli directory.
 */
#include "shell_lex.c"
