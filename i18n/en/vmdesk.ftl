# vmdesk — English (the reference: every other language has exactly these keys)

app-title = vmdesk

## Buttons
button-start = Start
button-pause = Pause
button-resume = Resume
button-power-off = Power off
button-force-off = Force off
button-restart = Restart
button-delete = Delete
button-details = Details
button-cancel = Cancel
button-dismiss = Dismiss

## VM states
state-stopped = Stopped
state-starting = Starting
state-running = Running
state-paused = Paused
state-stopping = Stopping
state-broken = Broken

## Library
library-title = Virtual Machines
library-new = New VM
library-search-placeholder = Search (Ctrl+F)
library-empty-title = No virtual machines yet
library-empty-hint = Create one with New VM (Ctrl+N): it boots a Linux kernel directly.
library-no-match = No virtual machine matches the search.
library-summary = { $boot } · { $vcpus } vCPU · { $memory } MiB
library-broken = This VM's settings cannot be read, so it is left untouched: { $error }
library-last-exit = Last run: { $meaning }
language-system = System language
delete-question = Delete “{ $name }”?
delete-explain = Its folder, with the settings and the logs, is removed. This cannot be undone.

## How a VM ended (vmdesk-vmm's exit status)
exit-power-off = the guest powered off.
exit-vmm-error = the VMM failed (exit status 1); see the log below.
exit-bad-config = the settings were refused before start (exit status 2).
exit-reset = the guest asked for a reset or reboot (exit status 3).
exit-guest-crash = the guest crashed (exit status 4).
exit-killed = it was forced off (exit status 5).
exit-other = vmdesk-vmm ended with exit status { $code }.
exit-signal = vmdesk-vmm was killed by signal { $signal }.
exit-unknown = vmdesk-vmm ended; its exit status is unknown.
exit-seccomp = the VMM's security filter stopped it: its thread { $thread } made a system call it may not (number { $syscall }). This is a vmdesk bug: please report it with the log below.

## Notices and errors
notice-created = “{ $name }” was created.
notice-deleted = “{ $name }” was deleted.
notice-copied = The console output is on the clipboard.
notice-reset-loop = “{ $name }” reset itself { $count } times within a minute and was left stopped.
notice-no-response = The guest in “{ $name }” did not respond to the power button. Force it off?
error-not-running = “{ $name }” is not running.
error-vmm-missing = Cannot start: { $detail }
error-vmm-exited = “{ $name }” stopped right away: { $meaning }
error-api = “{ $name }”: { $detail }
error-create = Could not write the new VM: { $detail }
error-delete = Could not delete “{ $name }”: { $detail }
error-delete-running = “{ $name }” is running: power it off before deleting it.
error-settings = Could not save the settings: { $detail }

## Form fields
form-name = Name
form-name-placeholder = My Linux VM
form-boot = Boots
boot-bios = BIOS firmware
boot-uefi = UEFI firmware
form-kernel = Kernel
form-kernel-hint = A bzImage or ELF vmlinux file.
form-initrd = Initrd
form-optional = Optional.
form-cmdline = Command line
form-cmdline-hint = Kernel parameters; console=ttyS0 shows the boot in the console.
form-vcpus = vCPUs
form-vcpus-hint = Virtual CPUs, 1 to { $max }.
form-memory = Memory (MiB)
form-memory-hint = This host has { $max } MiB.
form-serial-log = Write the serial console to a log file
form-serial-log-file = Log file
form-serial-log-file-hint = Empty means serial.log in the VM's folder.
form-browse = Browse…
form-pick-kernel = Choose a Linux kernel
form-pick-initrd = Choose an initrd

form-devices = Devices
form-virtio-rng = Entropy device (virtio-rng)
form-virtio-rng-hint = Gives the guest random numbers from the host, so it boots without waiting for entropy.

## Field problems
error-path-empty = Choose a file.
error-path-relative = Use a full path, starting with /.
error-file-missing = There is no file at this path.
error-not-a-number = Enter a whole number.

## Config problems: one key per vmm_core::config::ConfigErrorKind
config-bad-length = Use { $min } to { $max } characters.
config-bad-id-chars = “{ $id }” may only hold lowercase letters, digits, - and _.
config-name-empty = Give the VM a name.
config-name-control = A name cannot hold control characters (such as tab or escape).
config-too-few-vcpus = A VM needs at least { $min } vCPU.
config-vcpus-above-host = This host has { $max } CPUs: at most { $max } vCPUs.
config-vcpus-above-supported = At most { $max } vCPUs are supported.
config-memory-too-small = At least { $min } MiB are needed.
config-memory-above-host = More than this host has ({ $max } MiB).
config-not-found = There is no file at this path.
config-cannot-open = This file cannot be read: { $reason }
config-cannot-stat = This file cannot be examined: { $reason }
config-cannot-read = Reading this file failed: { $reason }
config-not-regular-file = This is a folder or a device, not a file.
config-kernel-truncated = This kernel is cut off: { $len } bytes, its header says { $want }.
config-not-a-kernel = Not a Linux kernel: no bzImage header and no ELF magic.
config-firmware-missing = The firmware file is missing; install it with “apt-get install { $package }”.
config-firmware-bad-size = The firmware image is { $size } bytes; it must be 64 KiB to 16 MiB in whole 64 KiB steps (SeaBIOS: 128 or 256 KiB).
config-flash-bad-size = The UEFI flash file is { $size } bytes; it must be whole 4 KiB blocks, at most 16 MiB.
config-vars-size-mismatch = The UEFI variable store ({ $size } bytes) does not go with the firmware code ({ $code_size } bytes); use the OVMF_VARS file of the same build (OVMF_VARS_4M.fd with OVMF_CODE_4M.fd).
config-initrd-too-big = The initrd ({ $size } MiB) must fit in half of the guest's memory.
config-cmdline-too-long = With the “pci=off” the VMM adds, the command line is { $len } bytes: longer than { $max }.
config-cmdline-nul = The command line must not contain NUL characters.
config-out-of-range = { $value } is outside { $min } to { $max }.
config-port-zero = 0 is not a port: use 1 to 65535.
config-vnc-password-missing = A VNC port needs a password.
config-bad-vnc-password = 1 to { $max } printable ASCII characters.
config-too-many-disks = { $count } disks are more than the { $slots } that fit next to the other devices.
config-not-printable = Only printable ASCII characters.
config-duplicate-disk = { $path } is already disk { $first }.
config-image = Cannot use this image: { $detail }
config-bad-mac = “{ $mac }” is not a MAC address like 52:54:00:12:34:56.
config-multicast-mac = “{ $mac }” is a multicast address; a network interface needs a unicast one.
config-zero-mac = “{ $mac }” is the all-zero address.
config-too-many-nics = At most { $max } network interfaces.
config-port-taken = Host port { $port } is forwarded twice.
config-not-an-iso = The file is not an ISO 9660 CD-ROM image.
config-cdroms-need-firmware = CD-ROM drives need a BIOS machine.
config-too-many-cdroms = { $count } CD-ROM drives is more than the { $max } supported.
config-boot-order-duplicate = The boot order names { $device } twice.

## Wizard
wizard-title = New Virtual Machine
wizard-heading = Boot a Linux kernel
wizard-intro = The VM boots the kernel directly; disks are data disks, not boot disks. Fields are checked as you type.
wizard-create = Create
wizard-id = Folder and socket name: { $id }
wizard-fix-fields = { $count ->
    [one] Fix the field marked in red.
   *[other] Fix the { $count } fields marked in red.
}

## Details
details-back = ‹ Library
details-settings = Settings
details-read-only = The VM is running: its settings are read-only until it stops.
details-id = ID
details-disks = Disks
details-nics = Network
details-display = Screen
details-none = None
details-save = Save
details-revert = Undo changes
details-saved = Saved.
details-console = Serial console
console-empty = No output yet.
console-clear = Clear
console-copy = Copy

## Live statistics
stats-title = vCPU exits
stats-total = { $rate }/s · { $total } in all
stats-rate = { $rate }/s
stats-none = Shown while the VM runs.
stats-intro = Each time the guest needs something only the host can do, its vCPU leaves the guest (an exit) and the VMM handles it. Per second, by reason:
explain-io-in = the guest read an I/O port; the VMM answered for the emulated device.
explain-io-out = the guest wrote to an I/O port; the VMM emulated the device.
explain-io-unhandled = the guest touched an I/O port where no device is; the access was ignored.
explain-mmio-read = the guest read device memory (MMIO); the VMM answered for the device.
explain-mmio-write = the guest wrote device memory (MMIO); the VMM emulated the device.
explain-hlt = the guest had nothing to do and halted the vCPU until the next interrupt.
explain-shutdown = the vCPU shut down (a triple fault); the VM resets.
explain-interrupted = the VMM interrupted the vCPU itself, e.g. to pause it or deliver a signal.
explain-internal-error = KVM could not run an instruction of the guest.
explain-fail-entry = the hardware refused to enter the guest (invalid vCPU state).
explain-other = another reason KVM returned to the VMM.

## Details tabs, activity
button-screen = Screen
tab-console = Serial console
tab-snapshots = { $count ->
    [0] Snapshots
   *[other] Snapshots ({ $count })
}
tab-activity = Activity
stats-vcpus = Per vCPU
stats-vcpu = vCPU { $n }
stats-vcpu-value = { $rate }/s · { $total } in all
stats-devices = Devices
stats-no-nics = No network interface.
stats-nic = net{ $n }: received { $rx } frames ({ $rxb }) · sent { $tx } ({ $txb }) · dropped { $dropped }
stats-malformed = Malformed virtio requests refused: { $count }
stats-uptime = Up { $uptime } s · console messages lost by slow clients: { $dropped }
stats-confinement = Confinement: { $seccomp } · { $landlock }
confinement-seccomp-on = seccomp filters on ({ $filters })
confinement-seccomp-log = seccomp filters only logging ({ $filters }), nothing is stopped
confinement-seccomp-off = seccomp filters off
confinement-landlock-on = Landlock file limits on (ABI { $abi })
confinement-landlock-off = Landlock file limits off
confinement-landlock-unavailable = no Landlock file limits ({ $why })

## Snapshots
snap-title = Snapshots
snap-refresh = Refresh
snap-intro = A snapshot keeps the whole running VM — memory, vCPUs, devices, screen — so you can go back to that moment. Each one is saved whole: deleting one never breaks the others.
snap-name-placeholder = Name
snap-description-placeholder = Description (optional)
snap-take = Take snapshot
snap-taking = Taking…
snap-stopped-hint = Start the VM to take a snapshot. A stopped VM can start from any snapshot below.
snap-none = No snapshots yet.
snap-current = Current
snap-no-screen = no screen
snap-incomplete = Incomplete
snap-incomplete-explain = Not usable: { $problem }. Delete it to tidy up.
snap-revert = Revert
snap-revert-question = Go back to “{ $name }”?
snap-revert-explain = The VM returns to that moment and keeps running from there. What happened since your last snapshot is lost; take one first to keep it.
snap-revert-explain-net = Its network connections end; the guest opens new ones.
snap-start-here = Start here
snap-start-question = Start the VM from “{ $name }”?
snap-start-explain = It starts exactly where the snapshot was taken, instead of booting.
snap-rename = Rename
snap-rename-save = Save
snap-delete-question = Delete the snapshot “{ $name }”?
snap-delete-explain = Its files are removed. This cannot be undone.
snap-delete-explain-children = { $count ->
    [one] Its files are removed. The snapshot taken after it stays valid (every snapshot is saved whole) and moves up to this one's parent.
   *[other] Its files are removed. The { $count } snapshots taken after it stay valid (every snapshot is saved whole) and move up to this one's parent.
}
snap-needs-running = the VM must be running for this.
snap-error = Snapshots: { $detail }
notice-snapshot-taken = Snapshot taken in { $total } ms; the guest was paused for { $paused } ms.
notice-reverted = “{ $name }” went back to the snapshot.
notice-screenshot = Screenshot saved: { $path }

## The guest's screen
screen-back = ‹ Details
screen-grabbed = Keyboard captured: keys go to the VM. Ctrl+Alt releases it.
screen-not-grabbed = Click the screen or press Ctrl+Alt to type into the VM. F11: fullscreen.
screen-release = Release keyboard
screen-capture = Capture keyboard
screen-fit = Scale to fit
screen-actual-size = Actual size
screen-follow-window = Resize guest with window
screen-follow-window-tip = The guest's screen takes the size of this area when the window changes size.
screen-follow-window-unsupported = This VM's display cannot change size (a virtio-gpu display can): its screen is scaled to the window.
screen-send-key = Send key
screen-send-key-title = Send:
screen-screenshot = Screenshot
screen-fullscreen = Fullscreen
screen-connecting = Connecting to the VM's screen…
screen-lost = The screen is not available ({ $reason }). Trying again…

## First-run check
check-title = Before you start
check-intro-blocking = vmdesk cannot run virtual machines on this computer yet. Fix the problems below, then check again.
check-intro-warnings = vmdesk can run virtual machines here, with these limits.
check-problem = Problem
check-warning = Warning
check-again = Check again
check-continue = Continue anyway
check-kvm-missing = This computer offers no KVM (/dev/kvm is missing)
check-kvm-missing-fix = Turn on virtualization (Intel VT-x or AMD-V, sometimes called SVM) in the firmware setup, then load the KVM module.
check-kvm-access = You may not use /dev/kvm
check-kvm-access-fix = Add yourself to the kvm group, then log out and back in.
check-vmm-missing = vmdesk-vmm was not found
check-vmm-missing-fix = Each VM runs in a vmdesk-vmm process; install it next to vmdesk or on your PATH. ({ $detail })
check-passt-missing = No user-mode network (passt or libslirp) is installed: VMs get no network
check-passt-missing-fix = VMs run, but without networking. Either one gives them network access:
check-low-memory = Only { $free } MiB of memory are free
check-low-memory-fix = VMs may not start or may be slow. Close some programs, or give your VMs little memory.

## Command line
cli-help =
    vmdesk — desktop virtual-machine manager

    Usage:
      vmdesk                          open the window
      vmdesk list                     list the VMs and their state
      vmdesk create NAME --kernel FILE [--initrd FILE] [--cmdline TEXT]
    {"              ["}--vcpus N] [--memory MIB] [--display WxH] [--network]
    {"              ["}--disk-size GIB | --disk IMAGE [--linked] [--read-only]]
                                      make a new VM (booting a Linux kernel), with a new
                                      qcow2 disk, or an image (--linked: a qcow2 overlay)
      vmdesk create NAME --iso FILE [--firmware uefi|bios] [--vcpus N]
    {"              ["}--memory MIB] [--disk-size GIB | --disk IMAGE]
    {"              ["}--display WxH | --no-display] [--network]
                                      make a VM to install an OS: the ISO in a CD-ROM drive
                                      and a new disk, sized as osinfo-db recommends for the
                                      OS it recognises; the disk boots once it has a system
      vmdesk create NAME --boot-disk IMAGE [--linked | --copy]
    {"              ["}--firmware uefi|bios] [--vcpus N] [--memory MIB] [--network] ...
                                      make a VM booting a disk image (e.g. a cloud image): in
                                      place, through a qcow2 overlay (--linked) or copied
                                      (--copy); UEFI unless --firmware bios
                                      --allow-backing (with --disk, --boot-disk): use backing
                                      files outside the image's folder (recorded in vm.toml)
      vmdesk detect  FILE             show what an ISO or disk image holds (osinfo-db) and
                                      what a VM for it gets
      vmdesk compare [VM] [--initramfs FILE]
                                      run the Linux test guest's busybox root as a container
                                      (crun) beside the VM and show what each measures
      vmdesk clone   VM NAME [--full] a linked clone of a stopped VM (--full: copy the disks)
      vmdesk delete  VM [--keep-disks]
                                      delete a stopped VM and its folder; its disk images
                                      go to the trash (--keep-disks: to kept-disks/)
      vmdesk status  VM               show a VM's state
      vmdesk start   VM               start a VM (it keeps running after vmdesk exits)
      vmdesk start   VM --throwaway
                                      run it on a temporary overlay: what it writes is
                                      discarded when it is off
      vmdesk stop    VM               press the ACPI power button
      vmdesk kill    VM               force a VM off at once
      vmdesk restart VM               reset a VM and start it again
      vmdesk pause   VM               stop the vCPUs
      vmdesk resume  VM               restart the vCPUs
      vmdesk console VM               show the serial console; typed lines go to the guest
      vmdesk snapshot  VM [--name NAME] [--description TEXT]
                                      take a snapshot of a running VM
      vmdesk snapshots VM             list a VM's snapshots (* marks the current one)
      vmdesk revert    VM SNAPSHOT    go back to a snapshot (a stopped VM starts from it)
      vmdesk screenshot VM FILE.png   save the VM's screen (VMs with a display)
      vmdesk cdrom VM eject|insert FILE.iso [--drive N]
                                      take the medium out of a CD-ROM drive / put an ISO in
      vmdesk inspect VM [--exits]     show the machine as the hypervisor sees it: each vCPU's
                                      mode and registers, the memory map, the devices and
                                      the VMM's threads (--exits: the exits of the next second)
      vmdesk lab create TEMPLATE --count N [--prefix P]
                                      make N numbered student copies (linked clones)
                                      of a stopped VM, named “P 01”… (P: Student)
      vmdesk lab reset VM | --all TEMPLATE
                                      put a stopped student copy (or all of a template's)
                                      back to the template; its snapshots are dropped
      vmdesk lab list TEMPLATE
                                      list a template's student copies and their state
      vmdesk export VM --libvirt [FILE]
      vmdesk export VM --kubevirt [--disk-image-url URL | --container-disk REF]
    {"              ["}--kernel-image REF] [FILE]
                                      write the VM as a libvirt domain XML or a KubeVirt
                                      VirtualMachine manifest (JSON, which is YAML) to FILE or
                                      stdout; what cannot be expressed is listed on stderr
      vmdesk import FILE.xml          make a VM from a libvirt domain XML (virsh dumpxml);
                                      its disks stay where they are; what is left out is listed
      vmdesk completions SHELL        print the completion script for bash, zsh or fish
      vmdesk --version                print the version

    VM is a VM's id or name; SNAPSHOT a snapshot's id or name.
    --json prints machine-readable output, errors included. detect --json prints an object
    with path, kind ("iso" or "disk-image"), iso (volume_id, system_id, publisher_id,
    application_id, size_bytes) or disk_image (format, virtual_size), os (id, short_id, name,
    version; null when not recognised), firmware ("uefi" or "bios"), memory_mib, disk_gib,
    vcpus and notice (code "unknown-os" or "no-database", message; or null).

    Exit status: 0 done · 1 failed ·
    2 bad command line or values, or not an ISO or disk image ·
    3 no such VM · 4 the VM is not in a state that allows this (e.g. not running) ·
    5 the guest ignored the power button · 6 no such snapshot.
cli-unknown-option = unknown option { $option }
cli-unknown-command = unknown command “{ $command }”
cli-missing-command = no command given
cli-missing-vm = “{ $command }” needs a VM id or name
cli-extra-args = too many arguments
cli-no-vms = No virtual machines yet. Run vmdesk without arguments to create one.
main-no-display = cannot open a window: no display server could be reached (DISPLAY={ $display }, WAYLAND_DISPLAY={ $wayland }; { $reason }). The command line works without one: vmdesk --help
cli-col-id = ID
cli-col-name = NAME
cli-col-state = STATE
cli-col-boot = BOOT
cli-no-such-vm = no VM with the id or name “{ $vm }”
cli-broken = { $vm } cannot be used, its settings cannot be read: { $error }
cli-not-running = { $vm } is not running
cli-status = { $vm }: { $state }, { $vcpus } vCPU, { $memory } MiB, up { $uptime } s, pid { $pid }
cli-status-stopped = { $vm }: stopped
cli-started = { $vm } started (pid { $pid })
cli-restarted = { $vm } restarted (pid { $pid })
cli-stop-sent = { $vm }: the guest is powering off
cli-no-response = { $vm }: the guest did not respond to the power button; use “vmdesk kill” to force it off
cli-console-attached = Serial console of { $vm }; Ctrl+C detaches (the VM keeps running).
cli-console-exited = The VM ended: { $reason } (exit status { $code })
cli-missing-value = { $option } needs a value
cli-missing-arg = “{ $command }” needs one more argument (see vmdesk --help)
cli-bad-number = { $option }: “{ $value }” is not a whole number
cli-bad-display = --display: “{ $value }” is not WIDTHxHEIGHT, e.g. 1024x768
cli-created = { $vm } created: { $path }
cli-deleted = { $vm } deleted
cli-snapshot-taken = { $vm }: snapshot { $snapshot } taken in { $total } ms (guest paused { $paused } ms)
cli-no-snapshots = { $vm } has no snapshots
cli-snapshot-incomplete = incomplete: { $problem }
cli-no-such-snapshot = { $vm } has no complete snapshot with the id or name “{ $snapshot }”
cli-reverted = { $vm } went back to snapshot { $snapshot }
cli-started-from = { $vm } started from snapshot { $snapshot } (pid { $pid })
cli-screenshot = screen saved to { $path }
cli-cdrom-usage = “cdrom” needs “eject”, or “insert” and an ISO file
cli-cdrom-bad-drive = --drive { $drive }: not a drive number
cli-cdrom-ejected = CD-ROM drive { $drive } is empty
cli-cdrom-inserted = { $path } is in CD-ROM drive { $drive }

## Disks, network, screen; clones; deleting with disks (wizard, details, library, CLI)
wizard-hardware = Hardware
wizard-creating = Creating…
wizard-busy = Creating the VM…
wizard-busy-disk = Creating the VM and its disk…
wizard-busy-clone = Creating the VM and its linked clone of the image…
hw-storage = Disk
hw-add-disk = Add a disk
hw-storage-none = No disk
hw-storage-keep = None
hw-storage-new = New disk
hw-storage-existing = Existing image
hw-storage-none-hint = The guest boots from its kernel and initrd alone.
hw-gib = GiB
hw-disk-size-hint = A qcow2 image in the VM's folder; it only takes the space the guest writes. { $free } GiB free there.
hw-disk-size-hint-unknown = A qcow2 image in the VM's folder; it only takes the space the guest writes.
hw-image-hint = A raw or qcow2 image. It is attached as a data disk (/dev/vda): vmdesk cannot boot from disks yet.
hw-image-info = { $format } image, { $size }.
hw-pick-image = Choose a disk image
hw-linked = Linked clone (recommended)
hw-linked-hint = The VM writes to its own qcow2 overlay; the image itself is never changed.
hw-direct-hint = The VM uses the image itself and writes to it.
hw-read-only = Read-only
hw-remove = Remove
hw-network = Network (user-mode: passt or libslirp)
hw-network-hint = The guest gets an address by DHCP and reaches the outside through the host; nothing reaches it unless forwarded.
hw-passt-missing = Neither passt nor libslirp is installed, so the VM cannot start with networking: sudo apt install passt (or libslirp0)
hw-backend = Backend
hw-backend-auto = Automatic
hw-backend-auto-hint = libslirp when a TCP port is forwarded (Debian 12's passt cannot carry those in), else passt; whichever is installed.
hw-backend-passt = passt
hw-backend-passt-hint = A separate, sandboxed process (package passt).
hw-backend-slirp = libslirp
hw-backend-slirp-hint = Inside the VM's own confined process (package libslirp0); carries forwarded TCP ports in.
hw-backend-passt-missing = passt is not installed: sudo apt install passt, or choose Automatic.
hw-backend-slirp-missing = libslirp is not installed: sudo apt install libslirp0, or choose Automatic.
hw-forwards = Forwarded ports
hw-forwards-hint = From 127.0.0.1 on this computer to the guest, host port:guest port, e.g. tcp 2222:22, udp 5353:53. Optional.
hw-display-none = No screen (serial console only)
hw-display-hint = A framebuffer with keyboard and tablet, shown in the Screen view.
details-hw-running = Disks, network and screen can't change while the VM runs.
error-disk-size-zero = A disk needs at least 1 GiB.
error-disk-size-huge = At most { $max } GiB.
warn-disk-size-free = Larger than the { $free } GiB free there now: fine while the guest writes less (the disk grows as it is written), but the guest gets write errors if the host's disk fills up.
error-image = Cannot use this image: { $detail }
error-forward = “{ $item }” is not a port forward; write e.g. tcp 8080:80.
error-delete-clones = its disks back the linked clones { $names }; delete those first.
error-clone = Could not clone: { $detail }
notice-cloned = “{ $name }” was created as a clone.
notice-deleted-kept = “{ $name }” was deleted; its disk images are kept in { $path }.
delete-keep-disks = Keep the disk images
delete-keep-hint = The images in its disks folder are moved out of the VM's folder first. Images elsewhere are never touched.
delete-trash-hint = The images in its disks folder go to the trash. Images elsewhere are never touched.
button-clone = Clone
clone-default-name = { $name } (clone)
clone-title = Clone “{ $name }”
clone-linked = Linked clone
clone-linked-hint = Fast and small: the clone's disks are qcow2 overlays on this VM's disks as they are now. From now on both VMs write to overlays of their own.
clone-full-hint = Every disk is copied: slower, but the clone stands alone.
clone-linked-running = The VM is running: its disks are changing, so only a full copy can be made (and only of disks it does not write). Power it off for a linked clone.
clone-busy = Cloning as “{ $name }”… { $percent } %
cli-cloned = { $vm } cloned as { $clone }
cli-clone-running = { $vm } is running: power it off first (its disks must not change while they are cloned)
cli-bad-disk = --disk and --disk-size go separately: one disk per VM from the command line
hw-vnc-port = VNC port
hw-vnc-password = Password
hw-vnc-hint = Optional: the screen also over VNC on 127.0.0.1 at this port, for other viewers (the password is required; VNC uses 8 characters).
error-vnc-port = A port is a number from 1 to 65535.

## Activity tab: live graphs (stats)
stats-live-title = Live activity
stats-window = the last minute, one sample a second
stats-cpu = CPU
stats-cpu-vcpu = guest vCPUs { $value }
stats-cpu-vmm = VMM overhead { $value }
stats-memory = Memory
stats-memory-rss = resident (RSS)
stats-memory-guest = guest RAM { $size }
stats-disk = Disk
stats-read = read { $rate }
stats-written = written { $rate }
stats-no-disks-explain = This VM has no disk.
stats-net = Network
stats-received = received { $rate }
stats-sent = sent { $rate }
stats-disk-line = disk{ $n }: read { $read } in { $reads } requests · wrote { $written } in { $writes } · { $flushes } flushes
stats-no-nics-explain = This VM has no network interface.
stats-vcpu-cpu = { $cpu } % CPU

# Details: CD/DVD drives, firmware and boot order (issue 14)
details-cdrom = CD/DVD
details-firmware = Firmware
details-boot-order = Boot order
details-cd-none = No CD/DVD drive.
details-cd-add = Add CD/DVD drive
details-cd-empty = Empty
details-cd-eject = Eject
details-cd-insert = Insert ISO…
details-cd-pick = Choose an ISO image
details-cd-typed-hint = Or type the ISO file's path:
details-cd-insert-typed = Insert
details-cd-busy = Changing the disc…
details-cd-live-hint = The guest sees the change at once; the VM starts with the same disc next time.
details-cd-path-empty = Type the path of an ISO image.
details-cd-disk-image = { $file } is a disk image, not an ISO: add it under Disks instead.
details-cd-no-drive = This VM has no CD/DVD drive { $drive }.
details-cd-refused = The VM refused: { $reason }
details-cd-missing = This file is not there any more: eject it or insert another ISO, or the VM cannot start.
details-firmware-uefi = UEFI
details-firmware-bios = BIOS
details-firmware-vars-kept = The UEFI variables (OVMF_VARS.fd) stay in the VM's folder.
details-boot-auto = Automatic
details-boot-cdrom = CD/DVD first
details-boot-disk = Disk first
details-boot-hint = Automatic: the CD/DVD first while it holds a disc, else the disk. Saved with the other settings.
details-boot-running = Firmware and boot order can change while the VM is stopped.

## New-VM wizard: installing from an ISO or disk image (issue 14, wizard)
wizard-kind-install = Install from an ISO or disk image
wizard-kind-install-hint = An installer or live ISO, or a ready disk image
wizard-kind-linux-hint = A kernel from this computer, loaded directly
install-file = File
install-file-hint = An installer ISO goes into the VM's CD drive; a disk image becomes its boot disk.
install-file-none = Choose an ISO image or a disk image.
install-name-placeholder = My VM
install-pick = Choose an ISO or disk image
install-filter-iso = ISO images
install-filter-disk = Disk images
install-filter-all = All files
install-not-media = { $file } is neither an ISO image nor a disk image ({ $reason }).
install-cannot-read = { $file } cannot be read: { $reason }
install-os = Operating system
install-detecting = Looking at the file…
install-kind-iso = Installer medium (ISO): it goes into the VM's CD drive.
install-kind-disk = Disk image ({ $format }, { $size }): it becomes the VM's boot disk.
install-unknown-os = Unknown OS — generic settings
install-unknown-hint = The OS database does not know this medium, so the settings below are generic ones. Give the VM more if its OS needs it.
install-unknown-disk-hint = The system inside a disk image is not recognised, so the settings below are generic ones. Give the VM more if its OS needs it.
install-known-hint = The settings below are what this OS recommends; change them as you like.
install-no-database = The OS database (osinfo-db) cannot be read ({ $reason }), so the OS is not recognised and the settings below are generic ones. To install it: sudo apt install osinfo-db
install-firmware = Firmware
install-uefi = UEFI
install-bios = BIOS (legacy)
install-firmware-detected = The firmware this OS needs.
install-firmware-generic = UEFI suits current systems; older ones may need BIOS.
install-firmware-changed = Not the firmware this OS is made for: it may not start.

## CLI: installing from an ISO or disk image (issue 14, CLI part)
cli-create-one-boot = “create” needs exactly one of --kernel FILE, --iso FILE and --boot-disk IMAGE
cli-option-needs = { $option } goes only with { $needs }
cli-options-conflict = { $first } and { $second } cannot be used together
cli-bad-firmware = --firmware: “{ $value }” is neither uefi nor bios
cli-not-media = { $file } is neither an ISO image nor a disk image ({ $reason })
cli-cannot-read = cannot read { $file }: { $reason }
cli-detect-iso = { $file }: ISO image “{ $volume }”, { $size }
cli-detect-disk-image = { $file }: { $format } disk image, { $size }
cli-detect-os = OS: { $name } ({ $id })
cli-detect-os-unknown = OS: unknown, generic settings
cli-detect-firmware = Firmware: { $firmware }
cli-detect-resources = Recommended: { $memory } MiB memory, { $disk } GiB disk, { $vcpus } vCPUs
cli-detect-resources-image = Recommended: { $memory } MiB memory, { $vcpus } vCPUs (the image is the disk)
cli-notice-unknown-os = osinfo-db does not know this medium: the VM gets generic settings (the options of vmdesk create change them).
cli-notice-no-database = osinfo-db is not available ({ $reason }), so operating systems are not recognised and generic settings are used. Install it: sudo apt install osinfo-db
cli-iso-is-disk-image = { $file } is a disk image, not an ISO: use --boot-disk
cli-boot-disk-is-iso = { $file } is an ISO image, not a disk image: use --iso
cli-created-install = { $memory } MiB memory, { $vcpus } vCPUs, { $firmware }

## CLI: the clap parser and completions (issue 15, CLI part)
cli-repeated-option = { $option } is given twice
cli-flag-takes-no-value = { $option } takes no value
cli-bad-value = { $option }: “{ $value }” is not one of { $valid }
cli-not-utf8 = “{ $arg }” is not valid UTF-8: vmdesk needs file names and words in UTF-8

## SATA disks (issue 14, VMM side)
config-sata-needs-firmware = SATA disks need a BIOS or UEFI machine; a Linux-kernel machine uses virtio disks.
config-too-many-sata-disks = { $count } SATA disks is more than the { $max } ports the CD-ROM drives leave free.

## Serial console as a terminal (issue 15)
terminal-size = {$cols}×{$rows}
terminal-size-tip = The terminal is {$cols} columns by {$rows} rows. A serial port cannot tell the guest its size: programs that ask the terminal learn it (run “resize” in the guest), or set it with “stty cols {$cols} rows {$rows}”.
terminal-hint = Click the terminal to type into the guest.
terminal-hint-focused = Keys go to the guest. Esc or a click outside gives them back; Ctrl+[ sends Esc, Ctrl+Shift+V pastes.
terminal-hint-stopped = Start the VM to type into its serial console.
terminal-not-sent = Not sent to the guest: {$error}

## Layouts and toasts (issue 15)
screen-more = More: screen size, screenshot, fullscreen (F11)
details-more = More: restart, force off

## Linked clones, failure reasons, screenshots, Browse (issue 15, fixes part)
error-vmm-exited-because = “{ $name }” did not start: { $reason }
details-save-breaks-snapshots = { $count ->
    [one] The snapshot { $names } was taken with other hardware (vCPUs, memory or disks): after this change the VM cannot be started from it.
   *[other] The snapshots { $names } were taken with other hardware (vCPUs, memory or disks): after this change the VM cannot be started from them.
}
details-keep-snapshots = Keep the snapshots usable
details-save-anyway = Save anyway
cli-screenshot-not-png = { $file }: vmdesk saves screenshots as PNG, not .{ $ext }; name the file .png
notice-screenshot-failed = The screenshot was not saved: { $reason }
choose-none = No file chooser could open (it needs xdg-desktop-portal, zenity or kdialog): type the file's full path instead.
error-image-is-iso = { $file } is an installer image (ISO), not a disk: to install from it, make the VM with “Install from an ISO or disk image”, which puts it in a CD drive.
check-software-kvm = This computer has no hardware virtualization
check-software-kvm-fix = KVM here comes from { $module }, which emulates the guest's kernel code in software: VMs run about 1000 times slower than usual, and most operating systems will not finish booting. Small test systems work. On a computer with Intel VT-x or AMD-V turned on in its firmware settings, VMs run at full speed.

## Inspector panel (issue 16, app side)
screen-inspector = Inspector
screen-inspector-tip = Shows the machine as the hypervisor sees it: processors, exits, memory, devices.
insp-tab-vcpus = vCPUs
insp-tab-exits = Exits
insp-tab-memory = Memory
insp-tab-devices = Devices
insp-tab-host = Host
insp-about-vcpus = The guest's virtual processors. KVM runs their code on the real CPU until something needs the VMM.
insp-about-exits = An exit is when the CPU stops running the guest and hands control to the VMM, e.g. to emulate a device.
insp-about-memory = The guest's physical address space: where its RAM is, and the windows where devices answer instead.
insp-about-devices = The hardware the guest sees, and how the VMM provides each piece.
insp-about-host = On this computer the whole VM is one ordinary process, vmdesk-vmm, with a thread per job.
insp-paused = Paused: this is the machine exactly where it stopped. Step runs one instruction.
insp-stopped = The VM is not running: this is what it looked like last.
insp-error = The VMM did not answer: { $reason }
insp-waiting = Asking the VMM…
insp-vcpu = vCPU { $index }
insp-running = running
insp-running-tip = The vCPU is executing guest code (or about to).
insp-halted = halted
insp-halted-tip = The guest ran HLT: it has nothing to do and waits for an interrupt, using no host CPU.
insp-stopped-here = stopped
insp-changed = Highlighted: changed since the last refresh (or step).
insp-step = Step
insp-step-tip = Runs exactly one instruction on this vCPU, then shows which registers it changed.
insp-stepped = One instruction ran (stopped by: { $by })
insp-stepped-nothing = No register shown here changed.
insp-mode-real = 16-bit real mode
insp-mode-v86 = virtual 8086 mode
insp-mode-protected = 32-bit protected mode
insp-mode-compat = 32-bit compatibility mode
insp-mode-long = 64-bit long mode
insp-mode-real-tip = How every x86 CPU starts: 16-bit code, 1 MiB of memory, no protection.
insp-mode-v86-tip = Old 16-bit programs running inside protected mode.
insp-mode-protected-tip = 32-bit mode with memory protection: the kernel and programs are kept apart.
insp-mode-compat-tip = A 32-bit program running under a 64-bit kernel.
insp-mode-long-tip = The mode of 64-bit operating systems: 64-bit registers and addresses.
insp-paging-on = paging on
insp-paging-off = paging off
insp-ring-kernel = kernel (ring 0)
insp-ring-user = user program (ring 3)
insp-ring-other = ring { $ring }
insp-reg-rip = RIP: the address of the next instruction the vCPU will run.
insp-reg-rsp = RSP: the top of the stack, where calls keep their return addresses.
insp-reg-rflags = RFLAGS: results of the last comparison and switches such as "interrupts on" (bit 9).
insp-reg-cr0 = CR0: basic CPU switches; bit 0 turns on protected mode, bit 31 paging.
insp-reg-cr3 = CR3: where the guest's page tables start; the CPU walks them to turn virtual into physical addresses.
insp-reg-cr4 = CR4: more CPU features, e.g. the larger page tables that 64-bit mode needs (PAE, bit 5).
insp-reg-efer = EFER: turns on 64-bit long mode (bits 8 and 10) and the no-execute protection.
insp-reg-general = A general-purpose register: the program's own working values.
insp-code = Code at RIP
insp-code-tip = The machine code bytes the vCPU will run next, in hexadecimal.
insp-vcpu-thread = Host thread { $name } ({ $tid }) · CPU time { $cpu } · last on CPU { $last }
insp-vcpu-thread-tip = Each vCPU is one ordinary thread of vmdesk-vmm; Linux schedules it on the real CPUs like any program.
insp-dropped = { $count } exits were not shown: they came faster than the panel reads them.
insp-no-exits = No exits yet: the guest has run without needing the VMM.
insp-col-time = Time (s)
insp-col-vcpu = vCPU
insp-col-reason = Reason
insp-col-where = Port/address
insp-col-value = Value
insp-col-size = Size
insp-no-device = nothing there
insp-kind-ram = RAM
insp-kind-ram-tip = The guest's memory: KVM maps it straight in, so the guest uses it without exits.
insp-kind-rom = ROM
insp-kind-rom-tip = Read-only memory the guest starts from, such as the firmware.
insp-kind-flash = Flash
insp-kind-flash-tip = The UEFI firmware's flash chip: reads are direct, writes exit to the VMM.
insp-kind-fb = Screen
insp-kind-fb-tip = The framebuffer: memory holding the pixels the guest draws; the VMM sends them to the window.
insp-kind-mmio = Device
insp-kind-mmio-tip = A device's registers: every read or write here is an exit that the VMM emulates.
insp-kind-reserved = Reserved
insp-kind-reserved-tip = A hole in the address space: nothing answers here.
insp-touched = { $touched } used so far ({ $percent } %) · { $huge } in huge pages
insp-touched-tip = How much of it the guest has actually touched: the host only gives memory when it is first used.
insp-every-access-exits = Not memory: every access is handled by the VMM.
insp-dev-emulated = emulated
insp-dev-emulated-tip = The VMM imitates real hardware register by register; the guest cannot tell it from the real thing.
insp-dev-paravirtual = paravirtual
insp-dev-paravirtual-tip = Made for virtual machines (virtio): the guest's driver knows and needs far fewer exits.
insp-dev-in-kernel = in KVM
insp-dev-in-kernel-tip = Emulated inside the Linux kernel (KVM) itself, which is faster than going out to the VMM.
insp-dev-exits = { $count } exits
insp-dev-exits-tip = How often the guest's accesses to this device stopped the vCPU.
insp-dev-transport = Connected through { $transport }
insp-dev-ports = I/O ports
insp-dev-ports-tip = The port numbers the guest reads and writes with IN and OUT instructions.
insp-dev-mmio = MMIO
insp-dev-mmio-tip = Memory addresses where the device's registers appear.
insp-dev-irqs = Interrupts
insp-dev-irqs-tip = The interrupt lines the device uses to tell the guest that something happened.
insp-dev-msix = MSI-X
insp-dev-msix-tip = Message-signalled interrupts: instead of a wire, the device writes a message to the CPU's interrupt controller. Each entry names the guest's interrupt vector and the CPU (APIC) it goes to.
insp-dev-msix-entry = entry { $entry } → vector { $vector } on APIC { $apic } ({ $users }){ $masked ->
    [yes] , masked
   *[no] {""}
}
insp-dev-queue = Queue { $index }: { $size } slots, { $served } requests served
insp-dev-queue-tip = A virtio queue: a ring in guest memory where the driver leaves requests for the device.
insp-host-process = Process vmdesk-vmm, PID { $pid }
insp-host-rss = Memory in use (RSS): { $rss }
insp-host-rss-tip = The host memory this VM really occupies now, guest RAM included.
insp-last-cpu = CPU { $cpu }
insp-last-cpu-tip = The real processor core this thread ran on last.
insp-thread-vcpu = Runs one virtual processor: enters the guest, and handles its exits.
insp-thread-display = Copies the guest's screen when it changes.
insp-thread-vnc = Sends the screen to the app and takes keys and mouse (VNC).
insp-thread-api = Answers the app's requests over the control socket.
insp-thread-io = Does disk or network work so the vCPUs need not wait.
insp-thread-main = Built the VM and waits for it to end.
insp-thread-other = A helper thread of the VMM.
# Issue 15 polish (part a, app15): fullscreen bar, activity legend
screen-leave-fullscreen = Leave fullscreen
# --- issue 16 (b): `vmdesk inspect` (the inspector, VMM side) ---
cli-inspect-mode-real = real mode (16-bit, as the CPU starts)
cli-inspect-mode-v8086 = virtual-8086 mode
cli-inspect-mode-protected = protected mode (32-bit)
cli-inspect-mode-compatibility = compatibility mode (32-bit code under a 64-bit kernel)
cli-inspect-mode-long = long mode (64-bit)
cli-inspect-paging-on = paging on
cli-inspect-paging-off = paging off
cli-inspect-halted = halted (waiting for an interrupt)
cli-inspect-stale = last known values (the vCPU did not answer in time)
cli-inspect-code = code at RIP: { $bytes }
cli-inspect-vcpu-thread = host thread { $tid }, last on CPU { $cpu }, { $ms } ms of CPU time
cli-inspect-vcpu-exits = exits: { $exits }
cli-inspect-memory = Memory map (guest-physical):
cli-inspect-memory-columns = start|size|kind|touched|huge pages|what
cli-inspect-kind-ram = RAM
cli-inspect-kind-rom = ROM
cli-inspect-kind-flash = flash
cli-inspect-kind-framebuffer = framebuffer
cli-inspect-kind-mmio = device registers
cli-inspect-kind-reserved = reserved
cli-inspect-devices = Devices:
cli-inspect-device-columns = name|kind|transport|ports|MMIO|IRQs|exits|queues (served/size)
cli-inspect-device-emulated = emulated
cli-inspect-device-paravirtual = paravirtual
cli-inspect-device-in-kernel = in KVM
cli-inspect-host = VMM process { $pid }, { $rss } resident; its threads:
cli-inspect-thread-columns = thread|name|CPU s|last CPU
cli-inspect-exit-columns = #|vCPU|µs|reason|address|size|value|device
cli-inspect-no-exits = No exits in the last second (the VM is paused, or its vCPUs sleep in KVM).
cli-inspect-exits-dropped = { $n } older exits did not fit in the log and were dropped.
## VM beside a container (issue 16, container comparison)
compare-no-crun = crun, the container runtime, is not installed: install it with “sudo apt install crun”.
compare-needs-root = Running the container needs root here (it mounts the overlay and sets cgroup limits): run “sudo vmdesk compare”.
compare-no-rootfs = { $file } is missing: it is the busybox root filesystem both sides run. Make it with tests/linux/build-guest.sh.
compare-overlay-refused = overlayfs was refused ({ $error }): the container's root is the unpacked folder itself, without a layer of its own on top.
compare-no-cgroups = No cgroup hierarchy is mounted (neither cgroup v2 at /sys/fs/cgroup nor v1 hierarchies), so no memory or CPU limit can be set: mount cgroup2 on /sys/fs/cgroup.
compare-cgroup-view = This computer mixes cgroup v1 and v2 with controllers on both, which crun refuses (“hybrid mode”); vmdesk showed crun only the v1 hierarchies, so the limits are the kernel's v1 cgroups.
compare-crun-failed = crun { $step } failed: { $error }
compare-userns-refused = The kernel refused a user namespace ({ $error }), so the container's root is the host's root. Allow them with “sysctl user.max_user_namespaces=15000” (and “sysctl kernel.unprivileged_userns_clone=1” on older Debian kernels).
compare-interrupted = Interrupted: the container was removed.
compare-vm-was-running = The VM was already running, so its start was not timed: stop it and compare again to time it.
compare-vm-no-output = The guest wrote nothing on its serial port ({ $file }) within 30 seconds, so its start could not be timed.
compare-vm-no-shell = No Linux shell answered on the serial port (this needs the Linux test guest started with vmdesk.init=shell), so the guest's kernel version is unknown.
compare-vm-not-linux = The VM does not boot a Linux kernel directly, so there is no shell on its serial port to ask for its kernel version.
compare-title = Containers vs VMs, measured live (container runtime: { $runtime })
compare-col-textbook = Textbook
compare-col-container = Container
compare-col-vm = VM
compare-vm-none = No VM measured: name one (vmdesk compare VM).
compare-not-measured = not measured (see the notes)
compare-unlimited = unlimited
compare-row-start = Start to a shell
compare-row-start-help = From asking for it to a shell answering (container), or to the guest's first output on its serial port (VM).
compare-row-start-textbook = container: seconds; VM: minutes
compare-row-memory = Memory used
compare-row-memory-help = What the kernel charges to the container's cgroup; for the VM, what the VMM process holds in RAM.
compare-row-memory-textbook = container: megabytes; VM: gigabytes
compare-memory-container = { $used } (its cgroup)
compare-memory-vm = { $used } resident, of { $ram } guest RAM
compare-row-disk = Size on disk
compare-row-disk-help = The files each side needs: the container's root and what it wrote; the VM's folder, kernel, initrd and disks.
compare-row-disk-textbook = container: megabytes; VM: gigabytes
compare-disk-container = root { $root } + its own layer { $upper }
compare-row-kernel = Kernel inside (uname -r)
compare-row-kernel-help = The kernel version a program inside sees: a container has the host's kernel, a VM boots its own.
compare-row-kernel-textbook = container: the host's; VM: its own
compare-kernel = { $inside } (host: { $host })
compare-row-pid1 = PID 1
compare-row-pid1-help = The first process: a container's init is a host process with another number inside; a VM's init lives in the guest's kernel.
compare-row-pid1-textbook = both: their own init
compare-pid1-container = { $cmdline } (pid { $inside } inside, { $host } on the host)
compare-pid1-vm = the guest kernel's own init, out of the host's sight; the host sees the VMM (pid { $host })
compare-row-processes = Processes inside
compare-row-processes-help = What ps inside lists: a container sees only its own processes, because it has its own pid namespace.
compare-row-processes-textbook = both: only their own
compare-processes-vm = the host sees one process, the VMM (pid { $host }); the guest's own are inside its memory
compare-row-isolated = Isolated (own namespaces)
compare-row-isolated-help = Namespaces give a process its own view of one part of the system (processes, mounts, network …); compared with the host's by /proc/<pid>/ns.
compare-row-isolated-textbook = container: namespaces; VM: virtual hardware
compare-isolated-vm = namespaces: { $namespaces }; the guest is walled off by virtual hardware instead
compare-row-shared = Shared with the host
compare-row-shared-help = What both sides use of the host: a container its kernel and the namespaces it did not get; a VM the VMM process only.
compare-row-shared-textbook = container: the host's kernel; VM: the hardware
compare-shared-container = the host's kernel; namespaces: { $namespaces }
compare-shared-vm = the VMM process's namespaces: { $namespaces }; not the kernel
compare-row-limits = Limits
compare-row-limits-help = How much each side may use: the container's cgroup files, read back; the VM's RAM as set.
compare-row-limits-textbook = container: cgroups; VM: its virtual hardware
compare-limits-container = memory { $memory }, CPU { $cpu } (cgroup v{ $version })
compare-limits-vm = guest RAM { $ram }
compare-row-layers = Layers
compare-row-layers-help = A container's root is an overlay: the shared files below, its own changes above; a VM writes to its own disk images.
compare-row-layers-textbook = container: image layers; VM: disk images
compare-layers-container = below: { $lower }; above: { $upper }
compare-layers-vm = its own disk images
compare-no-overlay = no overlay (see the notes)
compare-vm-ended = The VM stopped before it could be measured (its guest powered off): give it a guest that keeps running.
# Lab mode (issue 16, part e)
lab-error-version = { $file } was written by another vmdesk (lab file version { $version }); it is left as it is.
lab-error-count = The number of student copies must be a whole number from 1 to { $max }.
lab-error-prefix = The name prefix is empty: the copies are named after it (“Student 01”, …).
lab-error-student-as-template = { $vm } is itself a student copy: make student copies of its template instead.
lab-error-not-student = { $vm } is not a student copy of a template, so it has nothing to be reset to.
lab-error-running = { $vm } is running: shut it down first, then reset it.
lab-error-not-linked = { $file } is not a linked clone's overlay (it has no backing file): it cannot be reset.
lab-progress = student copy { $done } of { $total } made
lab-made = { $count } student copies of { $vm } made: { $names }
lab-reset-done = { $vm } is back to its template ({ $snapshots } snapshots dropped)
lab-reset-all-done = { $count } of { $total } student copies reset
lab-no-students = { $vm } has no student copies.
cli-lab-option = { $option } does not go with lab { $action }
cli-lab-count-missing = lab create needs --count N (how many student copies)
lab-default-prefix = Student
projector-button = Projector
projector-title = Projector mode
projector-explain = For showing vmdesk to a class: larger, starker, easier to read from the back of the room. Saved and applied at once.
projector-scale = UI scale
projector-scale-explain = Everything drawn larger; a small window keeps room for every screen (at least 800×600 before scaling).
projector-scale-limited = This window is too small for more: drawn at { $scale } now. Enlarge it or go full screen.
projector-high-contrast = High contrast
projector-high-contrast-explain = Black on white with strong borders, for washed-out projectors.
projector-large-font = Large console font
projector-large-font-explain = The serial console's text in a bigger font, so a class can read what the guest prints.
projector-close = Close
lab-title = Lab mode
lab-explain = Student copies are linked clones of this VM: each student gets their own, and one click puts it back.
lab-is-student = A student copy of { $template }.
lab-make-button = Make student copies…
lab-stopped-only = Only a stopped VM can be copied: its disks must not change meanwhile.
lab-count = How many
lab-prefix = Name prefix
lab-make-explain = Named “prefix 01”, “prefix 02”…; each takes only what its student writes. This VM then runs on its own overlay; copies start from it as it is now.
lab-make = Make copies
lab-cancel = Cancel
lab-students = { $count ->
        [one] One student copy
       *[other] { $count } student copies
    }
lab-reset = Reset
lab-reset-all = Reset all
lab-reset-question = Reset { $name } to the template?
lab-reset-all-question = Reset all { $count } student copies to the template?
lab-reset-explain = What was written since is lost, and { $snapshots } snapshots with it. Running copies are left as they are.
lab-throwaway = Throwaway runs
lab-throwaway-explain = Each run starts on a temporary overlay: whatever the VM writes is discarded when it is off.

# c16 (f): the "VM beside a container" screen
compare-ui-open = Compare with a container
compare-ui-open-help = See this VM beside a container, measured live: start time, memory, kernel, isolation.
compare-ui-title = Containers vs VMs
compare-ui-cancel = Cancel
compare-ui-again = Run again
compare-ui-running = Starting a container with crun and measuring it beside { $vm } …
compare-ui-running-help = This takes a few seconds up to a minute: both are started, measured while they run, then stopped and cleaned up.
compare-ui-cancelling = Cancelling: the container is being removed …
compare-ui-failed = The comparison could not run
compare-ui-failed-help = Nothing was left behind: the container and its files were removed. Fix the above, then press Run again.
compare-ui-col-textbook = Textbooks say
compare-ui-col-container = Container (crun)
compare-ui-col-vm = This VM
compare-ui-notes = Notes on this run

## Backing chains (issue 17 #1)
backing-file-line = { $file } · { $format } · { $size } · in { $folder }
backing-outside = outside the allowed places
backing-reads-from = This disk reads from:
backing-allowed = Allowed: files in { $folders } (recorded in vm.toml).
backing-question = This disk reads from files in { $folders }. Allow vmdesk to use them?
backing-why = vmdesk takes backing files only from the image's folder and the VM's folder unless you allow more: an image can name any file, and the guest would read it. Allowing records the folders in vm.toml (allow_backing).
backing-allow = Allow
backing-cancel = Don't use this disk
backing-refused = vmdesk will not use this disk
backing-answer-first = This disk reads from files outside its folder: allow them, or choose another image.
backing-disk-blocked = Reads from files in { $folders }, which this VM may not use: it will not start until you allow them and save.
cli-backing-ask =
    { $chain }
    This disk reads from files in { $folders }, outside the image's folder and the VM's.
    If you trust them, run the command again with --allow-backing (recorded in vm.toml).
cli-backing-refused =
    { $chain }
    vmdesk will not use this disk: a file of its backing chain is not a disk image.
# Export to libvirt / KubeVirt and import from libvirt (vmdesk export, vmdesk import)
export-note-vnc-port = VNC on TCP port { $port } is not in the domain: libvirt's VNC listens on a Unix socket here (the port is kept in vmdesk's metadata)
export-note-kernel-machine = the kernel machine (virtio-mmio, no PCI) becomes a q35 PC with the same devices on PCI: the guest kernel needs virtio-pci
export-note-vga-rom = the VGA BIOS { $path } has no libvirt element: QEMU uses its own (kept in vmdesk's metadata)
export-note-allow-backing = disk { $disk }: libvirt has no list of allowed backing-file folders (kept in vmdesk's metadata)
kubevirt-note-empty-cdrom = CD-ROM drive { $drive } is empty: left out (a KubeVirt drive needs a volume)
kubevirt-note-extra-nic = NIC { $nic } left out: the pod network takes one interface (more need Multus)
kubevirt-note-forward = { $proto } port { $host } on the host to { $guest } in the guest: the guest port is declared; reach it with “virtctl port-forward vm/{ $vm } { $host }:{ $guest }” or a Service
kubevirt-note-kernel-image = the kernel and initrd must be in the container image { $image } (/boot/vmlinuz, /boot/initrd): build and push it first
kubevirt-note-screen = the screen size { $width }×{ $height } has no KubeVirt field: the guest picks its mode
import-error-xml = not a well-formed XML document (DTDs and entities are refused): { $detail }
import-error-not-domain = not a libvirt domain: the root element is <{ $element }>
import-error-missing = { $element } is missing
import-error-value = { $element }: “{ $value }” is not a valid value
import-error-os-type = OS type “{ $kind }”: vmdesk runs full virtual machines (hvm)
import-error-arch = architecture “{ $arch }”: vmdesk runs x86-64 guests
import-error-machine = machine type “{ $machine }” is not one vmdesk has (pc, q35, microvm)
import-error-no-file = { $path }: no such file
import-error-disk-source = disk { $disk }: a “{ $kind }” source is not supported (only image files and block devices)
import-error-not-iso = CD-ROM { $disk }: { $path } is not an ISO 9660 image
import-error-format = disk { $disk }: the format “{ $format }” is not supported (raw or qcow2; convert it with qemu-img convert -O qcow2)
import-error-image = disk { $disk }: { $path }: { $reason }
import-error-format-mismatch = disk { $disk }: { $path } is said to be { $declared } but is { $found }
import-note-domain-type = domain type “{ $kind }” runs under KVM
import-note-unsupported = { $element }: not supported, left out
import-note-boot-dev = boot device “{ $dev }”: not supported, left out of the boot order
import-note-nvram = the UEFI variables in { $path } are not copied: the VM starts with a fresh store
import-note-secure-boot = Secure Boot is not supported: the VM boots without it
import-note-extra-serial = only the first serial port is kept
import-note-spice = the SPICE display becomes vmdesk's screen (VNC)
import-note-vnc-tcp = VNC over TCP is off: vmdesk shows the screen through its own socket (a port can be set in the VM's settings)
import-note-cdrom-kernel = CD-ROM { $disk } left out: a VM booting a kernel directly has no CD-ROM drives
import-note-bus = disk { $disk }: the { $from } bus becomes { $to }
import-note-nic-type = NIC { $nic }: a “{ $kind }” interface becomes user-mode networking (passt or libslirp)
import-note-nic-model = NIC { $nic }: the model { $model } becomes virtio
import-note-range = ports { $start }–{ $end }: too many to forward, left out
cli-export-one-format = export needs one of --libvirt and --kubevirt
cli-exported = { $vm } exported to { $file }
cli-export-note = not exported as is: { $note }
cli-export-upload = upload the disk images with:
cli-imported = { $file } imported as { $vm }
cli-import-note = not imported as is: { $note }
details-export-libvirt = Export to libvirt…
details-export-kubevirt = Export to KubeVirt…
library-import = Import…
library-import-pick = Import a libvirt VM (domain XML)
library-import-filter = libvirt domain XML
config-display-kind-unavailable = This machine has no “{ $kind }” screen; choose one of: { $allowed }.
hw-display-kind = Device
hw-display-kind-framebuffer = Framebuffer
hw-display-kind-std-vga = Standard VGA
hw-display-kind-virtio-gpu = virtio-gpu (resizes with the window)
