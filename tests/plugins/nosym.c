/* Loader test: a shared object that loads but is not a libdal plugin. */
__attribute__((visibility("default"))) int backend_nosym_something_else = 42;
