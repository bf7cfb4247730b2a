//! The guest's screen: a linear XRGB8888 framebuffer in its own memslot, what changed in it
//! (from KVM dirty logging), and the input that comes back (keys, absolute pointer).
//!
//! The VMM's display thread polls the dirty log and publishes [`Damage`]; front ends (the VNC
//! server) read pixels through [`FrameSource`] and send input through [`InputSink`].

pub mod framebuffer;
pub mod vnc;

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

/// A rectangle in framebuffer pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Read access to the current frame. Pixels are 32-bit little-endian XRGB8888
/// (byte order in memory: B, G, R, X), rows `stride` bytes apart.
pub trait FrameSource: Send + Sync {
    fn width(&self) -> u32;
    fn height(&self) -> u32;
    /// Copies the rectangle's pixels, row by row, as XRGB8888 (4 bytes each) into `out`
    /// (cleared first). The rectangle is clipped to the frame.
    fn read_rect(&self, r: Rect, out: &mut Vec<u8>);
}

/// Where input from a client goes (the virtio-input keyboard and tablet).
pub trait InputSink: Send + Sync {
    /// An evdev key code (linux/input-event-codes.h), pressed or released.
    fn key(&self, evdev_code: u16, down: bool);
    /// Absolute pointer position in framebuffer pixels, and the button mask
    /// (bit 0 left, bit 1 middle, bit 2 right, bit 3/4 wheel up/down, as RFB sends it).
    fn pointer(&self, x: u32, y: u32, buttons: u8);
}

/// Why a display refused a size ([`DisplayResize::request_size`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResizeError {
    /// The size is not one the display can have (too small, zero).
    Invalid(String),
    /// The size is larger than the display may be.
    TooLarge(String),
}

impl std::fmt::Display for ResizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResizeError::Invalid(m) | ResizeError::TooLarge(m) => f.write_str(m),
        }
    }
}

/// A display whose size the guest can be asked to change (virtio-gpu). Displays without one
/// (the framebuffer, VGA) change size only when the guest sets a mode on its own.
pub trait DisplayResize: Send + Sync {
    /// Forwards a request for `width` x `height` to the guest. The frame changes size later,
    /// if and when the guest's driver sets that mode; front ends see it as a new frame size.
    fn request_size(&self, width: u32, height: u32) -> Result<(), ResizeError>;
}

/// The guest's pointer image, for front ends that draw the pointer themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CursorShape {
    pub w: u32,
    pub h: u32,
    /// The hot spot, inside the image (0, 0 for an empty one).
    pub hot_x: u32,
    pub hot_y: u32,
    /// `w * h` pixels as B, G, R, A bytes; alpha 0 is transparent. Empty while hidden.
    pub pixels: Vec<u8>,
}

/// Where the guest's pointer shape comes from (virtio-gpu's cursor queue).
pub trait CursorSource: Send + Sync {
    /// Changes whenever the shape changes (not when the pointer only moves); 0 while the
    /// guest has never set one.
    fn shape_serial(&self) -> u64;
    /// The shape as of now, and its serial.
    fn shape(&self) -> (CursorShape, u64);
}

/// Fans damage out to clients. Each client accumulates what changed until it asks for an
/// update, so a slow client never blocks the display thread and never misses a change: too
/// many pending rectangles collapse into one full-screen rectangle.
#[derive(Default)]
pub struct DamageBus {
    clients: Mutex<Vec<Weak<ClientDamage>>>,
    /// Signalled when a client subscribes, so the damage source can sleep while nobody watches.
    subscribed: Condvar,
    /// Run when a client subscribes while none is connected (see `on_first_subscriber`).
    first_subscriber: Mutex<Option<FirstSubscriberHook>>,
}

type FirstSubscriberHook = Box<dyn Fn() + Send + Sync>;

/// One client's pending damage.
#[derive(Default)]
pub struct ClientDamage {
    pending: Mutex<Vec<Rect>>,
    cv: Condvar,
}

/// More pending rectangles than this are merged into their bounding box.
const MAX_PENDING_RECTS: usize = 256;

impl DamageBus {
    /// A new client starts with the whole screen pending.
    pub fn subscribe(&self, width: u32, height: u32) -> Arc<ClientDamage> {
        let c = Arc::new(ClientDamage::default());
        c.add(&[Rect {
            x: 0,
            y: 0,
            w: width,
            h: height,
        }]);
        let first = {
            let mut clients = crate::util::lock(&self.clients);
            let first = clients.iter().all(|w| w.strong_count() == 0);
            clients.push(Arc::downgrade(&c));
            self.subscribed.notify_all();
            first
        };
        if first {
            if let Some(hook) = crate::util::lock(&self.first_subscriber).as_ref() {
                hook();
            }
        }
        c
    }

    /// `hook` runs inside `subscribe` when the new client is the only one. The damage source
    /// uses it to forget what changed while nobody watched: the client reads the whole frame
    /// after subscribing, so that damage would only repeat it.
    pub fn on_first_subscriber(&self, hook: impl Fn() + Send + Sync + 'static) {
        *crate::util::lock(&self.first_subscriber) = Some(Box::new(hook));
    }

    /// Adds `rects` to every client's pending damage. An empty rectangle marks nothing but
    /// wakes the clients' writers (virtio-gpu does that when the pointer's shape changes).
    pub fn publish(&self, rects: &[Rect]) {
        if rects.is_empty() {
            return;
        }
        let mut clients = crate::util::lock(&self.clients);
        clients.retain(|w| match w.upgrade() {
            Some(c) => {
                c.add(rects);
                true
            }
            None => false,
        });
    }

    /// Blocks until at least one client is subscribed. (A client that goes away is noticed by
    /// the next `client_count`; no wake-up is needed for that.)
    pub fn wait_for_client(&self) {
        let clients = crate::util::lock(&self.clients);
        let _clients = self
            .subscribed
            .wait_while(clients, |c| c.iter().all(|w| w.strong_count() == 0))
            .unwrap_or_else(|e| e.into_inner());
    }

    pub fn client_count(&self) -> usize {
        crate::util::lock(&self.clients)
            .iter()
            .filter(|w| w.strong_count() > 0)
            .count()
    }
}

impl ClientDamage {
    fn add(&self, rects: &[Rect]) {
        let mut p = crate::util::lock(&self.pending);
        p.extend_from_slice(rects);
        if p.len() > MAX_PENDING_RECTS {
            let b = bounding_box(&p);
            p.clear();
            p.push(b);
        }
        self.cv.notify_all();
    }

    /// Takes what is pending, waiting up to `timeout` for something to arrive.
    /// Returns an empty list on timeout.
    pub fn take(&self, timeout: Duration) -> Vec<Rect> {
        let p = crate::util::lock(&self.pending);
        let (mut p, _) = self
            .cv
            .wait_timeout_while(p, timeout, |p| p.is_empty())
            .unwrap_or_else(|e| e.into_inner());
        std::mem::take(&mut *p)
    }

    /// Marks the whole screen as changed (e.g. after a resize or a client's full request).
    pub fn add_full(&self, width: u32, height: u32) {
        self.add(&[Rect {
            x: 0,
            y: 0,
            w: width,
            h: height,
        }]);
    }
}

pub fn bounding_box(rects: &[Rect]) -> Rect {
    let x0 = rects.iter().map(|r| r.x).min().unwrap_or(0);
    let y0 = rects.iter().map(|r| r.y).min().unwrap_or(0);
    let x1 = rects.iter().map(|r| r.x + r.w).max().unwrap_or(0);
    let y1 = rects.iter().map(|r| r.y + r.h).max().unwrap_or(0);
    Rect {
        x: x0,
        y: y0,
        w: x1 - x0,
        h: y1 - y0,
    }
}

/// Everything a display front end needs.
#[derive(Clone)]
pub struct DisplayHandle {
    pub frame: Arc<dyn FrameSource>,
    pub input: Arc<dyn InputSink>,
    pub damage: Arc<DamageBus>,
    /// Set where clients may ask for another size (VNC SetDesktopSize).
    pub resize: Option<Arc<dyn DisplayResize>>,
    /// Set where the guest has a pointer image of its own (VNC Cursor pseudo-encoding).
    pub cursor: Option<Arc<dyn CursorSource>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_for_client_returns_once_someone_subscribes() {
        let bus = Arc::new(DamageBus::default());
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let bus = bus.clone();
            std::thread::spawn(move || {
                bus.wait_for_client();
                tx.send(()).unwrap();
            })
        };
        // Still waiting: nobody has subscribed.
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
        let client = bus.subscribe(8, 8);
        rx.recv_timeout(Duration::from_secs(5))
            .expect("subscribe wakes the waiter");
        waiter.join().unwrap();
        // A client that is gone no longer counts, so the waiter would sleep again.
        drop(client);
        assert_eq!(bus.client_count(), 0);
    }
}
