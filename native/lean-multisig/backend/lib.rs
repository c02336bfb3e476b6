//! The real prover: leanMultisig at the revision pinned in Cargo.toml, behind leanagg-core's
//! `Verifier` and `Prover`. Only the real-prover packages (native/lean-multisig) link it.
#![deny(clippy::all)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use backend::{PrimeCharacteristicRing, PrimeField32};
use lean_multisig::{
    aggregate_type_1, merge_many_type_1, split_type_2, verify_type_1, verify_type_2, xmss_key_gen, xmss_sign,
    xmss_verify, TypeOneInfo, TypeOneMultiSignature, TypeTwoMultiSignature, XmssPublicKey, XmssSecretKey,
    XmssSignature, F,
};
use xmss::WotsSignature;

use leanagg_core::backend::{payload, Backend, Codec, Prover, Verifier, SIMULATED_MAGIC};
use leanagg_core::cancel::CancelFlag;
use leanagg_core::error::{err, ErrorCode, LeanAggError, Result};
use leanagg_core::heap;
use leanagg_core::message::message_hash_input;
use leanagg_core::types::*;

/// Decompressed proofs above this are refused before lz4 allocates for them.
const MAX_DECOMPRESSED_BYTES: usize = 64 << 20;

pub struct LeanMultisigBackend {
    /// The aggregation program is compiled (enough to verify).
    set_up: AtomicBool,
    /// DFT twiddles are precomputed too (needed to prove).
    prover_ready: AtomicBool,
}

impl LeanMultisigBackend {
    /// leanMultisig keeps its compiled program in process-global state: one backend serves all.
    pub fn shared() -> Arc<dyn Backend> {
        static SHARED: OnceLock<Arc<LeanMultisigBackend>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                Arc::new(LeanMultisigBackend {
                    set_up: AtomicBool::new(false),
                    prover_ready: AtomicBool::new(false),
                })
            })
            .clone()
    }

    fn type1<'a>(&self, a: &'a Aggregate) -> Result<&'a TypeOneMultiSignature> {
        payload::<TypeOneMultiSignature>(a.backend, self.kind(), &a.proof, "aggregate")
    }

    fn type2<'a>(&self, m: &'a Merged) -> Result<&'a TypeTwoMultiSignature> {
        payload::<TypeTwoMultiSignature>(m.backend, self.kind(), &m.proof, "merged aggregate")
    }

    fn wrap_type1(&self, sig: TypeOneMultiSignature) -> Aggregate {
        Aggregate {
            backend: self.kind(),
            info: info_of(&sig.info),
            proof: Arc::new(sig),
        }
    }
}

fn fe(v: u32) -> F {
    F::from_u32(v)
}

/// Canonical field elements (validated by the caller) as upstream's `F`.
pub fn fe_array<const N: usize>(values: &[u32]) -> [F; N] {
    std::array::from_fn(|i| fe(values[i]))
}

fn canonical(values: &[F]) -> Vec<u32> {
    values.iter().map(|v| v.as_canonical_u32()).collect()
}

/// A public key in leanagg's layout (see `types.rs`) as upstream's struct.
pub fn to_xmss_public_key(pk: &PublicKey) -> XmssPublicKey {
    let f = pk.fields();
    XmssPublicKey {
        merkle_root: fe_array(&f[..4]),
        public_param: fe_array(&f[4..]),
    }
}

fn from_xmss_public_key(pk: &XmssPublicKey) -> PublicKey {
    let mut bytes = Vec::with_capacity(PUBLIC_KEY_BYTES);
    encode_fields(&canonical(&pk.flaten()), &mut bytes);
    PublicKey(bytes.try_into().unwrap())
}

/// Layout (see `types.rs`): chain tips 42 x 4, randomness 6, Merkle siblings 32 x 4.
pub fn to_xmss_signature(sig: &Signature) -> XmssSignature {
    let f = sig.fields();
    let (tips, rest) = f.split_at(42 * 4);
    let (randomness, siblings) = rest.split_at(6);
    XmssSignature {
        wots_signature: WotsSignature {
            chain_tips: std::array::from_fn(|i| fe_array(&tips[i * 4..])),
            randomness: fe_array(randomness),
        },
        merkle_proof: siblings.chunks_exact(4).map(fe_array).collect(),
    }
}

fn from_xmss_signature(sig: &XmssSignature) -> Signature {
    let mut values: Vec<u32> = sig
        .wots_signature
        .chain_tips
        .iter()
        .flat_map(|d| canonical(d))
        .collect();
    values.extend(canonical(&sig.wots_signature.randomness));
    values.extend(sig.merkle_proof.iter().flat_map(|d| canonical(d)));
    let mut bytes = Vec::with_capacity(SIGNATURE_BYTES);
    encode_fields(&values, &mut bytes);
    Signature(bytes)
}

fn info_of(info: &TypeOneInfo) -> AggregateInfo {
    AggregateInfo {
        message: canonical(&info.message).try_into().unwrap(),
        slot: info.slot,
        signers: info.pubkeys.iter().map(from_xmss_public_key).collect(),
    }
}

fn prover_failed(what: &str, e: impl std::fmt::Debug) -> LeanAggError {
    err(ErrorCode::ProverFailed, format!("leanMultisig {what} failed: {e:?}"))
}

/// Untrusted proof bytes: name a simulated proof, and bound lz4's allocation by its size prefix.
fn check_proof_bytes(bytes: &[u8]) -> Result<()> {
    if bytes.starts_with(SIMULATED_MAGIC) {
        return Err(err(
            ErrorCode::BackendMismatch,
            "these bytes are a simulated proof; the leanMultisig backend rejects them",
        ));
    }
    let Some(prefix) = bytes.get(..4) else {
        return Err(err(ErrorCode::InvalidAggregate, "proof bytes are truncated"));
    };
    let size = u32::from_le_bytes(prefix.try_into().unwrap()) as usize;
    if size > MAX_DECOMPRESSED_BYTES {
        return Err(err(
            ErrorCode::InvalidAggregate,
            format!("proof claims {size} decompressed bytes"),
        ));
    }
    Ok(())
}

/// Untrusted proof bytes, checked (`check_proof_bytes`) and then decompressed by upstream.
fn decompress<T>(bytes: &[u8], what: &str, parse: impl FnOnce(&[u8]) -> Option<T>) -> Result<T> {
    check_proof_bytes(bytes)?;
    parse(bytes).ok_or_else(|| {
        err(
            ErrorCode::InvalidAggregate,
            format!("bytes are not a leanMultisig {what}"),
        )
    })
}

impl Codec for LeanMultisigBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::LeanMultisig
    }

    fn message_fields(&self, message: &[u8; MESSAGE_BYTES]) -> MessageFields {
        let input: [F; 16] = fe_array(&message_hash_input(message));
        canonical(&utils::poseidon16_compress(input)).try_into().unwrap()
    }

    fn keygen(&self, seed: [u8; 32], first_slot: u32, last_slot: u32) -> Result<SecretKey> {
        let (sk, pk) = xmss_key_gen(seed, first_slot, last_slot)
            .map_err(|e| err(ErrorCode::InvalidArgument, format!("key generation: {e:?}")))?;
        Ok(SecretKey {
            backend: self.kind(),
            seed,
            first_slot,
            last_slot,
            public_key: from_xmss_public_key(&pk),
            inner: Arc::new(sk),
        })
    }

    fn sign(&self, key: &SecretKey, message: &MessageFields, slot: u32) -> Result<Signature> {
        let sk = payload::<XmssSecretKey>(key.backend, self.kind(), &key.inner, "secret key")?;
        let sig = xmss_sign(&mut rand::rng(), sk, &fe_array(message), slot)
            .map_err(|e| err(ErrorCode::SlotOutOfRange, format!("signing: {e:?}")))?;
        Ok(from_xmss_signature(&sig))
    }

    fn verify_signature(&self, key: &PublicKey, message: &MessageFields, sig: &Signature, slot: u32) -> bool {
        xmss_verify(
            &to_xmss_public_key(key),
            &fe_array(message),
            &to_xmss_signature(sig),
            slot,
        )
        .is_ok()
    }

    fn aggregate_to_bytes(&self, aggregate: &Aggregate) -> Vec<u8> {
        self.type1(aggregate).expect("own aggregate").compress()
    }

    fn aggregate_from_bytes(&self, bytes: &[u8]) -> Result<Aggregate> {
        let sig = decompress(bytes, "type-1 aggregate", TypeOneMultiSignature::decompress)?;
        Ok(self.wrap_type1(sig))
    }

    fn merged_to_bytes(&self, merged: &Merged) -> Vec<u8> {
        self.type2(merged).expect("own merged aggregate").compress()
    }

    fn merged_from_bytes(&self, bytes: &[u8]) -> Result<Merged> {
        let merged = decompress(bytes, "merged aggregate", TypeTwoMultiSignature::decompress)?;
        if merged.info.is_empty() || merged.info.len() > MAX_MERGE {
            return Err(err(
                ErrorCode::InvalidAggregate,
                "merged aggregate has a component count out of range",
            ));
        }
        Ok(Merged {
            backend: self.kind(),
            components: merged.info.iter().map(info_of).collect(),
            proof: Arc::new(merged),
        })
    }
}

impl Verifier for LeanMultisigBackend {
    /// Compiling the program frees about 640 MB it used on the way: given back at once.
    fn setup_verifier(&self) -> Result<()> {
        if !self.is_set_up() {
            lean_multisig::setup_verifier();
            heap::release_free_memory();
            self.set_up.store(true, Ordering::Release);
        }
        Ok(())
    }

    fn is_set_up(&self) -> bool {
        self.set_up.load(Ordering::Acquire)
    }

    fn verify_aggregate(&self, aggregate: &Aggregate) -> Result<bool> {
        Ok(verify_type_1(self.type1(aggregate)?).is_ok())
    }

    fn verify_merged(&self, merged: &Merged) -> Result<bool> {
        Ok(verify_type_2(self.type2(merged)?).is_ok())
    }
}

impl Prover for LeanMultisigBackend {
    /// The verifier's setup first, and its garbage given back, before the twiddles are allocated:
    /// the compiler's freed memory is then in whole pages, not interleaved with what stays.
    fn setup(&self) -> Result<()> {
        self.setup_verifier()?;
        if !self.prover_ready.load(Ordering::Acquire) {
            lean_multisig::setup_prover();
            heap::release_free_memory();
            self.prover_ready.store(true, Ordering::Release);
        }
        Ok(())
    }

    fn is_ready(&self) -> bool {
        self.prover_ready.load(Ordering::Acquire)
    }

    fn prove_aggregate(&self, group: &GroupRequest, _cancel: &CancelFlag) -> Result<Aggregate> {
        let children = group
            .children
            .iter()
            .map(|c| self.type1(c).cloned())
            .collect::<Result<Vec<_>>>()?;
        let raw = group
            .raw
            .iter()
            .map(|(pk, sig)| (to_xmss_public_key(pk), to_xmss_signature(sig)))
            .collect();
        let sig = aggregate_type_1(&children, raw, fe_array(&group.message), group.slot, group.log_inv_rate)
            .map_err(|e| prover_failed("aggregation", e))?;
        Ok(self.wrap_type1(sig))
    }

    fn prove_merge(&self, parts: &[Arc<Aggregate>], log_inv_rate: usize, _cancel: &CancelFlag) -> Result<Merged> {
        let parts = parts
            .iter()
            .map(|p| self.type1(p).cloned())
            .collect::<Result<Vec<_>>>()?;
        let merged = merge_many_type_1(parts, log_inv_rate).map_err(|e| prover_failed("merge", e))?;
        Ok(Merged {
            backend: self.kind(),
            components: merged.info.iter().map(info_of).collect(),
            proof: Arc::new(merged),
        })
    }

    fn prove_split(
        &self,
        merged: &Merged,
        index: usize,
        log_inv_rate: usize,
        _cancel: &CancelFlag,
    ) -> Result<Aggregate> {
        let type2 = self.type2(merged)?.clone();
        let sig = split_type_2(type2, index, log_inv_rate).map_err(|e| prover_failed("split", e))?;
        Ok(self.wrap_type1(sig))
    }
}
