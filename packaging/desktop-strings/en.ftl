# Strings of the desktop entry (packaging/io.github.vmdesk.Vmdesk.desktop), English: the
# reference. Every other language in this folder has exactly these keys; tests/packaging.sh
# checks that. Single-line messages only (no placeables); run packaging/gen-desktop.sh after a
# change. `desktop-keywords` is a ;-separated list ending in ;, as the desktop entry wants it.

desktop-name = vmdesk
desktop-generic-name = Virtual Machine Manager
desktop-comment = Create, run and snapshot virtual machines on your desktop
desktop-keywords = virtual machine;VM;virtualization;KVM;hypervisor;emulator;ISO;snapshot;
