# ngx_http_push_approval_module: build, test, demo.
#
#   make              the module (build/ngx_http_push_approval_module.so)
#                     and the operator tool (build/push-approval-ctl)
#   make test         the whole test suite against Debian's nginx
#   make test-asan    the suite with the module under AddressSanitizer and
#                     UndefinedBehaviorSanitizer
#   make demo         nginx + the provider sandbox on loopback
#   make demo-fleet   two nginx hosts on one Redis + the sandbox
#   make bench        the benchmark suite
#   make fuzz         every libFuzzer harness for FUZZ_TIME seconds each
#   make fuzz-smoke   every harness for 10 seconds (CI)
#   make deb          the Debian package libnginx-mod-http-push-approval
#   make install      the module into Debian's module directory and the
#                     tool into /usr/local/bin (DESTDIR, PREFIX, MODULES_DIR)
#   make clean
#   make versions     the suite on Debian's nginx and on every upstream
#                     release in NGINX_TARBALLS, one line per version
#   make versions-build  the module only (compile check) for each of them
#   make deb-nginx-org NGINX_VERSION=x.y.z  a package for nginx.org's nginx
#
# NGINX_SRC=/path/to/nginx-x.y.z builds against another nginx source tree
# (the module then loads only into that nginx); NGINX=/path/to/nginx runs the
# tests with another binary.
#
# NGINX_VERSION=x.y.z (test, test-asan, bench, module, ...) builds that
# nginx from NGINX_TARBALLS/nginx-x.y.z.tar.gz into build/vx.y.z/ the way
# nginx.org's packages do (once), the module against it, and runs the tests
# with that binary; NGINX_VERSION of Debian's nginx (1.22.1) means Debian's.

NGINX_SRC ?= /usr/share/nginx/src
NGINX     ?= /usr/sbin/nginx
BUILD     ?= build
CFLAGS_MODULE ?= -g -O2 -fPIC
CFLAGS_ASAN ?= -g -O1 -fPIC -fno-omit-frame-pointer \
               -fsanitize=address,undefined -fno-sanitize-recover=undefined
PROVE     ?= prove
TESTS     ?= t/

SRCS := config $(wildcard src/*.c src/*.h)
MODULE := $(BUILD)/ngx_http_push_approval_module.so
ASAN_MODULE := $(BUILD)/asan/ngx_http_push_approval_module.so
CTL := $(BUILD)/push-approval-ctl

FUZZ_TIME ?= 60

# ---- other nginx versions (tools/build-nginx, tools/versions) -------------

# the release tarballs: ../shared/nginx beside the project's clone (also
# from a git worktree one level further down)
NGINX_TARBALLS ?= $(firstword $(wildcard $(abspath ..)/shared/nginx \
                      $(abspath ../..)/shared/nginx) $(abspath ..)/shared/nginx)
DEBIAN_NGINX_VERSION := $(shell sed -n \
    's/^\#define NGINX_VERSION *"\(.*\)"/\1/p' \
    /usr/share/nginx/src/src/core/nginx.h 2>/dev/null)
NGINX_VERSION ?=

ifneq ($(NGINX_VERSION),)
ifneq ($(NGINX_VERSION),$(DEBIAN_NGINX_VERSION))
NGINX_DIR := build/v$(NGINX_VERSION)
NGINX_SRC := $(abspath $(NGINX_DIR))/src
NGINX     := $(abspath $(NGINX_DIR))/sbin/nginx
BUILD     := $(NGINX_DIR)
MODULE    := $(BUILD)/ngx_http_push_approval_module.so
ASAN_MODULE := $(BUILD)/asan/ngx_http_push_approval_module.so
# build-module always looks: an nginx rebuilt with other flags (a newer
# conf_flags) configures the module anew; otherwise it costs a no-op make
MODULE_CHECK := module-check
endif
endif

.PHONY: all module ctl deps test test-asan test-unit demo demo-fleet bench \
        fuzz fuzz-smoke \
        deb install clean

all: module ctl

deps:
	@tools/install-deps build

module: $(MODULE)

$(MODULE): $(SRCS) $(MODULE_CHECK) | nginx-src
	@tools/install-deps build
	tools/build-module "$(NGINX_SRC)" "$(BUILD)/nginx" "$(CFLAGS_MODULE)" $@

$(ASAN_MODULE): $(SRCS) $(MODULE_CHECK) | nginx-src
	@tools/install-deps build
	tools/build-module "$(NGINX_SRC)" "$(BUILD)/asan/nginx" \
	    "$(CFLAGS_ASAN)" $@

ctl: $(CTL)

$(CTL): $(wildcard tools/ctl/*.c tools/ctl/*.h tools/ctl/Makefile)
	@tools/install-deps build
	$(MAKE) -C tools/ctl
	mkdir -p $(BUILD) && cp tools/ctl/push-approval-ctl $@.tmp && mv -f $@.tmp $@

test-unit: $(MODULE)
	$(MAKE) -C t/unit BUILD=$(abspath $(BUILD)) NGINX_SRC=$(NGINX_SRC)

test: all test-unit nginx-bin
	@tools/install-deps test
	TEST_NGINX_BINARY=$(NGINX) \
	TEST_NGINX_MODULE=$(abspath $(MODULE)) \
	    $(PROVE) -j2 $(TESTS)

test-asan: $(ASAN_MODULE) ctl nginx-bin
	@tools/install-deps test
	TEST_NGINX_BINARY=$(NGINX) \
	TEST_NGINX_MODULE=$(abspath $(ASAN_MODULE)) \
	TEST_NGINX_ASAN=1 \
	    $(PROVE) -j2 $(TESTS)

demo: all
	@tools/install-deps demo
	tools/demo

demo-fleet: all
	@tools/install-deps demo
	tools/demo-fleet

bench: all nginx-bin
	@tools/install-deps bench
	TEST_NGINX_BINARY=$(NGINX) TEST_NGINX_MODULE=$(abspath $(MODULE)) \
	    bench/run

fuzz: $(MODULE)
	$(MAKE) -C t/unit fuzz BUILD=$(abspath $(BUILD)) NGINX_SRC=$(NGINX_SRC) \
	    FUZZ_TIME=$(FUZZ_TIME)

fuzz-smoke: $(MODULE)
	$(MAKE) -C t/unit fuzz-smoke BUILD=$(abspath $(BUILD)) \
	    NGINX_SRC=$(NGINX_SRC)

# The shape of src/: no function over 120 lines, no call cycle between
# files (docs/architecture.md).  Needs universal-ctags.
shape:
	tools/src-shape src

PREFIX      ?= /usr/local
MODULES_DIR ?= /usr/lib/nginx/modules

install: all
	install -D -m 644 $(MODULE) \
	    $(DESTDIR)$(MODULES_DIR)/ngx_http_push_approval_module.so
	install -D -m 755 $(CTL) $(DESTDIR)$(PREFIX)/bin/push-approval-ctl
	@echo "load it with: load_module $(MODULES_DIR)/ngx_http_push_approval_module.so;"

deb: all
	@tools/install-deps deb
	tools/build-deb

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C tools/ctl clean
	-$(MAKE) -C t/unit clean

# ---- other nginx versions: the rules ---------------------------------------

.PHONY: shape module-check nginx-src nginx-bin versions versions-build deb-nginx-org

module-check:

# the source tree (for the module) and the binary (for the tests)
nginx-src:
ifdef NGINX_DIR
	@tools/install-deps nginx
	tools/build-nginx $(NGINX_VERSION) $(NGINX_TARBALLS) $(NGINX_DIR) \
	    src-only
endif

nginx-bin: nginx-src
ifdef NGINX_DIR
	tools/build-nginx $(NGINX_VERSION) $(NGINX_TARBALLS) $(NGINX_DIR)
endif

# the package for nginx.org's nginx NGINX_VERSION (tools/build-deb-nginx-org)
deb-nginx-org: all
ifndef NGINX_DIR
	@echo "usage: make deb-nginx-org NGINX_VERSION=x.y.z (upstream)" >&2
	@exit 1
else
	@tools/install-deps deb
	tools/build-deb-nginx-org $(NGINX_VERSION) $(MODULE) $(CTL) $(BUILD)/deb
endif

# VERSIONS="1.30.4 1.31.4" limits them to those
versions:
	MAKE="$(MAKE)" tools/versions test $(NGINX_TARBALLS) $(VERSIONS)

versions-build:
	MAKE="$(MAKE)" tools/versions build $(NGINX_TARBALLS) $(VERSIONS)
