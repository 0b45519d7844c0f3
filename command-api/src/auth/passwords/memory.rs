//! argon2's working memory, kept between checks: a check borrows a buffer of blocks from a
//! pool holding at most one per permit, instead of allocating m KiB and freeing it. Allocating
//! and freeing 7–19 MiB per login made the allocator keep hundreds of MB it had once handed
//! out (glibc raises its mmap threshold after the first free, so later buffers come from
//! per-thread arenas and stay there), and faulted every page in anew each time.

use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};

/// Buffers of argon2 blocks, each as large as the configured memory cost.
#[derive(Debug, Clone)]
pub(super) struct Memory {
    blocks: usize,
    free: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl Memory {
    pub(super) fn new(params: &Params) -> Self {
        Self {
            blocks: params.block_count(),
            free: Arc::default(),
        }
    }

    /// Runs `work` with a buffer of at least `blocks` blocks; a pooled one when it is that
    /// large (every check at the configured cost), else one of its own (a stored hash made
    /// with a larger memory cost than the configured one, about to be replaced).
    fn with_blocks<T>(&self, blocks: usize, work: impl FnOnce(&mut [Block]) -> T) -> T {
        if blocks > self.blocks {
            return work(&mut vec![Block::new(); blocks]);
        }
        let pooled = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut buffer = pooled.unwrap_or_else(|| vec![Block::new(); self.blocks]);
        let outcome = work(&mut buffer[..blocks]);
        self.free
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(buffer);
        outcome
    }

    /// Whether `password` is the one `stored` (a PHC string) was made from: the hash is
    /// recomputed with the stored algorithm, version, parameters and salt, and the outputs
    /// compared in constant time.
    pub(super) fn verify(&self, password: &[u8], stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return false;
        };
        let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
            return false;
        };
        let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
            return false;
        };
        let Ok(version) = hash
            .version
            .map_or(Ok(Version::default()), Version::try_from)
        else {
            return false;
        };
        let Ok(params) = Params::try_from(&hash) else {
            return false;
        };
        let argon2 = Argon2::new(algorithm, version, params.clone());
        let mut output = vec![0u8; expected.len()];
        let computed = self.with_blocks(params.block_count(), |blocks| {
            argon2.hash_password_into_with_memory(password, salt, &mut output, blocks)
        });
        computed.is_ok()
            && argon2::password_hash::phc::Output::new(&output).is_ok_and(|o| &o == expected)
    }
}
