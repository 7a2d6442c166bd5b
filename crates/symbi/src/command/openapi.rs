//! `symbi openapi`: print the REST API description generated from the runtime's code.

use crate::Outcome;
use crate::exit::Exit;

pub(crate) fn run() -> Outcome {
    let json = serde_json::to_string_pretty(&symbi_runtime::openapi())?;
    println!("{json}");
    Ok(Exit::Success)
}
