//! The JSON body of a request, read with Meilisearch's errors: 415 `missing_content_type` /
//! `invalid_content_type`, 400 `missing_payload` / `malformed_payload`, 413
//! `payload_too_large`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde_json::{Map, Value};

use crate::meili::error::MeiliError;
use crate::meili::filter::describe;
use crate::state::AppState;

/// A JSON object body.
pub struct MeiliBody(pub Map<String, Value>);

/// Whether a `Content-Type` declares JSON (`application/json`, with parameters such as
/// `charset`, or a `+json` type).
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl FromRequest<AppState> for MeiliBody {
    type Rejection = MeiliError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, MeiliError> {
        match req.headers().get(header::CONTENT_TYPE) {
            None => return Err(MeiliError::MissingContentType),
            Some(v) => {
                let text = String::from_utf8_lossy(v.as_bytes()).to_string();
                if !is_json(&text) {
                    return Err(MeiliError::InvalidContentType(text));
                }
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                MeiliError::PayloadTooLarge(state.config.body_limit_bytes)
            } else {
                MeiliError::BadRequest(e.body_text())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(MeiliError::MissingPayload);
        }
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(MeiliBody(map)),
            Ok(other) => Err(MeiliError::BadRequest(format!(
                "Invalid value type: expected an object, but found {}",
                describe(&other)
            ))),
            Err(e) => Err(MeiliError::MalformedPayload(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_content_types() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/vnd.api+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}
