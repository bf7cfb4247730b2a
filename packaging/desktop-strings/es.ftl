# Strings of the desktop entry, Spanish. Same keys as en.ftl.

desktop-name = vmdesk
desktop-generic-name = Gestor de máquinas virtuales
desktop-comment = Cree, ejecute y guarde instantáneas de máquinas virtuales en su escritorio
desktop-keywords = máquina virtual;VM;virtualización;KVM;hipervisor;emulador;ISO;instantánea;snapshot;
