//! A broadcast hub: one producer (a device or the VMM) and any number of API subscribers.
//!
//! Publishing never blocks: each subscriber has a bounded queue, and a subscriber that falls
//! behind loses messages (counted) instead of stalling the guest.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Mutex;

pub struct Hub<T: Clone> {
    /// Each subscriber's queue, by key.
    subs: Mutex<Vec<(u64, SyncSender<T>)>>,
    next_key: AtomicU64,
    dropped: AtomicU64,
    depth: usize,
}

impl<T: Clone> Hub<T> {
    pub fn new(depth: usize) -> Self {
        Hub {
            subs: Mutex::new(Vec::new()),
            next_key: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            depth,
        }
    }

    pub fn subscribe(&self) -> Receiver<T> {
        self.subscribe_keyed().1
    }

    /// A subscription and its key for [`Hub::unsubscribe`].
    pub fn subscribe_keyed(&self) -> (u64, Receiver<T>) {
        let (tx, rx) = sync_channel(self.depth);
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        crate::util::lock(&self.subs).push((key, tx));
        (key, rx)
    }

    /// Ends subscription `key` now: its receiver sees the end at once, not at the next
    /// message (a quiet hub would keep a closed client's thread and socket forever).
    pub fn unsubscribe(&self, key: u64) {
        crate::util::lock(&self.subs).retain(|(k, _)| *k != key);
    }

    pub fn publish(&self, msg: T) {
        let mut subs = crate::util::lock(&self.subs);
        subs.retain(|(_, s)| match s.try_send(msg.clone()) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(TrySendError::Disconnected(_)) => false,
        });
    }

    pub fn has_subscribers(&self) -> bool {
        !crate::util::lock(&self.subs).is_empty()
    }

    /// Messages lost because a subscriber's queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_subscriber_loses_messages_but_never_blocks() {
        let hub = Hub::new(2);
        let slow = hub.subscribe();
        for i in 0..10 {
            hub.publish(i);
        }
        assert_eq!(slow.try_iter().collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(hub.dropped(), 8);
        drop(slow);
        hub.publish(11);
        assert!(!hub.has_subscribers());
    }

    #[test]
    fn unsubscribing_ends_the_receiver_at_once() {
        let hub: Hub<u32> = Hub::new(2);
        let (a, rx_a) = hub.subscribe_keyed();
        let (_, rx_b) = hub.subscribe_keyed();
        hub.unsubscribe(a);
        // Without a message in between: recv must not wait for one.
        assert!(rx_a.recv().is_err());
        hub.publish(1);
        assert_eq!(rx_b.try_recv(), Ok(1));
        assert!(hub.has_subscribers());
    }
}
