//! The `images` input.

use super::MetaError;
use super::fields::{csv_fields, split_field};

/// One entry of the `images` input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImageSpec {
    /// Image name as given (tags use it lowercased).
    pub name: String,
    /// Whether tags are generated for this image.
    pub enable: bool,
}

fn bad(line: &str, reason: impl Into<String>) -> MetaError {
    MetaError::Image {
        line: line.to_string(),
        reason: reason.into(),
    }
}

/// Parses the `images` input (one entry per line). A single line of bare comma-separated names is
/// the legacy form and yields one image per name.
pub fn parse_images(lines: &[String]) -> Result<Vec<ImageSpec>, MetaError> {
    if let [only] = lines {
        let fields = csv_fields(only).map_err(|r| bad(only, r))?;
        if fields.iter().all(|f| split_field(f).is_err()) {
            return Ok(fields
                .iter()
                .map(|f| ImageSpec {
                    name: f.trim().to_string(),
                    enable: true,
                })
                .collect());
        }
    }
    let mut images = Vec::new();
    for line in lines {
        let mut image = ImageSpec {
            name: String::new(),
            enable: true,
        };
        for field in csv_fields(line).map_err(|r| bad(line, r))? {
            let (key, value) = match split_field(&field) {
                Ok((k, v)) => (k.to_lowercase(), v),
                Err(bare) => ("name".to_string(), bare),
            };
            match key.as_str() {
                "name" if !image.name.is_empty() => {
                    return Err(bad(line, "the image name is given twice"));
                }
                "name" => image.name = value.to_string(),
                "enable" => {
                    image.enable = match value {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad(line, "enable must be true or false")),
                    }
                }
                other => return Err(bad(line, format!("unknown attribute {other:?}"))),
            }
        }
        if image.name.is_empty() {
            return Err(bad(line, "the image name is empty"));
        }
        images.push(image);
    }
    Ok(images)
}
