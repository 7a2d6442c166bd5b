//! Actions held for a person's approval. The Governor holds an action when policy answers
//! `require_approval`; an admin approves or denies it over the API; a hold nobody resolves in
//! time is a deny (fail closed).
//!
//! Holds live in memory: the caller waiting on a hold is part of this process, so a restart ends
//! both, and an action whose caller is gone is never run.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use symbi_policy::PolicyRequest;
use tokio::sync::oneshot;

/// How many resolved ids are remembered, so a late second resolution answers "already resolved"
/// instead of "not found".
const REMEMBERED: usize = 1024;

/// How a hold ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// A person approved it.
    Approved {
        /// Who (an API key id or `env-token`).
        by: String,
    },
    /// A person refused it.
    Denied {
        /// Who.
        by: String,
    },
}

/// A held action as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The hold's id.
    pub id: String,
    /// What is waiting.
    pub request: PolicyRequest,
    /// Why policy wants approval.
    pub reason: String,
    /// The policies that asked for it.
    pub policies: Vec<String>,
    /// When it was held.
    pub held_at: SystemTime,
    /// When it turns into a deny.
    pub expires_at: SystemTime,
}

/// Why a resolution was not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// No hold has that id.
    #[error("no held action with that id")]
    NotFound,
    /// It was already approved, denied or timed out.
    #[error("the held action was already resolved")]
    AlreadyResolved,
}

/// The queue of held actions.
#[derive(Debug)]
pub struct ApprovalQueue {
    timeout: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    pending: HashMap<String, (Hold, oneshot::Sender<Resolution>)>,
    resolved: VecDeque<String>,
}

impl ApprovalQueue {
    /// A queue whose holds expire after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Self { timeout, state: Mutex::new(State::default()) }
    }

    /// Holds `request` and waits for a person. Returns `None` when the hold times out (a deny).
    pub(crate) async fn hold(
        &self,
        request: PolicyRequest,
        reason: String,
        policies: Vec<String>,
    ) -> Option<Resolution> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = SystemTime::now();
        let hold = Hold { id: id.clone(), request, reason, policies, held_at: now, expires_at: now + self.timeout };
        let (tx, rx) = oneshot::channel();
        self.lock().pending.insert(id.clone(), (hold, tx));
        tracing::info!(hold = %id, timeout = ?self.timeout, "action held for approval");
        let outcome = tokio::time::timeout(self.timeout, rx).await.ok().and_then(Result::ok);
        // Whatever happened, the hold is over; a timeout leaves it pending until removed here.
        let mut state = self.lock();
        if state.pending.remove(&id).is_some() {
            remember(&mut state, id.clone());
            tracing::info!(hold = %id, "held action timed out; denied");
        }
        outcome
    }

    /// Every action waiting now, oldest first.
    pub fn pending(&self) -> Vec<Hold> {
        let mut holds: Vec<Hold> = self.lock().pending.values().map(|(h, _)| h.clone()).collect();
        holds.sort_by_key(|h| h.held_at);
        holds
    }

    /// Resolves a held action.
    ///
    /// Fails with `NotFound` for an unknown id and `AlreadyResolved` for one that was approved,
    /// denied or timed out.
    pub fn resolve(&self, id: &str, resolution: Resolution) -> Result<(), ResolveError> {
        let mut state = self.lock();
        let Some((_, tx)) = state.pending.remove(id) else {
            return Err(if state.resolved.iter().any(|r| r == id) {
                ResolveError::AlreadyResolved
            } else {
                ResolveError::NotFound
            });
        };
        remember(&mut state, id.to_owned());
        // The waiter may have gone (its request was cancelled); the resolution is then moot.
        let _ = tx.send(resolution);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn remember(state: &mut State, id: String) {
    if state.resolved.len() >= REMEMBERED {
        state.resolved.pop_front();
    }
    state.resolved.push_back(id);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use symbi_policy::{Action, EntityRef, Surface};

    use super::*;

    fn request() -> PolicyRequest {
        PolicyRequest {
            principal: EntityRef::Agent("a".into()),
            action: Action::SendMessage,
            resource: EntityRef::Agent("b".into()),
            surface: Surface::Api,
            delegation_depth: Some(1),
        }
    }

    async fn wait_for_hold(queue: &ApprovalQueue) -> String {
        loop {
            if let Some(h) = queue.pending().first() {
                return h.id.clone();
            }
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn approve_releases_the_waiter_once() {
        let queue = Arc::new(ApprovalQueue::new(Duration::from_secs(60)));
        let waiter = tokio::spawn({
            let q = Arc::clone(&queue);
            async move { q.hold(request(), "needs approval".into(), vec!["p".into()]).await }
        });
        let id = wait_for_hold(&queue).await;
        queue.resolve(&id, Resolution::Approved { by: "k".into() }).unwrap();
        assert_eq!(waiter.await.unwrap(), Some(Resolution::Approved { by: "k".into() }));
        assert_eq!(queue.resolve(&id, Resolution::Denied { by: "k".into() }), Err(ResolveError::AlreadyResolved));
        assert_eq!(queue.resolve("nope", Resolution::Denied { by: "k".into() }), Err(ResolveError::NotFound));
        assert!(queue.pending().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn unresolved_holds_time_out_as_deny() {
        let queue = Arc::new(ApprovalQueue::new(Duration::from_secs(300)));
        let waiter = tokio::spawn({
            let q = Arc::clone(&queue);
            async move { q.hold(request(), "r".into(), Vec::new()).await }
        });
        let id = wait_for_hold(&queue).await;
        tokio::time::advance(Duration::from_secs(301)).await;
        assert_eq!(waiter.await.unwrap(), None);
        assert!(queue.pending().is_empty());
        assert_eq!(queue.resolve(&id, Resolution::Approved { by: "late".into() }), Err(ResolveError::AlreadyResolved));
    }
}
