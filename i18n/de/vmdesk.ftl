# vmdesk — Deutsch

app-title = vmdesk

## Buttons
button-start = Starten
button-pause = Anhalten
button-resume = Fortsetzen
button-power-off = Ausschalten
button-force-off = Sofort ausschalten
button-restart = Neu starten
button-delete = Löschen
button-details = Details
button-cancel = Abbrechen
button-dismiss = Schließen

## VM states
state-stopped = Aus
state-starting = Startet
state-running = Läuft
state-paused = Angehalten
state-stopping = Fährt herunter
state-broken = Defekt

## Library
library-title = Virtuelle Maschinen
library-new = Neue VM
library-search-placeholder = Suchen (Strg+F)
library-empty-title = Noch keine virtuellen Maschinen
library-empty-hint = Legen Sie eine mit „Neue VM“ an (Strg+N): Sie startet direkt einen Linux-Kernel.
library-no-match = Keine virtuelle Maschine passt zur Suche.
library-summary = { $boot } · { $vcpus } vCPU · { $memory } MiB
library-broken = Die Einstellungen dieser VM sind nicht lesbar, daher bleibt sie unverändert: { $error }
library-last-exit = Letzter Lauf: { $meaning }
language-system = Systemsprache
delete-question = „{ $name }“ löschen?
delete-explain = Ihr Ordner mit Einstellungen und Protokollen wird entfernt. Das lässt sich nicht rückgängig machen.

## How a VM ended (vmdesk-vmm's exit status)
exit-power-off = der Gast hat sich ausgeschaltet.
exit-vmm-error = der VMM ist gescheitert (Exit-Status 1); siehe Protokoll unten.
exit-bad-config = die Einstellungen wurden vor dem Start abgelehnt (Exit-Status 2).
exit-reset = der Gast hat einen Reset oder Neustart verlangt (Exit-Status 3).
exit-guest-crash = der Gast ist abgestürzt (Exit-Status 4).
exit-killed = sie wurde sofort ausgeschaltet (Exit-Status 5).
exit-other = vmdesk-vmm endete mit Exit-Status { $code }.
exit-signal = vmdesk-vmm wurde durch Signal { $signal } beendet.
exit-unknown = vmdesk-vmm wurde beendet; der Exit-Status ist unbekannt.
exit-seccomp = der Sicherheitsfilter des VMM hat ihn gestoppt: sein Thread { $thread } hat einen Systemaufruf gemacht, der ihm nicht erlaubt ist (Nummer { $syscall }). Das ist ein Fehler in vmdesk: bitte mit dem Protokoll unten melden.

## Notices and errors
notice-created = „{ $name }“ wurde angelegt.
notice-deleted = „{ $name }“ wurde gelöscht.
notice-copied = Die Konsolenausgabe ist in der Zwischenablage.
notice-reset-loop = „{ $name }“ hat sich innerhalb einer Minute { $count }-mal zurückgesetzt und bleibt ausgeschaltet.
notice-no-response = Der Gast in „{ $name }“ hat nicht auf den Ein/Aus-Knopf reagiert. Sofort ausschalten?
error-not-running = „{ $name }“ läuft nicht.
error-vmm-missing = Start nicht möglich: { $detail }
error-vmm-exited = „{ $name }“ hat sofort wieder angehalten: { $meaning }
error-api = „{ $name }“: { $detail }
error-create = Die neue VM konnte nicht gespeichert werden: { $detail }
error-delete = „{ $name }“ konnte nicht gelöscht werden: { $detail }
error-delete-running = „{ $name }“ läuft: Schalten Sie sie aus, bevor Sie sie löschen.
error-settings = Die Einstellungen konnten nicht gespeichert werden: { $detail }

## Form fields
form-name = Name
form-name-placeholder = Meine Linux-VM
form-boot = Startet
boot-bios = BIOS-Firmware
boot-uefi = UEFI-Firmware
form-kernel = Kernel
form-kernel-hint = Eine bzImage- oder ELF-vmlinux-Datei.
form-initrd = Initrd
form-optional = Optional.
form-cmdline = Kommandozeile
form-cmdline-hint = Kernel-Parameter; console=ttyS0 zeigt den Start in der Konsole.
form-vcpus = vCPUs
form-vcpus-hint = Virtuelle CPUs, 1 bis { $max }.
form-memory = Speicher (MiB)
form-memory-hint = Dieser Rechner hat { $max } MiB.
form-serial-log = Serielle Konsole in eine Protokolldatei schreiben
form-serial-log-file = Protokolldatei
form-serial-log-file-hint = Leer bedeutet serial.log im Ordner der VM.
form-browse = Durchsuchen…
form-pick-kernel = Linux-Kernel auswählen
form-pick-initrd = Initrd auswählen

form-devices = Geräte
form-virtio-rng = Zufallsgenerator (virtio-rng)
form-virtio-rng-hint = Gibt dem Gast Zufallszahlen vom Host, damit er beim Start nicht auf Entropie wartet.

## Field problems
error-path-empty = Wählen Sie eine Datei.
error-path-relative = Verwenden Sie einen vollständigen Pfad, der mit / beginnt.
error-file-missing = Unter diesem Pfad gibt es keine Datei.
error-not-a-number = Geben Sie eine ganze Zahl ein.

## Config problems: one key per vmm_core::config::ConfigErrorKind
config-bad-length = { $min } bis { $max } Zeichen.
config-bad-id-chars = „{ $id }“ darf nur Kleinbuchstaben, Ziffern, - und _ enthalten.
config-name-empty = Geben Sie der VM einen Namen.
config-name-control = Ein Name darf keine Steuerzeichen (etwa Tabulator oder Escape) enthalten.
config-too-few-vcpus = Eine VM braucht mindestens { $min } vCPU.
config-vcpus-above-host = Dieser Rechner hat { $max } CPUs: höchstens { $max } vCPUs.
config-vcpus-above-supported = Höchstens { $max } vCPUs werden unterstützt.
config-memory-too-small = Mindestens { $min } MiB sind nötig.
config-memory-above-host = Mehr, als dieser Rechner hat ({ $max } MiB).
config-not-found = Unter diesem Pfad gibt es keine Datei.
config-cannot-open = Diese Datei ist nicht lesbar: { $reason }
config-cannot-stat = Diese Datei lässt sich nicht untersuchen: { $reason }
config-cannot-read = Lesen dieser Datei fehlgeschlagen: { $reason }
config-not-regular-file = Das ist ein Ordner oder ein Gerät, keine Datei.
config-kernel-truncated = Dieser Kernel ist abgeschnitten: { $len } Bytes, sein Kopf nennt { $want }.
config-not-a-kernel = Kein Linux-Kernel: weder bzImage-Kopf noch ELF-Kennung.
config-firmware-missing = Die Firmware-Datei fehlt; installieren Sie sie mit „apt-get install { $package }“.
config-firmware-bad-size = Das Firmware-Abbild ist { $size } Bytes groß; erlaubt sind 64 KiB bis 16 MiB in ganzen 64-KiB-Schritten (SeaBIOS: 128 oder 256 KiB).
config-flash-bad-size = Die UEFI-Flash-Datei ist { $size } Bytes groß; erlaubt sind ganze 4-KiB-Blöcke, höchstens 16 MiB.
config-vars-size-mismatch = Der UEFI-Variablenspeicher ({ $size } Bytes) passt nicht zum Firmware-Code ({ $code_size } Bytes); nimm die OVMF_VARS-Datei desselben Builds (OVMF_VARS_4M.fd zu OVMF_CODE_4M.fd).
config-initrd-too-big = Die Initrd ({ $size } MiB) muss in die Hälfte des Gastspeichers passen.
config-cmdline-too-long = Mit dem „pci=off“ der VMM ist die Kommandozeile { $len } Bytes lang: länger als { $max }.
config-cmdline-nul = Die Kommandozeile darf keine NUL-Zeichen enthalten.
config-out-of-range = { $value } liegt außerhalb von { $min } bis { $max }.
config-port-zero = 0 ist kein Port: 1 bis 65535.
config-vnc-password-missing = Ein VNC-Port braucht ein Passwort.
config-bad-vnc-password = 1 bis { $max } druckbare ASCII-Zeichen.
config-too-many-disks = { $count } Laufwerke sind mehr als die { $slots }, die neben die anderen Geräte passen.
config-not-printable = Nur druckbare ASCII-Zeichen.
config-duplicate-disk = { $path } ist schon Laufwerk { $first }.
config-image = Dieses Abbild ist nicht nutzbar: { $detail }
config-bad-mac = „{ $mac }“ ist keine MAC-Adresse wie 52:54:00:12:34:56.
config-multicast-mac = „{ $mac }“ ist eine Multicast-Adresse; eine Netzwerkschnittstelle braucht eine Unicast-Adresse.
config-zero-mac = „{ $mac }“ ist die Null-Adresse.
config-too-many-nics = Höchstens { $max } Netzwerkschnittstellen.
config-port-taken = Host-Port { $port } wird zweimal weitergeleitet.
config-not-an-iso = Die Datei ist kein ISO-9660-CD-ROM-Abbild.
config-cdroms-need-firmware = CD-ROM-Laufwerke gibt es nur in einer BIOS-Maschine.
config-too-many-cdroms = { $count } CD-ROM-Laufwerke sind mehr als die unterstützten { $max }.
config-boot-order-duplicate = Die Bootreihenfolge nennt { $device } zweimal.

## Wizard
wizard-title = Neue virtuelle Maschine
wizard-heading = Einen Linux-Kernel starten
wizard-intro = Die VM startet den Kernel direkt, ohne Firmware; Festplatten werden als Datenplatten angehängt. Jedes Feld wird bei der Eingabe geprüft.
wizard-create = Anlegen
wizard-id = Name von Ordner und Socket: { $id }
wizard-fix-fields = { $count ->
    [one] Korrigieren Sie das rot markierte Feld.
   *[other] Korrigieren Sie die { $count } rot markierten Felder.
}

## Details
details-back = ‹ Übersicht
details-settings = Einstellungen
details-read-only = Die VM läuft: Ihre Einstellungen sind schreibgeschützt, bis sie anhält.
details-id = ID
details-disks = Festplatten
details-nics = Netzwerk
details-display = Bildschirm
details-none = Keine
details-save = Speichern
details-revert = Änderungen verwerfen
details-saved = Gespeichert.
details-console = Serielle Konsole
console-empty = Noch keine Ausgabe.
console-clear = Leeren
console-copy = Kopieren

## Live statistics
stats-title = vCPU-Exits
stats-total = { $rate }/s · { $total } insgesamt
stats-rate = { $rate }/s
stats-none = Wird angezeigt, während die VM läuft.
stats-intro = Braucht der Gast etwas, das nur der Host kann, verlässt seine vCPU den Gast (ein Exit) und der VMM übernimmt. Pro Sekunde, nach Grund:
explain-io-in = der Gast hat einen I/O-Port gelesen; der VMM hat für das emulierte Gerät geantwortet.
explain-io-out = der Gast hat auf einen I/O-Port geschrieben; der VMM hat das Gerät emuliert.
explain-io-unhandled = der Gast hat einen I/O-Port ohne Gerät angesprochen; der Zugriff wurde ignoriert.
explain-mmio-read = der Gast hat Gerätespeicher (MMIO) gelesen; der VMM hat für das Gerät geantwortet.
explain-mmio-write = der Gast hat Gerätespeicher (MMIO) beschrieben; der VMM hat das Gerät emuliert.
explain-hlt = der Gast hatte nichts zu tun und hat die vCPU bis zum nächsten Interrupt angehalten.
explain-shutdown = die vCPU hat sich abgeschaltet (Triple Fault); die VM wird zurückgesetzt.
explain-interrupted = der VMM hat die vCPU selbst unterbrochen, etwa zum Anhalten oder für ein Signal.
explain-internal-error = KVM konnte eine Anweisung des Gasts nicht ausführen.
explain-fail-entry = die Hardware hat den Eintritt in den Gast verweigert (ungültiger vCPU-Zustand).
explain-other = ein anderer Grund, aus dem KVM zum VMM zurückgekehrt ist.

## Details tabs, activity
button-screen = Bildschirm
tab-console = Serielle Konsole
tab-snapshots = { $count ->
    [0] Schnappschüsse
   *[other] Schnappschüsse ({ $count })
}
tab-activity = Aktivität
stats-vcpus = Pro vCPU
stats-vcpu = vCPU { $n }
stats-vcpu-value = { $rate }/s · { $total } insgesamt
stats-devices = Geräte
stats-no-nics = Keine Netzwerkschnittstelle.
stats-nic = net{ $n }: empfangen { $rx } Frames ({ $rxb }) · gesendet { $tx } ({ $txb }) · verworfen { $dropped }
stats-malformed = Abgewiesene fehlerhafte virtio-Anfragen: { $count }
stats-uptime = Läuft seit { $uptime } s · von langsamen Clients verpasste Konsolenmeldungen: { $dropped }
stats-confinement = Abschottung: { $seccomp } · { $landlock }
confinement-seccomp-on = seccomp-Filter an ({ $filters })
confinement-seccomp-log = seccomp-Filter protokollieren nur ({ $filters }), nichts wird gestoppt
confinement-seccomp-off = seccomp-Filter aus
confinement-landlock-on = Landlock-Dateigrenzen an (ABI { $abi })
confinement-landlock-off = Landlock-Dateigrenzen aus
confinement-landlock-unavailable = keine Landlock-Dateigrenzen ({ $why })

## Snapshots
snap-title = Schnappschüsse
snap-refresh = Aktualisieren
snap-intro = Ein Schnappschuss hält die ganze laufende VM fest – Speicher, vCPUs, Geräte, Bildschirm –, damit Sie zu diesem Moment zurückkehren können. Jeder wird vollständig gespeichert: Löschen macht nie andere unbrauchbar.
snap-name-placeholder = Name
snap-description-placeholder = Beschreibung (optional)
snap-take = Schnappschuss erstellen
snap-taking = Wird erstellt …
snap-stopped-hint = Starten Sie die VM, um einen Schnappschuss zu erstellen. Eine gestoppte VM kann von jedem Schnappschuss unten starten.
snap-none = Noch keine Schnappschüsse.
snap-current = Aktuell
snap-no-screen = kein Bild
snap-incomplete = Unvollständig
snap-incomplete-explain = Nicht verwendbar: { $problem }. Löschen Sie ihn zum Aufräumen.
snap-revert = Zurückkehren
snap-revert-question = Zu „{ $name }“ zurückkehren?
snap-revert-explain = Die VM kehrt zu diesem Moment zurück und läuft von dort weiter. Was seit Ihrem letzten Schnappschuss geschah, geht verloren; erstellen Sie vorher einen, um es zu behalten.
snap-revert-explain-net = Ihre Netzwerkverbindungen enden; der Gast baut neue auf.
snap-start-here = Hier starten
snap-start-question = Die VM von „{ $name }“ starten?
snap-start-explain = Sie startet genau dort, wo der Schnappschuss erstellt wurde, statt neu zu booten.
snap-rename = Umbenennen
snap-rename-save = Speichern
snap-delete-question = Den Schnappschuss „{ $name }“ löschen?
snap-delete-explain = Seine Dateien werden entfernt. Das lässt sich nicht rückgängig machen.
snap-delete-explain-children = { $count ->
    [one] Seine Dateien werden entfernt. Der danach erstellte Schnappschuss bleibt gültig (jeder wird vollständig gespeichert) und rückt zum Vorgänger dieses Schnappschusses auf.
   *[other] Seine Dateien werden entfernt. Die { $count } danach erstellten Schnappschüsse bleiben gültig (jeder wird vollständig gespeichert) und rücken zum Vorgänger dieses Schnappschusses auf.
}
snap-needs-running = dafür muss die VM laufen.
snap-error = Schnappschüsse: { $detail }
notice-snapshot-taken = Schnappschuss in { $total } ms erstellt; der Gast war { $paused } ms angehalten.
notice-reverted = „{ $name }“ ist zum Schnappschuss zurückgekehrt.
notice-screenshot = Bildschirmfoto gespeichert: { $path }

## The guest's screen
screen-back = ‹ Details
screen-grabbed = Tastatur gefangen: Tasten gehen an die VM. Strg+Alt gibt sie frei.
screen-not-grabbed = Klicken Sie in das Bild oder drücken Sie Strg+Alt, um in der VM zu tippen. F11: Vollbild.
screen-release = Tastatur freigeben
screen-capture = Tastatur fangen
screen-fit = Einpassen
screen-actual-size = Originalgröße
screen-follow-window = Gastgröße an Fenster anpassen
screen-follow-window-tip = Der Bildschirm des Gasts nimmt die Größe dieses Bereichs an, wenn sich die Fenstergröße ändert.
screen-follow-window-unsupported = Die Anzeige dieser VM kann ihre Größe nicht ändern (eine virtio-gpu-Anzeige kann es): ihr Bildschirm wird auf das Fenster skaliert.
screen-send-key = Taste senden
screen-send-key-title = Senden:
screen-screenshot = Bildschirmfoto
screen-fullscreen = Vollbild
screen-connecting = Verbindung zum Bildschirm der VM …
screen-lost = Der Bildschirm ist nicht verfügbar ({ $reason }). Neuer Versuch …

## First-run check
check-title = Bevor es losgeht
check-intro-blocking = vmdesk kann auf diesem Computer noch keine virtuellen Maschinen ausführen. Beheben Sie die Probleme unten und prüfen Sie dann erneut.
check-intro-warnings = vmdesk kann hier virtuelle Maschinen ausführen, mit diesen Einschränkungen.
check-problem = Problem
check-warning = Warnung
check-again = Erneut prüfen
check-continue = Trotzdem fortfahren
check-kvm-missing = Dieser Computer bietet kein KVM (/dev/kvm fehlt)
check-kvm-missing-fix = Schalten Sie die Virtualisierung (Intel VT-x oder AMD-V, manchmal SVM genannt) in der Firmware-Einrichtung ein und laden Sie dann das KVM-Modul.
check-kvm-access = Sie dürfen /dev/kvm nicht benutzen
check-kvm-access-fix = Fügen Sie sich der Gruppe kvm hinzu, dann ab- und wieder anmelden.
check-vmm-missing = vmdesk-vmm wurde nicht gefunden
check-vmm-missing-fix = Jede VM läuft in einem vmdesk-vmm-Prozess; installieren Sie ihn neben vmdesk oder in Ihrem PATH. ({ $detail })
check-passt-missing = Kein Benutzermodus-Netzwerk (passt oder libslirp) installiert: VMs bekommen kein Netzwerk
check-passt-missing-fix = VMs laufen, aber ohne Netzwerk. Eines von beiden gibt ihnen Netzwerkzugang:
check-low-memory = Nur { $free } MiB Arbeitsspeicher sind frei
check-low-memory-fix = VMs starten vielleicht nicht oder laufen langsam. Schließen Sie Programme oder geben Sie Ihren VMs wenig Speicher.

## Command line
cli-help =
    vmdesk — Verwaltung virtueller Maschinen für den Desktop

    Aufruf:
      vmdesk                          das Fenster öffnen
      vmdesk list                     die VMs und ihren Zustand auflisten
      vmdesk create NAME --kernel DATEI [--initrd DATEI] [--cmdline TEXT]
    {"              ["}--vcpus N] [--memory MIB] [--display BxH] [--network]
    {"              ["}--disk-size GIB | --disk ABBILD [--linked] [--read-only]]
                                      eine neue VM anlegen (sie bootet einen Linux-Kernel), mit
                                      neuer qcow2-Platte oder einem Abbild (--linked: qcow2-Overlay)
      vmdesk create NAME --iso DATEI [--firmware uefi|bios] [--vcpus N]
    {"              ["}--memory MIB] [--disk-size GIB | --disk ABBILD]
    {"              ["}--display BxH | --no-display] [--network]
                                      eine VM zum Installieren anlegen: das ISO in einem
                                      CD-ROM-Laufwerk und eine neue Platte, so groß, wie osinfo-db
                                      es für das erkannte System empfiehlt; die Platte bootet,
                                      sobald ein System darauf ist
      vmdesk create NAME --boot-disk ABBILD [--linked | --copy]
    {"              ["}--firmware uefi|bios] [--vcpus N] [--memory MIB] [--network] ...
                                      eine VM anlegen, die ein Plattenabbild bootet (z. B. ein
                                      Cloud-Abbild): direkt, über ein qcow2-Overlay (--linked)
                                      oder kopiert (--copy); UEFI, außer mit --firmware bios
                                      --allow-backing (mit --disk, --boot-disk): Basisdateien
                                      außerhalb des Abbild-Ordners verwenden (in vm.toml)
      vmdesk detect  DATEI            zeigen, was ein ISO oder Plattenabbild enthält (osinfo-db)
                                      und was eine VM dafür bekommt
      vmdesk compare [VM] [--initramfs DATEI]
                                      das busybox-Root des Linux-Testgasts als Container (crun)
                                      neben der VM starten und zeigen, was jede Seite misst
      vmdesk clone   VM NAME [--full] verknüpfter Klon einer gestoppten VM (--full: Platten kopieren)
      vmdesk delete  VM [--keep-disks]
                                      eine gestoppte VM samt Ordner löschen; ihre Plattenabbilder
                                      kommen in den Papierkorb (--keep-disks: nach kept-disks/)
      vmdesk status  VM               den Zustand einer VM zeigen
      vmdesk start   VM               eine VM starten (sie läuft weiter, wenn vmdesk endet)
      vmdesk start   VM --throwaway
                                      auf einem temporären Overlay starten: Was sie schreibt,
                                      wird beim Ausschalten verworfen
      vmdesk stop    VM               den ACPI-Ein/Aus-Knopf drücken
      vmdesk kill    VM               eine VM sofort ausschalten
      vmdesk restart VM               eine VM zurücksetzen und neu starten
      vmdesk pause   VM               die vCPUs anhalten
      vmdesk resume  VM               die vCPUs fortsetzen
      vmdesk console VM               die serielle Konsole zeigen; eingegebene Zeilen gehen an den Gast
      vmdesk snapshot  VM [--name NAME] [--description TEXT]
                                      einen Schnappschuss einer laufenden VM erstellen
      vmdesk snapshots VM             die Schnappschüsse einer VM auflisten (* markiert den aktuellen)
      vmdesk revert    VM SCHNAPPSCHUSS  zu einem Schnappschuss zurückkehren (eine gestoppte VM startet davon)
      vmdesk screenshot VM DATEI.png  den Bildschirm der VM speichern (VMs mit Bildschirm)
      vmdesk cdrom VM eject|insert DATEI.iso [--drive N]
                                      Medium aus einem CD-ROM-Laufwerk nehmen / ein ISO einlegen
      vmdesk inspect VM [--exits]     die Maschine zeigen, wie der Hypervisor sie sieht: Modus
                                      und Register jeder vCPU, Speicherkarte, Geräte und die
                                      Threads des VMM (--exits: die Exits der nächsten Sekunde)
      vmdesk lab create TEMPLATE --count N [--prefix P]
                                      N nummerierte Schülerkopien (verknüpfte Klone) einer
                                      gestoppten VM anlegen, „P 01“… (P: Schüler)
      vmdesk lab reset VM | --all TEMPLATE
                                      eine gestoppte Schülerkopie (oder alle einer Vorlage)
                                      auf die Vorlage zurücksetzen; ihre Snapshots entfallen
      vmdesk lab list TEMPLATE
                                      die Schülerkopien einer Vorlage und ihren Zustand zeigen
      vmdesk export VM --libvirt [FILE]
      vmdesk export VM --kubevirt [--disk-image-url URL | --container-disk REF]
    {"              ["}--kernel-image REF] [FILE]
                                      die VM als libvirt-Domain-XML oder KubeVirt-
                                      VirtualMachine-Manifest (JSON, also YAML) in FILE oder auf
                                      stdout schreiben; nicht Darstellbares steht auf stderr
      vmdesk import FILE.xml          eine VM aus einer libvirt-Domain-XML (virsh dumpxml)
                                      anlegen; ihre Platten bleiben, wo sie sind; Ausgelassenes
                                      wird aufgelistet
      vmdesk completions SHELL        das Vervollständigungsskript für bash, zsh oder fish ausgeben
      vmdesk --version                die Version ausgeben

    VM ist die ID oder der Name einer VM, SCHNAPPSCHUSS die ID oder der Name eines Schnappschusses.
    --json gibt maschinenlesbare Ausgaben aus, auch bei Fehlern. detect --json gibt ein Objekt
    aus mit path, kind ("iso" oder "disk-image"), iso (volume_id, system_id, publisher_id,
    application_id, size_bytes) oder disk_image (format, virtual_size), os (id, short_id, name,
    version; null, wenn nicht erkannt), firmware ("uefi" oder "bios"), memory_mib, disk_gib,
    vcpus und notice (code "unknown-os" oder "no-database", message; oder null).

    Exit-Status: 0 erledigt · 1 fehlgeschlagen ·
    2 falscher Aufruf oder Wert, oder weder ISO noch Plattenabbild ·
    3 keine solche VM · 4 die VM ist nicht in einem passenden Zustand (z. B. läuft nicht) ·
    5 der Gast hat den Ein/Aus-Knopf ignoriert · 6 kein solcher Schnappschuss.
cli-unknown-option = unbekannte Option { $option }
cli-unknown-command = unbekannter Befehl „{ $command }“
cli-missing-command = kein Befehl angegeben
cli-missing-vm = „{ $command }“ braucht die ID oder den Namen einer VM
cli-extra-args = zu viele Argumente
cli-no-vms = Noch keine virtuellen Maschinen. Starten Sie vmdesk ohne Argumente, um eine anzulegen.
main-no-display = Fenster kann nicht geöffnet werden: kein Anzeigeserver erreichbar (DISPLAY={ $display }, WAYLAND_DISPLAY={ $wayland }; { $reason }). Die Befehlszeile funktioniert auch ohne: vmdesk --help
cli-col-id = ID
cli-col-name = NAME
cli-col-state = ZUSTAND
cli-col-boot = START
cli-no-such-vm = keine VM mit der ID oder dem Namen „{ $vm }“
cli-broken = { $vm } ist nicht nutzbar, ihre Einstellungen sind nicht lesbar: { $error }
cli-not-running = { $vm } läuft nicht
cli-status = { $vm }: { $state }, { $vcpus } vCPU, { $memory } MiB, seit { $uptime } s, PID { $pid }
cli-status-stopped = { $vm }: aus
cli-started = { $vm } gestartet (PID { $pid })
cli-restarted = { $vm } neu gestartet (PID { $pid })
cli-stop-sent = { $vm }: der Gast fährt herunter
cli-no-response = { $vm }: der Gast hat nicht auf den Ein/Aus-Knopf reagiert; „vmdesk kill“ schaltet ihn sofort aus
cli-console-attached = Serielle Konsole von { $vm }; Strg+C trennt (die VM läuft weiter).
cli-console-exited = Die VM wurde beendet: { $reason } (Exit-Status { $code })
cli-missing-value = { $option } braucht einen Wert
cli-missing-arg = „{ $command }“ braucht ein weiteres Argument (siehe vmdesk --help)
cli-bad-number = { $option }: „{ $value }“ ist keine ganze Zahl
cli-bad-display = --display: „{ $value }“ ist nicht BREITExHÖHE, z. B. 1024x768
cli-created = { $vm } angelegt: { $path }
cli-deleted = { $vm } gelöscht
cli-snapshot-taken = { $vm }: Schnappschuss { $snapshot } in { $total } ms erstellt (Gast { $paused } ms angehalten)
cli-no-snapshots = { $vm } hat keine Schnappschüsse
cli-snapshot-incomplete = unvollständig: { $problem }
cli-no-such-snapshot = { $vm } hat keinen vollständigen Schnappschuss mit der ID oder dem Namen „{ $snapshot }“
cli-reverted = { $vm } ist zu Schnappschuss { $snapshot } zurückgekehrt
cli-started-from = { $vm } von Schnappschuss { $snapshot } gestartet (PID { $pid })
cli-screenshot = Bildschirm gespeichert in { $path }
cli-cdrom-usage = „cdrom“ braucht „eject“ oder „insert“ und eine ISO-Datei
cli-cdrom-bad-drive = --drive { $drive }: keine Laufwerksnummer
cli-cdrom-ejected = CD-ROM-Laufwerk { $drive } ist leer
cli-cdrom-inserted = { $path } liegt in CD-ROM-Laufwerk { $drive }

## Festplatten, Netzwerk, Bildschirm; Klone; Löschen mit Platten (Assistent, Details, Bibliothek, CLI)
wizard-hardware = Hardware
wizard-creating = Wird angelegt…
wizard-busy = Die VM wird angelegt…
wizard-busy-disk = Die VM und ihre Festplatte werden angelegt…
wizard-busy-clone = Die VM und ihr verknüpfter Klon des Abbilds werden angelegt…
hw-storage = Festplatte
hw-add-disk = Festplatte hinzufügen
hw-storage-none = Keine
hw-storage-keep = Keine
hw-storage-new = Neue Festplatte
hw-storage-existing = Vorhandenes Abbild
hw-storage-none-hint = Der Gast startet nur mit Kernel und Initrd.
hw-gib = GiB
hw-disk-size-hint = Ein qcow2-Abbild im Ordner der VM; es belegt nur, was der Gast schreibt. Dort sind { $free } GiB frei.
hw-disk-size-hint-unknown = Ein qcow2-Abbild im Ordner der VM; es belegt nur, was der Gast schreibt.
hw-image-hint = Ein raw- oder qcow2-Abbild. Es wird als Datenplatte (/dev/vda) angehängt: vmdesk kann noch nicht von Platten starten.
hw-image-info = { $format }-Abbild, { $size }.
hw-pick-image = Plattenabbild wählen
hw-linked = Verknüpfter Klon (empfohlen)
hw-linked-hint = Die VM schreibt in ein eigenes qcow2-Overlay; das Abbild selbst bleibt unverändert.
hw-direct-hint = Die VM benutzt das Abbild selbst und schreibt hinein.
hw-read-only = Schreibgeschützt
hw-remove = Entfernen
hw-network = Netzwerk (Benutzermodus: passt oder libslirp)
hw-network-hint = Der Gast bekommt seine Adresse per DHCP und erreicht die Außenwelt über den Host; zu ihm gelangt nur, was weitergeleitet wird.
hw-passt-missing = Weder passt noch libslirp ist installiert, daher kann die VM nicht mit Netzwerk starten: sudo apt install passt (oder libslirp0)
hw-backend = Backend
hw-backend-auto = Automatisch
hw-backend-auto-hint = libslirp, wenn ein TCP-Port weitergeleitet wird (passt aus Debian 12 kann diese nicht hineintragen), sonst passt; was eben installiert ist.
hw-backend-passt = passt
hw-backend-passt-hint = Ein eigener, abgeschotteter Prozess (Paket passt).
hw-backend-slirp = libslirp
hw-backend-slirp-hint = Im abgeschotteten Prozess der VM selbst (Paket libslirp0); trägt weitergeleitete TCP-Ports hinein.
hw-backend-passt-missing = passt ist nicht installiert: sudo apt install passt, oder „Automatisch“ wählen.
hw-backend-slirp-missing = libslirp ist nicht installiert: sudo apt install libslirp0, oder „Automatisch“ wählen.
hw-forwards = Weitergeleitete Ports
hw-forwards-hint = Von 127.0.0.1 auf diesem Rechner zum Gast, z. B. „tcp 2222:22, udp 5353:53“ (Host:Gast). Optional.
hw-display-none = Kein Bildschirm (nur serielle Konsole)
hw-display-hint = Ein Framebuffer mit Tastatur und Tablet, gezeigt in der Bildschirmansicht.
details-hw-running = Festplatten, Netzwerk und Bildschirm lassen sich nicht ändern, während die VM läuft.
error-disk-size-zero = Eine Festplatte braucht mindestens 1 GiB.
error-disk-size-huge = Höchstens { $max } GiB.
warn-disk-size-free = Größer als die { $free } GiB, die dort jetzt frei sind: kein Problem, solange der Gast weniger schreibt (die Platte wächst beim Schreiben), aber der Gast bekommt Schreibfehler, wenn die Platte des Rechners voll wird.
error-image = Dieses Abbild ist nicht nutzbar: { $detail }
error-forward = „{ $item }“ ist keine Portweiterleitung; schreiben Sie z. B. tcp 8080:80.
error-delete-clones = ihre Platten sind die Grundlage der verknüpften Klone { $names }; löschen Sie diese zuerst.
error-clone = Klonen fehlgeschlagen: { $detail }
notice-cloned = „{ $name }“ wurde als Klon angelegt.
notice-deleted-kept = „{ $name }“ wurde gelöscht; ihre Plattenabbilder liegen in { $path }.
delete-keep-disks = Plattenabbilder behalten
delete-keep-hint = Die Abbilder in ihrem disks-Ordner werden zuerst aus dem Ordner der VM verschoben. Abbilder anderswo werden nie angerührt.
delete-trash-hint = Die Abbilder in ihrem disks-Ordner kommen in den Papierkorb. Abbilder anderswo werden nie angerührt.
button-clone = Klonen
clone-default-name = { $name } (Klon)
clone-title = „{ $name }“ klonen
clone-linked = Verknüpfter Klon
clone-linked-hint = Schnell und klein: Die Platten des Klons sind qcow2-Overlays auf den Platten dieser VM, wie sie jetzt sind. Ab jetzt schreiben beide VMs in eigene Overlays.
clone-full-hint = Jede Platte wird kopiert: langsamer, aber der Klon ist eigenständig.
clone-linked-running = Die VM läuft: Ihre Platten ändern sich, daher ist nur eine volle Kopie möglich (und nur von Platten, in die sie nicht schreibt). Schalten Sie sie für einen verknüpften Klon aus.
clone-busy = Wird als „{ $name }“ geklont… { $percent } %
cli-cloned = { $vm } als { $clone } geklont
cli-clone-running = { $vm } läuft: schalten Sie sie zuerst aus (ihre Platten dürfen sich beim Klonen nicht ändern)
cli-bad-disk = --disk und --disk-size schließen einander aus: eine Platte pro VM über die Kommandozeile
hw-vnc-port = VNC-Port
hw-vnc-password = Passwort
hw-vnc-hint = Optional: der Bildschirm auch per VNC auf 127.0.0.1 an diesem Port, für andere Programme (das Passwort ist Pflicht; VNC nutzt 8 Zeichen).
error-vnc-port = Ein Port ist eine Zahl von 1 bis 65535.

## Activity tab: live graphs (stats)
stats-live-title = Live-Aktivität
stats-window = die letzte Minute, ein Messwert pro Sekunde
stats-cpu = CPU
stats-cpu-vcpu = Gast-vCPUs { $value }
stats-cpu-vmm = VMM-Mehraufwand { $value }
stats-memory = Speicher
stats-memory-rss = belegt (RSS)
stats-memory-guest = Gast-RAM { $size }
stats-disk = Festplatte
stats-read = gelesen { $rate }
stats-written = geschrieben { $rate }
stats-no-disks-explain = Diese VM hat keine Festplatte.
stats-net = Netzwerk
stats-received = empfangen { $rate }
stats-sent = gesendet { $rate }
stats-disk-line = disk{ $n }: gelesen { $read } in { $reads } Anfragen · geschrieben { $written } in { $writes } · { $flushes } Flushes
stats-no-nics-explain = Diese VM hat keine Netzwerkschnittstelle.
stats-vcpu-cpu = { $cpu } % CPU

# Details: CD/DVD-Laufwerke, Firmware und Bootreihenfolge (Issue 14)
details-cdrom = CD/DVD
details-firmware = Firmware
details-boot-order = Bootreihenfolge
details-cd-none = Kein CD/DVD-Laufwerk.
details-cd-add = CD/DVD-Laufwerk hinzufügen
details-cd-empty = Leer
details-cd-eject = Auswerfen
details-cd-insert = ISO einlegen…
details-cd-pick = Ein ISO-Abbild wählen
details-cd-typed-hint = Oder den Pfad der ISO-Datei eingeben:
details-cd-insert-typed = Einlegen
details-cd-busy = Medium wird gewechselt…
details-cd-live-hint = Der Gast sieht den Wechsel sofort; beim nächsten Start ist dasselbe Medium eingelegt.
details-cd-path-empty = Den Pfad eines ISO-Abbilds eingeben.
details-cd-disk-image = { $file } ist ein Festplattenabbild, kein ISO: bitte unter Festplatten hinzufügen.
details-cd-no-drive = Diese VM hat kein CD/DVD-Laufwerk { $drive }.
details-cd-refused = Die VM hat abgelehnt: { $reason }
details-cd-missing = Diese Datei gibt es nicht mehr: auswerfen oder ein anderes ISO einlegen, sonst startet die VM nicht.
details-firmware-uefi = UEFI
details-firmware-bios = BIOS
details-firmware-vars-kept = Die UEFI-Variablen (OVMF_VARS.fd) bleiben im Ordner der VM.
details-boot-auto = Automatisch
details-boot-cdrom = CD/DVD zuerst
details-boot-disk = Festplatte zuerst
details-boot-hint = Automatisch: CD/DVD zuerst, solange ein Medium eingelegt ist, sonst die Festplatte. Wird mit den übrigen Einstellungen gespeichert.
details-boot-running = Firmware und Bootreihenfolge lassen sich ändern, wenn die VM gestoppt ist.

## New-VM wizard: installing from an ISO or disk image (issue 14, wizard)
wizard-kind-install = Von einem ISO- oder Festplattenabbild installieren
wizard-kind-install-hint = Installations- oder Live-ISO, oder ein fertiges Abbild
wizard-kind-linux-hint = Ein Kernel dieses Rechners, direkt geladen
install-file = Datei
install-file-hint = Ein Installations-ISO kommt ins CD-Laufwerk der VM; ein Festplattenabbild wird ihre Startplatte.
install-file-none = Wählen Sie ein ISO- oder Festplattenabbild.
install-name-placeholder = Meine VM
install-pick = ISO- oder Festplattenabbild wählen
install-filter-iso = ISO-Abbilder
install-filter-disk = Festplattenabbilder
install-filter-all = Alle Dateien
install-not-media = { $file } ist weder ein ISO- noch ein Festplattenabbild ({ $reason }).
install-cannot-read = { $file } kann nicht gelesen werden: { $reason }
install-os = Betriebssystem
install-detecting = Die Datei wird untersucht …
install-kind-iso = Installationsmedium (ISO): Es kommt ins CD-Laufwerk der VM.
install-kind-disk = Festplattenabbild ({ $format }, { $size }): Es wird die Startplatte der VM.
install-unknown-os = Unbekanntes Betriebssystem – allgemeine Einstellungen
install-unknown-hint = Die Betriebssystem-Datenbank kennt dieses Medium nicht, daher sind die Einstellungen unten allgemeine. Geben Sie der VM mehr, wenn ihr System es braucht.
install-unknown-disk-hint = Das System in einem Festplattenabbild wird nicht erkannt, daher sind die Einstellungen unten allgemeine. Geben Sie der VM mehr, wenn ihr System es braucht.
install-known-hint = Die Einstellungen unten empfiehlt dieses Betriebssystem; Sie können sie beliebig ändern.
install-no-database = Die Betriebssystem-Datenbank (osinfo-db) kann nicht gelesen werden ({ $reason }), daher wird das System nicht erkannt und die Einstellungen unten sind allgemeine. So wird sie installiert: sudo apt install osinfo-db
install-firmware = Firmware
install-uefi = UEFI
install-bios = BIOS (klassisch)
install-firmware-detected = Die Firmware, die dieses System braucht.
install-firmware-generic = UEFI passt zu aktuellen Systemen; ältere brauchen womöglich BIOS.
install-firmware-changed = Nicht die Firmware, für die dieses System gemacht ist: Es startet womöglich nicht.

## Kommandozeile: Installation von einem ISO oder Plattenabbild (Issue 14, CLI-Teil)
cli-create-one-boot = „create“ braucht genau eines von --kernel DATEI, --iso DATEI und --boot-disk ABBILD
cli-option-needs = { $option } geht nur zusammen mit { $needs }
cli-options-conflict = { $first } und { $second } schließen einander aus
cli-bad-firmware = --firmware: „{ $value }“ ist weder uefi noch bios
cli-not-media = { $file } ist weder ein ISO-Abbild noch ein Plattenabbild ({ $reason })
cli-cannot-read = { $file } kann nicht gelesen werden: { $reason }
cli-detect-iso = { $file }: ISO-Abbild „{ $volume }“, { $size }
cli-detect-disk-image = { $file }: Plattenabbild ({ $format }), { $size }
cli-detect-os = Betriebssystem: { $name } ({ $id })
cli-detect-os-unknown = Betriebssystem: unbekannt, allgemeine Einstellungen
cli-detect-firmware = Firmware: { $firmware }
cli-detect-resources = Empfohlen: { $memory } MiB Speicher, { $disk } GiB Platte, { $vcpus } vCPUs
cli-detect-resources-image = Empfohlen: { $memory } MiB Speicher, { $vcpus } vCPUs (das Abbild ist die Platte)
cli-notice-unknown-os = osinfo-db kennt dieses Medium nicht: Die VM bekommt allgemeine Einstellungen (die Optionen von vmdesk create ändern sie).
cli-notice-no-database = osinfo-db ist nicht verfügbar ({ $reason }): Betriebssysteme werden nicht erkannt, es gelten allgemeine Einstellungen. Installieren mit: sudo apt install osinfo-db
cli-iso-is-disk-image = { $file } ist ein Plattenabbild, kein ISO: --boot-disk verwenden
cli-boot-disk-is-iso = { $file } ist ein ISO-Abbild, kein Plattenabbild: --iso verwenden
cli-created-install = { $memory } MiB Speicher, { $vcpus } vCPUs, { $firmware }

## Kommandozeile: der clap-Parser und die Vervollständigung (Issue 15, CLI-Teil)
cli-repeated-option = { $option } ist zweimal angegeben
cli-flag-takes-no-value = { $option } nimmt keinen Wert
cli-bad-value = { $option }: „{ $value }“ ist nicht eines von { $valid }
cli-not-utf8 = „{ $arg }“ ist kein gültiges UTF-8: vmdesk braucht Dateinamen und Wörter in UTF-8

## SATA disks (issue 14, VMM side)
config-sata-needs-firmware = SATA-Festplatten gibt es nur in einer BIOS- oder UEFI-Maschine; eine Linux-Kernel-Maschine nutzt virtio-Festplatten.
config-too-many-sata-disks = { $count } SATA-Festplatten sind mehr als die { $max } Anschlüsse, die die CD-ROM-Laufwerke frei lassen.

## Serial console as a terminal (issue 15)
terminal-size = {$cols}×{$rows}
terminal-size-tip = Das Terminal hat {$cols} Spalten und {$rows} Zeilen. Über eine serielle Schnittstelle erfährt der Gast seine Größe nicht von selbst: Programme, die das Terminal fragen, erfahren sie („resize“ im Gast ausführen), oder „stty cols {$cols} rows {$rows}“ setzt sie.
terminal-hint = Ins Terminal klicken, um im Gast zu tippen.
terminal-hint-focused = Tasten gehen an den Gast. Esc oder ein Klick daneben gibt sie zurück; Strg+[ sendet Esc, Strg+Umschalt+V fügt ein.
terminal-hint-stopped = Die VM starten, um in ihre serielle Konsole zu tippen.
terminal-not-sent = Nicht an den Gast gesendet: {$error}

## Layouts and toasts (issue 15)
screen-more = Mehr: Bildgröße, Bildschirmfoto, Vollbild (F11)
details-more = Mehr: neu starten, sofort ausschalten

## Verknüpfte Klone, Fehlergründe, Bildschirmfotos, Durchsuchen (Issue 15, Korrekturen)
error-vmm-exited-because = „{ $name }“ ist nicht gestartet: { $reason }
details-save-breaks-snapshots = { $count ->
    [one] Der Schnappschuss { $names } wurde mit anderer Hardware (vCPUs, Speicher oder Datenträger) aufgenommen: nach dieser Änderung kann die VM nicht mehr aus ihm gestartet werden.
   *[other] Die Schnappschüsse { $names } wurden mit anderer Hardware (vCPUs, Speicher oder Datenträger) aufgenommen: nach dieser Änderung kann die VM nicht mehr aus ihnen gestartet werden.
}
details-keep-snapshots = Schnappschüsse nutzbar lassen
details-save-anyway = Trotzdem speichern
cli-screenshot-not-png = { $file }: vmdesk speichert Bildschirmfotos als PNG, nicht als .{ $ext }; geben Sie der Datei die Endung .png
notice-screenshot-failed = Das Bildschirmfoto wurde nicht gespeichert: { $reason }
choose-none = Es konnte kein Dateiauswahldialog geöffnet werden (dafür braucht es xdg-desktop-portal, zenity oder kdialog): Geben Sie stattdessen den vollständigen Pfad der Datei ein.
error-image-is-iso = { $file } ist ein Installationsmedium (ISO), kein Datenträger: Um davon zu installieren, erstellen Sie die VM mit „Von einem ISO- oder Festplattenabbild installieren“, das es in ein CD-Laufwerk legt.
check-software-kvm = Dieser Computer hat keine Hardware-Virtualisierung
check-software-kvm-fix = KVM kommt hier von { $module }, das den Kernel-Code des Gastes in Software nachbildet: VMs laufen etwa 1000-mal langsamer als üblich, und die meisten Betriebssysteme starten nicht zu Ende. Kleine Testsysteme funktionieren. Auf einem Computer mit eingeschaltetem Intel VT-x oder AMD-V (in den Firmware-Einstellungen) laufen VMs mit voller Geschwindigkeit.

## Inspector panel (issue 16, app side)
screen-inspector = Inspektor
screen-inspector-tip = Zeigt die Maschine so, wie der Hypervisor sie sieht: Prozessoren, Exits, Speicher, Geräte.
insp-tab-vcpus = vCPUs
insp-tab-exits = Exits
insp-tab-memory = Speicher
insp-tab-devices = Geräte
insp-tab-host = Host
insp-about-vcpus = Die virtuellen Prozessoren des Gasts. KVM führt ihren Code auf der echten CPU aus, bis etwas den VMM braucht.
insp-about-exits = Ein Exit: Die CPU hört auf, den Gast auszuführen, und übergibt an den VMM, etwa um ein Gerät nachzubilden.
insp-about-memory = Der physische Adressraum des Gasts: wo sein RAM liegt und wo stattdessen Geräte antworten.
insp-about-devices = Die Hardware, die der Gast sieht, und wie der VMM jedes Teil bereitstellt.
insp-about-host = Auf diesem Rechner ist die ganze VM ein gewöhnlicher Prozess, vmdesk-vmm, mit einem Thread pro Aufgabe.
insp-paused = Angehalten: So steht die Maschine genau da, wo sie stoppte. „Schritt“ führt einen Befehl aus.
insp-stopped = Die VM läuft nicht: So sah sie zuletzt aus.
insp-error = Der VMM hat nicht geantwortet: { $reason }
insp-waiting = Frage den VMM …
insp-vcpu = vCPU { $index }
insp-running = läuft
insp-running-tip = Die vCPU führt Code des Gasts aus (oder gleich wieder).
insp-halted = wartet (HLT)
insp-halted-tip = Der Gast hat HLT ausgeführt: Er hat nichts zu tun und wartet auf einen Interrupt, ohne Host-CPU zu verbrauchen.
insp-stopped-here = gestoppt
insp-changed = Hervorgehoben: seit der letzten Aktualisierung (oder dem letzten Schritt) geändert.
insp-step = Schritt
insp-step-tip = Führt genau einen Befehl auf dieser vCPU aus und zeigt, welche Register er geändert hat.
insp-stepped = Ein Befehl wurde ausgeführt (gestoppt durch: { $by })
insp-stepped-nothing = Keines der hier gezeigten Register hat sich geändert.
insp-mode-real = 16-Bit-Real-Mode
insp-mode-v86 = Virtual-8086-Mode
insp-mode-protected = 32-Bit-Protected-Mode
insp-mode-compat = 32-Bit-Kompatibilitätsmodus
insp-mode-long = 64-Bit-Long-Mode
insp-mode-real-tip = So startet jede x86-CPU: 16-Bit-Code, 1 MiB Speicher, kein Schutz.
insp-mode-v86-tip = Alte 16-Bit-Programme, die im Protected Mode laufen.
insp-mode-protected-tip = 32-Bit-Modus mit Speicherschutz: Kernel und Programme sind voneinander getrennt.
insp-mode-compat-tip = Ein 32-Bit-Programm unter einem 64-Bit-Kernel.
insp-mode-long-tip = Der Modus der 64-Bit-Betriebssysteme: 64-Bit-Register und -Adressen.
insp-paging-on = Paging an
insp-paging-off = Paging aus
insp-ring-kernel = Kernel (Ring 0)
insp-ring-user = Anwenderprogramm (Ring 3)
insp-ring-other = Ring { $ring }
insp-reg-rip = RIP: die Adresse des nächsten Befehls, den die vCPU ausführt.
insp-reg-rsp = RSP: die Spitze des Stacks, wo Aufrufe ihre Rücksprungadressen ablegen.
insp-reg-rflags = RFLAGS: Ergebnis des letzten Vergleichs und Schalter wie „Interrupts an“ (Bit 9).
insp-reg-cr0 = CR0: grundlegende CPU-Schalter; Bit 0 schaltet den Protected Mode ein, Bit 31 das Paging.
insp-reg-cr3 = CR3: wo die Seitentabellen des Gasts beginnen; die CPU geht sie durch, um virtuelle in physische Adressen zu übersetzen.
insp-reg-cr4 = CR4: weitere CPU-Funktionen, z. B. die größeren Seitentabellen, die der 64-Bit-Modus braucht (PAE, Bit 5).
insp-reg-efer = EFER: schaltet den 64-Bit-Long-Mode ein (Bits 8 und 10) und den Schutz vor dem Ausführen von Daten.
insp-reg-general = Ein allgemeines Register: die Arbeitswerte des Programms selbst.
insp-code = Code bei RIP
insp-code-tip = Die Bytes Maschinencode, die die vCPU als Nächstes ausführt, hexadezimal.
insp-vcpu-thread = Host-Thread { $name } ({ $tid }) · CPU-Zeit { $cpu } · zuletzt auf CPU { $last }
insp-vcpu-thread-tip = Jede vCPU ist ein gewöhnlicher Thread von vmdesk-vmm; Linux verteilt ihn wie jedes Programm auf die echten CPUs.
insp-dropped = { $count } Exits wurden nicht gezeigt: Sie kamen schneller, als das Panel sie liest.
insp-no-exits = Noch keine Exits: Der Gast lief, ohne den VMM zu brauchen.
insp-col-time = Zeit (s)
insp-col-vcpu = vCPU
insp-col-reason = Grund
insp-col-where = Port/Adresse
insp-col-value = Wert
insp-col-size = Größe
insp-no-device = dort ist nichts
insp-kind-ram = RAM
insp-kind-ram-tip = Der Speicher des Gasts: KVM blendet ihn direkt ein, der Gast nutzt ihn ohne Exits.
insp-kind-rom = ROM
insp-kind-rom-tip = Nur lesbarer Speicher, von dem der Gast startet, etwa die Firmware.
insp-kind-flash = Flash
insp-kind-flash-tip = Der Flash-Chip der UEFI-Firmware: Lesen geht direkt, Schreiben ist ein Exit zum VMM.
insp-kind-fb = Bildschirm
insp-kind-fb-tip = Der Framebuffer: Speicher mit den Pixeln, die der Gast zeichnet; der VMM schickt sie ins Fenster.
insp-kind-mmio = Gerät
insp-kind-mmio-tip = Die Register eines Geräts: Jedes Lesen oder Schreiben hier ist ein Exit, den der VMM nachbildet.
insp-kind-reserved = Reserviert
insp-kind-reserved-tip = Ein Loch im Adressraum: Hier antwortet nichts.
insp-touched = { $touched } bisher benutzt ({ $percent } %) · { $huge } in Huge Pages
insp-touched-tip = Wie viel davon der Gast wirklich berührt hat: Der Host gibt Speicher erst bei der ersten Benutzung her.
insp-every-access-exits = Kein Speicher: Jeder Zugriff wird vom VMM behandelt.
insp-dev-emulated = emuliert
insp-dev-emulated-tip = Der VMM ahmt echte Hardware Register für Register nach; der Gast merkt keinen Unterschied.
insp-dev-paravirtual = paravirtuell
insp-dev-paravirtual-tip = Für virtuelle Maschinen gemacht (virtio): Der Treiber des Gasts weiß es und braucht viel weniger Exits.
insp-dev-in-kernel = in KVM
insp-dev-in-kernel-tip = Im Linux-Kernel (KVM) selbst nachgebildet, schneller als der Weg hinaus zum VMM.
insp-dev-exits = { $count } Exits
insp-dev-exits-tip = Wie oft Zugriffe des Gasts auf dieses Gerät die vCPU angehalten haben.
insp-dev-transport = Angeschlossen über { $transport }
insp-dev-ports = I/O-Ports
insp-dev-ports-tip = Die Portnummern, die der Gast mit den Befehlen IN und OUT liest und schreibt.
insp-dev-mmio = MMIO
insp-dev-mmio-tip = Speicheradressen, an denen die Register des Geräts erscheinen.
insp-dev-irqs = Interrupts
insp-dev-irqs-tip = Die Interrupt-Leitungen, mit denen das Gerät dem Gast meldet, dass etwas passiert ist.
insp-dev-msix = MSI-X
insp-dev-msix-tip = Nachrichten-Interrupts: Statt über eine Leitung schreibt das Gerät eine Nachricht an den Interrupt-Controller der CPU. Jeder Eintrag nennt den Interrupt-Vektor des Gasts und die CPU (APIC), an die er geht.
insp-dev-msix-entry = Eintrag { $entry } → Vektor { $vector } an APIC { $apic } ({ $users }){ $masked ->
    [yes] , maskiert
   *[no] {""}
}
insp-dev-queue = Queue { $index }: { $size } Plätze, { $served } Anfragen bedient
insp-dev-queue-tip = Eine virtio-Queue: ein Ring im Speicher des Gasts, in den der Treiber Anfragen für das Gerät legt.
insp-host-process = Prozess vmdesk-vmm, PID { $pid }
insp-host-rss = Belegter Speicher (RSS): { $rss }
insp-host-rss-tip = Der Host-Speicher, den diese VM gerade wirklich belegt, RAM des Gasts eingeschlossen.
insp-last-cpu = CPU { $cpu }
insp-last-cpu-tip = Der echte Prozessorkern, auf dem dieser Thread zuletzt lief.
insp-thread-vcpu = Führt einen virtuellen Prozessor aus: betritt den Gast und behandelt seine Exits.
insp-thread-display = Kopiert den Bildschirm des Gasts, wenn er sich ändert.
insp-thread-vnc = Schickt den Bildschirm an die App und nimmt Tasten und Maus an (VNC).
insp-thread-api = Beantwortet die Anfragen der App über den Steuer-Socket.
insp-thread-io = Erledigt Platten- oder Netzwerkarbeit, damit die vCPUs nicht warten müssen.
insp-thread-main = Hat die VM gebaut und wartet auf ihr Ende.
insp-thread-other = Ein Hilfs-Thread des VMM.
# Issue 15 polish (part a, app15): fullscreen bar, activity legend
screen-leave-fullscreen = Vollbild verlassen
# --- issue 16 (b): `vmdesk inspect` (der Inspektor, VMM-Seite) ---
cli-inspect-mode-real = Real Mode (16 Bit, wie die CPU startet)
cli-inspect-mode-v8086 = Virtual-8086-Modus
cli-inspect-mode-protected = Protected Mode (32 Bit)
cli-inspect-mode-compatibility = Kompatibilitätsmodus (32-Bit-Code unter einem 64-Bit-Kernel)
cli-inspect-mode-long = Long Mode (64 Bit)
cli-inspect-paging-on = Paging an
cli-inspect-paging-off = Paging aus
cli-inspect-halted = angehalten (wartet auf einen Interrupt)
cli-inspect-stale = zuletzt bekannte Werte (die vCPU hat nicht rechtzeitig geantwortet)
cli-inspect-code = Code bei RIP: { $bytes }
cli-inspect-vcpu-thread = Host-Thread { $tid }, zuletzt auf CPU { $cpu }, { $ms } ms CPU-Zeit
cli-inspect-vcpu-exits = Exits: { $exits }
cli-inspect-memory = Speicherkarte (gastphysisch):
cli-inspect-memory-columns = Anfang|Größe|Art|berührt|Huge Pages|was
cli-inspect-kind-ram = RAM
cli-inspect-kind-rom = ROM
cli-inspect-kind-flash = Flash
cli-inspect-kind-framebuffer = Framebuffer
cli-inspect-kind-mmio = Geräteregister
cli-inspect-kind-reserved = reserviert
cli-inspect-devices = Geräte:
cli-inspect-device-columns = Name|Art|Anbindung|Ports|MMIO|IRQs|Exits|Queues (bedient/Größe)
cli-inspect-device-emulated = emuliert
cli-inspect-device-paravirtual = paravirtuell
cli-inspect-device-in-kernel = in KVM
cli-inspect-host = VMM-Prozess { $pid }, { $rss } im Speicher; seine Threads:
cli-inspect-thread-columns = Thread|Name|CPU s|letzte CPU
cli-inspect-exit-columns = #|vCPU|µs|Grund|Adresse|Größe|Wert|Gerät
cli-inspect-no-exits = Keine Exits in der letzten Sekunde (die VM ist pausiert, oder ihre vCPUs schlafen in KVM).
cli-inspect-exits-dropped = { $n } ältere Exits passten nicht ins Protokoll und wurden verworfen.
## VM beside a container (issue 16, container comparison)
compare-no-crun = crun, die Container-Laufzeit, ist nicht installiert: installieren Sie sie mit „sudo apt install crun“.
compare-needs-root = Den Container zu starten braucht hier root (er hängt das Overlay ein und setzt cgroup-Grenzen): starten Sie „sudo vmdesk compare“.
compare-no-rootfs = { $file } fehlt: Es ist das busybox-Dateisystem, das beide Seiten starten. Erzeugen Sie es mit tests/linux/build-guest.sh.
compare-overlay-refused = overlayfs wurde abgelehnt ({ $error }): Die Wurzel des Containers ist der entpackte Ordner selbst, ohne eigene Schicht darüber.
compare-no-cgroups = Keine cgroup-Hierarchie ist eingehängt (weder cgroup v2 unter /sys/fs/cgroup noch v1-Hierarchien), also lässt sich keine Speicher- oder CPU-Grenze setzen: hängen Sie cgroup2 unter /sys/fs/cgroup ein.
compare-cgroup-view = Dieser Rechner mischt cgroup v1 und v2 mit Controllern in beiden, was crun ablehnt („hybrid mode“); vmdesk hat crun nur die v1-Hierarchien gezeigt, die Grenzen sind also die v1-cgroups des Kernels.
compare-crun-failed = crun { $step } ist fehlgeschlagen: { $error }
compare-userns-refused = Der Kernel hat einen User-Namespace abgelehnt ({ $error }), also ist root im Container root auf dem Rechner. Erlauben Sie sie mit „sysctl user.max_user_namespaces=15000“ (und „sysctl kernel.unprivileged_userns_clone=1“ bei älteren Debian-Kerneln).
compare-interrupted = Abgebrochen: Der Container wurde entfernt.
compare-vm-was-running = Die VM lief schon, ihr Start wurde also nicht gemessen: Halten Sie sie an und vergleichen Sie erneut, um ihn zu messen.
compare-vm-no-output = Der Gast hat binnen 30 Sekunden nichts auf seine serielle Schnittstelle geschrieben ({ $file }), also ließ sich sein Start nicht messen.
compare-vm-no-shell = Keine Linux-Shell hat auf der seriellen Schnittstelle geantwortet (dazu muss der Linux-Testgast mit vmdesk.init=shell starten), also ist die Kernel-Version des Gasts unbekannt.
compare-vm-not-linux = Die VM startet keinen Linux-Kernel direkt, also gibt es keine Shell auf ihrer seriellen Schnittstelle, die man nach der Kernel-Version fragen könnte.
compare-title = Container und VMs, live gemessen (Container-Laufzeit: { $runtime })
compare-col-textbook = Lehrbuch
compare-col-container = Container
compare-col-vm = VM
compare-vm-none = Keine VM gemessen: Nennen Sie eine (vmdesk compare VM).
compare-not-measured = nicht gemessen (siehe die Hinweise)
compare-unlimited = unbegrenzt
compare-row-start = Start bis zur Shell
compare-row-start-help = Von der Anforderung bis eine Shell antwortet (Container) bzw. bis zur ersten Ausgabe des Gasts auf seiner seriellen Schnittstelle (VM).
compare-row-start-textbook = Container: Sekunden; VM: Minuten
compare-row-memory = Belegter Speicher
compare-row-memory-help = Was der Kernel der cgroup des Containers anrechnet; bei der VM, was der VMM-Prozess im RAM hält.
compare-row-memory-textbook = Container: Megabytes; VM: Gigabytes
compare-memory-container = { $used } (seine cgroup)
compare-memory-vm = { $used } im RAM, von { $ram } Gast-RAM
compare-row-disk = Größe auf der Platte
compare-row-disk-help = Die Dateien, die jede Seite braucht: die Wurzel des Containers und was er schrieb; Ordner, Kernel, Initrd und Platten der VM.
compare-row-disk-textbook = Container: Megabytes; VM: Gigabytes
compare-disk-container = Wurzel { $root } + eigene Schicht { $upper }
compare-row-kernel = Kernel innen (uname -r)
compare-row-kernel-help = Die Kernel-Version, die ein Programm innen sieht: Ein Container hat den Kernel des Rechners, eine VM startet ihren eigenen.
compare-row-kernel-textbook = Container: der des Rechners; VM: ein eigener
compare-kernel = { $inside } (Rechner: { $host })
compare-row-pid1 = PID 1
compare-row-pid1-help = Der erste Prozess: Das Init eines Containers ist ein Prozess des Rechners mit anderer Nummer innen; das Init einer VM lebt im Kernel des Gasts.
compare-row-pid1-textbook = beide: ein eigenes Init
compare-pid1-container = { $cmdline } (PID { $inside } innen, { $host } auf dem Rechner)
compare-pid1-vm = das eigene Init des Gast-Kernels, für den Rechner unsichtbar; der Rechner sieht den VMM (PID { $host })
compare-row-processes = Prozesse innen
compare-row-processes-help = Was ps innen auflistet: Ein Container sieht nur seine eigenen Prozesse, weil er einen eigenen PID-Namespace hat.
compare-row-processes-textbook = beide: nur die eigenen
compare-processes-vm = der Rechner sieht einen Prozess, den VMM (PID { $host }); die des Gasts liegen in seinem Speicher
compare-row-isolated = Getrennt (eigene Namespaces)
compare-row-isolated-help = Namespaces geben einem Prozess eine eigene Sicht auf einen Teil des Systems (Prozesse, Einhängungen, Netz …); verglichen mit denen des Rechners über /proc/<pid>/ns.
compare-row-isolated-textbook = Container: Namespaces; VM: virtuelle Hardware
compare-isolated-vm = Namespaces: { $namespaces }; der Gast ist stattdessen durch virtuelle Hardware abgeschottet
compare-row-shared = Mit dem Rechner geteilt
compare-row-shared-help = Was beide Seiten vom Rechner nutzen: ein Container dessen Kernel und die Namespaces, die er nicht bekam; eine VM nur den VMM-Prozess.
compare-row-shared-textbook = Container: der Kernel des Rechners; VM: die Hardware
compare-shared-container = der Kernel des Rechners; Namespaces: { $namespaces }
compare-shared-vm = die Namespaces des VMM-Prozesses: { $namespaces }; nicht der Kernel
compare-row-limits = Grenzen
compare-row-limits-help = Wie viel jede Seite nutzen darf: die cgroup-Dateien des Containers, zurückgelesen; das RAM der VM wie eingestellt.
compare-row-limits-textbook = Container: cgroups; VM: ihre virtuelle Hardware
compare-limits-container = Speicher { $memory }, CPU { $cpu } (cgroup v{ $version })
compare-limits-vm = Gast-RAM { $ram }
compare-row-layers = Schichten
compare-row-layers-help = Die Wurzel eines Containers ist ein Overlay: die geteilten Dateien unten, seine Änderungen oben; eine VM schreibt in ihre eigenen Plattenabbilder.
compare-row-layers-textbook = Container: Image-Schichten; VM: Plattenabbilder
compare-layers-container = unten: { $lower }; oben: { $upper }
compare-layers-vm = ihre eigenen Plattenabbilder
compare-no-overlay = kein Overlay (siehe die Hinweise)
compare-vm-ended = Die VM hielt an, bevor sie gemessen werden konnte (ihr Gast hat sich ausgeschaltet): Geben Sie ihr einen Gast, der weiterläuft.
# Lab mode (issue 16, part e)
lab-error-version = { $file } stammt von einer anderen vmdesk-Version (Lab-Dateiversion { $version }); sie bleibt unverändert.
lab-error-count = Die Anzahl der Schülerkopien muss eine ganze Zahl von 1 bis { $max } sein.
lab-error-prefix = Das Namenspräfix ist leer: Die Kopien werden danach benannt („Schüler 01“, …).
lab-error-student-as-template = { $vm } ist selbst eine Schülerkopie: Erstellen Sie die Kopien von seiner Vorlage.
lab-error-not-student = { $vm } ist keine Schülerkopie einer Vorlage und kann daher nicht zurückgesetzt werden.
lab-error-running = { $vm } läuft: Fahren Sie sie zuerst herunter und setzen Sie sie dann zurück.
lab-error-not-linked = { $file } ist kein Overlay eines verknüpften Klons (ohne Basisdatei): Es kann nicht zurückgesetzt werden.
lab-progress = Schülerkopie { $done } von { $total } angelegt
lab-made = { $count } Schülerkopien von { $vm } angelegt: { $names }
lab-reset-done = { $vm } ist wieder im Zustand der Vorlage ({ $snapshots } Snapshots entfernt)
lab-reset-all-done = { $count } von { $total } Schülerkopien zurückgesetzt
lab-no-students = { $vm } hat keine Schülerkopien.
cli-lab-option = { $option } passt nicht zu lab { $action }
cli-lab-count-missing = lab create braucht --count N (wie viele Schülerkopien)
lab-default-prefix = Schüler
projector-button = Beamer
projector-title = Beamer-Modus
projector-explain = Zum Vorführen vor einer Klasse: größer, kontrastreicher, auch von hinten gut lesbar. Wird sofort angewendet und gespeichert.
projector-scale = UI-Skalierung
projector-scale-explain = Alles wird größer gezeichnet; ein kleines Fenster behält Platz für jede Ansicht (mindestens 800×600 vor der Skalierung).
projector-scale-limited = Dieses Fenster ist dafür zu klein: jetzt mit { $scale } gezeichnet. Vergrößern Sie es oder nutzen Sie den Vollbildmodus.
projector-high-contrast = Hoher Kontrast
projector-high-contrast-explain = Schwarz auf Weiß mit kräftigen Rändern, für blasse Beamer.
projector-large-font = Große Konsolenschrift
projector-large-font-explain = Der Text der seriellen Konsole in größerer Schrift, damit die Klasse mitlesen kann.
projector-close = Schließen
lab-title = Labormodus
lab-explain = Schülerkopien sind verknüpfte Klone dieser VM: Jede Person bekommt eine eigene, ein Klick setzt sie zurück.
lab-is-student = Eine Schülerkopie von { $template }.
lab-make-button = Schülerkopien anlegen…
lab-stopped-only = Nur eine gestoppte VM kann kopiert werden: Ihre Platten dürfen sich dabei nicht ändern.
lab-count = Anzahl
lab-prefix = Namenspräfix
lab-make-explain = Benannt „Präfix 01“, „Präfix 02“…; jede belegt nur, was dort geschrieben wird. Diese VM läuft danach auf eigenem Overlay; die Kopien starten vom jetzigen Stand.
lab-make = Kopien anlegen
lab-cancel = Abbrechen
lab-students = { $count ->
        [one] Eine Schülerkopie
       *[other] { $count } Schülerkopien
    }
lab-reset = Zurücksetzen
lab-reset-all = Alle zurücksetzen
lab-reset-question = { $name } auf die Vorlage zurücksetzen?
lab-reset-all-question = Alle { $count } Schülerkopien auf die Vorlage zurücksetzen?
lab-reset-explain = Was seitdem geschrieben wurde, geht verloren, dazu { $snapshots } Snapshots. Laufende Kopien bleiben unverändert.
lab-throwaway = Wegwerf-Läufe
lab-throwaway-explain = Jeder Lauf startet auf einem temporären Overlay: Was die VM schreibt, wird beim Ausschalten verworfen.

# c16 (f): the "VM beside a container" screen
compare-ui-open = Mit einem Container vergleichen
compare-ui-open-help = Diese VM neben einem Container, live gemessen: Startzeit, Speicher, Kernel, Isolation.
compare-ui-title = Container vs. VMs
compare-ui-cancel = Abbrechen
compare-ui-again = Erneut messen
compare-ui-running = Ein Container wird mit crun gestartet und neben { $vm } gemessen …
compare-ui-running-help = Das dauert einige Sekunden bis eine Minute: Beide werden gestartet, im Betrieb gemessen, dann gestoppt und aufgeräumt.
compare-ui-cancelling = Wird abgebrochen: Der Container wird entfernt …
compare-ui-failed = Der Vergleich konnte nicht laufen
compare-ui-failed-help = Nichts ist zurückgeblieben: Der Container und seine Dateien wurden entfernt. Beheben Sie das Obige und drücken Sie dann „Erneut messen“.
compare-ui-col-textbook = Lehrbücher sagen
compare-ui-col-container = Container (crun)
compare-ui-col-vm = Diese VM
compare-ui-notes = Hinweise zu dieser Messung

## Backing chains (issue 17 #1)
backing-file-line = { $file } · { $format } · { $size } · in { $folder }
backing-outside = außerhalb der erlaubten Orte
backing-reads-from = Diese Platte liest aus:
backing-allowed = Erlaubt: Dateien in { $folders } (in vm.toml festgehalten).
backing-question = Diese Platte liest aus Dateien in { $folders }. Darf vmdesk sie verwenden?
backing-why = vmdesk nimmt Basisdateien nur aus dem Ordner des Abbilds und dem Ordner der VM, außer Sie erlauben mehr: Ein Abbild kann jede Datei nennen, und der Gast würde sie lesen. Erlauben hält die Ordner in vm.toml fest (allow_backing).
backing-allow = Erlauben
backing-cancel = Diese Platte nicht verwenden
backing-refused = vmdesk verwendet diese Platte nicht
backing-answer-first = Diese Platte liest aus Dateien außerhalb ihres Ordners: Erlauben Sie sie oder wählen Sie ein anderes Abbild.
backing-disk-blocked = Liest aus Dateien in { $folders }, die diese VM nicht verwenden darf: Sie startet erst, wenn Sie sie erlauben und speichern.
cli-backing-ask =
    { $chain }
    Diese Platte liest aus Dateien in { $folders }, außerhalb des Ordners des Abbilds und der VM.
    Wenn Sie ihnen vertrauen, führen Sie den Befehl erneut mit --allow-backing aus (in vm.toml festgehalten).
cli-backing-refused =
    { $chain }
    vmdesk verwendet diese Platte nicht: Eine Datei ihrer Basiskette ist kein Plattenabbild.
# Export nach libvirt / KubeVirt und Import aus libvirt (vmdesk export, vmdesk import)
export-note-vnc-port = VNC auf TCP-Port { $port } steht nicht in der Domain: libvirts VNC lauscht hier auf einem Unix-Socket (der Port bleibt in vmdesks Metadaten)
export-note-kernel-machine = die Kernel-Maschine (virtio-mmio, kein PCI) wird ein q35-PC mit denselben Geräten an PCI: der Gast-Kernel braucht virtio-pci
export-note-vga-rom = das VGA-BIOS { $path } hat kein libvirt-Element: QEMU nimmt sein eigenes (es bleibt in vmdesks Metadaten)
export-note-allow-backing = Platte { $disk }: libvirt hat keine Liste erlaubter Ordner für Backing-Dateien (sie bleibt in vmdesks Metadaten)
kubevirt-note-empty-cdrom = CD-ROM-Laufwerk { $drive } ist leer: ausgelassen (ein KubeVirt-Laufwerk braucht ein Volume)
kubevirt-note-extra-nic = Netzwerkkarte { $nic } ausgelassen: das Pod-Netz nimmt eine Schnittstelle (mehr brauchen Multus)
kubevirt-note-forward = { $proto }-Port { $host } auf dem Host zu { $guest } im Gast: der Gast-Port ist angegeben; erreichbar mit „virtctl port-forward vm/{ $vm } { $host }:{ $guest }“ oder einem Service
kubevirt-note-kernel-image = Kernel und Initrd müssen im Container-Image { $image } liegen (/boot/vmlinuz, /boot/initrd): erst bauen und hochladen
kubevirt-note-screen = die Bildschirmgröße { $width }×{ $height } hat kein KubeVirt-Feld: der Gast wählt seinen Modus
import-error-xml = kein wohlgeformtes XML-Dokument (DTDs und Entities werden abgelehnt): { $detail }
import-error-not-domain = keine libvirt-Domain: das Wurzelelement ist <{ $element }>
import-error-missing = { $element } fehlt
import-error-value = { $element }: „{ $value }“ ist kein gültiger Wert
import-error-os-type = OS-Typ „{ $kind }“: vmdesk führt vollständige virtuelle Maschinen aus (hvm)
import-error-arch = Architektur „{ $arch }“: vmdesk führt x86-64-Gäste aus
import-error-machine = den Maschinentyp „{ $machine }“ hat vmdesk nicht (pc, q35, microvm)
import-error-no-file = { $path }: keine solche Datei
import-error-disk-source = Platte { $disk }: eine „{ $kind }“-Quelle wird nicht unterstützt (nur Image-Dateien und Blockgeräte)
import-error-not-iso = CD-ROM { $disk }: { $path } ist kein ISO-9660-Image
import-error-format = Platte { $disk }: das Format „{ $format }“ wird nicht unterstützt (raw oder qcow2; umwandeln mit qemu-img convert -O qcow2)
import-error-image = Platte { $disk }: { $path }: { $reason }
import-error-format-mismatch = Platte { $disk }: { $path } soll { $declared } sein, ist aber { $found }
import-note-domain-type = der Domain-Typ „{ $kind }“ läuft unter KVM
import-note-unsupported = { $element }: nicht unterstützt, ausgelassen
import-note-boot-dev = Startgerät „{ $dev }“: nicht unterstützt, aus der Startreihenfolge ausgelassen
import-note-nvram = die UEFI-Variablen in { $path } werden nicht kopiert: die VM beginnt mit einem neuen Speicher
import-note-secure-boot = Secure Boot wird nicht unterstützt: die VM startet ohne
import-note-extra-serial = nur die erste serielle Schnittstelle bleibt
import-note-spice = die SPICE-Anzeige wird vmdesks Bildschirm (VNC)
import-note-vnc-tcp = VNC über TCP ist aus: vmdesk zeigt den Bildschirm über seinen eigenen Socket (ein Port lässt sich in den Einstellungen der VM setzen)
import-note-cdrom-kernel = CD-ROM { $disk } ausgelassen: eine VM, die direkt einen Kernel startet, hat keine CD-ROM-Laufwerke
import-note-bus = Platte { $disk }: der Bus { $from } wird { $to }
import-note-nic-type = NIC { $nic }: eine „{ $kind }“-Schnittstelle wird zu Benutzermodus-Netzwerk (passt oder libslirp)
import-note-nic-model = Netzwerkkarte { $nic }: das Modell { $model } wird virtio
import-note-range = Ports { $start }–{ $end }: zu viele zum Weiterleiten, ausgelassen
cli-export-one-format = export braucht entweder --libvirt oder --kubevirt
cli-exported = { $vm } exportiert nach { $file }
cli-export-note = nicht unverändert exportiert: { $note }
cli-export-upload = die Platten-Images hochladen mit:
cli-imported = { $file } importiert als { $vm }
cli-import-note = nicht unverändert importiert: { $note }
details-export-libvirt = Nach libvirt exportieren…
details-export-kubevirt = Nach KubeVirt exportieren…
library-import = Importieren…
library-import-pick = Eine libvirt-VM importieren (Domain-XML)
library-import-filter = libvirt-Domain-XML
config-display-kind-unavailable = Diese Maschine hat keinen Bildschirm „{ $kind }“; möglich sind: { $allowed }.
hw-display-kind = Gerät
hw-display-kind-framebuffer = Framebuffer
hw-display-kind-std-vga = Standard-VGA
hw-display-kind-virtio-gpu = virtio-gpu (passt sich dem Fenster an)
