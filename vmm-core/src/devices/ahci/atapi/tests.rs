//! The drive alone: packets in, outcomes and sense out.

use super::*;

pub(crate) fn iso(dir: &Path, blocks: u64) -> PathBuf {
    let p = dir.join("disc.iso");
    let mut img = vec![0u8; (blocks * BLOCK) as usize];
    for (i, b) in img.chunks_mut(BLOCK as usize).enumerate() {
        b[0] = i as u8;
    }
    std::fs::write(&p, img).unwrap();
    p
}

fn cdb(bytes: &[u8]) -> [u8; 12] {
    let mut c = [0u8; 12];
    c[..bytes.len()].copy_from_slice(bytes);
    c
}

fn sense_of(a: &mut Atapi) -> (u8, u8) {
    match a.packet(&cdb(&[0x03, 0, 0, 0, 18])) {
        Outcome::Data(d) => (d[2], d[12]),
        o => panic!("{o:?}"),
    }
}

#[test]
fn an_empty_drive_is_not_ready_and_says_why() {
    let mut a = Atapi::new(None);
    assert!(matches!(a.packet(&cdb(&[0x00])), Outcome::Error(_)));
    assert_eq!(sense_of(&mut a), (NOT_READY, ASC_MEDIUM_NOT_PRESENT));
    // Sense is cleared once reported.
    assert_eq!(sense_of(&mut a), (NO_SENSE, 0));
    assert!(matches!(a.packet(&cdb(&[0x25])), Outcome::Error(_)));
    let Outcome::Data(inq) = a.packet(&cdb(&[0x12, 0, 0, 0, 36])) else {
        panic!()
    };
    assert_eq!((inq[0], inq[1]), (5, 0x80));
}

#[test]
fn reads_capacity_and_toc_follow_the_image_and_ranges_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Atapi::new(Some(Medium::open(&iso(dir.path(), 20)).unwrap()));
    assert_eq!(a.packet(&cdb(&[0x00])), Outcome::Data(vec![]));
    assert_eq!(
        a.packet(&cdb(&[0x25])),
        Outcome::Data(vec![0, 0, 0, 19, 0, 0, 8, 0])
    );
    assert_eq!(
        a.packet(&cdb(&[0x28, 0, 0, 0, 0, 18, 0, 0, 2])),
        Outcome::Read { lba: 18, blocks: 2 }
    );
    let mut buf = vec![0u8; 2 * BLOCK as usize];
    a.read(18, &mut buf).unwrap();
    assert_eq!((buf[0], buf[BLOCK as usize]), (18, 19));
    // One block past the end; a huge READ(12).
    assert!(matches!(
        a.packet(&cdb(&[0x28, 0, 0, 0, 0, 19, 0, 0, 2])),
        Outcome::Error(_)
    ));
    assert!(matches!(
        a.packet(&cdb(&[
            0xa8, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
        ])),
        Outcome::Error(Sense {
            key: ILLEGAL_REQUEST,
            ..
        })
    ));
    let Outcome::Data(toc) = a.packet(&cdb(&[0x43, 0, 0, 0, 0, 0, 0, 0, 100])) else {
        panic!()
    };
    assert_eq!(toc.len(), 20);
    assert_eq!(&toc[14..20], &[0xaa, 0, 0, 0, 0, 20]);
    // Allocation length cuts replies.
    let Outcome::Data(toc) = a.packet(&cdb(&[0x43, 2, 0, 0, 0, 0, 0, 0, 4])) else {
        panic!()
    };
    assert_eq!(toc, [0, 18, 1, 1]);
}

#[test]
fn a_vanished_image_is_a_medium_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = iso(dir.path(), 20);
    let mut a = Atapi::new(Some(Medium::open(&p).unwrap()));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(BLOCK)
        .unwrap();
    let mut buf = vec![0u8; BLOCK as usize];
    assert_eq!(a.read(10, &mut buf).unwrap_err().key, MEDIUM_ERROR);
    assert_eq!(sense_of(&mut a), (MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR));
}

#[test]
fn a_medium_change_is_a_unit_attention_once_and_a_locked_tray_stays_shut() {
    let dir = tempfile::tempdir().unwrap();
    let p = iso(dir.path(), 4);
    let mut a = Atapi::new(None);
    a.insert(Medium::open(&p).unwrap()).unwrap();
    assert_eq!(
        a.packet(&cdb(&[0x00])),
        Outcome::Error(Sense::new(UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED, 0))
    );
    assert_eq!(a.packet(&cdb(&[0x00])), Outcome::Data(vec![]));
    // The guest locks: neither the host nor the guest can eject.
    a.packet(&cdb(&[0x1e, 0, 0, 0, 1]));
    assert!(a.eject().unwrap_err().contains("locked"));
    assert!(matches!(
        a.packet(&cdb(&[0x1b, 0, 0, 0, 2])),
        Outcome::Error(Sense { key: NOT_READY, .. })
    ));
    a.packet(&cdb(&[0x1e, 0, 0, 0, 0]));
    // The guest opens the tray: not ready; closing it again is a medium change.
    assert_eq!(a.packet(&cdb(&[0x1b, 0, 0, 0, 2])), Outcome::Data(vec![]));
    assert!(matches!(a.packet(&cdb(&[0x00])), Outcome::Error(_)));
    a.packet(&cdb(&[0x1b, 0, 0, 0, 3]));
    assert!(matches!(
        a.packet(&cdb(&[0x00])),
        Outcome::Error(Sense {
            key: UNIT_ATTENTION,
            ..
        })
    ));
    a.eject().unwrap();
    let Outcome::Data(ev) = a.packet(&cdb(&[0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8])) else {
        panic!()
    };
    assert_eq!(&ev[4..6], &[3, 0], "media removal, no medium");
    let s = a.save();
    let mut b = Atapi::new(Some(Medium::open(&p).unwrap()));
    b.restore(&s).unwrap();
    assert!(b.medium().is_none());
    let mut s2 = s.clone();
    s2.medium = Some(dir.path().join("gone.iso"));
    assert!(b.restore(&s2).unwrap_err().contains("gone.iso"));
}

#[test]
fn a_big_image_is_a_dvd_and_a_small_one_a_cd() {
    let dir = tempfile::tempdir().unwrap();
    let small = iso(dir.path(), 4);
    let big = dir.path().join("dvd.iso");
    // Sparse: costs no disk space.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    let profile = |a: &mut Atapi| match a.packet(&cdb(&[0x46, 0, 0, 0, 0, 0, 0, 0, 8])) {
        Outcome::Data(d) => u16::from_be_bytes([d[6], d[7]]),
        o => panic!("{o:?}"),
    };
    let structure = [0xad, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0];
    let mut cd = Atapi::new(Some(Medium::open(&small).unwrap()));
    assert_eq!(profile(&mut cd), 0x0008);
    assert!(matches!(cd.packet(&structure), Outcome::Error(_)));
    let mut dvd = Atapi::new(Some(Medium::open(&big).unwrap()));
    assert_eq!(profile(&mut dvd), 0x0010);
    let Outcome::Data(d) = dvd.packet(&structure) else {
        panic!()
    };
    assert_eq!((d.len(), d[4]), (20, 0x01));
    assert_eq!(profile(&mut Atapi::new(None)), 0);
}

#[test]
fn every_opcode_with_hostile_fields_answers_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Atapi::new(Some(Medium::open(&iso(dir.path(), 3)).unwrap()));
    for op in 0..=255u8 {
        for fill in [0u8, 0x01, 0x3f, 0xc0, 0xff] {
            let mut c = [fill; 12];
            c[0] = op;
            match a.packet(&c) {
                Outcome::Data(d) => assert!(d.len() <= MAX_REPLY),
                Outcome::Read { lba, blocks } => {
                    assert!(lba + u64::from(blocks) <= 3)
                }
                Outcome::Error(_) => {}
            }
        }
    }
}
