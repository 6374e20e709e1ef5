//! Fetches the URL in its request body with the SDK and answers what came
//! back: `<status> <body>`, or `error <KIND>: <message>`.
use wasmfaas_sdk::http::{self, Request};
use wasmfaas_sdk::{Response, serve};

fn main() {
    serve(|req| {
        let url = req.body_text().unwrap_or_default().trim().to_string();
        let request = Request::get(url).with_header("x-from-guest", "sdk");
        match http::fetch(&request) {
            Ok(response) => Response::text(format!(
                "{} {}",
                response.status(),
                response.text().unwrap_or_default()
            )),
            Err(error) => Response::text(format!("error {}: {error}", error.kind().name())),
        }
    });
}
