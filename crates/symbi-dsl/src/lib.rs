//! The `.symbi` agent language (work in progress).
