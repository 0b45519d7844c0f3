use super::*;

fn master() -> [u8; 32] {
    [7; 32]
}

#[test]
fn a_field_opens_for_its_subject_and_field_only() {
    let subject = Uuid::now_v7();
    let key = DataKey::generate(subject).expect("key");
    let sealed = key.seal("profile.name", "Grace Hopper").expect("sealed");
    assert!(is_sealed(&sealed));
    assert!(!sealed.contains("Grace"), "no clear text: {sealed}");
    assert_eq!(
        key.open("profile.name", &sealed).expect("opens"),
        "Grace Hopper"
    );
    assert_eq!(
        key.open("profile.phone", &sealed),
        Err(CryptoError::Unopenable),
        "moved to another field"
    );
    let other = DataKey::generate(Uuid::now_v7()).expect("key");
    assert_eq!(
        other.open("profile.name", &sealed),
        Err(CryptoError::Unopenable)
    );
    assert_eq!(
        key.open("profile.name", "Grace"),
        Err(CryptoError::NotSealed)
    );
}

#[test]
fn sealing_twice_gives_two_ciphertexts() {
    let key = DataKey::generate(Uuid::now_v7()).expect("key");
    let (a, b) = (
        key.seal("f", "same").expect("a"),
        key.seal("f", "same").expect("b"),
    );
    assert_ne!(a, b, "random nonces: equal values are not linkable");
}

#[test]
fn an_altered_ciphertext_does_not_open() {
    let key = DataKey::generate(Uuid::now_v7()).expect("key");
    let sealed = key.seal("f", "value").expect("sealed");
    let mut bytes = URL_SAFE_NO_PAD
        .decode(sealed.strip_prefix(SEALED_PREFIX).expect("prefix"))
        .expect("base64");
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let altered = format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    assert_eq!(key.open("f", &altered), Err(CryptoError::Unopenable));
}

#[test]
fn a_wrapped_key_unwraps_for_its_subject_under_its_master_key_only() {
    let subject = Uuid::now_v7();
    let key = DataKey::generate(subject).expect("key");
    let sealed = key.seal("f", "value").expect("sealed");
    let wrapper = KeyWrapper::derive(&master()).expect("wrapper");
    let wrapped = wrapper.wrap(&key).expect("wrapped");
    let again = wrapper.unwrap(subject, &wrapped).expect("unwraps");
    assert_eq!(again.open("f", &sealed).expect("opens"), "value");
    assert_eq!(
        wrapper.unwrap(Uuid::now_v7(), &wrapped).map(drop),
        Err(CryptoError::Unopenable),
        "another subject's row"
    );
    let stranger = KeyWrapper::derive(&[8; 32]).expect("wrapper");
    assert_eq!(
        stranger.unwrap(subject, &wrapped).map(drop),
        Err(CryptoError::Unopenable)
    );
    assert_eq!(
        KeyWrapper::derive(&[1; 16]).map(drop),
        Err(CryptoError::BadMasterKey)
    );
}
