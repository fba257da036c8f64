//! The test that matters: generated programs through the model and through a real CPython,
//! which must agree on every event and on the outcome, messages included.
//!
//! Uses `python3` on PATH (or `WITHSTAND_PYTHON`). Without one the test says so on one line
//! and passes; `.ci/run` makes sure there is one. `PROPTEST_CASES` raises the count.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use oracle::model::predict;
use oracle::profile::Profile;
use oracle::render;
use oracle::runner::{Worker, WorkerConfig};
use oracle::verdict::{judge, Messages, Verdict};
use proptest::prelude::*;

use crate::strategy::arb_program;
use crate::GenConfig;

fn worker() -> Option<&'static Mutex<(Worker, Profile)>> {
    static WORKER: OnceLock<Option<Mutex<(Worker, Profile)>>> = OnceLock::new();
    WORKER
        .get_or_init(|| {
            let python = std::env::var_os("WITHSTAND_PYTHON").map_or_else(|| PathBuf::from("python3"), PathBuf::from);
            let config = WorkerConfig::new(python.clone(), render::PRELUDE, Duration::from_secs(20));
            match Worker::spawn(&config) {
                Ok(w) => {
                    let info = w.info().clone();
                    let profile = Profile::for_interpreter(&info.implementation, info.version)
                        .expect("the test interpreter has a profile");
                    Some(Mutex::new((w, profile)))
                }
                Err(err) => {
                    eprintln!("SKIPPED model/CPython agreement: no interpreter ({err})");
                    None
                }
            }
        })
        .as_ref()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn model_and_cpython_agree(program in arb_program(GenConfig::full())) {
        let Some(worker) = worker() else { return Ok(()) };
        let mut guard = worker.lock().unwrap_or_else(|e| e.into_inner());
        let (worker, profile) = &mut *guard;
        let prediction = predict(&program, *profile);
        if prediction.unpredictable.is_some() {
            // A correct Python never finishes it: not run.
            return Ok(());
        }
        let source = render::body(&program);
        let result = worker.run(&source).expect("the worker restarts");
        if let Verdict::Fails(f) = judge(&prediction, result, Messages::Exact) {
            prop_assert!(false, "model and {} disagree on\n{}\n{}", profile, source, f.details());
        }
    }
}
