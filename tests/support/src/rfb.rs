//! A raw RFB 3.8 client written from RFC 6143, shared by the VNC tests (`tests/vnc.rs`) and
//! the VNC benchmark (`benches/vnc.rs`): handshake (no auth or VNC auth),
//! SetPixelFormat, SetEncodings, SetDesktopSize, update requests, and Raw / ZRLE / DesktopSize
//! / ExtendedDesktopSize / Cursor decoding into `fb`, `desktop` and `cursor`. It panics on
//! protocol errors: it serves tests and benchmarks, not users.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use flate2::{Decompress, FlushDecompress};
use vmm_core::display::vnc::proto::{
    PixelFormat, Screen, ENCODING_CURSOR, ENCODING_DESKTOP_SIZE, ENCODING_RAW, ENCODING_ZRLE,
};
use vmm_core::display::Rect;

/// The ExtendedDesktopSize pseudo-encoding (RFB community extension), for the benches' use.
pub use vmm_core::display::vnc::proto::ENCODING_EXTENDED_DESKTOP_SIZE;

pub trait Conn: Read + Write + Send {
    fn set_timeout(&self, t: Option<Duration>);
    fn shutdown_write(&self);
}
impl Conn for TcpStream {
    fn set_timeout(&self, t: Option<Duration>) {
        self.set_read_timeout(t).unwrap();
    }
    fn shutdown_write(&self) {
        self.shutdown(std::net::Shutdown::Write).unwrap();
    }
}
impl Conn for UnixStream {
    fn set_timeout(&self, t: Option<Duration>) {
        self.set_read_timeout(t).unwrap();
    }
    fn shutdown_write(&self) {
        self.shutdown(std::net::Shutdown::Write).unwrap();
    }
}

pub struct Client {
    pub s: Box<dyn Conn>,
    pub w: u32,
    pub h: u32,
    pub name: String,
    pub pf: PixelFormat,
    /// Pixel values in the client's format.
    pub fb: Vec<u32>,
    pub z: Decompress,
    /// ExtendedDesktopSize rectangles received, oldest first.
    pub desktop: Vec<DesktopSize>,
    /// The last Cursor pseudo-rectangle received.
    pub cursor: Option<CursorRect>,
}

/// An ExtendedDesktopSize rectangle as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesktopSize {
    pub reason: u16,
    pub status: u16,
    pub w: u32,
    pub h: u32,
    pub screens: Vec<Screen>,
}

/// A Cursor pseudo-rectangle: hot spot, size, pixels in the client's format, bitmask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorRect {
    pub hot_x: u32,
    pub hot_y: u32,
    pub w: u32,
    pub h: u32,
    pub pixels: Vec<u32>,
    pub mask: Vec<u8>,
}

impl CursorRect {
    /// Whether the bitmask marks pixel (x, y) valid.
    pub fn opaque(&self, x: u32, y: u32) -> bool {
        let row = self.w.div_ceil(8);
        self.mask[(y * row + x / 8) as usize] & (0x80 >> (x % 8)) != 0
    }
}

pub fn rd<const N: usize>(s: &mut dyn Conn) -> io::Result<[u8; N]> {
    let mut b = [0u8; N];
    s.read_exact(&mut b)?;
    Ok(b)
}

pub fn rd_u32(s: &mut dyn Conn) -> io::Result<u32> {
    Ok(u32::from_be_bytes(rd::<4>(s)?))
}

impl Client {
    pub fn tcp(addr: SocketAddr, password: Option<&str>) -> io::Result<Client> {
        let s = TcpStream::connect(addr)?;
        Client::handshake(Box::new(s), b"RFB 003.008\n", password)
    }

    pub fn unix(path: &Path) -> io::Result<Client> {
        let s = UnixStream::connect(path)?;
        Client::handshake(Box::new(s), b"RFB 003.008\n", None)
    }

    pub fn handshake(
        mut s: Box<dyn Conn>,
        version: &[u8; 12],
        password: Option<&str>,
    ) -> io::Result<Client> {
        s.set_timeout(Some(Duration::from_secs(10)));
        let v = rd::<12>(&mut *s)?;
        assert_eq!(&v, b"RFB 003.008\n");
        s.write_all(version)?;
        let sec = if version == b"RFB 003.003\n" {
            rd_u32(&mut *s)? as u8
        } else {
            let n = rd::<1>(&mut *s)?[0];
            let mut types = vec![0u8; n as usize];
            s.read_exact(&mut types)?;
            assert_eq!(types.len(), 1);
            s.write_all(&types)?;
            types[0]
        };
        match sec {
            1 => {
                assert!(password.is_none(), "server offered no authentication");
                if version == b"RFB 003.008\n" {
                    assert_eq!(rd_u32(&mut *s)?, 0);
                }
            }
            2 => {
                let challenge = rd::<16>(&mut *s)?;
                let resp = vmm_core::display::vnc::auth::vnc_auth_response(
                    password.expect("server wants a password"),
                    &challenge,
                );
                s.write_all(&resp)?;
                if rd_u32(&mut *s)? != 0 {
                    let mut reason = String::new();
                    if version == b"RFB 003.008\n" {
                        let n = rd_u32(&mut *s)?;
                        let mut r = vec![0u8; n as usize];
                        s.read_exact(&mut r)?;
                        reason = String::from_utf8_lossy(&r).into_owned();
                    }
                    return Err(io::Error::new(io::ErrorKind::PermissionDenied, reason));
                }
            }
            other => panic!("security type {other}"),
        }
        s.write_all(&[1])?; // shared
        let init = rd::<20>(&mut *s)?;
        let w = u32::from(u16::from_be_bytes([init[0], init[1]]));
        let h = u32::from(u16::from_be_bytes([init[2], init[3]]));
        let pf = PixelFormat::from_bytes(init[4..20].try_into().unwrap());
        let n = rd_u32(&mut *s)?;
        let mut name = vec![0u8; n as usize];
        s.read_exact(&mut name)?;
        Ok(Client {
            s,
            w,
            h,
            name: String::from_utf8(name).unwrap(),
            pf,
            fb: vec![0; (w * h) as usize],
            z: Decompress::new(true),
            desktop: Vec::new(),
            cursor: None,
        })
    }

    pub fn set_pixel_format(&mut self, pf: PixelFormat) {
        let mut m = vec![0u8, 0, 0, 0];
        m.extend_from_slice(&pf.to_bytes());
        self.s.write_all(&m).unwrap();
        self.pf = pf;
    }

    pub fn set_encodings(&mut self, encs: &[i32]) {
        let mut m = vec![2u8, 0];
        m.extend_from_slice(&(encs.len() as u16).to_be_bytes());
        for e in encs {
            m.extend_from_slice(&e.to_be_bytes());
        }
        self.s.write_all(&m).unwrap();
    }

    pub fn request(&mut self, incremental: bool) {
        let mut m = vec![3u8, incremental as u8, 0, 0, 0, 0];
        m.extend_from_slice(&(self.w as u16).to_be_bytes());
        m.extend_from_slice(&(self.h as u16).to_be_bytes());
        self.s.write_all(&m).unwrap();
    }

    /// SetDesktopSize for `w` x `h` with these screens.
    pub fn set_desktop_size(&mut self, w: u16, h: u16, screens: &[Screen]) {
        let mut m = vec![251u8, 0];
        m.extend_from_slice(&w.to_be_bytes());
        m.extend_from_slice(&h.to_be_bytes());
        m.extend_from_slice(&[screens.len() as u8, 0]);
        for s in screens {
            m.extend_from_slice(&s.to_bytes());
        }
        self.s.write_all(&m).unwrap();
    }

    pub fn key(&mut self, keysym: u32, down: bool) {
        let mut m = vec![4u8, down as u8, 0, 0];
        m.extend_from_slice(&keysym.to_be_bytes());
        self.s.write_all(&m).unwrap();
    }

    pub fn bpp(&self) -> usize {
        usize::from(self.pf.bits_per_pixel / 8)
    }

    pub fn pixel(&self, b: &[u8]) -> u32 {
        match (b.len(), self.pf.big_endian) {
            (1, _) => u32::from(b[0]),
            (2, false) => u32::from(u16::from_le_bytes([b[0], b[1]])),
            (2, true) => u32::from(u16::from_be_bytes([b[0], b[1]])),
            (_, false) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            (_, true) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        }
    }

    /// RFC 6143 7.7.6: CPIXEL is 3 bytes for 32-bit true colour of depth <= 24 whose
    /// colour bits fit in the low or high 3 bytes.
    pub fn cpixel_len(&self) -> (usize, bool) {
        let pf = &self.pf;
        let mask = (u32::from(pf.red_max) << pf.red_shift)
            | (u32::from(pf.green_max) << pf.green_shift)
            | (u32::from(pf.blue_max) << pf.blue_shift);
        if pf.bits_per_pixel == 32 && pf.depth <= 24 {
            if mask & 0xff00_0000 == 0 {
                return (3, true);
            }
            if mask & 0xff == 0 {
                return (3, false);
            }
        }
        (self.bpp(), false)
    }

    pub fn cpixel(&self, b: &[u8]) -> u32 {
        let (n, low) = self.cpixel_len();
        if n != 3 {
            return self.pixel(b);
        }
        let (b0, b1, b2) = (u32::from(b[0]), u32::from(b[1]), u32::from(b[2]));
        match (low, self.pf.big_endian) {
            (true, false) => b0 | b1 << 8 | b2 << 16,
            (true, true) => b0 << 16 | b1 << 8 | b2,
            (false, false) => b0 << 8 | b1 << 16 | b2 << 24,
            (false, true) => b0 << 24 | b1 << 16 | b2 << 8,
        }
    }

    /// Reads one FramebufferUpdate into `fb`; returns its rectangles.
    pub fn read_update(&mut self) -> io::Result<Vec<(Rect, i32)>> {
        let head = rd::<4>(&mut *self.s)?;
        assert_eq!(head[0], 0, "message type");
        let n = u16::from_be_bytes([head[2], head[3]]);
        let mut rects = vec![];
        for _ in 0..n {
            let h = rd::<12>(&mut *self.s)?;
            let f = |i: usize| u32::from(u16::from_be_bytes([h[i], h[i + 1]]));
            let r = Rect {
                x: f(0),
                y: f(2),
                w: f(4),
                h: f(6),
            };
            let enc = i32::from_be_bytes([h[8], h[9], h[10], h[11]]);
            match enc {
                ENCODING_RAW => {
                    let mut data = vec![0u8; (r.w * r.h) as usize * self.bpp()];
                    self.s.read_exact(&mut data)?;
                    let px: Vec<u32> = data.chunks(self.bpp()).map(|b| self.pixel(b)).collect();
                    self.put(r, &px);
                }
                ENCODING_ZRLE => {
                    let len = rd_u32(&mut *self.s)? as usize;
                    let mut data = vec![0u8; len];
                    self.s.read_exact(&mut data)?;
                    let plain = inflate(&mut self.z, &data);
                    let px = self.decode_zrle(&plain, r.w as usize, r.h as usize);
                    self.put(r, &px);
                }
                ENCODING_DESKTOP_SIZE => {
                    self.w = r.w;
                    self.h = r.h;
                    self.fb = vec![0; (r.w * r.h) as usize];
                }
                ENCODING_EXTENDED_DESKTOP_SIZE => {
                    let head = rd::<4>(&mut *self.s)?;
                    let mut screens = Vec::new();
                    for _ in 0..head[0] {
                        let b = rd::<16>(&mut *self.s)?;
                        let u16_at = |i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
                        screens.push(Screen {
                            id: u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
                            x: u16_at(4),
                            y: u16_at(6),
                            w: u16_at(8),
                            h: u16_at(10),
                            flags: u32::from_be_bytes([b[12], b[13], b[14], b[15]]),
                        });
                    }
                    let (reason, status) = (r.x as u16, r.y as u16);
                    // A refused request's size is not a new one.
                    if (reason != 1 || status == 0) && (r.w, r.h) != (self.w, self.h) {
                        self.w = r.w;
                        self.h = r.h;
                        self.fb = vec![0; (r.w * r.h) as usize];
                    }
                    self.desktop.push(DesktopSize {
                        reason,
                        status,
                        w: r.w,
                        h: r.h,
                        screens,
                    });
                }
                ENCODING_CURSOR => {
                    let mut data = vec![0u8; (r.w * r.h) as usize * self.bpp()];
                    self.s.read_exact(&mut data)?;
                    let pixels = data.chunks(self.bpp()).map(|b| self.pixel(b)).collect();
                    let mut mask = vec![0u8; (r.w.div_ceil(8) * r.h) as usize];
                    self.s.read_exact(&mut mask)?;
                    self.cursor = Some(CursorRect {
                        hot_x: r.x,
                        hot_y: r.y,
                        w: r.w,
                        h: r.h,
                        pixels,
                        mask,
                    });
                }
                e => panic!("unexpected encoding {e}"),
            }
            rects.push((r, enc));
        }
        Ok(rects)
    }

    pub fn put(&mut self, r: Rect, px: &[u32]) {
        for y in 0..r.h {
            for x in 0..r.w {
                self.fb[((r.y + y) * self.w + r.x + x) as usize] = px[(y * r.w + x) as usize];
            }
        }
    }

    pub fn decode_zrle(&self, d: &[u8], w: usize, h: usize) -> Vec<u32> {
        let cp = self.cpixel_len().0;
        let mut out = vec![0u32; w * h];
        let mut cur = Cursor { d, i: 0 };
        for ty in (0..h).step_by(64) {
            for tx in (0..w).step_by(64) {
                let (tw, th) = (64.min(w - tx), 64.min(h - ty));
                let mut tile = Vec::with_capacity(tw * th);
                let sub = cur.take(1)[0];
                match sub {
                    0 => {
                        for _ in 0..tw * th {
                            tile.push(self.cpixel(cur.take(cp)));
                        }
                    }
                    1 => {
                        let c = self.cpixel(cur.take(cp));
                        tile.resize(tw * th, c);
                    }
                    2..=16 => {
                        let pal: Vec<u32> = (0..sub).map(|_| self.cpixel(cur.take(cp))).collect();
                        let bits = match sub {
                            2 => 1,
                            3 | 4 => 2,
                            _ => 4,
                        };
                        for _ in 0..th {
                            let row = cur.take((tw * bits).div_ceil(8));
                            for x in 0..tw {
                                let bit = x * bits;
                                let idx =
                                    (row[bit / 8] >> (8 - bits - bit % 8)) & ((1 << bits) - 1);
                                tile.push(pal[usize::from(idx)]);
                            }
                        }
                    }
                    128 => {
                        while tile.len() < tw * th {
                            let c = self.cpixel(cur.take(cp));
                            let n = cur.run_len();
                            tile.extend(std::iter::repeat_n(c, n));
                        }
                    }
                    130..=255 => {
                        let pal: Vec<u32> =
                            (0..sub - 128).map(|_| self.cpixel(cur.take(cp))).collect();
                        while tile.len() < tw * th {
                            let b = cur.take(1)[0];
                            let c = pal[usize::from(b & 127)];
                            let n = if b & 128 != 0 { cur.run_len() } else { 1 };
                            tile.extend(std::iter::repeat_n(c, n));
                        }
                    }
                    s => panic!("bad ZRLE subencoding {s}"),
                }
                assert_eq!(tile.len(), tw * th, "run overflows tile");
                for y in 0..th {
                    for x in 0..tw {
                        out[(ty + y) * w + tx + x] = tile[y * tw + x];
                    }
                }
            }
        }
        assert_eq!(cur.i, d.len(), "trailing ZRLE data");
        out
    }

    /// Bytes that arrive within `t` (0 if none).
    pub fn bytes_within(&mut self, t: Duration) -> usize {
        self.s.set_timeout(Some(t));
        let mut b = [0u8; 4096];
        let n = match self.s.read(&mut b) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                0
            }
            Err(e) => panic!("read: {e}"),
        };
        self.s.set_timeout(Some(Duration::from_secs(10)));
        n
    }
}

pub struct Cursor<'a> {
    pub d: &'a [u8],
    pub i: usize,
}

impl<'a> Cursor<'a> {
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.d[self.i..self.i + n];
        self.i += n;
        s
    }

    /// A ZRLE run length: 255s, then the remainder, plus one.
    pub fn run_len(&mut self) -> usize {
        let mut len = 1;
        loop {
            let b = self.take(1)[0];
            len += usize::from(b);
            if b != 255 {
                return len;
            }
        }
    }
}

pub fn inflate(z: &mut Decompress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 4 + 1024);
    let mut pos = 0;
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity());
        }
        let before = z.total_in();
        z.decompress_vec(&data[pos..], &mut out, FlushDecompress::Sync)
            .expect("inflate");
        pos += (z.total_in() - before) as usize;
        if pos == data.len() && out.len() < out.capacity() {
            return out;
        }
    }
}
