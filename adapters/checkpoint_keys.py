"""The Ed25519 key that signs checkpoints: a file outside the database (`KAIZEN_CHECKPOINT_KEY`).

The private key is PKCS#8 PEM, created `0600`; its public key (SubjectPublicKeyInfo PEM) sits
beside it as `<key>.pub`, the file auditors are given. `key_id` is the first 16 hex digits of
SHA-256 over the 32 raw public-key bytes, so a verifier holding several public keys (after a
rotation) picks the one a checkpoint names.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def public_path(private: str | Path) -> Path:
    return Path(f"{private}.pub")


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate(path: str | Path) -> str:
    """Write a new key pair; refuses to overwrite (a lost old key would orphan its checkpoints)."""
    target, public = Path(path), public_path(path)
    if target.exists() or public.exists():
        raise FileExistsError(f"{target} or {public} already exists; move it away first")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    os.chmod(target, 0o600)  # whatever the umask
    public.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return key_id_of(key.public_key())


@dataclass(frozen=True)
class Signer:
    key: Ed25519PrivateKey
    key_id: str

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.key.sign(message)).decode("ascii")


def load_signer(path: str | Path) -> Signer:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return Signer(key, key_id_of(key.public_key()))


@dataclass(frozen=True)
class PublicKeys:
    """The public keys a verifier trusts, by key id."""

    by_id: dict[str, Ed25519PublicKey]

    def verify(self, key_id: str, message: bytes, signature: str) -> str | None:
        """None when the signature holds; otherwise why not."""
        key = self.by_id.get(key_id)
        if key is None:
            return f"signed by key {key_id}, which is not among the public keys given"
        try:
            key.verify(base64.b64decode(signature, validate=True), message)
        except (InvalidSignature, ValueError):
            return "the signature does not verify (forged or altered)"
        return None


def load_public_keys(paths: list[str]) -> PublicKeys:
    found: dict[str, Ed25519PublicKey] = {}
    for path in paths:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{path} is not an Ed25519 public key")
        found[key_id_of(key)] = key
    return PublicKeys(found)
