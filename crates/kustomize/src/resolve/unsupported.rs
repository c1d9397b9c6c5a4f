//! The kustomization fields Ferry resolves (for images and workloads) but does not render
//! exactly: a rendering of an overlay that uses one is refused, naming the field and file.

use std::path::Path;

use super::builder::Builder;
use super::resolution::Unrendered;
use crate::model::Kustomization;

impl Builder<'_> {
    /// Notes every field of `k` that `ferry render` cannot reproduce byte for byte.
    pub(super) fn note_unrendered(&mut self, file: &Path, k: &Kustomization) {
        let set = |b: bool| b;
        let checks: [(&str, bool, &str); 10] = [
            (
                "helmCharts",
                set(k.helm_charts.as_ref().is_some_and(|c| !c.is_empty())),
                "Ferry inflates no Helm chart",
            ),
            (
                "helmChartInflationGenerator",
                set(k
                    .helm_chart_inflation_generator
                    .as_ref()
                    .is_some_and(|c| !c.is_empty())),
                "Ferry inflates no Helm chart",
            ),
            (
                "helmGlobals",
                k.helm_globals.is_some(),
                "Ferry inflates no Helm chart",
            ),
            (
                "replacements",
                k.replacements.as_ref().is_some_and(|r| !r.is_empty()),
                "Ferry does not apply replacements",
            ),
            (
                "vars",
                k.vars.as_ref().is_some_and(|v| !v.value.is_empty()),
                "Ferry does not substitute vars",
            ),
            (
                "openapi",
                k.openapi.as_ref().is_some_and(|o| !o.is_empty()),
                "Ferry uses no custom OpenAPI schema",
            ),
            (
                "crds",
                k.crds.as_ref().is_some_and(|c| !c.is_empty()),
                "Ferry reads no CRD for name references",
            ),
            (
                "configurations",
                k.configurations.as_ref().is_some_and(|c| !c.is_empty()),
                "Ferry applies no custom field specs (transformer configurations)",
            ),
            (
                "buildMetadata",
                k.build_metadata.as_ref().is_some_and(|b| !b.is_empty()),
                "Ferry adds no build metadata",
            ),
            (
                "patches[].options",
                k.patches.iter().flatten().any(|p| {
                    p.value
                        .options
                        .as_ref()
                        .is_some_and(|o| o.values().any(|v| *v))
                }),
                "Ferry does not rename or re-kind objects by patch",
            ),
        ];
        for (field, used, reason) in checks {
            if used {
                self.unrendered.push(Unrendered {
                    file: file.to_path_buf(),
                    field: field.to_string(),
                    reason: reason.to_string(),
                });
            }
        }
    }
}
