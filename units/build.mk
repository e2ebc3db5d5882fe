# The appliance around the programs: generated units and kernel hooks (the
# binaries' path substituted), their install, and `make check-appliance`
# (systemd-analyze verify, man pages, install into a DESTDIR, dracut image,
# capture script), which `make check` runs.

DRACUTMODDIR ?= /usr/lib/dracut/modules.d
UNITS_GEN := $(BUILD)/units
UNITS_OUT := $(UNITS_GEN)/xen-kdump.service $(UNITS_GEN)/postinst $(UNITS_GEN)/postrm

# Regenerated every time: the content depends on SBINDIR, not only on the sources.
$(UNITS_GEN)/xen-kdump.service: units/xen-kdump.service.in FORCE
	@mkdir -p $(dir $@)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@
$(UNITS_GEN)/postinst: units/kernel/postinst.in FORCE
	@mkdir -p $(dir $@)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@ && chmod 0755 $@
$(UNITS_GEN)/postrm: units/kernel/postrm.in FORCE
	@mkdir -p $(dir $@)
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' $< > $@ && chmod 0755 $@

define xkd_newline


endef

install: $(UNITS_OUT)
INSTALL_STEPS += $(xkd_newline)DESTDIR="$(DESTDIR)" SYSCONFDIR="$(SYSCONFDIR)" UNITDIR="$(UNITDIR)" \
	MANDIR="$(MANDIR)" DRACUTMODDIR="$(DRACUTMODDIR)" units/install-appliance.sh $(UNITS_GEN)

# `make check` runs it after vm-fetch (its dracut images are built against the
# Debian kernel the VM harness caches); alone it fetches that kernel first.
.PHONY: check-appliance
check-appliance: deps all vm-fetch
	$(Q)BUILD=$(BUILD) XKD_TEST_CACHE=$${XKD_CACHE:-/var/cache/xen-kdump-tests} tests/appliance/run
