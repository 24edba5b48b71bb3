//! A back-channel logout receiver started by a test: it records every post and answers 503
//! to the first `fail_first` of them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use http::StatusCode;

/// What the logout receiver got, and how many of its first answers are 503.
#[derive(Clone, Default)]
pub struct Receiver {
    pub bodies: Arc<Mutex<Vec<String>>>,
    fail_first: usize,
}

async fn receive(State(r): State<Receiver>, body: String) -> StatusCode {
    let mut bodies = r.bodies.lock().unwrap();
    bodies.push(body);
    if bodies.len() <= r.fail_first { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK }
}

/// A back-channel logout receiver on a random port: its URL and what it received.
pub async fn start_receiver(fail_first: usize) -> (String, Receiver) {
    let receiver = Receiver { fail_first, ..Default::default() };
    let router = axum::Router::new().route("/backchannel", post(receive)).with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/backchannel", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, receiver)
}

impl Receiver {
    /// Waits (up to 20 s) until `n` posts arrived; their bodies.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let got = self.bodies.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the receiver got {:?}, expected {n} posts", self.bodies.lock().unwrap());
    }
}

/// The logout token of a back-channel post (its only form field).
pub fn logout_token_of(body: &str) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap();
    assert_eq!(pairs.len(), 1, "{body}");
    assert_eq!(pairs[0].0, "logout_token");
    pairs[0].1.clone()
}
