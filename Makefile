# ibc — one non-recursive GNU Makefile. Output goes to build/ (build/san/
# with SANITIZE=1). See docs/HACKING.md for how to add sources and tests:
# every src/**/*.c is compiled, every test/unit/test_*.c becomes a test
# program, every fuzz/fuzz_*.c a fuzz target and a replay program.

.DEFAULT_GOAL := all
SHELL := /bin/bash

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
SANITIZE ?= 0
WERROR ?= 0
ifeq ($(SANITIZE),1)
BUILD ?= build/san
else
BUILD ?= build
endif

CC ?= cc
PKGS := libmicrohttpd sqlite3 libpq icu-uc icu-i18n libsodium libcurl zlib \
        pangocairo liboath libqrencode
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
        -Wmissing-prototypes -Wformat=2 -Wvla -Wno-format-nonliteral -fno-common
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
        -DIBC_VERSION='"$(VERSION)"' $(WARN) -Isrc $(PKG_CFLAGS) $(CFLAGS) \
        -MMD -MP
ifeq ($(WERROR),1)
ALL_CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=address,undefined
endif
LIBS := $(PKG_LIBS) -lpthread -lm

SRC := $(shell find src -name '*.c' ! -name main.c | sort)
OBJ := $(SRC:%.c=$(BUILD)/%.o)
EMBED_FILES := $(shell find web/templates web/static sql/migrations i18n \
        -type f ! -name '*~' ! -name '.*' 2>/dev/null | LC_ALL=C sort)

UNIT_SRC := $(wildcard test/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(BUILD)/test/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
REPLAY_BIN := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/replay/%)

.PHONY: all run test check deps deps-run deps-test deps-bench fuzz bench \
        clean format lint install tests

all: $(BUILD)/ibc

$(BUILD)/tools/embed: tools/embed.c
	@mkdir -p $(@D)
	$(CC) -O1 -o $@ $<

# The embedded file list is a make variable; rebuild when it changes too.
$(BUILD)/gen/embed.list: FORCE
	@mkdir -p $(@D)
	@echo '$(EMBED_FILES)' | cmp -s - $@ || echo '$(EMBED_FILES)' > $@
FORCE:

$(BUILD)/gen/embed.c: $(BUILD)/tools/embed $(EMBED_FILES) $(BUILD)/gen/embed.list
	$(BUILD)/tools/embed $@ $(EMBED_FILES)

$(BUILD)/gen/embed.o: $(BUILD)/gen/embed.c
	$(CC) $(ALL_CFLAGS) -Wno-overlength-strings -c -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libibc.a: $(OBJ) $(BUILD)/gen/embed.o
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ibc: $(BUILD)/src/main.o $(BUILD)/libibc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Unit tests: one program per file, linked with the harness.
$(BUILD)/test/%: test/unit/%.c $(BUILD)/test/harness.o $(BUILD)/libibc.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itest $(LDFLAGS) -o $@ $< $(BUILD)/test/harness.o \
	    $(BUILD)/libibc.a $(LIBS)

$(BUILD)/test/harness.o: test/harness.c test/harness.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itest -c -o $@ $<

# Fuzz replay programs: the fuzz target + fuzz/standalone.c, built with the
# ordinary compiler so `make test` replays fuzz/regress/ without libFuzzer.
$(BUILD)/replay/%: fuzz/%.c fuzz/standalone.c $(BUILD)/libibc.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< fuzz/standalone.c \
	    $(BUILD)/libibc.a $(LIBS)

tests: $(BUILD)/ibc $(UNIT_BIN) $(REPLAY_BIN)

# libFuzzer targets with clang (make fuzz; run e.g. build/fuzz/fuzz_form).
FUZZ_CFLAGS := -std=c17 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
        -DIBC_VERSION='"$(VERSION)"' -Isrc $(PKG_CFLAGS) -g -O1 \
        -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJ := $(SRC:%.c=build/fuzz/obj/%.o) build/fuzz/obj/embed.o
build/fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c -o $@ $<
build/fuzz/obj/embed.o: build/gen/embed.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c -o $@ $<
build/fuzz/%: fuzz/%.c $(FUZZ_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
	    $(FUZZ_OBJ) $(LIBS)
fuzz: $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)

# ---- the two commands of the README, and their set-up ----
# Debian packages in groups: a school's server gets only DEPS_RUN.
DEPS_BUILD := build-essential pkg-config libmicrohttpd-dev libsqlite3-dev \
        libpq-dev libicu-dev libsodium-dev libcurl4-openssl-dev zlib1g-dev \
        libpango1.0-dev libcairo2-dev fonts-dejavu-core liboath-dev \
        libqrencode-dev
DEPS_RUN := $(DEPS_BUILD) libmicrohttpd12 sqlite3 postgresql-client
DEPS_TEST := $(DEPS_RUN) postgresql tidy curl openssl poppler-utils clang \
        libfuzzer-14-dev \
        libclang-rt-14-dev chromium python3 util-linux oathtool
DEPS_BENCH := $(DEPS_RUN) wrk nginx-light hyperfine

define install_pkgs
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	    | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "make deps: installing $$missing"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	        $$SUDO apt-get install -y -qq $$missing; \
	fi
endef

deps-run:
	$(call install_pkgs,$(DEPS_RUN))
deps-test:
	$(call install_pkgs,$(DEPS_TEST))
	@command -v npm >/dev/null || $(call install_pkgs,nodejs npm)
	@[ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] \
	    || npm ci --no-audit --no-fund
deps-bench:
	$(call install_pkgs,$(DEPS_BENCH))
deps: deps-run deps-test

# As root, `make run` creates the system user ibc that the server drops to
# after binding; the data folder must be reachable by it, so when this tree
# is not (e.g. under /root), the demo's data goes to /var/lib/ibc.
RUN_DATA ?= ./data
run: deps-run
	$(MAKE) all
	@if [ "$$(id -u)" = 0 ]; then \
	    id ibc >/dev/null 2>&1 || useradd --system --no-create-home \
	        --home-dir /var/lib/ibc --shell /usr/sbin/nologin ibc; \
	fi
	@data=$(RUN_DATA); \
	if [ "$$(id -u)" = 0 ] && ! runuser -u ibc -- test -x "$$(pwd)"; then \
	    data=/var/lib/ibc/data; mkdir -p /var/lib/ibc; \
	    echo "make run: $$(pwd) is not reachable by user ibc; data in $$data"; \
	fi; \
	exec $(BUILD)/ibc --data "$$data" serve --demo

test: deps-test
	$(MAKE) WERROR=1 tests
	$(MAKE) WERROR=1 SANITIZE=1 tests
	test/run.sh

check: test

bench: deps-bench all
	bench/run.sh

format:
	clang-format -i $$(find src test fuzz tools -name '*.[ch]')

lint:
	cppcheck --quiet --enable=warning,portability --std=c11 -Isrc src

install: all
	install -D -m 755 $(BUILD)/ibc $(DESTDIR)/usr/local/bin/ibc
	install -D -m 644 man/ibc.1 $(DESTDIR)/usr/local/share/man/man1/ibc.1

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(BUILD)/src/main.d
