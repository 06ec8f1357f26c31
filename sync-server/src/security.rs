//! Secrets: random tokens (stored only as SHA-256 hashes) and Argon2id password hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::configuration::Argon2Settings;
use crate::http::error::ApiError;

/// A new random token: 32 bytes from the OS, base64url without padding.
pub fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a token: the hex SHA-256.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes and verifies passwords with Argon2id.
#[derive(Clone)]
pub struct PasswordHasherConfig {
    params: Params,
    /// A hash of a random password, verified against when an account does not exist so that a
    /// failed login takes as long either way.
    dummy_hash: String,
}

impl PasswordHasherConfig {
    pub fn new(settings: &Argon2Settings) -> Result<Self, ApiError> {
        let params = Params::new(settings.memory_kib, settings.iterations, settings.parallelism, None)
            .map_err(|e| ApiError::internal(format!("argon2 parameters: {e}")))?;
        let mut this = Self { params, dummy_hash: String::new() };
        this.dummy_hash = this.hash(&new_token()?)?;
        Ok(this)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub fn hash(&self, password: &str) -> Result<String, ApiError> {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| ApiError::internal(format!("no randomness: {e}")))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| ApiError::internal(format!("salt: {e}")))?;
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(format!("argon2: {e}")))
    }

    /// Whether `password` matches `hash`; `None` burns the same time against a dummy hash.
    pub fn verify(&self, hash: Option<&str>, password: &str) -> bool {
        let stored = hash.unwrap_or(&self.dummy_hash);
        let ok = match PasswordHash::new(stored) {
            Ok(parsed) => self.argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        };
        ok && hash.is_some()
    }
}

/// The minimum a password must satisfy.
pub fn check_password_policy(password: &str) -> Result<(), ApiError> {
    let len = password.chars().count();
    if len < 10 {
        return Err(ApiError::validation("the password must have at least 10 characters"));
    }
    if len > 1024 {
        return Err(ApiError::validation("the password must have at most 1024 characters"));
    }
    Ok(())
}

/// An email as stored: trimmed, lower-case, and plausibly an address.
pub fn normalize_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim().to_lowercase();
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace);
    if valid {
        Ok(email)
    } else {
        Err(ApiError::validation("not a valid email address"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> Argon2Settings {
        Argon2Settings { memory_kib: 64, iterations: 1, parallelism: 1 }
    }

    #[test]
    fn tokens_are_random_and_hashed() -> Result<(), ApiError> {
        let (a, b) = (new_token()?, new_token()?);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), hash_token(&b));
        Ok(())
    }

    #[test]
    fn passwords_verify_and_unknown_accounts_never_do() -> Result<(), ApiError> {
        let hasher = PasswordHasherConfig::new(&cheap())?;
        let hash = hasher.hash("correct horse battery")?;
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify(Some(&hash), "correct horse battery"));
        assert!(!hasher.verify(Some(&hash), "wrong horse battery"));
        assert!(!hasher.verify(None, "correct horse battery"));
        Ok(())
    }

    #[test]
    fn emails_are_normalized() {
        assert_eq!(normalize_email("  Ann@Example.COM ").ok().as_deref(), Some("ann@example.com"));
        assert!(normalize_email("nobody").is_err());
        assert!(normalize_email("a b@x.io").is_err());
    }
}
