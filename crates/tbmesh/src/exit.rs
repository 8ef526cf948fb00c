//! Exit statuses (DESIGN.md, "Commands"): the contract with scripts.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything worked.
    Success = 0,
    /// A check, apply or test failed.
    Failure = 1,
    /// Bad input: spec or flags. Nothing was contacted.
    BadInput = 2,
    /// A host could not be reached.
    Unreachable = 3,
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> Self {
        ExitCode::from(s as u8)
    }
}

/// An error that ends a command, with the status it exits with.
#[derive(Debug)]
pub struct Fail {
    pub status: ExitStatus,
    pub error: anyhow::Error,
    pub hint: Option<String>,
}

impl Fail {
    pub fn bad_input(error: impl Into<anyhow::Error>) -> Self {
        Fail {
            status: ExitStatus::BadInput,
            error: error.into(),
            hint: None,
        }
    }

    pub fn failure(error: impl Into<anyhow::Error>) -> Self {
        Fail {
            status: ExitStatus::Failure,
            error: error.into(),
            hint: None,
        }
    }

    /// A host error: unreachable nodes exit with status 3.
    pub fn from_host(error: anyhow::Error) -> Self {
        let status = if crate::transport::is_unreachable(&error) {
            ExitStatus::Unreachable
        } else {
            ExitStatus::Failure
        };
        Fail {
            status,
            error,
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<anyhow::Error> for Fail {
    fn from(error: anyhow::Error) -> Self {
        Fail::failure(error)
    }
}

/// A command's result: the status to exit with, or a failure to report.
pub type CmdResult = Result<ExitStatus, Fail>;
