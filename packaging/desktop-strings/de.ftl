# Strings of the desktop entry, German. Same keys as en.ftl.

desktop-name = vmdesk
desktop-generic-name = Verwaltung virtueller Maschinen
desktop-comment = Virtuelle Maschinen auf dem Desktop erstellen, starten und Schnappschüsse davon anlegen
desktop-keywords = virtuelle Maschine;VM;Virtualisierung;KVM;Hypervisor;Emulator;ISO;Schnappschuss;Snapshot;
