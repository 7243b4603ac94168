//! The persistent collections projections are made of. Cloning one is O(1)
//! and shares every node; a change copies only the path it touches. Reference
//! counts are not atomic: the model runs on one thread (the browser's), and
//! atomics were a measurable share of replay time.

pub type Map<K, V> = imbl::GenericOrdMap<K, V, imbl::shared_ptr::RcK>;
/// A persistent hash map (a HAMT, Fx-hashed): about three times faster to
/// look up than `Map` for the large maps every event touches.
pub type HashedMap<K, V> =
    imbl::GenericHashMap<K, V, rustc_hash::FxBuildHasher, imbl::shared_ptr::RcK>;
pub type List<T> = imbl::GenericVector<T, imbl::shared_ptr::RcK>;
pub use std::rc::Rc as Shared;
