//! Append benchmarks.
fn main() {}
