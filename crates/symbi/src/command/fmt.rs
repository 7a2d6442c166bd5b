//! `symbi fmt`: rewrite `.symbi` files in the canonical layout. A file with syntax errors is
//! never rewritten; its errors are reported instead.

use std::io::{Read, Write};

use crate::Outcome;
use crate::cli::FmtArgs;
use crate::exit::{Exit, Failure};

pub(crate) fn run(args: &FmtArgs) -> Outcome {
    if args.stdin {
        let mut source = String::new();
        std::io::stdin().read_to_string(&mut source)?;
        return match symbi_dsl::format(&source) {
            Ok(formatted) if args.check => Ok(if formatted == source { Exit::Success } else { Exit::Problems }),
            Ok(formatted) => {
                std::io::stdout().write_all(formatted.as_bytes())?;
                Ok(Exit::Success)
            }
            Err(e) => {
                eprintln!("{}", symbi_dsl::render("<stdin>", &source, &e));
                Ok(Exit::Problems)
            }
        };
    }
    if args.files.is_empty() {
        return Err(Failure::invalid(anyhow::anyhow!("name the files to format, or pass --stdin")));
    }
    let mut problems = false;
    for file in &args.files {
        let source = super::dsl::read(file)?;
        let name = file.display().to_string();
        match symbi_dsl::format(&source) {
            Ok(formatted) if formatted == source => {}
            Ok(_) if args.check => {
                eprintln!("{name}: not formatted");
                problems = true;
            }
            Ok(formatted) => {
                std::fs::write(file, formatted).map_err(|e| anyhow::anyhow!("cannot write `{name}`: {e}"))?;
                eprintln!("{name}: formatted");
            }
            Err(e) => {
                eprintln!("{}", symbi_dsl::render(&name, &source, &e));
                problems = true;
            }
        }
    }
    Ok(if problems { Exit::Problems } else { Exit::Success })
}
