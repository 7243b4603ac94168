use portal_domain::persistent::{Map, Shared};
use portal_domain::AppId;
use std::time::Instant;
fn main() {
    let n = 1584usize;
    let ids: Vec<AppId> = (0..n)
        .map(|i| {
            AppId(uuid::Uuid::from_u128(
                (i as u128).wrapping_mul(0x9E3779B97F4A7C15F39CC0605CEDC835),
            ))
        })
        .collect();
    let mut map: Map<AppId, Shared<[u64; 16]>> = Map::new();
    for id in &ids {
        map.insert(*id, Shared::new([0; 16]));
    }
    let mut x = 12345u64;
    let t = Instant::now();
    let m = 1_000_000;
    for _ in 0..m {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = ids[(x % n as u64) as usize];
        if let Some(v) = map.get_mut(&id) {
            Shared::make_mut(v)[0] += 1;
        }
    }
    println!(
        "ordmap get_mut+make_mut: {:.0} ns",
        t.elapsed().as_nanos() as f64 / m as f64
    );
    let mut std: std::collections::HashMap<AppId, Shared<[u64; 16]>> =
        ids.iter().map(|i| (*i, Shared::new([0; 16]))).collect();
    let t = Instant::now();
    for _ in 0..m {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = ids[(x % n as u64) as usize];
        if let Some(v) = std.get_mut(&id) {
            Shared::make_mut(v)[0] += 1;
        }
    }
    println!(
        "std hashmap: {:.0} ns",
        t.elapsed().as_nanos() as f64 / m as f64
    );
    let interner: rustc_hash::FxHashMap<AppId, u32> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i as u32))
        .collect();
    let mut vec: imbl::GenericVector<Shared<[u64; 16]>, imbl::shared_ptr::RcK> =
        ids.iter().map(|_| Shared::new([0; 16])).collect();
    let t = Instant::now();
    for _ in 0..m {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = ids[(x % n as u64) as usize];
        if let Some(&i) = interner.get(&id) {
            if let Some(v) = vec.get_mut(i as usize) {
                Shared::make_mut(v)[0] += 1;
            }
        }
    }
    println!(
        "fx interner + imbl vector: {:.0} ns",
        t.elapsed().as_nanos() as f64 / m as f64
    );
    let mut hamt: imbl::GenericHashMap<
        AppId,
        Shared<[u64; 16]>,
        rustc_hash::FxBuildHasher,
        imbl::shared_ptr::RcK,
    > = ids.iter().map(|i| (*i, Shared::new([0; 16]))).collect();
    let t = Instant::now();
    for _ in 0..m {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = ids[(x % n as u64) as usize];
        if let Some(v) = hamt.get_mut(&id) {
            Shared::make_mut(v)[0] += 1;
        }
    }
    println!(
        "imbl hamt fx: {:.0} ns",
        t.elapsed().as_nanos() as f64 / m as f64
    );
}
#[allow(dead_code)]
fn unused() {}
