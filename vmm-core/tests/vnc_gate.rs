//! The VNC server against hostile local clients (issue 17 #5): connections that never finish
//! the handshake, ones that trickle it byte by byte, and password guessing from many
//! connections at once.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use vmdesk_test_support::rfb::Client;
use vmm_core::display::vnc::{serve_tcp, serve_unix, VncOptions, VncServer};
use vmm_core::display::{DamageBus, DisplayHandle, FrameSource, InputSink, Rect};

struct Grey;

impl FrameSource for Grey {
    fn width(&self) -> u32 {
        32
    }
    fn height(&self) -> u32 {
        24
    }
    fn read_rect(&self, r: Rect, out: &mut Vec<u8>) {
        out.clear();
        out.resize((r.w * r.h * 4) as usize, 0x80);
    }
}

struct Nowhere;

impl InputSink for Nowhere {
    fn key(&self, _: u16, _: bool) {}
    fn pointer(&self, _: u32, _: u32, _: u8) {}
}

fn display() -> DisplayHandle {
    DisplayHandle {
        frame: Arc::new(Grey),
        input: Arc::new(Nowhere),
        damage: Arc::new(DamageBus::default()),
        resize: None,
        cursor: None,
    }
}

fn opts(handshake: Duration) -> VncOptions {
    VncOptions {
        vm_name: "gate".into(),
        handshake_timeout: handshake,
        ..VncOptions::default()
    }
}

fn tcp(password: Option<&str>, handshake: Duration) -> VncServer {
    serve_tcp(
        "127.0.0.1:0".parse().unwrap(),
        password.map(String::from),
        display(),
        opts(handshake),
    )
    .unwrap()
}

/// Connects and gets the screen size, within `within`.
fn connects_within(within: Duration, connect: impl FnOnce() -> std::io::Result<Client>) {
    let t0 = Instant::now();
    let c = connect().expect("a real client gets in");
    assert_eq!((c.w, c.h), (32, 24));
    assert!(t0.elapsed() < within, "took {:?} to get in", t0.elapsed());
}

#[test]
fn half_open_connections_never_lock_a_real_client_out() {
    let server = tcp(None, Duration::from_secs(30));
    let addr = server.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("vnc.sock");
    let unix = serve_unix(&sock, display(), opts(Duration::from_secs(30))).unwrap();
    // 40 connections on each listener that never answer the server's version, and 40 that
    // stop after theirs: more than every slot there is.
    let mut idle = Vec::new();
    for i in 0..40 {
        let mut t = TcpStream::connect(addr).unwrap();
        let mut u = UnixStream::connect(&sock).unwrap();
        if i % 2 == 0 {
            let mut v = [0u8; 12];
            t.read_exact(&mut v).unwrap();
            t.write_all(b"RFB 003.008\n").unwrap();
            u.read_exact(&mut v).unwrap();
            u.write_all(b"RFB 003.008\n").unwrap();
        }
        idle.push((t, u));
    }
    connects_within(Duration::from_secs(5), || Client::tcp(addr, None));
    connects_within(Duration::from_secs(5), || Client::unix(&sock));
    drop(idle);
    drop(unix);
}

#[test]
fn a_handshake_trickled_byte_by_byte_ends_at_the_deadline() {
    let server = tcp(None, Duration::from_secs(1));
    let mut s = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    let mut v = [0u8; 12];
    s.read_exact(&mut v).unwrap();
    let t0 = Instant::now();
    // One byte of "RFB 003.008\n" every 200 ms: each read is quick, the whole is too slow
    // (2 s against a 1 s deadline).
    for b in b"RFB 003.00" {
        std::thread::sleep(Duration::from_millis(200));
        let _ = s.write_all(&[*b]);
    }
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    match s.read(&mut [0u8; 1]) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("the server still waits after {:?}: {other:?}", t0.elapsed()),
    }
}

#[test]
fn password_guessing_from_many_connections_is_locked_out_even_for_the_right_one() {
    let server = tcp(Some("s3cret"), Duration::from_secs(30));
    let addr = server.local_addr().unwrap();
    // Ten guesses, eight at once (every handshake slot) then two, as a guesser with many
    // connections would.
    for wave in [8, 2] {
        let guesses: Vec<_> = (0..wave)
            .map(|i| {
                std::thread::spawn(move || {
                    let e = Client::tcp(addr, Some(&format!("guess{i}"))).err();
                    e.expect("a wrong password is refused").kind()
                })
            })
            .collect();
        for g in guesses {
            assert_eq!(g.join().unwrap(), std::io::ErrorKind::PermissionDenied);
        }
    }
    // Locked out now: the right password is refused too, with the reason.
    let e = Client::tcp(addr, Some("s3cret")).err().expect("locked out");
    assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
    assert!(e.to_string().contains("too many wrong passwords"), "{e}");
    assert_eq!(server.stats().auth_failures, 11);
}
