# periscope build. `make` builds build/periscope; `make test` runs every
# test and ends with "N passed, N failed"; `make demo` installs what is
# missing, builds and runs on the bundled example capture.

CC ?= cc
WERROR ?= $(if $(CI),-Werror,)
WARN = -Wall -Wextra -Wshadow -Wformat=2 -Wvla -Wimplicit-fallthrough -Wstrict-prototypes \
       -Wmissing-prototypes -Wno-missing-field-initializers
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
DATADIR ?= $(PREFIX)/share/periscope
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(WERROR) -Isrc -DPS_DATADIR='"$(DATADIR)"' $(CFLAGS)
LDLIBS = -lpcap -lsqlite3 -ldeflate -lz -lcrypto -lcurl -lpthread

SRC = $(wildcard src/core/*.c src/decode/*.c src/defrag/*.c src/detect/*.c src/flow/*.c src/output/*.c src/store/*.c src/flowlogs/*.c \
       src/app/*.c src/stream/*.c src/cost/*.c src/mirror/*.c src/report/*.c src/source/tpring.c)
MAIN = src/cli/main.c src/cli/pipeline.c src/cli/config.c src/cli/workers.c src/source/pcap_file.c src/source/udp.c src/source/afpacket.c \
       $(wildcard src/cli/cmd_*.c)
HDR = $(wildcard src/*/*.h)

B = build
S = build-san
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

UNIT_SRC = $(wildcard tests/unit/test_*.c)

.PHONY: all install clean test test-quick unit golden corpus sanitize demo deps fuzz check-banned \
        update-golden format

all: $(B)/periscope

$(B)/periscope: $(SRC) $(MAIN) $(HDR)
	@mkdir -p $(B)
	$(CC) $(ALL_CFLAGS) -o $@ $(SRC) $(MAIN) $(LDFLAGS) $(LDLIBS)

$(S)/periscope: $(SRC) $(MAIN) $(HDR)
	@mkdir -p $(S)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -o $@ $(SRC) $(MAIN) $(LDFLAGS) $(LDLIBS)

$(B)/unit: $(SRC) $(UNIT_SRC) tests/unit/unit.h src/cli/pipeline.c $(HDR)
	@mkdir -p $(B)
	$(CC) $(ALL_CFLAGS) $(SAN) -Itests/unit -o $@ $(SRC) src/cli/pipeline.c $(UNIT_SRC) \
	    $(LDFLAGS) $(LDLIBS)

# Every suite; the last line is "N passed, N failed[, N skipped]".
test: deps
	@$(MAKE) --no-print-directory $(B)/periscope $(S)/periscope $(B)/unit
	@tests/run-all.sh

sanitize: $(S)/periscope

deps:
	@tools/deps.sh

# The example: real curl/nginx, dig/dnsmasq and ping traffic as the kernel's
# VXLAN device mirrored it (tests/gen/netns-capture.sh made it).
demo: deps
	@$(MAKE) --no-print-directory $(B)/periscope
	$(B)/periscope read -l demo-out --sessions examples/sessions.json tests/pcaps/real-vxlan.pcap
	@echo "--- first flow record (demo-out/eve.json):"
	@grep -m1 '"event_type":"flow"' demo-out/eve.json
	@echo "--- flow log (demo-out/flows.log):"
	@head -4 demo-out/flows.log

fuzz:
	@tools/fuzz.sh $(FUZZ_SECONDS)

check-banned:
	@tools/check-banned.sh

update-golden: $(B)/periscope
	@tools/update-golden $(NAME)

# The binary, and the data files `periscope cost` reads (prices and
# instance-type lists) where the binary looks for them: $(DATADIR).
install: $(B)/periscope
	install -D -m 0755 $(B)/periscope $(DESTDIR)$(PREFIX)/bin/periscope
	install -d $(DESTDIR)$(DATADIR)/aws
	install -m 0644 data/aws/*.json $(DESTDIR)$(DATADIR)/aws/

clean:
	rm -rf $(B) $(S) build-fuzz demo-out periscope-out
