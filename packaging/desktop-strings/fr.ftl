# Strings of the desktop entry, French. Same keys as en.ftl.

desktop-name = vmdesk
desktop-generic-name = Gestionnaire de machines virtuelles
desktop-comment = Créer, lancer et prendre des instantanés de machines virtuelles sur votre bureau
desktop-keywords = machine virtuelle;VM;virtualisation;KVM;hyperviseur;émulateur;ISO;instantané;snapshot;
