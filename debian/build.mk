# The Debian package (debian/): `make deb` builds $(BUILD)/deb/xen-kdump_VERSION_amd64.deb with
# dpkg-buildpackage in a copy of the tree (nothing is written beside the clone), shipping the
# minimal capture kernel when `make crashkernel` has cached it; `make check-deb` builds it,
# checks its contents, runs lintian and installs, removes and purges it in a scratch dpkg root.
.PHONY: deb deb-deps check-deb

deb-deps:
	$(Q)XKD_DEPS_LIST=mk/deps-deb.list mk/deps

deb: deb-deps
	$(Q)mk/build-deb $(BUILD)/deb

check: check-deb
check-deb: deb
	$(Q)BUILD=$(BUILD) tests/appliance/check-deb.sh
