//! Each shown VM's event stream from its VMM (serial output, state changes, its end), as app
//! messages: one subscription per VMM process.

use super::Message;
use crate::data::client::{self, VmmClient};
use iced::futures::{SinkExt, StreamExt};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;
use vmm_core::api::Event;

/// Identifies one VMM's event stream: a new VMM (new pid) gets a new subscription.
pub(super) struct GuestKey {
    pub id: String,
    pub pid: u32,
    pub client: Arc<dyn VmmClient>,
}

impl Hash for GuestKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
        self.pid.hash(state);
    }
}

pub(super) fn guest_stream(key: &GuestKey) -> impl iced::futures::Stream<Item = Message> + use<> {
    let client = key.client.clone();
    let id = key.id.clone();
    iced::stream::channel(256, async move |mut out| {
        let (tx, rx) = iced::futures::channel::mpsc::channel::<Event>(256);
        let sub_id = id.clone();
        std::thread::spawn(move || {
            if let Ok(events) = client.subscribe(&sub_id) {
                let mut tx = tx;
                for ev in events {
                    if iced::futures::executor::block_on(tx.send(ev)).is_err() {
                        break;
                    }
                }
            }
        });
        // Every message rebuilds and redraws the window, and a chatty guest sends many small
        // serial chunks: what arrives within 50 ms goes as one message (20 a second at most;
        // a delay nobody notices in a terminal, and no competition for the console's frames).
        let mut batches = rx.ready_chunks(256);
        while let Some(batch) = batches.next().await {
            for ev in merge_serial(batch) {
                if out.send(Message::Guest(id.clone(), ev)).await.is_err() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

/// Joins consecutive serial chunks into one (the order of all events kept).
fn merge_serial(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut bytes: Vec<u8> = Vec::new();
    let flush = |bytes: &mut Vec<u8>, out: &mut Vec<Event>| {
        if !bytes.is_empty() {
            out.push(Event::Serial {
                data: client::encode_serial(&std::mem::take(bytes)),
            });
        }
    };
    for ev in events {
        match ev {
            Event::Serial { data } => bytes.extend(client::decode_serial(&data)),
            other => {
                flush(&mut bytes, &mut out);
                out.push(other);
            }
        }
    }
    flush(&mut bytes, &mut out);
    out
}

#[cfg(test)]
mod serial_tests {
    use super::*;

    #[test]
    fn consecutive_serial_chunks_merge_and_other_events_keep_their_place() {
        let ser = |s: &str| Event::Serial {
            data: client::encode_serial(s.as_bytes()),
        };
        let got = merge_serial(vec![
            ser("FRA"),
            ser("ME 6"),
            ser("4\n"),
            Event::State {
                state: vmm_core::api::RunState::Paused,
            },
            ser("x"),
        ]);
        assert_eq!(got.len(), 3);
        let Event::Serial { data } = &got[0] else {
            panic!("serial first: {got:?}")
        };
        assert_eq!(client::decode_serial(data), b"FRAME 64\n");
        assert!(matches!(got[1], Event::State { .. }));
        assert!(matches!(&got[2], Event::Serial { data } if client::decode_serial(data) == b"x"));
    }
}
