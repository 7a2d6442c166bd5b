//! Integration tests through the public API, in one binary so the helpers in `common` are
//! shared and linked once.

mod adversarial;
mod bundles;
mod common;
mod fetch;
mod interop;
mod props;
mod skills;
