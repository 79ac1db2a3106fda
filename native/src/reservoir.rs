//! The draws of summary's reservoir sample (Algorithm L), from Python's own random generator.
//!
//! Twin of `_Reservoir._skips` and its slot draws in `stages/columnar/summary.py` (the reference):
//! the same Mersenne Twister as CPython's `random.Random`, taken over from its state and handed
//! back, so the stream goes on where Python would have it. `random()` is CPython's 53-bit
//! `genrand_res53`, `getrandbits(k)` for `k <= 32` one word shifted, and the logarithms and
//! exponentials are the C library's (`log`, `exp`, `log1p`), as Python's `math` calls them: the
//! draws are bit for bit the reference's.

use pyo3::prelude::*;

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER: u32 = 0x8000_0000;
const LOWER: u32 = 0x7fff_ffff;

/// CPython's `random.Random` generator state: 624 words and the index of the next one.
pub struct Twister {
    pub words: Vec<u32>,
    pub index: usize,
}

impl Twister {
    fn twist(&mut self) {
        let mt = &mut self.words;
        let mag = |y: u32| if y & 1 == 1 { MATRIX_A } else { 0 };
        for kk in 0..N - M {
            let y = (mt[kk] & UPPER) | (mt[kk + 1] & LOWER);
            mt[kk] = mt[kk + M] ^ (y >> 1) ^ mag(y);
        }
        for kk in N - M..N - 1 {
            let y = (mt[kk] & UPPER) | (mt[kk + 1] & LOWER);
            mt[kk] = mt[kk + M - N] ^ (y >> 1) ^ mag(y);
        }
        let y = (mt[N - 1] & UPPER) | (mt[0] & LOWER);
        mt[N - 1] = mt[M - 1] ^ (y >> 1) ^ mag(y);
        self.index = 0;
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.words[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random.random()`.
    pub fn random(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `random.randrange(size)` for `1 <= size < 2**32` (CPython's `_randbelow`: `getrandbits`, rejected above).
    pub fn below(&mut self, size: u64) -> u64 {
        let width = 64 - size.leading_zeros();
        loop {
            let slot = (self.next_u32() >> (32 - width)) as u64;
            if slot < size {
                return slot;
            }
        }
    }
}

/// The sampler's state between batches: `w` and the stream index of the next replacing value.
pub struct Skips {
    pub w: f64,
    pub next: u64,
}

/// Every stream index below `end` that replaces a sampled value (advancing `skips`), each
/// followed, when `slots`, by the slot it replaces: `_skips(end)` then one `randrange(size)` per pick.
pub fn draw(rng: &mut Twister, skips: &mut Skips, size: u64, end: u64, slots: bool) -> (Vec<u64>, Vec<u64>) {
    let mut picks = Vec::new();
    let size_f = size as f64;
    while skips.next < end {
        picks.push(skips.next);
        skips.w *= ((1.0 - rng.random()).ln() / size_f).exp();
        let step = if skips.w < 1.0 { ((1.0 - rng.random()).ln() / (-skips.w).ln_1p()).floor() } else { 0.0 };
        skips.next = skips.next.saturating_add(step as u64).saturating_add(1);
    }
    let chosen = if slots { picks.iter().map(|_| rng.below(size)).collect() } else { Vec::new() };
    (picks, chosen)
}

type Drawn = (Vec<u64>, Vec<u64>, f64, u64, Vec<u32>, usize);

/// `reservoir_draw(words, index, size, w, next, end, slots)`: the picks below `end` and, when
/// `slots`, their slots; then the new `w`, `next` and generator state (words, index). The GIL is released.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn reservoir_draw(py: Python<'_>, words: Vec<u32>, index: usize, size: u64, w: f64, next: u64, end: u64,
                      slots: bool) -> PyResult<Drawn> {
    if words.len() != N || index > N || size == 0 || size >= 1 << 32 {
        return Err(pyo3::exceptions::PyValueError::new_err("not a generator state and sample size the core draws"));
    }
    Ok(py.detach(|| {
        let mut rng = Twister { words, index };
        let mut skips = Skips { w, next };
        let (picks, chosen) = draw(&mut rng, &mut skips, size, end, slots);
        (picks, chosen, skips.w, skips.next, rng.words, rng.index)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CPython's `init_genrand(5489)` (the reference state of the MT19937 paper).
    fn seeded() -> Twister {
        let mut words = vec![0u32; N];
        words[0] = 5489;
        for i in 1..N {
            words[i] = 1_812_433_253u32.wrapping_mul(words[i - 1] ^ (words[i - 1] >> 30)).wrapping_add(i as u32);
        }
        Twister { words, index: N }
    }

    #[test]
    fn the_stream_is_mt19937() {
        let mut rng = seeded();
        // The first outputs of MT19937 seeded with 5489 (std::mt19937's default).
        assert_eq!([rng.next_u32(), rng.next_u32(), rng.next_u32()], [3_499_211_612, 581_869_302, 3_890_346_734]);
        let mut rng = seeded();
        for _ in 0..9_999 {
            rng.next_u32();
        }
        assert_eq!(rng.next_u32(), 4_123_659_995);
    }

    #[test]
    fn slots_are_below_the_size_and_picks_ascend() {
        let mut rng = seeded();
        let mut skips = Skips { w: 1.0, next: 9 };
        let (picks, slots) = draw(&mut rng, &mut skips, 10, 10_000, true);
        assert_eq!(picks.len(), slots.len());
        assert!(picks.windows(2).all(|p| p[0] < p[1]) && slots.iter().all(|&s| s < 10));
        assert!(skips.next >= 10_000 && picks[0] == 9);
    }
}
