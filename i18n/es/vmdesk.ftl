# vmdesk — Español

app-title = vmdesk

## Buttons
button-start = Iniciar
button-pause = Pausar
button-resume = Reanudar
button-power-off = Apagar
button-force-off = Forzar apagado
button-restart = Reiniciar
button-delete = Eliminar
button-details = Detalles
button-cancel = Cancelar
button-dismiss = Cerrar

## VM states
state-stopped = Detenida
state-starting = Iniciando
state-running = En marcha
state-paused = En pausa
state-stopping = Apagándose
state-broken = Dañada

## Library
library-title = Máquinas virtuales
library-new = Nueva VM
library-search-placeholder = Buscar (Ctrl+F)
library-empty-title = Aún no hay máquinas virtuales
library-empty-hint = Cree una con «Nueva VM» (Ctrl+N): arranca directamente un núcleo Linux.
library-no-match = Ninguna máquina virtual coincide con la búsqueda.
library-summary = { $boot } · { $vcpus } vCPU · { $memory } MiB
library-broken = La configuración de esta VM no se puede leer, así que no se toca: { $error }
library-last-exit = Última ejecución: { $meaning }
language-system = Idioma del sistema
delete-question = ¿Eliminar «{ $name }»?
delete-explain = Se borra su carpeta, con la configuración y los registros. No se puede deshacer.

## How a VM ended (vmdesk-vmm's exit status)
exit-power-off = el invitado se apagó.
exit-vmm-error = el VMM falló (estado de salida 1); vea el registro abajo.
exit-bad-config = la configuración se rechazó antes de arrancar (estado de salida 2).
exit-reset = el invitado pidió un reinicio (estado de salida 3).
exit-guest-crash = el invitado se colgó (estado de salida 4).
exit-killed = se forzó su apagado (estado de salida 5).
exit-other = vmdesk-vmm terminó con el estado de salida { $code }.
exit-signal = vmdesk-vmm fue terminado por la señal { $signal }.
exit-unknown = vmdesk-vmm terminó; se desconoce su estado de salida.
exit-seccomp = el filtro de seguridad del VMM lo detuvo: su hilo { $thread } hizo una llamada al sistema que no tiene permitida (número { $syscall }). Es un error de vmdesk: infórmelo con el registro de abajo.

## Notices and errors
notice-created = Se creó «{ $name }».
notice-deleted = Se eliminó «{ $name }».
notice-copied = La salida de la consola está en el portapapeles.
notice-reset-loop = «{ $name }» se reinició { $count } veces en un minuto y se dejó apagada.
notice-no-response = El invitado de «{ $name }» no respondió al botón de encendido. ¿Forzar el apagado?
error-not-running = «{ $name }» no está en marcha.
error-vmm-missing = No se puede iniciar: { $detail }
error-vmm-exited = «{ $name }» se detuvo enseguida: { $meaning }
error-api = «{ $name }»: { $detail }
error-create = No se pudo guardar la nueva VM: { $detail }
error-delete = No se pudo eliminar «{ $name }»: { $detail }
error-delete-running = «{ $name }» está en marcha: apáguela antes de eliminarla.
error-settings = No se pudieron guardar las preferencias: { $detail }

## Form fields
form-name = Nombre
form-name-placeholder = Mi VM Linux
form-boot = Arranque
boot-bios = Firmware BIOS
boot-uefi = Firmware UEFI
form-kernel = Núcleo
form-kernel-hint = Un archivo bzImage o vmlinux ELF.
form-initrd = Initrd
form-optional = Opcional.
form-cmdline = Línea de órdenes
form-cmdline-hint = Parámetros del núcleo; console=ttyS0 muestra el arranque en la consola.
form-vcpus = vCPU
form-vcpus-hint = CPU virtuales, de 1 a { $max }.
form-memory = Memoria (MiB)
form-memory-hint = Este equipo tiene { $max } MiB.
form-serial-log = Guardar la consola serie en un archivo de registro
form-serial-log-file = Archivo de registro
form-serial-log-file-hint = Vacío significa serial.log en la carpeta de la VM.
form-browse = Examinar…
form-pick-kernel = Elija un núcleo Linux
form-pick-initrd = Elija un initrd

form-devices = Dispositivos
form-virtio-rng = Generador de entropía (virtio-rng)
form-virtio-rng-hint = Da al invitado números aleatorios del anfitrión, para que arranque sin esperar entropía.

## Field problems
error-path-empty = Elija un archivo.
error-path-relative = Use una ruta completa que empiece por /.
error-file-missing = No hay ningún archivo en esta ruta.
error-not-a-number = Escriba un número entero.

## Config problems: one key per vmm_core::config::ConfigErrorKind
config-bad-length = De { $min } a { $max } caracteres.
config-bad-id-chars = «{ $id }» solo puede contener minúsculas, dígitos, - y _.
config-name-empty = Dé un nombre a la VM.
config-name-control = Un nombre no puede contener caracteres de control (como tabulador o escape).
config-too-few-vcpus = Una VM necesita al menos { $min } vCPU.
config-vcpus-above-host = Este equipo tiene { $max } CPU: como máximo { $max } vCPU.
config-vcpus-above-supported = Se admiten como máximo { $max } vCPU.
config-memory-too-small = Se necesitan al menos { $min } MiB.
config-memory-above-host = Más de lo que tiene este equipo ({ $max } MiB).
config-not-found = No hay ningún archivo en esta ruta.
config-cannot-open = Este archivo no se puede leer: { $reason }
config-cannot-stat = Este archivo no se puede examinar: { $reason }
config-cannot-read = Falló la lectura de este archivo: { $reason }
config-not-regular-file = Es una carpeta o un dispositivo, no un archivo.
config-kernel-truncated = Este núcleo está cortado: { $len } bytes, su cabecera indica { $want }.
config-not-a-kernel = No es un núcleo Linux: no tiene cabecera bzImage ni firma ELF.
config-firmware-missing = Falta el archivo de firmware; instálelo con «apt-get install { $package }».
config-firmware-bad-size = La imagen de firmware ocupa { $size } bytes; debe medir de 64 KiB a 16 MiB en pasos enteros de 64 KiB (SeaBIOS: 128 o 256 KiB).
config-flash-bad-size = El archivo flash UEFI ocupa { $size } bytes; debe tener bloques enteros de 4 KiB, como máximo 16 MiB.
config-vars-size-mismatch = El almacén de variables UEFI ({ $size } bytes) no corresponde al código del firmware ({ $code_size } bytes); usa el archivo OVMF_VARS de la misma compilación (OVMF_VARS_4M.fd con OVMF_CODE_4M.fd).
config-initrd-too-big = El initrd ({ $size } MiB) debe caber en la mitad de la memoria del invitado.
config-cmdline-too-long = Con el «pci=off» que añade el VMM, la línea de órdenes ocupa { $len } bytes: más de { $max }.
config-cmdline-nul = La línea de órdenes no puede contener caracteres NUL.
config-out-of-range = { $value } está fuera de { $min } a { $max }.
config-port-zero = 0 no es un puerto: use de 1 a 65535.
config-vnc-password-missing = Un puerto VNC necesita una contraseña.
config-bad-vnc-password = De 1 a { $max } caracteres ASCII imprimibles.
config-too-many-disks = { $count } discos son más de los { $slots } que caben junto a los demás dispositivos.
config-not-printable = Solo caracteres ASCII imprimibles.
config-duplicate-disk = { $path } ya es el disco { $first }.
config-image = No se puede usar esta imagen: { $detail }
config-bad-mac = «{ $mac }» no es una dirección MAC como 52:54:00:12:34:56.
config-multicast-mac = «{ $mac }» es una dirección multicast; una interfaz de red necesita una unicast.
config-zero-mac = «{ $mac }» es la dirección todo ceros.
config-too-many-nics = Como máximo { $max } interfaces de red.
config-port-taken = El puerto { $port } del anfitrión se redirige dos veces.
config-not-an-iso = El archivo no es una imagen de CD-ROM ISO 9660.
config-cdroms-need-firmware = Las unidades de CD-ROM necesitan una máquina BIOS.
config-too-many-cdroms = { $count } unidades de CD-ROM son más que las { $max } admitidas.
config-boot-order-duplicate = El orden de arranque nombra { $device } dos veces.

## Wizard
wizard-title = Nueva máquina virtual
wizard-heading = Arrancar un núcleo Linux
wizard-intro = La VM arranca el núcleo directamente, sin firmware; los discos se conectan como discos de datos. Cada campo se comprueba mientras escribe.
wizard-create = Crear
wizard-id = Nombre de la carpeta y del socket: { $id }
wizard-fix-fields = { $count ->
    [one] Corrija el campo marcado en rojo.
   *[other] Corrija los { $count } campos marcados en rojo.
}

## Details
details-back = ‹ Biblioteca
details-settings = Configuración
details-read-only = La VM está en marcha: su configuración es de solo lectura hasta que se detenga.
details-id = ID
details-disks = Discos
details-nics = Red
details-display = Pantalla
details-none = Ninguno
details-save = Guardar
details-revert = Descartar cambios
details-saved = Guardado.
details-console = Consola serie
console-empty = Aún no hay salida.
console-clear = Limpiar
console-copy = Copiar

## Live statistics
stats-title = Salidas de vCPU
stats-total = { $rate }/s · { $total } en total
stats-rate = { $rate }/s
stats-none = Se muestra mientras la VM está en marcha.
stats-intro = Cada vez que el invitado necesita algo que solo el anfitrión puede hacer, su vCPU sale del invitado (una salida) y el VMM se encarga. Por segundo, según el motivo:
explain-io-in = el invitado leyó un puerto de E/S; el VMM respondió por el dispositivo emulado.
explain-io-out = el invitado escribió en un puerto de E/S; el VMM emuló el dispositivo.
explain-io-unhandled = el invitado accedió a un puerto de E/S sin dispositivo; el acceso se ignoró.
explain-mmio-read = el invitado leyó memoria de un dispositivo (MMIO); el VMM respondió por el dispositivo.
explain-mmio-write = el invitado escribió memoria de un dispositivo (MMIO); el VMM emuló el dispositivo.
explain-hlt = el invitado no tenía nada que hacer y detuvo la vCPU hasta la próxima interrupción.
explain-shutdown = la vCPU se apagó (un triple fallo); la VM se reinicia.
explain-interrupted = el propio VMM interrumpió la vCPU, p. ej. para pausarla o entregar una señal.
explain-internal-error = KVM no pudo ejecutar una instrucción del invitado.
explain-fail-entry = el hardware se negó a entrar en el invitado (estado de vCPU no válido).
explain-other = otro motivo por el que KVM volvió al VMM.

## Details tabs, activity
button-screen = Pantalla
tab-console = Consola serie
tab-snapshots = { $count ->
    [0] Instantáneas
   *[other] Instantáneas ({ $count })
}
tab-activity = Actividad
stats-vcpus = Por vCPU
stats-vcpu = vCPU { $n }
stats-vcpu-value = { $rate }/s · { $total } en total
stats-devices = Dispositivos
stats-no-nics = Ninguna interfaz de red.
stats-nic = net{ $n }: recibidas { $rx } tramas ({ $rxb }) · enviadas { $tx } ({ $txb }) · descartadas { $dropped }
stats-malformed = Peticiones virtio mal formadas rechazadas: { $count }
stats-uptime = En marcha desde hace { $uptime } s · mensajes de consola perdidos por clientes lentos: { $dropped }
stats-confinement = Aislamiento: { $seccomp } · { $landlock }
confinement-seccomp-on = filtros seccomp activos ({ $filters })
confinement-seccomp-log = filtros seccomp solo registran ({ $filters }), no se detiene nada
confinement-seccomp-off = filtros seccomp desactivados
confinement-landlock-on = límites de archivos Landlock activos (ABI { $abi })
confinement-landlock-off = límites de archivos Landlock desactivados
confinement-landlock-unavailable = sin límites de archivos Landlock ({ $why })

## Snapshots
snap-title = Instantáneas
snap-refresh = Actualizar
snap-intro = Una instantánea guarda toda la VM en marcha — memoria, vCPU, dispositivos, pantalla — para que pueda volver a ese momento. Cada una se guarda completa: borrar una nunca estropea las demás.
snap-name-placeholder = Nombre
snap-description-placeholder = Descripción (opcional)
snap-take = Tomar instantánea
snap-taking = Tomando…
snap-stopped-hint = Inicie la VM para tomar una instantánea. Una VM detenida puede arrancar desde cualquier instantánea de abajo.
snap-none = Aún no hay instantáneas.
snap-current = Actual
snap-no-screen = sin pantalla
snap-incomplete = Incompleta
snap-incomplete-explain = No se puede usar: { $problem }. Bórrela para ordenar.
snap-revert = Volver
snap-revert-question = ¿Volver a «{ $name }»?
snap-revert-explain = La VM vuelve a ese momento y sigue en marcha desde allí. Lo ocurrido desde su última instantánea se pierde; tome una antes para conservarlo.
snap-revert-explain-net = Sus conexiones de red terminan; el invitado abre otras nuevas.
snap-start-here = Iniciar aquí
snap-start-question = ¿Iniciar la VM desde «{ $name }»?
snap-start-explain = Arranca exactamente donde se tomó la instantánea, en lugar de arrancar desde cero.
snap-rename = Renombrar
snap-rename-save = Guardar
snap-delete-question = ¿Borrar la instantánea «{ $name }»?
snap-delete-explain = Se eliminan sus archivos. No se puede deshacer.
snap-delete-explain-children = { $count ->
    [one] Se eliminan sus archivos. La instantánea tomada después sigue siendo válida (cada una se guarda completa) y pasa a colgar del padre de esta.
   *[other] Se eliminan sus archivos. Las { $count } instantáneas tomadas después siguen siendo válidas (cada una se guarda completa) y pasan a colgar del padre de esta.
}
snap-needs-running = la VM debe estar en marcha para esto.
snap-error = Instantáneas: { $detail }
notice-snapshot-taken = Instantánea tomada en { $total } ms; el invitado estuvo en pausa { $paused } ms.
notice-reverted = «{ $name }» volvió a la instantánea.
notice-screenshot = Captura guardada: { $path }

## The guest's screen
screen-back = ‹ Detalles
screen-grabbed = Teclado capturado: las teclas van a la VM. Ctrl+Alt lo libera.
screen-not-grabbed = Haga clic en la pantalla o pulse Ctrl+Alt para escribir en la VM. F11: pantalla completa.
screen-release = Liberar teclado
screen-capture = Capturar teclado
screen-fit = Ajustar
screen-actual-size = Tamaño real
screen-follow-window = Ajustar el invitado a la ventana
screen-follow-window-tip = La pantalla del invitado toma el tamaño de esta área cuando cambia el tamaño de la ventana.
screen-follow-window-unsupported = La pantalla de esta VM no puede cambiar de tamaño (una pantalla virtio-gpu sí puede): se escala a la ventana.
screen-send-key = Enviar tecla
screen-send-key-title = Enviar:
screen-screenshot = Captura
screen-fullscreen = Pantalla completa
screen-connecting = Conectando con la pantalla de la VM…
screen-lost = La pantalla no está disponible ({ $reason }). Reintentando…

## First-run check
check-title = Antes de empezar
check-intro-blocking = vmdesk todavía no puede ejecutar máquinas virtuales en este equipo. Corrija los problemas de abajo y vuelva a comprobar.
check-intro-warnings = vmdesk puede ejecutar máquinas virtuales aquí, con estas limitaciones.
check-problem = Problema
check-warning = Aviso
check-again = Comprobar de nuevo
check-continue = Continuar de todos modos
check-kvm-missing = Este equipo no ofrece KVM (falta /dev/kvm)
check-kvm-missing-fix = Active la virtualización (Intel VT-x o AMD-V, a veces llamada SVM) en la configuración del firmware y luego cargue el módulo KVM.
check-kvm-access = No tiene permiso para usar /dev/kvm
check-kvm-access-fix = Añádase al grupo kvm y luego cierre la sesión y vuelva a entrar.
check-vmm-missing = No se encontró vmdesk-vmm
check-vmm-missing-fix = Cada VM se ejecuta en un proceso vmdesk-vmm; instálelo junto a vmdesk o en su PATH. ({ $detail })
check-passt-missing = No hay red en modo usuario (passt o libslirp) instalada: las VM no tienen red
check-passt-missing-fix = Las VM funcionan, pero sin red. Cualquiera de los dos les da acceso a la red:
check-low-memory = Solo quedan { $free } MiB de memoria libres
check-low-memory-fix = Puede que las VM no arranquen o vayan lentas. Cierre algunos programas o dé poca memoria a sus VM.

## Command line
cli-help =
    vmdesk — gestor de máquinas virtuales para el escritorio

    Uso:
      vmdesk                          abrir la ventana
      vmdesk list                     listar las VM y su estado
      vmdesk create NOMBRE --kernel ARCHIVO [--initrd ARCHIVO] [--cmdline TEXTO]
    {"              ["}--vcpus N] [--memory MIB] [--display AxA] [--network]
    {"              ["}--disk-size GIB | --disk IMAGEN [--linked] [--read-only]]
                                      crear una VM nueva (arranca un núcleo Linux), con un disco
                                      qcow2 nuevo o una imagen (--linked: una capa qcow2)
      vmdesk create NOMBRE --iso ARCHIVO [--firmware uefi|bios] [--vcpus N]
    {"              ["}--memory MIB] [--disk-size GIB | --disk IMAGEN]
    {"              ["}--display AxA | --no-display] [--network]
                                      crear una VM para instalar un sistema: la ISO en una
                                      unidad de CD-ROM y un disco nuevo, del tamaño que
                                      osinfo-db recomienda para el sistema reconocido; el disco
                                      arranca en cuanto tiene un sistema
      vmdesk create NOMBRE --boot-disk IMAGEN [--linked | --copy]
    {"              ["}--firmware uefi|bios] [--vcpus N] [--memory MIB] [--network] ...
                                      crear una VM que arranca una imagen de disco (p. ej. una
                                      imagen cloud): tal cual, con una capa qcow2 (--linked) o
                                      copiada (--copy); UEFI salvo con --firmware bios
                                      --allow-backing (con --disk, --boot-disk): usar archivos
                                      base fuera de la carpeta de la imagen (en vm.toml)
      vmdesk detect  ARCHIVO          mostrar qué contiene una ISO o imagen de disco (osinfo-db)
                                      y qué recibe una VM para ella
      vmdesk compare [VM] [--initramfs ARCHIVO]
                                      ejecutar la raíz busybox del invitado Linux de prueba como
                                      contenedor (crun) junto a la VM y mostrar lo que mide cada uno
      vmdesk clone   VM NOMBRE [--full]
                                      clon enlazado de una VM detenida (--full: copiar los discos)
      vmdesk delete  VM [--keep-disks]
                                      borrar una VM detenida y su carpeta; sus imágenes de disco
                                      van a la papelera (--keep-disks: a kept-disks/)
      vmdesk status  VM               mostrar el estado de una VM
      vmdesk start   VM               iniciar una VM (sigue en marcha al salir de vmdesk)
      vmdesk start   VM --throwaway
                                      arrancarla sobre una capa temporal: lo que escriba se
                                      descarta al apagarla
      vmdesk stop    VM               pulsar el botón de apagado ACPI
      vmdesk kill    VM               apagar una VM al instante
      vmdesk restart VM               reiniciar una VM
      vmdesk pause   VM               detener las vCPU
      vmdesk resume  VM               reanudar las vCPU
      vmdesk console VM               mostrar la consola serie; las líneas escritas van al invitado
      vmdesk snapshot  VM [--name NOMBRE] [--description TEXTO]
                                      tomar una instantánea de una VM en marcha
      vmdesk snapshots VM             listar las instantáneas de una VM (* marca la actual)
      vmdesk revert    VM INSTANTÁNEA volver a una instantánea (una VM detenida arranca desde ella)
      vmdesk screenshot VM ARCHIVO.png  guardar la pantalla de la VM (VM con pantalla)
      vmdesk cdrom VM eject|insert ARCHIVO.iso [--drive N]
                                      saca el disco de una unidad de CD-ROM / mete una ISO
      vmdesk inspect VM [--exits]     mostrar la máquina como la ve el hipervisor: modo y
                                      registros de cada vCPU, mapa de memoria, dispositivos e
                                      hilos del VMM (--exits: las salidas del próximo segundo)
      vmdesk lab create TEMPLATE --count N [--prefix P]
                                      crear N copias de alumno numeradas (clones enlazados)
                                      de una VM detenida, «P 01»… (P: Alumno)
      vmdesk lab reset VM | --all TEMPLATE
                                      devolver una copia de alumno detenida (o todas las de
                                      una plantilla) a la plantilla; se pierden sus snapshots
      vmdesk lab list TEMPLATE
                                      listar las copias de alumno de una plantilla y su estado
      vmdesk export VM --libvirt [FILE]
      vmdesk export VM --kubevirt [--disk-image-url URL | --container-disk REF]
    {"              ["}--kernel-image REF] [FILE]
                                      escribir la VM como XML de dominio de libvirt o como
                                      manifiesto VirtualMachine de KubeVirt (JSON, que es YAML)
                                      en FILE o stdout; lo que no se puede expresar va a stderr
      vmdesk import FILE.xml          crear una VM a partir de un XML de dominio de libvirt
                                      (virsh dumpxml); sus discos se quedan donde están; se
                                      lista lo que queda fuera
      vmdesk completions SHELL        mostrar el script de compleción para bash, zsh o fish
      vmdesk --version                mostrar la versión

    VM es el id o el nombre de una VM; INSTANTÁNEA, el id o el nombre de una instantánea.
    --json produce una salida legible por máquinas, también para los errores. detect --json
    produce un objeto con path, kind ("iso" o "disk-image"), iso (volume_id, system_id,
    publisher_id, application_id, size_bytes) o disk_image (format, virtual_size), os (id,
    short_id, name, version; null si no se reconoce), firmware ("uefi" o "bios"), memory_mib,
    disk_gib, vcpus y notice (code "unknown-os" o "no-database", message; o null).

    Estado de salida: 0 hecho · 1 falló ·
    2 orden o valor incorrecto, o ni ISO ni imagen de disco ·
    3 no existe esa VM · 4 la VM no está en un estado que lo permita (p. ej. no está en marcha) ·
    5 el invitado ignoró el botón de apagado · 6 no existe esa instantánea.
cli-unknown-option = opción desconocida { $option }
cli-unknown-command = orden desconocida «{ $command }»
cli-missing-command = no se indicó ninguna orden
cli-missing-vm = «{ $command }» necesita el ID o el nombre de una VM
cli-extra-args = demasiados argumentos
cli-no-vms = Aún no hay máquinas virtuales. Ejecute vmdesk sin argumentos para crear una.
main-no-display = no se puede abrir una ventana: no se pudo contactar con ningún servidor gráfico (DISPLAY={ $display }, WAYLAND_DISPLAY={ $wayland }; { $reason }). La línea de órdenes funciona sin él: vmdesk --help
cli-col-id = ID
cli-col-name = NOMBRE
cli-col-state = ESTADO
cli-col-boot = ARRANQUE
cli-no-such-vm = no hay ninguna VM con el ID o el nombre «{ $vm }»
cli-broken = { $vm } no se puede usar, su configuración no se puede leer: { $error }
cli-not-running = { $vm } no está en marcha
cli-status = { $vm }: { $state }, { $vcpus } vCPU, { $memory } MiB, activa desde hace { $uptime } s, PID { $pid }
cli-status-stopped = { $vm }: detenida
cli-started = { $vm } iniciada (PID { $pid })
cli-restarted = { $vm } reiniciada (PID { $pid })
cli-stop-sent = { $vm }: el invitado se está apagando
cli-no-response = { $vm }: el invitado no respondió al botón de encendido; use «vmdesk kill» para forzar el apagado
cli-console-attached = Consola serie de { $vm }; Ctrl+C se desconecta (la VM sigue en marcha).
cli-console-exited = La VM terminó: { $reason } (estado de salida { $code })
cli-missing-value = { $option } necesita un valor
cli-missing-arg = «{ $command }» necesita un argumento más (vea vmdesk --help)
cli-bad-number = { $option }: «{ $value }» no es un número entero
cli-bad-display = --display: «{ $value }» no es ANCHOxALTO, p. ej. 1024x768
cli-created = { $vm } creada: { $path }
cli-deleted = { $vm } borrada
cli-snapshot-taken = { $vm }: instantánea { $snapshot } tomada en { $total } ms (invitado en pausa { $paused } ms)
cli-no-snapshots = { $vm } no tiene instantáneas
cli-snapshot-incomplete = incompleta: { $problem }
cli-no-such-snapshot = { $vm } no tiene ninguna instantánea completa con el id o el nombre «{ $snapshot }»
cli-reverted = { $vm } volvió a la instantánea { $snapshot }
cli-started-from = { $vm } iniciada desde la instantánea { $snapshot } (pid { $pid })
cli-screenshot = pantalla guardada en { $path }
cli-cdrom-usage = «cdrom» necesita «eject», o «insert» y un archivo ISO
cli-cdrom-bad-drive = --drive { $drive }: no es un número de unidad
cli-cdrom-ejected = la unidad de CD-ROM { $drive } está vacía
cli-cdrom-inserted = { $path } está en la unidad de CD-ROM { $drive }

## Discos, red, pantalla; clones; borrar con discos (asistente, detalles, biblioteca, CLI)
wizard-hardware = Hardware
wizard-creating = Creando…
wizard-busy = Creando la VM…
wizard-busy-disk = Creando la VM y su disco…
wizard-busy-clone = Creando la VM y su clon enlazado de la imagen…
hw-storage = Disco
hw-add-disk = Añadir un disco
hw-storage-none = Sin disco
hw-storage-keep = Ninguno
hw-storage-new = Disco nuevo
hw-storage-existing = Imagen existente
hw-storage-none-hint = El invitado arranca solo con su núcleo e initrd.
hw-gib = GiB
hw-disk-size-hint = Una imagen qcow2 en la carpeta de la VM; solo ocupa lo que escribe el invitado. Quedan { $free } GiB libres allí.
hw-disk-size-hint-unknown = Una imagen qcow2 en la carpeta de la VM; solo ocupa lo que escribe el invitado.
hw-image-hint = Una imagen raw o qcow2. Se conecta como disco de datos (/dev/vda): vmdesk aún no arranca desde discos.
hw-image-info = Imagen { $format }, { $size }.
hw-pick-image = Elegir una imagen de disco
hw-linked = Clon enlazado (recomendado)
hw-linked-hint = La VM escribe en su propia capa qcow2; la imagen nunca se modifica.
hw-direct-hint = La VM usa la propia imagen y escribe en ella.
hw-read-only = Solo lectura
hw-remove = Quitar
hw-network = Red (modo usuario: passt o libslirp)
hw-network-hint = El invitado obtiene su dirección por DHCP y sale al exterior a través del anfitrión; nada le llega salvo lo que se redirija.
hw-passt-missing = Ni passt ni libslirp están instalados, así que la VM no puede arrancar con red: sudo apt install passt (o libslirp0)
hw-backend = Motor
hw-backend-auto = Automático
hw-backend-auto-hint = libslirp cuando se redirige un puerto TCP (el passt de Debian 12 no puede llevarlos dentro), si no passt; el que esté instalado.
hw-backend-passt = passt
hw-backend-passt-hint = Un proceso aparte y aislado (paquete passt).
hw-backend-slirp = libslirp
hw-backend-slirp-hint = Dentro del propio proceso aislado de la VM (paquete libslirp0); lleva dentro los puertos TCP redirigidos.
hw-backend-passt-missing = passt no está instalado: sudo apt install passt, o elija Automático.
hw-backend-slirp-missing = libslirp no está instalado: sudo apt install libslirp0, o elija Automático.
hw-forwards = Puertos redirigidos
hw-forwards-hint = De 127.0.0.1 en este equipo al invitado, p. ej. «tcp 2222:22, udp 5353:53» (anfitrión:invitado). Opcional.
hw-display-none = Sin pantalla (solo consola serie)
hw-display-hint = Un framebuffer con teclado y tableta, mostrado en la vista Pantalla.
details-hw-running = Los discos, la red y la pantalla no pueden cambiar mientras la VM está en marcha.
error-disk-size-zero = Un disco necesita al menos 1 GiB.
error-disk-size-huge = Como máximo { $max } GiB.
warn-disk-size-free = Mayor que los { $free } GiB libres ahí ahora: no pasa nada mientras el invitado escriba menos (el disco crece al escribirse), pero el invitado tendrá errores de escritura si se llena el disco del equipo.
error-image = No se puede usar esta imagen: { $detail }
error-forward = «{ $item }» no es una redirección de puerto; escriba p. ej. tcp 8080:80.
error-delete-clones = sus discos son la base de los clones enlazados { $names }; bórrelos primero.
error-clone = No se pudo clonar: { $detail }
notice-cloned = «{ $name }» se creó como clon.
notice-deleted-kept = «{ $name }» se borró; sus imágenes de disco se guardan en { $path }.
delete-keep-disks = Conservar las imágenes de disco
delete-keep-hint = Las imágenes de su carpeta disks se sacan antes de la carpeta de la VM. Las imágenes de otros sitios nunca se tocan.
delete-trash-hint = Las imágenes de su carpeta disks van a la papelera. Las imágenes de otros sitios nunca se tocan.
button-clone = Clonar
clone-default-name = { $name } (clon)
clone-title = Clonar «{ $name }»
clone-linked = Clon enlazado
clone-linked-hint = Rápido y pequeño: los discos del clon son capas qcow2 sobre los discos de esta VM tal como están ahora. A partir de ahora cada VM escribe en sus propias capas.
clone-full-hint = Se copia cada disco: más lento, pero el clon es independiente.
clone-linked-running = La VM está en marcha: sus discos cambian, así que solo se puede hacer una copia completa (y solo de los discos en los que no escribe). Apáguela para un clon enlazado.
clone-busy = Clonando como «{ $name }»… { $percent } %
cli-cloned = { $vm } clonada como { $clone }
cli-clone-running = { $vm } está en marcha: apáguela primero (sus discos no deben cambiar mientras se clonan)
cli-bad-disk = --disk y --disk-size se excluyen: un disco por VM desde la línea de órdenes
hw-vnc-port = Puerto VNC
hw-vnc-password = Contraseña
hw-vnc-hint = Opcional: la pantalla también por VNC en 127.0.0.1 en este puerto, para otros visores (la contraseña es obligatoria; VNC usa 8 caracteres).
error-vnc-port = Un puerto es un número de 1 a 65535.

## Activity tab: live graphs (stats)
stats-live-title = Actividad en directo
stats-window = el último minuto, una muestra por segundo
stats-cpu = CPU
stats-cpu-vcpu = vCPU del invitado { $value }
stats-cpu-vmm = sobrecarga del VMM { $value }
stats-memory = Memoria
stats-memory-rss = residente (RSS)
stats-memory-guest = RAM del invitado { $size }
stats-disk = Disco
stats-read = leído { $rate }
stats-written = escrito { $rate }
stats-no-disks-explain = Esta VM no tiene disco.
stats-net = Red
stats-received = recibido { $rate }
stats-sent = enviado { $rate }
stats-disk-line = disk{ $n }: leídos { $read } en { $reads } peticiones · escritos { $written } en { $writes } · { $flushes } vaciados
stats-no-nics-explain = Esta VM no tiene interfaz de red.
stats-vcpu-cpu = { $cpu } % CPU

# Detalles: unidades de CD/DVD, firmware y orden de arranque (issue 14)
details-cdrom = CD/DVD
details-firmware = Firmware
details-boot-order = Orden de arranque
details-cd-none = Sin unidad de CD/DVD.
details-cd-add = Añadir unidad de CD/DVD
details-cd-empty = Vacía
details-cd-eject = Expulsar
details-cd-insert = Insertar ISO…
details-cd-pick = Elija una imagen ISO
details-cd-typed-hint = O escriba la ruta del archivo ISO:
details-cd-insert-typed = Insertar
details-cd-busy = Cambiando el disco…
details-cd-live-hint = El invitado ve el cambio al instante; la VM arrancará con el mismo disco la próxima vez.
details-cd-path-empty = Escriba la ruta de una imagen ISO.
details-cd-disk-image = { $file } es una imagen de disco, no una ISO: añádala en Discos.
details-cd-no-drive = Esta VM no tiene la unidad de CD/DVD { $drive }.
details-cd-refused = La VM lo rechazó: { $reason }
details-cd-missing = Este archivo ya no está: expúlselo o inserte otra ISO; si no, la VM no puede arrancar.
details-firmware-uefi = UEFI
details-firmware-bios = BIOS
details-firmware-vars-kept = Las variables UEFI (OVMF_VARS.fd) se quedan en la carpeta de la VM.
details-boot-auto = Automático
details-boot-cdrom = CD/DVD primero
details-boot-disk = Disco primero
details-boot-hint = Automático: primero el CD/DVD mientras tenga un disco; si no, el disco duro. Se guarda con los demás ajustes.
details-boot-running = El firmware y el orden de arranque se pueden cambiar con la VM detenida.

## New-VM wizard: installing from an ISO or disk image (issue 14, wizard)
wizard-kind-install = Instalar desde una imagen ISO o de disco
wizard-kind-install-hint = Una ISO de instalación o live, o una imagen de disco
wizard-kind-linux-hint = Un núcleo de este equipo, cargado directamente
install-file = Archivo
install-file-hint = Una ISO de instalación va a la unidad de CD de la VM; una imagen de disco pasa a ser su disco de arranque.
install-file-none = Elija una imagen ISO o una imagen de disco.
install-name-placeholder = Mi VM
install-pick = Elegir una imagen ISO o de disco
install-filter-iso = Imágenes ISO
install-filter-disk = Imágenes de disco
install-filter-all = Todos los archivos
install-not-media = { $file } no es una imagen ISO ni una imagen de disco ({ $reason }).
install-cannot-read = No se puede leer { $file }: { $reason }
install-os = Sistema operativo
install-detecting = Examinando el archivo…
install-kind-iso = Medio de instalación (ISO): va a la unidad de CD de la VM.
install-kind-disk = Imagen de disco ({ $format }, { $size }): pasa a ser el disco de arranque de la VM.
install-unknown-os = SO desconocido — ajustes genéricos
install-unknown-hint = La base de datos de sistemas operativos no conoce este medio, así que los ajustes de abajo son genéricos. Dé más a la VM si su sistema lo necesita.
install-unknown-disk-hint = El sistema de una imagen de disco no se reconoce, así que los ajustes de abajo son genéricos. Dé más a la VM si su sistema lo necesita.
install-known-hint = Los ajustes de abajo son los que recomienda este sistema operativo; cámbielos a su gusto.
install-no-database = No se puede leer la base de datos de sistemas operativos (osinfo-db) ({ $reason }), así que el sistema no se reconoce y los ajustes de abajo son genéricos. Para instalarla: sudo apt install osinfo-db
install-firmware = Firmware
install-uefi = UEFI
install-bios = BIOS (clásico)
install-firmware-detected = El firmware que necesita este sistema.
install-firmware-generic = UEFI sirve para los sistemas actuales; los antiguos pueden necesitar BIOS.
install-firmware-changed = No es el firmware para el que está hecho este sistema: puede que no arranque.

## Línea de órdenes: instalar desde una ISO o imagen de disco (issue 14, parte CLI)
cli-create-one-boot = «create» necesita exactamente uno de --kernel ARCHIVO, --iso ARCHIVO y --boot-disk IMAGEN
cli-option-needs = { $option } solo va con { $needs }
cli-options-conflict = { $first } y { $second } no se pueden usar juntos
cli-bad-firmware = --firmware: «{ $value }» no es ni uefi ni bios
cli-not-media = { $file } no es ni una imagen ISO ni una imagen de disco ({ $reason })
cli-cannot-read = no se puede leer { $file }: { $reason }
cli-detect-iso = { $file }: imagen ISO «{ $volume }», { $size }
cli-detect-disk-image = { $file }: imagen de disco { $format }, { $size }
cli-detect-os = Sistema: { $name } ({ $id })
cli-detect-os-unknown = Sistema: desconocido, ajustes genéricos
cli-detect-firmware = Firmware: { $firmware }
cli-detect-resources = Recomendado: { $memory } MiB de memoria, { $disk } GiB de disco, { $vcpus } vCPU
cli-detect-resources-image = Recomendado: { $memory } MiB de memoria, { $vcpus } vCPU (la imagen es el disco)
cli-notice-unknown-os = osinfo-db no conoce este medio: la VM recibe ajustes genéricos (las opciones de vmdesk create los cambian).
cli-notice-no-database = osinfo-db no está disponible ({ $reason }): no se reconocen los sistemas operativos y se usan ajustes genéricos. Instálelo con: sudo apt install osinfo-db
cli-iso-is-disk-image = { $file } es una imagen de disco, no una ISO: use --boot-disk
cli-boot-disk-is-iso = { $file } es una imagen ISO, no una imagen de disco: use --iso
cli-created-install = { $memory } MiB de memoria, { $vcpus } vCPU, { $firmware }

## Línea de órdenes: el analizador clap y la compleción (issue 15, parte CLI)
cli-repeated-option = { $option } aparece dos veces
cli-flag-takes-no-value = { $option } no lleva valor
cli-bad-value = { $option }: «{ $value }» no es uno de { $valid }
cli-not-utf8 = «{ $arg }» no es UTF-8 válido: vmdesk necesita nombres de archivo y palabras en UTF-8

## SATA disks (issue 14, VMM side)
config-sata-needs-firmware = Los discos SATA necesitan una máquina BIOS o UEFI; una máquina de núcleo Linux usa discos virtio.
config-too-many-sata-disks = { $count } discos SATA son más que los { $max } puertos que dejan libres las unidades de CD-ROM.

## Serial console as a terminal (issue 15)
terminal-size = {$cols}×{$rows}
terminal-size-tip = El terminal tiene {$cols} columnas y {$rows} filas. Un puerto serie no le dice su tamaño al invitado: los programas que preguntan al terminal lo averiguan (ejecute «resize» en el invitado), o fíjelo con «stty cols {$cols} rows {$rows}».
terminal-hint = Haga clic en el terminal para escribir en el invitado.
terminal-hint-focused = Las teclas van al invitado. Esc o un clic fuera las devuelve; Ctrl+[ envía Esc, Ctrl+Mayús+V pega.
terminal-hint-stopped = Inicie la VM para escribir en su consola serie.
terminal-not-sent = No enviado al invitado: {$error}

## Layouts and toasts (issue 15)
screen-more = Más: tamaño de pantalla, captura, pantalla completa (F11)
details-more = Más: reiniciar, forzar apagado

## Clones enlazados, motivos de fallo, capturas, Examinar (issue 15, correcciones)
error-vmm-exited-because = «{ $name }» no se inició: { $reason }
details-save-breaks-snapshots = { $count ->
    [one] La instantánea { $names } se tomó con otro hardware (vCPU, memoria o discos): tras este cambio la VM no podrá iniciarse desde ella.
   *[other] Las instantáneas { $names } se tomaron con otro hardware (vCPU, memoria o discos): tras este cambio la VM no podrá iniciarse desde ellas.
}
details-keep-snapshots = Mantener las instantáneas utilizables
details-save-anyway = Guardar de todos modos
cli-screenshot-not-png = { $file }: vmdesk guarda las capturas en PNG, no en .{ $ext }; use la extensión .png
notice-screenshot-failed = No se guardó la captura: { $reason }
choose-none = No se pudo abrir un selector de archivos (requiere xdg-desktop-portal, zenity o kdialog): escriba en su lugar la ruta completa del archivo.
error-image-is-iso = { $file } es una imagen de instalación (ISO), no un disco: para instalar desde ella, cree la VM con «Instalar desde una imagen ISO o de disco», que la pone en una unidad de CD.
check-software-kvm = Este equipo no tiene virtualización por hardware
check-software-kvm-fix = Aquí KVM lo proporciona { $module }, que emula por software el código del núcleo del invitado: las VM van unas 1000 veces más lentas de lo normal y la mayoría de los sistemas operativos no terminan de arrancar. Los sistemas de prueba pequeños funcionan. En un equipo con Intel VT-x o AMD-V activado en la configuración del firmware, las VM van a toda velocidad.

## Inspector panel (issue 16, app side)
screen-inspector = Inspector
screen-inspector-tip = Muestra la máquina tal como la ve el hipervisor: procesadores, salidas, memoria, dispositivos.
insp-tab-vcpus = vCPU
insp-tab-exits = Salidas
insp-tab-memory = Memoria
insp-tab-devices = Dispositivos
insp-tab-host = Anfitrión
insp-about-vcpus = Los procesadores virtuales del invitado. KVM ejecuta su código en la CPU real hasta que algo necesita al VMM.
insp-about-exits = Una salida es cuando la CPU deja de ejecutar al invitado y pasa el control al VMM, p. ej. para emular un dispositivo.
insp-about-memory = El espacio de direcciones físico del invitado: dónde está su RAM y dónde responden dispositivos en su lugar.
insp-about-devices = El hardware que ve el invitado y cómo el VMM proporciona cada pieza.
insp-about-host = En este ordenador toda la VM es un proceso normal, vmdesk-vmm, con un hilo por tarea.
insp-paused = En pausa: la máquina tal como se detuvo. «Paso» ejecuta una instrucción.
insp-stopped = La VM no está en marcha: así estaba la última vez.
insp-error = El VMM no respondió: { $reason }
insp-waiting = Preguntando al VMM…
insp-vcpu = vCPU { $index }
insp-running = en marcha
insp-running-tip = La vCPU está ejecutando código del invitado (o a punto de hacerlo).
insp-halted = en espera (HLT)
insp-halted-tip = El invitado ejecutó HLT: no tiene nada que hacer y espera una interrupción sin gastar CPU del anfitrión.
insp-stopped-here = detenida
insp-changed = Resaltado: cambió desde la última actualización (o el último paso).
insp-step = Paso
insp-step-tip = Ejecuta exactamente una instrucción en esta vCPU y muestra qué registros cambió.
insp-stepped = Se ejecutó una instrucción (detenida por: { $by })
insp-stepped-nothing = No cambió ninguno de los registros mostrados.
insp-mode-real = modo real de 16 bits
insp-mode-v86 = modo 8086 virtual
insp-mode-protected = modo protegido de 32 bits
insp-mode-compat = modo de compatibilidad de 32 bits
insp-mode-long = modo largo de 64 bits
insp-mode-real-tip = Así arranca toda CPU x86: código de 16 bits, 1 MiB de memoria, sin protección.
insp-mode-v86-tip = Programas antiguos de 16 bits ejecutándose dentro del modo protegido.
insp-mode-protected-tip = Modo de 32 bits con protección de memoria: el núcleo y los programas quedan separados.
insp-mode-compat-tip = Un programa de 32 bits bajo un núcleo de 64 bits.
insp-mode-long-tip = El modo de los sistemas operativos de 64 bits: registros y direcciones de 64 bits.
insp-paging-on = paginación activa
insp-paging-off = sin paginación
insp-ring-kernel = núcleo (anillo 0)
insp-ring-user = programa de usuario (anillo 3)
insp-ring-other = anillo { $ring }
insp-reg-rip = RIP: la dirección de la siguiente instrucción que ejecutará la vCPU.
insp-reg-rsp = RSP: la cima de la pila, donde las llamadas guardan sus direcciones de retorno.
insp-reg-rflags = RFLAGS: resultados de la última comparación e interruptores como «interrupciones activas» (bit 9).
insp-reg-cr0 = CR0: interruptores básicos de la CPU; el bit 0 activa el modo protegido y el bit 31 la paginación.
insp-reg-cr3 = CR3: dónde empiezan las tablas de páginas del invitado; la CPU las recorre para traducir direcciones virtuales en físicas.
insp-reg-cr4 = CR4: más funciones de la CPU, p. ej. las tablas de páginas grandes que necesita el modo de 64 bits (PAE, bit 5).
insp-reg-efer = EFER: activa el modo largo de 64 bits (bits 8 y 10) y la protección contra ejecutar datos.
insp-reg-general = Un registro de uso general: los valores de trabajo del propio programa.
insp-code = Código en RIP
insp-code-tip = Los bytes de código máquina que la vCPU ejecutará a continuación, en hexadecimal.
insp-vcpu-thread = Hilo del anfitrión { $name } ({ $tid }) · tiempo de CPU { $cpu } · última CPU { $last }
insp-vcpu-thread-tip = Cada vCPU es un hilo normal de vmdesk-vmm; Linux lo reparte entre las CPU reales como a cualquier programa.
insp-dropped = No se mostraron { $count } salidas: llegaron más rápido de lo que el panel las lee.
insp-no-exits = Aún no hay salidas: el invitado ha funcionado sin necesitar al VMM.
insp-col-time = Tiempo (s)
insp-col-vcpu = vCPU
insp-col-reason = Motivo
insp-col-where = Puerto/dirección
insp-col-value = Valor
insp-col-size = Tamaño
insp-no-device = nada responde
insp-kind-ram = RAM
insp-kind-ram-tip = La memoria del invitado: KVM la asigna directamente y el invitado la usa sin salidas.
insp-kind-rom = ROM
insp-kind-rom-tip = Memoria de solo lectura desde la que arranca el invitado, como el firmware.
insp-kind-flash = Flash
insp-kind-flash-tip = El chip flash del firmware UEFI: las lecturas son directas, las escrituras salen al VMM.
insp-kind-fb = Pantalla
insp-kind-fb-tip = El framebuffer: memoria con los píxeles que dibuja el invitado; el VMM los envía a la ventana.
insp-kind-mmio = Dispositivo
insp-kind-mmio-tip = Los registros de un dispositivo: cada lectura o escritura aquí es una salida que emula el VMM.
insp-kind-reserved = Reservado
insp-kind-reserved-tip = Un hueco en el espacio de direcciones: aquí no responde nada.
insp-touched = { $touched } usados hasta ahora ({ $percent } %) · { $huge } en páginas enormes
insp-touched-tip = Cuánto ha tocado realmente el invitado: el anfitrión solo entrega memoria cuando se usa por primera vez.
insp-every-access-exits = No es memoria: el VMM atiende cada acceso.
insp-dev-emulated = emulado
insp-dev-emulated-tip = El VMM imita hardware real registro a registro; el invitado no nota la diferencia.
insp-dev-paravirtual = paravirtual
insp-dev-paravirtual-tip = Hecho para máquinas virtuales (virtio): el controlador del invitado lo sabe y necesita muchas menos salidas.
insp-dev-in-kernel = en KVM
insp-dev-in-kernel-tip = Emulado dentro del propio núcleo Linux (KVM), más rápido que salir al VMM.
insp-dev-exits = { $count } salidas
insp-dev-exits-tip = Cuántas veces los accesos del invitado a este dispositivo detuvieron la vCPU.
insp-dev-transport = Conectado mediante { $transport }
insp-dev-ports = Puertos de E/S
insp-dev-ports-tip = Los números de puerto que el invitado lee y escribe con las instrucciones IN y OUT.
insp-dev-mmio = MMIO
insp-dev-mmio-tip = Direcciones de memoria donde aparecen los registros del dispositivo.
insp-dev-irqs = Interrupciones
insp-dev-irqs-tip = Las líneas de interrupción con las que el dispositivo avisa al invitado de que algo ocurrió.
insp-dev-msix = MSI-X
insp-dev-msix-tip = Interrupciones por mensaje: en lugar de una línea, el dispositivo escribe un mensaje en el controlador de interrupciones de la CPU. Cada entrada indica el vector de interrupción del invitado y la CPU (APIC) a la que va.
insp-dev-msix-entry = entrada { $entry } → vector { $vector } en el APIC { $apic } ({ $users }){ $masked ->
    [yes] , enmascarada
   *[no] {""}
}
insp-dev-queue = Cola { $index }: { $size } huecos, { $served } peticiones atendidas
insp-dev-queue-tip = Una cola virtio: un anillo en la memoria del invitado donde el controlador deja peticiones para el dispositivo.
insp-host-process = Proceso vmdesk-vmm, PID { $pid }
insp-host-rss = Memoria en uso (RSS): { $rss }
insp-host-rss-tip = La memoria del anfitrión que ocupa de verdad esta VM ahora, incluida la RAM del invitado.
insp-last-cpu = CPU { $cpu }
insp-last-cpu-tip = El núcleo de procesador real en el que se ejecutó este hilo por última vez.
insp-thread-vcpu = Ejecuta un procesador virtual: entra en el invitado y atiende sus salidas.
insp-thread-display = Copia la pantalla del invitado cuando cambia.
insp-thread-vnc = Envía la pantalla a la aplicación y recibe teclas y ratón (VNC).
insp-thread-api = Responde a las peticiones de la aplicación por el socket de control.
insp-thread-io = Hace el trabajo de disco o red para que las vCPU no esperen.
insp-thread-main = Construyó la VM y espera a que termine.
insp-thread-other = Un hilo auxiliar del VMM.
# Issue 15 polish (part a, app15): fullscreen bar, activity legend
screen-leave-fullscreen = Salir de pantalla completa
# --- issue 16 (b): `vmdesk inspect` (el inspector, lado del VMM) ---
cli-inspect-mode-real = modo real (16 bits, como arranca la CPU)
cli-inspect-mode-v8086 = modo virtual 8086
cli-inspect-mode-protected = modo protegido (32 bits)
cli-inspect-mode-compatibility = modo de compatibilidad (código de 32 bits bajo un núcleo de 64 bits)
cli-inspect-mode-long = modo largo (64 bits)
cli-inspect-paging-on = paginación activada
cli-inspect-paging-off = paginación desactivada
cli-inspect-halted = detenida (espera una interrupción)
cli-inspect-stale = últimos valores conocidos (la vCPU no respondió a tiempo)
cli-inspect-code = código en RIP: { $bytes }
cli-inspect-vcpu-thread = hilo del anfitrión { $tid }, por última vez en la CPU { $cpu }, { $ms } ms de tiempo de CPU
cli-inspect-vcpu-exits = salidas: { $exits }
cli-inspect-memory = Mapa de memoria (física del invitado):
cli-inspect-memory-columns = inicio|tamaño|tipo|usado|páginas grandes|qué
cli-inspect-kind-ram = RAM
cli-inspect-kind-rom = ROM
cli-inspect-kind-flash = flash
cli-inspect-kind-framebuffer = framebuffer
cli-inspect-kind-mmio = registros de dispositivo
cli-inspect-kind-reserved = reservado
cli-inspect-devices = Dispositivos:
cli-inspect-device-columns = nombre|tipo|transporte|puertos|MMIO|IRQ|salidas|colas (servidas/tamaño)
cli-inspect-device-emulated = emulado
cli-inspect-device-paravirtual = paravirtual
cli-inspect-device-in-kernel = en KVM
cli-inspect-host = proceso del VMM { $pid }, { $rss } residentes; sus hilos:
cli-inspect-thread-columns = hilo|nombre|CPU s|última CPU
cli-inspect-exit-columns = #|vCPU|µs|motivo|dirección|tamaño|valor|dispositivo
cli-inspect-no-exits = Ninguna salida en el último segundo (la VM está en pausa, o sus vCPU duermen en KVM).
cli-inspect-exits-dropped = { $n } salidas más antiguas no cabían en el registro y se descartaron.
## VM beside a container (issue 16, container comparison)
compare-no-crun = crun, el entorno de ejecución de contenedores, no está instalado: instálelo con «sudo apt install crun».
compare-needs-root = Ejecutar el contenedor aquí requiere root (monta el overlay y fija límites de cgroup): ejecute «sudo vmdesk compare».
compare-no-rootfs = Falta { $file }: es el sistema de archivos busybox que ejecutan ambos lados. Créelo con tests/linux/build-guest.sh.
compare-overlay-refused = overlayfs fue rechazado ({ $error }): la raíz del contenedor es la propia carpeta desempaquetada, sin una capa propia encima.
compare-no-cgroups = No hay ninguna jerarquía de cgroup montada (ni cgroup v2 en /sys/fs/cgroup ni jerarquías v1), así que no se puede fijar ningún límite de memoria ni de CPU: monte cgroup2 en /sys/fs/cgroup.
compare-cgroup-view = Este equipo mezcla cgroup v1 y v2 con controladores en ambos, algo que crun rechaza («hybrid mode»); vmdesk mostró a crun solo las jerarquías v1, así que los límites son los cgroups v1 del kernel.
compare-crun-failed = crun { $step } falló: { $error }
compare-userns-refused = El kernel rechazó un espacio de nombres de usuario ({ $error }), así que root en el contenedor es root del equipo. Permítalos con «sysctl user.max_user_namespaces=15000» (y «sysctl kernel.unprivileged_userns_clone=1» en kernels de Debian antiguos).
compare-interrupted = Interrumpido: el contenedor se eliminó.
compare-vm-was-running = La VM ya estaba en marcha, así que no se midió su arranque: deténgala y compare de nuevo para medirlo.
compare-vm-no-output = El invitado no escribió nada en su puerto serie ({ $file }) en 30 segundos, así que no se pudo medir su arranque.
compare-vm-no-shell = Ningún shell de Linux respondió en el puerto serie (requiere el invitado Linux de prueba iniciado con vmdesk.init=shell), así que se desconoce la versión del kernel del invitado.
compare-vm-not-linux = La VM no arranca un kernel Linux directamente, así que no hay un shell en su puerto serie al que preguntar la versión del kernel.
compare-title = Contenedores frente a VMs, medido en vivo (entorno de contenedores: { $runtime })
compare-col-textbook = Manual
compare-col-container = Contenedor
compare-col-vm = VM
compare-vm-none = Ninguna VM medida: indique una (vmdesk compare VM).
compare-not-measured = no medido (vea las notas)
compare-unlimited = sin límite
compare-row-start = Arranque hasta un shell
compare-row-start-help = Desde pedirlo hasta que un shell responde (contenedor), o hasta la primera salida del invitado en su puerto serie (VM).
compare-row-start-textbook = contenedor: segundos; VM: minutos
compare-row-memory = Memoria usada
compare-row-memory-help = Lo que el kernel carga al cgroup del contenedor; en la VM, lo que el proceso VMM tiene en RAM.
compare-row-memory-textbook = contenedor: megabytes; VM: gigabytes
compare-memory-container = { $used } (su cgroup)
compare-memory-vm = { $used } residentes, de { $ram } de RAM del invitado
compare-row-disk = Tamaño en disco
compare-row-disk-help = Los archivos que necesita cada lado: la raíz del contenedor y lo que escribió; la carpeta, el kernel, el initrd y los discos de la VM.
compare-row-disk-textbook = contenedor: megabytes; VM: gigabytes
compare-disk-container = raíz { $root } + su propia capa { $upper }
compare-row-kernel = Kernel dentro (uname -r)
compare-row-kernel-help = La versión del kernel que ve un programa dentro: un contenedor usa el kernel del equipo, una VM arranca el suyo.
compare-row-kernel-textbook = contenedor: el del equipo; VM: el suyo
compare-kernel = { $inside } (equipo: { $host })
compare-row-pid1 = PID 1
compare-row-pid1-help = El primer proceso: el init de un contenedor es un proceso del equipo con otro número dentro; el init de una VM vive en el kernel del invitado.
compare-row-pid1-textbook = ambos: su propio init
compare-pid1-container = { $cmdline } (pid { $inside } dentro, { $host } en el equipo)
compare-pid1-vm = el init propio del kernel invitado, fuera de la vista del equipo; el equipo ve el VMM (pid { $host })
compare-row-processes = Procesos dentro
compare-row-processes-help = Lo que lista ps dentro: un contenedor solo ve sus propios procesos, porque tiene su propio espacio de nombres de pid.
compare-row-processes-textbook = ambos: solo los suyos
compare-processes-vm = el equipo ve un proceso, el VMM (pid { $host }); los del invitado están en su memoria
compare-row-isolated = Aislado (espacios de nombres propios)
compare-row-isolated-help = Los espacios de nombres dan a un proceso su propia vista de una parte del sistema (procesos, montajes, red…); comparados con los del equipo mediante /proc/<pid>/ns.
compare-row-isolated-textbook = contenedor: espacios de nombres; VM: hardware virtual
compare-isolated-vm = espacios de nombres: { $namespaces }; al invitado lo separa en cambio el hardware virtual
compare-row-shared = Compartido con el equipo
compare-row-shared-help = Lo que ambos lados usan del equipo: un contenedor, su kernel y los espacios de nombres que no recibió; una VM, solo el proceso VMM.
compare-row-shared-textbook = contenedor: el kernel del equipo; VM: el hardware
compare-shared-container = el kernel del equipo; espacios de nombres: { $namespaces }
compare-shared-vm = los espacios de nombres del proceso VMM: { $namespaces }; no el kernel
compare-row-limits = Límites
compare-row-limits-help = Cuánto puede usar cada lado: los archivos de cgroup del contenedor, releídos; la RAM de la VM según su configuración.
compare-row-limits-textbook = contenedor: cgroups; VM: su hardware virtual
compare-limits-container = memoria { $memory }, CPU { $cpu } (cgroup v{ $version })
compare-limits-vm = RAM del invitado { $ram }
compare-row-layers = Capas
compare-row-layers-help = La raíz de un contenedor es un overlay: los archivos compartidos debajo, sus cambios encima; una VM escribe en sus propias imágenes de disco.
compare-row-layers-textbook = contenedor: capas de imagen; VM: imágenes de disco
compare-layers-container = debajo: { $lower }; encima: { $upper }
compare-layers-vm = sus propias imágenes de disco
compare-no-overlay = sin overlay (vea las notas)
compare-vm-ended = La VM se detuvo antes de poder medirla (su invitado se apagó): dele un invitado que siga en marcha.
# Lab mode (issue 16, part e)
lab-error-version = { $file } lo escribió otra versión de vmdesk (versión { $version } del archivo de laboratorio); se deja como está.
lab-error-count = El número de copias de alumno debe ser un número entero de 1 a { $max }.
lab-error-prefix = El prefijo del nombre está vacío: las copias llevan su nombre («Alumno 01», …).
lab-error-student-as-template = { $vm } ya es una copia de alumno: haga las copias a partir de su plantilla.
lab-error-not-student = { $vm } no es una copia de alumno de una plantilla: no hay nada a lo que restablecerla.
lab-error-running = { $vm } está en marcha: apáguela primero y restablézcala después.
lab-error-not-linked = { $file } no es la capa de un clon enlazado (no tiene archivo base): no se puede restablecer.
lab-progress = copia de alumno { $done } de { $total } creada
lab-made = { $count } copias de alumno de { $vm } creadas: { $names }
lab-reset-done = { $vm } ha vuelto al estado de su plantilla ({ $snapshots } snapshots eliminados)
lab-reset-all-done = { $count } de { $total } copias de alumno restablecidas
lab-no-students = { $vm } no tiene copias de alumno.
cli-lab-option = { $option } no va con lab { $action }
cli-lab-count-missing = lab create necesita --count N (cuántas copias de alumno)
lab-default-prefix = Alumno
projector-button = Proyector
projector-title = Modo proyector
projector-explain = Para mostrar vmdesk a una clase: más grande, más contrastado, legible desde el fondo del aula. Se aplica y se guarda al momento.
projector-scale = Escala de la interfaz
projector-scale-explain = Todo se dibuja más grande; una ventana pequeña conserva sitio para cada pantalla (al menos 800×600 antes de escalar).
projector-scale-limited = Esta ventana es demasiado pequeña: ahora se dibuja al { $scale }. Agrándela o use la pantalla completa.
projector-high-contrast = Alto contraste
projector-high-contrast-explain = Negro sobre blanco con bordes marcados, para proyectores apagados.
projector-large-font = Letra grande en la consola
projector-large-font-explain = El texto de la consola serie en letra más grande, para que la clase lea lo que escribe el invitado.
projector-close = Cerrar
lab-title = Modo laboratorio
lab-explain = Las copias de alumno son clones enlazados de esta VM: cada alumno tiene la suya y un clic la restablece.
lab-is-student = Una copia de alumno de { $template }.
lab-make-button = Crear copias de alumno…
lab-stopped-only = Solo se puede copiar una VM detenida: sus discos no deben cambiar mientras tanto.
lab-count = Cuántas
lab-prefix = Prefijo del nombre
lab-make-explain = Se llaman «prefijo 01», «prefijo 02»…; cada una ocupa solo lo que escribe su alumno. Esta VM sigue en su propia capa; las copias parten de su estado actual.
lab-make = Crear copias
lab-cancel = Cancelar
lab-students = { $count ->
        [one] Una copia de alumno
       *[other] { $count } copias de alumno
    }
lab-reset = Restablecer
lab-reset-all = Restablecer todas
lab-reset-question = ¿Restablecer { $name } a la plantilla?
lab-reset-all-question = ¿Restablecer las { $count } copias de alumno a la plantilla?
lab-reset-explain = Lo escrito desde entonces se pierde, y con ello { $snapshots } snapshots. Las copias en marcha no se tocan.
lab-throwaway = Ejecuciones desechables
lab-throwaway-explain = Cada ejecución arranca sobre una capa temporal: lo que escriba la VM se descarta al apagarla.

# c16 (f): the "VM beside a container" screen
compare-ui-open = Comparar con un contenedor
compare-ui-open-help = Esta VM junto a un contenedor, medidos en vivo: arranque, memoria, núcleo, aislamiento.
compare-ui-title = Contenedores frente a VM
compare-ui-cancel = Cancelar
compare-ui-again = Medir de nuevo
compare-ui-running = Iniciando un contenedor con crun y midiéndolo junto a { $vm } …
compare-ui-running-help = Tarda de unos segundos a un minuto: ambos se inician, se miden mientras funcionan y luego se detienen y se limpian.
compare-ui-cancelling = Cancelando: se está eliminando el contenedor …
compare-ui-failed = La comparación no pudo ejecutarse
compare-ui-failed-help = No ha quedado nada: el contenedor y sus archivos se eliminaron. Corrija lo anterior y pulse «Medir de nuevo».
compare-ui-col-textbook = Los libros dicen
compare-ui-col-container = Contenedor (crun)
compare-ui-col-vm = Esta VM
compare-ui-notes = Notas de esta medición

## Backing chains (issue 17 #1)
backing-file-line = { $file } · { $format } · { $size } · en { $folder }
backing-outside = fuera de los lugares permitidos
backing-reads-from = Este disco lee de:
backing-allowed = Permitido: archivos en { $folders } (anotado en vm.toml).
backing-question = Este disco lee de archivos en { $folders }. ¿Permitir que vmdesk los use?
backing-why = vmdesk solo toma archivos base de la carpeta de la imagen y de la de la VM, salvo que permita más: una imagen puede nombrar cualquier archivo, y el invitado lo leería. Permitir anota las carpetas en vm.toml (allow_backing).
backing-allow = Permitir
backing-cancel = No usar este disco
backing-refused = vmdesk no usará este disco
backing-answer-first = Este disco lee de archivos fuera de su carpeta: permítalos o elija otra imagen.
backing-disk-blocked = Lee de archivos en { $folders }, que esta VM no puede usar: no arrancará hasta que los permita y guarde.
cli-backing-ask =
    { $chain }
    Este disco lee de archivos en { $folders }, fuera de la carpeta de la imagen y de la VM.
    Si confía en ellos, vuelva a ejecutar la orden con --allow-backing (se anota en vm.toml).
cli-backing-refused =
    { $chain }
    vmdesk no usará este disco: un archivo de su cadena base no es una imagen de disco.
# Exportar a libvirt / KubeVirt e importar desde libvirt (vmdesk export, vmdesk import)
export-note-vnc-port = VNC en el puerto TCP { $port } no está en el dominio: el VNC de libvirt escucha aquí en un socket Unix (el puerto se guarda en los metadatos de vmdesk)
export-note-kernel-machine = la máquina de kernel (virtio-mmio, sin PCI) pasa a ser un PC q35 con los mismos dispositivos en PCI: el kernel invitado necesita virtio-pci
export-note-vga-rom = la BIOS VGA { $path } no tiene elemento en libvirt: QEMU usa la suya (se guarda en los metadatos de vmdesk)
export-note-allow-backing = disco { $disk }: libvirt no tiene lista de carpetas permitidas para archivos de respaldo (se guarda en los metadatos de vmdesk)
kubevirt-note-empty-cdrom = la unidad de CD-ROM { $drive } está vacía: se omite (una unidad de KubeVirt necesita un volumen)
kubevirt-note-extra-nic = tarjeta de red { $nic } omitida: la red del pod admite una interfaz (más requieren Multus)
kubevirt-note-forward = puerto { $proto } { $host } del anfitrión a { $guest } del invitado: se declara el puerto del invitado; se llega con «virtctl port-forward vm/{ $vm } { $host }:{ $guest }» o un Service
kubevirt-note-kernel-image = el kernel y el initrd deben estar en la imagen de contenedor { $image } (/boot/vmlinuz, /boot/initrd): constrúyala y súbala antes
kubevirt-note-screen = el tamaño de pantalla { $width }×{ $height } no tiene campo en KubeVirt: el invitado elige su modo
import-error-xml = no es un documento XML bien formado (se rechazan DTD y entidades): { $detail }
import-error-not-domain = no es un dominio de libvirt: el elemento raíz es <{ $element }>
import-error-missing = falta { $element }
import-error-value = { $element }: «{ $value }» no es un valor válido
import-error-os-type = tipo de SO «{ $kind }»: vmdesk ejecuta máquinas virtuales completas (hvm)
import-error-arch = arquitectura «{ $arch }»: vmdesk ejecuta invitados x86-64
import-error-machine = vmdesk no tiene el tipo de máquina «{ $machine }» (pc, q35, microvm)
import-error-no-file = { $path }: no existe el archivo
import-error-disk-source = disco { $disk }: no se admite un origen «{ $kind }» (solo archivos de imagen y dispositivos de bloques)
import-error-not-iso = CD-ROM { $disk }: { $path } no es una imagen ISO 9660
import-error-format = disco { $disk }: no se admite el formato «{ $format }» (raw o qcow2; conviértalo con qemu-img convert -O qcow2)
import-error-image = disco { $disk }: { $path }: { $reason }
import-error-format-mismatch = disco { $disk }: { $path } se declara { $declared } pero es { $found }
import-note-domain-type = el tipo de dominio «{ $kind }» se ejecuta con KVM
import-note-unsupported = { $element }: no admitido, se omite
import-note-boot-dev = dispositivo de arranque «{ $dev }»: no admitido, se omite del orden de arranque
import-note-nvram = las variables UEFI de { $path } no se copian: la VM empieza con un almacén nuevo
import-note-secure-boot = no se admite Secure Boot: la VM arranca sin él
import-note-extra-serial = solo se conserva el primer puerto serie
import-note-spice = la pantalla SPICE pasa a ser la pantalla de vmdesk (VNC)
import-note-vnc-tcp = VNC por TCP está desactivado: vmdesk muestra la pantalla por su propio socket (se puede fijar un puerto en los ajustes de la VM)
import-note-cdrom-kernel = CD-ROM { $disk } omitido: una VM que arranca un kernel directamente no tiene unidades de CD-ROM
import-note-bus = disco { $disk }: el bus { $from } pasa a ser { $to }
import-note-nic-type = NIC { $nic }: una interfaz «{ $kind }» pasa a ser red en modo usuario (passt o libslirp)
import-note-nic-model = tarjeta de red { $nic }: el modelo { $model } pasa a ser virtio
import-note-range = puertos { $start }–{ $end }: demasiados para reenviar, se omiten
cli-export-one-format = export necesita --libvirt o --kubevirt (uno de los dos)
cli-exported = { $vm } exportada a { $file }
cli-export-note = no se exporta tal cual: { $note }
cli-export-upload = suba las imágenes de disco con:
cli-imported = { $file } importado como { $vm }
cli-import-note = no se importa tal cual: { $note }
details-export-libvirt = Exportar a libvirt…
details-export-kubevirt = Exportar a KubeVirt…
library-import = Importar…
library-import-pick = Importar una VM de libvirt (XML de dominio)
library-import-filter = XML de dominio de libvirt
config-display-kind-unavailable = Esta máquina no tiene la pantalla «{ $kind }»; elija una de: { $allowed }.
hw-display-kind = Dispositivo
hw-display-kind-framebuffer = Búfer de fotogramas
hw-display-kind-std-vga = VGA estándar
hw-display-kind-virtio-gpu = virtio-gpu (se ajusta a la ventana)
