# libFuzzer targets for libdal's parsers (docs/testing.md, "Fuzzing").
#
# A GNU make file of its own, not automake's: the targets are built with
# clang and -fsanitize=fuzzer,address,undefined whatever compiler the tree
# was configured with, from the core sources each needs, compiled here.
# The top-level `make fuzz` calls it; by hand, from any directory:
#
#   make -f tests/fuzz/fuzz.mk O=/tmp/dal-fuzz             # build
#   make -f tests/fuzz/fuzz.mk O=/tmp/dal-fuzz run FUZZ_SECONDS=60
#
# Variables: O (where objects and binaries go; default build-fuzz in the
# current directory), CLANG, FUZZ_SECONDS (per target), FUZZ_TARGETS (a
# subset), FUZZ_RUNS (stop after that many executions), FUZZ_CORPUS_DIR
# (keep the corpora there across runs instead of a temporary directory),
# FUZZ_KNOWN_BUGS=1 (let the open findings of docs/testing.md through, see
# fuzz_common.h), DAL_DEFAULT_TYPE (as configure's --with-default-type),
# CONFIG_H_DIR (where the configured tree's config.h is; default the source
# tree, as after an in-tree ./configure).

FUZZ_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
top_srcdir := $(abspath $(FUZZ_DIR)/../..)
O ?= $(CURDIR)/build-fuzz
CLANG ?= clang
DAL_DEFAULT_TYPE ?= sqlite
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= fuzz_placeholder fuzz_url fuzz_settings fuzz_ini fuzz_hostlist
FUZZ_RUNS ?=
FUZZ_CORPUS_DIR ?=
FUZZ_KNOWN_BUGS ?=
# The configured tree's config.h (the core's build-time choices); `make fuzz`
# passes the build directory.
CONFIG_H_DIR ?= $(top_srcdir)

PKG_CONFIG ?= pkg-config
INIH_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags inih 2>/dev/null)
INIH_LIBS ?= $(shell $(PKG_CONFIG) --libs inih 2>/dev/null || echo -linih)
URIPARSER_CFLAGS ?= $(shell $(PKG_CONFIG) --cflags liburiparser 2>/dev/null)
URIPARSER_LIBS ?= $(shell $(PKG_CONFIG) --libs liburiparser 2>/dev/null || echo -luriparser)

SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all
# The compiled-in plugin and configuration directories do not exist: no
# fuzzer loads a plugin file or reads a configuration file.
FUZZ_CPPFLAGS = -I$(top_srcdir)/include -I$(top_srcdir)/core -I$(CONFIG_H_DIR) \
	-DDAL_PLUGINDIR='"/nonexistent/dal-fuzz-plugins"' \
	-DDAL_SYSCONFDIR='"/nonexistent/dal-fuzz-etc"' \
	-DDAL_DEFAULT_TYPE='"$(DAL_DEFAULT_TYPE)"'
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
	$(SANITIZE) $(INIH_CFLAGS) $(URIPARSER_CFLAGS) $(if $(FUZZ_KNOWN_BUGS),-DFUZZ_KNOWN_BUGS)
FUZZ_LIBS = $(INIH_LIBS) $(URIPARSER_LIBS) -lltdl -ldl -lpthread -lm

# The core sources the parsers need (a static archive: each target links
# only what it uses).
CORE_SRCS = error.c log.c strbuf.c hindex.c placeholder.c url.c url_redact.c params.c kit.c \
	config.c settings.c settings_check.c describe.c loader.c install_hint.c envmap.c \
	preload.c sql_facts.c
CORE_OBJS = $(addprefix $(O)/core/,$(CORE_SRCS:.c=.o))
HEADERS = $(wildcard $(top_srcdir)/core/*.h $(top_srcdir)/include/dal/*.h $(FUZZ_DIR)/*.h)

# Per target: extra link flags. fuzz_settings reads password files through
# its own fake (see fuzz_settings.c).
LDFLAGS_fuzz_settings = -Wl,--wrap=open_regular_file

all: $(addprefix $(O)/,$(FUZZ_TARGETS))

# Rebuild everything when the compiler or the flags change.
FLAGS_TEXT = $(CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS)
ifneq ($(file <$(O)/flags),$(FLAGS_TEXT))
$(shell mkdir -p $(O))
$(file >$(O)/flags,$(FLAGS_TEXT))
endif

$(O)/core/%.o: $(top_srcdir)/core/%.c $(HEADERS) $(O)/flags
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(O)/libdalcore-fuzz.a: $(CORE_OBJS)
	rm -f $@
	ar rcs $@ $^

$(O)/fuzz_%: $(FUZZ_DIR)/fuzz_%.c $(O)/libdalcore-fuzz.a $(HEADERS) $(O)/flags
	$(CLANG) $(FUZZ_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(O)/libdalcore-fuzz.a \
		$(LDFLAGS_fuzz_$*) $(FUZZ_LIBS) -o $@

# Run every target for FUZZ_SECONDS (tests/fuzz/run.sh); fails if one
# crashes, leaks, times out or runs out of memory.
run: all
	FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_RUNS='$(FUZZ_RUNS)' \
	FUZZ_CORPUS_DIR='$(FUZZ_CORPUS_DIR)' \
		$(SHELL) $(FUZZ_DIR)/run.sh $(O) $(FUZZ_TARGETS)

clean:
	rm -rf $(O)

.PHONY: all run clean
.DELETE_ON_ERROR:
