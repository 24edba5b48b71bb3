//! Ceiling server for `bench/run.sh`: the cheapest possible axum 0.8 handler
//! (one `GET /` returning a small static JSON body), so the benchmark can show
//! how close Tessera's real paths get to what the HTTP stack alone can do.
//!
//! Usage: `ceiling 127.0.0.1:PORT`

use axum::{Router, http::header, response::IntoResponse, routing::get};

const BODY: &str = r#"{"ok":true}"#;

async fn root() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], BODY)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr =
        std::env::args().nth(1).ok_or_else(|| std::io::Error::other("usage: ceiling ADDR (e.g. 127.0.0.1:8080)"))?;
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let app = Router::new().route("/", get(root));
    axum::serve(listener, app).await
}
