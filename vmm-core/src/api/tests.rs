//! Round trips of every request and reply, and the module documentation's examples.

use super::*;
use std::collections::HashSet;
use std::mem::discriminant;

/// One of each request.
fn every_request() -> Vec<Command> {
    vec![
        GetStatus {}.into(),
        GetCounters {}.into(),
        Pause {}.into(),
        Resume {}.into(),
        PowerOff {}.into(),
        Kill {}.into(),
        Reset {}.into(),
        SerialInput {
            data: "aGk=".into(),
        }
        .into(),
        Subscribe {
            topics: vec![Topic::Serial, Topic::Events],
        }
        .into(),
        Screenshot {
            path: "/tmp/s.png".into(),
        }
        .into(),
        Thumbnail {
            path: "/tmp/t.png".into(),
            max_width: 128,
            max_height: 96,
        }
        .into(),
        SnapshotCreate {
            name: "before".into(),
            description: "clean install".into(),
        }
        .into(),
        ListSnapshots {}.into(),
        SnapshotRevert {
            snapshot: "1700000000-123".into(),
        }
        .into(),
        SnapshotRename {
            snapshot: "1700000000-123".into(),
            name: "after".into(),
        }
        .into(),
        SnapshotDelete {
            snapshot: "1700000000-123".into(),
        }
        .into(),
        CdromEject { drive: 1 }.into(),
        CdromInsert {
            drive: 0,
            path: "/isos/disc.iso".into(),
        }
        .into(),
        Inspect {}.into(),
        Step { vcpu: 1 }.into(),
        GetExitLog { after: 42 }.into(),
        SetDisplaySize {
            width: 1920,
            height: 1080,
        }
        .into(),
    ]
}

fn status(state: RunState) -> Status {
    Status {
        vm_id: "demo".into(),
        name: "Demo".into(),
        state,
        vcpus: 2,
        memory_mib: 512,
        uptime_ms: 1234,
        pid: 42,
        started_unix_ms: 1_700_000_000_000,
        hardware_virtualization: true,
        warnings: vec!["no passt: NIC 0 left out".into()],
        confinement: Some(Confinement {
            seccomp: SeccompMode::Log,
            filters: 14,
            landlock: "abi v7".into(),
        }),
    }
}

fn timing() -> Timing {
    Timing {
        total_ms: 120.25,
        paused_ms: 0.1 + 0.2,
        memory_pages: 4096,
        precopy_ms: 80.5,
        recopied_pages: 12,
    }
}

/// A reply to `c`, every field set to something other than its default. The match is
/// exhaustive: a new request cannot be left out.
fn reply_to(c: &Command) -> Response {
    match c {
        Command::Status(_) => GetStatus::wrap(status(RunState::Running)),
        Command::Counters(_) => GetCounters::wrap(Counters {
            uptime_ms: 5,
            started_unix_ms: 6,
            exits: vec![("io-out".into(), 3), ("hlt".into(), 1)],
            per_vcpu: vec![vec![("io-out".into(), 3)], vec![("hlt".into(), 1)]],
            dropped_events: 7,
            malformed_virtio_chains: 8,
            nics: vec![NicCounters {
                tx_frames: 1,
                tx_bytes: 2,
                tx_dropped: 3,
                rx_frames: 4,
                rx_bytes: 5,
                rx_dropped_no_buffer: 6,
                rx_dropped_too_big: 7,
                rx_dropped_inactive: 8,
                malformed_chains: 9,
                link_up: true,
            }],
            process_user_us: 9,
            process_system_us: 10,
            vcpu_cpu_us: vec![11, 12],
            rss_bytes: 13,
            guest_memory_bytes: 14,
            disks: vec![DiskCounters {
                read_requests: 1,
                read_bytes: 2,
                write_requests: 3,
                write_bytes: 4,
                flushes: 5,
                discards: 6,
                write_zeroes: 7,
                io_errors: 8,
            }],
        }),
        Command::Pause(_) => Pause::wrap(status(RunState::Paused)),
        Command::Resume(_) => Resume::wrap(status(RunState::Running)),
        Command::PowerOff(_) => PowerOff::wrap(PowerOffResult {
            method: "acpi-power-button".into(),
            guest_acknowledged: true,
        }),
        Command::Kill(_) => Kill::wrap(Empty {}),
        Command::Reset(_) => Reset::wrap(Empty {}),
        Command::SerialInput(_) => SerialInput::wrap(SerialInputResult {
            queued: 2,
            dropped: 1,
        }),
        Command::Subscribe(_) => Subscribe::wrap(Empty {}),
        Command::Screenshot(r) => Screenshot::wrap(ScreenshotResult {
            path: r.path.clone(),
        }),
        Command::Thumbnail(r) => Thumbnail::wrap(ThumbnailResult {
            path: r.path.clone(),
            width: 128,
            height: 72,
        }),
        Command::SnapshotCreate(_) => SnapshotCreate::wrap(SnapshotCreated {
            id: "1700000000-123".into(),
            timing: timing(),
        }),
        Command::SnapshotList(_) => {
            let cfg = VmConfig::new_linux("demo", "Demo", "/boot/vmlinuz".into());
            ListSnapshots::wrap(SnapshotList {
                current: Some("1700000000-123".into()),
                snapshots: vec![
                    SnapshotEntry {
                        id: "1700000000-123".into(),
                        complete: true,
                        meta: Some(SnapshotMeta {
                            id: "1700000000-123".into(),
                            name: "before".into(),
                            description: "clean install".into(),
                            created_unix_ms: 1_700_000_000_123,
                            parent: Some("1600000000-000".into()),
                            config: cfg,
                            memory_pages: 4096,
                            has_screen: true,
                        }),
                        problem: None,
                    },
                    SnapshotEntry {
                        id: "1700000001-000".into(),
                        complete: false,
                        meta: None,
                        problem: Some("interrupted while being saved".into()),
                    },
                ],
            })
        }
        Command::SnapshotRevert(r) => SnapshotRevert::wrap(SnapshotReverted {
            id: r.snapshot.clone(),
            timing: timing(),
        }),
        Command::SnapshotRename(_) => SnapshotRename::wrap(Empty {}),
        Command::SnapshotDelete(_) => SnapshotDelete::wrap(Empty {}),
        Command::CdromEject(_) => CdromEject::wrap(Empty {}),
        Command::SetDisplaySize(_) => SetDisplaySize::wrap(Empty {}),
        Command::CdromInsert(_) => CdromInsert::wrap(Empty {}),
        Command::Inspect(_) => Inspect::wrap(Inspection {
            state: "paused".into(),
            vcpus: vec![VcpuView {
                index: 0,
                mode: CpuMode::Long,
                paging: true,
                fresh: true,
                regs: Registers {
                    rip: 0x10_0000,
                    rax: 0x1234,
                    ..Registers::default()
                },
                code: "f4eb fd".into(),
                exits: vec![("io-out".into(), 3)],
                ..VcpuView::default()
            }],
            memory: vec![MemoryRegionView {
                start: 0,
                size: 128 << 20,
                kind: RegionKind::Ram,
                name: "RAM".into(),
                touched_bytes: Some(4096),
                huge_page_bytes: Some(0),
            }],
            devices: vec![DeviceView {
                name: "serial COM1".into(),
                transport: "isa-pio".into(),
                ports: vec![(0x3f8, 0x3ff)],
                irqs: vec![4],
                exits: 9,
                ..DeviceView::default()
            }],
            host: HostView {
                pid: 7,
                rss_bytes: 1 << 20,
                threads: vec![ThreadView {
                    tid: 8,
                    name: "vcpu0".into(),
                    cpu_us: 5,
                    last_cpu: 1,
                }],
            },
        }),
        Command::Step(r) => Step::wrap(Stepped {
            before: Box::new(VcpuView {
                index: r.vcpu,
                ..VcpuView::default()
            }),
            after: Box::new(VcpuView {
                index: r.vcpu,
                mode: CpuMode::Protected,
                ..VcpuView::default()
            }),
            stopped_by: "debug".into(),
        }),
        Command::ExitLog(r) => GetExitLog::wrap(ExitLog {
            next: r.after + 2,
            dropped: 1,
            entries: vec![ExitRecord {
                seq: r.after + 1,
                reason: "io-out".into(),
                addr: 0x3f8,
                size: 1,
                value: Some(0x41),
                device: Some("serial COM1".into()),
                ..ExitRecord::default()
            }],
        }),
    }
}

#[test]
fn every_request_and_reply_round_trips_through_json() {
    let requests = every_request();
    let kinds: HashSet<_> = requests.iter().map(discriminant).collect();
    assert_eq!(kinds.len(), Command::COUNT, "a request is missing here");
    for (i, command) in requests.into_iter().enumerate() {
        let req = Request {
            id: Some(i as u64),
            command,
        };
        let line = serde_json::to_string(&req).unwrap();
        assert_eq!(
            serde_json::from_str::<Request>(&line).unwrap(),
            req,
            "{line}"
        );
        let c = &req.command;

        let ok = Reply::new(req.id, Ok(reply_to(c)));
        let line = serde_json::to_string(&ok).unwrap();
        assert_eq!(c.parse_reply(&line).unwrap(), ok, "{line}");

        let err = Reply::new(
            req.id,
            Err(ApiError::new(ErrorCode::InvalidState, "not now")),
        );
        let line = serde_json::to_string(&err).unwrap();
        assert_eq!(c.parse_reply(&line).unwrap(), err, "{line}");
    }
}

/// A reply decoded for its request's type comes back out only as that type.
#[test]
fn typed_replies_unwrap_only_for_their_request() {
    let r = PowerOff::wrap(PowerOffResult {
        method: "acpi-power-button".into(),
        guest_acknowledged: false,
    });
    assert!(PowerOff::unwrap(r.clone()).is_some());
    assert_eq!(GetStatus::unwrap(r), None);
}

#[test]
fn error_codes_are_the_documented_strings() {
    for (code, s) in [
        (ErrorCode::BadRequest, "bad-request"),
        (ErrorCode::InvalidState, "invalid-state"),
        (ErrorCode::Failed, "failed"),
        (ErrorCode::Internal, "internal"),
    ] {
        assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{s}\""));
        assert_eq!(code.as_str(), s);
        assert_eq!(
            serde_json::from_str::<ErrorCode>(&format!("\"{s}\"")).unwrap(),
            code
        );
    }
}

/// The `` `{...}` `` examples of this module's documentation.
fn documented_examples() -> Vec<String> {
    include_str!("mod.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .flat_map(|l| {
            l.split('`')
                .skip(1)
                .step_by(2)
                .filter(|s| s.starts_with('{'))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_documented_examples_parse() {
    let mut kinds = HashSet::new();
    let (mut events, mut hellos) = (0, 0);
    for ex in documented_examples() {
        if ex.starts_with(r#"{"cmd""#) {
            let r: Request = serde_json::from_str(&ex).unwrap_or_else(|e| panic!("{ex}: {e}"));
            kinds.insert(discriminant(&r.command));
        } else if ex.starts_with(r#"{"event""#) {
            serde_json::from_str::<Event>(&ex).unwrap_or_else(|e| panic!("{ex}: {e}"));
            events += 1;
        } else if ex.starts_with(r#"{"protocol""#) {
            let h: Hello = serde_json::from_str(&ex).unwrap_or_else(|e| panic!("{ex}: {e}"));
            assert_eq!((h.protocol.as_str(), h.version), (PROTOCOL, VERSION));
            assert_eq!(h.check(), Ok(()));
            hellos += 1;
        }
    }
    assert_eq!(kinds.len(), Command::COUNT, "a request is not documented");
    assert_eq!((events, hellos), (3, 1));
    // The error reply example, and a result in the documented envelope.
    let err = r#"{"id":1,"ok":false,"error":{"code":"bad-request","message":"..."}}"#;
    let r = Command::from(GetStatus {}).parse_reply(err).unwrap();
    assert_eq!(r.id, Some(1));
    assert_eq!(r.into_result().unwrap_err().code, ErrorCode::BadRequest);
    let ok = r#"{"id":1,"ok":true,"result":{}}"#;
    let r = Command::from(Kill {}).parse_reply(ok).unwrap();
    assert_eq!(r.into_result(), Ok(Response::Kill(Empty {})));
}

#[test]
fn requests_parse_from_the_documented_json() {
    let r: Request = serde_json::from_str(r#"{"id":7,"cmd":"power-off"}"#).unwrap();
    assert_eq!(r.id, Some(7));
    assert_eq!(r.command, Command::PowerOff(PowerOff {}));
    let r: Request =
        serde_json::from_str(r#"{"cmd":"subscribe","topics":["serial","events"]}"#).unwrap();
    assert_eq!(
        r.command,
        Command::Subscribe(Subscribe {
            topics: vec![Topic::Serial, Topic::Events]
        })
    );
    assert!(serde_json::from_str::<Request>(r#"{"cmd":"explode"}"#).is_err());
    // Fields a command does not take are ignored, as they always were.
    let r: Request = serde_json::from_str(r#"{"cmd":"status","verbose":true}"#).unwrap();
    assert_eq!(r.command, Command::Status(GetStatus {}));
}

#[test]
fn snapshot_timings_sit_beside_the_id_on_the_wire() {
    let c = SnapshotCreated {
        id: "x".into(),
        timing: Timing {
            total_ms: 1.5,
            paused_ms: 0.5,
            memory_pages: 3,
            precopy_ms: 2.5,
            recopied_pages: 7,
        },
    };
    assert_eq!(
        serde_json::to_string(&c).unwrap(),
        r#"{"id":"x","total_ms":1.5,"paused_ms":0.5,"memory_pages":3,"precopy_ms":2.5,"recopied_pages":7}"#
    );
    // Replies of VMMs from before the pre-copy still read.
    let old: SnapshotCreated =
        serde_json::from_str(r#"{"id":"x","total_ms":1.5,"paused_ms":0.5,"memory_pages":3}"#)
            .unwrap();
    assert_eq!(old.timing.recopied_pages, 0);
}

#[test]
fn a_hello_of_another_version_is_refused_clearly() {
    let h = Hello {
        protocol: PROTOCOL.into(),
        version: 1,
        vm_id: "demo".into(),
        pid: 7,
    };
    let e = h.check().unwrap_err();
    assert!(
        e.contains("version 1") && e.contains(&format!("version {VERSION}")),
        "{e}"
    );
    let h = Hello {
        protocol: "http".into(),
        ..h
    };
    assert!(h.check().unwrap_err().contains("http"));
}

#[test]
fn counters_from_an_older_vmm_still_parse() {
    // A VMM from before the CPU, memory and disk fields: they default to zero/empty.
    let c: Counters = serde_json::from_str(
        r#"{"uptime_ms":5,"exits":[["io-out",3]],"per_vcpu":[],"dropped_events":0}"#,
    )
    .unwrap();
    assert_eq!(c.exits, vec![("io-out".to_string(), 3)]);
    assert_eq!((c.process_user_us, c.rss_bytes), (0, 0));
    assert!(c.disks.is_empty() && c.vcpu_cpu_us.is_empty());
    let d: DiskCounters = serde_json::from_str(r#"{"read_bytes":512}"#).unwrap();
    assert_eq!(d.read_bytes, 512);
    assert_eq!(d.write_bytes, 0);
    let n: NicCounters = serde_json::from_str(r#"{"rx_bytes":64}"#).unwrap();
    assert_eq!((n.rx_bytes, n.tx_bytes), (64, 0));
}

#[test]
fn confinement_in_status_is_as_documented_and_optional() {
    let c = Confinement {
        seccomp: SeccompMode::On,
        filters: 14,
        landlock: "abi v7".into(),
    };
    assert_eq!(
        serde_json::to_string(&c).unwrap(),
        r#"{"seccomp":"on","filters":14,"landlock":"abi v7"}"#
    );
    // A VMM from before issue 17 says nothing about it.
    let s: Status = serde_json::from_str(
        r#"{"vm_id":"a","name":"A","state":"running","vcpus":1,"memory_mib":64,
            "uptime_ms":1,"pid":2,"hardware_virtualization":false}"#,
    )
    .unwrap();
    assert_eq!(s.confinement, None);
    let v = serde_json::to_value(status(RunState::Running)).unwrap();
    assert_eq!(v["confinement"]["seccomp"], "log");
}

#[test]
fn events_serialize_as_documented() {
    let e = Event::State {
        state: RunState::Paused,
    };
    assert_eq!(
        serde_json::to_string(&e).unwrap(),
        r#"{"event":"state","state":"paused"}"#
    );
}

#[test]
fn commands_are_named_never_numbered() {
    // serde would take a variant's index for its name: 5 = kill, 6 = reset.
    for line in [
        r#"{"cmd":5}"#,
        r#"{"cmd":6,"id":1}"#,
        r#"{"cmd":0}"#,
        r#"{"cmd":true}"#,
        r#"{"cmd":null}"#,
        r#"{"cmd":["kill"]}"#,
    ] {
        let err = serde_json::from_str::<Request>(line).expect_err(line);
        assert!(err.to_string().contains("cmd"), "{line}: {err}");
    }
    for line in [r#"{"topics":[0]}"#, r#"{"topics":[1]}"#] {
        assert!(
            serde_json::from_str::<Subscribe>(line).is_err(),
            "topic by index: {line}"
        );
    }
    let r: Request = serde_json::from_str(r#"{"id":7,"cmd":"kill","extra":1}"#).unwrap();
    assert_eq!((r.id, r.command), (Some(7), Command::Kill(Kill {})));
    let r: Request = serde_json::from_str(r#"{"cmd":"status","id":null}"#).unwrap();
    assert_eq!((r.id, r.command), (None, Command::Status(GetStatus {})));
    assert!(serde_json::from_str::<Request>(r#"{"id":1}"#).is_err());
    assert!(serde_json::from_str::<Request>(r#"{"cmd":"kill","id":"x"}"#).is_err());
}
