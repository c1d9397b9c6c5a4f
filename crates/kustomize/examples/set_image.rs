//! Editing an overlay's `images:` list the way `kustomize edit set image` does, changing only
//! the bytes of the entry it edits: comments, quoting and order stay as they were.
//!
//! Run with `cargo run -p ferry-kustomize --example set_image`.

use ferry_kustomize::spec::ImageSpec;
use ferry_kustomize::{ImageEdit, set_images};

const KUSTOMIZATION: &str = "\
# The production overlay: reviewed by the platform team.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base
images:
  - name: registry.example.com/acme/backend
    newTag: \"1.4.0\" # bumped by Ferry
  - name: postgres
    newTag: '16'
";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let edits = [ImageEdit::Set(ImageSpec::parse(
        "registry.example.com/acme/backend:1.5.0",
    )?)];
    let outcome = set_images(KUSTOMIZATION, &edits)?;
    print!("{}", outcome.text);

    assert!(outcome.changed);
    // Only the tag's bytes changed: the comment and the double quotes stay.
    assert_eq!(
        outcome.text,
        KUSTOMIZATION.replace("\"1.4.0\"", "\"1.5.0\"")
    );
    let backend = &outcome.after[0];
    assert_eq!(backend.new_tag.as_deref(), Some("1.5.0"));

    // Setting what is already there changes nothing.
    let again = set_images(&outcome.text, &edits)?;
    assert!(!again.changed);

    // Text that is not a kustomization is refused with a position, never half-edited.
    let err = set_images("images: [\n", &edits).expect_err("broken YAML is refused");
    println!("refused: {err}");
    Ok(())
}
