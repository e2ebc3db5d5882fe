# bash completion (completion/xen-kdump.bash), installed by `make install` (and so by the .deb).
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL_STEPS += install -D -m 0644 completion/xen-kdump.bash $(DESTDIR)$(BASHCOMPDIR)/xen-kdump;
