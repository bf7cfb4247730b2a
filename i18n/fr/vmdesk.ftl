# vmdesk — Français

app-title = vmdesk

## Buttons
button-start = Démarrer
button-pause = Suspendre
button-resume = Reprendre
button-power-off = Éteindre
button-force-off = Forcer l’arrêt
button-restart = Redémarrer
button-delete = Supprimer
button-details = Détails
button-cancel = Annuler
button-dismiss = Fermer

## VM states
state-stopped = Arrêtée
state-starting = Démarrage
state-running = En marche
state-paused = Suspendue
state-stopping = Arrêt en cours
state-broken = Endommagée

## Library
library-title = Machines virtuelles
library-new = Nouvelle VM
library-search-placeholder = Rechercher (Ctrl+F)
library-empty-title = Pas encore de machine virtuelle
library-empty-hint = Créez-en une avec « Nouvelle VM » (Ctrl+N) : elle démarre directement un noyau Linux.
library-no-match = Aucune machine virtuelle ne correspond à la recherche.
library-summary = { $boot } · { $vcpus } vCPU · { $memory } Mio
library-broken = Les réglages de cette VM sont illisibles, elle reste donc intacte : { $error }
library-last-exit = Dernière exécution : { $meaning }
language-system = Langue du système
delete-question = Supprimer « { $name } » ?
delete-explain = Son dossier, avec les réglages et les journaux, est effacé. Impossible d’annuler.

## How a VM ended (vmdesk-vmm's exit status)
exit-power-off = l’invité s’est éteint.
exit-vmm-error = le VMM a échoué (code de sortie 1) ; voir le journal ci-dessous.
exit-bad-config = les réglages ont été refusés avant le démarrage (code de sortie 2).
exit-reset = l’invité a demandé une réinitialisation ou un redémarrage (code de sortie 3).
exit-guest-crash = l’invité a planté (code de sortie 4).
exit-killed = son arrêt a été forcé (code de sortie 5).
exit-other = vmdesk-vmm s’est terminé avec le code de sortie { $code }.
exit-signal = vmdesk-vmm a été tué par le signal { $signal }.
exit-unknown = vmdesk-vmm s’est terminé ; son code de sortie est inconnu.
exit-seccomp = le filtre de sécurité du VMM l'a arrêté : son fil { $thread } a fait un appel système qui lui est interdit (numéro { $syscall }). C'est un bogue de vmdesk : signalez-le avec le journal ci-dessous.

## Notices and errors
notice-created = « { $name } » a été créée.
notice-deleted = « { $name } » a été supprimée.
notice-copied = La sortie de la console est dans le presse-papiers.
notice-reset-loop = « { $name } » s’est réinitialisée { $count } fois en une minute et reste arrêtée.
notice-no-response = L’invité de « { $name } » n’a pas réagi au bouton d’alimentation. Forcer l’arrêt ?
error-not-running = « { $name } » n’est pas en marche.
error-vmm-missing = Démarrage impossible : { $detail }
error-vmm-exited = « { $name } » s’est arrêtée aussitôt : { $meaning }
error-api = « { $name } » : { $detail }
error-create = Impossible d’enregistrer la nouvelle VM : { $detail }
error-delete = Impossible de supprimer « { $name } » : { $detail }
error-delete-running = « { $name } » est en marche : éteignez-la avant de la supprimer.
error-settings = Impossible d’enregistrer les préférences : { $detail }

## Form fields
form-name = Nom
form-name-placeholder = Ma VM Linux
form-boot = Démarrage
boot-bios = Micrologiciel BIOS
boot-uefi = Micrologiciel UEFI
form-kernel = Noyau
form-kernel-hint = Un fichier bzImage ou vmlinux ELF.
form-initrd = Initrd
form-optional = Facultatif.
form-cmdline = Ligne de commande
form-cmdline-hint = Paramètres du noyau ; console=ttyS0 affiche le démarrage dans la console.
form-vcpus = vCPU
form-vcpus-hint = Processeurs virtuels, de 1 à { $max }.
form-memory = Mémoire (Mio)
form-memory-hint = Cette machine a { $max } Mio.
form-serial-log = Écrire la console série dans un fichier journal
form-serial-log-file = Fichier journal
form-serial-log-file-hint = Vide signifie serial.log dans le dossier de la VM.
form-browse = Parcourir…
form-pick-kernel = Choisir un noyau Linux
form-pick-initrd = Choisir un initrd

form-devices = Périphériques
form-virtio-rng = Source d’entropie (virtio-rng)
form-virtio-rng-hint = Fournit à l’invité des nombres aléatoires de l’hôte, pour démarrer sans attendre d’entropie.

## Field problems
error-path-empty = Choisissez un fichier.
error-path-relative = Utilisez un chemin complet commençant par /.
error-file-missing = Aucun fichier à cet emplacement.
error-not-a-number = Saisissez un nombre entier.

## Config problems: one key per vmm_core::config::ConfigErrorKind
config-bad-length = De { $min } à { $max } caractères.
config-bad-id-chars = « { $id } » ne peut contenir que des minuscules, des chiffres, - et _.
config-name-empty = Donnez un nom à la VM.
config-name-control = Un nom ne peut pas contenir de caractères de contrôle (comme tabulation ou échap).
config-too-few-vcpus = Une VM a besoin d’au moins { $min } vCPU.
config-vcpus-above-host = Cette machine a { $max } processeurs : au plus { $max } vCPU.
config-vcpus-above-supported = Au plus { $max } vCPU sont pris en charge.
config-memory-too-small = Il faut au moins { $min } Mio.
config-memory-above-host = Plus que ce que cette machine possède ({ $max } Mio).
config-not-found = Aucun fichier à cet emplacement.
config-cannot-open = Ce fichier est illisible : { $reason }
config-cannot-stat = Impossible d’examiner ce fichier : { $reason }
config-cannot-read = La lecture de ce fichier a échoué : { $reason }
config-not-regular-file = C’est un dossier ou un périphérique, pas un fichier.
config-kernel-truncated = Ce noyau est tronqué : { $len } octets, son en-tête en annonce { $want }.
config-not-a-kernel = Ce n’est pas un noyau Linux : ni en-tête bzImage ni signature ELF.
config-firmware-missing = Le fichier du micrologiciel est absent ; installez-le avec « apt-get install { $package } ».
config-firmware-bad-size = L’image du micrologiciel fait { $size } octets ; elle doit faire de 64 Kio à 16 Mio par pas entiers de 64 Kio (SeaBIOS : 128 ou 256 Kio).
config-flash-bad-size = Le fichier flash UEFI fait { $size } octets ; il doit faire des blocs entiers de 4 Kio, au plus 16 Mio.
config-vars-size-mismatch = Le magasin de variables UEFI ({ $size } octets) ne va pas avec le code du micrologiciel ({ $code_size } octets) ; utilisez le fichier OVMF_VARS de la même compilation (OVMF_VARS_4M.fd avec OVMF_CODE_4M.fd).
config-initrd-too-big = L’initrd ({ $size } Mio) doit tenir dans la moitié de la mémoire de l’invité.
config-cmdline-too-long = Avec le « pci=off » qu’ajoute le VMM, la ligne de commande fait { $len } octets : plus que { $max }.
config-cmdline-nul = La ligne de commande ne doit pas contenir de caractères NUL.
config-out-of-range = { $value } est hors de { $min } à { $max }.
config-port-zero = 0 n’est pas un port : de 1 à 65535.
config-vnc-password-missing = Un port VNC nécessite un mot de passe.
config-bad-vnc-password = 1 à { $max } caractères ASCII imprimables.
config-too-many-disks = { $count } disques, c’est plus que les { $slots } qui tiennent à côté des autres périphériques.
config-not-printable = Uniquement des caractères ASCII imprimables.
config-duplicate-disk = { $path } est déjà le disque { $first }.
config-image = Impossible d'utiliser cette image : { $detail }
config-bad-mac = « { $mac } » n’est pas une adresse MAC comme 52:54:00:12:34:56.
config-multicast-mac = « { $mac } » est une adresse multicast ; une interface réseau a besoin d’une adresse unicast.
config-zero-mac = « { $mac } » est l’adresse nulle.
config-too-many-nics = Au plus { $max } interfaces réseau.
config-port-taken = Le port hôte { $port } est redirigé deux fois.
config-not-an-iso = Le fichier n’est pas une image de CD-ROM ISO 9660.
config-cdroms-need-firmware = Les lecteurs de CD-ROM nécessitent une machine BIOS.
config-too-many-cdroms = { $count } lecteurs de CD-ROM, c’est plus que les { $max } pris en charge.
config-boot-order-duplicate = L’ordre de démarrage nomme { $device } deux fois.

## Wizard
wizard-title = Nouvelle machine virtuelle
wizard-heading = Démarrer un noyau Linux
wizard-intro = La VM démarre le noyau directement, sans micrologiciel ; les disques sont branchés comme disques de données. Chaque champ est vérifié pendant la saisie.
wizard-create = Créer
wizard-id = Nom du dossier et du socket : { $id }
wizard-fix-fields = { $count ->
    [one] Corrigez le champ marqué en rouge.
   *[other] Corrigez les { $count } champs marqués en rouge.
}

## Details
details-back = ‹ Bibliothèque
details-settings = Réglages
details-read-only = La VM est en marche : ses réglages sont en lecture seule jusqu’à son arrêt.
details-id = ID
details-disks = Disques
details-nics = Réseau
details-display = Écran
details-none = Aucun
details-save = Enregistrer
details-revert = Annuler les modifications
details-saved = Enregistré.
details-console = Console série
console-empty = Pas encore de sortie.
console-clear = Effacer
console-copy = Copier

## Live statistics
stats-title = Sorties de vCPU
stats-total = { $rate }/s · { $total } au total
stats-rate = { $rate }/s
stats-none = Affiché pendant que la VM est en marche.
stats-intro = Chaque fois que l’invité a besoin de ce que seul l’hôte peut faire, son vCPU quitte l’invité (une sortie) et le VMM s’en charge. Par seconde, selon la raison :
explain-io-in = l’invité a lu un port d’E/S ; le VMM a répondu pour le périphérique émulé.
explain-io-out = l’invité a écrit sur un port d’E/S ; le VMM a émulé le périphérique.
explain-io-unhandled = l’invité a accédé à un port d’E/S sans périphérique ; l’accès a été ignoré.
explain-mmio-read = l’invité a lu la mémoire d’un périphérique (MMIO) ; le VMM a répondu pour le périphérique.
explain-mmio-write = l’invité a écrit la mémoire d’un périphérique (MMIO) ; le VMM a émulé le périphérique.
explain-hlt = l’invité n’avait rien à faire et a arrêté le vCPU jusqu’à la prochaine interruption.
explain-shutdown = le vCPU s’est arrêté (triple faute) ; la VM redémarre.
explain-interrupted = le VMM a lui-même interrompu le vCPU, par exemple pour le suspendre ou livrer un signal.
explain-internal-error = KVM n’a pas pu exécuter une instruction de l’invité.
explain-fail-entry = le matériel a refusé d’entrer dans l’invité (état du vCPU invalide).
explain-other = une autre raison pour laquelle KVM est revenu au VMM.

## Details tabs, activity
button-screen = Écran
tab-console = Console série
tab-snapshots = { $count ->
    [0] Instantanés
   *[other] Instantanés ({ $count })
}
tab-activity = Activité
stats-vcpus = Par vCPU
stats-vcpu = vCPU { $n }
stats-vcpu-value = { $rate }/s · { $total } au total
stats-devices = Périphériques
stats-no-nics = Aucune interface réseau.
stats-nic = net{ $n } : reçu { $rx } trames ({ $rxb }) · envoyé { $tx } ({ $txb }) · perdu { $dropped }
stats-malformed = Requêtes virtio mal formées refusées : { $count }
stats-uptime = En marche depuis { $uptime } s · messages de console perdus par des clients lents : { $dropped }
stats-confinement = Confinement : { $seccomp } · { $landlock }
confinement-seccomp-on = filtres seccomp actifs ({ $filters })
confinement-seccomp-log = filtres seccomp en journalisation seule ({ $filters }), rien n'est arrêté
confinement-seccomp-off = filtres seccomp désactivés
confinement-landlock-on = limites de fichiers Landlock actives (ABI { $abi })
confinement-landlock-off = limites de fichiers Landlock désactivées
confinement-landlock-unavailable = pas de limites de fichiers Landlock ({ $why })

## Snapshots
snap-title = Instantanés
snap-refresh = Actualiser
snap-intro = Un instantané conserve toute la VM en marche — mémoire, vCPU, périphériques, écran — pour revenir à ce moment. Chacun est enregistré en entier : en supprimer un n'abîme jamais les autres.
snap-name-placeholder = Nom
snap-description-placeholder = Description (facultative)
snap-take = Prendre un instantané
snap-taking = En cours…
snap-stopped-hint = Démarrez la VM pour prendre un instantané. Une VM arrêtée peut démarrer depuis n'importe quel instantané ci-dessous.
snap-none = Pas encore d'instantané.
snap-current = Actuel
snap-no-screen = sans écran
snap-incomplete = Incomplet
snap-incomplete-explain = Inutilisable : { $problem }. Supprimez-le pour faire le ménage.
snap-revert = Revenir
snap-revert-question = Revenir à « { $name } » ?
snap-revert-explain = La VM revient à ce moment et continue à partir de là. Ce qui s'est passé depuis votre dernier instantané est perdu ; prenez-en un avant pour le garder.
snap-revert-explain-net = Ses connexions réseau prennent fin ; l’invité en ouvre de nouvelles.
snap-start-here = Démarrer ici
snap-start-question = Démarrer la VM depuis « { $name } » ?
snap-start-explain = Elle reprend exactement là où l'instantané a été pris, au lieu de démarrer à froid.
snap-rename = Renommer
snap-rename-save = Enregistrer
snap-delete-question = Supprimer l'instantané « { $name } » ?
snap-delete-explain = Ses fichiers sont supprimés. C'est irréversible.
snap-delete-explain-children = { $count ->
    [one] Ses fichiers sont supprimés. L'instantané pris après lui reste valide (chacun est enregistré en entier) et se rattache au parent de celui-ci.
   *[other] Ses fichiers sont supprimés. Les { $count } instantanés pris après lui restent valides (chacun est enregistré en entier) et se rattachent au parent de celui-ci.
}
snap-needs-running = la VM doit être en marche pour cela.
snap-error = Instantanés : { $detail }
notice-snapshot-taken = Instantané pris en { $total } ms ; l'invité a été suspendu { $paused } ms.
notice-reverted = « { $name } » est revenue à l'instantané.
notice-screenshot = Capture enregistrée : { $path }

## The guest's screen
screen-back = ‹ Détails
screen-grabbed = Clavier capturé : les touches vont à la VM. Ctrl+Alt le libère.
screen-not-grabbed = Cliquez dans l'écran ou appuyez sur Ctrl+Alt pour taper dans la VM. F11 : plein écran.
screen-release = Libérer le clavier
screen-capture = Capturer le clavier
screen-fit = Ajuster
screen-actual-size = Taille réelle
screen-follow-window = Adapter l'invité à la fenêtre
screen-follow-window-tip = L'écran de l'invité prend la taille de cette zone quand la fenêtre change de taille.
screen-follow-window-unsupported = L'affichage de cette VM ne peut pas changer de taille (un affichage virtio-gpu le peut) : son écran est mis à l'échelle de la fenêtre.
screen-send-key = Envoyer une touche
screen-send-key-title = Envoyer :
screen-screenshot = Capture
screen-fullscreen = Plein écran
screen-connecting = Connexion à l'écran de la VM…
screen-lost = L'écran n'est pas disponible ({ $reason }). Nouvel essai…

## First-run check
check-title = Avant de commencer
check-intro-blocking = vmdesk ne peut pas encore faire tourner de machines virtuelles sur cet ordinateur. Corrigez les problèmes ci-dessous, puis vérifiez à nouveau.
check-intro-warnings = vmdesk peut faire tourner des machines virtuelles ici, avec ces limites.
check-problem = Problème
check-warning = Avertissement
check-again = Vérifier à nouveau
check-continue = Continuer quand même
check-kvm-missing = Cet ordinateur n'offre pas KVM (/dev/kvm est absent)
check-kvm-missing-fix = Activez la virtualisation (Intel VT-x ou AMD-V, parfois appelée SVM) dans le micrologiciel, puis chargez le module KVM.
check-kvm-access = Vous n'avez pas le droit d'utiliser /dev/kvm
check-kvm-access-fix = Ajoutez-vous au groupe kvm, puis fermez la session et rouvrez-la.
check-vmm-missing = vmdesk-vmm est introuvable
check-vmm-missing-fix = Chaque VM tourne dans un processus vmdesk-vmm ; installez-le à côté de vmdesk ou dans votre PATH. ({ $detail })
check-passt-missing = Aucun réseau en mode utilisateur (passt ou libslirp) n’est installé : les VM n’ont pas de réseau
check-passt-missing-fix = Les VM fonctionnent, mais sans réseau. L’un ou l’autre leur donne accès au réseau :
check-low-memory = Seulement { $free } Mio de mémoire libre
check-low-memory-fix = Les VM risquent de ne pas démarrer ou d'être lentes. Fermez des programmes ou donnez peu de mémoire à vos VM.

## Command line
cli-help =
    vmdesk — gestionnaire de machines virtuelles pour le bureau

    Utilisation :
      vmdesk                          ouvrir la fenêtre
      vmdesk list                     lister les VM et leur état
      vmdesk create NOM --kernel FICHIER [--initrd FICHIER] [--cmdline TEXTE]
    {"              ["}--vcpus N] [--memory MIO] [--display LxH] [--network]
    {"              ["}--disk-size GIO | --disk IMAGE [--linked] [--read-only]]
                                      créer une VM (elle démarre un noyau Linux), avec un
                                      disque qcow2 neuf ou une image (--linked : une surcouche qcow2)
      vmdesk create NOM --iso FICHIER [--firmware uefi|bios] [--vcpus N]
    {"              ["}--memory MIO] [--disk-size GIO | --disk IMAGE]
    {"              ["}--display LxH | --no-display] [--network]
                                      créer une VM pour installer un système : l'ISO dans un
                                      lecteur de CD-ROM et un disque neuf, de la taille que
                                      osinfo-db recommande pour le système reconnu ; le disque
                                      démarre dès qu'il contient un système
      vmdesk create NOM --boot-disk IMAGE [--linked | --copy]
    {"              ["}--firmware uefi|bios] [--vcpus N] [--memory MIO] [--network] ...
                                      créer une VM qui démarre une image disque (p. ex. une
                                      image cloud) : telle quelle, via une surcouche qcow2
                                      (--linked) ou copiée (--copy) ; UEFI sauf --firmware bios
                                      --allow-backing (avec --disk, --boot-disk) : utiliser des
                                      fichiers de base hors du dossier de l'image (dans vm.toml)
      vmdesk detect  FICHIER          montrer ce que contient une ISO ou une image disque
                                      (osinfo-db) et ce qu'une VM pour elle reçoit
      vmdesk compare [VM] [--initramfs FICHIER]
                                      lancer la racine busybox de l'invité Linux de test comme
                                      conteneur (crun) à côté de la VM et montrer ce que chacun mesure
      vmdesk clone   VM NOM [--full]  clone lié d'une VM arrêtée (--full : copier les disques)
      vmdesk delete  VM [--keep-disks]
                                      supprimer une VM arrêtée et son dossier ; ses images disque
                                      vont à la corbeille (--keep-disks : dans kept-disks/)
      vmdesk status  VM               afficher l'état d'une VM
      vmdesk start   VM               démarrer une VM (elle continue après la fin de vmdesk)
      vmdesk start   VM --throwaway
                                      la démarrer sur une surcouche temporaire : ce qu'elle
                                      écrit est jeté à l'arrêt
      vmdesk stop    VM               appuyer sur le bouton d'alimentation ACPI
      vmdesk kill    VM               éteindre une VM immédiatement
      vmdesk restart VM               réinitialiser une VM et la redémarrer
      vmdesk pause   VM               arrêter les vCPU
      vmdesk resume  VM               relancer les vCPU
      vmdesk console VM               afficher la console série ; les lignes tapées vont à l'invité
      vmdesk snapshot  VM [--name NOM] [--description TEXTE]
                                      prendre un instantané d'une VM en marche
      vmdesk snapshots VM             lister les instantanés d'une VM (* marque l'actuel)
      vmdesk revert    VM INSTANTANÉ  revenir à un instantané (une VM arrêtée démarre depuis lui)
      vmdesk screenshot VM FICHIER.png  enregistrer l'écran de la VM (VM avec écran)
      vmdesk cdrom VM eject|insert FICHIER.iso [--drive N]
                                      retire le disque d’un lecteur de CD-ROM / insère une ISO
      vmdesk inspect VM [--exits]     montrer la machine telle que l’hyperviseur la voit : mode
                                      et registres de chaque vCPU, carte mémoire, périphériques
                                      et threads du VMM (--exits : les sorties de la seconde à venir)
      vmdesk lab create TEMPLATE --count N [--prefix P]
                                      créer N copies d'élève numérotées (clones liés) d'une
                                      VM arrêtée, « P 01 »… (P : Élève)
      vmdesk lab reset VM | --all TEMPLATE
                                      remettre une copie d'élève arrêtée (ou toutes celles
                                      d'un modèle) à l'état du modèle ; ses snapshots sont perdus
      vmdesk lab list TEMPLATE
                                      lister les copies d'élève d'un modèle et leur état
      vmdesk export VM --libvirt [FILE]
      vmdesk export VM --kubevirt [--disk-image-url URL | --container-disk REF]
    {"              ["}--kernel-image REF] [FILE]
                                      écrire la VM en XML de domaine libvirt ou en manifeste
                                      VirtualMachine KubeVirt (JSON, donc YAML) dans FILE ou sur
                                      stdout ; ce qui ne peut être exprimé est listé sur stderr
      vmdesk import FILE.xml          créer une VM depuis un XML de domaine libvirt (virsh
                                      dumpxml) ; ses disques restent où ils sont ; ce qui est
                                      laissé de côté est listé
      vmdesk completions SHELL        afficher le script de complétion pour bash, zsh ou fish
      vmdesk --version                afficher la version

    VM est l'identifiant ou le nom d'une VM ; INSTANTANÉ, celui d'un instantané.
    --json produit une sortie lisible par machine, erreurs comprises. detect --json produit un
    objet avec path, kind ("iso" ou "disk-image"), iso (volume_id, system_id, publisher_id,
    application_id, size_bytes) ou disk_image (format, virtual_size), os (id, short_id, name,
    version ; null si non reconnu), firmware ("uefi" ou "bios"), memory_mib, disk_gib, vcpus
    et notice (code "unknown-os" ou "no-database", message ; ou null).

    Code de sortie : 0 fait · 1 échec ·
    2 commande ou valeur incorrecte, ou ni ISO ni image disque ·
    3 VM inconnue · 4 la VM n'est pas dans un état qui le permet (p. ex. arrêtée) ·
    5 l'invité a ignoré le bouton d'alimentation · 6 instantané inconnu.
cli-unknown-option = option inconnue { $option }
cli-unknown-command = commande inconnue « { $command } »
cli-missing-command = aucune commande indiquée
cli-missing-vm = « { $command } » a besoin de l’ID ou du nom d’une VM
cli-extra-args = trop d’arguments
cli-no-vms = Pas encore de machine virtuelle. Lancez vmdesk sans argument pour en créer une.
main-no-display = impossible d’ouvrir une fenêtre : aucun serveur d’affichage joignable (DISPLAY={ $display }, WAYLAND_DISPLAY={ $wayland } ; { $reason }). La ligne de commande fonctionne sans : vmdesk --help
cli-col-id = ID
cli-col-name = NOM
cli-col-state = ÉTAT
cli-col-boot = DÉMARRAGE
cli-no-such-vm = aucune VM avec l’ID ou le nom « { $vm } »
cli-broken = { $vm } est inutilisable, ses réglages sont illisibles : { $error }
cli-not-running = { $vm } n’est pas en marche
cli-status = { $vm } : { $state }, { $vcpus } vCPU, { $memory } Mio, active depuis { $uptime } s, PID { $pid }
cli-status-stopped = { $vm } : arrêtée
cli-started = { $vm } démarrée (PID { $pid })
cli-restarted = { $vm } redémarrée (PID { $pid })
cli-stop-sent = { $vm } : l’invité s’éteint
cli-no-response = { $vm } : l’invité n’a pas réagi au bouton d’alimentation ; « vmdesk kill » force l’arrêt
cli-console-attached = Console série de { $vm } ; Ctrl+C se détache (la VM continue).
cli-console-exited = La VM s’est terminée : { $reason } (code de sortie { $code })
cli-missing-value = { $option } demande une valeur
cli-missing-arg = « { $command } » demande un argument de plus (voir vmdesk --help)
cli-bad-number = { $option } : « { $value } » n'est pas un nombre entier
cli-bad-display = --display : « { $value } » n'est pas LARGEURxHAUTEUR, p. ex. 1024x768
cli-created = { $vm } créée : { $path }
cli-deleted = { $vm } supprimée
cli-snapshot-taken = { $vm } : instantané { $snapshot } pris en { $total } ms (invité suspendu { $paused } ms)
cli-no-snapshots = { $vm } n'a pas d'instantané
cli-snapshot-incomplete = incomplet : { $problem }
cli-no-such-snapshot = { $vm } n'a aucun instantané complet avec l'identifiant ou le nom « { $snapshot } »
cli-reverted = { $vm } est revenue à l'instantané { $snapshot }
cli-started-from = { $vm } démarrée depuis l'instantané { $snapshot } (pid { $pid })
cli-screenshot = écran enregistré dans { $path }
cli-cdrom-usage = « cdrom » demande « eject », ou « insert » et un fichier ISO
cli-cdrom-bad-drive = --drive { $drive } : pas un numéro de lecteur
cli-cdrom-ejected = le lecteur de CD-ROM { $drive } est vide
cli-cdrom-inserted = { $path } est dans le lecteur de CD-ROM { $drive }

## Disques, réseau, écran ; clones ; suppression avec les disques (assistant, détails, bibliothèque, CLI)
wizard-hardware = Matériel
wizard-creating = Création…
wizard-busy = Création de la VM…
wizard-busy-disk = Création de la VM et de son disque…
wizard-busy-clone = Création de la VM et de son clone lié de l'image…
hw-storage = Disque
hw-add-disk = Ajouter un disque
hw-storage-none = Aucun disque
hw-storage-keep = Aucun
hw-storage-new = Nouveau disque
hw-storage-existing = Image existante
hw-storage-none-hint = L'invité démarre avec son noyau et son initrd seulement.
hw-gib = Gio
hw-disk-size-hint = Une image qcow2 dans le dossier de la VM ; elle n'occupe que ce que l'invité écrit. { $free } Gio libres à cet endroit.
hw-disk-size-hint-unknown = Une image qcow2 dans le dossier de la VM ; elle n'occupe que ce que l'invité écrit.
hw-image-hint = Une image raw ou qcow2. Elle est branchée comme disque de données (/dev/vda) : vmdesk ne sait pas encore démarrer sur un disque.
hw-image-info = Image { $format }, { $size }.
hw-pick-image = Choisir une image disque
hw-linked = Clone lié (recommandé)
hw-linked-hint = La VM écrit dans sa propre surcouche qcow2 ; l'image elle-même n'est jamais modifiée.
hw-direct-hint = La VM utilise l'image elle-même et écrit dedans.
hw-read-only = Lecture seule
hw-remove = Retirer
hw-network = Réseau (mode utilisateur : passt ou libslirp)
hw-network-hint = L'invité obtient son adresse par DHCP et sort par l'hôte ; rien ne lui parvient sauf les ports redirigés.
hw-passt-missing = Ni passt ni libslirp n’est installé, la VM ne peut donc pas démarrer avec le réseau : sudo apt install passt (ou libslirp0)
hw-backend = Moteur
hw-backend-auto = Automatique
hw-backend-auto-hint = libslirp quand un port TCP est redirigé (le passt de Debian 12 ne sait pas les faire entrer), sinon passt ; celui qui est installé.
hw-backend-passt = passt
hw-backend-passt-hint = Un processus à part, isolé (paquet passt).
hw-backend-slirp = libslirp
hw-backend-slirp-hint = Dans le processus confiné de la VM elle-même (paquet libslirp0) ; fait entrer les ports TCP redirigés.
hw-backend-passt-missing = passt n’est pas installé : sudo apt install passt, ou choisissez Automatique.
hw-backend-slirp-missing = libslirp n’est pas installé : sudo apt install libslirp0, ou choisissez Automatique.
hw-forwards = Ports redirigés
hw-forwards-hint = De 127.0.0.1 sur cet ordinateur vers l'invité, p. ex. « tcp 2222:22, udp 5353:53 » (hôte:invité). Facultatif.
hw-display-none = Pas d'écran (console série seulement)
hw-display-hint = Un framebuffer avec clavier et tablette, affiché dans la vue Écran.
details-hw-running = Les disques, le réseau et l'écran ne peuvent pas changer pendant que la VM tourne.
error-disk-size-zero = Un disque a besoin d'au moins 1 Gio.
error-disk-size-huge = Au plus { $max } Gio.
warn-disk-size-free = Plus grand que les { $free } Gio libres à cet endroit : sans souci tant que l'invité écrit moins (le disque grandit à l'écriture), mais l'invité aura des erreurs d'écriture si le disque de l'ordinateur se remplit.
error-image = Impossible d'utiliser cette image : { $detail }
error-forward = « { $item } » n'est pas une redirection de port ; écrivez p. ex. tcp 8080:80.
error-delete-clones = ses disques servent de base aux clones liés { $names } ; supprimez-les d'abord.
error-clone = Le clonage a échoué : { $detail }
notice-cloned = « { $name } » a été créée comme clone.
notice-deleted-kept = « { $name } » a été supprimée ; ses images disque sont conservées dans { $path }.
delete-keep-disks = Conserver les images disque
delete-keep-hint = Les images de son dossier disks sont d'abord sorties du dossier de la VM. Les images situées ailleurs ne sont jamais touchées.
delete-trash-hint = Les images de son dossier disks vont à la corbeille. Les images situées ailleurs ne sont jamais touchées.
button-clone = Cloner
clone-default-name = { $name } (clone)
clone-title = Cloner « { $name } »
clone-linked = Clone lié
clone-linked-hint = Rapide et léger : les disques du clone sont des surcouches qcow2 des disques de cette VM dans leur état actuel. Désormais chaque VM écrit dans ses propres surcouches.
clone-full-hint = Chaque disque est copié : plus lent, mais le clone est autonome.
clone-linked-running = La VM tourne : ses disques changent, seule une copie complète est donc possible (et seulement des disques qu'elle n'écrit pas). Éteignez-la pour un clone lié.
clone-busy = Clonage sous le nom « { $name } »… { $percent } %
cli-cloned = { $vm } clonée sous { $clone }
cli-clone-running = { $vm } tourne : éteignez-la d'abord (ses disques ne doivent pas changer pendant le clonage)
cli-bad-disk = --disk et --disk-size s'excluent : un disque par VM en ligne de commande
hw-vnc-port = Port VNC
hw-vnc-password = Mot de passe
hw-vnc-hint = Facultatif : l'écran aussi en VNC sur 127.0.0.1 à ce port, pour d'autres visionneuses (le mot de passe est obligatoire ; VNC en utilise 8 caractères).
error-vnc-port = Un port est un nombre de 1 à 65535.

## Activity tab: live graphs (stats)
stats-live-title = Activité en direct
stats-window = la dernière minute, une mesure par seconde
stats-cpu = CPU
stats-cpu-vcpu = vCPU de l’invité { $value }
stats-cpu-vmm = surcoût du VMM { $value }
stats-memory = Mémoire
stats-memory-rss = résidente (RSS)
stats-memory-guest = RAM de l’invité { $size }
stats-disk = Disque
stats-read = lu { $rate }
stats-written = écrit { $rate }
stats-no-disks-explain = Cette VM n’a pas de disque.
stats-net = Réseau
stats-received = reçu { $rate }
stats-sent = envoyé { $rate }
stats-disk-line = disk{ $n } : lu { $read } en { $reads } requêtes · écrit { $written } en { $writes } · { $flushes } vidages
stats-no-nics-explain = Cette VM n’a pas d’interface réseau.
stats-vcpu-cpu = { $cpu } % CPU

# Détails : lecteurs CD/DVD, micrologiciel et ordre de démarrage (issue 14)
details-cdrom = CD/DVD
details-firmware = Micrologiciel
details-boot-order = Ordre de démarrage
details-cd-none = Aucun lecteur CD/DVD.
details-cd-add = Ajouter un lecteur CD/DVD
details-cd-empty = Vide
details-cd-eject = Éjecter
details-cd-insert = Insérer une ISO…
details-cd-pick = Choisir une image ISO
details-cd-typed-hint = Ou saisir le chemin du fichier ISO :
details-cd-insert-typed = Insérer
details-cd-busy = Changement de disque…
details-cd-live-hint = L'invité voit le changement aussitôt ; la VM redémarrera avec le même disque.
details-cd-path-empty = Saisissez le chemin d'une image ISO.
details-cd-disk-image = { $file } est une image disque, pas une ISO : ajoutez-la sous Disques.
details-cd-no-drive = Cette VM n'a pas de lecteur CD/DVD { $drive }.
details-cd-refused = La VM a refusé : { $reason }
details-cd-missing = Ce fichier n'existe plus : éjectez-le ou insérez une autre ISO, sinon la VM ne peut pas démarrer.
details-firmware-uefi = UEFI
details-firmware-bios = BIOS
details-firmware-vars-kept = Les variables UEFI (OVMF_VARS.fd) restent dans le dossier de la VM.
details-boot-auto = Automatique
details-boot-cdrom = CD/DVD d'abord
details-boot-disk = Disque d'abord
details-boot-hint = Automatique : le CD/DVD d'abord tant qu'il contient un disque, sinon le disque dur. Enregistré avec les autres réglages.
details-boot-running = Le micrologiciel et l'ordre de démarrage se modifient quand la VM est arrêtée.

## New-VM wizard: installing from an ISO or disk image (issue 14, wizard)
wizard-kind-install = Installer depuis une image ISO ou disque
wizard-kind-install-hint = Une ISO d'installation ou live, ou une image disque
wizard-kind-linux-hint = Un noyau de cet ordinateur, chargé directement
install-file = Fichier
install-file-hint = Une ISO d'installation va dans le lecteur de CD de la VM ; une image disque devient son disque de démarrage.
install-file-none = Choisissez une image ISO ou une image disque.
install-name-placeholder = Ma VM
install-pick = Choisir une image ISO ou disque
install-filter-iso = Images ISO
install-filter-disk = Images disque
install-filter-all = Tous les fichiers
install-not-media = { $file } n'est ni une image ISO ni une image disque ({ $reason }).
install-cannot-read = Impossible de lire { $file } : { $reason }
install-os = Système d'exploitation
install-detecting = Examen du fichier…
install-kind-iso = Support d'installation (ISO) : il va dans le lecteur de CD de la VM.
install-kind-disk = Image disque ({ $format }, { $size }) : elle devient le disque de démarrage de la VM.
install-unknown-os = Système inconnu — réglages génériques
install-unknown-hint = La base de données des systèmes ne connaît pas ce support : les réglages ci-dessous sont génériques. Donnez davantage à la VM si son système en a besoin.
install-unknown-disk-hint = Le système contenu dans une image disque n'est pas reconnu : les réglages ci-dessous sont génériques. Donnez davantage à la VM si son système en a besoin.
install-known-hint = Les réglages ci-dessous sont ceux que recommande ce système ; modifiez-les à votre guise.
install-no-database = La base de données des systèmes (osinfo-db) est illisible ({ $reason }) : le système n'est pas reconnu et les réglages ci-dessous sont génériques. Pour l'installer : sudo apt install osinfo-db
install-firmware = Firmware
install-uefi = UEFI
install-bios = BIOS (classique)
install-firmware-detected = Le firmware dont ce système a besoin.
install-firmware-generic = UEFI convient aux systèmes actuels ; les plus anciens peuvent demander le BIOS.
install-firmware-changed = Pas le firmware pour lequel ce système est fait : il risque de ne pas démarrer.

## Ligne de commande : installer depuis une ISO ou une image disque (issue 14, partie CLI)
cli-create-one-boot = « create » demande exactement un de --kernel FICHIER, --iso FICHIER et --boot-disk IMAGE
cli-option-needs = { $option } ne va qu'avec { $needs }
cli-options-conflict = { $first } et { $second } ne peuvent pas aller ensemble
cli-bad-firmware = --firmware : « { $value } » n'est ni uefi ni bios
cli-not-media = { $file } n'est ni une image ISO ni une image disque ({ $reason })
cli-cannot-read = impossible de lire { $file } : { $reason }
cli-detect-iso = { $file } : image ISO « { $volume } », { $size }
cli-detect-disk-image = { $file } : image disque { $format }, { $size }
cli-detect-os = Système : { $name } ({ $id })
cli-detect-os-unknown = Système : inconnu, réglages génériques
cli-detect-firmware = Micrologiciel : { $firmware }
cli-detect-resources = Recommandé : { $memory } Mio de mémoire, { $disk } Gio de disque, { $vcpus } vCPU
cli-detect-resources-image = Recommandé : { $memory } Mio de mémoire, { $vcpus } vCPU (l'image est le disque)
cli-notice-unknown-os = osinfo-db ne connaît pas ce support : la VM reçoit des réglages génériques (les options de vmdesk create les modifient).
cli-notice-no-database = osinfo-db n'est pas disponible ({ $reason }) : les systèmes ne sont pas reconnus et des réglages génériques sont utilisés. Pour l'installer : sudo apt install osinfo-db
cli-iso-is-disk-image = { $file } est une image disque, pas une ISO : utilisez --boot-disk
cli-boot-disk-is-iso = { $file } est une image ISO, pas une image disque : utilisez --iso
cli-created-install = { $memory } Mio de mémoire, { $vcpus } vCPU, { $firmware }

## Ligne de commande : l'analyseur clap et la complétion (issue 15, partie CLI)
cli-repeated-option = { $option } est donné deux fois
cli-flag-takes-no-value = { $option } ne prend pas de valeur
cli-bad-value = { $option } : « { $value } » n'est pas parmi { $valid }
cli-not-utf8 = « { $arg } » n'est pas de l'UTF-8 valide : vmdesk a besoin de noms de fichiers et de mots en UTF-8

## SATA disks (issue 14, VMM side)
config-sata-needs-firmware = Les disques SATA nécessitent une machine BIOS ou UEFI ; une machine à noyau Linux utilise des disques virtio.
config-too-many-sata-disks = { $count } disques SATA, c’est plus que les { $max } ports laissés libres par les lecteurs de CD-ROM.

## Serial console as a terminal (issue 15)
terminal-size = {$cols}×{$rows}
terminal-size-tip = Le terminal fait {$cols} colonnes sur {$rows} lignes. Un port série n’indique pas sa taille à l’invité : les programmes qui interrogent le terminal l’apprennent (lancez « resize » dans l’invité), ou fixez-la avec « stty cols {$cols} rows {$rows} ».
terminal-hint = Cliquez dans le terminal pour taper dans l’invité.
terminal-hint-focused = Les touches vont à l’invité. Échap ou un clic à côté les rend ; Ctrl+[ envoie Échap, Ctrl+Maj+V colle.
terminal-hint-stopped = Démarrez la VM pour taper dans sa console série.
terminal-not-sent = Non envoyé à l’invité : {$error}

## Layouts and toasts (issue 15)
screen-more = Plus : taille de l’écran, capture, plein écran (F11)
details-more = Plus : redémarrer, forcer l’arrêt

## Clones liés, raisons des échecs, captures, Parcourir (issue 15, corrections)
error-vmm-exited-because = « { $name } » n’a pas démarré : { $reason }
details-save-breaks-snapshots = { $count ->
    [one] L’instantané { $names } a été pris avec un autre matériel (vCPU, mémoire ou disques) : après ce changement, la VM ne pourra plus démarrer depuis celui-ci.
   *[other] Les instantanés { $names } ont été pris avec un autre matériel (vCPU, mémoire ou disques) : après ce changement, la VM ne pourra plus démarrer depuis ceux-ci.
}
details-keep-snapshots = Garder les instantanés utilisables
details-save-anyway = Enregistrer quand même
cli-screenshot-not-png = { $file } : vmdesk enregistre les captures en PNG, pas en .{ $ext } ; nommez le fichier .png
notice-screenshot-failed = La capture n’a pas été enregistrée : { $reason }
choose-none = Aucun sélecteur de fichiers n’a pu s’ouvrir (il faut xdg-desktop-portal, zenity ou kdialog) : saisissez plutôt le chemin complet du fichier.
error-image-is-iso = { $file } est une image d’installation (ISO), pas un disque : pour installer depuis celle-ci, créez la VM avec « Installer depuis une image ISO ou disque », qui la place dans un lecteur CD.
check-software-kvm = Cet ordinateur n’a pas de virtualisation matérielle
check-software-kvm-fix = Ici, KVM est fourni par { $module }, qui émule en logiciel le code du noyau de l’invité : les VM tournent environ 1000 fois plus lentement que d’habitude et la plupart des systèmes d’exploitation ne finissent pas de démarrer. Les petits systèmes de test fonctionnent. Sur un ordinateur où Intel VT-x ou AMD-V est activé dans les réglages du micrologiciel, les VM tournent à pleine vitesse.

## Inspector panel (issue 16, app side)
screen-inspector = Inspecteur
screen-inspector-tip = Montre la machine telle que l’hyperviseur la voit : processeurs, sorties, mémoire, périphériques.
insp-tab-vcpus = vCPU
insp-tab-exits = Sorties
insp-tab-memory = Mémoire
insp-tab-devices = Périphériques
insp-tab-host = Hôte
insp-about-vcpus = Les processeurs virtuels de l’invité. KVM exécute leur code sur le vrai processeur jusqu’à ce que le VMM soit nécessaire.
insp-about-exits = Une sortie : le processeur cesse d’exécuter l’invité et passe la main au VMM, par exemple pour émuler un périphérique.
insp-about-memory = L’espace d’adresses physique de l’invité : où est sa RAM, et où des périphériques répondent à la place.
insp-about-devices = Le matériel que voit l’invité, et comment le VMM fournit chaque pièce.
insp-about-host = Sur cet ordinateur, toute la VM est un processus ordinaire, vmdesk-vmm, avec un thread par tâche.
insp-paused = En pause : la machine exactement là où elle s’est arrêtée. « Pas » exécute une instruction.
insp-stopped = La VM ne tourne pas : voici son dernier état.
insp-error = Le VMM n’a pas répondu : { $reason }
insp-waiting = Interrogation du VMM…
insp-vcpu = vCPU { $index }
insp-running = en marche
insp-running-tip = La vCPU exécute le code de l’invité (ou va le faire).
insp-halted = en attente (HLT)
insp-halted-tip = L’invité a exécuté HLT : il n’a rien à faire et attend une interruption, sans consommer de processeur hôte.
insp-stopped-here = arrêtée
insp-changed = En surbrillance : modifié depuis la dernière actualisation (ou le dernier pas).
insp-step = Pas
insp-step-tip = Exécute exactement une instruction sur cette vCPU, puis montre quels registres elle a modifiés.
insp-stepped = Une instruction exécutée (arrêt par : { $by })
insp-stepped-nothing = Aucun des registres affichés n’a changé.
insp-mode-real = mode réel 16 bits
insp-mode-v86 = mode 8086 virtuel
insp-mode-protected = mode protégé 32 bits
insp-mode-compat = mode compatibilité 32 bits
insp-mode-long = mode long 64 bits
insp-mode-real-tip = Le mode de démarrage de tout processeur x86 : code 16 bits, 1 Mio de mémoire, aucune protection.
insp-mode-v86-tip = D’anciens programmes 16 bits exécutés dans le mode protégé.
insp-mode-protected-tip = Mode 32 bits avec protection mémoire : le noyau et les programmes sont séparés.
insp-mode-compat-tip = Un programme 32 bits sous un noyau 64 bits.
insp-mode-long-tip = Le mode des systèmes d’exploitation 64 bits : registres et adresses sur 64 bits.
insp-paging-on = pagination active
insp-paging-off = sans pagination
insp-ring-kernel = noyau (anneau 0)
insp-ring-user = programme utilisateur (anneau 3)
insp-ring-other = anneau { $ring }
insp-reg-rip = RIP : l’adresse de la prochaine instruction que la vCPU exécutera.
insp-reg-rsp = RSP : le sommet de la pile, où les appels rangent leurs adresses de retour.
insp-reg-rflags = RFLAGS : résultats de la dernière comparaison et interrupteurs comme « interruptions actives » (bit 9).
insp-reg-cr0 = CR0 : interrupteurs de base du processeur ; le bit 0 active le mode protégé, le bit 31 la pagination.
insp-reg-cr3 = CR3 : où commencent les tables de pages de l’invité ; le processeur les parcourt pour traduire les adresses virtuelles en physiques.
insp-reg-cr4 = CR4 : d’autres fonctions du processeur, par ex. les grandes tables de pages du mode 64 bits (PAE, bit 5).
insp-reg-efer = EFER : active le mode long 64 bits (bits 8 et 10) et la protection contre l’exécution des données.
insp-reg-general = Un registre général : les valeurs de travail du programme lui-même.
insp-code = Code à RIP
insp-code-tip = Les octets de code machine que la vCPU exécutera ensuite, en hexadécimal.
insp-vcpu-thread = Thread hôte { $name } ({ $tid }) · temps processeur { $cpu } · dernier CPU { $last }
insp-vcpu-thread-tip = Chaque vCPU est un thread ordinaire de vmdesk-vmm ; Linux le répartit sur les vrais processeurs comme tout programme.
insp-dropped = { $count } sorties n’ont pas été affichées : elles arrivaient plus vite que le panneau ne les lit.
insp-no-exits = Pas encore de sortie : l’invité a tourné sans avoir besoin du VMM.
insp-col-time = Temps (s)
insp-col-vcpu = vCPU
insp-col-reason = Raison
insp-col-where = Port/adresse
insp-col-value = Valeur
insp-col-size = Taille
insp-no-device = rien ne répond
insp-kind-ram = RAM
insp-kind-ram-tip = La mémoire de l’invité : KVM la projette directement, l’invité l’utilise sans sorties.
insp-kind-rom = ROM
insp-kind-rom-tip = Mémoire en lecture seule depuis laquelle l’invité démarre, comme le micrologiciel.
insp-kind-flash = Flash
insp-kind-flash-tip = La puce flash du micrologiciel UEFI : les lectures sont directes, les écritures sortent vers le VMM.
insp-kind-fb = Écran
insp-kind-fb-tip = Le framebuffer : la mémoire des pixels que dessine l’invité ; le VMM les envoie à la fenêtre.
insp-kind-mmio = Périphérique
insp-kind-mmio-tip = Les registres d’un périphérique : chaque lecture ou écriture ici est une sortie que le VMM émule.
insp-kind-reserved = Réservé
insp-kind-reserved-tip = Un trou dans l’espace d’adresses : rien ne répond ici.
insp-touched = { $touched } utilisés jusqu’ici ({ $percent } %) · { $huge } en pages énormes
insp-touched-tip = Ce que l’invité a réellement touché : l’hôte ne fournit la mémoire qu’à sa première utilisation.
insp-every-access-exits = Pas de la mémoire : chaque accès est traité par le VMM.
insp-dev-emulated = émulé
insp-dev-emulated-tip = Le VMM imite du vrai matériel registre par registre ; l’invité ne voit pas la différence.
insp-dev-paravirtual = paravirtuel
insp-dev-paravirtual-tip = Conçu pour les machines virtuelles (virtio) : le pilote de l’invité le sait et provoque bien moins de sorties.
insp-dev-in-kernel = dans KVM
insp-dev-in-kernel-tip = Émulé dans le noyau Linux (KVM) lui-même, plus rapide que de sortir vers le VMM.
insp-dev-exits = { $count } sorties
insp-dev-exits-tip = Combien de fois les accès de l’invité à ce périphérique ont arrêté la vCPU.
insp-dev-transport = Relié par { $transport }
insp-dev-ports = Ports d’E/S
insp-dev-ports-tip = Les numéros de port que l’invité lit et écrit avec les instructions IN et OUT.
insp-dev-mmio = MMIO
insp-dev-mmio-tip = Les adresses mémoire où apparaissent les registres du périphérique.
insp-dev-irqs = Interruptions
insp-dev-irqs-tip = Les lignes d’interruption par lesquelles le périphérique signale à l’invité qu’il s’est passé quelque chose.
insp-dev-msix = MSI-X
insp-dev-msix-tip = Interruptions par message : au lieu d’une ligne, le périphérique écrit un message au contrôleur d’interruptions du processeur. Chaque entrée indique le vecteur d’interruption de l’invité et le processeur (APIC) visé.
insp-dev-msix-entry = entrée { $entry } → vecteur { $vector } sur l’APIC { $apic } ({ $users }){ $masked ->
    [yes] , masquée
   *[no] {""}
}
insp-dev-queue = File { $index } : { $size } places, { $served } requêtes servies
insp-dev-queue-tip = Une file virtio : un anneau dans la mémoire de l’invité où le pilote dépose des requêtes pour le périphérique.
insp-host-process = Processus vmdesk-vmm, PID { $pid }
insp-host-rss = Mémoire utilisée (RSS) : { $rss }
insp-host-rss-tip = La mémoire de l’hôte que cette VM occupe vraiment maintenant, RAM de l’invité comprise.
insp-last-cpu = CPU { $cpu }
insp-last-cpu-tip = Le cœur de processeur réel sur lequel ce thread a tourné en dernier.
insp-thread-vcpu = Exécute un processeur virtuel : entre dans l’invité et traite ses sorties.
insp-thread-display = Copie l’écran de l’invité quand il change.
insp-thread-vnc = Envoie l’écran à l’application et reçoit clavier et souris (VNC).
insp-thread-api = Répond aux requêtes de l’application sur la socket de contrôle.
insp-thread-io = Fait le travail disque ou réseau pour que les vCPU n’attendent pas.
insp-thread-main = A construit la VM et attend sa fin.
insp-thread-other = Un thread auxiliaire du VMM.
# Issue 15 polish (part a, app15): fullscreen bar, activity legend
screen-leave-fullscreen = Quitter le plein écran
# --- issue 16 (b) : `vmdesk inspect` (l’inspecteur, côté VMM) ---
cli-inspect-mode-real = mode réel (16 bits, comme le processeur démarre)
cli-inspect-mode-v8086 = mode virtuel 8086
cli-inspect-mode-protected = mode protégé (32 bits)
cli-inspect-mode-compatibility = mode compatibilité (code 32 bits sous un noyau 64 bits)
cli-inspect-mode-long = mode long (64 bits)
cli-inspect-paging-on = pagination activée
cli-inspect-paging-off = pagination désactivée
cli-inspect-halted = arrêté (attend une interruption)
cli-inspect-stale = dernières valeurs connues (le vCPU n’a pas répondu à temps)
cli-inspect-code = code à RIP : { $bytes }
cli-inspect-vcpu-thread = thread hôte { $tid }, dernier processeur { $cpu }, { $ms } ms de temps processeur
cli-inspect-vcpu-exits = sorties : { $exits }
cli-inspect-memory = Carte mémoire (physique de l’invité) :
cli-inspect-memory-columns = début|taille|type|touché|grandes pages|quoi
cli-inspect-kind-ram = RAM
cli-inspect-kind-rom = ROM
cli-inspect-kind-flash = flash
cli-inspect-kind-framebuffer = framebuffer
cli-inspect-kind-mmio = registres de périphérique
cli-inspect-kind-reserved = réservé
cli-inspect-devices = Périphériques :
cli-inspect-device-columns = nom|type|transport|ports|MMIO|IRQ|sorties|files (servies/taille)
cli-inspect-device-emulated = émulé
cli-inspect-device-paravirtual = paravirtuel
cli-inspect-device-in-kernel = dans KVM
cli-inspect-host = processus VMM { $pid }, { $rss } résidents ; ses threads :
cli-inspect-thread-columns = thread|nom|CPU s|dernier CPU
cli-inspect-exit-columns = n°|vCPU|µs|raison|adresse|taille|valeur|périphérique
cli-inspect-no-exits = Aucune sortie durant la dernière seconde (la VM est en pause, ou ses vCPU dorment dans KVM).
cli-inspect-exits-dropped = { $n } sorties plus anciennes ne tenaient pas dans le journal et ont été abandonnées.
## VM beside a container (issue 16, container comparison)
compare-no-crun = crun, l'environnement d'exécution de conteneurs, n'est pas installé : installez-le avec « sudo apt install crun ».
compare-needs-root = Lancer le conteneur demande ici les droits root (il monte l'overlay et fixe les limites cgroup) : lancez « sudo vmdesk compare ».
compare-no-rootfs = { $file } est absent : c'est le système de fichiers busybox que lancent les deux côtés. Créez-le avec tests/linux/build-guest.sh.
compare-overlay-refused = overlayfs a été refusé ({ $error }) : la racine du conteneur est le dossier décompressé lui-même, sans couche à lui par-dessus.
compare-no-cgroups = Aucune hiérarchie cgroup n'est montée (ni cgroup v2 sur /sys/fs/cgroup ni hiérarchies v1), donc aucune limite de mémoire ou de CPU ne peut être fixée : montez cgroup2 sur /sys/fs/cgroup.
compare-cgroup-view = Cet ordinateur mélange cgroup v1 et v2 avec des contrôleurs des deux côtés, ce que crun refuse (« hybrid mode ») ; vmdesk n'a montré à crun que les hiérarchies v1, les limites sont donc les cgroups v1 du noyau.
compare-crun-failed = crun { $step } a échoué : { $error }
compare-userns-refused = Le noyau a refusé un espace de noms utilisateur ({ $error }), donc root dans le conteneur est root sur l'ordinateur. Autorisez-les avec « sysctl user.max_user_namespaces=15000 » (et « sysctl kernel.unprivileged_userns_clone=1 » sur les anciens noyaux Debian).
compare-interrupted = Interrompu : le conteneur a été supprimé.
compare-vm-was-running = La VM tournait déjà, son démarrage n'a donc pas été mesuré : arrêtez-la et comparez à nouveau pour le mesurer.
compare-vm-no-output = L'invité n'a rien écrit sur son port série ({ $file }) en 30 secondes, son démarrage n'a donc pas pu être mesuré.
compare-vm-no-shell = Aucun shell Linux n'a répondu sur le port série (il faut l'invité Linux de test démarré avec vmdesk.init=shell), la version du noyau de l'invité est donc inconnue.
compare-vm-not-linux = La VM ne démarre pas directement un noyau Linux, il n'y a donc pas de shell sur son port série à qui demander la version du noyau.
compare-title = Conteneurs et VM, mesurés en direct (environnement de conteneurs : { $runtime })
compare-col-textbook = Manuel
compare-col-container = Conteneur
compare-col-vm = VM
compare-vm-none = Aucune VM mesurée : nommez-en une (vmdesk compare VM).
compare-not-measured = non mesuré (voir les notes)
compare-unlimited = illimité
compare-row-start = Démarrage jusqu'au shell
compare-row-start-help = De la demande jusqu'à ce qu'un shell réponde (conteneur), ou jusqu'à la première sortie de l'invité sur son port série (VM).
compare-row-start-textbook = conteneur : secondes ; VM : minutes
compare-row-memory = Mémoire utilisée
compare-row-memory-help = Ce que le noyau impute au cgroup du conteneur ; pour la VM, ce que le processus VMM garde en RAM.
compare-row-memory-textbook = conteneur : mégaoctets ; VM : gigaoctets
compare-memory-container = { $used } (son cgroup)
compare-memory-vm = { $used } résidents, sur { $ram } de RAM invitée
compare-row-disk = Taille sur le disque
compare-row-disk-help = Les fichiers dont chaque côté a besoin : la racine du conteneur et ce qu'il a écrit ; le dossier, le noyau, l'initrd et les disques de la VM.
compare-row-disk-textbook = conteneur : mégaoctets ; VM : gigaoctets
compare-disk-container = racine { $root } + sa propre couche { $upper }
compare-row-kernel = Noyau à l'intérieur (uname -r)
compare-row-kernel-help = La version du noyau que voit un programme à l'intérieur : un conteneur a le noyau de l'ordinateur, une VM démarre le sien.
compare-row-kernel-textbook = conteneur : celui de l'ordinateur ; VM : le sien
compare-kernel = { $inside } (ordinateur : { $host })
compare-row-pid1 = PID 1
compare-row-pid1-help = Le premier processus : l'init d'un conteneur est un processus de l'ordinateur avec un autre numéro à l'intérieur ; l'init d'une VM vit dans le noyau de l'invité.
compare-row-pid1-textbook = les deux : leur propre init
compare-pid1-container = { $cmdline } (pid { $inside } à l'intérieur, { $host } sur l'ordinateur)
compare-pid1-vm = l'init propre du noyau invité, hors de vue de l'ordinateur ; l'ordinateur voit le VMM (pid { $host })
compare-row-processes = Processus à l'intérieur
compare-row-processes-help = Ce que liste ps à l'intérieur : un conteneur ne voit que ses propres processus, car il a son propre espace de noms de pid.
compare-row-processes-textbook = les deux : seulement les leurs
compare-processes-vm = l'ordinateur voit un processus, le VMM (pid { $host }) ; ceux de l'invité sont dans sa mémoire
compare-row-isolated = Isolé (espaces de noms propres)
compare-row-isolated-help = Les espaces de noms donnent à un processus sa propre vue d'une partie du système (processus, montages, réseau…) ; comparés à ceux de l'ordinateur via /proc/<pid>/ns.
compare-row-isolated-textbook = conteneur : espaces de noms ; VM : matériel virtuel
compare-isolated-vm = espaces de noms : { $namespaces } ; l'invité est séparé par du matériel virtuel à la place
compare-row-shared = Partagé avec l'ordinateur
compare-row-shared-help = Ce que les deux côtés utilisent de l'ordinateur : un conteneur, son noyau et les espaces de noms qu'il n'a pas reçus ; une VM, seulement le processus VMM.
compare-row-shared-textbook = conteneur : le noyau de l'ordinateur ; VM : le matériel
compare-shared-container = le noyau de l'ordinateur ; espaces de noms : { $namespaces }
compare-shared-vm = les espaces de noms du processus VMM : { $namespaces } ; pas le noyau
compare-row-limits = Limites
compare-row-limits-help = Ce que chaque côté peut utiliser : les fichiers cgroup du conteneur, relus ; la RAM de la VM telle que réglée.
compare-row-limits-textbook = conteneur : cgroups ; VM : son matériel virtuel
compare-limits-container = mémoire { $memory }, CPU { $cpu } (cgroup v{ $version })
compare-limits-vm = RAM invitée { $ram }
compare-row-layers = Couches
compare-row-layers-help = La racine d'un conteneur est un overlay : les fichiers partagés dessous, ses changements dessus ; une VM écrit dans ses propres images disque.
compare-row-layers-textbook = conteneur : couches d'image ; VM : images disque
compare-layers-container = dessous : { $lower } ; dessus : { $upper }
compare-layers-vm = ses propres images disque
compare-no-overlay = pas d'overlay (voir les notes)
compare-vm-ended = La VM s'est arrêtée avant d'être mesurée (son invité s'est éteint) : donnez-lui un invité qui reste allumé.
# Lab mode (issue 16, part e)
lab-error-version = { $file } a été écrit par une autre version de vmdesk (version { $version } du fichier de labo) ; il est laissé tel quel.
lab-error-count = Le nombre de copies d'élève doit être un nombre entier de 1 à { $max }.
lab-error-prefix = Le préfixe du nom est vide : les copies sont nommées d'après lui (« Élève 01 », …).
lab-error-student-as-template = { $vm } est elle-même une copie d'élève : faites les copies à partir de son modèle.
lab-error-not-student = { $vm } n'est pas une copie d'élève d'un modèle : il n'y a rien à quoi la réinitialiser.
lab-error-running = { $vm } est en marche : éteignez-la d'abord, puis réinitialisez-la.
lab-error-not-linked = { $file } n'est pas la surcouche d'un clone lié (sans fichier de base) : impossible de la réinitialiser.
lab-progress = copie d'élève { $done } sur { $total } créée
lab-made = { $count } copies d'élève de { $vm } créées : { $names }
lab-reset-done = { $vm } est revenue à l'état de son modèle ({ $snapshots } snapshots supprimés)
lab-reset-all-done = { $count } copies d'élève sur { $total } réinitialisées
lab-no-students = { $vm } n'a pas de copies d'élève.
cli-lab-option = { $option } ne va pas avec lab { $action }
cli-lab-count-missing = lab create demande --count N (combien de copies d'élève)
lab-default-prefix = Élève
projector-button = Projecteur
projector-title = Mode projecteur
projector-explain = Pour montrer vmdesk à une classe : plus grand, plus contrasté, lisible du fond de la salle. Appliqué et enregistré aussitôt.
projector-scale = Échelle de l'interface
projector-scale-explain = Tout est dessiné plus grand ; une petite fenêtre garde la place de chaque écran (au moins 800×600 avant mise à l'échelle).
projector-scale-limited = Cette fenêtre est trop petite : dessinée à { $scale } pour l'instant. Agrandissez-la ou passez en plein écran.
projector-high-contrast = Contraste élevé
projector-high-contrast-explain = Noir sur blanc avec des bordures marquées, pour les projecteurs pâles.
projector-large-font = Grande police de console
projector-large-font-explain = Le texte de la console série en plus grand, pour que la classe lise ce qu'affiche l'invité.
projector-close = Fermer
lab-title = Mode labo
lab-explain = Les copies d'élève sont des clones liés de cette VM : chacun a la sienne, un clic la remet à zéro.
lab-is-student = Une copie d'élève de { $template }.
lab-make-button = Créer des copies d'élève…
lab-stopped-only = Seule une VM arrêtée peut être copiée : ses disques ne doivent pas changer entre-temps.
lab-count = Combien
lab-prefix = Préfixe du nom
lab-make-explain = Nommées « préfixe 01 », « préfixe 02 »… ; chacune n'occupe que ce que son élève écrit. Cette VM continue sur sa propre surcouche ; les copies partent de son état actuel.
lab-make = Créer les copies
lab-cancel = Annuler
lab-students = { $count ->
        [one] Une copie d'élève
       *[other] { $count } copies d'élève
    }
lab-reset = Réinitialiser
lab-reset-all = Tout réinitialiser
lab-reset-question = Réinitialiser { $name } à l'état du modèle ?
lab-reset-all-question = Réinitialiser les { $count } copies d'élève à l'état du modèle ?
lab-reset-explain = Ce qui a été écrit depuis est perdu, avec { $snapshots } snapshots. Les copies en marche sont laissées telles quelles.
lab-throwaway = Sessions jetables
lab-throwaway-explain = Chaque session démarre sur une surcouche temporaire : ce que la VM écrit est jeté à l'arrêt.

# c16 (f): the "VM beside a container" screen
compare-ui-open = Comparer avec un conteneur
compare-ui-open-help = Cette VM à côté d'un conteneur, mesurés en direct : démarrage, mémoire, noyau, isolation.
compare-ui-title = Conteneurs ou VM
compare-ui-cancel = Annuler
compare-ui-again = Mesurer à nouveau
compare-ui-running = Démarrage d'un conteneur avec crun, mesuré à côté de { $vm } …
compare-ui-running-help = Cela prend de quelques secondes à une minute : les deux sont démarrés, mesurés pendant qu'ils tournent, puis arrêtés et nettoyés.
compare-ui-cancelling = Annulation : le conteneur est en cours de suppression …
compare-ui-failed = La comparaison n'a pas pu être effectuée
compare-ui-failed-help = Rien n'est resté : le conteneur et ses fichiers ont été supprimés. Corrigez ce qui précède, puis appuyez sur « Mesurer à nouveau ».
compare-ui-col-textbook = Les manuels disent
compare-ui-col-container = Conteneur (crun)
compare-ui-col-vm = Cette VM
compare-ui-notes = Remarques sur cette mesure

## Backing chains (issue 17 #1)
backing-file-line = { $file } · { $format } · { $size } · dans { $folder }
backing-outside = hors des emplacements autorisés
backing-reads-from = Ce disque lit depuis :
backing-allowed = Autorisé : fichiers dans { $folders } (noté dans vm.toml).
backing-question = Ce disque lit des fichiers dans { $folders }. Autoriser vmdesk à les utiliser ?
backing-why = vmdesk ne prend des fichiers de base que dans le dossier de l'image et celui de la VM, sauf si vous en autorisez d'autres : une image peut nommer n'importe quel fichier, et l'invité le lirait. Autoriser note les dossiers dans vm.toml (allow_backing).
backing-allow = Autoriser
backing-cancel = Ne pas utiliser ce disque
backing-refused = vmdesk n'utilisera pas ce disque
backing-answer-first = Ce disque lit des fichiers hors de son dossier : autorisez-les ou choisissez une autre image.
backing-disk-blocked = Lit des fichiers dans { $folders }, que cette VM ne peut pas utiliser : elle ne démarrera pas tant que vous ne les aurez pas autorisés et enregistré.
cli-backing-ask =
    { $chain }
    Ce disque lit des fichiers dans { $folders }, hors du dossier de l'image et de celui de la VM.
    Si vous leur faites confiance, relancez la commande avec --allow-backing (noté dans vm.toml).
cli-backing-refused =
    { $chain }
    vmdesk n'utilisera pas ce disque : un fichier de sa chaîne de base n'est pas une image disque.
# Export vers libvirt / KubeVirt et import depuis libvirt (vmdesk export, vmdesk import)
export-note-vnc-port = VNC sur le port TCP { $port } n'est pas dans le domaine : le VNC de libvirt écoute ici sur un socket Unix (le port est gardé dans les métadonnées de vmdesk)
export-note-kernel-machine = la machine à noyau (virtio-mmio, sans PCI) devient un PC q35 avec les mêmes périphériques en PCI : le noyau invité doit avoir virtio-pci
export-note-vga-rom = le BIOS VGA { $path } n'a pas d'élément libvirt : QEMU prend le sien (gardé dans les métadonnées de vmdesk)
export-note-allow-backing = disque { $disk } : libvirt n'a pas de liste de dossiers autorisés pour les fichiers de base (gardée dans les métadonnées de vmdesk)
kubevirt-note-empty-cdrom = le lecteur de CD-ROM { $drive } est vide : laissé de côté (un lecteur KubeVirt a besoin d'un volume)
kubevirt-note-extra-nic = carte réseau { $nic } laissée de côté : le réseau du pod prend une interface (davantage demande Multus)
kubevirt-note-forward = port { $proto } { $host } de l'hôte vers { $guest } dans l'invité : le port de l'invité est déclaré ; on l'atteint avec « virtctl port-forward vm/{ $vm } { $host }:{ $guest } » ou un Service
kubevirt-note-kernel-image = le noyau et l'initrd doivent être dans l'image de conteneur { $image } (/boot/vmlinuz, /boot/initrd) : construisez-la et poussez-la d'abord
kubevirt-note-screen = la taille d'écran { $width }×{ $height } n'a pas de champ KubeVirt : l'invité choisit son mode
import-error-xml = pas un document XML bien formé (les DTD et entités sont refusées) : { $detail }
import-error-not-domain = pas un domaine libvirt : l'élément racine est <{ $element }>
import-error-missing = { $element } manque
import-error-value = { $element } : « { $value } » n'est pas une valeur valide
import-error-os-type = type d'OS « { $kind } » : vmdesk exécute des machines virtuelles complètes (hvm)
import-error-arch = architecture « { $arch } » : vmdesk exécute des invités x86-64
import-error-machine = vmdesk n'a pas le type de machine « { $machine } » (pc, q35, microvm)
import-error-no-file = { $path } : fichier introuvable
import-error-disk-source = disque { $disk } : une source « { $kind } » n'est pas prise en charge (seulement fichiers image et périphériques bloc)
import-error-not-iso = CD-ROM { $disk } : { $path } n'est pas une image ISO 9660
import-error-format = disque { $disk } : le format « { $format } » n'est pas pris en charge (raw ou qcow2 ; convertissez-le avec qemu-img convert -O qcow2)
import-error-image = disque { $disk } : { $path } : { $reason }
import-error-format-mismatch = disque { $disk } : { $path } est annoncé en { $declared } mais est en { $found }
import-note-domain-type = le type de domaine « { $kind } » s'exécute sous KVM
import-note-unsupported = { $element } : non pris en charge, laissé de côté
import-note-boot-dev = périphérique de démarrage « { $dev } » : non pris en charge, retiré de l'ordre de démarrage
import-note-nvram = les variables UEFI de { $path } ne sont pas copiées : la VM démarre avec un magasin neuf
import-note-secure-boot = Secure Boot n'est pas pris en charge : la VM démarre sans
import-note-extra-serial = seul le premier port série est gardé
import-note-spice = l'affichage SPICE devient l'écran de vmdesk (VNC)
import-note-vnc-tcp = VNC sur TCP est désactivé : vmdesk montre l'écran par son propre socket (un port peut être réglé dans les paramètres de la VM)
import-note-cdrom-kernel = CD-ROM { $disk } laissé de côté : une VM qui démarre directement un noyau n'a pas de lecteur de CD-ROM
import-note-bus = disque { $disk } : le bus { $from } devient { $to }
import-note-nic-type = NIC { $nic } : une interface « { $kind } » devient un réseau en mode utilisateur (passt ou libslirp)
import-note-nic-model = carte réseau { $nic } : le modèle { $model } devient virtio
import-note-range = ports { $start }–{ $end } : trop nombreux à rediriger, laissés de côté
cli-export-one-format = export demande --libvirt ou --kubevirt (l'un des deux)
cli-exported = { $vm } exportée vers { $file }
cli-export-note = pas exporté tel quel : { $note }
cli-export-upload = téléversez les images disque avec :
cli-imported = { $file } importé comme { $vm }
cli-import-note = pas importé tel quel : { $note }
details-export-libvirt = Exporter vers libvirt…
details-export-kubevirt = Exporter vers KubeVirt…
library-import = Importer…
library-import-pick = Importer une VM libvirt (XML de domaine)
library-import-filter = XML de domaine libvirt
config-display-kind-unavailable = Cette machine n’a pas d’écran « { $kind } » ; choisissez parmi : { $allowed }.
hw-display-kind = Périphérique
hw-display-kind-framebuffer = Tampon d’image
hw-display-kind-std-vga = VGA standard
hw-display-kind-virtio-gpu = virtio-gpu (suit la taille de la fenêtre)
