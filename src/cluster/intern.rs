//! One shared copy of each repeated string met while reading (a pod's namespace, phase,
//! node name, owner): see `model::SharedStr`. Per thread, so reading takes no lock; bounded,
//! so a long `kup fleet` does not keep every cluster's names.

use crate::model::SharedStr;
use std::cell::RefCell;
use std::collections::HashSet;

/// Distinct strings kept per thread before the table starts over (a cluster of 5,000 nodes
/// and 2,000 Deployments has ~7,000).
const LIMIT: usize = 32_768;

thread_local! {
    static SEEN: RefCell<HashSet<SharedStr>> = RefCell::new(HashSet::new());
}

/// The shared copy of S.
pub fn shared(s: &str) -> SharedStr {
    SEEN.with(|seen| {
        let mut seen = seen.borrow_mut();
        if let Some(hit) = seen.get(s) {
            return hit.clone();
        }
        if seen.len() >= LIMIT {
            seen.clear();
        }
        let new = SharedStr::from(s);
        seen.insert(new.clone());
        new
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_share_one_copy() {
        let a = shared("kube-system");
        let b = shared(&String::from("kube-system"));
        assert_eq!(a, b);
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_ne!(shared("default"), a);
    }
}
